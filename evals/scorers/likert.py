"""Professionalism on the paper's four Likert dimensions: an LLM judge, or labelled proxies.

**Judge** (when one is configured): the versioned rubric ``prompts/judge_likert.yaml``
rates an answer 1-5 on accuracy, comprehensiveness, professionalism and feasibility.
Each answer is judged ``repeats`` times in each of the two presentation orders (answer
before or after the reference material); the mean per dimension is the score, and the
standard deviation over those judgments is reported as the judge's variance. A reply
that is not the JSON the rubric asks for is recorded as a failed judgment, never scored.

**Proxies** (always computed, labelled ``proxy``; they are not the Likert scale): simple
transparent counts on the text, each in [0, 1]:

* ``domain_terms``: distinct sports-science terms (:data:`DOMAIN_TERMS`) / 5, capped at 1;
* ``dosage``: share of {sets x reps, rest, weekly frequency} that the text specifies;
* ``safety``: safety language (:data:`SAFETY_TERMS`) present, / 2, capped at 1;
* ``own_numbers``: the athlete's own measurements quoted correctly / 2, capped at 1
  (None without a recording).
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from sportsgpt.evals.records import Measurement

DIMENSIONS = ("accuracy", "comprehensiveness", "professionalism", "feasibility")
DOMAIN_TERMS = (
    "countermovement", "take-off", "takeoff", "propulsion", "eccentric", "concentric",
    "plantarflexion", "dorsiflexion", "triple extension", "knee flexion", "hip flexion",
    "valgus", "landing", "absorption", "impulse", "rate of force", "stiffness",
    "plyometric", "range of motion", "trunk", "kinematic", "posterior chain", "hamstring",
    "quadriceps", "gluteal", "calf", "ankle", "proprioception", "stabilis", "stabiliz")
SAFETY_TERMS = ("pain", "physio", "physiotherapist", "clinician", "doctor", "professional",
                "injury", "warm up", "warm-up", "stop if", "gradual", "progress slowly",
                "rest day", "fatigue", "clearance")
_SETS = re.compile(r"\b\d+\s*(?:[x×]|sets? of)\s*\d+", re.IGNORECASE)
_REST = re.compile(r"\b\d+\s*(?:-\s*\d+\s*)?(?:s|sec|seconds|min|minutes?)\b[^.]{0,20}\brest"
                   r"|\brest\b[^.]{0,20}\b\d+\s*(?:s|sec|seconds|min|minutes?)\b", re.IGNORECASE)
_FREQ = re.compile(r"\b(?:\d+|one|two|three|four|twice|once)\b[^.]{0,25}"
                   r"(?:a|per|each|every)\s+week|\bweekly\b", re.IGNORECASE)


class Proxies(BaseModel):
    """Deterministic text proxies of professionalism (labelled as proxies everywhere)."""

    label: str = "proxy"
    domain_terms: float
    dosage: float
    safety: float
    own_numbers: float | None


def proxies(answer: str, measurements: Sequence[Measurement]) -> Proxies:
    """The four proxies of one answer (see the module docstring)."""
    from sportsgpt.evals.scorers.numbers import score_case

    low = answer.lower()
    terms = {t for t in DOMAIN_TERMS if t in low}
    dose = sum(bool(p.search(answer)) for p in (_SETS, _REST, _FREQ)) / 3
    safety = sum(t in low for t in SAFETY_TERMS)
    own = score_case(answer, measurements) if measurements else None
    return Proxies(domain_terms=round(min(1.0, len(terms) / 5), 4), dosage=round(dose, 4),
                   safety=round(min(1.0, safety / 2), 4),
                   own_numbers=round(min(1.0, own.matched / 2), 4) if own else None)


class Judgment(BaseModel):
    """One judge reply."""

    answer_first: bool
    repeat: int
    scores: dict[str, int] | None
    reason: str | None = None
    error: str | None = None


class LikertScore(BaseModel):
    """The judge's Likert scores of one answer."""

    mean: dict[str, float | None]
    sd: dict[str, float | None]
    judgments: list[Judgment]


