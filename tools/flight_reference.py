"""A physics reference for takeoff and landing on marker data without force plates.

It is used to check (and to tune) the event rules on the CMU jumps, where no force was
recorded. It never looks at a template, a keyframe or the contact channels. Exact
definition, frames 0-based:

* **foot at floor level**: the foot's lowest point (heel, toe, toe tip where the source has one,
  or ankle, whichever is lowest)
  at most :data:`REFERENCE_LEVEL_M` (5 mm) above that foot's standing level
  (:func:`sportsgpt.tools.contact.standing_level`: the median height while the foot stands
  still near the ground).
* **pelvis in free fall**: the pelvis vertical acceleration (Savitzky-Golay, 0.1 s window)
  within :data:`FREE_FALL_TOLERANCE_MPS2` of ``-g``.
* **flight**: a run of at least :data:`MIN_FLIGHT_S` in which neither foot is at floor level
  and that holds at least one free-fall frame of the pelvis (a foot lifted while the other
  stands, or a step, is not a flight).
* **takeoff**: the first frame of the flight; **landing**: the first frame after it, the frame
  in which a foot is back at floor level.
* ``free_fall_end`` (reported, not scored): the last frame of the pelvis' free-fall run
  around the apex, plus one. Smoothing spreads an impact over the derivative window, so it
  comes a few frames *before* the touchdown; it says whether the pelvis is still falling
  freely when the foot reaches the floor.

The level (5 mm) is stricter than the rule's :data:`sportsgpt.tools.contact.FLOOR_LEVEL_M`
and was fixed before any comparison ("a few mm": marker noise on the CMU feet is 1-2 mm
while standing).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from pydantic import BaseModel

from sportsgpt.core.errors import MissingJointError
from sportsgpt.tools.contact import FOOT_HEIGHTS, on_floor
from sportsgpt.tools.motion import AngleSequence

REFERENCE_LEVEL_M: Final = 0.005
"""A foot is at floor level within 5 mm of its standing level."""
FREE_FALL_TOLERANCE_MPS2: Final = 2.0
"""Pelvis vertical acceleration within 2 m/s² of -g counts as free fall."""
MIN_FLIGHT_S: Final = 0.08
"""Shortest flight accepted (as :data:`sportsgpt.tools.events.MIN_FLIGHT_S`)."""
G: Final = 9.81


class ReferenceFlight(BaseModel):
    """One flight found by the physics reference (frames 0-based)."""

    takeoff: int
    landing: int
    free_fall_end: int
    fps: float


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[False], mask.astype(bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def reference_flights(kin: AngleSequence) -> list[ReferenceFlight]:
    """Every flight of a recording by the physics definition above, in time order.

    Raises:
        MissingJointError: the sequence has no foot heights or no pelvis acceleration.
    """
    need = (*FOOT_HEIGHTS, "pelvis_acceleration_y")
    if not kin.has(*need):
        raise MissingJointError([n for n in need if not kin.has(n)], kin.channels,
                                "the physics reference of takeoff and landing")
    left, right = (on_floor(kin.channel(n), kin.fps, REFERENCE_LEVEL_M) for n in FOOT_HEIGHTS)
    air = np.isfinite(left) & np.isfinite(right) & (left == 0) & (right == 0)
    acc = kin.channel("pelvis_acceleration_y")
    falling = np.isfinite(acc) & (np.abs(acc + G) < FREE_FALL_TOLERANCE_MPS2)
    min_len = max(1, round(MIN_FLIGHT_S * kin.fps))
    out: list[ReferenceFlight] = []
    for a, b in _runs(air):
        if b - a < min_len or a == 0 or b >= kin.n_frames or not falling[a:b].any():
            continue
        end = a + int(np.flatnonzero(falling[a:b])[-1])
        while end + 1 < kin.n_frames and falling[end + 1]:
            end += 1
        out.append(ReferenceFlight(takeoff=a, landing=b, free_fall_end=end + 1, fps=kin.fps))
    return out
