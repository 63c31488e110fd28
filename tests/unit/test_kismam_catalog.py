"""KISMAM catalog: schema, referential integrity, sources, template-target derivation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sportsgpt.graph_kb.catalog import (
    BOUND_Z,
    CatalogError,
    MovementCatalog,
    Target,
    load_catalog,
    read_catalog,
)
from sportsgpt.graph_kb.content import load_content
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.kismam.metrics import METRIC_FUNCTIONS


@pytest.fixture(params=movement_ids(), ids=list(movement_ids()))
def catalog(request: pytest.FixtureRequest) -> MovementCatalog:
    return load_catalog(request.param)


def test_fault_ids_match_the_knowledge_graph(catalog: MovementCatalog) -> None:
    graph = load_content().graph
    assert {f.id for f in catalog.faults} == {
        f.id for f in graph.faults if catalog.movement in f.movements}


def test_every_computation_is_a_metric_function(catalog: MovementCatalog) -> None:
    assert {m.definition.computation for m in catalog.metrics} <= set(METRIC_FUNCTIONS)


def test_every_scored_metric_is_used_by_a_fault(catalog: MovementCatalog) -> None:
    used = {t.metric for f in catalog.faults for t in f.terms}
    scored = {m.id for m in catalog.metrics if m.fault_direction is not None}
    assert scored == used


def test_fault_weights_and_thresholds(catalog: MovementCatalog) -> None:
    for fault in catalog.faults:
        assert sum(t.weight for t in fault.terms) == pytest.approx(1.0)
        th = fault.thresholds
        assert 0 < th.moderate < th.severe


def test_template_targets_follow_the_documented_rule(catalog: MovementCatalog) -> None:
    for m in catalog.metrics:
        t = m.target
        if t is None or t.experts is None:
            continue
        s = max(t.experts.sd, t.experts.sd_floor)
        if t.low is not None:
            assert t.low == pytest.approx(t.experts.mean - BOUND_Z * s, abs=0.01), m.id
        if t.high is not None:
            assert t.high == pytest.approx(t.experts.mean + BOUND_Z * s, abs=0.01), m.id
        assert t.scale == pytest.approx(s, abs=0.01), m.id


def _verified_reference_ids(references_md: Path) -> set[str]:
    rows = re.findall(r"^\| [^|]+ \| (\w+) \|.*\| (yes[^|]*) \|[^|]*\|\s*$",
                      references_md.read_text(encoding="utf-8"), flags=re.M)
    return {rid for rid, _ in rows}


def test_cited_sources_are_listed(catalog: MovementCatalog) -> None:
    assert catalog.cited_source_ids() <= {s.id for s in catalog.sources}


# Catalog sources that are not 'yes' rows of REFERENCES.md, and where each was checked
# (the catalog itself only says what a source is; docs/kismam.md has the same record).
CHECKED_ELSEWHERE: dict[str, str] = {
    "munro2012": "search tool: University of Salford repository and OpenAIRE records show "
                 "title, authors, journal 21(1):7-11 and the abstract (SEM 2.72-3.01°, "
                 "smallest detectable difference 7.54-8.93°); REFERENCES.md 'partly' (no DOI "
                 "seen there); DOI 10.1123/jsr.21.1.7 and PMID 22104115 as given by two "
                 "public reference lists, not by a publisher page",
    "herrington2010": "REFERENCES.md section E2 (a 'yes' row of the second table, which the "
                      "parser above does not read): journal abstract page with title and "
                      "DOI; drop-jump landing FPPA 7-13° (women), 3-8° (men)",
    "vaverka2016": "search tool: PMC page (PMCID PMC5260575, PMID 28149409) shows title, "
                   "authors, journal, volume, pages and DOI; not in REFERENCES.md",
}


def test_sources_are_verified(catalog: MovementCatalog, references_md: Path) -> None:
    verified = _verified_reference_ids(references_md)
    assert {"padua2009", "moir2008", "mcmahon2018"} <= verified  # the parser works
    unverified = {s.id for s in catalog.sources} - verified - set(CHECKED_ELSEWHERE)
    assert sorted(unverified) == []
    assert not set(CHECKED_ELSEWHERE) & verified  # a REFERENCES.md row now: drop it here


def test_sources_checked_elsewhere_have_doi_and_url(catalog: MovementCatalog) -> None:
    for s in catalog.sources:
        if s.id in CHECKED_ELSEWHERE:
            assert s.doi and s.url, s.id


def test_a_source_without_doi_or_url_is_a_catalog_error(tmp_path: Path) -> None:
    data = json.loads(load_catalog("deep_squat").model_dump_json(by_alias=True))
    data["sources"][0]["doi"] = data["sources"][0]["url"] = None
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CatalogError, match="needs a doi or a url"):
        read_catalog(path)


def test_scored_metrics_state_their_smallest_meaningful_change(
        catalog: MovementCatalog) -> None:
    for m in catalog.metrics:
        if m.fault_direction is None:
            continue
        assert m.smc is not None and m.smc.value > 0 and m.smc.basis, m.id
        t = m.target
        assert t is not None
        if t.experts is not None:
            assert t.experts.sd_floor == pytest.approx(m.smc.value / 2), m.id


def test_every_target_names_where_it_comes_from(catalog: MovementCatalog) -> None:
    for m in catalog.metrics:
        if m.target is None:
            continue
        basis = m.target.basis()
        assert basis.strip(), m.id
        if m.target.one_expert:
            assert "compared with one expert" in basis, m.id
        if m.target.origin != "template":
            assert all(s in basis for s in m.target.source_ids), m.id


def test_jump_experts_are_one_athlete_and_squat_experts_five() -> None:
    cmj = load_catalog("countermovement_jump").metric("knee_angle_at_takeoff").target
    squat = load_catalog("deep_squat").metric("squat_depth_knee_flexion").target
    assert cmj is not None and cmj.experts is not None and cmj.experts.athletes == 1
    assert cmj.one_expert and "2 recordings of 1 athlete" in cmj.basis()
    assert squat is not None and not squat.one_expert
    assert "50 recordings of 5 athletes" in squat.basis()


def test_cmj_landing_fppa_is_a_population_target_by_sex() -> None:
    m = load_catalog("countermovement_jump").metric("knee_fppa_landing")
    t = m.target
    assert t is not None and t.origin == "literature" and t.high == 13.0
    assert {(g.group, g.low, g.high) for g in t.population} == {
        ("female", 7.0, 13.0), ("male", 3.0, 8.0)}
    assert m.smc is not None and m.smc.source_ids == ["munro2012"]


def test_standing_long_jump_assesses_the_countermovement_depth() -> None:
    c = load_catalog("standing_long_jump")
    fault = next(f for f in c.faults if f.id == "shallow_countermovement")
    assert {t.metric for t in fault.terms} == {"countermovement_depth", "knee_flexion_at_bottom"}
    assert c.metric("countermovement_depth").target is not None


def test_a_scored_metric_without_smc_is_a_catalog_error(tmp_path: Path) -> None:
    data = json.loads(load_catalog("deep_squat").model_dump_json(by_alias=True))
    data["metrics"][0]["smc"] = None
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CatalogError, match="smallest meaningful change"):
        read_catalog(path)


def test_literature_knee_target_is_less_item_one() -> None:
    t = load_catalog("countermovement_jump").metric("knee_flexion_at_initial_contact").target
    assert t is not None and t.low == 30.0 and t.origin == "literature"
    assert t.source_ids == ["padua2009"]


@pytest.mark.parametrize(("data", "message"), [
    ({"low": None, "high": None, "from": "literature", "source_ids": ["x"]}, "low, high"),
    ({"low": 3.0, "from": "literature", "source_ids": ["x"]}, "explicit sd"),
    ({"low": 3.0, "high": 1.0, "from": "literature", "source_ids": ["x"]}, ">= high"),
    ({"low": 1.0, "high": 3.0, "from": "literature"}, "source_ids"),
    ({"low": 1.0, "high": 3.0, "from": "template"}, "expert spread"),
], ids=["no-bound", "one-sided-no-sd", "reversed", "literature-no-source", "template-no-experts"])
def test_target_validation(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Target.model_validate(data)


def test_target_centre_and_text() -> None:
    two = Target.model_validate({"low": 10.0, "high": 30.0, "from": "literature",
                                 "source_ids": ["x"]})
    assert (two.centre, two.scale, two.text("deg")) == (20.0, 5.0, "10–30°")
    one = Target.model_validate({"low": 30.0, "sd": 5.0, "from": "literature",
                                 "source_ids": ["x"]})
    assert (one.centre, one.text("deg")) == (40.0, "≥ 30°")


def _mutated(tmp_path: Path, edit: str) -> Path:
    data = json.loads(load_catalog("deep_squat").model_dump_json(by_alias=True))
    if edit == "unknown-metric":
        data["faults"][0]["terms"][0]["metric"] = "no_such_metric"
    elif edit == "unlisted-source":
        data["faults"][0]["source_ids"] = ["invented2099"]
    elif edit == "wrong-direction":
        data["faults"][0]["terms"][0]["direction"] = "high"
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("edit", ["unknown-metric", "unlisted-source", "wrong-direction"])
def test_referential_errors_are_catalog_errors(tmp_path: Path, edit: str) -> None:
    with pytest.raises(CatalogError):
        read_catalog(_mutated(tmp_path, edit))


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe", b"[]"],
                         ids=["empty", "bad-json", "bad-utf8", "wrong-type"])
def test_unreadable_catalog(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(content)
    with pytest.raises(CatalogError):
        read_catalog(path)


def test_unknown_movement() -> None:
    with pytest.raises(CatalogError, match="no catalog"):
        load_catalog("triple_jump")


def _conditioned(**update: object) -> Target:
    data: dict[str, object] = {
        "high": 40.0, "sd": 5.0, "from": "template",
        "experts": {"recordings": ["a", "b", "c"], "n": 3, "mean": 30.0, "sd": 5.0,
                    "sd_floor": 1.0},
        "given": {"metric": "knee", "slope": 0.5, "x_mean": 80.0, "x_low": 60.0,
                  "x_high": 100.0, "r": 0.8, "n_slope": 3}}
    return Target.model_validate(data | update)


def test_conditioned_target_moves_along_its_line_and_clips() -> None:
    t = _conditioned()
    assert t.given_at(80.0).high == pytest.approx(40.0)
    assert t.given_at(90.0).high == pytest.approx(45.0)
    assert t.given_at(200.0).high == pytest.approx(50.0)  # clipped to x_high = 100
    assert t.given_at(90.0).scale == t.scale and t.given_at(90.0).centre == pytest.approx(35.0)


def test_only_template_targets_are_conditioned() -> None:
    with pytest.raises(ValueError, match="template"):
        _conditioned(**{"from": "literature", "source_ids": ["x"], "experts": None})


@pytest.mark.parametrize("covariate", ["no_such_metric", "trunk_lean_at_bottom",
                                       "chained"])
def test_conditioned_on_a_bad_covariate_is_a_catalog_error(tmp_path: Path,
                                                          covariate: str) -> None:
    data = json.loads(load_catalog("standing_long_jump").model_dump_json(by_alias=True))
    metrics = {m["id"]: m for m in data["metrics"]}
    given = metrics["trunk_lean_at_bottom"]["target"]["given"]
    if covariate == "chained":  # the covariate is itself conditioned
        metrics["trunk_lean_at_takeoff"]["target"]["given"] = dict(given)
        given["metric"] = "trunk_lean_at_takeoff"
    else:
        given["metric"] = covariate
    path = tmp_path / "cat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CatalogError, match="condition"):
        read_catalog(path)