Invoke = Callable[[str], str]
"""Send one user message to the judge model; its reply text."""


def _parse(text: str) -> tuple[dict[str, int], str | None]:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the judge's reply")
    data: dict[str, Any] = json.loads(text[start:end + 1])
    scores = {}
    for dim in DIMENSIONS:
        value = data.get(dim)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ValueError(f"{dim} must be an integer 1-5, got {value!r}")
        scores[dim] = value
    reason = data.get("reason")
    return scores, reason if isinstance(reason, str) else None


def judge_likert(invoke: Invoke, question: str, reference: str, answer: str, *,
                 repeats: int = 2) -> LikertScore:
    """Judge one answer ``repeats`` times in both presentation orders."""
    from sportsgpt.prompts import render

    judgments: list[Judgment] = []
    for repeat in range(repeats):
        for answer_first in (True, False):
            prompt = render("judge_likert", question=question, reference=reference,
                            answer=answer, answer_first=answer_first)
            try:
                scores, reason = _parse(invoke(prompt))
                judgments.append(Judgment(answer_first=answer_first, repeat=repeat,
                                          scores=scores, reason=reason))
            except (ValueError, ValidationError) as exc:
                judgments.append(Judgment(answer_first=answer_first, repeat=repeat,
                                          scores=None, error=str(exc)[:200]))
    mean: dict[str, float | None] = {}
    sd: dict[str, float | None] = {}
    for dim in DIMENSIONS:
        values = [j.scores[dim] for j in judgments if j.scores]
        mean[dim] = round(statistics.fmean(values), 3) if values else None
        sd[dim] = round(statistics.pstdev(values), 3) if len(values) > 1 else None
    return LikertScore(mean=mean, sd=sd, judgments=judgments)


def judge_support(invoke: Invoke, claim: str, title: str, finding: str) -> bool | None:
    """The judge's verdict on one claim-source pair; None when its reply is unusable."""
    from sportsgpt.prompts import render

    text = invoke(render("judge_support", claim=claim, source_title=title,
                         source_finding=finding))
    start, end = text.find("{"), text.rfind("}")
    try:
        value = json.loads(text[start:end + 1]).get("supported") if 0 <= start < end else None
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, bool) else None


class LikertSummary(BaseModel):
    """Judge scores over a set of answers, or why there are none."""

    judged: int
    failed_judgments: int
    mean: dict[str, float | None]
    mean_sd: dict[str, float | None]


def summarise_judge(scores: Sequence[LikertScore]) -> LikertSummary:
    """Mean per dimension over answers, and the mean within-answer judge SD."""
    def avg(values: list[float]) -> float | None:
        return round(statistics.fmean(values), 3) if values else None

    return LikertSummary(
        judged=len(scores),
        failed_judgments=sum(j.scores is None for s in scores for j in s.judgments),
        mean={d: avg([s.mean[d] for s in scores if s.mean[d] is not None])  # type: ignore[misc]
              for d in DIMENSIONS},
        mean_sd={d: avg([s.sd[d] for s in scores if s.sd[d] is not None])  # type: ignore[misc]
                 for d in DIMENSIONS})


class ProxySummary(BaseModel):
    """Mean proxies over a set of answers (labelled as proxies)."""

    label: str = "proxy (deterministic text counts, not the Likert scale)"
    domain_terms: float | None
    dosage: float | None
    safety: float | None
    own_numbers: float | None


def summarise_proxies(scores: Sequence[Proxies]) -> ProxySummary:
    """Means of each proxy."""
    def avg(values: list[float | None]) -> float | None:
        got = [v for v in values if v is not None]
        return round(statistics.fmean(got), 4) if got else None

    return ProxySummary(domain_terms=avg([s.domain_terms for s in scores]),
                        dosage=avg([s.dosage for s in scores]),
                        safety=avg([s.safety for s in scores]),
                        own_numbers=avg([s.own_numbers for s in scores]))
