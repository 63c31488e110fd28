from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.events import JUMP_EVENTS, jump_events, squat_events
from sportsgpt.tools.motion import AngleSequence

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
