"""Streaming, resumable, deduplicating ingest of QA pairs from JSONL.

Each line is one JSON object with at least ``question``, ``answer`` and
``source_ids`` (see :class:`~sportsgpt.graph_kb.types.QAPair`); ``id`` is
optional (a missing id becomes ``ing-`` + the first 16 hex digits of the
content hash, so re-ingesting the same row is idempotent). Ingested pairs get
tier ``"ingested"`` whatever the row says: curated pairs come from
:func:`sportsgpt.graph_kb.build.build_curated` only.

Batches of ``batch_size`` valid rows are embedded and committed to the store.
After each commit the ids and content hashes of the batch are appended to
``seen.txt`` and ``checkpoint.json`` (byte offset, line number, counters, bad
rows, number of ``seen.txt`` lines) is replaced atomically. A restart reads
the checkpoint, truncates ``seen.txt`` to the committed lines and resumes at the
recorded byte offset: a crash replays at most the batch in flight, and the
replay is idempotent because the store upserts by id and skips identical pairs.

Deduplication: a row whose id, or whose normalised question + answer hash
(lower case, collapsed white space), was already seen in this file (or in any
file ingested with the same state folder) is skipped and counted. A row whose
id is in the store with different content is skipped as an id conflict: ingest
never overwrites a different pair. Bad rows (not UTF-8, not JSON, failing
validation, unknown source ids) are reported with their line number and skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.core.settings import get_settings
from sportsgpt.graph_kb.common import atomic_write_json
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import Embedder, qa_text
from sportsgpt.graph_kb.types import KnowledgeStore, QAPair

MAX_BAD_ROWS_LISTED = 1000
_SPACE = re.compile(r"\s+")


class IngestError(SportsGPTError):
    """An ingest that cannot start or go on (missing file, foreign checkpoint...)."""


class BadRow(BaseModel):
    """A skipped input line and why."""

    line: int
    reason: str


class IngestReport(BaseModel):
    """What one ingest (including earlier interrupted runs of it) did.

    Attributes:
        lines: lines read so far (1-based line number of the last one).
        stored: valid, unique rows of this file now in the store.
        duplicate_ids: rows skipped because their id was seen or conflicts with the store.
        duplicate_content: rows skipped because their question + answer was seen.
        blank_lines: empty lines skipped.
        bad_row_count: invalid rows skipped (``bad_rows`` lists the first 1,000).
        resumed_from_line: line after which this run started (0 for a fresh run).
        complete: the whole file was read.
    """

    path: str
    lines: int = 0
    stored: int = 0
    duplicate_ids: int = 0
    duplicate_content: int = 0
    blank_lines: int = 0
    bad_row_count: int = 0
    bad_rows: list[BadRow] = []
    resumed_from_line: int = 0
    complete: bool = False
    seconds: float = 0.0


def content_hash(question: str, answer: str) -> str:
    """sha256 of the normalised question and answer (lower case, single spaces)."""
    norm = [_SPACE.sub(" ", s).strip().lower() for s in (question, answer)]
    return hashlib.sha256("\x1f".join(norm).encode()).hexdigest()


def default_state_dir(store: KnowledgeStore, path: Path) -> Path:
    """Checkpoint folder of one input file.

    ``<store>/ingest/<hash of the file path>`` for an on-disk embedded store (so
    ``clear()`` resets it), else the same under ``<cache>/kb-ingest``.
    """
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    if isinstance(store, EmbeddedStore) and store.path is not None:
        return store.path / "ingest" / key
    return get_settings().cache_dir / "kb-ingest" / key


class _State:
    """Checkpoint and seen-set of one ingest, persisted in ``folder``."""

    def __init__(self, folder: Path, source: Path, restart: bool) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.checkpoint = folder / "checkpoint.json"
        self.seen_file = folder / "seen.txt"
        self.prefix_len = min(source.stat().st_size, 65536)
        with open(source, "rb") as fh:
            self.prefix_sha = hashlib.sha256(fh.read(self.prefix_len)).hexdigest()
        self.offset = 0
        self.seen_lines = 0
        self.seen: set[str] = set()
        self.report = IngestReport(path=str(source))
        if restart or not self.checkpoint.exists():
            self.seen_file.write_bytes(b"")
            return
        self._resume(source)

    def _resume(self, source: Path) -> None:
        try:
            data: dict[str, Any] = json.loads(self.checkpoint.read_text())
        except (OSError, ValueError) as exc:
            raise IngestError(f"{self.checkpoint}: unreadable checkpoint ({exc}); "
                              "ingest again with restart=True") from exc
        with open(source, "rb") as fh:
            prefix = hashlib.sha256(fh.read(int(data["prefix_len"]))).hexdigest()
        if prefix != data["prefix_sha"]:
            raise IngestError(f"{source} changed since its checkpoint in {self.folder} was "
                              "written; ingest again with restart=True")
        self.offset = int(data["offset"])
        self.prefix_len, self.prefix_sha = int(data["prefix_len"]), str(data["prefix_sha"])
        self.seen_lines = int(data["seen_lines"])
        self.report = IngestReport.model_validate(data["report"])
        with open(self.seen_file, "r+b") as fh:
            lines = fh.read().split(b"\n")[: self.seen_lines]
            fh.seek(0)
            fh.truncate()
            fh.write(b"".join(line + b"\n" for line in lines))
        self.seen = {line.decode() for line in lines}
        self.report.resumed_from_line = self.report.lines

    def commit(self, keys: list[str], offset: int) -> None:
        """Record a committed batch: append its keys, then replace the checkpoint."""
        with open(self.seen_file, "ab") as fh:
            fh.write("".join(k + "\n" for k in keys).encode())
            fh.flush()
            os.fsync(fh.fileno())
        self.seen_lines += len(keys)
        self.offset = offset
        atomic_write_json(self.checkpoint, {
            "prefix_len": self.prefix_len, "prefix_sha": self.prefix_sha, "offset": offset,
            "seen_lines": self.seen_lines, "report": self.report.model_dump(mode="json")})


def _bad(report: IngestReport, line: int, reason: str) -> None:
    report.bad_row_count += 1
    if len(report.bad_rows) < MAX_BAD_ROWS_LISTED:
        report.bad_rows.append(BadRow(line=line, reason=reason))


def _parse(raw: bytes, lineno: int, report: IngestReport) -> tuple[QAPair, str] | None:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        _bad(report, lineno, "not UTF-8")
        return None
    except ValueError as exc:
        _bad(report, lineno, f"not JSON ({exc})")
        return None
    if not isinstance(data, dict):
        _bad(report, lineno, f"expected a JSON object, got {type(data).__name__}")
        return None
    question, answer = data.get("question"), data.get("answer")
    if not (isinstance(question, str) and question.strip()
            and isinstance(answer, str) and answer.strip()):
        _bad(report, lineno, "question and answer must be non-empty strings")
        return None
    digest = content_hash(question, answer)
    data.setdefault("id", f"ing-{digest[:16]}")
    data["tier"] = "ingested"
    try:
        pair = QAPair.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "row"
        _bad(report, lineno, f"field {where}: {first['msg']}")
        return None
    return pair, digest


class _Batch:
    def __init__(self) -> None:
        self.pairs: list[QAPair] = []
        self.keys: list[str] = []


def ingest_jsonl(store: KnowledgeStore, path: Path, embedder: Embedder, *,
                 batch_size: int = 256, progress: bool = True, state_dir: Path | None = None,
                 restart: bool = False, require_known_sources: bool = True) -> IngestReport:
    """Ingest QA pairs from a JSONL file into ``store``; resumable after a crash.

    Args:
        store: any knowledge store.
        path: the JSONL file.
        embedder: embeds each pair's :func:`~sportsgpt.graph_kb.embeddings.qa_text` (wrap it in a
            :class:`~sportsgpt.graph_kb.embeddings.CachedEmbedder` to reuse vectors).
        batch_size: valid rows per embed-and-commit batch.
        progress: show a tqdm progress bar (bytes) on stderr.
        state_dir: checkpoint folder (default :func:`default_state_dir`).
        restart: ignore an existing checkpoint and start from the first line.
        require_known_sources: treat rows citing source ids the store lacks as bad.

    Raises:
        IngestError: the file is missing, or changed under its checkpoint.
    """
    from tqdm import tqdm

    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if batch_size < 1:
        raise IngestError(f"batch_size must be >= 1, got {batch_size}")
    started = time.perf_counter()
    state = _State(state_dir or default_state_dir(store, path), path, restart)
    report = state.report
    known_sources: dict[str, bool] = {}
    batch = _Batch()
    size = path.stat().st_size
    with open(path, "rb") as fh, tqdm(total=size, initial=state.offset, unit="B",
                                      unit_scale=True, disable=not progress,
                                      desc=f"ingest {path.name}") as bar:
        fh.seek(state.offset)
        offset = state.offset
        while raw := fh.readline():
            offset += len(raw)
            bar.update(len(raw))
            report.lines += 1
            if not raw.strip():
                report.blank_lines += 1
            else:
                _take(raw, report, state, batch, store, known_sources, require_known_sources)
            if len(batch.pairs) >= batch_size:
                _flush(store, embedder, state, batch, offset)
                batch = _Batch()
        _flush(store, embedder, state, batch, offset)
    report.complete = True
    report.seconds += time.perf_counter() - started
    state.commit([], offset)
    return report


def _take(raw: bytes, report: IngestReport, state: _State, batch: _Batch,
          store: KnowledgeStore, known_sources: dict[str, bool], require_sources: bool) -> None:
    parsed = _parse(raw, report.lines, report)
    if parsed is None:
        return
    pair, digest = parsed
    if require_sources:
        unknown = [s for s in pair.source_ids if not _known(store, s, known_sources)]
        if unknown:
            _bad(report, report.lines, f"unknown source id(s): {', '.join(unknown)}")
            return
    id_key, hash_key = f"id:{pair.id}", f"h:{digest}"
    if id_key in state.seen:
        report.duplicate_ids += 1
        return
    if hash_key in state.seen:
        report.duplicate_content += 1
        return
    state.seen.update((id_key, hash_key))
    batch.pairs.append(pair)
    batch.keys.extend((id_key, hash_key))


def _known(store: KnowledgeStore, source_id: str, cache: dict[str, bool]) -> bool:
    if source_id not in cache:
        cache[source_id] = bool(store.sources([source_id]))
    return cache[source_id]


def _flush(store: KnowledgeStore, embedder: Embedder, state: _State, batch: _Batch,
           offset: int) -> None:
    """Drop id conflicts with the store, embed and commit the batch, then checkpoint."""
    if not batch.pairs:
        return
    existing = {p.id: p for p in store.get_qa([p.id for p in batch.pairs])}
    pairs, keys = [], []
    for i, pair in enumerate(batch.pairs):
        old = existing.get(pair.id)
        if old is not None and old.model_dump() != pair.model_dump():
            state.report.duplicate_ids += 1
            state.seen.difference_update(batch.keys[2 * i: 2 * i + 2])
            continue
        pairs.append(pair)
        keys.extend(batch.keys[2 * i: 2 * i + 2])
    if pairs:
        vectors = embedder.embed([qa_text(p.question, p.answer) for p in pairs])
        store.upsert_qa(pairs, vectors)
        state.report.stored += len(pairs)
    state.commit(keys, offset)
