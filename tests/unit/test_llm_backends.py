"""LLM backend factory and the OpenAI-compatible wrapper, against a scripted HTTP server.

No network: the OpenAI client talks to an ``httpx.MockTransport`` that records each
request and answers with canned chat-completion JSON or server-sent events.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_openai")

import httpx
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool

from sportsgpt.agents.llm import BackendInfo, make_chat_model
from sportsgpt.agents.llm.errors import (
    LLMConfigError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from sportsgpt.agents.llm.openai_backend import (
    NO_THINK,
    REASONING_KEY,
    QwenChatOpenAI,
    ThinkingStreamSplitter,
)
from sportsgpt.agents.llm.qwen_transformers import QwenTransformersChat
from sportsgpt.core.errors import MissingDependencyError, SportsGPTError
from sportsgpt.core.settings import LLMSettings, Settings

BASE = "http://llm.test/v1"
TOOL_TEXT = ('<tool_call>\n{"name": "kg_lookup", "arguments": {"fault_id": "knee_valgus"}}'
             "\n</tool_call>")


@tool
def kg_lookup(fault_id: str) -> str:
    """Look a fault up in the knowledge graph."""
    return fault_id


# -- a scripted OpenAI-compatible server ---------------------------------------------------
def _completion(content: str | None,
                tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"id": "cmpl-1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if tool_calls else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _sse(pieces: list[str]) -> bytes:
    events = []
    for i, piece in enumerate(pieces):
        delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        events.append({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    events.append({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return body.encode()


class FakeServer:
    """Records request bodies; answers each with ``respond(body)``."""

    def __init__(self, respond: Callable[[dict[str, Any]], httpx.Response]) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        return self.respond(body)

    def model(self, **kwargs: Any) -> QwenChatOpenAI:
        transport = httpx.MockTransport(self)
        options: dict[str, Any] = {"model": "qwen-test", "base_url": BASE, "api_key": "k",
                                   "max_retries": 0, "timeout": 5.0, "temperature": 0.0}
        options.update(kwargs)
        return QwenChatOpenAI(http_client=httpx.Client(transport=transport),
                              http_async_client=httpx.AsyncClient(transport=transport),
                              **options)


def answering(content: str | None, tool_calls: list[dict[str, Any]] | None = None) -> FakeServer:
    return FakeServer(lambda body: (
        httpx.Response(200, content=_sse([content or ""]),
                       headers={"content-type": "text/event-stream"})
        if body.get("stream") else httpx.Response(200, json=_completion(content, tool_calls))))


def streaming(pieces: list[str]) -> FakeServer:
    return FakeServer(lambda body: httpx.Response(
        200, content=_sse(pieces), headers={"content-type": "text/event-stream"}))


# -- factory ---------------------------------------------------------------------------------
def test_backend_none_gives_no_model() -> None:
    model, info = make_chat_model(LLMSettings())
    assert model is None
    assert info == BackendInfo(name="none")


def test_openai_backend_from_environment_variables() -> None:
    settings = Settings.from_env({
        "SPORTSGPT_LLM_BACKEND": "openai", "SPORTSGPT_LLM_BASE_URL": "http://127.0.0.1:8000/v1",
        "SPORTSGPT_LLM_MODEL": "Qwen/Qwen3-4B", "SPORTSGPT_LLM_TIMEOUT": "7.5",
        "SPORTSGPT_LLM_RETRIES": "3", "SPORTSGPT_CACHE": "unused"})
    model, info = make_chat_model(settings.llm)
    assert info == BackendInfo(name="openai", model="Qwen/Qwen3-4B",
                               base_url="http://127.0.0.1:8000/v1")
    assert isinstance(model, QwenChatOpenAI)
    assert (model.model_name, model.openai_api_base) == ("Qwen/Qwen3-4B", "http://127.0.0.1:8000/v1")
    assert (model.request_timeout, model.max_retries, model.temperature) == (7.5, 3, 0.0)
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "EMPTY"
    assert model.thinking is False
    assert model.max_tokens == 4096  # the default answer budget is always sent


def test_answer_budget_from_the_environment_reaches_both_backends(tmp_path: Path) -> None:
    env = {"SPORTSGPT_LLM_BACKEND": "openai", "SPORTSGPT_LLM_BASE_URL": BASE,
           "SPORTSGPT_LLM_MAX_TOKENS": "900", "SPORTSGPT_CACHE": "unused"}
    model, _ = make_chat_model(Settings.from_env(env).llm)
    assert isinstance(model, QwenChatOpenAI) and model.max_tokens == 900
    server = answering("Fine.")
    server.model(max_tokens=model.max_tokens).invoke("Hi")
    assert server.requests[0]["max_tokens"] == 900
    (tmp_path / "config.json").write_text("{}")
    local, _ = make_chat_model(LLMSettings(backend="transformers", model_path=tmp_path,
                                           max_tokens=900))
    assert isinstance(local, QwenTransformersChat) and local.max_new_tokens == 900


def test_a_stream_that_goes_on_past_the_timeout_is_cut_off() -> None:
    """The read timeout restarts with every chunk; the whole streamed call is bounded."""
    def slow_sse() -> Iterator[bytes]:
        for piece in _sse(["word "] * 40).split(b"\n\n"):
            time.sleep(0.05)
            yield piece + b"\n\n"

    server = FakeServer(lambda body: httpx.Response(
        200, content=slow_sse(), headers={"content-type": "text/event-stream"}))
    started = time.monotonic()
    with pytest.raises(LLMTimeoutError, match=r"still streaming after 0\.5 s"):
        list(server.model(timeout=0.5).stream("Hi"))
    assert time.monotonic() - started < 1.5  # 40 chunks would take 2 s


def test_openai_backend_passes_the_configured_key_and_thinking_switch() -> None:
    settings = LLMSettings(backend="openai", base_url=BASE, api_key="sk-local",
                           show_thinking=True)
    model, _ = make_chat_model(settings)
    assert isinstance(model, QwenChatOpenAI)
    assert model.openai_api_key is not None
    assert model.openai_api_key.get_secret_value() == "sk-local"
    assert model.thinking is True


@pytest.mark.parametrize(("settings", "needle"), [
    (LLMSettings(backend="openai"), "SPORTSGPT_LLM_BASE_URL"),
    (LLMSettings(backend="openai", base_url="127.0.0.1:8000/v1"), "'127.0.0.1:8000/v1'"),
    (LLMSettings(backend="transformers"), "SPORTSGPT_LLM_MODEL_PATH"),
], ids=["openai-no-url", "openai-no-scheme", "transformers-no-path"])
def test_settings_that_cannot_make_a_backend(settings: LLMSettings, needle: str) -> None:
    with pytest.raises(LLMConfigError, match=needle) as caught:
        make_chat_model(settings)
    assert isinstance(caught.value, SportsGPTError)


def test_transformers_backend_names_a_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-checkpoint"
    with pytest.raises(LLMConfigError, match="no-such-checkpoint"):
        make_chat_model(LLMSettings(backend="transformers", model_path=missing))


def test_missing_package_names_the_agents_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "langchain_openai" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"langchain-openai.*sportsgpt\[agents\]"):
        make_chat_model(LLMSettings(backend="openai", base_url=BASE))


def test_importing_the_backends_package_stays_light() -> None:
    heavy = ("torch", "transformers", "langchain_openai", "langchain_core", "openai")
    code = ("import sys, sportsgpt.agents.llm, sportsgpt.agents.llm.errors\n"
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""


# -- request: thinking switched off ------------------------------------------------------------
def test_thinking_is_off_by_default_with_hard_and_soft_switch() -> None:
    server = answering("Fine.")
    server.model().invoke([SystemMessage("You coach."), HumanMessage("Hi")])
    body = server.requests[0]
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["messages"][0]["content"] == f"You coach.\n\n{NO_THINK}"
    assert body["messages"][1]["content"] == "Hi"
    assert body["temperature"] == 0.0


def test_soft_switch_goes_to_the_last_user_message_without_a_system_message() -> None:
    server = answering("Fine.")
    server.model().invoke([HumanMessage("first"), HumanMessage("second")])
    contents = [m["content"] for m in server.requests[0]["messages"]]
    assert contents == ["first", f"second\n\n{NO_THINK}"]


def test_thinking_on_for_plain_calls_only() -> None:
    server = answering("Fine.")
    model = server.model(thinking=True)
    model.invoke([SystemMessage("You coach."), HumanMessage("Hi")])
    model.bind_tools([kg_lookup]).invoke([SystemMessage("You coach."), HumanMessage("Hi")])
    plain, with_tools = server.requests
    assert "chat_template_kwargs" not in plain
    assert plain["messages"][0]["content"] == "You coach."
    assert with_tools["chat_template_kwargs"] == {"enable_thinking": False}
    assert with_tools["messages"][0]["content"].endswith(NO_THINK)
    assert with_tools["tools"][0]["function"]["name"] == "kg_lookup"


def test_token_limit_is_sent_as_max_tokens() -> None:
    server = answering("Fine.")
    server.model(max_tokens=12).invoke("Hi")
    server.model().bind(max_tokens=7).invoke("Hi")
    assert [b.get("max_tokens") for b in server.requests] == [12, 7]
    assert all("max_completion_tokens" not in b for b in server.requests)


def test_tool_only_assistant_turn_is_sent_with_empty_content() -> None:
    from langchain_core.messages import AIMessage, ToolMessage

    server = answering("Fine.")
    call = AIMessage("", tool_calls=[{"name": "kg_lookup", "args": {"fault_id": "x"},
                                      "id": "call_1", "type": "tool_call"}])
    server.model(soft_switch=False).invoke(
        [HumanMessage("Hi"), call, ToolMessage("found", tool_call_id="call_1")])
    sent = server.requests[0]["messages"][1]
    assert sent["role"] == "assistant"
    assert sent["content"] == ""
    assert sent["tool_calls"][0]["function"]["name"] == "kg_lookup"


def test_soft_switch_can_be_turned_off() -> None:
    server = answering("Fine.")
    server.model(soft_switch=False).invoke([SystemMessage("You coach."), HumanMessage("Hi")])
    assert server.requests[0]["messages"][0]["content"] == "You coach."
    assert server.requests[0]["chat_template_kwargs"] == {"enable_thinking": False}


# -- answers: thinking removed, text tool calls read ------------------------------------------
def test_think_block_moves_to_reasoning_content() -> None:
    server = answering("<think>\nknee angle first\n</think>\n\nBend your knees more.")
    message = server.model().invoke("Hi")
    assert message.content == "Bend your knees more."
    assert message.additional_kwargs[REASONING_KEY] == "knee angle first"


def test_empty_think_block_leaves_no_reasoning() -> None:
    message = answering("<think>\n\n</think>\n\nHello").model().invoke("Hi")
    assert message.content == "Hello"
    assert REASONING_KEY not in message.additional_kwargs


def test_text_tool_call_becomes_a_structured_call_when_tools_were_sent() -> None:
    server = answering(f"Let me check.\n{TOOL_TEXT}")
    message = server.model().bind_tools([kg_lookup]).invoke("Is my knee caving in?")
    assert message.content == "Let me check."
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [
        ("kg_lookup", {"fault_id": "knee_valgus"})]
    assert message.tool_calls[0]["id"]


def test_broken_text_tool_call_is_reported_invalid() -> None:
    server = answering('<tool_call>{"name": "kg_lookup", "arguments": {"fault_id": }</tool_call>')
    message = server.model().bind_tools([kg_lookup]).invoke("Hi")
    assert message.tool_calls == []
    assert [c["name"] for c in message.invalid_tool_calls] == ["kg_lookup"]
    assert "JSON" in (message.invalid_tool_calls[0]["error"] or "")


def test_tool_call_text_without_tools_is_left_alone() -> None:
    message = answering(TOOL_TEXT).model().invoke("Hi")
    assert message.tool_calls == []
    assert message.content == TOOL_TEXT.strip()


def test_structured_tool_calls_pass_through() -> None:
    call = {"id": "call_9", "type": "function",
            "function": {"name": "kg_lookup", "arguments": '{"fault_id": "stiff_landing"}'}}
    message = answering(None, [call]).model().bind_tools([kg_lookup]).invoke("Hi")
    assert [(c["id"], c["name"], c["args"]) for c in message.tool_calls] == [
        ("call_9", "kg_lookup", {"fault_id": "stiff_landing"})]


# -- streaming ------------------------------------------------------------------------------
STREAMED = ("<think>\nI should look at the knee first.\n</think>\n\n"
            "Bend your knees <more> on landing.")


def _pieces(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 1000], ids=lambda n: f"chunk{n}")
def test_stream_never_shows_think_text(size: int) -> None:
    server = streaming(_pieces(STREAMED, size))
    chunks = list(server.model().stream("Hi"))
    shown = "".join(str(c.content) for c in chunks)
    assert shown == "Bend your knees <more> on landing."
    assert all("think" not in str(c.content) for c in chunks)
    reasoning = "".join(c.additional_kwargs.get(REASONING_KEY, "") for c in chunks)
    assert reasoning.strip() == "I should look at the knee first."


@pytest.mark.parametrize("size", [1, 4, 1000], ids=lambda n: f"chunk{n}")
def test_stream_reads_text_tool_calls(size: int) -> None:
    server = streaming(_pieces(f"Checking.{TOOL_TEXT}", size))
    chunks = list(server.model().bind_tools([kg_lookup]).stream("Hi"))
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == "Checking."
    assert [(c["name"], c["args"]) for c in merged.tool_calls] == [
        ("kg_lookup", {"fault_id": "knee_valgus"})]


def test_async_stream_and_invoke_strip_thinking() -> None:
    server = streaming(_pieces(STREAMED, 3))
    model = server.model()

    async def run() -> tuple[str, str]:
        shown = "".join([str(c.content) async for c in model.astream("Hi")])
        answer = await answering("<think>x</think>ok").model().ainvoke("Hi")
        return shown, str(answer.content)

    assert asyncio.run(run()) == ("Bend your knees <more> on landing.", "ok")


@pytest.mark.parametrize(("pieces", "visible", "thinking"), [
    # a lone </think> (template pre-filled <think>): what came before was already shown
    (["plan</think>\n\nAnswer"], "plan\n\nAnswer", ""),
    (["Answer <think>cut off by the tok", "en limit"], "Answer ", "cut off by the token limit"),
    (["a <thin", "g> b"], "a <thing> b", ""),
    (["<", "/", "think", ">x"], "x", ""),
], ids=["lone-close", "unclosed", "tag-lookalike", "split-close"])
def test_splitter_edge_cases(pieces: list[str], visible: str, thinking: str) -> None:
    splitter = ThinkingStreamSplitter(collect_tool_calls=False)
    parts = [splitter.feed(p) for p in pieces] + [splitter.flush()]
    assert "".join(v for v, _ in parts) == visible
    assert "".join(t for _, t in parts) == thinking


# -- failures ----------------------------------------------------------------------
def _failing(exc: Exception) -> FakeServer:
    def respond(body: dict[str, Any]) -> httpx.Response:
        raise exc
    return FakeServer(respond)


def test_timeout_is_typed_after_the_retries() -> None:
    server = _failing(httpx.ReadTimeout("slow"))
    with pytest.raises(LLMTimeoutError, match=r"did not answer within 5\.0 s") as caught:
        server.model(max_retries=1).invoke("Hi")
    assert len(server.requests) == 2
    assert caught.value.base_url == BASE


def test_refused_connection_is_typed_after_the_retries() -> None:
    server = _failing(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(LLMUnavailableError, match="Connection refused"):
        server.model(max_retries=1).invoke("Hi")
    assert len(server.requests) == 2


def test_stream_failure_is_typed() -> None:
    server = _failing(httpx.ConnectError("refused"))
    with pytest.raises(LLMUnavailableError):
        list(server.model().stream("Hi"))


def test_stream_closed_without_output_is_a_server_error() -> None:
    # llama-cpp-python's server answers 200, then fails (prompt over its context window)
    server = FakeServer(lambda body: httpx.Response(
        200, content=b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"}))
    with pytest.raises(LLMServerError, match=r"ended the stream .* without any output"):
        list(server.model().stream("Hi"))

    async def run() -> None:
        async for _ in server.model().astream("Hi"):
            pass

    with pytest.raises(LLMServerError, match="without any output"):
        asyncio.run(run())


def test_error_status_is_typed_with_the_code() -> None:
    server = FakeServer(lambda body: httpx.Response(
        404, json={"error": {"message": "model 'qwen-test' not found"}}))
    with pytest.raises(LLMServerError, match="HTTP 404") as caught:
        server.model().invoke("Hi")
    assert caught.value.status_code == 404


@pytest.mark.parametrize(("show", "mode"), [(False, "off"), (True, "auto")],
                         ids=["thinking-hidden", "thinking-shown"])
def test_transformers_backend_from_a_checkpoint_folder(tmp_path: Path, show: bool,
                                                       mode: str) -> None:
    pytest.importorskip("transformers")
    from sportsgpt.agents.llm.qwen_transformers import QwenTransformersChat

    settings = LLMSettings(backend="transformers", model_path=tmp_path, context_tokens=4096,
                           show_thinking=show)
    model, info = make_chat_model(settings)  # loading is lazy: no weights are read here
    assert isinstance(model, QwenTransformersChat)
    assert (model.model_path, model.context_length, model.thinking) == (tmp_path, 4096, mode)
    assert info == BackendInfo(name="transformers", model=str(tmp_path))
