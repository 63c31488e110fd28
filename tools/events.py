"""Rule-based movement events from pelvis and foot kinematics.

This is the simple, documented routine that labels keyframes on expert
recordings (when a template is built) and gives the *reference* events that
the keyframe benchmark scores MotionDTW against. It never looks at a template.

Inputs are the signals of :func:`sportsgpt.tools.kinematics.kinematic_signals`
(``pelvis_height``, ``pelvis_velocity_y``, ``foot_contact_left/right``), so it
needs a 3D motion in metres (or a 2D one scaled to metres).

Jump rules (countermovement jump, standing long jump), frames 0-based:

* **flight**: a run of at least :data:`MIN_FLIGHT_S` seconds in which neither
  foot is in contact. The jump is the flight with the highest pelvis apex.
* ``takeoff``: the first frame of the flight (first frame with both feet off).
* ``landing``: the first frame after the flight with a foot in contact.
* ``apex``: the highest pelvis frame within the flight.
* ``countermovement_bottom``: the lowest pelvis frame in the
  :data:`SEARCH_BEFORE_S` seconds before takeoff.
* ``movement_onset``: walking back from the peak downward pelvis velocity
  before the bottom, the first frame whose downward speed is below
  :data:`ONSET_SPEED_MPS` (the pelvis starts to sink). A force-plate onset
  (bodyweight minus 5 SD, McMahon et al. 2018, doi:10.1519/SSC.0000000000000375)
  is not available from kinematics; this is its kinematic proxy.
* ``landing_bottom``: the lowest pelvis frame in the :data:`SEARCH_AFTER_S`
  seconds after landing.

Without foot contact (joint angles from an OpenSim ``.mot``), flight is taken from pelvis
free fall (:func:`free_fall_contacts`); those contacts place keyframes only.

Squat rules: ``bottom`` is the lowest pelvis frame; ``descent_start`` walks back
from the peak downward velocity before it to speed below
:data:`ONSET_SPEED_MPS`; ``ascent_end`` walks forward from the peak upward
velocity after it to speed below the same threshold.
"""

from __future__ import annotations

import itertools
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.derivatives import savgol_derivative
from sportsgpt.tools.motion import AngleSequence, FloatArray

MIN_FLIGHT_S: Final = 0.08
"""Shortest airborne run accepted as a flight (shorter runs are contact noise)."""
SEARCH_BEFORE_S: Final = 1.0
"""Window before takeoff in which the countermovement bottom is searched."""
SEARCH_AFTER_S: Final = 1.0
"""Window after landing in which the landing bottom is searched."""
ONSET_SPEED_MPS: Final = 0.05
"""Pelvis vertical speed below which the body counts as still (m/s)."""
MIN_SQUAT_DEPTH_M: Final = 0.05
"""A squat must lower the pelvis at least this much below its start."""

JUMP_EVENTS: Final = ("movement_onset", "countermovement_bottom", "takeoff", "apex",
                      "landing", "landing_bottom")
SQUAT_EVENTS: Final = ("descent_start", "bottom", "ascent_end")
G: Final = 9.81
"""Gravitational acceleration, m/s²."""
FREE_FALL_TOLERANCE: Final = 3.0
"""Angles-only input without foot contact: a frame is airborne when the pelvis vertical
acceleration is within ±3 m/s² of -g (free fall) ..."""
FREE_FALL_GAP_S: Final = 0.05
"""... airborne runs separated by less than 0.05 s are merged (derivative noise)."""


class Events(BaseModel):
    """Named event frames (0-based) found in one recording, and how."""

    kind: Literal["jump", "squat", "drop_jump"]
    frames: dict[str, int]
    fps: float
    notes: list[str]

    def time_s(self, name: str) -> float:
        """Event time in seconds from the first frame."""
        return self.frames[name] / self.fps


