"""``sportsgpt batch``: many recordings into one table and a per-athlete trend report.

Inputs are files, folders (searched recursively for files of a known motion format),
glob patterns, or a CSV manifest (``path, athlete_id, date, movement, height``). Each
recording is analysed through :func:`sportsgpt.api.analyze_file` on an engine
(:mod:`local processes <concurrent.futures>`, Ray or Dask, the same task function on
each); the driver alone writes results, so every engine yields the same rows.

Resumable: the result of every finished file is written atomically as a part under
``<out>.parts/`` and then named in ``journal.jsonl``; a rerun skips journalled files
whose part exists (and whose file, options and size are unchanged), and the table is
rebuilt from all parts and replaced atomically. A file that fails becomes a row with
``status = "failed"``, its error type and message: the batch never stops for one file.
The columns are documented in ``docs/batch.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError, field_validator

from sportsgpt.core.engine import Outcome, map_unordered
from sportsgpt.core.errors import MissingDependencyError, SportsGPTError

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from sportsgpt.tools.analysis import Analysis

Engine = Literal["local", "ray", "dask"]
ENGINES: tuple[str, ...] = ("local", "ray", "dask")
TableFormat = Literal["parquet", "csv"]
SCHEMA_VERSION = 1
SWC_FACTOR = 0.2
"""Smallest worthwhile change = 0.2 x the athlete's own between-session SD (Hopkins)."""

FILE_COLUMNS: tuple[str, ...] = (
    "source", "athlete_id", "date", "height_m", "movement_requested", "status",
    "error_type", "error_message")
"""Columns every row has, failed files included (in this order)."""

REP_COLUMNS: tuple[str, ...] = (
    "movement", "movement_confidence", "repetition", "n_repetitions", "fps", "n_frames",
    "template_version", "n_findings", "faults", "max_severity", "findings_json",
    "quality_dim", "quality_view", "quality_missing_pct", "quality_match_quality",
    "quality_angle_noise_deg", "quality_notes")
"""Columns of a repetition (empty on a failed file's row), after :data:`FILE_COLUMNS`."""

METRIC_FIELDS: tuple[str, ...] = ("value", "z", "status", "target_low", "target_high", "unit")
"""Per metric id ``m``: columns ``m.value``, ``m.z``, ... (sorted by metric id)."""

_SEVERITY_ORDER = ("none", "mild", "moderate", "severe")
_SKIP_SUFFIXES = {".asf", ".md", ".png", ".jpg", ".pdf", ".html", ".parquet"}


class BatchInputError(SportsGPTError, ValueError):
    """Batch inputs that cannot be used: a missing path, a bad manifest row or option."""


class BatchItem(BaseModel):
    """One recording to analyse, with what the manifest says about it."""

    path: str
    athlete_id: str | None = None
    date: dt.date | None = None
    movement: str = "auto"
    height_m: float | None = None

    @field_validator("height_m")
    @classmethod
    def _height_plausible(cls, v: float | None) -> float | None:
        if v is not None and not 0.5 <= v <= 2.6:
            raise ValueError(f"height {v} m is outside 0.5-2.6 m")
        return v

    def key(self) -> str:
        """Identity of this piece of work: the item and the file's size and modification time."""
        p = Path(self.path)
        stat = p.stat() if p.exists() else None
        payload = [self.model_dump(mode="json"),
                   (stat.st_size, stat.st_mtime_ns) if stat else None]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


class FileResult(BaseModel):
    """What one task returns: the rows of one file, and how long it took in which process."""

    index: int
    key: str
    rows: list[dict[str, Any]]
    elapsed_s: float
    pid: int
    first_in_process: bool
    retry: bool = False
    """The engine could not run the task (a worker died): not journalled, a rerun retries."""


# ====================================================================== inputs
def _known_suffixes() -> set[str]:
    from sportsgpt.tools.io import FORMATS

    return {e for spec in FORMATS.values() for e in spec.extensions}


def _looks_like_recording(path: Path, suffixes: set[str]) -> bool:
    exts = [s.lower() for s in path.suffixes]
    if not exts or exts[-1] in _SKIP_SUFFIXES or path.name.startswith("."):
        return False
    return exts[-1] in suffixes or (len(exts) >= 2 and exts[-2] in suffixes)


