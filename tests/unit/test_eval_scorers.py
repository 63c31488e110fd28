"""Every scorer ranks hand-written good, vague, uncited and hallucinating answers correctly."""

from __future__ import annotations

import json

import pytest

from sportsgpt.evals.cases import EvalCase
from sportsgpt.evals.records import Measurement, Response
from sportsgpt.evals.scorers import citations, content, diagnosis, likert, numbers

CASE = EvalCase(id="c1", movement="countermovement_jump", recording="x.amc",
                question="What's wrong with my jump?",
                labels={"faults": ["insufficient_knee_extension_at_takeoff"]},
                must_mention=["knee"], sources=["mcmahon2018"])
MEASURED = [Measurement(metric_id="knee_extension_at_takeoff", label="knee angle at take-off",
                        value=128.7, unit="deg", target_low=151.0, target_high=None)]
KB = {"mcmahon2018", "markovic2007"}
ANSWERS = {
    "good": ("Your knees were still bent at take-off: your knee angle was 129°, where skilled "
             "athletes reach at least 151°. Cutting the push short reduces the concentric "
             "impulse and jump height [mcmahon2018]. Train squat jumps to full extension: "
             "3 × 5 reps, 120 s rest, 2 sessions a week, and progress gradually; stop and see "
             "a physiotherapist if you feel pain [markovic2007]."),
    "vague": "Nice effort! Keep practising and you will jump higher soon.",
    "uncited": ("Your knees were still bent at take-off: your knee angle was 129°. Do squat "
                "jumps to full extension."),
    "hallucinating": ("You have a stiff landing: your knee angle was 95° on landing and your "
                      "trunk lean was 40°. Smith et al. (2021) found this doubles ACL risk "
                      "[smith2021]."),
}


def _response(kind: str) -> Response:
    return Response(case_id="c1", system=kind, answer=ANSWERS[kind],
                    retrieved_ids=["mcmahon2018", "markovic2007"])


def _diag(kind: str) -> diagnosis.CaseDiagnosis:
    return diagnosis.score_case(CASE, _response(kind))


def test_diagnosis_ranks_answers() -> None:
    f1 = {k: diagnosis.summarise([_diag(k)]).macro_f1 for k in ANSWERS}
    assert f1["good"] == f1["uncited"] == 1.0
    assert f1["vague"] == f1["hallucinating"] == 0.0
    assert _diag("hallucinating").fp == ["stiff_landing"]
    assert _diag("good").top1_correct and not _diag("vague").top1_correct


def test_structured_findings_count_moderate_and_severe_only() -> None:
    r = Response(case_id="c1", system="s", answer="", findings=[
        {"fault_id": "stiff_landing", "severity": "mild"},
        {"fault_id": "insufficient_knee_extension_at_takeoff", "severity": "severe"}])
    assert diagnosis.named_faults(r, CASE.movement) == ["insufficient_knee_extension_at_takeoff"]


def test_diagnosis_summary_counts_clean_false_alarms_and_any_fault() -> None:
    clean = EvalCase(id="c2", recording="x.amc", question="q", labels={"faults": []})
    anyf = EvalCase(id="c3", recording="x.amc", question="q", movement="deep_squat",
                    labels={"any_fault": True})
    alarm = Response(case_id="c2", system="s", answer="A stiff landing.")
    found = Response(case_id="c3", system="s", answer="Your heels lift.")
    s = diagnosis.summarise([diagnosis.score_case(clean, alarm),
                             diagnosis.score_case(anyf, found), _diag("good")])
    assert s.clean_false_alarms == 1.0 and s.any_fault_detection == 1.0
    assert s.per_fault["stiff_landing"].fp == 1 and "heel_rise" not in s.per_fault
    assert s.confusion["clean"] == {"stiff_landing": 1}


