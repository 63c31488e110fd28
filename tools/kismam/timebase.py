"""Frame-rate sanity: warnings when a recording's time base is implausible for its movement.

A wrong frame rate (a ``--fps 30`` flag on a 120 Hz capture, a video re-encoded at
another rate) leaves every position and angle right and every *time* wrong by the same
factor k = true fps / given fps: durations scale by k, speeds by 1/k, and the
flight-time jump height ``h = g t² / 8`` by k². Positions give a second, time-free
height (the pelvis rise), so a jump checks its own clock. :func:`timebase_warnings`
returns loud warnings when the timing is implausible; the caller adds them to the
report's quality notes and marks the timing metrics (durations, flight-time height,
time to stabilisation, arm-swing timing) as unreliable.

Bounds, with their reasoning:

* **Flight-time vs pelvis-rise height** (jumps): on a true time base the flight-time height
  is *below* the pelvis rise from standing, because the body leaves the floor extended and on
  its toes, higher than it stands (by 5-15 cm), and events placed one frame off move the
  flight-time height by only ``g t dt / 4`` (about 1 cm at 120 Hz). They are flagged when the
  flight-time height is outside :data:`HEIGHT_RATIO` (0.3 to 1.25) times the pelvis rise
  *and* differs by more than :data:`HEIGHT_ABS_TOL_M` (0.10 m), so small hops with cm-level
  noise are not. Measured on the 29 CMU jumps with contact timed by the floor-level rule
  (true 120 Hz): ratio 0.38-0.81 (16_01 0.57, 16_03 0.71; standing long jumps are the
  lowest); read at 60 fps (k = 2): 0.89-2.82 (16_01 1.98, 16_03 2.39); at 240 fps (k = 0.5)
  about a quarter of the true ratio. The bounds were 0.5 and 2 while late contact events
  lengthened the flight; with contact placed as the force plates place it, 0.5 flagged four
  expert standing long jumps at their true rate and 2 let 16_01 at k = 2 pass. A factor
  between about 0.6 and 1.4 can pass this check.
* **Flight time** (jumps): at most :data:`MAX_FLIGHT_S` = 1.2 s, which by
  ``h = g t² / 8`` is a 1.77 m rise of the centre of mass, beyond any human standing
  jump (elite standing vertical jumps rise about 0.7-0.9 m: 0.76-0.86 s of flight).
* **Jump phases**: movement onset to the countermovement bottom within
  :data:`UNWEIGHTING_BRAKING_S` (0.1-2.5 s; typical CMJ 0.4-0.8 s, McMahon et al. 2018)
  and the bottom to takeoff within :data:`PROPULSION_S` (0.08-1.0 s; typical 0.2-0.4 s):
  faster is beyond muscle power, slower is not a jump.
* **Squat phases**: descent (``descent_start`` to ``bottom``) and ascent (``bottom`` to
  ``ascent_end``) within :data:`SQUAT_PHASE_S` (0.25-8 s; a controlled body-weight squat
  takes 1-3 s each way, tempo training up to about 5 s), and a peak pelvis vertical speed
  within :data:`SQUAT_PEAK_SPEED_MPS` (0.05-2.5 m/s; body-weight squats peak at about
  0.5-1.5 m/s; jump squats about 2.5 m/s at takeoff).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Literal

import numpy as np

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.events import G
from sportsgpt.tools.kismam.metrics import (
    NotAssessableError,
    duration_flight,
    duration_propulsion,
    duration_unweighting_braking,
    jump_height_flight_time,
    jump_height_pelvis_rise,
)
from sportsgpt.tools.motion import AngleSequence

HEIGHT_RATIO: Final = (0.3, 1.25)
"""Flight-time height / pelvis-rise height outside this range is implausible ..."""
HEIGHT_ABS_TOL_M: Final = 0.10
"""... when the two heights also differ by more than this (m)."""
MAX_FLIGHT_S: Final = 1.2
"""Longest plausible flight of a human jump (s): g t²/8 = 1.77 m."""
UNWEIGHTING_BRAKING_S: Final = (0.1, 2.5)
"""Plausible seconds from movement onset to the countermovement bottom."""
PROPULSION_S: Final = (0.08, 1.0)
"""Plausible seconds from the countermovement bottom to takeoff."""
SQUAT_PHASE_S: Final = (0.25, 8.0)
"""Plausible seconds for a squat's descent and for its ascent."""
SQUAT_PEAK_SPEED_MPS: Final = (0.05, 2.5)
"""Plausible peak pelvis vertical speed during a squat (m/s)."""

TIMING_METRICS: Final = frozenset({
    "duration_unweighting_braking", "duration_propulsion", "duration_flight",
    "jump_height_flight_time", "time_to_stabilisation", "arm_swing_timing",
    "landing_time_asymmetry"})
"""Metric functions whose value depends on the frame rate (unreliable when warned)."""

Kind = Literal["jump", "squat", "drop_jump"]

_PREFIX: Final = "TIME BASE IMPLAUSIBLE"


def _fps_hint(factor: float | None = None) -> str:
    by = f" by a factor of about {factor:.2g}" if factor is not None else ""
    return (f"the frame rate may be wrong{by} (check the recording's true frame rate); "
            "timing metrics are unreliable")


def _outside(value: float, bounds: tuple[float, float]) -> bool:
    return not bounds[0] <= value <= bounds[1]


