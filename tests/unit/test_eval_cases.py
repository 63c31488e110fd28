"""Eval cases validate against the registry; the shipped sets load; the runner resumes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from sportsgpt.evals.cases import EvalCaseError, load_cases

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
SHIPPED = sorted(p.name for p in DATA.glob("*.jsonl") if p.name != "kb_questions.jsonl")


@pytest.mark.parametrize("name", SHIPPED, ids=SHIPPED)
def test_shipped_case_files_validate(name: str) -> None:
    cases = load_cases(DATA / name)
    assert cases and all(c.set != "custom" for c in cases)


def _write(tmp_path: Path, *rows: dict[str, object]) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.parametrize(("row", "message"), [
    ({"id": "a", "question": "q", "labels": {"faults": ["wobbly_knees"]}}, "wobbly_knees"),
    ({"id": "a", "question": "q", "movement": "deep_squat",
      "labels": {"faults": ["stiff_landing"]}}, "stiff_landing"),
    ({"id": "a", "question": "q", "movement": "hopscotch"}, "hopscotch"),
    ({"id": "a", "question": "q", "recording": "data:cmu-mocap-jumps/16_01.amc",
      "inject": {"fault": "stiff_landing", "magnitude": "severe"},
      "labels": {"faults": []}}, "stiff_landing"),
    ({"id": "a", "question": "q", "colour": "red"}, "colour"),
], ids=["unknown-fault", "wrong-movement", "unknown-movement", "inject-label", "extra-field"])
def test_invalid_cases_name_the_value(tmp_path: Path, row: dict[str, object],
                                      message: str) -> None:
    with pytest.raises(EvalCaseError, match=message):
        load_cases(_write(tmp_path, row))


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    with pytest.raises(EvalCaseError, match="duplicate case id 'a'"):
        load_cases(_write(tmp_path, {"id": "a", "question": "q"}, {"id": "a", "question": "r"}))


def _args(cases: Path, out: Path, **kw: object) -> argparse.Namespace:
    from sportsgpt.evals.runner import add_eval_parser

    parser = argparse.ArgumentParser()
    add_eval_parser(parser.add_subparsers())
    argv = ["eval", "--cases", str(cases), "--out", str(out), "--backend", "none",
            "--no-progress"]
    for key, value in kw.items():
        argv += [f"--{key}", str(value)]
    return parser.parse_args(argv)


def test_runner_scores_outside_answers_and_resumes(tmp_path: Path) -> None:
    from sportsgpt.api import SportsGPT
    from sportsgpt.core.settings import Settings
    from sportsgpt.evals.runner import run_eval
    from sportsgpt.graph_kb.embeddings import HashingEmbedder

    cases = _write(tmp_path, {"id": "q1", "question": "Does arm swing help me jump higher?",
                              "must_mention": ["arm swing"], "sources": ["vaverka2016"]})
    answers = tmp_path / "theirs.jsonl"
    answers.write_text(json.dumps({"case_id": "q1", "answer": "Yes: arm swing adds height "
                                   "(Smith et al., 2020)."}) + "\n")
    out = tmp_path / "run"
    args = _args(cases, out, systems="sportsgpt,baseline", responses=answers)
    with SportsGPT(Settings(cache_dir=tmp_path / "cache"), embedder=HashingEmbedder(64),
                   progress=None) as ctx:
        assert run_eval(args, ctx) == 0
        first = (out / "cases.jsonl").read_text()
        assert run_eval(args, ctx) == 0
    assert (out / "cases.jsonl").read_text() == first  # resumed: nothing redone
    assert len(first.splitlines()) == 3
    summary = json.loads((out / "summary.json").read_text())
    systems = summary["systems"]
    assert systems["baseline"]["runnable"] is False
    assert systems["sportsgpt"]["citations"]["precision"] == 1.0
    assert systems["sportsgpt"]["citations"]["invented"] == 0
    theirs = systems["responses:theirs"]
    assert theirs["citations"]["invented"] == 1 and theirs["citations"]["precision"] == 0.0
    assert theirs["content"]["mention_recall"] == 1.0
    assert "proxy" in theirs["proxies"]["label"] and "likert" not in theirs
    assert (out / "report.md").is_file() and (out / "report.html").is_file()
    assert json.loads((out / "config.json").read_text())["systems"]["baseline"]["backend"] \
        == "none"