def test_citations_rank_answers() -> None:
    scores = {k: citations.score_case(_response(k), KB & set(citations.cited_ids(
        _response(k)))) for k in ANSWERS}
    assert scores["good"].precision == 1.0 and scores["good"].invented == []
    assert scores["uncited"].precision is None and scores["vague"].precision is None
    assert scores["hallucinating"].precision == 0.0
    assert scores["hallucinating"].invented == ["smith2021", "ref:smith2021"]
    assert scores["good"].supported is None and "not scored" in scores["good"].support_note


def test_citation_not_retrieved_in_the_run_lowers_precision() -> None:
    r = Response(case_id="c1", system="s", answer="x [markovic2007] [mcmahon2018]",
                 retrieved_ids=["mcmahon2018"])
    assert citations.score_case(r, KB).precision == 0.5


def test_numbers_rank_answers() -> None:
    faithful = {k: numbers.score_case(ANSWERS[k], MEASURED).faithful for k in ANSWERS}
    assert faithful["good"] == faithful["uncited"] == 1.0
    assert faithful["vague"] is None
    assert faithful["hallucinating"] == 0.0
    assert numbers.score_case(ANSWERS["good"], MEASURED).checked == 2  # dose not checked


def test_content_scores() -> None:
    good = content.score_case(CASE, _response("good"))
    vague = content.score_case(CASE, _response("vague"))
    assert (good.mention_recall, good.source_recall) == (1.0, 1.0)
    assert (vague.mention_recall, vague.source_recall) == (0.0, 0.0)


@pytest.mark.parametrize(("answer", "letter"), [
    ("Answer: B. Because...", "B"), ("C) flexed, to absorb", "C"), ("I think so.", None)],
    ids=["answer-colon", "leading", "none"])
def test_probe_letter(answer: str, letter: str | None) -> None:
    assert content.chosen_letter(answer) == letter


def test_proxies_rank_good_above_the_others() -> None:
    p = {k: likert.proxies(ANSWERS[k], MEASURED) for k in ANSWERS}
    for other in ("vague", "uncited", "hallucinating"):
        assert p["good"].dosage > p[other].dosage
        assert p["good"].safety >= p[other].safety
        assert p["good"].domain_terms >= p[other].domain_terms
    assert p["good"].own_numbers == 1.0 and p["hallucinating"].own_numbers == 0.0
    assert p["good"].label == "proxy"


def test_judge_averages_orders_and_repeats_and_reports_variance() -> None:
    seen: list[str] = []
    replies = iter([{"accuracy": 5, "comprehensiveness": 4, "professionalism": 5,
                     "feasibility": 4}, {"accuracy": 3, "comprehensiveness": 4,
                                         "professionalism": 5, "feasibility": 4},
                    "not json", {"accuracy": 4, "comprehensiveness": 4,
                                 "professionalism": 5, "feasibility": 9}])

    def invoke(prompt: str) -> str:
        seen.append(prompt)
        reply = next(replies)
        return reply if isinstance(reply, str) else json.dumps(reply)

    s = likert.judge_likert(invoke, "q?", "ref", "the answer", repeats=2)
    assert len(seen) == 4
    assert seen[0].index("<answer>") < seen[0].index("<reference>")
    assert seen[1].index("<reference>") < seen[1].index("<answer>")
    assert s.mean["accuracy"] == 4.0 and s.sd["accuracy"] == 1.0
    assert sum(j.scores is None for j in s.judgments) == 2  # unusable replies not scored


def test_judge_ranks_by_its_scores() -> None:
    def invoke_for(score: int) -> likert.Invoke:
        return lambda _p: json.dumps({d: score for d in likert.DIMENSIONS})

    good = likert.judge_likert(invoke_for(5), "q", "r", ANSWERS["good"], repeats=1)
    bad = likert.judge_likert(invoke_for(1), "q", "r", ANSWERS["vague"], repeats=1)
    summary = likert.summarise_judge([good, bad])
    assert good.mean["professionalism"] > bad.mean["professionalism"]
    assert summary.mean["accuracy"] == 3.0