def _expand_one(spec: str, suffixes: set[str]) -> list[Path]:
    path = Path(spec)
    if path.is_dir():
        found = [p for p in sorted(path.rglob("*"))
                 if p.is_file() and _looks_like_recording(p, suffixes)]
        if not found:
            raise BatchInputError(f"folder {spec} holds no file of a known motion format "
                                  f"(extensions: {', '.join(sorted(suffixes))})")
        return found
    if path.is_file():
        return [path]
    if glob.has_magic(spec):
        matches = [Path(m) for m in sorted(glob.glob(spec, recursive=True))]
        files = [m for m in matches if m.is_file()]
        if not files:
            raise BatchInputError(f"the pattern {spec!r} matches no file")
        return files
    raise BatchInputError(f"{spec}: no such file, folder or glob match")


def expand_inputs(inputs: Sequence[str], movement: str = "auto") -> list[BatchItem]:
    """The recordings named by files, folders and globs, each once, in a stable order.

    Raises:
        BatchInputError: an input that names nothing (the offending input is shown).
    """
    suffixes = _known_suffixes()
    seen: set[Path] = set()
    items: list[BatchItem] = []
    for spec in inputs:
        for p in _expand_one(spec, suffixes):
            resolved = p.resolve()
            if resolved not in seen:
                seen.add(resolved)
                items.append(BatchItem(path=str(resolved), movement=movement))
    return items


_MANIFEST_ALIASES = {"path": "path", "file": "path", "athlete_id": "athlete_id",
                     "athlete": "athlete_id", "date": "date", "movement": "movement",
                     "height": "height_m", "height_m": "height_m"}


