r"""Qwen3's output format: thinking blocks and hermes-style ``<tool_call>`` blocks.

Pure Python (no torch, no transformers, no LangChain), so that every backend
(local transformers, OpenAI-compatible servers that return raw text) and the
tests share one parser.

Qwen3 writes its reasoning as ``<think>...</think>`` before the answer; with
thinking switched off its chat template pre-fills an empty ``<think>\n\n</think>``.
Tool calls follow the hermes format that Qwen3's chat template specifies::

    <tool_call>
    {"name": "kg_lookup", "arguments": {"fault_id": "knee_valgus"}}
    </tool_call>

Call :func:`split_thinking` first, then :func:`parse_tool_calls` on the visible
text, so that a call the model only *considered* in its reasoning is not run.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
TOOL_CALL_OPEN = "<tool_call>"
TOOL_CALL_CLOSE = "</tool_call>"

_THINK_BLOCK = re.compile(r"<think>(.*?)</think>", re.DOTALL)
_TOOL_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)
_FENCE = re.compile(r"^```[A-Za-z0-9_-]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)
_NAME_HINT = re.compile(r'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def split_thinking(text: str) -> tuple[str | None, str]:
    r"""Separate Qwen3's reasoning from the visible answer.

    Handles closed ``<think>...</think>`` blocks (several are joined with a blank
    line), an unclosed ``<think>`` at the end (a generation cut by the token
    limit: everything after it is reasoning), a lone ``</think>`` whose opening
    tag was part of the prompt (templates that pre-fill ``<think>\n``: everything
    before it is reasoning), and the empty block Qwen3 emits with thinking off.

    Returns ``(thinking, visible)``: ``thinking`` is ``None`` when there is no
    non-empty reasoning; both parts are stripped of surrounding whitespace.

    >>> split_thinking("<think>\nknee angle first\n</think>\n\nBend more.")
    ('knee angle first', 'Bend more.')
    >>> split_thinking("<think>\n\n</think>\n\nHello")
    (None, 'Hello')
    """
    thoughts: list[str] = []
    rest = text
    if THINK_CLOSE in rest and THINK_OPEN not in rest.split(THINK_CLOSE, 1)[0]:
        head, rest = rest.split(THINK_CLOSE, 1)
        thoughts.append(head)

    def _keep(match: re.Match[str]) -> str:
        thoughts.append(match.group(1))
        return ""

    rest = _THINK_BLOCK.sub(_keep, rest)
    if THINK_OPEN in rest:
        rest, tail = rest.split(THINK_OPEN, 1)
        thoughts.append(tail)
    kept = [t.strip() for t in thoughts if t.strip()]
    return ("\n\n".join(kept) if kept else None), rest.strip()


class ParsedToolCall(BaseModel):
    """A well-formed tool call: a name and a JSON object of arguments."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id, call_<n>_<hash of name and arguments>.")
    name: str
    arguments: dict[str, Any]


