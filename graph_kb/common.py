"""Pieces every knowledge-store backend shares, so that no backend imports another.

The BM25 tokenizer, atomic file writes, the ``upsert_qa`` vector check, and the
fault-knowledge assembly over any :class:`~sportsgpt.graph_kb.types.KnowledgeStore`.

Graph schema (:mod:`sportsgpt.graph_kb.schema`) as read by
:func:`assemble_fault_knowledge`, shared with the Neo4j backend: ``Fault
-DETECTED_BY-> Metric``, ``Fault -CAUSED_BY-> Cause``, ``Drill -CORRECTS-> Fault``,
``Cue -ADDRESSES-> Fault``, ``Fault -RAISES-> InjuryRisk``, ``Drill
-CONTRAINDICATED_FOR-> Contraindication``, ``Fault -OCCURS_IN-> Movement``, and
claim-bearing nodes ``-SUPPORTED_BY-> Source`` (Source props = the
:class:`Source` fields).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportsgpt.graph_kb.embeddings import EmbeddingError, normalise_rows
from sportsgpt.graph_kb.errors import KnowledgeStoreError
from sportsgpt.graph_kb.types import FaultKnowledge, KnowledgeStore, Node, QAPair, SourceRef

SOURCE_LABEL = "Source"
FAULT_LABEL = "Fault"
REL_DETECTED_BY = "DETECTED_BY"
REL_CAUSED_BY = "CAUSED_BY"
REL_CORRECTS = "CORRECTS"
REL_ADDRESSES = "ADDRESSES"
REL_RAISES = "RAISES"
REL_CONTRAINDICATED_FOR = "CONTRAINDICATED_FOR"
REL_OCCURS_IN = "OCCURS_IN"
REL_SUPPORTED_BY = "SUPPORTED_BY"

_TOKEN = re.compile(r"[a-z0-9]+")
_STOP_TEXT = ("a an and are as at be but by can do does for from has have how i if in into is "
              "it its my of on or should so than that the their then there these they this to "
              "was what when where which while who why will with you your")
STOP_WORDS = frozenset(_STOP_TEXT.split(" "))


def tokenize(text: str) -> list[str]:
    """BM25 tokens: lower-cased alphanumeric runs without English stop words."""
    return [t for t in _TOKEN.findall(text.lower()) if t not in STOP_WORDS]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as JSON."""
    atomic_write_bytes(path, json.dumps(obj, ensure_ascii=False, sort_keys=True).encode())


def qa_vectors(pairs: list[QAPair], embeddings: Any) -> NDArray[np.float32]:
    """Unit-length float vectors, one per pair (any backend's ``upsert_qa`` check)."""
    try:
        vectors = normalise_rows(np.asarray(embeddings))
    except EmbeddingError as exc:
        raise KnowledgeStoreError(f"upsert_qa: {exc}") from exc
    if vectors.shape[0] != len(pairs):
        raise KnowledgeStoreError(f"upsert_qa: {len(pairs)} pairs but {vectors.shape[0]} "
                                  "vectors")
    return vectors


def assemble_fault_knowledge(store: KnowledgeStore, fault_id: str) -> FaultKnowledge | None:
    """Build a :class:`FaultKnowledge` from any store's ``get_node`` and ``neighbours``.

    Items are ``{"id": ..., **props}`` dicts sorted by id: metrics that detect
    the fault, its causes, the drills that correct it, the cues that address it,
    the injury risks it raises and the contraindications of its drills. Sources
    are the Source nodes that support the fault or any of those items, sorted by id.
    """
    fault = store.get_node(FAULT_LABEL, fault_id)
    if fault is None:
        return None
    metrics = store.neighbours(FAULT_LABEL, fault_id, REL_DETECTED_BY, "out")
    causes = store.neighbours(FAULT_LABEL, fault_id, REL_CAUSED_BY, "out")
    drills = store.neighbours(FAULT_LABEL, fault_id, REL_CORRECTS, "in")
    cues = store.neighbours(FAULT_LABEL, fault_id, REL_ADDRESSES, "in")
    risks = store.neighbours(FAULT_LABEL, fault_id, REL_RAISES, "out")
    contra = {n.id: n for d in drills
              for n in store.neighbours(d.label, d.id, REL_CONTRAINDICATED_FOR, "out")}
    cited: set[str] = set()
    for node in [fault, *metrics, *causes, *drills, *cues, *risks, *contra.values()]:
        cited.update(n.id for n in store.neighbours(node.label, node.id, REL_SUPPORTED_BY, "out")
                     if n.label == SOURCE_LABEL)
    refs = [SourceRef(id=s.id, title=s.title, url=s.url, doi=s.doi, year=s.year)
            for s in store.sources(sorted(cited))]

    def dump(nodes: list[Node]) -> list[dict[str, Any]]:
        return [{"id": n.id, **n.props} for n in sorted(nodes, key=lambda n: n.id)]

    return FaultKnowledge(
        fault_id=fault_id, label=str(fault.props.get("label", fault_id)),
        description=str(fault.props.get("description", "")),
        metrics=dump(metrics), causes=dump(causes), drills=dump(drills), cues=dump(cues),
        risks=dump(risks), contraindications=dump(list(contra.values())), sources=refs)
