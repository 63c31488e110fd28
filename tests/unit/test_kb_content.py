"""Curated knowledge: schema, referential integrity, KISMAM ids, sources, graph building."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.graph_kb.content import DATA_DIR, Content, load_content
from sportsgpt.graph_kb.movements import all_fault_ids, fault_ids, metric_ids, movement_ids
from sportsgpt.graph_kb.schema import (
    NODE_LABELS,
    RELATION_TYPES,
    KnowledgeDataError,
)
from sportsgpt.graph_kb.types import Node, Relation

ALL_FAULTS = sorted(all_fault_ids())
VALGUS_FAULTS = ["knee_valgus_in_squat", "knee_valgus_on_landing"]
CLAIM_LABELS = ["Fault", "Cause", "Drill", "Cue", "InjuryRisk"]


@pytest.fixture(scope="module")
def content() -> Content:
    """The shipped knowledge, loaded once."""
    return load_content()


@pytest.fixture(scope="module")
def graph(content: Content) -> tuple[list[Node], list[Relation]]:
    """Nodes and relations of the shipped knowledge."""
    return content.to_graph()


def _raw(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _write_copy(tmp_path: Path, name: str, data: Any) -> Path:
    """Copy the shipped files to tmp_path, replacing ``name`` with ``data``."""
    for f in ("sources.json", "graph.json"):
        shutil.copy(DATA_DIR / f, tmp_path / f)
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def _edges(relations: list[Relation], kind: str, start: str) -> set[str]:
    return {r.end_id for r in relations if r.type == kind and r.start_id == start}


# ----------------------------------------------------------------------------- KISMAM contract

@pytest.mark.parametrize("fault_id", ALL_FAULTS)
def test_every_kismam_fault_is_complete(content: Content, fault_id: str) -> None:
    faults = {f.id: f for f in content.graph.faults}
    assert fault_id in faults
    fault = faults[fault_id]
    assert len(fault.causes) >= 1
    assert len(fault.source_ids) >= 1
    drills = {d.id: d for d in content.graph.drills}
    fault_drills = content.drills_for(fault_id)
    assert len(fault_drills) >= 2
    for d in fault_drills:
        dose = drills[d].dosage
        assert dose.sets >= 1 and dose.reps >= 1 and dose.per_week >= 1
    assert len(content.cues_for(fault_id)) >= 2


@pytest.mark.parametrize("movement", movement_ids())
def test_faults_per_movement_match_kismam(content: Content, movement: str) -> None:
    found = {f.id for f in content.graph.faults if movement in f.movements}
    assert found == set(fault_ids(movement))


def test_metric_ids_are_kismams(content: Content) -> None:
    assert {m.id for m in content.graph.metrics} == metric_ids()


@pytest.mark.parametrize("fault_id", VALGUS_FAULTS)
def test_valgus_faults_carry_the_contested_caveat(content: Content, fault_id: str) -> None:
    fault = next(f for f in content.graph.faults if f.id == fault_id)
    assert fault.caveat is not None
    assert "contested" in fault.caveat
    assert "screening signal" in fault.caveat
    for sid in ("cronstrom2020", "straub2022", "munro2012"):
        assert sid in fault.caveat
        assert sid in fault.source_ids


def test_valgus_risk_statement_is_contested(content: Content) -> None:
    risk = next(r for r in content.graph.injury_risks if r.id == "acl_injury_valgus_marker")
    assert risk.evidence == "contested"
    assert "cronstrom2020" in risk.source_ids


@pytest.mark.parametrize("metric_id", ["knee_fppa_landing", "knee_fppa_squat"])
def test_fppa_metrics_say_screening_signal(content: Content, metric_id: str) -> None:
    metric = next(m for m in content.graph.metrics if m.id == metric_id)
    assert metric.target_note is not None and "screening signal" in metric.target_note
    assert {"munro2012", "straub2022"} <= set(metric.source_ids)


# ----------------------------------------------------------------------------- sources

def test_sources_have_doi_or_url_and_verification(content: Content) -> None:
    for s in content.sources:
        assert s.doi or s.url, s.id
        assert s.verified.strip(), s.id


def test_unverified_references_are_absent(content: Content) -> None:
    # REFERENCES.md rows marked 'no' must not be cited.
    assert not {"hewett2005", "bobbert1988", "bosco1983"} & content.source_ids()


def test_dois_look_like_dois(content: Content) -> None:
    for s in content.sources:
        if s.doi is not None:
            assert s.doi.startswith("10.") and "/" in s.doi and " " not in s.doi, s.id


def test_every_cited_id_is_a_source(content: Content) -> None:
    g = content.graph
    cited = {sid for coll in (g.metrics, g.faults, g.causes, g.drills, g.cues, g.injury_risks,
                              g.contraindications) for x in coll for sid in x.source_ids}
    assert cited <= content.source_ids()


# ----------------------------------------------------------------------------- graph

def test_node_ids_unique_per_label(graph: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = graph
    counts = Counter((n.label, n.id) for n in nodes)
    assert max(counts.values()) == 1
    assert {n.label for n in nodes} == set(NODE_LABELS)


def test_relation_endpoints_exist_and_fit_the_schema(
        graph: tuple[list[Node], list[Relation]]) -> None:
    nodes, relations = graph
    keys = {(n.label, n.id) for n in nodes}
    for r in relations:
        assert (r.start_label, r.start_id) in keys, r
        assert (r.end_label, r.end_id) in keys, r
        starts, ends = RELATION_TYPES[r.type]
        assert r.start_label in starts and r.end_label in ends, r
    assert len(set(relations_keys(relations))) == len(relations)


def relations_keys(relations: list[Relation]) -> list[tuple[str, str, str, str, str]]:
    """Identity of each relation (type and endpoints)."""
    return [(r.type, r.start_label, r.start_id, r.end_label, r.end_id) for r in relations]


@pytest.mark.parametrize("label", CLAIM_LABELS)
def test_claim_nodes_are_supported(graph: tuple[list[Node], list[Relation]], label: str) -> None:
    nodes, relations = graph
    supported = {r.start_id for r in relations
                 if r.type == "SUPPORTED_BY" and r.start_label == label}
    ids = {n.id for n in nodes if n.label == label}
    assert ids and ids <= supported


def test_drill_nodes_carry_dosage(graph: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = graph
    for n in nodes:
        if n.label == "Drill":
            assert {"sets", "reps", "rep_unit", "rest_s", "per_week", "equipment",
                    "level"} <= set(n.props), n.id


def test_cues_declare_focus(graph: tuple[list[Node], list[Relation]]) -> None:
    nodes, _ = graph
    focus = Counter(n.props["focus"] for n in nodes if n.label == "Cue")
    assert set(focus) == {"internal", "external"}


def test_progressions_mirror_regressions(graph: tuple[list[Node], list[Relation]]) -> None:
    _, relations = graph
    forward = {(r.start_id, r.end_id) for r in relations if r.type == "PROGRESSES_TO"}
    back = {(r.end_id, r.start_id) for r in relations if r.type == "REGRESSES_TO"}
    assert forward and forward == back


def test_metric_measured_at_its_template_keyframe(
        graph: tuple[list[Node], list[Relation]]) -> None:
    _, relations = graph
    assert _edges(relations, "MEASURED_AT", "knee_angle_at_takeoff") == {
        "countermovement_jump.takeoff", "standing_long_jump.takeoff"}
    assert _edges(relations, "MEASURED_AT", "duration_propulsion") == {
        "countermovement_jump.propulsion", "standing_long_jump.propulsion"}


def test_phases_bound_by_keyframes(graph: tuple[list[Node], list[Relation]]) -> None:
    _, relations = graph
    assert _edges(relations, "STARTS_AT", "deep_squat.ascent") == {"deep_squat.bottom"}
    assert _edges(relations, "ENDS_AT", "countermovement_jump.flight") == {
        "countermovement_jump.landing"}


def test_to_graph_is_deterministic(content: Content) -> None:
    first = content.to_graph()
    again = load_content().to_graph()
    assert [n.model_dump() for n in first[0]] == [n.model_dump() for n in again[0]]
    assert [r.model_dump() for r in first[1]] == [r.model_dump() for r in again[1]]
    nodes, relations = first
    order = {label: i for i, label in enumerate(NODE_LABELS)}
    assert [(order[n.label], n.id) for n in nodes] == sorted((order[n.label], n.id) for n in nodes)
    assert relations_keys(relations) == sorted(relations_keys(relations))


# ----------------------------------------------------------------------------- bad data

def _drop_cues_of(data: dict[str, Any], fault: str) -> dict[str, Any]:
    for cue in data["cues"]:
        cue["addresses"] = [f for f in cue["addresses"] if f != fault] or ["stiff_landing"]
    return data


def _break_graph(case: str) -> dict[str, Any]:
    data: dict[str, Any] = _raw("graph.json")
    if case == "unknown_source":
        data["drills"][0]["source_ids"] = ["nosuchsource2099"]
    elif case == "unknown_fault":
        data["cues"][0]["addresses"] = ["no_such_fault"]
    elif case == "missing_kismam_fault":
        data["faults"] = [f for f in data["faults"] if f["id"] != "heel_rise"]
        for d in data["drills"]:
            d["corrects"] = [x for x in d["corrects"] if x != "heel_rise"] or ["stiff_landing"]
        data = _drop_cues_of(data, "heel_rise")
    elif case == "duplicate_drill":
        data["drills"].append(data["drills"][0])
    elif case == "too_few_cues":
        data = _drop_cues_of(data, "heel_rise")
    elif case == "uncited_cause":
        data["causes"][0]["source_ids"] = []
    elif case == "unknown_field":
        data["faults"][0]["severity"] = "high"
    elif case == "progression_cycle":
        first = next(d for d in data["drills"] if d["progresses_to"])
        target = next(d for d in data["drills"] if d["id"] == first["progresses_to"][0])
        target["progresses_to"] = [first["id"]]
    elif case == "bad_measured_at":
        data["metrics"][0]["measured_at"] = {m: "nowhere" for m in data["metrics"][0]["movements"]}
    elif case == "extra_metric":
        data["metrics"].append(dict(data["metrics"][0], id="made_up_metric"))
    return data


BAD_GRAPH = {
    "unknown_source": r"unknown id\(s\) \['nosuchsource2099'\]",
    "unknown_fault": r"unknown id\(s\) \['no_such_fault'\]",
    "missing_kismam_fault": r"differ from its catalog's: missing \['heel_rise'\]",
    "duplicate_drill": r"repeated id",
    "too_few_cues": r"'heel_rise' has fewer than 2 cues",
    "uncited_cause": r"field 'causes\.0\.source_ids'",
    "unknown_field": r"field 'faults\.0\.severity'",
    "progression_cycle": r"form a cycle",
    "bad_measured_at": r"unknown id\(s\) \['nowhere'\]",
    "extra_metric": r"extra \['made_up_metric'\]",
}


@pytest.mark.parametrize("case", sorted(BAD_GRAPH), ids=sorted(BAD_GRAPH))
def test_bad_graph_raises_knowledge_error(tmp_path: Path, case: str) -> None:
    folder = _write_copy(tmp_path, "graph.json", _break_graph(case))
    with pytest.raises(KnowledgeDataError, match=r"graph\.json") as info:
        load_content(folder)
    assert re.search(BAD_GRAPH[case], str(info.value)), str(info.value)


def _break_sources(case: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = _raw("sources.json")
    if case == "no_doi_no_url":
        data[0]["doi"] = None
        data[0]["url"] = None
    elif case == "duplicate_id":
        data.append(data[0])
    elif case == "missing_title":
        del data[0]["title"]
    return data


BAD_SOURCES = {
    "no_doi_no_url": r"neither DOI nor URL",
    "duplicate_id": r"repeated id",
    "missing_title": r"field '0\.title'",
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES), ids=sorted(BAD_SOURCES))
def test_bad_sources_raise_knowledge_error(tmp_path: Path, case: str) -> None:
    folder = _write_copy(tmp_path, "sources.json", _break_sources(case))
    with pytest.raises(KnowledgeDataError, match=r"sources\.json") as info:
        load_content(folder)
    assert re.search(BAD_SOURCES[case], str(info.value)), str(info.value)


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe\x00garbage", b""],
                         ids=["syntax", "binary", "empty"])
def test_unreadable_file_raises_knowledge_error(tmp_path: Path, payload: bytes) -> None:
    for f in ("sources.json", "graph.json"):
        shutil.copy(DATA_DIR / f, tmp_path / f)
    (tmp_path / "graph.json").write_bytes(payload)
    with pytest.raises(KnowledgeDataError, match=r"graph\.json"):
        load_content(tmp_path)


def test_missing_folder_raises_knowledge_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeDataError, match=r"sources\.json"):
        load_content(tmp_path / "absent")