class InvalidToolCall(BaseModel):
    """A ``<tool_call>`` block that could not be read, kept so the caller can repair or reject."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str | None = Field(description="The tool name, when it could still be recognised.")
    raw: str = Field(description="The block's text as the model wrote it.")
    error: str = Field(description="Why the block is not a valid call.")


class ParsedToolCalls(BaseModel):
    """A model message split into visible text, valid calls and invalid calls."""

    model_config = ConfigDict(frozen=True)

    content: str = Field(description="Text outside the <tool_call> blocks, stripped.")
    calls: list[ParsedToolCall] = Field(default_factory=list)
    invalid: list[InvalidToolCall] = Field(default_factory=list)


def _call_id(index: int, payload: str) -> str:
    digest = hashlib.sha1(payload.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return f"call_{index}_{digest}"


def _unfence(body: str) -> str:
    body = body.strip()
    match = _FENCE.match(body)
    return match.group(1).strip() if match else body


def _decode_all(body: str) -> list[Any]:
    """Decode one or more JSON values written one after another (a list is spread out)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    pos = 0
    while True:
        while pos < len(body) and body[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(body):
            break
        value, pos = decoder.raw_decode(body, pos)
        values.extend(value if isinstance(value, list) else [value])
    if not values:
        raise ValueError("empty <tool_call> block")
    return values


def _check_call(value: Any) -> tuple[str, dict[str, Any]]:
    """Return ``(name, arguments)`` or raise ValueError saying what is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object with 'name' and 'arguments', "
                         f"got {type(value).__name__}: {json.dumps(value)[:80]}")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"missing or empty 'name' (got {name!r})")
    # A tool without parameters may be called without "arguments".
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"'arguments' of {name!r} is a string that is not JSON: "
                             f"{exc.msg} at position {exc.pos}") from None
    if not isinstance(arguments, dict):
        raise ValueError(f"'arguments' of {name!r} must be a JSON object, "
                         f"got {type(arguments).__name__}: {json.dumps(arguments)[:80]}")
    return name.strip(), arguments


def _name_hint(raw: str) -> str | None:
    """The tool name of a block whose JSON does not parse, if a ``"name"`` key is readable."""
    match = _NAME_HINT.search(raw)
    return (match.group(1).strip() or None) if match else None


def _decoded_name(value: Any) -> str | None:
    name = value.get("name") if isinstance(value, dict) else None
    return name.strip() or None if isinstance(name, str) else None


def parse_tool_calls(text: str) -> ParsedToolCalls:
    """Read hermes-style ``<tool_call>`` blocks out of a Qwen3 message.

    Each block holds ``{"name": ..., "arguments": {...}}`` JSON; a block may be
    wrapped in a Markdown code fence, may hold several objects (one after another
    or as a JSON list), and ``arguments`` may be given as a JSON-encoded string or
    left out (a tool without parameters: ``{}``). Bad JSON, a missing name,
    arguments that are not an object, an empty block and an unclosed block at the
    end (a truncated generation) become :class:`InvalidToolCall` entries with the
    raw text and the reason. Ids are ``call_<n>_<hash>``, ``n`` counting every
    call of the message, valid or not, in order.

    >>> parsed = parse_tool_calls(
    ...     'Checking.<tool_call>{"name": "qa_search", "arguments": {"q": "knee"}}</tool_call>')
    >>> parsed.content, parsed.calls[0].name, parsed.calls[0].arguments
    ('Checking.', 'qa_search', {'q': 'knee'})
    """
    calls: list[ParsedToolCall] = []
    invalid: list[InvalidToolCall] = []
    bodies: list[str] = []

    def _take(match: re.Match[str]) -> str:
        bodies.append(match.group(1))
        return ""

    content = _TOOL_BLOCK.sub(_take, text)
    unclosed: str | None = None
    if TOOL_CALL_OPEN in content:
        content, unclosed = content.split(TOOL_CALL_OPEN, 1)

    index = 0
    for body in bodies:
        raw = body.strip()
        try:
            values = _decode_all(_unfence(body))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            invalid.append(InvalidToolCall(id=_call_id(index, raw), name=_name_hint(raw),
                                           raw=raw, error=f"invalid JSON: {exc}"))
            index += 1
            continue
        for value in values:
            try:
                name, arguments = _check_call(value)
            except ValueError as exc:
                invalid.append(InvalidToolCall(id=_call_id(index, raw),
                                               name=_decoded_name(value), raw=raw,
                                               error=str(exc)))
            else:
                payload = json.dumps({"name": name, "arguments": arguments}, sort_keys=True)
                calls.append(ParsedToolCall(id=_call_id(index, payload), name=name,
                                            arguments=arguments))
            index += 1
    if unclosed is not None:
        raw = unclosed.strip()
        invalid.append(InvalidToolCall(
            id=_call_id(index, raw), name=_name_hint(raw), raw=raw,
            error="unclosed <tool_call> block: the generation stopped before </tool_call>"))
    return ParsedToolCalls(content=content.strip(), calls=calls, invalid=invalid)
