"""Every KnowledgeStore backend behaves the same (run per backend via the ``store`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb.types import KnowledgeStore, Node, QAFilters, QAPair, Relation
from tests.contract.kb_fixtures import (
    CITES,
    DIM,
    NODES,
    QA,
    RELATIONS,
    load_fixture,
    qa_vectors,
)

EXPECTED_STATS = {
    "nodes:Movement": 2, "nodes:Fault": 2, "nodes:Metric": 2, "nodes:Cause": 1,
    "nodes:Drill": 3, "nodes:Cue": 1, "nodes:InjuryRisk": 1, "nodes:Contraindication": 1,
    "nodes:Source": 3,
    "relations:OCCURS_IN": 2, "relations:DETECTED_BY": 2, "relations:CAUSED_BY": 1,
    "relations:CORRECTS": 3, "relations:ADDRESSES": 1, "relations:RAISES": 1,
    "relations:CONTRAINDICATED_FOR": 1, "relations:SUPPORTED_BY": 12,
    "relations:PROGRESSES_TO": 2, "relations:REGRESSES_TO": 2,
    "qa_pairs": 5, "qa_pairs:curated": 3, "qa_pairs:ingested": 2,
}


def test_empty_store(store: KnowledgeStore) -> None:
    assert store.stats() == {"qa_pairs": 0, "qa_pairs:curated": 0, "qa_pairs:ingested": 0}
    assert store.get_node("Fault", "stiff_landing") is None
    assert store.qa_dense(np.ones(DIM, np.float32), 3) == []
    assert store.qa_fulltext("landing", 3) == []
    assert store.get_qa(["qa1"]) == []
    assert store.fault_knowledge("stiff_landing") is None


def test_upsert_and_get_node_round_trip(store: KnowledgeStore) -> None:
    load_fixture(store)
    drill = store.get_node("Drill", "lateral_band_walk")
    assert drill == Node(id="lateral_band_walk", label="Drill",
                         props={"name": "Lateral band walk", "sets": 3,
                                "equipment": ["mini band"]})
    assert store.get_node("Cue", "lateral_band_walk") is None


def test_stats_after_load(store: KnowledgeStore) -> None:
    load_fixture(store)
    assert store.stats() == EXPECTED_STATS


def test_upserts_are_idempotent(store: KnowledgeStore) -> None:
    load_fixture(store)
    load_fixture(store)
    store.upsert_graph(NODES[:3], RELATIONS[:2])
    assert store.stats() == EXPECTED_STATS
    assert [p.id for p in store.get_qa(["qa1", "qa2"])] == ["qa1", "qa2"]


def test_upsert_replaces_node_props_and_qa(store: KnowledgeStore) -> None:
    load_fixture(store)
    store.upsert_graph([Node(id="cue_knees_out", label="Cue", props={"text": "New"})], [])
    assert store.get_node("Cue", "cue_knees_out") == Node(id="cue_knees_out", label="Cue",
                                                          props={"text": "New"})
    changed = QA[0].model_copy(update={"answer": "A different answer entirely."})
    store.upsert_qa([changed], qa_vectors([changed]))
    assert store.get_qa(["qa1"]) == [changed]
    assert store.stats()["qa_pairs"] == 5
    top = store.qa_dense(qa_vectors([changed])[0], 1)
    assert top[0][0] == "qa1"
    assert top[0][1] == pytest.approx(1.0, abs=1e-5)


def test_relation_to_missing_node_is_refused(store: KnowledgeStore) -> None:
    load_fixture(store)
    bad = Relation(type="CORRECTS", start_label="Drill", start_id="no_such_drill",
                   end_label="Fault", end_id="stiff_landing")
    with pytest.raises(SportsGPTError, match="no_such_drill"):
        store.upsert_graph([], [bad])
    assert store.stats() == EXPECTED_STATS


@pytest.mark.parametrize(("label", "node_id", "rel", "direction", "expected"), [
    ("Fault", "knee_valgus_on_landing", "CORRECTS", "in", ["drop_landing", "lateral_band_walk"]),
    ("Drill", "drop_landing", "CORRECTS", "out", ["knee_valgus_on_landing", "stiff_landing"]),
    ("Movement", "countermovement_jump", "OCCURS_IN", "in",
     ["knee_valgus_on_landing", "stiff_landing"]),
    ("Fault", "stiff_landing", "CAUSED_BY", "out", []),
    ("Fault", "no_such_fault", "CAUSED_BY", "out", []),
], ids=["in", "out", "movement-faults", "none", "unknown-node"])
def test_neighbours(store: KnowledgeStore, label: str, node_id: str, rel: str,
                    direction: str, expected: list[str]) -> None:
    load_fixture(store)
    found = store.neighbours(label, node_id, rel, direction)  # type: ignore[arg-type]
    assert [n.id for n in found] == expected


def test_fault_knowledge(store: KnowledgeStore) -> None:
    load_fixture(store)
    fk = store.fault_knowledge("knee_valgus_on_landing")
    assert fk is not None
    assert (fk.label, fk.description) == ("Knee valgus on landing", "Knees cave in.")
    assert [m["id"] for m in fk.metrics] == ["knee_fppa_landing"]
    assert [c["id"] for c in fk.causes] == ["weak_hip_abductors"]
    assert [d["id"] for d in fk.drills] == ["drop_landing", "lateral_band_walk"]
    assert fk.drills[1]["equipment"] == ["mini band"]
    assert [c["id"] for c in fk.cues] == ["cue_knees_out"]
    assert [r["id"] for r in fk.risks] == ["acl_risk"]
    assert [c["id"] for c in fk.contraindications] == ["acute_knee_pain"]
    assert [(s.id, s.doi, s.url) for s in fk.sources] == [
        ("src_a", "10.0000/a", None), ("src_b", None, "https://example.org/b")]


GROUP_LABELS = {"metrics": "Metric", "causes": "Cause", "drills": "Drill", "cues": "Cue",
                "risks": "InjuryRisk", "contraindications": "Contraindication"}


@pytest.mark.parametrize("fault_id", ["knee_valgus_on_landing", "stiff_landing"])
def test_every_item_carries_the_sources_its_record_cites(store: KnowledgeStore,
                                                         fault_id: str) -> None:
    load_fixture(store)
    fk = store.fault_knowledge(fault_id)
    assert fk is not None
    assert fk.source_ids == CITES[("Fault", fault_id)]
    found = {(GROUP_LABELS[g], item["id"]): item["source_ids"]
             for g in GROUP_LABELS for item in getattr(fk, g)}
    assert found == {key: sorted(CITES.get(key, [])) for key in found}
    assert {s.id for s in fk.sources} == {s for ids in [fk.source_ids, *found.values()]
                                          for s in ids}


def test_item_sources_per_item_not_per_fault(store: KnowledgeStore) -> None:
    load_fixture(store)
    fk = store.fault_knowledge("knee_valgus_on_landing")
    assert fk is not None
    assert [(d["id"], d["source_ids"]) for d in fk.drills] == [
        ("drop_landing", ["src_a", "src_b"]), ("lateral_band_walk", ["src_b"])]
    assert [(c["id"], c["source_ids"]) for c in fk.contraindications] == [
        ("acute_knee_pain", [])]


def test_drills_carry_progressions_and_regressions(store: KnowledgeStore) -> None:
    load_fixture(store)
    fk = store.fault_knowledge("knee_valgus_on_landing")
    assert fk is not None
    links = {d["id"]: (d["progresses_to"], d["progresses_to_names"], d["regresses_to"],
                       d["regresses_to_names"]) for d in fk.drills}
    assert links == {
        "drop_landing": (["depth_jump"], ["Depth jump"], ["lateral_band_walk"],
                         ["Lateral band walk"]),
        "lateral_band_walk": (["drop_landing"], ["Drop landing"], [], []),
    }
    others = [item for g in ("metrics", "causes", "cues", "risks", "contraindications")
              for item in getattr(fk, g)]
    assert others and not any("progresses_to" in i or "regresses_to" in i for i in others)


def test_sources_in_order_asked(store: KnowledgeStore) -> None:
    load_fixture(store)
    found = store.sources(["src_c", "missing", "src_a"])
    assert [s.id for s in found] == ["src_c", "src_a"]
    assert found[0].title == "Source C"
    assert found[0].authors == ["C. Author"]


def test_get_qa_in_order_asked(store: KnowledgeStore) -> None:
    load_fixture(store)
    assert [p.id for p in store.get_qa(["qa3", "nope", "qa1"])] == ["qa3", "qa1"]
    assert store.get_qa(["qa4"]) == [QA[3]]


@pytest.mark.parametrize("index", range(len(QA)), ids=[p.id for p in QA])
def test_dense_returns_the_exact_nearest_neighbour(store: KnowledgeStore, index: int) -> None:
    load_fixture(store)
    hits = store.qa_dense(qa_vectors(QA)[index], 5)
    assert hits[0][0] == QA[index].id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_dense_ranking_matches_brute_force(store: KnowledgeStore,
                                           rng: np.random.Generator) -> None:
    load_fixture(store)
    vectors = qa_vectors(QA)
    query = rng.normal(size=DIM).astype(np.float32)
    expected = np.argsort(-(vectors @ (query / np.linalg.norm(query))))[:3]
    hits = store.qa_dense(query, 3)
    assert [h[0] for h in hits] == [QA[i].id for i in expected]


@pytest.mark.parametrize(("filters", "expected"), [
    (QAFilters(movement="deep_squat"), {"qa3", "qa5"}),
    (QAFilters(fault="stiff_landing"), {"qa2"}),
    (QAFilters(tier="ingested"), {"qa4", "qa5"}),
    (QAFilters(movement="countermovement_jump", tier="curated"), {"qa1", "qa2"}),
    (QAFilters(movement="standing_long_jump"), set()),
], ids=["movement", "fault", "tier", "movement+tier", "no-match"])
def test_filters_apply_to_dense_and_fulltext(store: KnowledgeStore, filters: QAFilters,
                                             expected: set[str]) -> None:
    load_fixture(store)
    dense = store.qa_dense(qa_vectors([QA[0]])[0], 10, filters)
    assert {i for i, _ in dense} == expected
    text = store.qa_fulltext("knees landing squat arm heel", 10, filters)
    assert {i for i, _ in text} <= expected
    assert all(s > 0 for _, s in text)


def test_fulltext_finds_a_unique_word(store: KnowledgeStore) -> None:
    load_fixture(store)
    hits = store.qa_fulltext("zebra", 3)
    assert [i for i, _ in hits] == ["qa5"]
    assert store.qa_fulltext("xylophone", 3) == []
    landing = store.qa_fulltext("stiff loud landing", 5)
    assert landing[0][0] == "qa2"


def test_k_limits_results(store: KnowledgeStore) -> None:
    load_fixture(store)
    assert len(store.qa_dense(qa_vectors([QA[0]])[0], 2)) == 2
    assert len(store.qa_fulltext("the landing knees squat", 1)) == 1


def test_bad_qa_vectors_are_refused(store: KnowledgeStore) -> None:
    load_fixture(store)
    with pytest.raises(SportsGPTError):
        store.upsert_qa([QA[0]], np.ones((1, DIM + 1), np.float32))
    with pytest.raises(SportsGPTError):
        store.upsert_qa(QA[:2], qa_vectors(QA[:1]))
    with pytest.raises(SportsGPTError):
        store.qa_dense(np.ones(DIM + 1, np.float32), 3)
    assert store.stats() == EXPECTED_STATS


def test_clear(store: KnowledgeStore) -> None:
    load_fixture(store)
    store.clear()
    assert store.stats() == {"qa_pairs": 0, "qa_pairs:curated": 0, "qa_pairs:ingested": 0}
    assert store.get_node("Fault", "stiff_landing") is None
    assert store.qa_fulltext("landing", 3) == []
    load_fixture(store)
    assert store.stats() == EXPECTED_STATS


def test_qa_pair_round_trip_keeps_every_field(store: KnowledgeStore) -> None:
    pair = QAPair(id="x", question="Q ü?", answer="A — ok", movements=["deep_squat"],
                  faults=["heel_rise"], source_ids=["src_a"], tier="ingested")
    store.upsert_graph(NODES, [])
    store.upsert_qa([pair], qa_vectors([pair]))
    assert store.get_qa(["x"]) == [pair]
