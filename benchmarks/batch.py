"""Batch throughput: local processes, Ray and Dask on a folder of all shared recordings.

    .venv/bin/python benchmarks/batch.py [--engines local,ray,dask] [--workers 1,2]

Writes ``benchmarks/results/batch.md``: engine startup, per-task overhead (no-op tasks),
recordings per second at 1 and 2 workers, each engine's overhead against the plain local
run, the numba warm-up per process, a check that every run gives identical rows, and a
projection to 100,000 recordings. The folder is made of links (in a temporary folder) to
the CMU jumps (ASF/AMC), the UI-PRMD deep squats (m01) and the OpenCap ``.mot`` samples.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sportsgpt.api import data_home
from sportsgpt.batch import BatchItem, expand_inputs, run_batch_items

RESULTS = Path(__file__).parent / "results" / "batch.md"
NOOP_TASKS = 40


def shared_folder(root: Path) -> Path:
    """A folder of links to every shared recording the batch is benchmarked on."""
    folder = root / "recordings"
    folder.mkdir()
    cmu = data_home("cmu-mocap-jumps")
    picks = [*cmu.glob("*.amc"), *cmu.glob("*.asf"),
             *(data_home("ui-prmd") / "Segmented Movements" / "Vicon" / "Positions")
             .glob("m01_*"),
             *data_home("opencap-samples").glob("*.mot")]
    for p in sorted(picks):
        (folder / p.name).symlink_to(p)
    return folder


def _noop(i: int) -> int:
    return i


def engine_overhead(engine: str, workers: int) -> tuple[float, float]:
    """(startup s, per-task overhead ms): cluster start + first task, then no-op tasks."""
    t0 = time.perf_counter()
    if engine == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, logging_level="ERROR",
                 log_to_driver=False)
        fn = ray.remote(num_cpus=1)(_noop)
        ray.get(fn.remote(0))
        t1 = time.perf_counter()
        ray.get([fn.remote(i) for i in range(NOOP_TASKS)])
        t2 = time.perf_counter()
        ray.shutdown()
    else:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        client.submit(_noop, 0).result()
        t1 = time.perf_counter()
        client.gather([client.submit(_noop, i, pure=False) for i in range(NOOP_TASKS)])
        t2 = time.perf_counter()
        client.close()
        cluster.close()
    return t1 - t0, 1000.0 * (t2 - t1) / NOOP_TASKS


def timed_run(items: list[BatchItem], out: Path, engine: str, workers: int,
              repeats: int) -> tuple[float, Any, Any, float]:
    """Best wall time of ``repeats`` full batches (each from an empty output), the summary
    and table of the best, and the mean 1-minute load average seen around the runs."""
    import pandas as pd

    best: tuple[float, Any, Any] | None = None
    loads = []
    for r in range(repeats):
        target = out.with_name(f"{out.stem}_{r}{out.suffix}")
        loads.append(os.getloadavg()[0])
        t0 = time.perf_counter()
        summary = run_batch_items(items, target, engine=engine, workers=workers,
                                  progress=False)
        wall = time.perf_counter() - t0
        loads.append(os.getloadavg()[0])
        if best is None or wall < best[0]:
            best = (wall, summary, pd.read_parquet(target))
    assert best is not None
    return (*best, statistics.mean(loads))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="local,ray,dask")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs per configuration; the fastest is reported")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()
    engines = args.engines.split(",")
    worker_counts = [int(w) for w in args.workers.split(",")]
    command = "PYTHONHASHSEED=0 .venv/bin/python benchmarks/batch.py " + " ".join(
        a for a in sys.argv[1:] if not a.startswith("--out"))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        items = expand_inputs([str(shared_folder(root))])
        n = len(items)
        print(f"{n} recordings", file=sys.stderr)
        runs: dict[tuple[str, int], tuple[float, Any]] = {}
        load: dict[tuple[str, int], float] = {}
        frames: dict[tuple[str, int], Any] = {}
        overhead: dict[tuple[str, int], tuple[float, float]] = {}
        for engine in engines:
            for w in worker_counts:
                if engine != "local":
                    overhead[(engine, w)] = engine_overhead(engine, w)
                    print(f"{engine} x{w}: startup {overhead[(engine, w)][0]:.2f} s, "
                          f"{overhead[(engine, w)][1]:.2f} ms/task", file=sys.stderr)
                wall, summary, frame, load[(engine, w)] = timed_run(
                    items, root / f"{engine}{w}.parquet", engine, w, args.repeats)
                runs[(engine, w)] = (wall, summary)
                frames[(engine, w)] = frame
                print(f"{engine} x{w}: {wall:.1f} s, {n / wall:.2f} rec/s, "
                      f"{summary.failed} failed", file=sys.stderr)

    base_key = ("local", 1) if ("local", 1) in frames else next(iter(frames))
    base = frames[base_key]
    identical = {k: bool(f.equals(base)) for k, f in frames.items()}
    lines = [
        "# Batch throughput: local processes, Ray, Dask", "",
        f"Command: `{command}`", "",
        f"Machine: {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"{platform.machine()}. Folder: {n} recordings "
        "(CMU jumps ASF/AMC, UI-PRMD deep squats m01, OpenCap .mot), --movement auto, "
        f"Parquet out; each run starts from an empty output (no resume); best of "
        f"{args.repeats} runs per row. The 1-minute load average of the machine during "
        "the runs is shown (the benchmark's own work counts in it: about 1 per busy "
        "worker); a load well above the worker count means other jobs shared the cores, "
        "and parallel speed-ups are then a lower bound.", "",
        f"Rows: {len(base)} ({int((base['status'] == 'failed').sum())} failed-file rows). "
        "Identical to the plain local run (1 worker): "
        + ", ".join(f"{e} x{w}: {'yes' if ok else 'NO'}" for (e, w), ok in identical.items()),
        "", "## Throughput", "",
        "| engine | workers | wall s | recordings/s | overhead vs local | "
        "first call per process s (mean) | warm call s (median) | load avg |",
        "|---|---|---|---|---|---|---|---|"]
    base_wall = runs[base_key][0]
    for (engine, w), (wall, s) in runs.items():
        first = statistics.mean(s.first_call_s) if s.first_call_s else float("nan")
        warm = statistics.median(s.warm_call_s) if s.warm_call_s else float("nan")
        local_same = runs.get(("local", w), (wall, s))[0]
        lines.append(f"| {engine} | {w} | {wall:.1f} | {n / wall:.2f} | "
                     f"{wall - local_same:+.1f} s vs local x{w}, "
                     f"{wall - base_wall:+.1f} s vs local x1 | {first:.2f} | {warm:.3f} | "
                     f"{load[(engine, w)]:.1f} |")
    if overhead:
        lines += ["", "## Engine startup and per-task overhead", "",
                  f"Startup: cluster start until a first no-op task returns. Per task: "
                  f"{NOOP_TASKS} no-op tasks submitted at once, wall time / {NOOP_TASKS}.",
                  "", "| engine | workers | startup s | per-task ms |", "|---|---|---|---|"]
        for (engine, w), (start, per) in overhead.items():
            lines.append(f"| {engine} | {w} | {start:.2f} | {per:.2f} |")
    lines += ["", "## Projection: 100,000 recordings", ""]
    lines += projection(runs, n)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


def projection(runs: dict[tuple[str, int], tuple[float, Any]], n: int) -> list[str]:
    """The written projection from the measured per-recording cost."""
    warm = [t for _, s in runs.values() for t in s.warm_call_s]
    per_rec = statistics.median(warm) if warm else min(w for w, _ in runs.values()) / n
    best = max(runs.items(), key=lambda kv: n / kv[1][0])
    (engine, w), (wall, _) = best
    core_hours = 100_000 * per_rec / 3600
    lines = [
        f"Measured median warm analysis time per recording: {per_rec:.3f} s on one core "
        f"(these recordings: 1-30 s of 100-240 Hz motion). Best measured throughput: "
        f"{n / wall:.2f} recordings/s ({engine}, {w} workers, {n / wall / w:.2f} per worker).",
        "",
        f"- CPU work: 100,000 x {per_rec:.3f} s = {core_hours:.1f} core-hours; the task is "
        "embarrassingly parallel (one file per task, a few kB of rows back), so it scales "
        "with cores until reading the files dominates.",
    ]
    for cores in (2, 16, 64, 256):
        hours = core_hours / cores
        where = "this machine" if cores == 2 else f"{cores // 16} x 16-core machines"
        lines.append(f"- {cores} cores ({where}): "
                     f"about {hours:.1f} h ({60 * hours:.0f} min) of analysis, plus "
                     "per-process warm-up (a few seconds, once per worker) and the "
                     "engine's per-task overhead (milliseconds, below 1% of a task).")
    lines += ["",
              "Assumptions: per-recording cost as measured here (longer recordings cost "
              "roughly in proportion to their frames for preparation and to frames x "
              "template length for MotionDTW); shared input storage fast enough to read "
              "100,000 files (a few GB); the per-file parts and the journal on storage the "
              "driver can write. Writing the final table from 100,000 parts is one pass in "
              "the driver (pandas + pyarrow; seconds to a minute)."]
    return lines


if __name__ == "__main__":
    sys.exit(main())
