"""Qwen3 behind any OpenAI-compatible server (vLLM, SGLang, Ollama, llama.cpp).

:class:`QwenChatOpenAI` is LangChain's ``ChatOpenAI`` with five changes, so that the
agent sees the same messages whatever server runs the model:

* **Thinking off for tools and structured output.** A request that carries
  ``tools`` or a ``response_format`` (and every request unless ``thinking`` is on)
  asks for Qwen3's non-thinking mode twice: the hard switch
  ``chat_template_kwargs={"enable_thinking": false}`` in the request body (vLLM,
  SGLang and llama.cpp's server read it; servers that do not know it ignore it) and
  Qwen3's soft switch ``/no_think`` at the end of the system message (or of the last
  user message), which the model itself obeys on servers that drop the hard switch,
  such as Ollama.
* **No ``<think>`` text reaches the user.** Content goes through
  :func:`~sportsgpt.agents.llm.qwen_format.split_thinking`; the reasoning is kept in
  ``additional_kwargs["reasoning_content"]`` (a UI shows it only when
  ``SPORTSGPT_LLM_SHOW_THINKING`` is set). Streamed chunks pass through
  :class:`ThinkingStreamSplitter`, which holds back a tag cut between two chunks.
* **Tool calls written as text are read.** When tools were sent and the server
  returned hermes ``<tool_call>`` blocks in the content instead of structured
  ``tool_calls`` (llama.cpp without a tool-call template, some Ollama models), they
  are parsed with :func:`~sportsgpt.agents.llm.qwen_format.parse_tool_calls`.
* **What local servers read.** LangChain sends OpenAI's ``max_completion_tokens`` and
  ``"content": null`` for an assistant turn that only called tools; the limit is sent
  as ``max_tokens`` and the content as ``""``, which every local server accepts.
* **Typed failures.** After the client's own retries (``max_retries``, exponential
  backoff), a refused connection raises :class:`LLMUnavailableError`, a timeout
  :class:`LLMTimeoutError` and an HTTP error status :class:`LLMServerError`; the
  agent graph falls back to the deterministic composer on any of them.

This module imports LangChain at import time; :mod:`sportsgpt.agents.llm` imports it
only when the ``openai`` backend is chosen.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import openai
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from sportsgpt.agents.llm.errors import (
    LLMCallError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from sportsgpt.agents.llm.qwen_format import (
    THINK_CLOSE,
    THINK_OPEN,
    TOOL_CALL_CLOSE,
    TOOL_CALL_OPEN,
    parse_tool_calls,
    split_thinking,
)
from sportsgpt.core.settings import LLMSettings

NO_THINK = "/no_think"
"""Qwen3's soft switch: appended to the system message when thinking is off."""
REASONING_KEY = "reasoning_content"
"""Key of ``additional_kwargs`` that holds the model's reasoning."""
DEFAULT_API_KEY = "EMPTY"
"""Sent when no key is configured: local servers accept any key, the client needs one."""

_State = Literal["text", "think", "tool"]
_TAGS: dict[_State, tuple[str, ...]] = {
    "text": (THINK_OPEN, THINK_CLOSE, TOOL_CALL_OPEN),
    "think": (THINK_CLOSE,),
    "tool": (TOOL_CALL_CLOSE,),
}


