"""Pieces every knowledge-store backend shares, so that no backend imports another.

The BM25 tokenizer, atomic file writes, the ``upsert_qa`` vector check, and the
fault-knowledge assembly over any :class:`~sportsgpt.graph_kb.types.KnowledgeStore`.

Graph schema (:mod:`sportsgpt.graph_kb.schema`) as read by
:func:`assemble_fault_knowledge`, shared with the Neo4j backend: ``Fault
-DETECTED_BY-> Metric``, ``Fault -CAUSED_BY-> Cause``, ``Drill -CORRECTS-> Fault``,
``Cue -ADDRESSES-> Fault``, ``Fault -RAISES-> InjuryRisk``, ``Drill
-CONTRAINDICATED_FOR-> Contraindication``, ``Fault -OCCURS_IN-> Movement``, and
claim-bearing nodes ``-SUPPORTED_BY-> Source`` (Source props = the
:class:`Source` fields), ``Drill -PROGRESSES_TO-> Drill`` and its mirror
``Drill -REGRESSES_TO-> Drill``. :func:`knowledge_item` and
:func:`build_fault_knowledge` shape the result for both backends, so the
embedded store and the Neo4j store return identical items.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sportsgpt.graph_kb.embeddings import EmbeddingError, normalise_rows
from sportsgpt.graph_kb.errors import KnowledgeStoreError
from sportsgpt.graph_kb.types import FaultKnowledge, KnowledgeStore, Node, QAPair, SourceRef

SOURCE_LABEL = "Source"
FAULT_LABEL = "Fault"
DRILL_LABEL = "Drill"
REL_DETECTED_BY = "DETECTED_BY"
REL_CAUSED_BY = "CAUSED_BY"
REL_CORRECTS = "CORRECTS"
REL_ADDRESSES = "ADDRESSES"
REL_RAISES = "RAISES"
REL_CONTRAINDICATED_FOR = "CONTRAINDICATED_FOR"
REL_OCCURS_IN = "OCCURS_IN"
REL_SUPPORTED_BY = "SUPPORTED_BY"
REL_PROGRESSES_TO = "PROGRESSES_TO"
REL_REGRESSES_TO = "REGRESSES_TO"
ITEM_GROUPS = ("metrics", "causes", "drills", "cues", "risks", "contraindications")
"""The item lists of a :class:`FaultKnowledge`, in field order."""

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


def knowledge_item(node: Node, source_ids: Iterable[str], *,
                   progresses_to: Iterable[Node] | None = None,
                   regresses_to: Iterable[Node] | None = None) -> dict[str, Any]:
    """One :class:`FaultKnowledge` item: ``{"id", **props, "source_ids"}``.

    ``source_ids`` are the ids of the sources that support this item (its own
    ``SUPPORTED_BY`` relations), sorted and unique. A drill (``progresses_to``
    and ``regresses_to`` given, possibly empty) also carries ``progresses_to``
    and ``regresses_to`` (drill ids, sorted) and ``progresses_to_names`` and
    ``regresses_to_names`` (their ``name``, in the same order).
    """
    item: dict[str, Any] = {"id": node.id, **node.props, "source_ids": sorted(set(source_ids))}
    for key, linked in (("progresses_to", progresses_to), ("regresses_to", regresses_to)):
        if linked is None:
            continue
        drills = sorted({n.id: n for n in linked}.values(), key=lambda n: n.id)
        item[key] = [n.id for n in drills]
        item[f"{key}_names"] = [str(n.props.get("name", n.id)) for n in drills]
    return item


def build_fault_knowledge(fault: Node, source_ids: Iterable[str],
                          items: Mapping[str, list[dict[str, Any]]],
                          sources: list[SourceRef]) -> FaultKnowledge:
    """A :class:`FaultKnowledge` from the fault node, its own source ids and its items.

    ``items`` maps each of :data:`ITEM_GROUPS` to :func:`knowledge_item` dicts
    (sorted by id here, duplicates by id dropped); ``sources`` are the
    references of every source the fault or any item cites.
    """
    def group(name: str) -> list[dict[str, Any]]:
        unique = {i["id"]: i for i in items[name]}
        return [unique[i] for i in sorted(unique)]

    return FaultKnowledge(
        fault_id=fault.id, label=str(fault.props.get("label", fault.id)),
        description=str(fault.props.get("description", "")),
        source_ids=sorted(set(source_ids)), metrics=group("metrics"), causes=group("causes"),
        drills=group("drills"), cues=group("cues"), risks=group("risks"),
        contraindications=group("contraindications"), sources=sources)


def assemble_fault_knowledge(store: KnowledgeStore, fault_id: str) -> FaultKnowledge | None:
    """Build a :class:`FaultKnowledge` from any store's ``get_node`` and ``neighbours``.

    Items are :func:`knowledge_item` dicts sorted by id: metrics that detect the
    fault, its causes, the drills that correct it (with their progressions and
    regressions), the cues that address it, the injury risks it raises and the
    contraindications of its drills; each carries the ids of its own sources.
    ``sources`` are the Source nodes that support the fault or any of those
    items, sorted by id.
    """
    fault = store.get_node(FAULT_LABEL, fault_id)
    if fault is None:
        return None

    def cited(node: Node) -> list[str]:
        return [n.id for n in store.neighbours(node.label, node.id, REL_SUPPORTED_BY, "out")
                if n.label == SOURCE_LABEL]

    def drills_via(node: Node, rel_type: str) -> list[Node]:
        return [n for n in store.neighbours(node.label, node.id, rel_type, "out")
                if n.label == DRILL_LABEL]

    nodes = {
        "metrics": store.neighbours(FAULT_LABEL, fault_id, REL_DETECTED_BY, "out"),
        "causes": store.neighbours(FAULT_LABEL, fault_id, REL_CAUSED_BY, "out"),
        "drills": store.neighbours(FAULT_LABEL, fault_id, REL_CORRECTS, "in"),
        "cues": store.neighbours(FAULT_LABEL, fault_id, REL_ADDRESSES, "in"),
        "risks": store.neighbours(FAULT_LABEL, fault_id, REL_RAISES, "out"),
    }
    nodes["contraindications"] = list(
        {n.id: n for d in nodes["drills"]
         for n in store.neighbours(d.label, d.id, REL_CONTRAINDICATED_FOR, "out")}.values())
    fault_sources = cited(fault)
    everything = set(fault_sources)
    items: dict[str, list[dict[str, Any]]] = {}
    for name in ITEM_GROUPS:
        items[name] = []
        for node in nodes[name]:
            own = cited(node)
            everything.update(own)
            if name == "drills":
                items[name].append(knowledge_item(
                    node, own, progresses_to=drills_via(node, REL_PROGRESSES_TO),
                    regresses_to=drills_via(node, REL_REGRESSES_TO)))
            else:
                items[name].append(knowledge_item(node, own))
    refs = [SourceRef(id=s.id, title=s.title, url=s.url, doi=s.doi, year=s.year)
            for s in store.sources(sorted(everything))]
    return build_fault_knowledge(fault, fault_sources, items, refs)
