"""Benchmark: how long the coach takes to answer "what's wrong with my jump?".

Rows:

* ``none`` backend (the deterministic composer), warm: the median of ``--repeat`` full
  answers (each a new thread, so the recording is analysed every time) after one
  warm-up answer, with the share of the time spent in analysis (``analyze_recording``),
  knowledge lookups (``lookup_fault_knowledge`` + ``search_knowledge``) and the rest
  (routing, composition, verification, rendering). Target: under 1.5 s.
* each model backend that is installed: ``transformers`` with a tiny random Qwen3 (the
  real Qwen3 tokenizer; built as the integration tests build it) and ``openai`` against
  llama-cpp-python's server running SmolLM2-135M (extra ``llm-test``): time to the
  first streamed token, streamed text chunks (about one token each), model calls, tool
  calls the model made, whether the composer had to answer, and the total.

The recording is 600 frames: CMU 16_01 (322 frames at 120 Hz) with its first frame
repeated 139 times before it and its last frame 139 times after it (standing still).
The knowledge store lives in a temporary cache and uses the configured embedding model
(``--hashing`` uses the model-free hashing embedder instead).

Usage::

    .venv/bin/python benchmarks/coach.py [--repeat 7] [--out benchmarks/results/coach.md]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "what's wrong with my jump?"
FRAMES = 600
KNOWLEDGE_TOOLS = ("lookup_fault_knowledge", "search_knowledge")


def padded_jump(out: Path) -> Path:
    """CMU 16_01 padded with standing frames to 600 frames, as a generic .npz."""
    from sportsgpt import api
    from sportsgpt.tools.datasets import cmu_trial_path

    motion = api.load_motion(cmu_trial_path("16_01"))
    pos = motion.positions
    extra = FRAMES - pos.shape[0]
    before, after = extra // 2, extra - extra // 2
    padded = np.concatenate([np.repeat(pos[:1], before, axis=0), pos,
                             np.repeat(pos[-1:], after, axis=0)])
    path = out / "16_01_padded600.npz"
    np.savez(path, positions=padded, joint_names=np.array(motion.joints),
             fps=np.float64(motion.fps), units="m", up_axis="y")
    return path


class ToolClock:
    """Wraps the registry's ``call`` to time (and count) every tool call."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()

    @contextmanager
    def installed(self) -> Iterator[ToolClock]:
        from sportsgpt.tools.registry import ToolRegistry

        real = ToolRegistry.call

        def timed(registry: ToolRegistry, name: str, args: Any, deps: Any) -> Any:
            start = time.perf_counter()
            try:
                return real(registry, name, args, deps)
            finally:
                self.seconds[name] += time.perf_counter() - start
                self.calls[name] += 1

        ToolRegistry.call = timed  # type: ignore[method-assign]
        try:
            yield self
        finally:
            ToolRegistry.call = real  # type: ignore[method-assign]

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def _context(cache: Path, hashing: bool, env: dict[str, str] | None = None) -> Any:
    from sportsgpt import api
    from sportsgpt.core.settings import Settings

    settings = Settings.from_env({"SPORTSGPT_CACHE": str(cache), **(env or {})})
    embedder = None
    if hashing:
        from sportsgpt.graph_kb.embeddings import HashingEmbedder

        embedder = HashingEmbedder(64)
    return api.SportsGPT(settings, embedder=embedder, progress=None)


def bench_none(recording: Path, cache: Path, repeat: int, hashing: bool) -> list[str]:
    """The deterministic path: median latency and where the time goes."""
    from sportsgpt import api

    clock = ToolClock()
    totals: list[float] = []
    parts: dict[str, list[float]] = {"analysis": [], "knowledge": [], "rest": []}
    with _context(cache, hashing) as ctx, clock.installed():
        _ = ctx.store, ctx.embedder
        api.coach(ctx, QUESTION, recordings=[recording])  # warm-up: numba, model, caches
        for _ in range(repeat):
            clock.reset()
            start = time.perf_counter()
            answer = api.coach(ctx, QUESTION, recordings=[recording])
            total = time.perf_counter() - start
            totals.append(total)
            analysis = clock.seconds["analyze_recording"]
            knowledge = sum(clock.seconds[t] for t in KNOWLEDGE_TOOLS)
            parts["analysis"].append(analysis)
            parts["knowledge"].append(knowledge)
            parts["rest"].append(total - analysis - knowledge)
    med = statistics.median(totals)
    share = {k: statistics.median(v) for k, v in parts.items()}
    verdict = "meets" if med < 1.5 else "misses"
    return [
        "## `none` backend (deterministic composer), warm",
        "",
        f"Median of {repeat} answers after one warm-up; each a new thread (the recording is "
        f"analysed every time). Target under 1.5 s: **{verdict}** ({med:.3f} s).",
        "",
        "| part | median s | share of the median answer |",
        "|---|---:|---:|",
        *[f"| {name} | {share[key]:.3f} | {share[key] / med:.0%} |" for name, key in (
            ("analysis (`analyze_recording`)", "analysis"),
            ("knowledge lookups (`lookup_fault_knowledge` + `search_knowledge`)", "knowledge"),
            ("routing, composition, verification, rendering", "rest"))],
        f"| **full answer** | **{med:.3f}** | 100% |",
        "",
        f"Min {min(totals):.3f} s, max {max(totals):.3f} s. Findings: "
        f"{', '.join(f['fault_id'] for f in answer.findings) or 'none'}; tool calls per "
        f"answer: {dict(clock.calls)}.",
        "",
    ]


