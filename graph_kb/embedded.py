"""Embedded knowledge store: in-process, no server (the default backend).

Everything lives in one folder (or in memory when ``path`` is None)::

    manifest.json        the commit record: QA file name and committed byte length,
                         vector chunk files and their row counts, dimension, epoch
    graph.json           nodes and relations
    qa-<epoch>.jsonl     QA pairs, append-only, one JSON object per line (row i = line i)
    vectors/<...>.npy    unit float32 vectors, one chunk per committed batch
    hnsw.bin, hnsw.json  HNSW index (only above ``hnsw_threshold`` vectors)
    bm25/, bm25.json     BM25 index (rebuilt lazily after a change)
    embcache.sqlite      embedding cache (see :mod:`sportsgpt.graph_kb.embeddings`)

Crash safety: a QA batch commit writes its vector chunk (temporary file +
``os.replace``), appends its lines to the QA file and fsyncs, then replaces
``manifest.json`` atomically; the manifest replacement is the commit point. On
open, a QA file longer than the manifest says is truncated back to the last
commit and unlisted chunk files are deleted, so a crash at any instant leaves
the store as of its last commit. ``graph.json`` is replaced atomically too.
Writers take an exclusive ``fcntl`` lock for each commit and refuse to commit
over a manifest another process changed since this one read it.

Updating a QA id appends a new row and marks the old one dead; ``compact()``
rewrites the files without dead rows (automatically when dead rows outnumber
live ones and exceed 1,000).

Dense search is exact cosine (one matrix-vector product) up to
``hnsw_threshold`` candidate vectors (default 20,000); above it an hnswlib HNSW
graph (Malkov & Yashunin) with inner-product space on the unit vectors is used.
Defaults (constructor arguments): ``M=16`` links per node,
``ef_construction=100``, and a query beam ``ef`` that grows with the index
(:func:`auto_ef_search`: 128 up to 10k vectors, then growing with the square
root of the index size: 416 at 100k, 1280 at 1M), or a fixed ``hnsw_ef_search``.
These were chosen on ``benchmarks/kb.py``'s synthetic corpus fitted to real
MiniLM embeddings (recall@10 against exact search: 0.984 at 100k, 0.974 at 1M;
see ``benchmarks/results/kb.md``). A persisted
index keeps the ``M``/``ef_construction`` it was built with (recorded in
``hnsw.json``); reopening with other values still loads it.
Filters (movement, fault, tier) are applied as a row mask before the exact
search, or as hnswlib's filter callback during the HNSW search; a filter that
leaves at most ``hnsw_threshold`` rows is always searched exactly.

Full-text search is BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over
question + answer, lower-cased alphanumeric tokens without English stop words.
Query scores are summed from bm25s's precomputed postings by a small numba
kernel and the top ``k`` picked with ``argpartition`` (no full sort).

Errors, the tokenizer, atomic writes and the fault-knowledge assembly are
shared with the Neo4j backend and live in :mod:`sportsgpt.graph_kb.errors` and
:mod:`sportsgpt.graph_kb.common`.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from sportsgpt.core.errors import MissingDependencyError
from sportsgpt.graph_kb.common import (
    SOURCE_LABEL,
    assemble_fault_knowledge,
    atomic_write_bytes,
    atomic_write_json,
    qa_vectors,
    tokenize,
)
from sportsgpt.graph_kb.embeddings import EmbeddingError, normalise_rows
from sportsgpt.graph_kb.errors import GraphIntegrityError, KnowledgeStoreError, StoreCorruptError
from sportsgpt.graph_kb.types import (
    FaultKnowledge,
    KnowledgeStore,
    Node,
    QAFilters,
    QAPair,
    Relation,
    Source,
)

FORMAT_VERSION = 1

HNSW_M = 16
"""Default HNSW links per node."""
HNSW_EF_CONSTRUCTION = 100
"""Default HNSW build beam."""
HNSW_EF_SEARCH_BASE = 128
"""Query beam of :func:`auto_ef_search` up to :data:`HNSW_EF_SEARCH_BASE_ROWS` vectors."""
HNSW_EF_SEARCH_BASE_ROWS = 10_000
HNSW_EF_SEARCH_MAX = 4096
BM25_K1 = 1.5
BM25_B = 0.75

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

RelKey = tuple[str, str, str, str, str]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float32]


def auto_ef_search(n: int, k: int) -> int:
    """HNSW query beam for an index of ``n`` vectors and ``k`` wanted hits.

    ``128 * sqrt(n / 10,000)`` for ``n`` above 10,000 (416 at 100k, 1280 at 1M),
    rounded up to a multiple of 32, capped at 4096, and never below ``k``. Measured
    on the benchmark's realistic corpus (M=16, ef_construction=100), recall@10
    at a fixed beam fell from 0.97 to 0.93 between 100k and 300k vectors, so
    the beam must grow faster than logarithmically to hold recall >= 0.95.
    """
    growth = math.sqrt(max(1.0, n / HNSW_EF_SEARCH_BASE_ROWS))
    ef = 32 * math.ceil(HNSW_EF_SEARCH_BASE * growth / 32 - 1e-9)
    return max(k, min(HNSW_EF_SEARCH_MAX, ef))


def _bm25_kernel() -> Any:
    """The compiled BM25 accumulation kernel (numba, cached on disk)."""
    global _BM25_KERNEL
    if _BM25_KERNEL is None:
        from numba import njit

        def accumulate(data: Any, indptr: Any, indices: Any, tokens: Any, n_docs: int) -> Any:
            scores = np.zeros(n_docs, dtype=np.float32)
            for t in tokens:
                for j in range(indptr[t], indptr[t + 1]):
                    scores[indices[j]] += data[j]
            return scores

        _BM25_KERNEL = njit(cache=True, nogil=True)(accumulate)
    return _BM25_KERNEL


_BM25_KERNEL: Any = None


def bm25_scores(index: Any, tokens: list[str]) -> NDArray[np.float32]:
    """BM25 score of every indexed document for ``tokens`` (bm25s index, summed postings).

    Equal to ``index.get_scores(tokens)`` (tokens missing from the vocabulary
    score nothing) but one compiled pass instead of ``np.add.at`` per token.
    """
    vocab = index.vocab_dict
    ids = np.asarray([vocab[t] for t in tokens if t in vocab], dtype=np.int64)
    scores = index.scores
    out: NDArray[np.float32] = _bm25_kernel()(
        scores["data"], scores["indptr"], scores["indices"], ids, int(scores["num_docs"]))
    if getattr(index, "nonoccurrence_array", None) is not None and ids.size:
        out += np.float32(index.nonoccurrence_array[ids].sum())
    return out


def top_k(scores: NDArray[Any], k: int) -> NDArray[np.int64]:
    """Indices of the ``k`` largest positive scores, best first (ties: lower index first)."""
    hits = np.flatnonzero(scores > 0.0)
    if hits.size > k:
        part = np.argpartition(-scores[hits], k - 1)[:k]
        kth = scores[hits[part]].min()
        # keep every tie of the k-th score so that the stable order below picks the lowest rows
        hits = hits[scores[hits] >= kth]
    order: NDArray[np.int64] = hits[np.argsort(-scores[hits], kind="stable")][:k]
    return order


def _npy_bytes(arr: FloatArray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _check_name(kind: str, name: str) -> None:
    if not _NAME.match(name):
        raise GraphIntegrityError(f"{kind} {name!r} must match {_NAME.pattern}")


def _check_props(where: str, props: dict[str, Any]) -> None:
    try:
        json.dumps(props, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise GraphIntegrityError(f"{where}: properties are not plain JSON ({exc})") from exc


class EmbeddedStore(KnowledgeStore):
    """In-process :class:`KnowledgeStore` with atomic JSON/JSONL/npy persistence.

    Args:
        path: store folder (created if needed), or None for a memory-only store.
        hnsw_threshold: above this many candidate vectors, dense search uses HNSW.
        hnsw_m: HNSW links per node for a newly built index.
        hnsw_ef_construction: HNSW build beam for a newly built index.
        hnsw_ef_search: fixed HNSW query beam, or None for :func:`auto_ef_search`
            (grows with the index). May be changed on the open store.

    Raises:
        KnowledgeStoreError: a non-positive HNSW parameter.
    """

    def __init__(self, path: Path | None = None, *, hnsw_threshold: int = 20_000,
                 hnsw_m: int = HNSW_M, hnsw_ef_construction: int = HNSW_EF_CONSTRUCTION,
                 hnsw_ef_search: int | None = None) -> None:
        for name, value in (("hnsw_m", hnsw_m), ("hnsw_ef_construction", hnsw_ef_construction),
                            ("hnsw_ef_search", 1 if hnsw_ef_search is None else hnsw_ef_search)):
            if value < 1:
                raise KnowledgeStoreError(f"{name} must be positive, got {value}")
        self.path = Path(path).expanduser() if path is not None else None
        self.hnsw_threshold = hnsw_threshold
        self.hnsw_m = hnsw_m
        self.hnsw_ef_construction = hnsw_ef_construction
        self.hnsw_ef_search = hnsw_ef_search
        self._nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self._rels: dict[RelKey, dict[str, Any]] = {}
        self._adj: dict[tuple[str, str, str, str], list[tuple[str, str]]] = {}
        self._reset_qa(epoch=0)
        self._lock_fh: Any = None
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / "vectors").mkdir(exist_ok=True)
            with self._locked():
                self._load()

    # ------------------------------------------------------------------ state
    def _reset_qa(self, epoch: int) -> None:
        self._epoch = epoch
        self._generation = 0
        self._qa_file = f"qa-{epoch:04d}.jsonl"
        self._qa_bytes = 0
        self._chunks: list[tuple[str, int]] = []
        self._dim: int | None = None
        self._rows: list[dict[str, Any]] = []
        self._vec_parts: list[FloatArray] = []
        self._matrix_cache: FloatArray | None = None
        self._id_row: dict[str, int] = {}
        self._alive = np.zeros(0, dtype=bool)
        self._mask_cache: dict[tuple[str | None, str | None, str | None], BoolArray] = {}
        self._bm25: tuple[Any, NDArray[np.int64]] | None = None
        self._hnsw: Any | None = None
        self._hnsw_rows = 0

    def _manifest(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "epoch": self._epoch, "generation": self._generation,
                "qa_file": self._qa_file, "qa_bytes": self._qa_bytes, "dim": self._dim,
                "chunks": [[name, rows] for name, rows in self._chunks]}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.path is not None
        with open(self.path / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _read_manifest(self) -> dict[str, Any] | None:
        assert self.path is not None
        file = self.path / "manifest.json"
        if not file.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise StoreCorruptError(f"{file}: unreadable manifest ({exc})") from exc
        if data.get("format") != FORMAT_VERSION:
            raise StoreCorruptError(f"{file}: format {data.get('format')!r}, "
                                    f"this version reads {FORMAT_VERSION}")
        return data

    def _load(self) -> None:
        assert self.path is not None
        graph_file = self.path / "graph.json"
        if graph_file.exists():
            try:
                graph = json.loads(graph_file.read_text())
                nodes = [Node.model_validate(n) for n in graph["nodes"]]
                rels = [Relation.model_validate(r) for r in graph["relations"]]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise StoreCorruptError(f"{graph_file}: unreadable graph ({exc})") from exc
            for node in nodes:
                self._nodes[(node.label, node.id)] = node.props
            for rel in rels:
                self._put_relation(rel)
        manifest = self._read_manifest()
        if manifest is not None:
            self._load_qa(manifest)
        self._remove_orphans()

    def _load_qa(self, manifest: dict[str, Any]) -> None:
        assert self.path is not None
        self._reset_qa(epoch=int(manifest["epoch"]))
        self._generation = int(manifest["generation"])
        self._qa_file = str(manifest["qa_file"])
        self._qa_bytes = int(manifest["qa_bytes"])
        self._dim = manifest["dim"]
        qa_path = self.path / self._qa_file
        size = qa_path.stat().st_size if qa_path.exists() else 0
        if size < self._qa_bytes:
            raise StoreCorruptError(f"{qa_path}: {size} bytes, the manifest committed "
                                    f"{self._qa_bytes}")
        if size > self._qa_bytes:  # an uncommitted tail from a crash: roll it back
            with open(qa_path, "r+b") as fh:
                fh.truncate(self._qa_bytes)
                os.fsync(fh.fileno())
        rows: list[dict[str, Any]] = []
        if self._qa_bytes:
            with open(qa_path, "rb") as fh:
                for lineno, line in enumerate(fh, start=1):
                    try:
                        rows.append(json.loads(line))
                    except ValueError as exc:
                        raise StoreCorruptError(f"{qa_path}, line {lineno}: {exc}") from exc
        for name, count in manifest["chunks"]:
            try:
                part = np.load(self.path / "vectors" / name, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise StoreCorruptError(f"{self.path / 'vectors' / name}: {exc}") from exc
            if part.shape != (count, self._dim):
                raise StoreCorruptError(f"vector chunk {name}: shape {part.shape}, manifest "
                                        f"says ({count}, {self._dim})")
            self._chunks.append((str(name), int(count)))
            self._vec_parts.append(part)
        if sum(c for _, c in self._chunks) != len(rows):
            raise StoreCorruptError(f"{qa_path}: {len(rows)} QA rows but "
                                    f"{sum(c for _, c in self._chunks)} vectors")
        self._append_rows(rows)

    def _remove_orphans(self) -> None:
        assert self.path is not None
        listed = {name for name, _ in self._chunks}
        for file in (self.path / "vectors").iterdir():
            if file.name not in listed:
                file.unlink()
        for file in self.path.iterdir():
            stale_qa = (file.name.startswith("qa-") and file.name.endswith(".jsonl")
                        and file.name != self._qa_file)
            if stale_qa or file.name.endswith(".tmp"):
                file.unlink()

    def _append_rows(self, rows: list[dict[str, Any]]) -> None:
        start = len(self._rows)
        alive = np.ones(start + len(rows), dtype=bool)
        alive[:start] = self._alive
        for offset, row in enumerate(rows):
            old = self._id_row.get(row["id"])
            if old is not None:
                alive[old] = False
            self._id_row[row["id"]] = start + offset
        self._rows.extend(rows)
        self._alive = alive
        self._matrix_cache = None
        self._mask_cache.clear()
        self._bm25 = None

    def _put_relation(self, rel: Relation) -> None:
        key = (rel.type, rel.start_label, rel.start_id, rel.end_label, rel.end_id)
        if key not in self._rels:
            self._adj.setdefault((rel.start_label, rel.start_id, rel.type, "out"),
                                 []).append((rel.end_label, rel.end_id))
            self._adj.setdefault((rel.end_label, rel.end_id, rel.type, "in"),
                                 []).append((rel.start_label, rel.start_id))
        self._rels[key] = rel.props

    # ------------------------------------------------------------------ graph
    def upsert_graph(self, nodes: list[Node], relations: list[Relation]) -> None:
        """Insert or replace nodes (by label and id) and relations (by type and endpoints).

        Properties are replaced, not merged. ``Source`` nodes must validate as
        :class:`Source`.

        Raises:
            GraphIntegrityError: a bad label or type name, non-JSON properties, an
                invalid Source, or a relation whose endpoint is not in the store or
                in ``nodes``.
        """
        new_keys = set()
        for node in nodes:
            _check_name("label", node.label)
            _check_props(f"node {node.label}:{node.id}", node.props)
            if node.label == SOURCE_LABEL:
                try:
                    Source.model_validate({**node.props, "id": node.id})
                except ValidationError as exc:
                    raise GraphIntegrityError(f"Source node {node.id!r}: {exc}") from exc
            new_keys.add((node.label, node.id))
        for rel in relations:
            _check_name("relation type", rel.type)
            _check_props(f"relation {rel.type}", rel.props)
            for label, node_id in ((rel.start_label, rel.start_id), (rel.end_label, rel.end_id)):
                if (label, node_id) not in new_keys and (label, node_id) not in self._nodes:
                    raise GraphIntegrityError(
                        f"relation {rel.start_label}:{rel.start_id} -[{rel.type}]-> "
                        f"{rel.end_label}:{rel.end_id}: node {label}:{node_id} does not exist")
        for node in nodes:
            self._nodes[(node.label, node.id)] = dict(node.props)
        for rel in relations:
            self._put_relation(rel)
        self._save_graph()

    def _save_graph(self) -> None:
        if self.path is None:
            return
        graph = {"nodes": [{"label": lb, "id": i, "props": p}
                           for (lb, i), p in sorted(self._nodes.items())],
                 "relations": [{"type": k[0], "start_label": k[1], "start_id": k[2],
                                "end_label": k[3], "end_id": k[4], "props": p}
                               for k, p in sorted(self._rels.items())]}
        with self._locked():
            atomic_write_json(self.path / "graph.json", graph)

    def get_node(self, label: str, node_id: str) -> Node | None:
        """One node by label and id, or None."""
        props = self._nodes.get((label, node_id))
        return None if props is None else Node(id=node_id, label=label, props=dict(props))

    def node_ids(self, label: str) -> list[str]:
        """Sorted ids of every node with this label."""
        return sorted(i for lb, i in self._nodes if lb == label)

    def neighbours(self, label: str, node_id: str, rel_type: str,
                   direction: Literal["out", "in"] = "out") -> list[Node]:
        """Nodes one ``rel_type`` hop away, sorted by label then id."""
        keys = sorted(self._adj.get((label, node_id, rel_type, direction), []))
        return [Node(id=i, label=lb, props=dict(self._nodes[(lb, i)])) for lb, i in keys]

    def fault_knowledge(self, fault_id: str) -> FaultKnowledge | None:
        """Everything linked to one fault (see :func:`.common.assemble_fault_knowledge`)."""
        return assemble_fault_knowledge(self, fault_id)

    def sources(self, ids: list[str]) -> list[Source]:
        """Sources by id, in the order asked; unknown ids are left out."""
        out = []
        for sid in ids:
            props = self._nodes.get((SOURCE_LABEL, sid))
            if props is not None:
                out.append(Source.model_validate({**props, "id": sid}))
        return out

    # --------------------------------------------------------------------- QA
    def upsert_qa(self, pairs: list[QAPair], embeddings: Any) -> None:
        """Insert or replace QA pairs (by id) with their ``(n, d)`` vectors.

        Vectors are stored L2-normalised. A pair identical to the stored one
        (same fields, same vector within 1e-6) is skipped, so re-upserting is
        free; within one call, the last pair with a given id wins.

        Raises:
            KnowledgeStoreError: count or dimension mismatch, zero or non-finite vectors.
        """
        if not pairs:
            return
        vectors = qa_vectors(pairs, embeddings)
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise KnowledgeStoreError(f"upsert_qa: vectors have dimension {vectors.shape[1]}, "
                                      f"the store holds dimension {self._dim}")
        last = {p.id: i for i, p in enumerate(pairs)}
        keep = [i for i, p in enumerate(pairs)
                if last[p.id] == i and not self._unchanged(p, vectors[i])]
        if not keep:
            return
        rows = [pairs[i].model_dump(mode="json") for i in keep]
        block = np.ascontiguousarray(vectors[keep])
        self._commit_qa(rows, block)
        dead = len(self._rows) - len(self._id_row)
        if dead > 1000 and dead > len(self._id_row):
            self.compact()

    def _unchanged(self, pair: QAPair, vector: FloatArray) -> bool:
        row = self._id_row.get(pair.id)
        if row is None or self._rows[row] != pair.model_dump(mode="json"):
            return False
        return bool(np.allclose(self._vector(row), vector, atol=1e-6))

    def _vector(self, row: int) -> FloatArray:
        for part in self._vec_parts:
            if row < part.shape[0]:
                return np.asarray(part[row], dtype=np.float32)
            row -= part.shape[0]
        raise IndexError(row)

    def _commit_qa(self, rows: list[dict[str, Any]], block: FloatArray) -> None:
        lines = b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                         for r in rows)
        name = f"v{self._epoch:04d}-{self._generation + 1:08d}.npy"
        if self.path is not None:
            with self._locked():
                self._check_not_moved()
                atomic_write_bytes(self.path / "vectors" / name, _npy_bytes(block))
                with open(self.path / self._qa_file, "ab") as fh:
                    fh.seek(self._qa_bytes)
                    fh.truncate(self._qa_bytes)
                    fh.write(lines)
                    fh.flush()
                    os.fsync(fh.fileno())
                self._apply_commit(name, rows, block, len(lines))
                atomic_write_json(self.path / "manifest.json", self._manifest())
        else:
            self._apply_commit(name, rows, block, len(lines))

    def _apply_commit(self, name: str, rows: list[dict[str, Any]], block: FloatArray,
                      nbytes: int) -> None:
        self._generation += 1
        self._qa_bytes += nbytes
        self._dim = int(block.shape[1])
        self._chunks.append((name, len(rows)))
        self._vec_parts.append(block)
        self._append_rows(rows)

    def _check_not_moved(self) -> None:
        on_disk = self._read_manifest()
        gen = (0, 0) if on_disk is None else (on_disk["epoch"], on_disk["generation"])
        if gen != (self._epoch, self._generation):
            raise KnowledgeStoreError(f"{self.path}: the store was changed by another process "
                                      "since it was opened; open it again")

    def get_qa(self, ids: list[str]) -> list[QAPair]:
        """QA pairs by id, in the order asked; unknown ids are left out."""
        return [QAPair.model_validate(self._rows[self._id_row[i]]) for i in ids
                if i in self._id_row]

    def qa_ids(self) -> list[str]:
        """Ids of every stored QA pair, in insertion order of their latest version."""
        return [self._rows[r]["id"] for r in np.flatnonzero(self._alive)]

    def _matrix(self) -> FloatArray:
        if self._matrix_cache is None:
            dim = self._dim or 0
            parts = [np.asarray(p, dtype=np.float32) for p in self._vec_parts]
            self._matrix_cache = (np.concatenate(parts) if parts
                                  else np.zeros((0, dim), dtype=np.float32))
        return self._matrix_cache

    def _candidates(self, filters: QAFilters | None) -> BoolArray:
        key = (None, None, None) if filters is None else (filters.movement, filters.fault,
                                                            filters.tier)
        mask = self._mask_cache.get(key)
        if mask is None:
            mask = self._alive.copy()
            if key != (None, None, None):
                movement, fault, tier = key
                for row in np.flatnonzero(mask):
                    data = self._rows[row]
                    if ((movement is not None and movement not in data["movements"])
                            or (fault is not None and fault not in data["faults"])
                            or (tier is not None and data["tier"] != tier)):
                        mask[row] = False
            self._mask_cache[key] = mask
        return mask

    def qa_dense(self, vector: Any, k: int, filters: QAFilters | None = None
                 ) -> list[tuple[str, float]]:
        """QA ids by cosine similarity to ``vector``, best first (ties: older row first).

        Raises:
            KnowledgeStoreError: wrong dimension, zero or non-finite query vector.
        """
        if k <= 0 or self._dim is None:
            return []
        try:
            query = normalise_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        except EmbeddingError as exc:
            raise KnowledgeStoreError(f"qa_dense: {exc}") from exc
        if query.shape[0] != self._dim:
            raise KnowledgeStoreError(f"qa_dense: query has dimension {query.shape[0]}, the "
                                      f"store holds dimension {self._dim}")
        mask = self._candidates(filters)
        n_candidates = int(mask.sum())
        if n_candidates == 0:
            return []
        if n_candidates > self.hnsw_threshold:
            hits = self._hnsw_search(query, min(k, n_candidates), mask)
            if hits is not None:
                return hits
        rows = np.flatnonzero(mask)
        scores = (self._matrix() @ query)[rows]  # product first: no copy of the matrix
        order = np.argsort(-scores, kind="stable")[:k]
        return [(self._rows[rows[i]]["id"], float(np.clip(scores[i], -1.0, 1.0)))
                for i in order]

    def _hnsw_search(self, query: FloatArray, k: int, mask: BoolArray
                     ) -> list[tuple[str, float]] | None:
        """HNSW search; None when hnswlib cannot return k filtered hits (then exact)."""
        index = self._hnsw_index()
        index.set_ef(self.ef_search(k))
        everything = bool(mask.all())
        try:
            labels, dists = index.knn_query(
                query, k=k, filter=None if everything else (lambda label: bool(mask[label])))
        except RuntimeError:
            return None
        return [(self._rows[int(r)]["id"], float(np.clip(1.0 - d, -1.0, 1.0)))
                for r, d in zip(labels[0], dists[0], strict=True)]

    def ef_search(self, k: int) -> int:
        """The HNSW query beam used for ``k`` hits (fixed, or grown with the row count)."""
        if self.hnsw_ef_search is not None:
            return max(k, self.hnsw_ef_search)
        return auto_ef_search(len(self._rows), k)

    def _hnsw_index(self) -> Any:
        try:
            hnswlib = importlib.import_module("hnswlib")  # untyped: no stubs
        except ImportError as exc:
            raise MissingDependencyError("hnswlib", "kb",
                                         "approximate search over large QA stores") from exc
        total = len(self._rows)
        if self._hnsw is None:
            self._hnsw, self._hnsw_rows = self._load_hnsw(hnswlib, total)
        if self._hnsw_rows < total:
            index = self._hnsw
            index.resize_index(max(total, index.get_max_elements()))
            index.add_items(self._matrix()[self._hnsw_rows:],
                            np.arange(self._hnsw_rows, total))
            self._hnsw_rows = total
            self._save_hnsw()
        return self._hnsw

    def _load_hnsw(self, hnswlib: Any, total: int) -> tuple[Any, int]:
        index = hnswlib.Index(space="ip", dim=self._dim)
        if self.path is not None and (self.path / "hnsw.json").exists():
            meta = json.loads((self.path / "hnsw.json").read_text())
            if (meta.get("epoch") == self._epoch and meta.get("dim") == self._dim
                    and meta.get("rows", total + 1) <= total):
                index.load_index(str(self.path / "hnsw.bin"), max_elements=total)
                return index, int(meta["rows"])
        index.init_index(max_elements=max(total, 1), ef_construction=self.hnsw_ef_construction,
                         M=self.hnsw_m, random_seed=100)
        return index, 0

    def _save_hnsw(self) -> None:
        if self.path is None or self._hnsw is None:
            return
        tmp = self.path / "hnsw.bin.tmp"
        self._hnsw.save_index(str(tmp))
        with self._locked():
            os.replace(tmp, self.path / "hnsw.bin")
            atomic_write_json(self.path / "hnsw.json", {"epoch": self._epoch, "dim": self._dim,
                                                        "rows": self._hnsw_rows,
                                                        "M": int(self._hnsw.M),
                                                        "ef_construction":
                                                            int(self._hnsw.ef_construction)})

    def qa_fulltext(self, query: str, k: int, filters: QAFilters | None = None
                    ) -> list[tuple[str, float]]:
        """QA ids by BM25 score over question + answer, best first; only scores > 0."""
        tokens = tokenize(query)
        if k <= 0 or not tokens or not self._id_row:
            return []
        index, doc_rows = self._bm25_index()
        scores = bm25_scores(index, tokens)
        if filters is not None:
            scores[~self._candidates(filters)[doc_rows]] = 0.0
        return [(self._rows[doc_rows[i]]["id"], float(scores[i])) for i in top_k(scores, k)]

    def _bm25_index(self) -> tuple[Any, NDArray[np.int64]]:
        if self._bm25 is not None:
            return self._bm25
        try:
            bm25s = importlib.import_module("bm25s")  # untyped: no stubs
        except ImportError as exc:
            raise MissingDependencyError("bm25s", "kb", "keyword search over QA pairs") from exc
        doc_rows = np.flatnonzero(self._alive).astype(np.int64)
        loaded = self._load_bm25(bm25s, doc_rows)
        if loaded is None:
            index = bm25s.BM25(k1=BM25_K1, b=BM25_B)
            corpus = [tokenize(f"{self._rows[r]['question']} {self._rows[r]['answer']}")
                      for r in doc_rows]
            index.index(corpus, show_progress=False)
            self._save_bm25(index, doc_rows)
        else:
            index = loaded
        self._bm25 = (index, doc_rows)
        return self._bm25

    def _load_bm25(self, bm25s: Any, doc_rows: NDArray[np.int64]) -> Any | None:
        if self.path is None or not (self.path / "bm25.json").exists():
            return None
        meta = json.loads((self.path / "bm25.json").read_text())
        if (meta.get("epoch"), meta.get("generation")) != (self._epoch, self._generation):
            return None
        index: Any = bm25s.BM25.load(str(self.path / "bm25"), show_progress=False)
        return index

    def _save_bm25(self, index: Any, doc_rows: NDArray[np.int64]) -> None:
        if self.path is None:
            return
        tmp = Path(tempfile.mkdtemp(dir=self.path, prefix=".bm25.", suffix=".tmp"))
        index.save(str(tmp), show_progress=False)
        with self._locked():
            with contextlib.suppress(FileNotFoundError):
                (self.path / "bm25.json").unlink()
            shutil.rmtree(self.path / "bm25", ignore_errors=True)
            os.replace(tmp, self.path / "bm25")
            atomic_write_json(self.path / "bm25.json",
                              {"epoch": self._epoch, "generation": self._generation,
                               "docs": len(doc_rows)})

    # ------------------------------------------------------------ maintenance
    def stats(self) -> dict[str, int]:
        """Counts of nodes per label, relations per type, and QA pairs.

        Keys: ``nodes:<Label>`` and ``relations:<TYPE>`` (only those > 0), and
        ``qa_pairs``, ``qa_pairs:curated``, ``qa_pairs:ingested`` (always present), and
        ``qa_pairs:document`` (document passages, only when > 0).
        """
        out: dict[str, int] = {}
        for label, _ in self._nodes:
            out[f"nodes:{label}"] = out.get(f"nodes:{label}", 0) + 1
        for key in self._rels:
            out[f"relations:{key[0]}"] = out.get(f"relations:{key[0]}", 0) + 1
        out["qa_pairs"] = len(self._id_row)
        for tier in ("curated", "ingested", "document"):
            count = sum(1 for r in self._id_row.values() if self._rows[r]["tier"] == tier)
            if count or tier != "document":
                out[f"qa_pairs:{tier}"] = count
        return out

    def clear(self) -> None:
        """Remove every node, relation, QA pair and ingest checkpoint.

        The embedding cache is kept: it is keyed by content, so it stays valid.
        """
        self._nodes.clear()
        self._rels.clear()
        self._adj.clear()
        self._rewrite_qa([], np.zeros((0, 0), dtype=np.float32))
        self._save_graph()
        if self.path is not None:
            shutil.rmtree(self.path / "ingest", ignore_errors=True)

    def compact(self) -> None:
        """Rewrite the QA files without superseded rows (crash-safe)."""
        live = np.flatnonzero(self._alive)
        self._rewrite_qa([self._rows[r] for r in live], self._matrix()[live])

    def _rewrite_qa(self, rows: list[dict[str, Any]], block: FloatArray) -> None:
        epoch = self._epoch + 1
        if self.path is None:
            self._reset_qa(epoch)
            if rows:
                self._apply_commit(f"v{epoch:04d}-00000001.npy", rows, block, 0)
            return
        with self._locked():
            self._check_not_moved()
            self._reset_qa(epoch)
            lines = b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode()
                             + b"\n" for r in rows)
            atomic_write_bytes(self.path / self._qa_file, lines)
            if rows:
                name = f"v{epoch:04d}-{1:08d}.npy"
                atomic_write_bytes(self.path / "vectors" / name, _npy_bytes(block))
                self._apply_commit(name, rows, block, len(lines))
            atomic_write_json(self.path / "manifest.json", self._manifest())
            self._remove_orphans()
            for name in ("hnsw.bin", "hnsw.json", "bm25.json"):
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()
            shutil.rmtree(self.path / "bm25", ignore_errors=True)

    def validate(self) -> list[str]:
        """Consistency problems, empty when the store is sound.

        Checks the files against the manifest, every QA row against
        :class:`QAPair`, vectors (finite, unit length, one per row), relation
        endpoints, and that every cited source id names a Source node.
        """
        problems: list[str] = []
        if self.path is not None:
            manifest = self._read_manifest()
            if manifest is not None and manifest != self._manifest():
                problems.append("manifest on disk differs from the open store")
            qa_path = self.path / self._qa_file
            size = qa_path.stat().st_size if qa_path.exists() else 0
            if size != self._qa_bytes:
                problems.append(f"{qa_path.name}: {size} bytes, manifest says {self._qa_bytes}")
        matrix = self._matrix()
        if matrix.shape[0] != len(self._rows):
            problems.append(f"{len(self._rows)} QA rows but {matrix.shape[0]} vectors")
        elif len(self._rows):
            norms = np.linalg.norm(matrix, axis=1)
            if not np.all(np.isfinite(matrix)) or np.any(np.abs(norms - 1.0) > 1e-3):
                problems.append("some vectors are not finite unit vectors")
        for row in np.flatnonzero(self._alive):
            try:
                pair = QAPair.model_validate(self._rows[row])
            except ValidationError as exc:
                problems.append(f"QA row {row}: {exc}")
                continue
            problems.extend(f"QA {pair.id}: unknown source {s!r}" for s in pair.source_ids
                            if (SOURCE_LABEL, s) not in self._nodes)
        for key in self._rels:
            for label, node_id in ((key[1], key[2]), (key[3], key[4])):
                if (label, node_id) not in self._nodes:
                    problems.append(f"relation {key}: missing node {label}:{node_id}")
        return problems
