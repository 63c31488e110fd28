"""The support rule: a cited source must state what it is cited for.

One rule for the graph records, the QA pairs and (stated in ``schema.md``) the
KISMAM metric catalogs:

1. **A source backs only its finding.** Each curated source carries
   ``supports`` (the finding it states, as read on the page named in
   ``verified``) and ``support_terms``; a record citing it must name that
   finding, i.e. contain one of the terms. A claim no source states is coaching
   practice and is labelled so, never cited to a loosely related paper.
2. **Doses are labelled.** Sets, reps, holds, minutes, sessions per week or day
   that no cited source gives sit in a sentence that says ``coaching practice``
   (drills: ``dosage.dose_basis = "coaching_practice"``).
3. **Named studies are cited.** A source id or an author-year citation in a
   record's text must be one of the record's ``source_ids``.
4. **Verification.** ``no`` rows of REFERENCES.md are never cited (and are no
   sources); a ``partly`` row is cited only for its checked ``supports`` finding,
   never for a dose, a referral or safety claim, or a metric target.
5. **Referral and safety advice** ("see a physiotherapist if...") is either
   labelled ``as a general safety rule`` / ``coaching practice`` or backed by a
   source in :data:`REFERRAL_SOURCES`.

The functions return lists of problems (empty when the rule holds), so the
loader can raise on the first and the tests can show them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

from sportsgpt.graph_kb.types import QAPair, Source

NEVER_CITE: Final = frozenset({"hewett2005", "bobbert1988", "bosco1983"})
"""REFERENCES.md rows marked ``no``: never a source, never cited, never named."""

REFERRAL_SOURCES: Final = frozenset({"padua2018", "padua2015", "soligard2008", "noyes2012",
                                     "montalvo2019", "cronstrom2020"})
"""Sources that may back injury, referral and safety claims.

