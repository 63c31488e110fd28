"""Jump events on real CMU trials (synthetic jumps and squats: tests/unit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.tools.events import JUMP_EVENTS, jump_events
from sportsgpt.tools.kinematics import kinematic_signals
from tests.integration.cmu import cmu_motion


@pytest.mark.integration
@pytest.mark.parametrize("trial", ["16_01", "16_02", "118_05", "118_20"])
def test_cmu_jumps_have_one_jump_in_order(cmu_dir: Path, trial: str) -> None:
    (ev,) = jump_events(kinematic_signals(cmu_motion(cmu_dir, trial)))
    frames = [ev.frames[n] for n in JUMP_EVENTS]
    assert frames == sorted(frames) and len(set(frames)) == len(frames)
    flight_s = (ev.frames["landing"] - ev.frames["takeoff"]) / 120.0
    assert 0.25 < flight_s < 0.7


@pytest.mark.integration
def test_cmu_16_01_matches_the_documented_frames(cmu_dir: Path) -> None:
    # SOURCE.md's stick figures: countermovement at f102, flight at f150, landing f175-200
    # (the landing phase drawn; the right toe tip reaches the floor at f173).
    (ev,) = jump_events(kinematic_signals(cmu_motion(cmu_dir, "16_01")))
    assert abs(ev.frames["countermovement_bottom"] - 102) <= 3
    assert abs(ev.frames["apex"] - 150) <= 3
    assert 172 <= ev.frames["landing"] <= 200
