"""Hybrid retrieval (RRF), the knowledge tools, and building the curated store."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from sportsgpt.graph_kb.build import build_curated
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.movements import fault_ids, movement_ids
from sportsgpt.graph_kb.retrieval import (
    CrossEncoderReranker,
    RetrievalError,
    hybrid_search,
    rrf_fuse,
)
from sportsgpt.graph_kb.types import QAFilters, QAPair
from sportsgpt.tools.knowledge import (
    KnowledgeArgumentError,
    KnowledgeNotBuiltError,
    UnknownKnowledgeIdError,
    kg_lookup,
    qa_search,
)
from tests.contract.kb_fixtures import EMBEDDER, load_fixture


@pytest.fixture
def store() -> EmbeddedStore:
    s = EmbeddedStore(None)
    load_fixture(s)
    return s


def test_rrf_fuse_values() -> None:
    fused = rrf_fuse([["a", "b", "c"], ["b", "d"]], k=60)
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["d"] == pytest.approx(1 / 62)
    assert max(fused, key=fused.__getitem__) == "b"


def test_hybrid_hits_carry_scores_and_sources(store: EmbeddedStore) -> None:
    hits = hybrid_search(store, "knees caving in when I land", EMBEDDER, k=3)
    assert hits[0].qa.id == "qa1"
    assert hits[0].bm25_rank == 1 and hits[0].dense_rank == 1
    assert hits[0].score == pytest.approx(2 / 61)
    assert [(s.id, s.title, s.doi, s.url) for s in hits[0].sources] == [
        ("src_a", "Source A", "10.0000/a", None), ("src_b", "Source B", None,
                                                   "https://example.org/b")]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_keyword_only_match_is_found(store: EmbeddedStore) -> None:
    hits = hybrid_search(store, "zebra", EMBEDDER, k=5)
    zebra = next(h for h in hits if h.qa.id == "qa5")
    assert zebra.bm25_rank == 1


def test_hybrid_filters(store: EmbeddedStore) -> None:
    hits = hybrid_search(store, "landing knees", EMBEDDER, k=5,
                         filters=QAFilters(movement="deep_squat"))
    assert {h.qa.id for h in hits} <= {"qa3", "qa5"}


@pytest.mark.parametrize(("query", "k", "candidates"), [("  ", 3, 50), ("q", 0, 50),
                                                        ("q", 5, 2)],
                         ids=["empty", "k0", "few-candidates"])
def test_hybrid_rejects_bad_arguments(store: EmbeddedStore, query: str, k: int,
                                      candidates: int) -> None:
    with pytest.raises(RetrievalError):
        hybrid_search(store, query, EMBEDDER, k=k, candidates=candidates)


class _ReverseAlphabetReranker(CrossEncoderReranker):
    def __init__(self) -> None:  # no model: scores by id only
        pass

    def score(self, query: str, pairs: Sequence[QAPair]) -> list[float]:
        return [float(ord(p.id[-1])) for p in pairs]


def test_reranker_decides_the_order(store: EmbeddedStore) -> None:
    hits = hybrid_search(store, "landing squat arm heel knees", EMBEDDER, k=2,
                         reranker=_ReverseAlphabetReranker())
    assert [h.qa.id for h in hits] == ["qa5", "qa4"]
    assert hits[0].rerank_score == hits[0].score == float(ord("5"))


def test_missing_cross_encoder_folder(tmp_path: Path) -> None:
    with pytest.raises(RetrievalError, match="does not exist"):
        CrossEncoderReranker(tmp_path / "none")


def test_kg_lookup_by_fault(store: EmbeddedStore) -> None:
    result = kg_lookup("knee_valgus_on_landing", store=store)
    assert [f["id"] for f in result.faults] == ["knee_valgus_on_landing"]
    assert [d["id"] for d in result.drills] == ["drop_landing", "lateral_band_walk"]
    assert result.drills[0]["fault_ids"] == ["knee_valgus_on_landing"]
    assert [s.id for s in result.sources] == ["src_a", "src_b"]


def test_kg_lookup_by_metric_and_movement(store: EmbeddedStore) -> None:
    by_metric = kg_lookup(metric_id="peak_knee_flexion_landing", store=store)
    assert [f["id"] for f in by_metric.faults] == ["stiff_landing"]
    assert [d["id"] for d in by_metric.drills] == ["drop_landing"]
    with pytest.raises(KnowledgeNotBuiltError):  # the fixture has only two CMJ faults
        kg_lookup(movement="countermovement_jump", store=store)


@pytest.mark.parametrize(("kwargs", "listed"), [
    ({"fault_id": "wobbly_knees"}, "knee_valgus_on_landing"),
    ({"fault_id": "heel_rise", "movement": "countermovement_jump"}, "stiff_landing"),
    ({"metric_id": "vibes"}, "knee_fppa_landing"),
    ({"movement": "curling"}, "deep_squat"),
], ids=["fault", "fault-of-other-movement", "metric", "movement"])
def test_kg_lookup_unknown_ids_list_the_known_ones(store: EmbeddedStore,
                                                   kwargs: dict[str, str],
                                                   listed: str) -> None:
    with pytest.raises(UnknownKnowledgeIdError, match=listed):
        kg_lookup(store=store, **kwargs)


def test_kg_lookup_needs_an_argument(store: EmbeddedStore) -> None:
    with pytest.raises(KnowledgeArgumentError):
        kg_lookup(store=store)


def test_qa_search_tool(store: EmbeddedStore) -> None:
    hits = qa_search("stiff loud landing", QAFilters(fault="stiff_landing"), k=2, store=store,
                     embedder=EMBEDDER)
    assert [h.qa.id for h in hits] == ["qa2"]
    with pytest.raises(KnowledgeArgumentError):
        qa_search("x", k=99, store=store, embedder=EMBEDDER)
    with pytest.raises(UnknownKnowledgeIdError):
        qa_search("x", QAFilters(fault="nope"), store=store, embedder=EMBEDDER)


def test_build_curated_content(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    report = build_curated(store, EMBEDDER)
    assert report.nodes > 0 and report.relations > 0
    assert store.validate() == []
    for movement in movement_ids():
        faults = fault_ids(movement)
        for fault in faults:
            fk = store.fault_knowledge(fault)
            assert fk is not None, fault
            assert len(fk.drills) >= 2 and len(fk.cues) >= 2 and fk.sources, fault
        result = kg_lookup(movement=movement, store=store)
        assert {f["id"] for f in result.faults} == set(faults)
    stats = store.stats()
    assert build_curated(store, EMBEDDER) == report
    assert store.stats() == stats
