"""Kinematics of real CMU countermovement jumps (synthetic skeletons: tests/unit)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.kinematics import compute_kinematics
from sportsgpt.tools.motion import AngleSequence
from tests.integration.cmu import cmu_motion


def _ch(seq: AngleSequence, name: str) -> np.ndarray:
    return seq.channel(name)


@pytest.mark.integration
@pytest.mark.parametrize(("trial", "knee_at_bottom"), [("16_01", 84.0), ("16_02", 92.0)])
def test_cmu_countermovement_jump(cmu_dir: Path, trial: str, knee_at_bottom: float) -> None:
    seq = compute_kinematics(cmu_motion(cmu_dir, trial))
    h = _ch(seq, "pelvis_height")
    apex = int(np.argmax(h))
    bottom = int(np.argmin(h[:apex]))
    assert _ch(seq, "knee_flexion_left")[bottom] == pytest.approx(knee_at_bottom, abs=3.0)
    assert 0.96 <= np.median(h[:60]) <= 1.01
    assert abs(_ch(seq, "pelvis_velocity_y")[apex]) < 0.1
    assert _ch(seq, "pelvis_acceleration_y")[apex] == pytest.approx(-9.81, abs=1.5)
    assert _ch(seq, "hip_flexion_left")[bottom] > 45.0  # signed: flexion is positive
    assert _ch(seq, "trunk_inclination")[bottom] > 15.0  # leaning forward at the bottom
    for side in ("left", "right"):
        c = _ch(seq, f"foot_contact_{side}")
        assert c[: bottom + 1].min() == 1.0 and c[apex] == 0.0
    assert np.isfinite(seq.values).all()
