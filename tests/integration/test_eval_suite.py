"""The eval suite in CI: the 12-case offline subset on the ``none`` backend, gated at the
measured level, and one case through a tiny random Qwen3 (a plumbing check, not quality).

Measured on 2026-12 (``evals/results/ci_none/``): sportsgpt macro-F1 0.698, top-1 0.714,
clean false alarms 1 of 3, UI-PRMD incorrect detected 1 of 1, citation precision 1.0 with 0
invented references, athlete numbers 56 of 56 matching. The thresholds below sit at those
values, so any regression fails the build. The embedder is the hashing embedder (offline,
fast): retrieval quality is not what this gates.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from sportsgpt.api import SportsGPT
from sportsgpt.core.settings import LLMSettings, Settings
from sportsgpt.evals.runner import add_eval_parser, run_eval
from sportsgpt.graph_kb.embeddings import HashingEmbedder

pytestmark = pytest.mark.integration
CASES = Path(__file__).resolve().parents[2] / "evals" / "data" / "ci_subset.jsonl"


def _args(out: Path, systems: str, backend: str, limit: int | None = None
          ) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_eval_parser(parser.add_subparsers())
    argv = ["eval", "--cases", str(CASES), "--systems", systems, "--backend", backend,
            "--out", str(out), "--no-progress"]
    if limit:
        argv += ["--limit", str(limit)]
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    pytest.importorskip("langgraph")
    from sportsgpt.core.errors import DatasetNotFoundError
    from sportsgpt.tools.datasets import data_home

    try:
        data_home("cmu-mocap-jumps"), data_home("ui-prmd")
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")
    tmp = tmp_path_factory.mktemp("eval")
    args = _args(tmp / "run", "sportsgpt,no_kismam,no_retrieval,no_graph,baseline", "none")
    with SportsGPT(Settings(cache_dir=tmp / "cache"), embedder=HashingEmbedder(64),
                   progress=None) as ctx:
        assert run_eval(args, ctx) == 0
    data: dict[str, object] = json.loads((tmp / "run" / "summary.json").read_text())
    return data


def test_sportsgpt_diagnosis_holds_its_measured_level(summary: dict[str, object]) -> None:
    s = summary["systems"]["sportsgpt"]  # type: ignore[index]
    assert summary["n_cases"] == 12
    # Measured 2026-12-03 with contact timed as the force plates time it (evals/results/
    # ci_none): macro-F1 0.613, top-1 0.857, 2 of 3 clean recordings with a finding. Was
    # 0.660: the severe asymmetric landing is now also read as a stiff landing (the late leg
    # lands on a body that has already sunk; docs/kismam.md). Before the
    # unit-based severities: 0.698, 0.714, 1 of 3.
    assert s["diagnosis"]["macro_f1"] >= 0.61
    assert s["diagnosis"]["top1"] >= 0.85
    assert s["diagnosis"]["clean_false_alarms"] <= 0.67
    assert s["diagnosis"]["any_fault_detection"] == 1.0


def test_sportsgpt_citations_and_numbers_are_exact(summary: dict[str, object]) -> None:
    s = summary["systems"]["sportsgpt"]  # type: ignore[index]
    assert s["citations"]["precision"] == 1.0 and s["citations"]["invented"] == 0
    assert s["citations"]["supported"] is None  # no judge: not scored, never guessed
    assert s["numbers"]["faithful"] == 1.0 and s["numbers"]["checked"] >= 30


def test_ablation_without_kismam_diagnoses_worse(summary: dict[str, object]) -> None:
    systems = summary["systems"]  # type: ignore[index]
    assert systems["no_kismam"]["diagnosis"]["macro_f1"] < \
        systems["sportsgpt"]["diagnosis"]["macro_f1"]
    for name in ("no_retrieval", "no_graph", "no_kismam"):
        assert systems[name]["citations"]["invented"] == 0


def test_baseline_is_not_runnable_without_a_model(summary: dict[str, object]) -> None:
    baseline = summary["systems"]["baseline"]  # type: ignore[index]
    assert baseline["runnable"] is False and "not runnable" in baseline["reason"]


# ------------------------------------------------------------------ tiny model: plumbing
@pytest.mark.slow
def test_one_case_through_a_tiny_qwen3_plumbing_check(tmp_path: Path) -> None:
    """The real transformers backend end to end; its random text says nothing of quality."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.integration.test_qwen_transformers import checkpoint

    ckpt = checkpoint.__wrapped__(  # type: ignore[attr-defined]
        _TmpFactory(tmp_path))
    settings = Settings(cache_dir=tmp_path / "cache", llm=LLMSettings(
        backend="transformers", model_path=ckpt))
    questions = tmp_path / "one.jsonl"
    questions.write_text(json.dumps({"id": "q-plumbing", "question": "Does arm swing help "
                                     "me jump higher?"}) + "\n")
    args = _args(tmp_path / "run", "sportsgpt,baseline", "transformers")
    args.cases = str(questions)
    with SportsGPT(settings, embedder=HashingEmbedder(64), progress=None) as ctx:
        assert run_eval(args, ctx) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["systems"]["baseline"]["runnable"] is True
    assert summary["systems"]["sportsgpt"]["citations"]["invented"] == 0
    assert "plumbing check" in (tmp_path / "run" / "report.md").read_text()


class _TmpFactory:
    """The one method of pytest's TempPathFactory the checkpoint builder uses."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def mktemp(self, name: str) -> Path:
        path = self.base / name
        path.mkdir()
        return path