class ThinkingStreamSplitter:
    r"""Route streamed text into visible text, reasoning and ``<tool_call>`` blocks.

    Feed each chunk's text to :meth:`feed`; call :meth:`flush` once at the end. A tag
    split across chunks (``"<thi"`` + ``"nk>"``) is held back until it is complete.
    Leading whitespace of the visible text is dropped (Qwen3 writes ``"\n\n"``
    after ``</think>``). A lone ``</think>`` in visible text is dropped; text
    streamed before it has already been shown (a template that pre-fills
    ``<think>`` in the prompt, which Qwen3-8B's does not).

    Args:
        collect_tool_calls: hold ``<tool_call>...</tool_call>`` blocks back in
            :attr:`tool_text` instead of showing them (set when tools were sent).
    """

    def __init__(self, *, collect_tool_calls: bool) -> None:
        self._collect = collect_tool_calls
        self._buffer = ""
        self._state: _State = "text"
        self._started = False
        self.tool_text = ""
        """The ``<tool_call>`` blocks seen so far, tags included, for the parser."""

    def _tags(self) -> tuple[str, ...]:
        tags = _TAGS[self._state]
        return tags if self._collect else tuple(t for t in tags if t != TOOL_CALL_OPEN)

    def _route(self, text: str, visible: list[str], thinking: list[str]) -> None:
        if not text:
            return
        if self._state == "think":
            thinking.append(text)
        elif self._state == "tool":
            self.tool_text += text
        else:
            if not self._started:
                text = text.lstrip()
                self._started = bool(text)
            visible.append(text)

    def _switch(self, tag: str) -> None:
        if tag == THINK_OPEN:
            self._state = "think"
        elif tag == TOOL_CALL_OPEN:
            self._state = "tool"
            self.tool_text += TOOL_CALL_OPEN
        elif tag == TOOL_CALL_CLOSE:
            self.tool_text += TOOL_CALL_CLOSE
            self._state = "text"
        else:  # THINK_CLOSE, closing a block or a lone one in visible text
            self._state = "text"

    def feed(self, text: str) -> tuple[str, str]:
        """Take the next piece of streamed content; return ``(visible, thinking)`` text."""
        self._buffer += text
        visible: list[str] = []
        thinking: list[str] = []
        while True:
            found = [(self._buffer.find(t), t) for t in self._tags() if t in self._buffer]
            if not found:
                break
            index, tag = min(found)
            self._route(self._buffer[:index], visible, thinking)
            self._buffer = self._buffer[index + len(tag):]
            self._switch(tag)
        hold = max((k for t in self._tags() for k in range(1, len(t))
                    if self._buffer.endswith(t[:k])), default=0)
        self._route(self._buffer[:len(self._buffer) - hold], visible, thinking)
        self._buffer = self._buffer[len(self._buffer) - hold:]
        return "".join(visible), "".join(thinking)

    def flush(self) -> tuple[str, str]:
        """Release what was held back at the end of the stream: ``(visible, thinking)``."""
        visible: list[str] = []
        thinking: list[str] = []
        self._route(self._buffer, visible, thinking)
        self._buffer = ""
        return "".join(visible), "".join(thinking)


def clean_message(message: BaseMessage, *, parse_tools: bool) -> BaseMessage:
    """Move ``<think>`` text out of an AI message's content; read text tool calls.

    Args:
        message: a complete model message (other message types pass unchanged).
        parse_tools: tools were sent, so ``<tool_call>`` blocks in the content are
            read when the server returned no structured tool calls.
    """
    if not isinstance(message, AIMessage) or not isinstance(message.content, str):
        return message
    thinking, visible = split_thinking(message.content)
    extra = dict(message.additional_kwargs)
    if thinking:
        extra[REASONING_KEY] = thinking
    update: dict[str, Any] = {"content": visible, "additional_kwargs": extra}
    if parse_tools and not message.tool_calls and TOOL_CALL_OPEN in visible:
        parsed = parse_tool_calls(visible)
        update["content"] = parsed.content
        update["tool_calls"] = [ToolCall(name=c.name, args=c.arguments, id=c.id,
                                         type="tool_call") for c in parsed.calls]
        update["invalid_tool_calls"] = [
            *message.invalid_tool_calls,
            *(InvalidToolCall(name=c.name, args=c.raw, id=c.id, error=c.error,
                              type="invalid_tool_call") for c in parsed.invalid)]
    return message.model_copy(update=update)


def _text_tool_chunks(tool_text: str) -> list[ToolCallChunk]:
    """Turn ``<tool_call>`` blocks gathered from a stream into tool-call chunks."""
    parsed = parse_tool_calls(tool_text)
    chunks = [ToolCallChunk(name=c.name, args=json.dumps(c.arguments), id=c.id, index=i,
                            type="tool_call_chunk") for i, c in enumerate(parsed.calls)]
    # An invalid call keeps its raw text as arguments: LangChain reports it as invalid.
    chunks += [ToolCallChunk(name=c.name, args=c.raw, id=c.id, index=len(chunks) + i,
                             type="tool_call_chunk") for i, c in enumerate(parsed.invalid)]
    return chunks


def _asks_for_structure(kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("tools")) or kwargs.get("response_format") is not None


class QwenChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` for Qwen3 on a local server: no thinking text, typed failures.

    Attributes:
        thinking: let Qwen3 think on plain calls (never with tools or a response
            format). The reasoning lands in ``additional_kwargs["reasoning_content"]``.
        soft_switch: also write ``/no_think`` into the prompt when thinking is off,
            for servers that ignore ``chat_template_kwargs``.
    """

    thinking: bool = False
    soft_switch: bool = True

    @property
    def _llm_type(self) -> str:
        return "sportsgpt-qwen-openai"

    # -- request -------------------------------------------------------------------------
    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None,
                             **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super()._get_request_payload(input_, stop=stop, **kwargs)
        # LangChain renames max_tokens to OpenAI's newer max_completion_tokens, which
        # llama-cpp-python's server ignores; every local server reads max_tokens.
        if "max_completion_tokens" in payload:
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        if "messages" in payload:
            payload["messages"] = [_with_text_content(m) for m in payload["messages"]]
        if self.thinking and not _asks_for_structure(payload):
            return payload
        extra = dict(payload.get("extra_body") or {})
        template_kwargs = dict(extra.get("chat_template_kwargs") or {})
        template_kwargs["enable_thinking"] = False
        extra["chat_template_kwargs"] = template_kwargs
        payload["extra_body"] = extra
        if self.soft_switch and "messages" in payload:
            payload["messages"] = _with_soft_switch(payload["messages"])
        return payload

    # -- failures ------------------------------------------------------------------------
    def _translate(self, exc: BaseException) -> LLMCallError | None:
        """The typed error for a client failure, or None for one that is a bug."""
        url, model = self.openai_api_base, self.model_name
        where = f"{model!r} at {url}"
        if isinstance(exc, openai.APITimeoutError | TimeoutError):
            return LLMTimeoutError(
                f"the language model {where} did not answer within {self.request_timeout} s "
                f"(after {self.max_retries} retries)", base_url=url, model=model)
        if isinstance(exc, openai.APIConnectionError):
            return LLMUnavailableError(
                f"cannot reach the language model server {url} (after {self.max_retries} "
                f"retries): {_root_cause(exc)}", base_url=url, model=model)
        if isinstance(exc, openai.APIStatusError):
            return LLMServerError(
                f"the language model server {url} refused the call to {model!r} with HTTP "
                f"{exc.status_code}: {exc.message}", base_url=url, model=model,
                status_code=exc.status_code)
        return None

    def _empty_stream(self) -> LLMServerError:
        """A stream that closed without one chunk: the server failed after HTTP 200.

        llama-cpp-python's server does this when the prompt exceeds its context window
        (the error is only in its log); LangChain would raise a bare ValueError.
        """
        url, model = self.openai_api_base, self.model_name
        return LLMServerError(
            f"the language model server {url} ended the stream for {model!r} without any "
            "output (see the server's log: e.g. a prompt longer than its context window)",
            base_url=url, model=model, status_code=None)

    # -- calls ---------------------------------------------------------------------------
    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None,
                  **kwargs: Any) -> ChatResult:
        try:
            result = super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        except (TimeoutError, openai.APIError) as exc:
            raise (self._translate(exc) or exc) from exc
        return _clean_result(result, parse_tools=bool(kwargs.get("tools")))

    async def _agenerate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                         run_manager: AsyncCallbackManagerForLLMRun | None = None,
                         **kwargs: Any) -> ChatResult:
        try:
            result = await super()._agenerate(messages, stop=stop, run_manager=run_manager,
                                              **kwargs)
        except (TimeoutError, openai.APIError) as exc:
            raise (self._translate(exc) or exc) from exc
        return _clean_result(result, parse_tools=bool(kwargs.get("tools")))

    def _deadline(self) -> float | None:
        """When a streamed call must have finished (``None`` without a numeric timeout).

        The HTTP read timeout restarts with every chunk, so a server that keeps streaming
        (or sends keep-alives) would never time out; the whole call is bounded instead.
        """
        limit = self.request_timeout
        if isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 0:
            return time.monotonic() + float(limit)
        return None

    def _check_deadline(self, deadline: float | None) -> None:
        if deadline is not None and time.monotonic() > deadline:
            url, model = self.openai_api_base, self.model_name
            raise LLMTimeoutError(
                f"the language model {model!r} at {url} was still streaming after "
                f"{self.request_timeout} s (SPORTSGPT_LLM_TIMEOUT bounds the whole call); "
                "its answer was cut off", base_url=url, model=model)

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        splitter = ThinkingStreamSplitter(collect_tool_calls=bool(kwargs.get("tools")))
        structured = False
        received = 0
        deadline = self._deadline()
        try:
            for chunk in super()._stream(messages, stop=stop, run_manager=None, **kwargs):
                self._check_deadline(deadline)
                received += 1
                structured = structured or _has_tool_chunks(chunk)
                out = _split_chunk(chunk, splitter.feed)
                if run_manager:
                    run_manager.on_llm_new_token(out.text, chunk=out)
                yield out
        except (TimeoutError, openai.APIError) as exc:
            raise (self._translate(exc) or exc) from exc
        if not received:
            raise self._empty_stream()
        for out in _final_chunks(splitter, structured):
            if run_manager:
                run_manager.on_llm_new_token(out.text, chunk=out)
            yield out

    async def _astream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                       run_manager: AsyncCallbackManagerForLLMRun | None = None,
                       **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        splitter = ThinkingStreamSplitter(collect_tool_calls=bool(kwargs.get("tools")))
        structured = False
        received = 0
        deadline = self._deadline()
        try:
            async for chunk in super()._astream(messages, stop=stop, run_manager=None,
                                                **kwargs):
                self._check_deadline(deadline)
                received += 1
                structured = structured or _has_tool_chunks(chunk)
                out = _split_chunk(chunk, splitter.feed)
                if run_manager:
                    await run_manager.on_llm_new_token(out.text, chunk=out)
                yield out
        except (TimeoutError, openai.APIError) as exc:
            raise (self._translate(exc) or exc) from exc
        if not received:
            raise self._empty_stream()
        for out in _final_chunks(splitter, structured):
            if run_manager:
                await run_manager.on_llm_new_token(out.text, chunk=out)
            yield out


def _root_cause(exc: BaseException) -> str:
    """The innermost cause's message (the OS error behind "Connection error.")."""
    seen: set[int] = set()
    while (exc.__cause__ or exc.__context__) is not None and id(exc) not in seen:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return f"{type(exc).__name__}: {exc}"


def _with_text_content(message: dict[str, Any]) -> dict[str, Any]:
    """An assistant turn that only called tools gets ``""`` content instead of null.

    LangChain sends ``"content": null`` there (OpenAI allows it); llama-cpp-python's
    server rejects the request with HTTP 500, and ``""`` is valid for every server.
    """
    if message.get("role") == "assistant" and message.get("content") is None:
        return {**message, "content": ""}
    return message


def _with_soft_switch(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append ``/no_think`` to the first system message, else to the last user message."""
    roles = [m.get("role") for m in messages]
    if "system" in roles:
        index = roles.index("system")
    elif "user" in roles:
        index = len(roles) - 1 - roles[::-1].index("user")
    else:
        return messages
    target = messages[index]
    if not isinstance(target.get("content"), str) or target["content"].rstrip().endswith(
            NO_THINK):
        return messages
    out = list(messages)
    out[index] = {**target, "content": f"{target['content']}\n\n{NO_THINK}"}
    return out


def _clean_result(result: ChatResult, *, parse_tools: bool) -> ChatResult:
    generations = [ChatGeneration(message=clean_message(g.message, parse_tools=parse_tools),
                                  generation_info=g.generation_info)
                   for g in result.generations]
    return ChatResult(generations=generations, llm_output=result.llm_output)


def _has_tool_chunks(chunk: ChatGenerationChunk) -> bool:
    message = chunk.message
    return isinstance(message, AIMessageChunk) and bool(message.tool_call_chunks)


def _split_chunk(chunk: ChatGenerationChunk, feed: Any) -> ChatGenerationChunk:
    """The chunk with its text routed through the splitter (reasoning moved aside)."""
    message = chunk.message
    if not isinstance(message.content, str) or not message.content:
        return chunk
    visible, thinking = feed(message.content)
    extra = dict(message.additional_kwargs)
    if thinking:
        extra[REASONING_KEY] = thinking
    new = message.model_copy(update={"content": visible, "additional_kwargs": extra})
    return ChatGenerationChunk(message=new, generation_info=chunk.generation_info)


def _final_chunks(splitter: ThinkingStreamSplitter,
                  structured: bool) -> Iterator[ChatGenerationChunk]:
    """What the splitter still holds, and the tool calls read from ``<tool_call>`` text."""
    visible, thinking = splitter.flush()
    if visible or thinking:
        extra = {REASONING_KEY: thinking} if thinking else {}
        yield ChatGenerationChunk(message=AIMessageChunk(content=visible,
                                                         additional_kwargs=extra))
    if splitter.tool_text and not structured:
        yield ChatGenerationChunk(message=AIMessageChunk(
            content="", tool_call_chunks=_text_tool_chunks(splitter.tool_text)))


def make_openai_chat(settings: LLMSettings) -> QwenChatOpenAI:
    """Build the chat model for ``SPORTSGPT_LLM_BACKEND=openai`` (base URL already checked)."""
    key = settings.api_key or SecretStr(DEFAULT_API_KEY)
    return QwenChatOpenAI(model=settings.model, base_url=settings.base_url, api_key=key,
                          timeout=settings.timeout_s, max_retries=settings.max_retries,
                          max_tokens=settings.max_tokens, temperature=0.0,
                          thinking=settings.show_thinking)
