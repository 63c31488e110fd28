"""Content checks for the curated QA store and the labelled retrieval questions.

``graph_kb/data/qa_pairs.jsonl`` holds one :class:`QAPair` per line;
``evals/data/kb_questions.jsonl`` holds the labelled athlete questions used to
evaluate retrieval (written before any retrieval existed; see evals/README_kb.md).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.graph_kb.movements import all_fault_ids, fault_ids, movement_ids
from sportsgpt.graph_kb.types import QAPair

ROOT = Path(__file__).resolve().parents[2]
QA_PATH = ROOT / "graph_kb" / "data" / "qa_pairs.jsonl"
SOURCES_PATH = ROOT / "graph_kb" / "data" / "sources.json"
LABELLED_PATH = ROOT / "evals" / "data" / "kb_questions.jsonl"

GENERAL = "general"
"""Pseudo-movement of QA pairs and questions about no one movement."""
MOVEMENTS = frozenset({*movement_ids(), GENERAL})
ALL_FAULTS = all_fault_ids()
ID_PATTERN = re.compile(r"^qa-(cmj|slj|sq|dj|gen)-\d{4}$")
LABEL_ID_PATTERN = re.compile(r"^kbq-\d{4}$")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])")
VALGUS_WORDS = re.compile(r"valgus|cav(e|es|ing) in|knees? (go|going|buckl\w*|collaps\w*) in",
                          re.IGNORECASE)

# 'partly' rows of REFERENCES.md that were checked with the search tool before citing.
# The field that stayed unconfirmed in every case is the DOI; the claim each supports was
# read on the page named here (see evals/README_kb.md).
PARTLY_VERIFIED: dict[str, str] = {
    "ashby2002": "abstract, authors, J Biomech 35(12):1631-1637 on the Bavarian library-network "
                 "catalogue record (bvbvf1.bib-bvb.de); PubMed id 12445616 seen in a citing "
                 "record; no DOI seen",
    "wakai2005": "author's Brunel University page describing the study and the author "
                 "post-print 'Published in Human Movement Science, February 2005; 24(1): "
                 "81-96' with the abstract (optimum 19-27 deg vs preferred 31-39 deg); no DOI",
    "hara2008": "QxMD Read index record of PubMed 18674837 showing authors (incl. Hay DC), "
                "Hum Mov Sci 27(4):636-648 and the abstract (independent, additive effects of "
                "arm swing and countermovement); no DOI seen",
    "munro2012": "University of Salford publication record and OpenAIRE record with the "
                 "abstract (ICC 0.59-0.88 within day, 0.72-0.91 between days, SEM 2.72-3.01 "
                 "deg, SDD 7.54-8.93 deg; women higher FPPA); no DOI seen",
    "schurr2017": "PMC5380858 article page (PMID 28515970): sagittal r 0.51-0.93, frontal-plane "
                  "knee r 0.308, Bland-Altman sagittal differences; the PMC page shows no DOI",
}


def _load_jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            assert line.strip(), f"{path.name}:{number} is blank"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path.name}:{number} is not a JSON object"
            rows.append(row)
    return rows


QA_ROWS = _load_jsonl(QA_PATH)
QA_BY_ID = {str(row.get("id")): row for row in QA_ROWS}
LABELLED = _load_jsonl(LABELLED_PATH)


def _reference_ids(references_md: Path, status: str) -> set[str]:
    """Ids of REFERENCES.md table rows whose Verified cell starts with ``status``."""
    ids: set[str] = set()
    for line in references_md.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 9 or not cells[2] or cells[2] in {"id", "---"}:
            continue
        verified = cells[7].strip("* ").lower()
        if verified.startswith(status):
            ids.add(cells[2])
    return ids


def _pairs() -> list[QAPair]:
    return [QAPair.model_validate(row) for row in QA_ROWS]


# --------------------------------------------------------------------------- QA pairs


@pytest.mark.parametrize("row", QA_ROWS, ids=[str(r.get("id")) for r in QA_ROWS])
def test_line_is_a_curated_qa_pair(row: dict[str, Any]) -> None:
    pair = QAPair.model_validate(row)
    assert ID_PATTERN.match(pair.id), pair.id
    assert pair.tier == "curated"
    assert pair.question.strip().endswith("?")
    assert pair.movements and set(pair.movements) <= MOVEMENTS
    assert set(pair.faults) <= ALL_FAULTS
    assert len(set(pair.source_ids)) == len(pair.source_ids) >= 1
    sentences = [s for s in SENTENCE_SPLIT.split(pair.answer.strip()) if s]
    assert 2 <= len(sentences) <= 6, f"{pair.id}: {len(sentences)} sentences"


@pytest.mark.parametrize("row", QA_ROWS, ids=[str(r.get("id")) for r in QA_ROWS])
def test_faults_belong_to_the_tagged_movements(row: dict[str, Any]) -> None:
    pair = QAPair.model_validate(row)
    allowed = {f for m in pair.movements if m != GENERAL for f in fault_ids(m)}
    if GENERAL in pair.movements:
        allowed = set(ALL_FAULTS)
    assert set(pair.faults) <= allowed, (pair.id, pair.faults, pair.movements)


def test_store_has_at_least_300_pairs_with_unique_ids() -> None:
    ids = [p.id for p in _pairs()]
    assert len(ids) >= 300
    assert [i for i, n in Counter(ids).items() if n > 1] == []


@pytest.mark.parametrize("fault", sorted(ALL_FAULTS))
def test_every_kismam_fault_has_at_least_three_pairs(fault: str) -> None:
    assert sum(fault in p.faults for p in _pairs()) >= 3


@pytest.mark.parametrize("movement", sorted(MOVEMENTS))
def test_every_movement_is_covered(movement: str) -> None:
    assert sum(movement in p.movements for p in _pairs()) >= 40


def test_no_two_questions_are_near_identical() -> None:
    tokens = {p.id: set(re.findall(r"[a-z0-9']+", p.question.lower())) for p in _pairs()}
    close = [(a, b) for a, b in combinations(sorted(tokens), 2)
             if len(tokens[a] & tokens[b]) / len(tokens[a] | tokens[b]) > 0.9]
    assert close == []


@pytest.mark.parametrize("row", QA_ROWS, ids=[str(r.get("id")) for r in QA_ROWS])
def test_valgus_answers_say_the_marker_is_contested(row: dict[str, Any]) -> None:
    pair = QAPair.model_validate(row)
    about_valgus = (any(f.startswith("knee_valgus") for f in pair.faults)
                    or VALGUS_WORDS.search(pair.question + " " + pair.answer) is not None)
    if about_valgus:
        assert "contested" in pair.answer.lower(), pair.id
        assert "cronstrom2020" in pair.source_ids, pair.id


# --------------------------------------------------------------------------- sources


def test_partly_verified_ids_are_partly_rows_of_references_md(references_md: Path) -> None:
    assert set(PARTLY_VERIFIED) <= _reference_ids(references_md, "partly")


def test_cited_sources_are_verified_in_references_md(references_md: Path) -> None:
    allowed = _reference_ids(references_md, "yes") | set(PARTLY_VERIFIED)
    cited = {s for p in _pairs() for s in p.source_ids}
    assert sorted(cited - allowed) == []


def test_cited_sources_exist_in_sources_json() -> None:
    if not SOURCES_PATH.is_file():
        pytest.skip("graph_kb/data/sources.json not written yet")
    known = {str(s["id"]) for s in json.loads(SOURCES_PATH.read_text(encoding="utf-8"))}
    cited = {s for p in _pairs() for s in p.source_ids}
    assert sorted(cited - known) == []


def test_source_ids_are_never_unverified_rows() -> None:
    # Rows marked 'no' in REFERENCES.md must never be cited, whatever else changes.
    never = {"hewett2005", "bobbert1988", "bosco1983"}
    assert {s for p in _pairs() for s in p.source_ids} & never == set()


# --------------------------------------------------------------------------- labelled set


def test_labelled_set_has_at_least_100_unique_questions() -> None:
    ids = [str(row["id"]) for row in LABELLED]
    assert len(ids) >= 100
    assert len(set(ids)) == len(ids)
    assert all(LABEL_ID_PATTERN.match(i) for i in ids)
    questions = [str(row["question"]).strip().lower() for row in LABELLED]
    assert len(set(questions)) == len(questions)


@pytest.mark.parametrize("row", LABELLED, ids=[str(r.get("id")) for r in LABELLED])
def test_labelled_question_is_well_formed(row: dict[str, Any]) -> None:
    assert set(row) == {"id", "question", "expected_qa_ids", "expected_faults", "movement"}
    assert isinstance(row["question"], str) and row["question"].strip()
    expected = row["expected_qa_ids"]
    assert isinstance(expected, list) and 1 <= len(expected) <= 3
    assert len(set(expected)) == len(expected)
    assert [q for q in expected if q not in QA_BY_ID] == []
    assert set(row["expected_faults"]) <= ALL_FAULTS
    assert row["movement"] in MOVEMENTS


@pytest.mark.parametrize("row", LABELLED, ids=[str(r.get("id")) for r in LABELLED])
def test_labelled_question_is_not_a_verbatim_qa_question(row: dict[str, Any]) -> None:
    def norm(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9']+", text.lower()))

    qa_questions = {norm(str(r["question"])) for r in QA_ROWS}
    assert norm(str(row["question"])) not in qa_questions


def test_labelled_set_covers_every_fault_and_movement() -> None:
    faults = {f for row in LABELLED for f in row["expected_faults"]}
    movements = {str(row["movement"]) for row in LABELLED}
    assert sorted(ALL_FAULTS - faults) == []
    assert movements == MOVEMENTS
