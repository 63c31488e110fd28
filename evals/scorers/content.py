"""Content of answers to questions: required facts and sources, and multiple-choice probes.

* **mention recall**: share of the case's ``must_mention`` phrases found in the answer
  (case-insensitive, hyphens and spaces interchangeable);
* **source recall**: share of the case's ``sources`` the answer cites;
* **probe accuracy** (SportQA): the answer's chosen letter (``Answer: B``, ``B)`` or a
  lone ``B`` on the first line) against the key; an answer with no letter is
  unanswered and counts as wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from sportsgpt.evals.cases import EvalCase
from sportsgpt.evals.records import Response
from sportsgpt.evals.scorers.citations import cited_ids

_LETTER = (re.compile(r"\banswer\s*(?:is)?\s*[:\-]?\s*\(?([A-D])\b\)?", re.IGNORECASE),
           re.compile(r"^\s*\(?([A-D])\)?(?:[).:\s]|$)"))


def _norm(text: str) -> str:
    return re.sub(r"[\s-]+", " ", text.lower())


def chosen_letter(answer: str) -> str | None:
    """The multiple-choice letter an answer picks, if it clearly picks one."""
    for pattern in _LETTER:
        m = pattern.search(answer)
        if m:
            return m.group(1).upper()
    return None


class CaseContent(BaseModel):
    """Content scores of one answer (None where the case asks for nothing)."""

    mention_recall: float | None
    missing: list[str]
    source_recall: float | None
    probe_correct: bool | None
    probe_choice: str | None


def score_case(case: EvalCase, response: Response) -> CaseContent:
    """Required phrases, required sources and the probe's letter."""
    text = _norm(response.answer)
    missing = [p for p in case.must_mention if _norm(p) not in text]
    cited = set(cited_ids(response))
    choice = chosen_letter(response.answer) if case.choices else None
    return CaseContent(
        mention_recall=round(1 - len(missing) / len(case.must_mention), 4)
        if case.must_mention else None, missing=missing,
        source_recall=round(sum(s in cited for s in case.sources) / len(case.sources), 4)
        if case.sources else None,
        probe_correct=(choice == case.answer) if case.choices else None, probe_choice=choice)


class ContentSummary(BaseModel):
    """Content scores over a set of answers."""

    mention_recall: float | None
    source_recall: float | None
    probe_accuracy: float | None
    probe_answered: float | None
    n_probe: int


def _mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(sum(got) / len(got), 4) if got else None


def summarise(scores: Sequence[CaseContent]) -> ContentSummary:
    """Means over the cases that ask for each thing."""
    probes = [s for s in scores if s.probe_correct is not None]
    return ContentSummary(
        mention_recall=_mean([s.mention_recall for s in scores]),
        source_recall=_mean([s.source_recall for s in scores]),
        probe_accuracy=_mean([float(bool(s.probe_correct)) for s in probes]),
        probe_answered=_mean([float(s.probe_choice is not None) for s in probes]),
        n_probe=len(probes))
