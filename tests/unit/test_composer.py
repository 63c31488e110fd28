"""The deterministic composer: order, citations, numbers, clean and knowledge-only cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.agents.composer import (
    compose_guidance,
    render_markdown,
    render_text,
    run_sources,
    split_citations,
)
from sportsgpt.agents.guidance import Guidance
from sportsgpt.agents.verify import RunEvidence, verify_guidance
from sportsgpt.tools.kismam.models import AssessmentReport
from sportsgpt.tools.knowledge import KgLookupResult
from tests.unit.guidance_cases import (
    MILD_LANDING,
    SEVERE_KNEE,
    clean_report,
    knowledge_for,
    qa_hit,
    severe_report,
)

ALL_IDS = ["markovic2007", "padua2009", "hara2008"]


def _knowledge(r: AssessmentReport) -> dict[str, KgLookupResult]:
    return {f.fault_id: knowledge_for(f.fault_id, ALL_IDS) for f in r.findings}


def _compose(reports: list[AssessmentReport]) -> tuple[Guidance, RunEvidence]:
    knowledge = {f.fault_id: knowledge_for(f.fault_id, ALL_IDS) for r in reports
                 for f in r.findings}
    hits = [qa_hit("Jump with your arms (hara2008).", ["hara2008"])]
    g = compose_guidance(reports, knowledge, hits, "what should I fix?")
    return g, RunEvidence.from_run(reports, knowledge, hits)


def test_most_severe_finding_first_and_stated_against_its_target() -> None:
    g, _ = _compose([severe_report()])
    assert [f.fault_id for f in g.findings] == [SEVERE_KNEE.fault_id, MILD_LANDING.fault_id]
    top = g.findings[0]
    assert top.headline.startswith("At take-off your knee angle was 151°")
    assert "170–180°" in top.headline
    assert "insufficient knee extension at takeoff" in g.summary
    assert g.drills[0].fault_ids == [SEVERE_KNEE.fault_id]


def test_every_cited_id_was_returned_in_the_run() -> None:
    g, run = _compose([severe_report()])
    assert g.cited_ids() <= run.source_ids
    assert g.cited_ids() >= {"markovic2007", "padua2009"}
    # the stiff-landing target comes from padua2009: cited where its number is stated
    assert "padua2009" in g.findings[1].source_ids


def test_composer_never_cites_what_it_was_not_given() -> None:
    r = severe_report()
    knowledge = {f.fault_id: knowledge_for(f.fault_id, ["hara2008"]) for f in r.findings}
    g = compose_guidance([r], knowledge, [], None)
    assert g.cited_ids() == {"hara2008"}


def test_evidence_copies_the_measurements() -> None:
    g, _ = _compose([severe_report()])
    ev = g.findings[0].evidence[0]
    assert (ev.metric_id, ev.value, ev.target_low, ev.target_high) == (
        "knee_angle_at_takeoff", 151.2, 170.0, 180.0)


def test_drills_prioritised_dosed_and_labelled() -> None:
    g, _ = _compose([severe_report()])
    assert 2 <= len(g.drills) <= 4
    first = g.drills[0]
    assert first.name == "Insufficient knee extension at takeoff basic"
    assert first.dosage == "3 × 5 reps, 90 s rest, 2 sessions a week"
    assert first.dosage_basis == "coaching_practice"
    assert "coaching" not in first.purpose
    assert first.progression is not None and "takeoff mid" in first.progression
    sourced = [d for d in g.drills if d.name.endswith("mid")]
    assert all(d.dosage_basis == "source" for d in sourced)


def test_cues_safety_retest_and_not_assessed() -> None:
    g, _ = _compose([severe_report()])
    assert 2 <= len(g.cues) <= 3 and g.cues[0].text == "Push the floor away."
    assert g.cues[0].source_ids == ["hara2008"]
    assert [s.see_professional for s in g.safety] == [True]
    assert g.retest is not None and "knee_angle_at_takeoff" in g.retest.metric_ids
    assert g.not_assessed == ["Arm swing timing: arm swing of 11° is too small to time "
                              "(needs 30°)."]


def test_clean_recording_gets_a_short_positive_note() -> None:
    g, run = _compose([clean_report()])
    assert g.findings == [] and g.drills == []
    assert g.summary.startswith("A clean countermovement jump")
    assert "Closest to its limit" in g.summary
    assert {e.metric_id for e in g.held_up} == {"knee_angle_at_takeoff",
                                                "trunk_lean_at_takeoff"}
    assert verify_guidance(g, run).ok


def test_knowledge_question_without_recording() -> None:
    knowledge = {"limited_arm_swing": knowledge_for("limited_arm_swing")}
    hits = [qa_hit("Use your arms: they add hip work (hara2008).", ["hara2008"])]
    g = compose_guidance([], knowledge, hits, "do arms matter?")
    assert g.findings == [] and g.retest is None
    assert g.key_points[0].text == "Use your arms: they add hip work."
    assert g.key_points[0].source_ids == ["hara2008"]
    assert "no recording" in g.summary and g.drills
    verdict = verify_guidance(g, RunEvidence.from_run([], knowledge, hits))
    assert verdict.ok and verdict.guidance == g


def test_split_citations_keeps_other_parenthetical_text() -> None:
    text, ids = split_citations("Gains were big (about 8.7% on average; markovic2007), "
                                "see (hara2008, markovic2007).", {"markovic2007", "hara2008"})
    assert text == "Gains were big (about 8.7% on average), see."
    assert ids == ["markovic2007", "hara2008"]


def test_markdown_has_markers_and_references() -> None:
    g, run = _compose([severe_report()])
    md = render_markdown(g, run_sources(_knowledge(severe_report()),
                                        [qa_hit("x", ["hara2008"])]))
    assert "### What I found" in md and "[markovic2007]" in md
    assert "- [markovic2007] Does plyometric training improve vertical jump height? (2007). " \
           "https://doi.org/10.1136/bjsm.2007.035113" in md
    text = render_text(g, run.sources)
    assert "**" not in text and "###" not in text and "REFERENCES" in text


def test_real_cmu_jump(cmu_dir: Path) -> None:
    from sportsgpt import api

    reports = api.analyze_file(cmu_dir / "16_01.amc", "countermovement_jump").reports
    g, run = _compose(reports)
    assert [f.fault_id for f in g.findings] == ["limited_arm_swing"]
    assert "11°" in g.findings[0].headline and "28°" in g.findings[0].headline
    assert any("Arm swing timing" in n for n in g.not_assessed)
    assert g.cited_ids() <= run.source_ids
    verdict = verify_guidance(g, run)
    assert verdict.ok and verdict.guidance == g and not verdict.dropped


@pytest.mark.parametrize("case", [severe_report, clean_report], ids=["severe", "clean"])
def test_composer_is_deterministic(case: object) -> None:
    assert _compose([case()])[0] == _compose([case()])[0]  # type: ignore[operator]


def test_real_cmu_jump_with_the_curated_knowledge(cmu_dir: Path) -> None:
    from sportsgpt import api
    from sportsgpt.graph_kb.build import build_curated
    from sportsgpt.graph_kb.embedded import EmbeddedStore
    from sportsgpt.tools.knowledge import kg_lookup, qa_search
    from tests.contract.kb_fixtures import EMBEDDER

    store = EmbeddedStore(None)
    build_curated(store, EMBEDDER)
    reports = api.analyze_file(cmu_dir / "16_01.amc", "countermovement_jump").reports
    knowledge = {f.fault_id: kg_lookup(fault_id=f.fault_id, store=store)
                 for r in reports for f in r.findings}
    hits = qa_search("how do I use my arms to jump higher", k=3, store=store,
                     embedder=EMBEDDER)
    g = compose_guidance(reports, knowledge, hits, "how can I jump higher?")
    run = RunEvidence.from_run(reports, knowledge, hits)
    assert g.findings[0].fault_id == "limited_arm_swing" and 2 <= len(g.drills) <= 4
    assert g.findings[0].source_ids and g.cited_ids() <= set(run.sources)
    verdict = verify_guidance(g, run)
    assert verdict.ok and verdict.guidance == g
    md = render_markdown(g, run.sources)
    assert all(f"[{i}]" in md for i in g.cited_ids())


@pytest.mark.parametrize("question", [
    "What's wrong with my jump?\n\nMeasurements of my recording:\n  Knee angle at takeoff: 159 deg",
    "I weigh 72 kg, how high should I jump?", None])
def test_nothing_found_summary_repeats_no_number_the_athlete_typed(question: str | None) -> None:
    g = compose_guidance([], {}, [], question)
    assert "found nothing in the knowledge base" in g.summary
    assert not any(ch.isdigit() for ch in g.summary)
    assert verify_guidance(g, RunEvidence.from_run([], {}, [])).ok