def _runs(mask: FloatArray | np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def airborne(signals: AngleSequence) -> FloatArray:
    """1 where both feet are off the ground, 0 where one is on it, NaN where unknown.

    From the ``foot_contact_left/right`` channels: for metre data the floor-level rule of
    :func:`sportsgpt.tools.contact.foot_contact` (a foot's lowest point, the toe tip where
    the source has one, within 1.5 cm of its standing level, or stopped there by an
    impact), which matches force plates within a frame
    (``benchmarks/results/events.md``); for pixel data the height-and-speed rule.
    """
    left = signals.channel("foot_contact_left")
    right = signals.channel("foot_contact_right")
    return np.where(np.isfinite(left) & np.isfinite(right),
                    ((left == 0) & (right == 0)).astype(float), np.nan)


def flights(signals: AngleSequence) -> list[tuple[int, int]]:
    """Airborne runs ``(takeoff, landing)``: both feet off the ground long enough.

    ``takeoff`` is the first airborne frame, ``landing`` the first frame after the run (see
    :func:`airborne`).
    """
    airborne_now = airborne(signals) == 1.0
    min_len = max(1, round(MIN_FLIGHT_S * signals.fps))
    n = signals.n_frames
    return [(a, b) for a, b in _runs(airborne_now) if b - a >= min_len and b < n and a > 0]


def walk_to_still(v: FloatArray, start: int, stop: int, step: int) -> int:
    """From ``start`` move by ``step`` until |v| < threshold or ``stop`` is reached."""
    i = start
    while i != stop and np.isfinite(v[i]) and abs(v[i]) >= ONSET_SPEED_MPS:
        i += step
    return i


def _argext(x: FloatArray, lo: int, hi: int, fn: str) -> int:
    seg = x[lo:hi]
    if not np.isfinite(seg).any():
        raise MotionDataError(f"pelvis height is missing between frames {lo} and {hi}")
    return lo + int(np.nanargmin(seg) if fn == "min" else np.nanargmax(seg))


def jump_events(signals: AngleSequence) -> list[Events]:
    """Events of every jump in a recording, in time order (empty when none)."""
    h = signals.channel("pelvis_height")
    v = signals.channel("pelvis_velocity_y")
    fps, n = signals.fps, signals.n_frames
    found: list[Events] = []
    prev_end = 0
    for takeoff, landing in flights(signals):
        lo = max(prev_end, takeoff - round(SEARCH_BEFORE_S * fps))
        bottom = _argext(h, lo, takeoff, "min")
        fastest_down = _argext(v, lo, bottom + 1, "min")
        onset = walk_to_still(v, fastest_down, lo, -1)
        apex = _argext(h, takeoff, landing, "max")
        hi = min(n, landing + round(SEARCH_AFTER_S * fps))
        landing_bottom = _argext(h, landing, hi, "min")
        frames = {"movement_onset": onset, "countermovement_bottom": bottom,
                  "takeoff": takeoff, "apex": apex, "landing": landing,
                  "landing_bottom": landing_bottom}
        found.append(Events(kind="jump", frames=frames, fps=fps, notes=[
            f"flight {takeoff}-{landing} ({(landing - takeoff) / fps:.3f} s)"]))
        prev_end = landing_bottom
    return found


def squat_events(signals: AngleSequence) -> Events:
    """Events of one squat repetition (the deepest pelvis excursion)."""
    h = signals.channel("pelvis_height")
    v = signals.channel("pelvis_velocity_y")
    n = signals.n_frames
    bottom = _argext(h, 0, n, "min")
    start_level = float(np.nanmax(h[: bottom + 1]))
    if start_level - h[bottom] < MIN_SQUAT_DEPTH_M:
        raise MotionDataError(
            f"no squat found: the pelvis drops {100 * (start_level - h[bottom]):.1f} cm, "
            f"less than {100 * MIN_SQUAT_DEPTH_M:.0f} cm")
    fastest_down = _argext(v, 0, bottom + 1, "min")
    fastest_up = _argext(v, bottom, n, "max")
    descent = walk_to_still(v, fastest_down, 0, -1)
    ascent = walk_to_still(v, fastest_up, n - 1, +1)
    return Events(kind="squat", frames={"descent_start": descent, "bottom": bottom,
                                        "ascent_end": ascent}, fps=signals.fps, notes=[])


def free_fall_contacts(kin: AngleSequence) -> AngleSequence | None:
    """``kin`` plus foot contact derived from pelvis free fall.

    ``foot_contact_left/right`` = not airborne, airborne meaning pelvis free fall (see
    :data:`FREE_FALL_TOLERANCE`); ``None`` when the input has contact already or no
    pelvis height.
    """
    if kin.has("foot_contact_left", "foot_contact_right") or not kin.has("pelvis_height"):
        return None
    h = kin.channel("pelvis_height")
    acc = savgol_derivative(h, kin.fps, 2)
    air = np.isfinite(acc) & (np.abs(acc + G) < FREE_FALL_TOLERANCE)
    idx = np.flatnonzero(air)
    gap = max(1, round(FREE_FALL_GAP_S * kin.fps))
    for a, b in itertools.pairwise(idx):
        if 1 < b - a <= gap:
            air[a:b] = True
    contact = np.where(np.isfinite(h), (~air).astype(float), np.nan)
    return kin.model_copy(update={
        "values": np.column_stack([kin.values, contact, contact]),
        "channels": (*kin.channels, "foot_contact_left", "foot_contact_right"),
        "units": (*kin.units, "1", "1")})


# --- drop jump ---------------------------------------------------------------------------
DROP_JUMP_EVENTS: Final = ("box_departure", "landing", "landing_bottom", "takeoff", "apex",
                           "second_landing")
"""Keyframes of a drop (vertical) jump, in time order (:func:`drop_jump_events`)."""
DJ_CONTACT_HEIGHT_M: Final = 0.02
"""Drop jump: a foot is on the floor when its lowest point is at most 2 cm above the
ground level (no speed condition: the foot hits the floor at about 3 m/s). Checked on the
three force-plate drop jumps of ``opencap-dropjumps`` (one athlete, the only data the
value was looked at on): first contact 0/0/0 frames from the plates (20 N), rebound
takeoff 0/0/0, second landing -1/0/-1 at 100 Hz."""
MIN_BOX_HEIGHT_M: Final = 0.10
"""The feet must start at least 10 cm above the floor they land on (the box)."""
BOX_TOLERANCE_M: Final = 0.03
"""A foot is on the box when its lowest point is within 3 cm of the box level."""
DROP_SEARCH_S: Final = 1.5
"""Window before the first floor contact in which the box departure is searched."""


def _lowest_feet(signals: AngleSequence) -> FloatArray | None:
    """Per frame, the lower foot's height above the ground (``None`` without heights)."""
    if not signals.has("left_foot_height", "right_foot_height"):
        return None
    both = np.stack([signals.channel("left_foot_height"),
                     signals.channel("right_foot_height")], axis=1)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.fmin.reduce(both, axis=1), dtype=np.float64)


