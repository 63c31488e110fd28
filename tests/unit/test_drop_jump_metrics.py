"""Drop-jump event rules and metric functions on synthetic signals (offline).

One drop jump at 100 Hz, built frame by frame: feet on a 0.30 m box, the pelvis rising
3 cm into a step off at frame 50, floor contact from frame 75 to 104 (the pelvis dips to
its lowest at frame 90), a rebound flight from 105 to 144, and the second landing at 145.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.events import G, drop_jump_events
from sportsgpt.tools.kismam.metrics import (
    LESS_COUNTED,
    LESS_NOT_ASSESSED,
    NotAssessableError,
    drop_landing_time_asymmetry,
    ground_contact_time,
    less_error_count,
    less_items,
    less_note,
    reactive_strength_index,
    rebound_jump_height,
    trunk_flexion_at_initial_contact,
    vertical_load_asymmetry,
)
from sportsgpt.tools.motion import AngleSequence

FPS = 100.0
N = 200
LAND, TAKEOFF, SECOND, BOTTOM = 75, 105, 145, 90


def _feet(delay_right: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Foot heights (m): box, drop, contact, rebound flight, floor."""
    def one(delay: int) -> np.ndarray:
        h = np.zeros(N)
        h[:50] = 0.30
        drop = np.arange(50, LAND + delay)
        h[drop] = 0.30 * (1 - ((drop - 50) / (LAND + delay - 50)) ** 2)
        flight = np.arange(TAKEOFF, SECOND)
        h[flight] = 0.03 + 0.17 * np.sin(np.pi * (flight - TAKEOFF + 1) / (SECOND - TAKEOFF + 1))
        return h
    return one(0), one(delay_right)


def _signals(*, knee_ic: float = 35.0, knee_peak: float = 90.0, hip_ic: float = 30.0,
             hip_peak: float = 70.0, trunk_ic: float = 10.0, trunk_peak: float = 25.0,
             delay_right: int = 0, forces: tuple[float, float] | None = None
             ) -> AngleSequence:
    left, right = _feet(delay_right)
    t = np.arange(N)
    pelvis = 1.0 + np.minimum(left, right)
    pelvis[30:51] += np.linspace(0.0, 0.03, 21)  # rising onto the step-off
    dip = (t >= LAND) & (t < TAKEOFF)
    pelvis[dip] -= 0.25 * np.sin(np.pi * (t[dip] - LAND) / (TAKEOFF - LAND))

    def bend(ic: float, peak: float) -> np.ndarray:
        x = np.full(N, ic)
        x[dip] = ic + (peak - ic) * np.sin(np.pi * (t[dip] - LAND) / (TAKEOFF - LAND))
        return x

    chans = {"pelvis_height": pelvis, "left_foot_height": left, "right_foot_height": right,
             "knee_flexion_left": bend(knee_ic, knee_peak),
             "knee_flexion_right": bend(knee_ic, knee_peak),
             "hip_flexion_left": bend(hip_ic, hip_peak),
             "hip_flexion_right": bend(hip_ic, hip_peak),
             "trunk_inclination": bend(trunk_ic, trunk_peak)}
    if forces is not None:
        for side, peak in zip(("left", "right"), forces, strict=True):
            f = np.zeros(N)
            f[dip] = peak * np.sin(np.pi * (t[dip] - LAND) / (TAKEOFF - LAND))
            chans[f"vertical_force_{side}"] = f
    names = tuple(chans)
    units = tuple("m" if n.endswith("height") else "1" if "force" in n else "deg"
                  for n in names)
    return AngleSequence(values=np.stack([chans[n] for n in names], axis=1), channels=names,
                         units=units, fps=FPS)


@pytest.fixture(scope="module")
def frames() -> dict[str, int]:
    return dict(drop_jump_events(_signals()).frames)


def test_events_of_a_synthetic_drop_jump(frames: dict[str, int]) -> None:
    assert frames["landing"] == LAND
    assert frames["takeoff"] == TAKEOFF
    assert frames["second_landing"] == SECOND
    assert frames["landing_bottom"] == BOTTOM
    assert 45 <= frames["box_departure"] <= 55
    assert TAKEOFF < frames["apex"] < SECOND