def _jump_warnings(kin: AngleSequence, frames: Mapping[str, int]) -> list[str]:
    out: list[str] = []
    fps = kin.fps
    try:
        flight = duration_flight(kin, None, frames, fps).value
    except NotAssessableError:
        flight = math.nan
    if math.isfinite(flight) and flight > MAX_FLIGHT_S:
        out.append(f"{_PREFIX}: flight of {flight:.2f} s at {fps:g} fps is longer than any "
                   f"human jump (max {MAX_FLIGHT_S:g} s, a {G * MAX_FLIGHT_S ** 2 / 8:.2f} m "
                   f"rise); {_fps_hint()}")
    try:
        h_ft = jump_height_flight_time(kin, None, frames, fps).value
        h_pr = jump_height_pelvis_rise(kin, None, frames, fps).value
    except NotAssessableError:
        h_ft = h_pr = math.nan
    if math.isfinite(h_ft) and math.isfinite(h_pr) and h_pr > 0:
        ratio = h_ft / h_pr
        if _outside(ratio, HEIGHT_RATIO) and abs(h_ft - h_pr) > HEIGHT_ABS_TOL_M:
            out.append(f"{_PREFIX}: jump height from flight time {h_ft:.2f} m (g t²/8 with "
                       f"t = {flight:.3f} s at {fps:g} fps) disagrees with the pelvis rise "
                       f"{h_pr:.2f} m (ratio {ratio:.2f}, plausible {HEIGHT_RATIO[0]:g}-"
                       f"{HEIGHT_RATIO[1]:g}); {_fps_hint(math.sqrt(ratio))}")
    for fn, what, bounds in ((duration_unweighting_braking, "unweighting and braking",
                              UNWEIGHTING_BRAKING_S),
                             (duration_propulsion, "propulsion", PROPULSION_S)):
        try:
            t = fn(kin, None, frames, fps).value
        except NotAssessableError:
            continue
        if _outside(t, bounds):
            out.append(f"{_PREFIX}: {what} phase of {t:.3f} s at {fps:g} fps is outside the "
                       f"humanly plausible {bounds[0]:g}-{bounds[1]:g} s; {_fps_hint()}")
    return out


def _squat_warnings(kin: AngleSequence, frames: Mapping[str, int]) -> list[str]:
    out: list[str] = []
    fps = kin.fps
    names = ("descent_start", "bottom", "ascent_end")
    if not all(n in frames for n in names):
        return out
    start, bottom, end = (int(frames[n]) for n in names)
    for what, a, b in (("descent", start, bottom), ("ascent", bottom, end)):
        t = (b - a) / fps
        if _outside(t, SQUAT_PHASE_S):
            lo, hi = SQUAT_PHASE_S
            out.append(f"{_PREFIX}: squat {what} of {t:.2f} s at {fps:g} fps is outside the "
                       f"humanly plausible {lo:g}-{hi:g} s; {_fps_hint()}")
    if kin.has("pelvis_velocity_y") and end > start:
        v = np.abs(kin.channel("pelvis_velocity_y")[start:end + 1])
        if np.isfinite(v).any():
            peak = float(np.nanmax(v))
            if _outside(peak, SQUAT_PEAK_SPEED_MPS):
                lo, hi = SQUAT_PEAK_SPEED_MPS
                out.append(f"{_PREFIX}: peak pelvis vertical speed {peak:.2f} m/s at {fps:g} "
                           f"fps is outside the plausible {lo:g}-{hi:g} m/s for a squat; "
                           f"{_fps_hint()}")
    return out


def timebase_warnings(kin: AngleSequence, frames: Mapping[str, int], kind: Kind) -> list[str]:
    """Warnings when the time base makes the movement physically implausible.

    Args:
        kin: the repetition's channels at the recording's frame rate (``Prepared.kin``:
            ``pelvis_height``, ``pelvis_velocity_y``).
        frames: keyframe name -> frame (a jump's or a squat's keyframes, see
            :mod:`sportsgpt.tools.events`); a check whose keyframes are absent is skipped.
        kind: ``"jump"`` (countermovement or standing long jump), ``"drop_jump"`` (its
            rebound is checked as a jump) or ``"squat"``.

    Returns:
        One line per failed check, each starting ``TIME BASE IMPLAUSIBLE``, naming the
        measured value, the plausible bound and the likely frame-rate factor; empty when
        the timing is plausible. The metrics in :data:`TIMING_METRICS` are unreliable when
        the list is not empty.

    Raises:
        MotionDataError: ``kind`` is not ``"jump"``, ``"drop_jump"`` or ``"squat"``.
    """
    if kind == "jump":
        return _jump_warnings(kin, frames)
    if kind == "drop_jump":  # the rebound's flight: takeoff to the second landing
        rebound = {k: frames[v] for k, v in (("takeoff", "takeoff"), ("apex", "apex"),
                                              ("landing", "second_landing")) if v in frames}
        return _jump_warnings(kin, rebound)
    if kind == "squat":
        return _squat_warnings(kin, frames)
    raise MotionDataError(f"timebase_warnings: kind must be 'jump', 'drop_jump' or 'squat', "
                          f"got {kind!r}")


__all__ = ["HEIGHT_ABS_TOL_M", "HEIGHT_RATIO", "MAX_FLIGHT_S", "PROPULSION_S",
           "SQUAT_PEAK_SPEED_MPS", "SQUAT_PHASE_S", "TIMING_METRICS", "UNWEIGHTING_BRAKING_S",
           "timebase_warnings"]