def _first(mask: np.ndarray, start: int) -> int | None:
    """First index ``>= start`` where ``mask`` is True (``None`` when none)."""
    idx = np.flatnonzero(mask[start:])
    return start + int(idx[0]) if idx.size else None


def _floor_contacts(signals: AngleSequence, low: FloatArray | None) -> tuple[np.ndarray, str]:
    """Per frame: some foot on the floor (True), and the rule that said so."""
    if low is not None:
        with np.errstate(invalid="ignore"):
            on = np.isfinite(low) & (low <= DJ_CONTACT_HEIGHT_M)
        return on, f"floor contact: lowest foot point <= {100 * DJ_CONTACT_HEIGHT_M:.0f} cm"
    if not signals.has("foot_contact_left", "foot_contact_right"):
        raise MotionDataError("drop jump events need foot heights or foot contact "
                              "(foot points in metres, or joint angles with a pelvis height)")
    left = signals.channel("foot_contact_left")
    right = signals.channel("foot_contact_right")
    return (left == 1) | (right == 1), "floor contact: foot contact channels"


def _box_departure(signals: AngleSequence, low: FloatArray | None, landing: int,
                   notes: list[str]) -> int:
    """Last frame with a foot on the box, no later than the pelvis peak before the drop."""
    h = signals.channel("pelvis_height")
    lo = max(0, landing - round(DROP_SEARCH_S * signals.fps))
    peak = _argext(h, lo, landing, "max")
    if low is None:
        notes.append("box departure: highest pelvis point before the drop (no foot heights)")
        return peak
    before = low[: peak + 1]
    if not np.isfinite(before).any():
        raise MotionDataError("no foot heights before the drop: the box level is unknown")
    box = float(np.nanmedian(before))
    if box < MIN_BOX_HEIGHT_M:
        raise MotionDataError(
            f"no drop jump: the feet start {100 * box:.1f} cm above the landing floor, "
            f"less than the {100 * MIN_BOX_HEIGHT_M:.0f} cm a box gives")
    with np.errstate(invalid="ignore"):
        on_box = np.flatnonzero(np.abs(before - box) <= BOX_TOLERANCE_M)
    if not on_box.size:
        raise MotionDataError(f"no frame with a foot on the box (level {box:.3f} m)")
    notes.append(f"box {100 * box:.0f} cm above the floor; departure: last frame with a foot "
                 f"within {100 * BOX_TOLERANCE_M:.0f} cm of it before the pelvis peak")
    return int(on_box[-1])