def read_manifest(path: str | Path, movement: str = "auto") -> list[BatchItem]:
    """Items from a CSV manifest.

    Columns: ``path`` (required), ``athlete_id``, ``date`` (ISO), ``movement``,
    ``height`` (metres).
    Relative paths are taken from the manifest's folder; an empty movement takes
    ``movement`` (the ``--movement`` option).

    Raises:
        BatchInputError: a missing file or column, an unknown column, or a bad value,
            with its row number.
    """
    path = Path(path)
    if not path.is_file():
        raise BatchInputError(f"manifest {path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in _MANIFEST_ALIASES]
        if unknown:
            raise BatchInputError(f"manifest {path}: unknown column(s) {unknown}; columns: "
                                  "path, athlete_id, date, movement, height")
        if "path" not in {_MANIFEST_ALIASES[h] for h in header}:
            raise BatchInputError(f"manifest {path}: no 'path' column (header: {header})")
        items = []
        for line, raw in enumerate(reader, start=2):
            row = {_MANIFEST_ALIASES[k.strip().lower()]: (v or "").strip()
                   for k, v in raw.items() if k is not None}
            items.append(_manifest_item(path, line, row, movement))
    if not items:
        raise BatchInputError(f"manifest {path}: no rows")
    return items


def _manifest_item(manifest: Path, line: int, row: dict[str, str],
                   movement: str) -> BatchItem:
    file = Path(row.get("path", ""))
    if not row.get("path"):
        raise BatchInputError(f"manifest {manifest}, line {line}: empty path")
    if not file.is_absolute():
        file = manifest.parent / file
    if not file.exists():
        raise BatchInputError(f"manifest {manifest}, line {line}: {row['path']}: no such file")
    values: dict[str, Any] = {"path": str(file.resolve()),
                              "movement": row.get("movement") or movement}
    for name in ("athlete_id", "date", "height_m"):
        if row.get(name):
            values[name] = row[name]
    try:
        return BatchItem(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        raise BatchInputError(f"manifest {manifest}, line {line}: {field}="
                              f"{values.get(field)!r}: {err['msg']}") from None


def _check_movements(items: Iterable[BatchItem]) -> None:
    from sportsgpt.api import movements

    known = {m.id for m in movements()} | {"auto"}
    for it in items:
        if it.movement not in known:
            raise BatchInputError(f"{it.path}: unknown movement {it.movement!r}; movements: "
                                  f"{', '.join(sorted(known))}")


# ====================================================================== one file (a task)
_PROCESS_STATE: dict[str, int] = {}


def warm_process() -> float:
    """Import the analysis stack and load the compiled MotionDTW kernels in this process.

    Returns the seconds it took (an engine calls it once per worker process).
    """
    start = time.perf_counter()
    import numpy as np

    import sportsgpt.api
    import sportsgpt.tools.analysis  # noqa: F401
    from sportsgpt.tools.motiondtw.dtw import dtw, subsequence_dtw

    x = np.linspace(0.0, 1.0, 16).reshape(8, 2)
    dtw(x, x)
    subsequence_dtw(x[:4], x)
    return time.perf_counter() - start


def _reader_options(item: BatchItem) -> dict[str, Any]:
    """Reader options from the manifest: the height only where the reader takes it."""
    if item.height_m is None:
        return {}
    import inspect

    from sportsgpt.tools.io import detect_format

    spec = detect_format(item.path)
    reader = getattr(__import__(f"sportsgpt.tools.io.{spec.module}", fromlist=["_"]),
                     spec.reader)
    if "subject_height_m" in inspect.signature(reader).parameters:
        return {"subject_height_m": item.height_m}
    return {}


def _file_columns(item: BatchItem) -> dict[str, Any]:
    return {"source": item.path, "athlete_id": item.athlete_id,
            "date": item.date.isoformat() if item.date else None, "height_m": item.height_m,
            "movement_requested": item.movement}


def analysis_rows(item: BatchItem, analysis: Analysis) -> list[dict[str, Any]]:
    """One row per repetition: file columns, repetition columns and metric columns."""
    rows = []
    n = len(analysis.reports)
    for rep in analysis.reports:
        findings = [{"fault_id": f.fault_id, "severity": f.severity,
                     "confidence": f.confidence, "score": f.score} for f in rep.findings]
        worst = max((_SEVERITY_ORDER.index(f.severity) for f in rep.findings), default=0)
        row: dict[str, Any] = {
            **_file_columns(item), "status": "ok", "error_type": None, "error_message": None,
            "movement": rep.movement, "movement_confidence": rep.movement_confidence,
            "repetition": rep.repetition, "n_repetitions": n, "fps": rep.fps,
            "n_frames": rep.n_frames, "template_version": rep.template_version,
            "n_findings": len(rep.findings),
            "faults": ";".join(f"{f.fault_id}:{f.severity}" for f in rep.findings),
            "max_severity": _SEVERITY_ORDER[worst],
            "findings_json": json.dumps(findings, sort_keys=True),
            "quality_dim": rep.quality.dim, "quality_view": rep.quality.view,
            "quality_missing_pct": rep.quality.missing_pct,
            "quality_match_quality": rep.quality.match_quality,
            "quality_angle_noise_deg": rep.quality.angle_noise_deg,
            "quality_notes": " | ".join(rep.quality.notes)}
        for m in rep.metrics:
            for field in METRIC_FIELDS:
                row[f"{m.id}.{field}"] = getattr(m, field)
        rows.append(row)
    return rows


def failure_row(item: BatchItem, exc: BaseException) -> dict[str, Any]:
    """The row of a file that could not be analysed: its error type and message."""
    return {**_file_columns(item), "status": "failed", "error_type": type(exc).__name__,
            "error_message": str(exc)}


def analyze_item(index: int, item: BatchItem) -> FileResult:
    """The task every engine runs: analyse one file; any exception becomes a failure row."""
    from sportsgpt.api import SportsGPT, analyze_file

    first = "done" not in _PROCESS_STATE
    _PROCESS_STATE["done"] = 1
    start = time.perf_counter()
    try:
        ctx = SportsGPT(progress=None)
        analysis = analyze_file(item.path, item.movement, ctx=ctx, **_reader_options(item))
        rows = analysis_rows(item, analysis)
    except Exception as exc:  # recorded per file (type and message), never stops the batch
        rows = [failure_row(item, exc)]
    return FileResult(index=index, key=item.key(), rows=rows,
                      elapsed_s=time.perf_counter() - start, pid=os.getpid(),
                      first_in_process=first)


# ====================================================================== engines
Task = tuple[int, BatchItem]


def _analyze_task(task: Task) -> FileResult:
    """:func:`analyze_item` of one ``(index, item)`` task (the function the engine maps)."""
    return analyze_item(*task)


def _engine_failure(index: int, item: BatchItem, exc: Exception) -> FileResult:
    """A task the engine could not run (a worker that died...): a failed row, like any other."""
    return FileResult(index=index, key=item.key(), rows=[failure_row(item, exc)],
                      elapsed_s=0.0, pid=os.getpid(), first_in_process=False, retry=True)


def _run_seam(tasks: list[Task], engine: str, workers: int,
              address: str | None) -> Iterator[FileResult]:
    outcomes = map_unordered(_analyze_task, tasks, engine=engine, workers=workers,
                             address=address, warm=warm_process)
    return _file_results(outcomes)


def _file_results(outcomes: Iterator[Outcome[Task, FileResult]]) -> Iterator[FileResult]:
    for outcome in outcomes:
        if outcome.error is not None:
            yield _engine_failure(*outcome.item, outcome.error)
        else:
            yield outcome.unwrap()


def _run_ray(tasks: list[Task], workers: int, address: str | None) -> Iterator[FileResult]:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray", None, "--engine ray (pip install ray; the "
                                     "project's chosen engine is dask)") from None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(analyze_item)
        pending = [remote.remote(i, item) for i, item in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


def run_engine(tasks: list[Task], engine: str = "local", workers: int = 1,
               address: str | None = None) -> Iterator[FileResult]:
    """Results of :func:`analyze_item` over ``tasks``, as they finish, on the chosen engine.

    ``local`` with one worker runs in this process; with more, in spawned processes.
    Ray and Dask start a local cluster of ``workers`` processes, or join ``address``.
    Local and Dask go through :func:`sportsgpt.core.engine.map_unordered`; a task the
    engine could not run (a worker that died) becomes that file's failed row.
    """
    if workers < 1:
        raise BatchInputError(f"--workers {workers}: give at least 1")
    if engine == "local":
        if address:
            raise BatchInputError(f"--address {address} needs --engine ray or dask")
        return _run_seam(tasks, engine, workers, None)
    if engine == "ray":
        return _run_ray(tasks, workers, address)
    if engine == "dask":
        return _run_seam(tasks, engine, workers, address)
    raise BatchInputError(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}")


# ====================================================================== parts, journal, table
def _atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    write(tmp)
    os.replace(tmp, path)


class Journal:
    """Finished files of one batch: ``<out>.parts/`` holds a part per file and the journal."""

    def __init__(self, out: Path) -> None:
        self.dir = out.with_name(out.name + ".parts")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "journal.jsonl"

    def done(self) -> set[str]:
        """Keys of the files whose part was written and journalled."""
        if not self.path.exists():
            return set()
        keys = set()
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                key = json.loads(line)["key"]
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line torn by a crash: that file is simply redone
            if (self.dir / f"{key}.json").exists():
                keys.add(key)
        return keys

    def record(self, result: FileResult, source: str) -> None:
        """Write the file's part atomically, then append it to the journal (fsynced).

        A result to ``retry`` (the engine could not run it) gets its part, so the table
        shows the failure, but no journal line, so a rerun analyses the file again.
        """
        part = self.dir / f"{result.key}.json"
        _atomic_write(part, lambda p: p.write_text(json.dumps(result.rows), encoding="utf-8"))
        if result.retry:
            return
        entry = {"key": result.key, "source": source,
                 "status": result.rows[0]["status"], "elapsed_s": round(result.elapsed_s, 4)}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def rows(self, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The rows of the given files' parts, in the given order."""
        rows: list[dict[str, Any]] = []
        for key in keys:
            rows.extend(json.loads((self.dir / f"{key}.json").read_text(encoding="utf-8")))
        return rows


def rows_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table of the documented schema: fixed columns, then metric columns by id."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingDependencyError("pandas", "engine", "sportsgpt batch") from None

    frame = pd.DataFrame.from_records(rows)
    fixed = [*FILE_COLUMNS, *REP_COLUMNS]
    for col in fixed:
        if col not in frame.columns:
            frame[col] = None
    metric_ids = sorted({c.rsplit(".", 1)[0] for c in frame.columns if c not in fixed})
    metric_cols = [f"{m}.{f}" for m in metric_ids for f in METRIC_FIELDS
                   if f"{m}.{f}" in frame.columns]
    frame = frame[fixed + metric_cols]
    for col in ("repetition", "n_repetitions", "n_frames", "n_findings", "quality_dim"):
        frame[col] = frame[col].astype("Int64")
    frame.attrs["sportsgpt_batch_schema"] = SCHEMA_VERSION
    return frame


def write_table(frame: pd.DataFrame, out: Path, fmt: TableFormat) -> None:
    """Write the table atomically (Parquet through pyarrow, or CSV)."""
    if fmt == "parquet":
        try:
            import pyarrow  # type: ignore[import-untyped]  # noqa: F401
        except ImportError:
            raise MissingDependencyError("pyarrow", "engine", "Parquet output (or use "
                                         "--format csv)") from None
        _atomic_write(out, lambda p: frame.to_parquet(p, engine="pyarrow", index=False))
    elif fmt == "csv":
        _atomic_write(out, lambda p: frame.to_csv(p, index=False))
    else:
        raise BatchInputError(f"unknown table format {fmt!r}; formats: parquet, csv")


# ====================================================================== trend report
def _fmt(v: float | None) -> str:
    return "" if v is None or v != v else f"{v:.4g}"


def trend_report(frame: pd.DataFrame) -> str:
    """Markdown: per athlete and movement, each metric over sessions.

    Each session value is set against the metric's target and the athlete's smallest
    worthwhile change (0.2 x between-session SD).

    A session is a date (or, without dates, one source file); its value is the mean over
    its repetitions. Rows without an athlete id form the group ``(no athlete id)``.
    """
    import pandas as pd

    ok = frame[frame["status"] == "ok"].copy()
    lines = ["# Trend report", "",
             f"{len(frame['source'].unique())} files, {len(ok)} repetitions, "
             f"{int((frame['status'] == 'failed').sum())} failed files. Each value is a "
             "session mean over repetitions; 'SWC' is the smallest worthwhile change, "
             f"{SWC_FACTOR} x the athlete's own between-session SD (needs 2+ sessions); "
             "'change' is against the previous session, marked **meaningful** beyond the SWC.",
             ""]
    if ok.empty:
        return "\n".join([*lines, "No repetition was analysed.", ""])
    ok["athlete"] = ok["athlete_id"].fillna("(no athlete id)")
    ok["session"] = ok["date"].where(ok["date"].notna(), ok["source"].map(
        lambda s: Path(s).name))
    metric_ids = sorted({c[:-len(".value")] for c in ok.columns if c.endswith(".value")})
    for (athlete, movement), group in ok.groupby(["athlete", "movement"], sort=True):
        lines += [f"## {athlete} · {movement}", ""]
        for mid in metric_ids:
            values = pd.to_numeric(group[f"{mid}.value"], errors="coerce")
            if values.notna().sum() == 0:
                continue
            sess = values.groupby(group["session"]).mean().dropna().sort_index()
            low = pd.to_numeric(group[f"{mid}.target_low"], errors="coerce").dropna()
            high = pd.to_numeric(group[f"{mid}.target_high"], errors="coerce").dropna()
            lo = float(low.iloc[0]) if len(low) else None
            hi = float(high.iloc[0]) if len(high) else None
            unit = str(group[f"{mid}.unit"].dropna().iloc[0]) \
                if group[f"{mid}.unit"].notna().any() else ""
            swc = SWC_FACTOR * float(sess.std(ddof=1)) if len(sess) >= 2 else None
            lines += [f"### {mid} ({unit}); target {_fmt(lo) or '-'} to {_fmt(hi) or '-'}; "
                      f"SWC {_fmt(swc) or 'n/a'}", "",
                      "| session | value | target | change | |", "|---|---|---|---|---|"]
            prev: float | None = None
            for session, value in sess.items():
                v = float(value)
                where = "below" if lo is not None and v < lo else \
                    "above" if hi is not None and v > hi else "within"
                change = None if prev is None else v - prev
                mark = "**meaningful**" if change is not None and swc is not None \
                    and swc > 0 and abs(change) > swc else ""
                lines.append(f"| {session} | {_fmt(v)} | {where} | {_fmt(change)} | {mark} |")
                prev = v
            lines.append("")
    return "\n".join(lines)


# ====================================================================== the batch
class BatchSummary(BaseModel):
    """What a batch did: counts, the files written and the time taken."""

    files: int
    skipped: int
    analysed: int
    failed: int
    rows: int
    out: str
    report: str
    engine: str
    workers: int
    elapsed_s: float
    first_call_s: list[float]
    warm_call_s: list[float]


def trend_path(out: Path) -> Path:
    """Where the trend report goes: ``<out without suffix>.trend.md``."""
    return out.with_name(out.stem + ".trend.md")


def run_batch_items(items: list[BatchItem], out: Path, *, fmt: TableFormat = "parquet",
                    engine: str = "local", workers: int = 1, address: str | None = None,
                    progress: bool = True) -> BatchSummary:
    """Analyse ``items`` (skipping journalled ones), then rebuild the table and the report."""
    from tqdm import tqdm

    start = time.perf_counter()
    _check_movements(items)
    out.parent.mkdir(parents=True, exist_ok=True)
    journal = Journal(out)
    keys = [it.key() for it in items]
    done = journal.done()
    tasks = [(i, it) for i, (it, k) in enumerate(zip(items, keys, strict=True))
             if k not in done]
    first: list[float] = []
    warm: list[float] = []
    failed = 0
    if tasks:
        bar = tqdm(total=len(tasks), desc="sportsgpt batch", unit="file", disable=not progress,
                   file=sys.stderr)
        for result in run_engine(tasks, engine, workers, address):
            journal.record(result, items[result.index].path)
            (first if result.first_in_process else warm).append(result.elapsed_s)
            failed += result.rows[0]["status"] == "failed"
            bar.update(1)
        bar.close()
    frame = rows_frame(journal.rows(keys))
    write_table(frame, out, fmt)
    report = trend_path(out)
    text = trend_report(frame)
    _atomic_write(report, lambda p: p.write_text(text, encoding="utf-8"))
    total_failed = int((frame["status"] == "failed").sum())
    return BatchSummary(files=len(items), skipped=len(items) - len(tasks),
                        analysed=len(tasks), failed=total_failed, rows=len(frame),
                        out=str(out), report=str(report), engine=engine, workers=workers,
                        elapsed_s=time.perf_counter() - start, first_call_s=first,
                        warm_call_s=warm)


def collect_items(inputs: Sequence[str], manifest: str | None,
                  movement: str = "auto") -> list[BatchItem]:
    """Items from the positional inputs and the manifest (at least one of them)."""
    items = expand_inputs(inputs, movement) if inputs else []
    if manifest:
        seen = {it.path for it in items}
        items += [it for it in read_manifest(manifest, movement) if it.path not in seen]
    if not items:
        raise BatchInputError("no inputs: give files, folders, globs or --manifest CSV")
    return items


# ====================================================================== CLI
def add_batch_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``sportsgpt batch`` to the CLI's subparsers."""
    from sportsgpt.graph_kb.movements import movement_ids

    p: argparse.ArgumentParser = sub.add_parser(
        "batch", help="analyse many recordings into one table (Parquet/CSV) and a trend report")
    p.add_argument("inputs", nargs="*", help="files, folders (searched recursively) or globs")
    p.add_argument("--manifest", help="CSV with path, athlete_id, date, movement, height")
    p.add_argument("--movement", default="auto", choices=["auto", *sorted(movement_ids())],
                   help="movement of every recording without one in the manifest")
    p.add_argument("--out", required=True, help="the table to write (e.g. results.parquet)")
    p.add_argument("--format", choices=("parquet", "csv"), default=None,
                   help="table format (default: from --out's suffix, else parquet)")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local processes (default), or a Ray / Dask cluster")
    p.add_argument("--address", help="cluster address for --engine ray|dask (default: start "
                                     "a local cluster)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (local cluster)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_batch)
    return p


def run_batch(args: argparse.Namespace) -> int:
    """Run ``sportsgpt batch``; exit status 0 (failed files are rows, not errors)."""
    out = Path(args.out)
    fmt: TableFormat = args.format or ("csv" if out.suffix.lower() == ".csv" else "parquet")
    items = collect_items(args.inputs, args.manifest, args.movement)
    summary = run_batch_items(items, out, fmt=fmt, engine=args.engine, workers=args.workers,
                              address=args.address, progress=not args.no_progress)
    print(f"wrote {summary.out} ({summary.rows} rows from {summary.files} files: "
          f"{summary.analysed} analysed, {summary.skipped} already done, "
          f"{summary.failed} failed) and {summary.report} in {summary.elapsed_s:.1f} s",
          file=sys.stderr)
    return 0


__all__ = ["BatchInputError", "BatchItem", "BatchSummary", "add_batch_parser",
           "analyze_item", "collect_items", "expand_inputs", "read_manifest", "run_batch",
           "run_batch_items", "run_engine", "trend_report"]
