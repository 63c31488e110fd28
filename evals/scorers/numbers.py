"""Numeric faithfulness: numbers an answer states about the athlete match the measurements.

The sentences that speak about the athlete's own movement (they contain "you", "your",
"the athlete" or "measured") are searched for numbers with a unit with the coach
verifier's parser (:func:`sportsgpt.agents.verify.quantities_in`: degrees, cm/m, ms/s,
%). Each number must equal, at the precision written, a measured value or a target
bound of the case's recording (sign ignored, as the verifier does). Numbers in other
sentences (a study's effect size), and sentences that prescribe (reps, sets, rest,
hold, sessions, week, "coaching practice"), are not the athlete's measurements and are
not checked here. ``faithful`` is the share of checked numbers that match; None when
the answer states none (or the case has no recording).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from sportsgpt.evals.records import Measurement

ATHLETE = re.compile(r"\b(you|your|you're|the athlete|measured)\b", re.IGNORECASE)
DOSE = re.compile(r"\b(reps?|rest|sets?|hold|sessions?|week|coaching practice)\b", re.IGNORECASE)
"""Sentences that prescribe (a dose, a hold) are instructions, not measurements."""
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def _known(measurements: Sequence[Measurement]) -> list[tuple[str, float]]:
    from sportsgpt.agents.verify import unit_of

    out: list[tuple[str, float]] = []
    for m in measurements:
        unit = unit_of(m.unit)
        if unit is None:
            continue
        dim, factor = unit
        out += [(dim, abs(v) * factor) for v in (m.value, m.target_low, m.target_high)
                if v is not None]
    return out


def athlete_quantities(text: str) -> list[tuple[str, float, float, str]]:
    """``(dim, value, tolerance, sentence)`` of every number with a unit about the athlete."""
    from sportsgpt.agents.verify import quantities_in

    return [(q.dim, q.value, q.tol, s) for s in _SENTENCE.split(text)
            if ATHLETE.search(s) and not DOSE.search(s)
            for q in quantities_in(s)]


class CaseNumbers(BaseModel):
    """Numeric faithfulness of one answer."""

    checked: int
    matched: int
    mismatched: list[str]
    faithful: float | None


def score_case(answer: str, measurements: Sequence[Measurement]) -> CaseNumbers:
    """Check the athlete numbers of an answer against the recording's measurements."""
    if not measurements:
        return CaseNumbers(checked=0, matched=0, mismatched=[], faithful=None)
    known = _known(measurements)
    checked = matched = 0
    bad: list[str] = []
    for dim, value, tol, sentence in athlete_quantities(answer):
        checked += 1
        if any(d == dim and abs(v - value) <= tol + 1e-9 for d, v in known):
            matched += 1
        else:
            bad.append(f"{value:g} {dim} in: {sentence.strip()[:120]}")
    return CaseNumbers(checked=checked, matched=matched, mismatched=bad,
                       faithful=round(matched / checked, 4) if checked else None)


class NumbersSummary(BaseModel):
    """Numeric faithfulness over a set of answers (pooled over numbers)."""

    checked: int
    matched: int
    faithful: float | None
    answers_with_numbers: int


def summarise(scores: Sequence[CaseNumbers]) -> NumbersSummary:
    """Pool the checked numbers of every answer."""
    checked = sum(s.checked for s in scores)
    matched = sum(s.matched for s in scores)
    return NumbersSummary(checked=checked, matched=matched,
                          faithful=round(matched / checked, 4) if checked else None,
                          answers_with_numbers=sum(s.checked > 0 for s in scores))