def drop_jump_events(signals: AngleSequence) -> Events:
    """Events of one drop (vertical) jump: off a box, land, rebound, land again.

    Rules, frames 0-based (needs ``pelvis_height`` and foot heights in metres, or foot
    contact channels):

    * floor contact: the lower foot's lowest point within :data:`DJ_CONTACT_HEIGHT_M`
      of the ground level (from ``left/right_foot_height``; without them, the
      ``foot_contact_*`` channels);
    * ``landing``: the first floor contact after frames with both feet off the floor
      (the box); the feet must start at least :data:`MIN_BOX_HEIGHT_M` above the floor;
    * ``box_departure``: the last frame with a foot within :data:`BOX_TOLERANCE_M` of the
      box level (median lowest foot height before the drop), no later than the highest
      pelvis point in the :data:`DROP_SEARCH_S` before landing (a hop off the box rises
      first; the feet pass the box level again on the way down);
    * ``takeoff``: the first frame after landing with both feet off the floor, starting
      an airborne run of at least :data:`MIN_FLIGHT_S`;
    * ``second_landing``: the first floor contact after takeoff;
    * ``landing_bottom``: the lowest pelvis frame between landing and takeoff;
    * ``apex``: the highest pelvis frame between takeoff and second landing.

    Raises:
        MotionDataError: no box, no floor contact after it, or no rebound flight.
    """
    low = _lowest_feet(signals)
    on, rule = _floor_contacts(signals, low)
    fps = signals.fps
    start = int(np.flatnonzero(~on)[0]) if (~on).any() else 0
    landing = _first(on, start)
    if landing is None or landing == 0:
        raise MotionDataError("no drop jump: no floor contact after a start off the floor")
    notes = [rule]
    box_departure = _box_departure(signals, low, landing, notes)
    min_len = max(1, round(MIN_FLIGHT_S * fps))
    takeoff = second = None
    for a, b in _runs(~on):
        if a > landing and b - a >= min_len and b < signals.n_frames:
            takeoff, second = a, b
            break
    if takeoff is None or second is None:
        raise MotionDataError(f"no rebound jump after the landing at frame {landing}: no "
                              f"airborne run of {MIN_FLIGHT_S} s ending in a second landing")
    h = signals.channel("pelvis_height")
    frames = {"box_departure": box_departure, "landing": landing,
              "landing_bottom": _argext(h, landing, takeoff, "min"), "takeoff": takeoff,
              "apex": _argext(h, takeoff, second, "max"), "second_landing": second}
    notes.append(f"ground contact {landing}-{takeoff} ({(takeoff - landing) / fps:.3f} s), "
                 f"flight {takeoff}-{second} ({(second - takeoff) / fps:.3f} s)")
    return Events(kind="drop_jump", frames=frames, fps=fps, notes=notes)
