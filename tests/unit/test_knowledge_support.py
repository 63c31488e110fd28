"""The support rule (``graph_kb/support.py``): cited sources state what they are cited for.

The shipped graph and QA pairs must pass it, and each way of breaking it must be caught:
a named study left uncited, an unlabelled dose, a ``no`` row, a ``partly`` row cited
outside its checked finding or for a dose, referral advice backed only by mechanics papers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.graph_kb.content import DATA_DIR, Content, load_content, support_problems
from sportsgpt.graph_kb.schema import KnowledgeDataError
from sportsgpt.graph_kb.support import (
    NEVER_CITE,
    REFERRAL_EVIDENCE,
    REFERRAL_SOURCES,
    check_qa,
    check_text,
)
from sportsgpt.graph_kb.types import QAPair, Source

QA_ROWS = [json.loads(line) for line in
           (DATA_DIR / "qa_pairs.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


@pytest.fixture(scope="module")
def sources(content: Content) -> dict[str, Source]:
    return {s.id: s for s in content.sources}


def _pair(answer: str, source_ids: list[str]) -> QAPair:
    return QAPair(id="qa-test-0001", question="Test?", answer=answer,
                  movements=["general"], source_ids=source_ids)


# ----------------------------------------------------------------------------- shipped data

def test_graph_records_meet_the_rule(content: Content) -> None:
    assert support_problems(content) == []


@pytest.mark.parametrize("row", QA_ROWS, ids=[str(r["id"]) for r in QA_ROWS])
def test_qa_pair_meets_the_rule(row: dict[str, Any], sources: dict[str, Source]) -> None:
    assert check_qa(QAPair.model_validate(row), sources) == []


def test_every_drill_dose_is_labelled_coaching_practice(content: Content) -> None:
    # No cited source gives a drill dose today; a 'source' dose must name its source.
    assert {d.dosage.dose_basis for d in content.graph.drills} == {"coaching_practice"}


def test_sources_say_what_they_support(content: Content) -> None:
    for s in content.sources:
        assert s.verification in {"yes", "partly"}, s.id
        assert s.supports and s.support_terms, s.id


def test_verification_matches_references_md(content: Content, references_md: Path) -> None:
    rows = {line.split("|")[2].strip() if re.match(r"\|\s*[A-Z]?\d", line)
            else line.split("|")[1].strip(): line
            for line in references_md.read_text(encoding="utf-8").splitlines()
            if line.startswith("|")}
    for s in content.sources:
        assert s.id in rows, f"{s.id} is not a REFERENCES.md row"
        status = "partly" if "partly" in rows[s.id].lower() else "yes"
        assert s.verification == status, s.id


def test_referral_sources_are_clinical_and_verified(sources: dict[str, Source]) -> None:
    for sid in REFERRAL_SOURCES:
        assert sources[sid].verification == "yes", sid
        assert sources[sid].evidence_level in REFERRAL_EVIDENCE, sid


# ----------------------------------------------------------------------------- each breach

def test_named_study_must_be_cited(sources: dict[str, Source]) -> None:
    text = "Plyometric training raised jump height (markovic2007; sole2021)."
    problems = check_text("x", text, ["markovic2007"], sources)
    assert any("names study 'sole2021'" in p for p in problems), problems
    assert check_text("x", text, ["markovic2007", "sole2021"], sources) == []


def test_author_year_citation_must_be_cited(sources: dict[str, Source]) -> None:
    text = "Plyometric training helps, as Markovic (2007) found."
    assert any("markovic2007" in p for p in check_text("x", text, ["sole2021"], sources))
    unknown = check_text("x", "Plyometric gains, says Bosco et al. (1983).", ["sole2021"],
                         sources)
    assert any("Bosco 1983" in p for p in unknown), unknown


def test_dose_without_label_is_caught(sources: dict[str, Source]) -> None:
    bare = _pair("Plyometric training improves jump height. Do 3 × 5 box jumps twice a week.",
                 ["markovic2007"])
    assert any("dose" in p for p in check_qa(bare, sources))
    labelled = _pair("Plyometric training improves jump height. In coaching practice, do "
                     "3 × 5 box jumps twice a week.", ["markovic2007"])
    assert check_qa(labelled, sources) == []


@pytest.mark.parametrize("dose", ["3 sets of 6", "hold 3 seconds", "10 minutes",
                                  "three times a week", "(3 × 30 s)", "2 × 10 each side"])
def test_dose_forms_are_recognised(sources: dict[str, Source], dose: str) -> None:
    pair = _pair(f"Plyometric training improves jump height. Try {dose}.", ["markovic2007"])
    assert any("dose" in p for p in check_qa(pair, sources)), dose


def test_no_row_is_never_cited(sources: dict[str, Source]) -> None:
    for sid in sorted(NEVER_CITE):
        problems = check_text("x", "Plyometric jumps.", ["markovic2007", sid], sources)
        assert any("'no' row" in p for p in problems), sid


def test_no_row_cannot_be_a_source(tmp_path: Path) -> None:
    data = json.loads((DATA_DIR / "sources.json").read_text(encoding="utf-8"))
    data.append(dict(data[0], id="hewett2005"))
    folder = _copy(tmp_path, "sources.json", data)
    with pytest.raises(KnowledgeDataError, match=r"'no' row"):
        load_content(folder)


def test_partly_source_outside_its_finding_is_caught(sources: dict[str, Source]) -> None:
    assert sources["wakai2005"].verification == "partly"
    loose = check_text("x", "Land softly and stay balanced.", ["wakai2005"], sources)
    assert any("names none of its finding" in p for p in loose), loose
    assert check_text("x", "The optimum take-off angle was about 19-27 deg.", ["wakai2005"],
                      sources) == []


def test_partly_source_never_backs_a_dose(tmp_path: Path) -> None:
    data = _graph()
    drill = data["drills"][0]
    drill["source_ids"] = ["ashby2002"]
    drill["description"] = "Swing the arms hard."
    drill["basis"] = "Free arm motion lengthened the jump (ashby2002)."
    drill["dosage"]["dose_basis"] = "source"
    with pytest.raises(KnowledgeDataError, match=r"partly verified 'ashby2002' for a dose"):
        load_content(_copy(tmp_path, "graph.json", data))


def test_referral_backed_only_by_mechanics_papers_is_caught(
        sources: dict[str, Source]) -> None:
    answer = ("Arm swing adds lower-limb work. If your shoulder hurts, see a physiotherapist.")
    problems = check_qa(_pair(answer, ["hara2008"]), sources)
    assert any("referral" in p for p in problems), problems
    labelled = answer.replace("If your", "As a general safety rule, if your")
    assert check_qa(_pair(labelled, ["hara2008"]), sources) == []
    clinical = ("Neuromuscular prevention programmes are recommended. If your knee hurts, see "
                "a physiotherapist.")
    assert check_qa(_pair(clinical, ["padua2018"]), sources) == []


def test_loose_citation_in_the_graph_fails_the_load(tmp_path: Path) -> None:
    data = _graph()
    cause = data["causes"][0]
    cause["source_ids"] = [*cause["source_ids"], "montalvo2019"]
    with pytest.raises(KnowledgeDataError, match=r"causes\.\w+.*montalvo2019"):
        load_content(_copy(tmp_path, "graph.json", data))


def test_unlabelled_dose_in_the_graph_fails_the_load(tmp_path: Path) -> None:
    data = _graph()
    data["drills"][0]["description"] += " Do 3 sets of 5."
    with pytest.raises(KnowledgeDataError, match=r"dose"):
        load_content(_copy(tmp_path, "graph.json", data))


# ----------------------------------------------------------------------------- helpers

def _graph() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA_DIR / "graph.json").read_text(encoding="utf-8"))
    return data


def _copy(tmp_path: Path, name: str, data: Any) -> Path:
    for f in ("sources.json", "graph.json"):
        shutil.copy(DATA_DIR / f, tmp_path / f)
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    return tmp_path