Chosen from evidence level and venue: systematic reviews, trials, cohorts and a
position statement about injury (ACL prevention and incidence, injury-prevention
warm-ups) in sports-medicine and athletic-training journals. Jump and squat
mechanics papers, coaching reviews and measurement studies are not among them.
"""

REFERRAL_EVIDENCE: Final = frozenset({"systematic_review", "rct", "cohort", "expert_opinion"})
"""Evidence levels a referral source must have."""

PRACTICE_LABEL: Final = re.compile(r"coaching practice|general safety rule", re.IGNORECASE)
"""How a sentence says it is coaching practice or a general safety rule, not a finding."""

_NUM: Final = r"(?:\d+(?:\s*[-–]\s*\d+)?|one|two|three|four|five|six|eight|ten|twelve|twenty)"
DOSE: Final = re.compile(
    rf"\d+\s*[×x]\s*\d+|\b{_NUM}\s*(?:sets?|reps?|repetitions|contacts|minutes?)\b"
    rf"|\bsets? of \d+|\b(?:once|twice|{_NUM}\s*(?:times|sessions?)) (?:a|per) (?:week|day)\b"
    rf"|\bdaily\b|\bmost days\b|\bhold(?:ing)? (?:it |each landing |for )?(?:for )?"
    rf"(?:a count of )?{_NUM}\s*(?:s|seconds)\b|\(\s*{_NUM}\s*s\b",
    re.IGNORECASE)
"""A training dose: sets x reps, reps, contacts, minutes, holds, sessions per week or day."""

REFERRAL: Final = re.compile(
    r"physiotherap|\bphysio\b|doctor|clinician|athletic trainer|sports medicine|"
    r"\bprofessional\b|get (?:it |them |this |the \w+ )?(?:checked|assessed|looked at)|"
    r"be (?:checked|assessed|seen)\b|get advice from", re.IGNORECASE)
"""Referral or medical-safety advice."""

_SENTENCE: Final = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
_ID_TOKEN: Final = re.compile(r"\b([a-z][a-z_-]*(?:19|20)\d{2}[a-z]*)\b")
_AUTHOR_YEAR: Final = re.compile(
    r"\b([A-Z][A-Za-z'-]+)(?: et al\.?| and [A-Z][A-Za-z'-]+| & [A-Z][A-Za-z'-]+)?,? "
    r"\(?((?:19|20)\d{2})\)?")


def sentences(text: str) -> list[str]:
    """Split a text into sentences (a full stop, ! or ? followed by a capital)."""
    return [s for s in _SENTENCE.split(text.strip()) if s]


def _surname(author: str) -> str:
    """First word of an author entry such as ``"Sánchez-Sixto A"`` (lower case)."""
    return author.split()[0].lower()


def named_studies(text: str, sources: Mapping[str, Source]) -> set[str]:
    """Source ids a text names: raw ids, and author-year citations of known sources.

    An author-year citation of an unknown study comes back as ``"?Surname YYYY"``.
    """
    found = {m.group(1) for m in _ID_TOKEN.finditer(text)}
    by_author = {(_surname(s.authors[0]), str(s.year)): s.id for s in sources.values()
                 if s.authors}
    for m in _AUTHOR_YEAR.finditer(text):
        key = (m.group(1).lower(), m.group(2))
        if key in by_author:
            found.add(by_author[key])
        elif m.group(0).rstrip(")").endswith(m.group(2)) and " et al" in m.group(0):
            found.add(f"?{m.group(1)} {m.group(2)}")
    return found


def check_text(where: str, text: str, source_ids: Iterable[str],
               sources: Mapping[str, Source]) -> list[str]:
    """Problems of one record's text against its citations (rules 1 and 3 to 5)."""
    cited = list(source_ids)
    low = text.lower()
    out: list[str] = []
    for sid in cited:
        src = sources.get(sid)
        if sid in NEVER_CITE:
            out.append(f"{where}: cites {sid!r}, a REFERENCES.md 'no' row")
        elif src is None:
            out.append(f"{where}: cites unknown source {sid!r}")
        elif src.verification is None or not src.supports or not src.support_terms:
            out.append(f"{where}: cites {sid!r}, which states no verification or finding")
        elif not any(term in low for term in src.support_terms):
            out.append(f"{where}: cites {sid!r} but names none of its finding "
                       f"({src.supports!r})")
    for named in sorted(named_studies(text, sources) - set(cited)):
        out.append(f"{where}: names study {named!r} in its text without citing it")
    out += _check_sentences(where, text, cited, sources)
    return out


def _check_sentences(where: str, text: str, cited: list[str],
                     sources: Mapping[str, Source]) -> list[str]:
    """Doses and referral advice carry a practice label or the right kind of source."""
    out: list[str] = []
    referral_backed = any(s in REFERRAL_SOURCES and s in sources
                          and sources[s].verification == "yes" for s in cited)
    for sentence in sentences(text):
        labelled = PRACTICE_LABEL.search(sentence) is not None
        anchored = [s for s in cited if f"({s}" in sentence or f"{s})" in sentence]
        if DOSE.search(sentence) and not labelled and not any(
                sources[s].verification == "yes" for s in anchored if s in sources):
            out.append(f"{where}: gives a dose no cited source states, without a "
                       f"coaching-practice label: {sentence!r}")
        if REFERRAL.search(sentence) and not labelled and not referral_backed:
            out.append(f"{where}: gives referral or safety advice backed only by "
                       f"{cited} (none in REFERRAL_SOURCES), without a label: {sentence!r}")
    return out


def check_qa(pair: QAPair, sources: Mapping[str, Source]) -> list[str]:
    """Problems of one QA pair (its answer against its ``source_ids``)."""
    return check_text(f"QA {pair.id}", pair.answer, pair.source_ids, sources)


def check_partly_scope(where: str, source_ids: Iterable[str],
                       sources: Mapping[str, Source], *, dose: bool) -> list[str]:
    """A ``partly`` source never backs a dose (rule 4; referral use fails rule 5)."""
    return [f"{where}: cites partly verified {s!r} for a dose" for s in source_ids
            if dose and s in sources and sources[s].verification == "partly"]
