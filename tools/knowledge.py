"""Knowledge lookup tools: ``kg_lookup`` (graph) and ``qa_search`` (expert QA pairs).

Plain typed functions (no LangChain): the agent layer wraps them. The store
and embedder are keyword arguments the caller binds; the remaining arguments
are what a model fills in. Invalid arguments raise
:class:`UnknownKnowledgeIdError`, whose message lists the valid ids so a model
can correct its call.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb.embeddings import Embedder
from sportsgpt.graph_kb.movements import all_fault_ids, fault_ids, metric_ids, movement_ids
from sportsgpt.graph_kb.retrieval import CrossEncoderReranker, hybrid_search
from sportsgpt.graph_kb.types import (
    FaultKnowledge,
    KnowledgeStore,
    QAFilters,
    QAHit,
    SourceRef,
)

MAX_K = 20


class UnknownKnowledgeIdError(SportsGPTError, LookupError):
    """A fault, metric or movement id the knowledge base does not know; lists the valid ones."""

    def __init__(self, kind: str, value: str, known: list[str], context: str = "") -> None:
        self.kind = kind
        self.value = value
        self.known = known
        where = f" {context}" if context else ""
        super().__init__(f"unknown {kind} id {value!r}{where}; known {kind} ids: "
                         f"{', '.join(known)}")


class KnowledgeArgumentError(SportsGPTError, ValueError):
    """Tool arguments that cannot be served (no id given, empty query, k out of range)."""


class KnowledgeNotBuiltError(SportsGPTError):
    """The store lacks knowledge it should have: build it with ``sportsgpt kb build``."""


class KgLookupResult(BaseModel):
    """What the knowledge graph says about the matching faults.

    Every item is ``{"id", ...properties, "fault_ids": [faults it belongs to]}``;
    ``sources`` are the sources supporting any returned fault or item: cite
    them by id.
    """

    query: dict[str, str | None]
    faults: list[dict[str, Any]] = Field(description="id, label, description, coach summary")
    metrics: list[dict[str, Any]]
    causes: list[dict[str, Any]]
    drills: list[dict[str, Any]]
    cues: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    contraindications: list[dict[str, Any]]
    sources: list[SourceRef]


def _check_movement(movement: str | None) -> None:
    if movement is not None and movement not in movement_ids():
        raise UnknownKnowledgeIdError("movement", movement, list(movement_ids()))


def _check_fault(fault_id: str, movement: str | None) -> None:
    allowed = set(fault_ids(movement)) if movement else all_fault_ids()
    if fault_id not in allowed:
        raise UnknownKnowledgeIdError("fault", fault_id, sorted(allowed),
                                      f"for movement {movement!r}" if movement else "")


def _merge(target: dict[str, dict[str, Any]], items: list[dict[str, Any]],
           fault_id: str) -> None:
    for item in items:
        entry = target.setdefault(item["id"], {**item, "fault_ids": []})
        entry["fault_ids"].append(fault_id)


def kg_lookup(fault_id: str | None = None, metric_id: str | None = None,
              movement: str | None = None, *, store: KnowledgeStore) -> KgLookupResult:
    """Look up causes, corrective drills, coaching cues, injury risks and sources.

    Give at least one of: ``fault_id`` (a KISMAM fault such as
    ``"knee_valgus_on_landing"``), ``metric_id`` (a KISMAM metric such as
    ``"knee_fppa_landing"``: returns the faults that metric detects) or
    ``movement`` (a movement id such as ``"countermovement_jump"``: restricts
    to that movement's faults, or returns all of them when alone). Several
    arguments combine with AND.

    Raises:
        UnknownKnowledgeIdError: an id is unknown; the message lists valid ids.
        KnowledgeArgumentError: no argument given.
        KnowledgeNotBuiltError: a known id is missing from the store.
    """
    if fault_id is None and metric_id is None and movement is None:
        raise KnowledgeArgumentError("give a fault_id, a metric_id or a movement")
    _check_movement(movement)
    candidates = set(fault_ids(movement)) if movement else set(all_fault_ids())
    if fault_id is not None:
        _check_fault(fault_id, movement)
        candidates &= {fault_id}
    if metric_id is not None:
        if metric_id not in metric_ids():
            raise UnknownKnowledgeIdError("metric", metric_id, sorted(metric_ids()))
        if store.get_node("Metric", metric_id) is None:
            raise KnowledgeNotBuiltError(f"the knowledge store has no metric {metric_id!r}: "
                                         "build it with `sportsgpt kb build`")
        candidates &= {n.id for n in store.neighbours("Metric", metric_id, "DETECTED_BY", "in")}
    knowledge = [_fault(store, f) for f in sorted(candidates)]
    groups: dict[str, dict[str, dict[str, Any]]] = {
        name: {} for name in ("metrics", "causes", "drills", "cues", "risks",
                              "contraindications")}
    sources: dict[str, SourceRef] = {}
    for fk in knowledge:
        for name, target in groups.items():
            _merge(target, getattr(fk, name), fk.fault_id)
        sources.update((s.id, s) for s in fk.sources)
    faults = [{"id": fk.fault_id, "label": fk.label, "description": fk.description}
              for fk in knowledge]
    return KgLookupResult(
        query={"fault_id": fault_id, "metric_id": metric_id, "movement": movement},
        faults=faults, sources=[sources[s] for s in sorted(sources)],
        **{name: [target[i] for i in sorted(target)] for name, target in groups.items()})


def _fault(store: KnowledgeStore, fault_id: str) -> FaultKnowledge:
    found = store.fault_knowledge(fault_id)
    if found is None:
        raise KnowledgeNotBuiltError(f"the knowledge store has no fault {fault_id!r}: build "
                                     "it with `sportsgpt kb build`")
    return found


def qa_search(query: str, filters: QAFilters | None = None, k: int = 5, *,
              store: KnowledgeStore, embedder: Embedder,
              reranker: CrossEncoderReranker | None = None) -> list[QAHit]:
    """Search expert question-answer pairs by meaning and keywords (hybrid BM25 + dense).

    Args:
        query: a question or description in plain words, e.g. "how to land softer
            after a countermovement jump".
        filters: optional ``movement`` (a movement id), ``fault`` (a KISMAM fault
            id) and ``tier`` (``"curated"`` or ``"ingested"``).
        k: number of results, 1 to 20.
        store: the knowledge store (bound by the caller, not by a model).
        embedder: the query embedder (bound by the caller, not by a model).
        reranker: an optional cross-encoder re-ranking the fused candidates.

    Returns:
        Hits best first, each with the QA pair, scores and its sources (id,
        title, URL or DOI): cite the source ids.

    Raises:
        KnowledgeArgumentError: empty query or ``k`` out of range.
        UnknownKnowledgeIdError: an unknown movement or fault id in ``filters``.
    """
    if not query.strip():
        raise KnowledgeArgumentError("the query is empty")
    if not 1 <= k <= MAX_K:
        raise KnowledgeArgumentError(f"k must be between 1 and {MAX_K}, got {k}")
    if filters is not None:
        _check_movement(filters.movement)
        if filters.fault is not None:
            _check_fault(filters.fault, filters.movement)
    return hybrid_search(store, query, embedder, k=k, filters=filters, reranker=reranker)
