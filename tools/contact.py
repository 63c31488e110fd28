"""Foot contact from foot height over the floor: the rule that times takeoff and landing.

The ``foot_contact_left/right`` channels of :func:`sportsgpt.tools.kinematics.kinematic_signals`
(metre data) are :func:`foot_contact`; :func:`sportsgpt.tools.events.flights` and MotionDTW's
keyframe refinement take takeoff and landing from them. The rule, per foot:

* **standing level**, per frame: the median height of the foot's lowest point (heel, toe, toe
  tip where the source has one, ankle) in the nearest standing phase (a run of frames in
  which it is still, vertical speed below :data:`STILL_SPEED_MPS`, within
  :data:`NEAR_GROUND_M` of the ground). A foot on a box (drop jump) is far from the ground and
  does not count; a foot whose markers sit higher on the shoe gets a higher level; a landing
  on a slightly different patch of floor is compared with that floor.
* **on the floor**: the lowest point no more than :data:`FLOOR_LEVEL_M` above the standing
  level (:func:`on_floor`), or
* **touchdown by impact**: the lowest point, within :data:`IMPACT_BAND_M` of the standing
  level, moves down slower than :data:`STOP_SPEED_MPS` within :data:`IMPACT_WINDOW_S` of
  moving down at :data:`IMPACT_SPEED_MPS` or faster (it has hit the floor). The foot then
  stays on the floor until it rises :data:`FLOOR_LEVEL_M` above the height at which it hit.
  This catches a fitted skeleton whose toe tip meets the floor higher than it stands
  (CMU 16_01, left foot: 1.6 cm, which put that foot's touchdown 5 frames late and read as
  a 50 ms landing asymmetry on an expert).
* **airborne**: both feet off the floor (gaps in a foot's height up to :data:`MAX_GAP_S` are
  bridged linearly first, so one missing marker frame does not split a flight). Takeoff is
  the first airborne frame, landing the first frame after a flight with a foot on the floor.

The previous rule (a foot slower than 0.5 m/s on a 0.1 s derivative and within 5 cm of the
ground, leaving above 7.5 cm: :func:`sportsgpt.tools.kinematics.contact_hysteresis`) stays for
pixel data and for a foot that never stands still near the ground; on the force plates it is
late by 1.67 frames at touchdown and 3.0 at toe-off, per foot on average.

Measured (``benchmarks/events_forceplate.py``, ``benchmarks/results/events.md``): on the three
force-plate drop jumps (markers, 100 Hz) :data:`FLOOR_LEVEL_M` was chosen (levels 0.5-2 cm
tried); per foot against each plate, touchdown +0.08 and toe-off -0.33 frames on average, and
the impact entry changes none of them (the plates' markers reach their level first). The
impact speeds were fixed beforehand, not tuned. On the CMU jumps (no plates) the check is the
physics reference of :mod:`sportsgpt.tools.flight_reference`.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.derivatives import savgol_derivative
from sportsgpt.tools.motion import AngleSequence, FloatArray

FLOOR_LEVEL_M: Final = 0.015
"""A foot is on the floor when its lowest point is at most 1.5 cm above its standing level."""
STILL_SPEED_MPS: Final = 0.1
"""A foot is still (standing) when its lowest point moves vertically slower than this."""
NEAR_GROUND_M: Final = 0.05
"""Standing frames must lie within 5 cm of the recording's ground level."""
MAX_GAP_S: Final = 0.1
"""Missing foot heights over at most this many seconds are bridged linearly."""
FOOT_HEIGHTS: Final = ("left_foot_height", "right_foot_height")
IMPACT_SPEED_MPS: Final = 0.5
"""Touchdown by impact: the lowest foot point arrives moving down at least this fast ..."""
STOP_SPEED_MPS: Final = 0.25
"""... and then moves down slower than this to the next frame (frame-to-frame differences) ..."""
IMPACT_BAND_M: Final = 0.025
"""... no more than this above its standing level. A fitted skeleton's toe tip meets the floor
up to about 2 cm higher than it stands (CMU 16_01, left foot: 1.6 cm); a foot held up while
the other lands stops with the body 4-5 cm up (an injected late leg: 4.7 cm), which must
not count as a touchdown."""
IMPACT_WINDOW_S: Final = 0.05
"""... within this time of moving fast (a low-pass filter spreads the stop of an impact over
a few frames, so the fast frames need not be the one just before)."""


