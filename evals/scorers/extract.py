"""Which faults a free-text answer names: a deterministic lexicon match with negation.

The lexicon is ``evals/data/fault_lexicon.json``: for every registry fault, the fault id
with spaces for underscores plus hand-written synonyms. Matching is case-insensitive on
word boundaries (hyphens and spaces interchangeable). A mention is **negated**, and not
counted, when one of :data:`NEGATIONS` stands among the :data:`NEGATION_WINDOW` words
before it in the same sentence ("no sign of a stiff landing", "your knees did not cave
in"). Where a case names its movement, only that movement's faults are candidates (so
"knee valgus" is ``knee_valgus_in_squat`` in a squat and ``knee_valgus_on_landing`` in
a jump). The order of first mention gives the top-1 fault.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from sportsgpt.evals.cases import registry_faults

LEXICON_PATH = Path(__file__).resolve().parents[1] / "data" / "fault_lexicon.json"
NEGATIONS = frozenset({"no", "not", "without", "never", "nor", "isn't", "wasn't", "aren't",
                       "weren't", "didn't", "don't", "doesn't", "absence", "free", "rule",
                       "ruled", "avoid", "avoided", "prevent", "prevents", "preventing"})
"""Words that negate (or only warn about) a fault mentioned just after them."""
NEGATION_WINDOW = 5
_SENTENCE = re.compile(r"(?<=[.!?;\n])\s+|\n+")
_WORD = re.compile(r"[a-z']+")


@cache
def lexicon() -> dict[str, tuple[str, ...]]:
    """Fault id -> phrases (lower case), longest first."""
    raw = json.loads(LEXICON_PATH.read_text(encoding="utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for fault, phrases in raw.items():
        if fault.startswith("_"):
            continue
        every = {fault.replace("_", " "), *(p.lower() for p in phrases)}
        out[fault] = tuple(sorted(every, key=len, reverse=True))
    return out


def _pattern(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(w) for w in re.split(r"[\s-]+", phrase) if w]
    return re.compile(r"(?<![a-z])" + r"[\s-]+".join(parts) + r"(?![a-z])")


@cache
def _patterns(fault: str) -> tuple[re.Pattern[str], ...]:
    return tuple(_pattern(p) for p in lexicon()[fault])


def _negated(sentence: str, start: int) -> bool:
    before = _WORD.findall(sentence[:start])[-NEGATION_WINDOW:]
    return any(w in NEGATIONS or w.endswith("n't") for w in before)


def candidates(movement: str | None) -> tuple[str, ...]:
    """Faults that may be named in an answer about ``movement`` (all when unknown)."""
    faults = registry_faults()
    if movement is not None and movement in faults:
        return tuple(f for f in lexicon() if f in faults[movement])
    return tuple(lexicon())


def extract_faults(text: str, movement: str | None = None) -> list[str]:
    """Faults the text names (not negated), in the order of their first mention."""
    first: dict[str, int] = {}
    offset = 0
    lowered = text.lower()
    for sentence in _SENTENCE.split(lowered):
        pos = lowered.find(sentence, offset)
        offset = max(offset, pos)
        found = [(m.end() - m.start(), m.start(), m.end(), fault)
                 for fault in candidates(movement) for pat in _patterns(fault)
                 for m in pat.finditer(sentence)]
        taken: list[tuple[int, int]] = []
        for _size, a, b, fault in sorted(found, key=lambda x: (-x[0], x[1])):
            if any(a < y and x < b for x, y in taken):
                continue  # a longer phrase already covers this text
            taken.append((a, b))
            if not _negated(sentence, a):
                first[fault] = min(first.get(fault, pos + a), pos + a)
    return sorted(first, key=lambda f: first[f])
