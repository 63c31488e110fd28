"""The verifier catches invented sources, wrong numbers and invented findings."""

from __future__ import annotations

import pytest

from sportsgpt.agents.composer import compose_guidance
from sportsgpt.agents.guidance import FindingExplanation, Guidance, MeasuredEvidence
from sportsgpt.agents.verify import (
    RunEvidence,
    quantities_in,
    verify_guidance,
)
from tests.unit.guidance_cases import knowledge_for, qa_hit, severe_report

IDS = ["markovic2007", "padua2009", "hara2008"]


def _run() -> tuple[Guidance, RunEvidence]:
    r = severe_report()
    knowledge = {f.fault_id: knowledge_for(f.fault_id, IDS) for f in r.findings}
    hits = [qa_hit("Arms add about 21% to the jump (hara2008).", ["hara2008"])]
    return compose_guidance([r], knowledge, hits, None), RunEvidence.from_run([r], knowledge,
                                                                                hits)


def test_composer_output_passes_unchanged() -> None:
    g, run = _run()
    v = verify_guidance(g, run)
    assert v.ok and v.guidance == g and v.dropped == [] and v.flagged == []


def test_invented_source_id_is_dropped() -> None:
    g, run = _run()
    bad = g.drills[0].model_copy(update={"source_ids": ["smith2099"]})
    v = verify_guidance(g.model_copy(update={"drills": [bad, *g.drills[1:]]}), run)
    assert [(i.kind, i.where) for i in v.dropped] == [("invented_source", "drills[0]")]
    assert "smith2099" in v.dropped[0].detail
    assert v.guidance.drills == g.drills[1:]
    assert "smith2099" not in v.guidance.cited_ids()


@pytest.mark.parametrize("headline", ["At take-off your knee angle was 160°.",
                                      "Your knee reached 151° of a 175° target.",
                                      "At take-off your knee angle was 1.5 m."],
                         ids=["wrong-value", "wrong-target", "wrong-unit"])
def test_wrong_number_in_text_fails(headline: str) -> None:
    g, run = _run()
    bad = g.findings[0].model_copy(update={"headline": headline})
    v = verify_guidance(g.model_copy(update={"findings": [bad, *g.findings[1:]]}), run)
    assert not v.ok
    assert [i.kind for i in v.dropped] == ["number_mismatch"]


def test_headline_may_round_the_measurement() -> None:
    g, run = _run()
    for text in ("At take-off your knee angle was 151°; target 170–180°.",
                 "Knee angle 151.2° (target at least 170°)."):
        ok = g.findings[0].model_copy(update={"headline": text})
        assert verify_guidance(g.model_copy(update={"findings": [ok, *g.findings[1:]]}),
                               run).ok


def test_wrong_evidence_value_fails() -> None:
    g, run = _run()
    ev = g.findings[0].evidence[0].model_copy(update={"value": 160.0})
    bad = g.findings[0].model_copy(update={"evidence": [ev]})
    v = verify_guidance(g.model_copy(update={"findings": [bad, *g.findings[1:]]}), run)
    assert not v.ok and v.dropped[0].kind == "number_mismatch"
    assert "160.0 (measured 151.2)" in v.dropped[0].detail


def test_invented_finding_fails() -> None:
    g, run = _run()
    invented = FindingExplanation(
        fault_id="knee_valgus_on_landing", label="Knees caving in", severity="severe",
        confidence=0.9, headline="Your knees caved in.", evidence=[MeasuredEvidence(
            metric_id="knee_angle_at_takeoff", value=151.2, unit="deg")],
        why_it_matters="ACL risk.", source_ids=["padua2009"])
    v = verify_guidance(g.model_copy(update={"findings": [invented, *g.findings]}), run)
    assert not v.ok and v.dropped[0].kind == "unknown_finding"
    assert v.guidance.findings == g.findings


def test_left_out_severe_finding_fails_and_wrong_severity_is_corrected() -> None:
    g, run = _run()
    v = verify_guidance(g.model_copy(update={"findings": g.findings[1:]}), run)
    assert not v.ok and v.flagged[0].kind == "missing_finding"
    softer = g.findings[0].model_copy(update={"severity": "mild"})
    v = verify_guidance(g.model_copy(update={"findings": [softer, *g.findings[1:]]}), run)
    assert v.ok and v.flagged[0].kind == "severity_mismatch"
    assert v.guidance.findings[0].severity == "severe"


def test_drill_not_from_the_knowledge_base_and_unsourced_dose() -> None:
    g, run = _run()
    invented = g.drills[0].model_copy(update={"name": "Magic hops"})
    claimed = g.drills[0].model_copy(update={"dosage_basis": "source"})
    v = verify_guidance(g.model_copy(update={"drills": [invented, claimed]}), run)
    assert [i.kind for i in v.dropped] == ["unknown_drill"]
    assert [i.kind for i in v.flagged] == ["dosage_basis"]
    assert v.guidance.drills[0].dosage_basis == "coaching_practice"


def test_too_many_drops_do_not_verify() -> None:
    g, run = _run()
    cues = [c.model_copy(update={"source_ids": ["made_up"]}) for c in g.cues]
    drills = [d.model_copy(update={"source_ids": ["made_up"]}) for d in g.drills]
    total = len(g.findings) + len(g.drills) + len(g.cues) + len(g.safety)
    assert (len(cues) + len(drills)) / total > 0.25
    v = verify_guidance(g.model_copy(update={"cues": cues, "drills": drills}), run)
    assert not v.ok and any("claim-bearing items dropped" in r for r in v.reasons)


@pytest.mark.parametrize(("text", "expected"), [
    ("knees reached 151°", [(151.0, "deg")]),
    ("good jumpers are at 170–180°", [(170.0, "deg"), (180.0, "deg")]),
    ("jumped 19 cm, 0.45 s, 12 ms, 21.8% of leg length", [
        (0.19, "m"), (0.45, "s"), (0.012, "s"), (21.8, "%")]),
    ("3 sets of 6, 2 m/s, 10 seconds", [(10.0, "s")]),
], ids=["deg", "range", "units", "skips"])
def test_quantities_in_text(text: str, expected: list[tuple[float, str]]) -> None:
    found = [(round(q.value, 6), q.dim) for q in quantities_in(text)]
    assert found == expected
