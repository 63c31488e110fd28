"""Speed of MotionDTW's numba DTW against dtaidistance (C), tslearn and fastdtw.

Run from the repository root::

    .venv/bin/python benchmarks/dtw_speed.py

Writes benchmarks/results/dtw_speed.md (a Markdown report with the exact command,
machine info and load averages). Every timing is the median over repeats of one
single-threaded call on identical float64 arrays; compile time is measured apart,
in fresh processes with an empty numba cache. Settings are identical across
libraries: squared Euclidean local cost, "symmetric1" steps, no pruning, no psi,
window None (full matrix) unless stated; distance = sqrt(accumulated cost).
fastdtw is approximate (radius 1, its default) and only a reference point; the
installed fastdtw is its pure-Python build.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

# Single-threaded as the tables say: idle BLAS/OpenMP worker threads left spinning by one
# library (tslearn, numpy's BLAS) otherwise steal the second core from the next timing
# (measured: a 600-frame alignment read 5.7 ms instead of 3.4 ms).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings)

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = 24
LENGTHS = (120, 300, 1000, 3000)


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    """Median wall time in seconds of ``repeats`` calls (after one untimed warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sq_euclidean(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    return float(d @ d)


def compile_times() -> dict[str, float]:
    """First-call and cached-load times of our kernels, each in a fresh process."""
    code = textwrap.dedent("""
        import json, time
        import numpy as np
        t0 = time.perf_counter()
        from sportsgpt.tools.motiondtw.dtw import dtw, subsequence_dtw
        t_import = time.perf_counter() - t0
        x = np.zeros((5, 3)); y = np.ones((6, 3))
        out = {"import_s": t_import}
        for name, fn in [("dtw_cost_s", lambda: dtw(x, y, return_path=False)),
                         ("dtw_path_s", lambda: dtw(x, y)),
                         ("dtw_weighted_s", lambda: dtw(x, y, weights=np.ones(3))),
                         ("subsequence_s", lambda: subsequence_dtw(x, y))]:
            t0 = time.perf_counter(); fn(); out[name] = time.perf_counter() - t0
        print(json.dumps(out))
    """)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold", "cached"):
            run = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            for key, value in json.loads(run.stdout).items():
                results[f"{label}_{key}"] = value
    return results


def equal_length_case(t: int, window: int | None, reps: int,
                      rng: np.random.Generator) -> dict[str, Any]:
    from dtaidistance import dtw_ndim
    from fastdtw import fastdtw
    from tslearn.metrics import dtw as ts_dtw
    from tslearn.metrics import dtw_path as ts_dtw_path

    from sportsgpt.tools.motiondtw.dtw import dtw

    x = np.cumsum(rng.normal(size=(t, CHANNELS)), axis=0)
    y = np.cumsum(rng.normal(size=(t, CHANNELS)), axis=0)
    row: dict[str, Any] = {"T": t, "window": window}
    row["ours_cost"] = median_time(lambda: dtw(x, y, window=window, return_path=False), reps)
    row["dtai_cost"] = median_time(
        lambda: dtw_ndim.distance_fast(x, y, window=window, use_pruning=False, psi=None), reps)
    row["ours_path"] = median_time(lambda: dtw(x, y, window=window), reps)
    row["dtai_path"] = median_time(
        lambda: dtw_ndim.warping_path(x, y, window=window, psi=None, use_c=True), reps)
    ours = dtw(x, y, window=window)
    theirs = dtw_ndim.distance_fast(x, y, window=window, use_pruning=False, psi=None)
    their_path = np.array(dtw_ndim.warping_path(x, y, window=window, use_c=True))
    row["abs_diff_dtai"] = abs(ours.distance - theirs)
    row["same_path_dtai"] = bool(np.array_equal(ours.path, their_path))
    if window is None:
        row["tslearn_cost"] = median_time(lambda: ts_dtw(x, y), reps)
        row["tslearn_path"] = median_time(lambda: ts_dtw_path(x, y), reps)
        row["abs_diff_tslearn"] = abs(ours.distance - float(ts_dtw(x, y)))
        row["fastdtw"] = median_time(lambda: fastdtw(x, y, dist=sq_euclidean), min(reps, 3))
        approx = float(np.sqrt(fastdtw(x, y, dist=sq_euclidean)[0]))
        row["fastdtw_excess"] = approx / ours.distance - 1.0
    return row


def equal_length_rows(repeats: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    rows = []
    cases: list[tuple[int, int | None]] = [(t, None) for t in LENGTHS] + [(1000, 100)]
    for t, window in cases:
        reps = repeats if t <= 1000 else max(3, repeats // 2)
        row = equal_length_case(t, window, reps, rng)
        rows.append(row)
        print(f"T={t} window={window}: ours {row['ours_cost'] * 1e3:.2f} ms, "
              f"dtaidistance {row['dtai_cost'] * 1e3:.2f} ms", flush=True)
    return rows


def subsequence_row(repeats: int, rng: np.random.Generator) -> dict[str, Any]:
    from dtaidistance.subsequence.subsequencealignment import SubsequenceAlignment
    from tslearn.metrics import dtw_subsequence_path

    from sportsgpt.tools.motiondtw.dtw import find_matches, subsequence_dtw

    series = np.cumsum(rng.normal(size=(1000, CHANNELS)), axis=0)
    query = series[400:650] + rng.normal(scale=0.1, size=(250, CHANNELS))

    def ours() -> None:
        find_matches(subsequence_dtw(query, series), max_matches=3)

    def dtai() -> None:
        sa = SubsequenceAlignment(query, series, penalty=0.0, use_c=True)
        sa.best_match()

    best = find_matches(subsequence_dtw(query, series), max_matches=1)[0]
    ts_path, _ = dtw_subsequence_path(query, series)
    return {
        "ours": median_time(ours, repeats),
        "dtai": median_time(dtai, repeats),
        "tslearn": median_time(lambda: dtw_subsequence_path(query, series), repeats),
        "ours_match": (best.start, best.end),
        "tslearn_match": (int(ts_path[0][1]), int(ts_path[-1][1])),
    }


def throughput_row(rng: np.random.Generator, n_recordings: int, window: int) -> dict[str, Any]:
    from dtaidistance import dtw_ndim

    from sportsgpt.tools.motiondtw.dtw import dtw

    template = np.cumsum(rng.normal(size=(250, CHANNELS)), axis=0)
    recordings = [np.cumsum(rng.normal(size=(600, CHANNELS)), axis=0)
                  for _ in range(n_recordings)]

    def loop(fn: Callable[[np.ndarray], Any]) -> float:
        fn(recordings[0])
        t0 = time.perf_counter()
        for rec in recordings:
            fn(rec)
        return n_recordings / (time.perf_counter() - t0)

    return {
        "ours_cost": loop(lambda r: dtw(template, r, window=window, return_path=False)),
        "ours_path": loop(lambda r: dtw(template, r, window=window)),
        "dtai_cost": loop(lambda r: dtw_ndim.distance_fast(template, r, window=window,
                                                           use_pruning=False, psi=None)),
        "dtai_path": loop(lambda r: dtw_ndim.warping_path(template, r, window=window,
                                                          use_c=True)),
    }


def pipeline_rows(repeats: int) -> list[dict[str, Any]]:
    """The whole MotionDTW pipeline on real recordings (shipped templates).

    ``align_channels``: both stages (find + align) and keyframe refinement on
    precomputed channels; ``channels``: preprocessing + kinematics (+ relative
    pelvis height) from joint positions; 600-frame recordings are cut from the
    trials (a jump fits in 600 frames at 120 Hz).
    """
    from sportsgpt.tools.datasets import load_cmu_trial, load_ui_prmd
    from sportsgpt.tools.motiondtw.align import align_channels
    from sportsgpt.tools.motiondtw.features import motion_channels
    from sportsgpt.tools.motiondtw.templates import load_template

    cases = [("CMU 16_02 (CMJ)", load_cmu_trial("16_02"), "countermovement_jump"),
             ("CMU 118_14 (SLJ), first 600 frames", load_cmu_trial("118_14"),
              "standing_long_jump"),
             ("UI-PRMD m01 s01 e01 (squat)", load_ui_prmd("deep_squat", 1, 1), "deep_squat")]
    out = []
    for name, motion, movement in cases:
        motion = motion.slice_frames(0, min(600, motion.n_frames))
        tpl = load_template(movement)
        kin = motion_channels(motion)
        align_channels(kin, tpl)  # warm-up (numba kernels, caches)
        # a few ms per call: many repeats, so that the median is not one noisy burst
        t_align = median_time(lambda kin=kin, tpl=tpl: align_channels(kin, tpl),
                              max(51, 7 * repeats))
        t_chan = median_time(lambda m=motion: motion_channels(m), max(3, repeats // 2))
        out.append({"name": name, "frames": motion.n_frames, "template": tpl.n_frames,
                    "align_ms": 1000 * t_align, "channels_ms": 1000 * t_chan})
    return out


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": version("numba"),
        "dtaidistance": version("dtaidistance"),
        "tslearn": version("tslearn"),
        "fastdtw": version("fastdtw"),
        "platform": platform.platform(),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f}"


def render(command: str, info: dict[str, str], load: tuple[tuple[float, ...], tuple[float, ...]],
           wall: float, comp: dict[str, float], rows: list[dict[str, Any]],
           sub: dict[str, Any], thr: dict[str, Any], n_rec: int, window: int) -> str:
    busy = max(load[0][0], load[1][0]) > 1.5
    lines = [
        "# DTW speed: MotionDTW (numba) vs dtaidistance (C), tslearn, fastdtw",
        "",
        f"Made by: `{command}` (total {wall:.0f} s).",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()) + ".",
        "",
        f"Load average (1, 5, 15 min) at start {', '.join(f'{v:.2f}' for v in load[0])}, "
        f"at end {', '.join(f'{v:.2f}' for v in load[1])} on {info['nproc']} cores: "
        + ("**ran under load** (other engineers share the machine); absolute times are "
           "noisy, ratios less so." if busy else "no significant other load."),
        "",
        f"All inputs: float64 random walks, C = {CHANNELS} channels, query and series of "
        "equal length T; single-threaded; median wall time in ms over repeats (one "
        "warm-up call first). *cost* = accumulated cost / distance only; *path* = also the "
        "warping path. dtaidistance: `dtw_ndim.distance_fast(use_pruning=False)` and "
        "`dtw_ndim.warping_path(use_c=True)` (C library; its ndim path would otherwise be "
        "pure Python). tslearn: `dtw` / `dtw_path` (numba). fastdtw: radius 1 (default), "
        "squared-Euclidean `dist`, pure-Python build, **approximate**.",
        "",
        "| T | window | ours cost | dtai C cost | ratio ours/dtai | ours path | dtai C path "
        "| ratio ours/dtai | tslearn dtw | tslearn dtw_path | fastdtw r=1 "
        "| abs diff vs dtai | same path | fastdtw excess |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ts_cost = ms(r["tslearn_cost"]) if "tslearn_cost" in r else "-"
        ts_path = ms(r["tslearn_path"]) if "tslearn_path" in r else "-"
        fd = ms(r["fastdtw"]) if "fastdtw" in r else "-"
        excess = f"{r['fastdtw_excess'] * 100:+.3f} %" if "fastdtw_excess" in r else "-"
        lines.append(
            f"| {r['T']} | {r['window'] if r['window'] is not None else 'none'} "
            f"| {ms(r['ours_cost'])} | {ms(r['dtai_cost'])} "
            f"| **{r['ours_cost'] / r['dtai_cost']:.2f}** | {ms(r['ours_path'])} "
            f"| {ms(r['dtai_path'])} | **{r['ours_path'] / r['dtai_path']:.2f}** "
            f"| {ts_cost} | {ts_path} | {fd} | {r['abs_diff_dtai']:.1e} "
            f"| {'yes' if r['same_path_dtai'] else 'NO'} | {excess} |")
    lines += [
        "",
        "*fastdtw excess*: how much larger fastdtw's approximate distance is than the exact one.",
        "",
        "## Subsequence DTW (query 250 frames, series 1,000 frames, C = 24)",
        "",
        "| method | median ms | best match (start, end) |",
        "|---|---:|---|",
        f"| ours: `subsequence_dtw` + `find_matches(max_matches=3)` | {ms(sub['ours'])} "
        f"| {sub['ours_match']} |",
        f"| dtaidistance `SubsequenceAlignment(penalty=0, use_c=True).best_match()` "
        f"(full psi-relaxed matrix) | {ms(sub['dtai'])} | - |",
        f"| tslearn `dtw_subsequence_path` (best match only) | {ms(sub['tslearn'])} "
        f"| {sub['tslearn_match']} |",
        "",
        f"## Throughput: {n_rec:,} recordings of 600 frames vs a 250-frame template "
        f"(C = 24, window {window}, dtaidistance band semantics)",
        "",
        "| method | recordings/s |",
        "|---|---:|",
        f"| ours, cost only | {thr['ours_cost']:.0f} |",
        f"| ours, with path | {thr['ours_path']:.0f} |",
        f"| dtaidistance C, cost only | {thr['dtai_cost']:.0f} |",
        f"| dtaidistance C, with path | {thr['dtai_path']:.0f} |",
        "",
        "One call at a time through the public, validating functions (validation included).",
        "",
        "## Compile time of our kernels (fresh process, empty `NUMBA_CACHE_DIR`)",
        "",
        "| first call | cold cache (compile), s | cached (load), s |",
        "|---|---:|---:|",
    ]
    labels = [("import_s", "import of the module"), ("dtw_cost_s", "dtw, cost only"),
              ("dtw_path_s", "dtw, with path"),
              ("dtw_weighted_s", "dtw, weighted (same kernels: a runtime flag)"),
              ("subsequence_s", "subsequence_dtw")]
    for key, label in labels:
        lines.append(f"| {label} | {comp['cold_' + key]:.2f} | {comp['cached_' + key]:.3f} |")
    lines.append("")
    return "\n".join(lines)


def render_pipeline(rows: list[dict[str, Any]]) -> str:
    """Markdown for the whole-pipeline timings."""
    lines = ["## Whole MotionDTW pipeline per recording (target: <= 5 ms after warm-up)", "",
             "`align_channels`: stage 1 (subsequence DTW, NMS) + stage 2 (banded DTW) + "
             "keyframe refinement, on channels computed beforehand. *channels*: "
             "preprocessing (gap fill, zero-lag filter with residual-analysis cutoff, "
             "ground/facing) + kinematics, from joint positions; reported apart.", "",
             "| recording | frames | template frames | align_channels (ms) | channels (ms) |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['frames']} | {r['template']} | "
                     f"{r['align_ms']:.2f} | {r['channels_ms']:.1f} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/dtw_speed.md")
    args = parser.parse_args()
    exe = Path(sys.executable)
    if exe.is_relative_to(ROOT):
        exe = exe.relative_to(ROOT)
    command = " ".join(shlex.quote(str(a)) for a in [exe, *sys.argv])
    t0 = time.perf_counter()
    load_start = os.getloadavg()
    rng = np.random.default_rng(2026)
    comp = compile_times()
    print("compile:", {k: round(v, 3) for k, v in comp.items()}, flush=True)
    rows = equal_length_rows(args.repeats, rng)
    sub = subsequence_row(args.repeats, rng)
    print("subsequence:", sub, flush=True)
    thr = throughput_row(rng, args.recordings, args.window)
    print("throughput:", thr, flush=True)
    pipe = pipeline_rows(args.repeats)
    print("pipeline:", pipe, flush=True)
    load_end = os.getloadavg()
    report = render(command, machine_info(), (load_start, load_end), time.perf_counter() - t0,
                    comp, rows, sub, thr, args.recordings, args.window) + "\n" + \
        render_pipeline(pipe)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
