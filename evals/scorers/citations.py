"""Citations: cited ids must exist in the knowledge base and be retrieved in the run.

The cited ids of an answer are its structured ``cited_ids`` where the system gives them,
plus every inline ``[id]`` marker in its text; free text may also cite in author-year
style ("Smith et al., 2019", "(Smith, 2019)"), and each such reference becomes a
``ref:<name><year>`` id, which no knowledge base holds.

* **precision**: cited ids that exist in the knowledge base and were retrieved in that
  run, over all cited ids (None when the answer cites nothing);
* **invented**: cited ids the knowledge base does not hold (made-up references);
* **supported**: whether the claim citing a source is supported by the source's stated
  finding. No NLI model ships offline with the installed packages, so this needs an LLM
  judge (:func:`sportsgpt.evals.scorers.likert.judge_support`); without one it is
  ``None`` and reported as "not scored", never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from sportsgpt.evals.records import Response

_MARKER = re.compile(r"\[([A-Za-z][A-Za-z0-9_.:-]*?\d{4}[a-z]?|qa-[a-z]+-\d{4})\]")
_ET_AL = re.compile(r"\b([A-Z][A-Za-z'-]+) et al\.?,?\s*\(?((?:19|20)\d{2})[a-z]?\)?")
_PAREN = re.compile(r"\(([A-Z][A-Za-z'-]+)(?:\s+(?:and|&)\s+[A-Z][A-Za-z'-]+)?,\s*"
                    r"((?:19|20)\d{2})[a-z]?\)")
_REFERENCE_LINE = re.compile(r"^\s*[-*]\s*\[[^\]]+\]")


def cited_in_text(text: str) -> list[str]:
    """Ids cited in free text: ``[id]`` markers and author-year references (``ref:``).

    Author-year references are ``Name et al. (2019)``, ``Name et al., 2019`` and
    ``(Name, 2019)`` / ``(Name and Other, 2019)``; the lines of a reference list that
    start with an ``[id]`` marker only render that marker's source and are not parsed
    for author-year references.
    """
    ids = list(dict.fromkeys(_MARKER.findall(text)))
    for line in text.splitlines():
        if _REFERENCE_LINE.match(line):
            continue
        for pattern in (_ET_AL, _PAREN):
            ids += [f"ref:{m.group(1).lower()}{m.group(2)}" for m in pattern.finditer(line)]
    return list(dict.fromkeys(ids))


def cited_ids(response: Response) -> list[str]:
    """Every id the answer cites (structured and inline)."""
    return list(dict.fromkeys([*(response.cited_ids or []), *cited_in_text(response.answer)]))


class CaseCitations(BaseModel):
    """Citation scores of one answer."""

    cited: list[str]
    in_kb: list[str]
    retrieved: list[str]
    invented: list[str]
    precision: float | None
    supported: float | None = None
    support_note: str = "not scored: no judge configured and no offline NLI model installed"


def score_case(response: Response, known_ids: Iterable[str]) -> CaseCitations:
    """Score an answer's citations against the knowledge base's ids and the run's retrieval."""
    known = set(known_ids)
    cited = cited_ids(response)
    retrieved = set(response.retrieved_ids or [])
    in_kb = [c for c in cited if c in known]
    good = [c for c in in_kb if c in retrieved]
    return CaseCitations(
        cited=cited, in_kb=in_kb, retrieved=good, invented=[c for c in cited if c not in known],
        precision=round(len(good) / len(cited), 4) if cited else None)


class CitationSummary(BaseModel):
    """Citations over a set of answers."""

    n_answers: int
    n_citing: int
    cited: int
    precision: float | None
    invented: int
    supported: float | None
    supported_note: str


def summarise(scores: Sequence[CaseCitations]) -> CitationSummary:
    """Pooled precision (all citations together), invented references, support."""
    cited = sum(len(s.cited) for s in scores)
    good = sum(len(s.retrieved) for s in scores)
    sup = [s.supported for s in scores if s.supported is not None]
    return CitationSummary(
        n_answers=len(scores), n_citing=sum(bool(s.cited) for s in scores), cited=cited,
        precision=round(good / cited, 4) if cited else None,
        invented=sum(len(s.invented) for s in scores),
        supported=round(sum(sup) / len(sup), 4) if sup else None,
        supported_note="share of judged claim-source pairs the judge found supported"
        if sup else (scores[0].support_note if scores else "no answers"))
