"""Per-athlete baselines on real UI-PRMD squats (synthetic values: tests/unit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.cli import main
from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.tools.datasets import load_ui_prmd, ui_prmd_path
from sportsgpt.tools.kismam.baseline import baseline_values
from sportsgpt.tools.kismam.targets import TargetDerivationError


@pytest.mark.integration
def test_a_baseline_without_the_movement_is_a_named_error(uiprmd_dir: Path) -> None:
    squat = load_ui_prmd("deep_squat", 1, 1, correct=True)
    with pytest.raises(TargetDerivationError, match="no countermovement_jump found"):
        baseline_values("countermovement_jump", {"squat": squat})


@pytest.mark.integration
def test_analyze_with_a_baseline(uiprmd_dir: Path, tmp_path: Path) -> None:
    # Subject 5 against their own correct squats: a correct one is clean, the report says
    # where its targets came from.
    base = [str(ui_prmd_path("deep_squat", 5, e, correct=True)) for e in range(2, 6)]
    out = tmp_path / "r.json"
    code = main(["analyze", str(ui_prmd_path("deep_squat", 5, 1, correct=True)),
                 "--movement", "deep_squat", "--format", "json", "--out", str(out),
                 "--baseline", *base])
    assert code == 0
    (rep,) = json.loads(out.read_text(encoding="utf-8"))["repetitions"]
    assert any("own baseline (4 recordings" in n for n in rep["notes"])
    assert not [f for f in rep["findings"] if f["severity"] in ("moderate", "severe")]
    depth = next(m for m in rep["metrics"] if m["id"] == "squat_depth_knee_flexion")
    own = [baseline_values("deep_squat", {"x": load_ui_prmd("deep_squat", 5, e, correct=True)})
           ["x"]["squat_depth_knee_flexion"] for e in range(2, 6)]
    assert depth["target_low"] < min(own)  # a band around subject 5's own depth
    shipped = load_catalog("deep_squat").metric("squat_depth_knee_flexion").target
    assert shipped is not None and shipped.experts is not None
    spread = max(shipped.experts.sd_floor, float(np.std(own, ddof=1)))
    assert depth["target_low"] == pytest.approx(float(np.mean(own)) - 2 * spread, abs=0.02)
