"""Types every knowledge backend shares (the store contract).

Plain pydantic; no LangChain. Every retrieved item carries stable source ids
and enough metadata (title, URL or DOI) for the citation layer.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

EvidenceLevel = Literal["systematic_review", "rct", "cohort", "cross_sectional", "review",
                        "expert_opinion", "textbook", "dataset", "other"]


class Source(BaseModel):
    """A real, checkable source (never invented)."""

    id: str
    title: str
    authors: list[str]
    year: int | None = Field(default=None, description="None for a user's document without one")
    venue: str
    doi: str | None = None
    url: str | None = None
    licence: str | None = None
    evidence_level: EvidenceLevel = "other"
    verified: str = Field(description="how and where the details were checked")
    verification: Literal["yes", "partly"] | None = Field(
        default=None, description="REFERENCES.md status; 'no' rows are never sources")
    supports: str | None = Field(
        default=None, description="the finding the source states, the only thing it is cited for")
    support_terms: list[str] = Field(
        default_factory=list,
        description="lower-case phrases of that finding; a record citing the source names one")


class Node(BaseModel):
    """A graph node: ``label`` is its type (Fault, Drill, ...), ``id`` is unique per label."""

    id: str
    label: str
    props: dict[str, Any] = Field(default_factory=dict)


class Relation(BaseModel):
    """A directed, typed relation between two nodes."""

    type: str
    start_label: str
    start_id: str
    end_label: str
    end_id: str
    props: dict[str, Any] = Field(default_factory=dict)


class QAPair(BaseModel):
    """An expert question-answer pair with its tags and sources."""

    id: str
    question: str
    answer: str
    movements: list[str] = Field(default_factory=list)
    faults: list[str] = Field(default_factory=list)
    source_ids: list[str] = Field(min_length=1)
    tier: Literal["curated", "ingested", "document"] = Field(
        default="curated", description="'document': a passage of a user's document "
        "(:mod:`sportsgpt.graph_kb.documents`), its source the cited page or section")


class SourceRef(BaseModel):
    """What a citation needs about a source."""

    id: str
    title: str
    url: str | None
    doi: str | None
    year: int | None = None


class QAHit(BaseModel):
    """One QA search result with its scores and sources."""

    qa: QAPair
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    rerank_score: float | None = None
    sources: list[SourceRef]


class QAFilters(BaseModel):
    """Optional filters for QA search."""

    movement: str | None = None
    fault: str | None = None
    tier: Literal["curated", "ingested", "document"] | None = None


class FaultKnowledge(BaseModel):
    """Everything the graph knows about one fault (``kg_lookup`` result).

    Each item of ``metrics``, ``causes``, ``drills``, ``cues``, ``risks`` and
    ``contraindications`` is ``{"id", **node properties, "source_ids"}``, where
    ``source_ids`` are the ids of the sources that support that item (its own
    ``SUPPORTED_BY`` relations; empty when it cites none), so guidance can cite
    per item. A drill item also carries ``progresses_to`` and ``regresses_to``
    (drill ids, sorted) and ``progresses_to_names`` and ``regresses_to_names``
    (those drills' names, in the same order). ``sources`` are the references of
    every source the fault or any item cites.
    """

    fault_id: str
    label: str
    description: str
    source_ids: list[str] = Field(default_factory=list,
                                  description="sources supporting the fault record itself")
    metrics: list[dict[str, Any]]
    causes: list[dict[str, Any]]
    drills: list[dict[str, Any]]
    cues: list[dict[str, Any]]
    risks: list[dict[str, Any]]
    contraindications: list[dict[str, Any]]
    sources: list[SourceRef]


@runtime_checkable
class KnowledgeStore(Protocol):
    """One interface, two backends (embedded default, Neo4j)."""

    def upsert_graph(self, nodes: list[Node], relations: list[Relation]) -> None:
        """Insert or update nodes and relations (idempotent)."""

    def upsert_qa(self, pairs: list[QAPair], embeddings: Any) -> None:
        """Insert or update QA pairs with their embedding vectors (``(n, d)`` float32)."""

    def get_node(self, label: str, node_id: str) -> Node | None:
        """One node by label and id."""

    def neighbours(self, label: str, node_id: str, rel_type: str,
                   direction: Literal["out", "in"] = "out") -> list[Node]:
        """Nodes one typed hop away."""

    def fault_knowledge(self, fault_id: str) -> FaultKnowledge | None:
        """Causes, drills, cues, risks and sources of a fault."""

    def qa_dense(self, vector: Any, k: int, filters: QAFilters | None = None
                 ) -> list[tuple[str, float]]:
        """QA ids by vector similarity (cosine), best first."""

    def qa_fulltext(self, query: str, k: int, filters: QAFilters | None = None
                    ) -> list[tuple[str, float]]:
        """QA ids by keyword relevance (BM25 or Lucene), best first."""

    def get_qa(self, ids: list[str]) -> list[QAPair]:
        """QA pairs by id, in the order asked."""

    def sources(self, ids: list[str]) -> list[Source]:
        """Sources by id."""

    def stats(self) -> dict[str, int]:
        """Counts of nodes per label, relations per type, QA pairs."""

    def clear(self) -> None:
        """Remove everything (tests and rebuilds)."""
