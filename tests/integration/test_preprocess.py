"""Preprocessing real CMU jumps (each step on synthetic signals: tests/unit)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.preprocess import preprocess, quality_summary
from tests.integration.cmu import cmu_motion


@pytest.mark.integration
def test_cmu_vertical_jump_quality_and_preprocess(cmu_dir: Path) -> None:
    motion = cmu_motion(cmu_dir, "16_01")
    q = quality_summary(motion)
    assert q.n_frames == 322
    assert q.missing_pct == 0.0
    assert q.jitter_mm is not None and q.jitter_mm < 2.0  # optical mocap: sub-mm to mm
    assert q.usable_views == ["3d", "sagittal", "frontal"]
    out, report = preprocess(motion)
    steps = {s.name: s for s in report.steps}
    assert 6.0 <= float(steps["lowpass_filter"].details["cutoff_hz"]) <= 12.0
    assert float(steps["normalise_facing"].details["heading_spread_deg"]) < 10.0
    feet = [out.index(j) for j in ("left_toe", "right_toe", "left_ankle", "right_ankle")]
    lowest = out.positions[:60, feet, 1].min(axis=1)  # standing before the countermovement
    assert np.abs(lowest).max() < 0.02
    assert (out.joint("right_hip")[:, 2] > out.joint("left_hip")[:, 2]).all()


@pytest.mark.integration
@pytest.mark.parametrize("trial", ["118_20", "118_29"])
def test_cmu_long_jump_travels_along_plus_x_after_facing(cmu_dir: Path, trial: str) -> None:
    out, report = preprocess(cmu_motion(cmu_dir, trial))
    pelvis = out.joint("pelvis")
    travel = pelvis[-1] - pelvis[0]
    horizontal = math.hypot(travel[0], travel[2])
    assert horizontal > 1.0
    assert travel[0] > 0.95 * horizontal
    assert out.facing == "+x"
    facing = next(s for s in report.steps if s.name == "normalise_facing")
    assert float(facing.details["rotation_deg"]) == pytest.approx(90.0, abs=10.0)  # +z -> +x
