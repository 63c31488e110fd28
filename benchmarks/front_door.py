"""Benchmark: the front door's costs a user feels on every command.

Rows (each a median of ``--repeat`` runs, in this process or in fresh subprocesses):

* ``sportsgpt --help`` and a usage error, against ``python -c pass`` run the same way
  (the interpreter's own start is the peer; target: --help under 0.5 s);
* ``analyze`` of a real jump (CMU 16_01) through :func:`sportsgpt.api.analyze_file`, with
  the number of preprocessing passes it made (counted by wrapping the preprocessing
  function): one pass is the target;
* ``kb search`` through the API context, cold (first call: model load, and the store
  built on first use when needed) and warm (the model already loaded; target under
  100 ms at the curated size), in a temporary cache so nothing of the user's is touched.

Usage::

    .venv/bin/python benchmarks/front_door.py [--repeat 7] [--out benchmarks/results/front_door.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


WARM_QUERIES = ("how deep should I dip before a jump?", "my knees cave in when I squat",
                "what is a good arm swing?", "how do I land more softly?")


def _subprocess_median(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def startup_rows(repeat: int) -> list[tuple[str, float, str]]:
    """Fresh-process timings of the CLI against the bare interpreter."""
    env = dict(os.environ)
    exe = sys.executable
    script = Path(exe).parent / "sportsgpt"
    cli = [str(script)] if script.is_file() else [exe, "-m", "sportsgpt.cli"]
    base = _subprocess_median([exe, "-c", "pass"], repeat, env)
    rows = [("python -c pass (peer)", base, "")]
    for label, args in (("sportsgpt --help", ["--help"]),
                        ("sportsgpt analyze --help", ["analyze", "--help"]),
                        ("usage error (unknown movement)",
                         ["analyze", "x.amc", "--movement", "nope"])):
        t = _subprocess_median(cli + args, repeat, env)
        rows.append((label, t, f"{t / base:.1f}x the interpreter"))
    return rows


def analyze_rows(repeat: int) -> list[tuple[str, float, str]]:
    """analyze_file on CMU 16_01 (named and auto), with preprocessing passes counted."""
    import sportsgpt.tools.prepare as prep_module
    from sportsgpt import api
    from sportsgpt.tools.datasets import cmu_trial_path

    path = cmu_trial_path("16_01")
    calls = {"n": 0}
    original = prep_module.preprocess

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return original(*args, **kwargs)

    prep_module.preprocess = counting  # type: ignore[assignment]
    rows = []
    try:
        for movement in ("countermovement_jump", "auto"):
            api.analyze_file(path, movement)  # warm: numba compiled, templates cached
            calls["n"] = 0
            t = _median(lambda m=movement: api.analyze_file(path, m), repeat)
            passes = calls["n"] / repeat
            rows.append((f"analyze 16_01 --movement {movement}", t,
                         f"{passes:g} preprocessing pass(es) per analysis"))
    finally:
        prep_module.preprocess = original  # type: ignore[assignment]
    return rows


def kb_rows(repeat: int) -> list[tuple[str, float, str]]:
    """kb search through the API: cold (load + first-use build) and warm."""
    from sportsgpt import api
    from sportsgpt.core.settings import Settings

    with tempfile.TemporaryDirectory() as cache:
        settings = Settings.from_env({"SPORTSGPT_CACHE": cache})
        query = "why does my knee cave in when I land?"
        t = time.perf_counter()
        with api.SportsGPT(settings, progress=None) as ctx:
            hits = api.kb_search(ctx, query)
            cold = time.perf_counter() - t
            queries = iter([f"{q} (variant {i})" for i in range(repeat) for q in WARM_QUERIES])
            warm = _median(lambda: api.kb_search(ctx, next(queries)), repeat)
            n = ctx.store.stats().get("qa_pairs", 0)
        t = time.perf_counter()
        with api.SportsGPT(settings, progress=None) as ctx:
            api.kb_search(ctx, query)
            reopen = time.perf_counter() - t
    top = hits[0].qa.id if hits else "none"
    return [("kb search, first use (model load + build of the store)", cold,
             f"{n} QA pairs; top hit {top}"),
            ("kb search, a second context on the built store (imports done, model loaded "
             "from disk)", reopen, ""),
            ("kb search, warm (model loaded once; a new query each time, so the query "
             "is embedded)", warm, "target < 0.1 s")]


def main() -> None:
    """Run every row and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/front_door.md")
    args = parser.parse_args()
    rows = startup_rows(args.repeat) + analyze_rows(args.repeat) + kb_rows(args.repeat)
    lines = ["# Front door: startup, analyze, kb search", "",
             f"Command: `python benchmarks/front_door.py --repeat {args.repeat}`; "
             f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}; medians.", "",
             "| what | seconds | note |", "|---|---:|---|"]
    lines += [f"| {label} | {t:.3f} | {note} |" for label, t, note in rows]
    lines += ["", "Before the prepare-once change (commit e2a8b1c), `analyze` preprocessed every "
              "recording twice (`api.analyze_file` and `assess` each ran it), counted the same "
              "way: 2 passes, 0.113 s named and 0.194 s auto on 16_01 (measured on a loaded "
              "machine, so compare the pass counts, not the seconds)."]
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