def test_no_box_is_not_a_drop_jump() -> None:
    kin = _signals()
    flat = kin.values.copy()
    for name in ("left_foot_height", "right_foot_height"):
        col = kin.channels.index(name)
        flat[:LAND, col] = 0.0
    with pytest.raises(MotionDataError):
        drop_jump_events(AngleSequence(values=flat, channels=kin.channels, units=kin.units,
                                       fps=FPS))


def test_contact_time_rebound_height_and_rsi(frames: dict[str, int]) -> None:
    kin = _signals()
    ct = ground_contact_time(kin, None, frames, FPS).value
    h = rebound_jump_height(kin, None, frames, FPS).value
    assert ct == pytest.approx((TAKEOFF - LAND) / FPS)
    t = (SECOND - TAKEOFF) / FPS
    assert h == pytest.approx(G * t * t / 8)
    assert reactive_strength_index(kin, None, frames, FPS).value == pytest.approx(h / ct)


def test_rebound_before_landing_is_not_assessable(frames: dict[str, int]) -> None:
    bad = frames | {"takeoff": LAND - 1}
    with pytest.raises(NotAssessableError, match="not after landing"):
        ground_contact_time(_signals(), None, bad, FPS)


def test_trunk_flexion_at_initial_contact(frames: dict[str, int]) -> None:
    kin = _signals(trunk_ic=12.5)
    assert trunk_flexion_at_initial_contact(kin, None, frames, FPS).value == pytest.approx(12.5)


@pytest.mark.parametrize("delay", [0, 3], ids=["together", "right-3-frames-late"])
def test_landing_time_asymmetry(frames: dict[str, int], delay: int) -> None:
    kin = _signals(delay_right=delay)
    value = drop_landing_time_asymmetry(kin, None, frames, FPS).value
    assert value == pytest.approx(1000.0 * delay / FPS)


def test_a_good_landing_has_no_less_errors(frames: dict[str, int]) -> None:
    kin = _signals()
    assert less_items(kin, None, frames, FPS) == dict.fromkeys(LESS_COUNTED, False)
    assert less_error_count(kin, None, frames, FPS).value == 0


def test_a_stiff_upright_landing_scores_every_counted_error(frames: dict[str, int]) -> None:
    kin = _signals(knee_ic=20.0, knee_peak=50.0, hip_ic=-2.0, hip_peak=-5.0, trunk_ic=-3.0,
                   trunk_peak=-6.0)
    items = less_items(kin, None, frames, FPS)
    assert all(items.values()), items
    assert less_error_count(kin, None, frames, FPS).value == len(LESS_COUNTED)


def test_less_count_needs_the_trunk(frames: dict[str, int]) -> None:
    kin = _signals()
    keep = [i for i, c in enumerate(kin.channels) if c != "trunk_inclination"]
    without = AngleSequence(values=kin.values[:, keep],
                            channels=tuple(kin.channels[i] for i in keep),
                            units=tuple(kin.units[i] for i in keep), fps=FPS)
    with pytest.raises(NotAssessableError, match="LESS items not assessable"):
        less_error_count(without, None, frames, FPS)


def test_less_note_names_the_items_not_assessed() -> None:
    note = less_note()
    for item in ("foot position", "stance width", "lateral trunk flexion", "overall impression",
                 "ankle plantar flexion"):
        assert item in note
    assert all(item in note for item in LESS_NOT_ASSESSED)


def test_vertical_load_asymmetry_without_forces_says_why(frames: dict[str, int]) -> None:
    with pytest.raises(NotAssessableError, match="no force data given"):
        vertical_load_asymmetry(_signals(), None, frames, FPS)


def test_vertical_load_asymmetry_from_forces(frames: dict[str, int]) -> None:
    kin = _signals(forces=(1200.0, 900.0))
    value = vertical_load_asymmetry(kin, None, frames, FPS).value
    assert math.isclose(value, 25.0, abs_tol=0.5)