def _model_row(name: str, recording: Path, cache: Path, hashing: bool,
               env: dict[str, str]) -> str:
    """One backend's row; a run that raises is reported as such, not hidden."""
    start = time.perf_counter()
    try:
        return _model_answer(name, recording, cache, hashing, env)
    except Exception as exc:  # the row records the failure; the benchmark goes on
        msg = f"{type(exc).__name__}: {exc}"[:90].replace("|", "/")
        return (f"| {name} | | - | - | - | **crashed: {msg}** | - | "
                f"{time.perf_counter() - start:.1f} |")


def _model_answer(name: str, recording: Path, cache: Path, hashing: bool,
                  env: dict[str, str]) -> str:
    from sportsgpt import api

    clock = ToolClock()
    with _context(cache, hashing, env) as ctx, clock.installed():
        _ = ctx.store, ctx.embedder
        api.coach(ctx, "warm up", recordings=[])  # loads the model (a knowledge question)
        deterministic = ToolClock()
        with _context(cache, hashing) as plain, deterministic.installed():
            api.coach(plain, QUESTION, recordings=[recording])
        clock.reset()
        start = time.perf_counter()
        first: float | None = None
        chunks = 0
        answer: Any = None
        for kind, payload in api.coach_stream(ctx, QUESTION, recordings=[recording]):
            if kind == "token":
                chunks += 1
                if first is None:
                    first = time.perf_counter() - start
            elif kind == "answer":
                answer = payload
        total = time.perf_counter() - start
    model_tools = sum(clock.calls.values()) - sum(deterministic.calls.values())
    failed = [s.note[:60] for s in answer.steps if s.tool == "model" and not s.ok]
    reason = (answer.fallback.reason or "")[:70].replace("|", "/")
    first_s = f"{first:.2f}" if first is not None else "no token streamed"
    return (f"| {name} | {answer.backend.model or ''} | {first_s} | {chunks} | "
            f"{model_tools} | {'yes: ' + reason if answer.fallback.used else 'no'} | "
            f"{'; '.join(failed) or '-'} | {total:.1f} |")


def bench_models(recording: Path, cache: Path, hashing: bool, work: Path) -> list[str]:
    """Per installed model backend: first token, chunks, tool calls, total."""
    import pytest

    sys.path.insert(0, str(ROOT))
    from tests.integration.llm_fixtures import SMOLLM2_ALIAS, build_tiny_qwen, llama_server

    rows: list[str] = []
    skipped: list[str] = []
    try:
        ckpt = build_tiny_qwen(work / "tiny-qwen3")
        rows.append(_model_row("transformers (tiny random Qwen3, CPU)", recording, cache,
                               hashing, {"SPORTSGPT_LLM_BACKEND": "transformers",
                                         "SPORTSGPT_LLM_MODEL_PATH": str(ckpt)}))
    except pytest.skip.Exception as exc:
        skipped.append(f"transformers: {exc.msg}")
    try:
        with ExitStack() as stack:
            (work / "llama").mkdir()
            url = stack.enter_context(llama_server(work / "llama", n_ctx=8192))
            rows.append(_model_row("openai (llama.cpp server, SmolLM2-135M, CPU)", recording,
                                   cache, hashing, {"SPORTSGPT_LLM_BACKEND": "openai",
                                                    "SPORTSGPT_LLM_BASE_URL": url,
                                                    "SPORTSGPT_LLM_MODEL": SMOLLM2_ALIAS,
                                                    "SPORTSGPT_LLM_TIMEOUT": "120",
                                                    "SPORTSGPT_LLM_RETRIES": "0"}))
    except pytest.skip.Exception as exc:
        skipped.append(f"openai: {exc.msg}")
    lines = [
        "## Model backends (one answer each, after loading the model)",
        "",
        "Time to the first streamed token, streamed text chunks (about one token each), tool "
        "calls the model made beyond the deterministic path's, and whether the composer "
        "answered (tiny models do not write valid guidance, so it should).",
        "",
        "| backend | model | first token s | chunks | model tool calls | composer answered "
        "| failed model calls | total s |",
        "|---|---|---:|---:|---:|---|---|---:|",
        *rows, ""]
    lines += [f"Skipped: {s}" for s in skipped]
    return lines


def main() -> None:
    """Run the benchmark and write the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--hashing", action="store_true",
                        help="use the model-free hashing embedder for the knowledge store")
    parser.add_argument("--no-models", action="store_true", help="only the none backend")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/coach.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        recording = padded_jump(work)
        lines = ["# Coach latency", "",
                 f"Command: `python benchmarks/coach.py --repeat {args.repeat}"
                 f"{' --hashing' if args.hashing else ''}"
                 f"{' --no-models' if args.no_models else ''}`; "
                 f"{platform.processor() or platform.machine()}, Python "
                 f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}.", "",
                 f"Recording: CMU 16_01 padded with standing frames to {FRAMES} frames "
                 "(139 copies of its first frame before, 139 of its last after; 120 Hz). "
                 "Question: \"what's wrong with my jump?\". Embedder: "
                 f"{'hashing (64 dims)' if args.hashing else 'the configured model'}.", ""]
        lines += bench_none(recording, work / "cache", args.repeat, args.hashing)
        if not args.no_models:
            lines += bench_models(recording, work / "cache", args.hashing, work)
    text = "\n".join(lines).rstrip() + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