def bridge_gaps(x: FloatArray, max_len: int) -> FloatArray:
    """``x`` with interior NaN runs of at most ``max_len`` frames filled linearly."""
    out = np.array(x, dtype=np.float64)
    bad = ~np.isfinite(out)
    if not bad.any() or bad.all():
        return out
    m = np.concatenate([[False], bad, [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if a > 0 and b < len(out) and b - a <= max_len:
            out[a:b] = np.interp(np.arange(a, b), [a - 1, b], [out[a - 1], out[b]])
    return out


def _still_runs(height: FloatArray, fps: float) -> list[tuple[int, int]]:
    """Runs of frames in which the foot stands still within :data:`NEAR_GROUND_M` of ground."""
    v = savgol_derivative(height, fps, 1)
    still = np.isfinite(height) & np.isfinite(v) & (np.abs(v) < STILL_SPEED_MPS) \
        & (height < NEAR_GROUND_M)
    m = np.concatenate([[False], still, [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def standing_level(height: FloatArray, fps: float) -> FloatArray:
    """Per frame, the height of the foot's lowest point in its nearest standing phase.

    A standing phase is a run of frames in which the foot is still (vertical speed under
    :data:`STILL_SPEED_MPS`) within :data:`NEAR_GROUND_M` of the ground; its level is the
    run's median height. Each frame takes the level of the run nearest in time, so a jump
    that lands on a slightly higher or lower patch of floor (CMU 118_02: 1 cm) is compared
    with the floor it lands on.

    Raises:
        MotionDataError: the foot never stands still near the ground.
    """
    runs = _still_runs(height, fps)
    if not runs:
        raise MotionDataError(
            f"no standing frame: the foot is never still (< {STILL_SPEED_MPS} m/s) within "
            f"{100 * NEAR_GROUND_M:.0f} cm of the ground, so its floor level is unknown")
    t = np.arange(len(height))
    starts = np.array([a for a, _ in runs])
    stops = np.array([b - 1 for _, b in runs])
    dist = np.maximum(np.maximum(starts[None, :] - t[:, None], t[:, None] - stops[None, :]), 0)
    levels = np.array([float(np.median(height[a:b])) for a, b in runs])
    return np.asarray(levels[np.argmin(dist, axis=1)], dtype=np.float64)


def on_floor(height: FloatArray, fps: float, level_m: float = FLOOR_LEVEL_M) -> FloatArray:
    """1/0 per frame: the foot's lowest point within ``level_m`` of its standing level.

    NaN where the height is missing (after bridging gaps up to :data:`MAX_GAP_S`).
    """
    h, d = _above_level(height, fps, level_m)
    return np.where(np.isfinite(h), (d <= level_m).astype(float), np.nan)


def _above_level(height: FloatArray, fps: float, level_m: float) -> tuple[FloatArray, FloatArray]:
    """Heights with short gaps bridged, and their height above the standing level."""
    if not level_m > 0:
        raise MotionDataError(f"level_m must be a positive number of metres, got {level_m!r}")
    h = bridge_gaps(height, max(1, round(MAX_GAP_S * fps)))
    return h, h - standing_level(h, fps)


def _impacts(h: FloatArray, d: FloatArray, fps: float) -> np.ndarray:
    """Per frame: the foot stops near its level soon after moving down fast.

    Stopped: moving down slower than :data:`STOP_SPEED_MPS` to the next frame, within
    :data:`IMPACT_BAND_M` of the level; fast: :data:`IMPACT_SPEED_MPS` or more within the
    last :data:`IMPACT_WINDOW_S`.
    """
    imp = np.zeros(len(h), dtype=bool)
    if len(h) < 3:
        return imp
    down = np.full(len(h), np.nan)
    down[:-1] = (h[:-1] - h[1:]) * fps  # speed down from frame i to i + 1
    back = max(1, round(IMPACT_WINDOW_S * fps))
    with np.errstate(invalid="ignore"):
        fast = down >= IMPACT_SPEED_MPS
        recent = np.zeros(len(h), dtype=bool)
        for k in range(1, back + 1):
            recent[k:] |= fast[:-k]
        imp[:] = (d <= IMPACT_BAND_M) & (down < STOP_SPEED_MPS) & recent
    return imp


def foot_contact(height: FloatArray, fps: float, level_m: float = FLOOR_LEVEL_M) -> FloatArray:
    """1/0 per frame: the foot on the floor by level or by impact (see the module docstring).

    NaN where the height is missing (after bridging gaps up to :data:`MAX_GAP_S`); a NaN
    frame keeps the state it interrupts.

    Raises:
        MotionDataError: ``level_m`` is not positive, or the foot never stands still near the
            ground (its floor level is unknown).
    """
    h, d = _above_level(height, fps, level_m)
    return _contact_states(d, _impacts(h, d, fps), level_m)


def _contact_states(d: FloatArray, impact: np.ndarray, level_m: float) -> FloatArray:
    """The state machine of :func:`foot_contact` over heights above the standing level."""
    out = np.full(len(d), np.nan)
    on, exit_at = False, level_m
    for i, (di, hit) in enumerate(zip(d.tolist(), impact.tolist(), strict=True)):
        if math.isnan(di):
            continue
        if on:
            on = di <= exit_at
            if di <= level_m:  # back at its usual level: leaves it as any foot does
                exit_at = level_m
        if not on and (di <= level_m or hit):
            on, exit_at = True, level_m if di <= level_m else di + level_m
        out[i] = float(on)
    return out


def floor_airborne(kin: AngleSequence, level_m: float = FLOOR_LEVEL_M) -> FloatArray | None:
    """1 where both feet are off the floor, 0 where one is on it, NaN where unknown.

    ``None`` when the sequence has no foot heights (px data, joint angles): then the
    callers use the contact channels (or pelvis free fall) instead, and say so.
    """
    if not kin.has(*FOOT_HEIGHTS):
        return None
    left, right = (foot_contact(kin.channel(n), kin.fps, level_m) for n in FOOT_HEIGHTS)
    known = np.isfinite(left) & np.isfinite(right)
    air = (left == 0) & (right == 0)
    return np.where(known, air.astype(float), np.nan)
