"""Foot contact from foot height over the floor: the rule that times takeoff and landing.

The ``foot_contact_left/right`` channels of :func:`sportsgpt.tools.kinematics.kinematic_signals`
need the foot to be *slow* (vertical speed under 0.5 m/s on a 0.1 s Savitzky-Golay
derivative) before it counts as grounded. At touchdown the smoothed speed stays high for a
few frames after the foot has stopped, so a landing from them came 1-3 frames late, and
their exit threshold (7.5 cm above the ground) put takeoff late too. Force plates
(``opencap-dropjumps``, 100 Hz) show that a foot touches the plate in the frame in which its
lowest point comes down to the height it has while standing on that floor.

The rule here (used by :func:`sportsgpt.tools.events.flights` and MotionDTW's keyframe
refinement):

* **standing level** of each foot, per frame: the median height of its lowest point in the
  nearest standing phase (a run of frames in which it is still, vertical speed below
  :data:`STILL_SPEED_MPS`, within :data:`NEAR_GROUND_M` of the ground). A foot on a box
  (drop jump) is far from the ground and does not count; a foot whose markers sit higher on
  the shoe gets a higher level; a landing on a slightly different patch of floor is compared
  with that floor.
* **on the floor** (per foot): the lowest point no more than :data:`FLOOR_LEVEL_M` above the
  foot's standing level. No speed condition.
* **airborne**: both feet off the floor (gaps in a foot's height up to :data:`MAX_GAP_S` are
  bridged linearly first, so one missing marker frame does not split a flight). Takeoff is
  the first airborne frame, landing the first frame after a flight with a foot on the floor.

Tuning (held-out split): :data:`FLOOR_LEVEL_M` was chosen on the three force-plate drop
jumps (markers, levels 0.5-2 cm tried; 1.5 cm: every event within 0.33 frame of the plates on
average at 100 Hz) and then checked on the CMU jumps against the physics reference of
:mod:`sportsgpt.tools.flight_reference`, which it never saw
(``benchmarks/events_forceplate.py``, ``benchmarks/results/events.md``).
"""

from __future__ import annotations

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
    if not level_m > 0:
        raise MotionDataError(f"level_m must be a positive number of metres, got {level_m!r}")
    h = bridge_gaps(height, max(1, round(MAX_GAP_S * fps)))
    level = standing_level(h, fps)
    return np.where(np.isfinite(h), (h - level <= level_m).astype(float), np.nan)


def floor_airborne(kin: AngleSequence, level_m: float = FLOOR_LEVEL_M) -> FloatArray | None:
    """1 where both feet are off the floor, 0 where one is on it, NaN where unknown.

    ``None`` when the sequence has no foot heights (px data, joint angles): then the
    callers use the contact channels (or pelvis free fall) instead, and say so.
    """
    if not kin.has(*FOOT_HEIGHTS):
        return None
    left, right = (on_floor(kin.channel(n), kin.fps, level_m) for n in FOOT_HEIGHTS)
    known = np.isfinite(left) & np.isfinite(right)
    air = (left == 0) & (right == 0)
    return np.where(known, air.astype(float), np.nan)
