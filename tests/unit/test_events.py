from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.events import JUMP_EVENTS, jump_events, squat_events
from sportsgpt.tools.io._common import map_to_canonical
from sportsgpt.tools.kinematics import kinematic_signals
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.skeleton import CMU_ASF_TO_CANONICAL

FPS = 100.0


def _signals(h: np.ndarray, contact: np.ndarray) -> AngleSequence:
    v = np.gradient(h) * FPS
    return AngleSequence(values=np.column_stack([h, v, contact, contact]),
                         channels=("pelvis_height", "pelvis_velocity_y", "foot_contact_left",
                                   "foot_contact_right"), units=("m", "m/s", "1", "1"), fps=FPS)


def _synthetic_jump(t_idle: int = 50) -> tuple[AngleSequence, dict[str, int]]:
    """Stand, dip 20 cm (cosine), push up, fly 0.4 s ballistically, land, absorb."""
    stand = np.full(t_idle, 1.0)
    dip = 1.0 - 0.1 * (1 - np.cos(np.linspace(0, np.pi, 41)))   # down to 0.8 at index 40
    push = np.linspace(0.8, 1.05, 21)[1:]
    t = np.arange(1, 41) / FPS
    flight = 1.05 + 1.96 * t - 0.5 * 9.81 * t**2                # 0.4 s of flight
    land = 1.05 - 0.15 * np.sin(np.linspace(0, np.pi / 2, 21))[1:]
    rest = np.full(60, land[-1])
    h = np.concatenate([stand, dip, push, flight, land, rest])
    contact = np.ones_like(h)
    takeoff = t_idle + 41 + 20
    contact[takeoff:takeoff + 40] = 0
    truth = {"countermovement_bottom": t_idle + 40, "takeoff": takeoff,
             "apex": takeoff + int(np.argmax(flight)), "landing": takeoff + 40}
    return _signals(h, contact), truth


def test_synthetic_jump_events() -> None:
    sig, truth = _synthetic_jump()
    (ev,) = jump_events(sig)
    for name, frame in truth.items():
        assert ev.frames[name] == frame, name
    assert 50 <= ev.frames["movement_onset"] <= truth["countermovement_bottom"]
    assert ev.frames["landing_bottom"] > ev.frames["landing"]
    assert list(ev.frames) == list(JUMP_EVENTS)


def test_no_flight_no_jump() -> None:
    h = 1.0 - 0.1 * np.sin(np.linspace(0, np.pi, 200))
    assert jump_events(_signals(h, np.ones(200))) == []


def test_short_airborne_blips_are_not_flights() -> None:
    h = np.full(200, 1.0)
    contact = np.ones(200)
    contact[100:104] = 0  # 40 ms: contact noise, not a flight
    assert jump_events(_signals(h, contact)) == []


def test_squat_events_and_too_shallow() -> None:
    h = np.concatenate([np.full(30, 1.0), 1.0 - 0.2 * np.sin(np.linspace(0, np.pi, 201)),
                        np.full(30, 1.0)])
    ev = squat_events(_signals(h, np.ones_like(h)))
    assert ev.frames["bottom"] == 130
    assert ev.frames["descent_start"] < 45 and ev.frames["ascent_end"] > 215
    with pytest.raises(MotionDataError, match="no squat"):
        squat_events(_signals(np.full(100, 1.0) - 0.01 * np.sin(np.linspace(0, 3, 100)),
                              np.ones(100)))


def _cmu(cmu_dir: Path, trial: str) -> MotionSequence:
    z = np.load(cmu_dir / "positions_npz" / f"{trial}.npz")
    pos, names, _ = map_to_canonical(z["positions"].astype(float),
                                     [str(n) for n in z["joint_names"]], CMU_ASF_TO_CANONICAL)
    return MotionSequence(positions=pos, joints=names, fps=120.0)


@pytest.mark.integration
@pytest.mark.parametrize("trial", ["16_01", "16_02", "118_05", "118_20"])
def test_cmu_jumps_have_one_jump_in_order(cmu_dir: Path, trial: str) -> None:
    (ev,) = jump_events(kinematic_signals(_cmu(cmu_dir, trial)))
    frames = [ev.frames[n] for n in JUMP_EVENTS]
    assert frames == sorted(frames) and len(set(frames)) == len(frames)
    flight_s = (ev.frames["landing"] - ev.frames["takeoff"]) / 120.0
    assert 0.25 < flight_s < 0.7


@pytest.mark.integration
def test_cmu_16_01_matches_the_documented_frames(cmu_dir: Path) -> None:
    # SOURCE.md: countermovement at f102, flight at f150, landing f175-200.
    (ev,) = jump_events(kinematic_signals(_cmu(cmu_dir, "16_01")))
    assert abs(ev.frames["countermovement_bottom"] - 102) <= 3
    assert abs(ev.frames["apex"] - 150) <= 3
    assert 175 <= ev.frames["landing"] <= 200
