"""KISMAM metric functions: one interpretable number per metric, at a keyframe or in a phase.

Every function has the same signature::

    fn(kin: AngleSequence, motion: MotionSequence | None,
       keyframes: Mapping[str, int], fps: float) -> Measurement

* ``kin``: joint angles and signals (``compute_kinematics`` output, or an
  OpenSim ``.mot`` :class:`AngleSequence`; channel names of ``docs/kinematics.md``).
* ``motion``: the *preprocessed* positions (ground at 0, athlete facing +x) or
  ``None`` for angles-only input. Only the metrics that need positions
  (distances, takeoff angle, hip-below-knee, heel rise) use it.
* ``keyframes``: keyframe name -> 0-based frame of this repetition.
* ``fps``: frame rate of ``kin`` (and ``motion``).

A metric that cannot be computed from the input raises :class:`NotAssessableError`
with the reason (missing channel, joint or keyframe, no finite sample); the
caller turns it into a ``not_assessable`` :class:`MetricResult`. Functions are
pure: they never modify their inputs. Definitions, units and sources of every
metric are in ``docs/kismam.md``; :data:`METRIC_FUNCTIONS` is the registry the
catalog's ``definition.computation`` names point into.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.tools.derivatives import savgol_derivative
from sportsgpt.tools.events import DJ_CONTACT_HEIGHT_M, G
from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence
from sportsgpt.tools.preprocess import leg_length

TAKEOFF_WINDOW_S: Final = 0.1
"""Extension at takeoff is the best value in the last 0.1 s before the takeoff frame:
the contact rule marks takeoff when the foot is already a few cm up."""
LANDING_WINDOW_AFTER_BOTTOM_S: Final = 0.2
"""The landing window runs from landing to 0.2 s after the landing bottom."""
STABLE_SPEED_MPS: Final = 0.05
"""Time to stabilisation: the pelvis vertical speed stays within ±0.05 m/s ..."""
STABLE_HOLD_S: Final = 0.2
"""... for at least 0.2 s."""
ARM_SWING_WINDOW_S: Final = 1.0
"""Arm swing is measured in the last second before takeoff (the backswing often starts
before the pelvis does, so movement onset is not a usable start)."""
ARM_SWING_MIN_DEG: Final = 30.0
"""Arm-swing timing needs a swing: below 30° of shoulder-flexion range it is not timed."""


class NotAssessableError(SportsGPTError):
    """A metric cannot be computed from this input; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Measurement:
    """A metric value and where it was measured.

    A *point* metric is read at one keyframe: ``keyframe`` names it and ``frame`` is its
    frame. A *window* metric is measured over a stretch of the recording (a peak, a
    range, a duration, a difference between two moments): ``keyframe`` is None,
    ``window`` names the stretch's two ends (keyframe names, or an offset from one such
    as ``"takeoff - 1 s"``) and ``window_frames`` gives them as frames; ``frame`` is the
    frame the value comes from (the peak's), or None when no single frame gives it (a
    duration).
    """

    value: float
    frame: int | None
    keyframe: str | None
    window: tuple[str, str] | None = None
    window_frames: tuple[int, int] | None = None

    def placement(self) -> dict[str, object]:
        """Where it was measured, as :class:`~.models.MetricResult` fields."""
        return {"keyframe": self.keyframe, "frame": self.frame,
                "window": list(self.window) if self.window else None,
                "window_frames": list(self.window_frames) if self.window_frames else None}


def over_window(value: float, frame: int | None, start: str, end: str, lo: int, hi: int,
                n_frames: int) -> Measurement:
    """A window measurement between ``start`` and ``end`` (frames clipped to the recording)."""
    lo_c, hi_c = max(0, lo), min(n_frames - 1, hi)
    return Measurement(value, frame, None, (start, end), (lo_c, max(lo_c, hi_c)))


def _seconds(s: float) -> str:
    return f"{s:g} s"


MetricFunction = Callable[[AngleSequence, MotionSequence | None, Mapping[str, int], float],
                          Measurement]


# --- helpers -----------------------------------------------------------------------------
def keyframe(keyframes: Mapping[str, int], name: str) -> int:
    """Frame of a keyframe, or :class:`NotAssessableError` when it was not found."""
    if name not in keyframes:
        raise NotAssessableError(f"keyframe '{name}' was not found")
    return int(keyframes[name])


def channel(kin: AngleSequence, name: str) -> FloatArray:
    """A channel of ``kin``, or :class:`NotAssessableError` naming it."""
    if not kin.has(name):
        raise NotAssessableError(f"channel '{name}' is not in the input")
    return np.asarray(kin.channel(name), dtype=np.float64)


def bilateral(kin: AngleSequence, base: str, how: str = "mean") -> FloatArray:
    """Per frame the mean (or ``min``/``max``) of ``<base>_left`` and ``<base>_right``.

    A side that is absent or NaN in a frame is ignored there; with one side only,
    that side is used.
    """
    sides = [kin.channel(f"{base}_{s}") for s in ("left", "right") if kin.has(f"{base}_{s}")]
    if not sides:
        raise NotAssessableError(f"channels '{base}_left/right' are not in the input")
    stack = np.vstack(sides)
    out = np.full(stack.shape[1], np.nan)
    ok = np.isfinite(stack).any(axis=0)
    part = stack[:, ok]
    if how == "min":
        out[ok] = np.nanmin(part, axis=0)
    elif how == "max":
        out[ok] = np.nanmax(part, axis=0)
    else:
        out[ok] = np.nanmean(part, axis=0)
    return out


def value_at(x: FloatArray, frame: int, what: str) -> float:
    """``x[frame]`` when finite, else :class:`NotAssessableError`."""
    if not 0 <= frame < len(x) or not np.isfinite(x[frame]):
        raise NotAssessableError(f"{what} is missing at frame {frame}")
    return float(x[frame])


def window(x: FloatArray, lo: int, hi: int, fn: str, what: str) -> tuple[float, int]:
    """``max`` / ``min`` of ``x[lo:hi+1]`` (NaN ignored) and its frame."""
    lo, hi = max(0, lo), min(len(x) - 1, hi)
    seg = x[lo:hi + 1]
    if hi < lo or not np.isfinite(seg).any():
        raise NotAssessableError(f"{what} has no sample between frames {lo} and {hi}")
    k = int(np.nanargmax(seg) if fn == "max" else np.nanargmin(seg))
    return float(seg[k]), lo + k


def frames(seconds: float, fps: float) -> int:
    """Whole frames in ``seconds`` (at least 1)."""
    return max(1, round(seconds * fps))


def bottom_name(keyframes: Mapping[str, int]) -> str:
    """The bottom keyframe of a jump (``countermovement_bottom``) or a squat (``bottom``)."""
    return "countermovement_bottom" if "countermovement_bottom" in keyframes else "bottom"


def body_leg_length(kin: AngleSequence, motion: MotionSequence | None,
                    keyframes: Mapping[str, int]) -> float:
    """Leg length (hip-knee-ankle, m) from positions.

    Without positions the standing pelvis height (at the first keyframe) stands in for
    it (about 5-10 % longer).
    """
    if motion is not None and motion.units == "m":
        length = leg_length(motion)
        if length is not None and length > 0:
            return length
    if motion is not None and motion.units != "m":
        raise NotAssessableError("positions are in pixels, not metres")
    h = channel(kin, "pelvis_height")
    first = min(keyframes.values()) if keyframes else 0
    ref = value_at(h, first, "pelvis height")
    if ref <= 0:
        raise NotAssessableError("no leg length: standing pelvis height is not positive")
    return ref


def _positions(motion: MotionSequence | None, *joints: str) -> list[FloatArray]:
    if motion is None:
        raise NotAssessableError("needs joint positions (angles-only input)")
    if motion.units != "m":
        raise NotAssessableError("needs positions in metres (pixel input)")
    missing = [j for j in joints if not motion.has(j)]
    if missing:
        raise NotAssessableError(f"joint(s) {missing} not in the input")
    return [np.asarray(motion.joint(j), dtype=np.float64) for j in joints]


def _forward(motion: MotionSequence) -> int:
    """Index of the forward axis (x) after facing normalisation."""
    if motion.dim == 3 and motion.facing != "+x":
        raise NotAssessableError("the athlete's forward direction is unknown "
                                 "(facing not normalised)")
    if motion.dim == 2 and motion.view != "sagittal":
        raise NotAssessableError("horizontal distances need 3D or a 2D side view")
    return 0


# --- countermovement and takeoff -----------------------------------------------------------
def countermovement_depth(kin: AngleSequence, motion: MotionSequence | None,
                          keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Pelvis drop from movement onset to the countermovement bottom, in % of leg length."""
    h = channel(kin, "pelvis_height")
    onset = keyframe(keyframes, "movement_onset")
    bottom = keyframe(keyframes, "countermovement_bottom")
    drop = value_at(h, onset, "pelvis height") - value_at(h, bottom, "pelvis height")
    return over_window(100.0 * drop / body_leg_length(kin, motion, keyframes), bottom,
                       "movement_onset", "countermovement_bottom", onset, bottom, len(h))


def _at_bottom(kin: AngleSequence, keyframes: Mapping[str, int], base: str) -> Measurement:
    name = bottom_name(keyframes)
    f = keyframe(keyframes, name)
    return Measurement(value_at(bilateral(kin, base), f, base), f, name)


def knee_flexion_at_bottom(kin: AngleSequence, motion: MotionSequence | None,
                           keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Knee flexion (mean of both sides) at the bottom keyframe, degrees."""
    return _at_bottom(kin, keyframes, "knee_flexion")


def hip_flexion_at_bottom(kin: AngleSequence, motion: MotionSequence | None,
                          keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Hip flexion (mean of both sides) at the bottom keyframe, degrees."""
    return _at_bottom(kin, keyframes, "hip_flexion")


def trunk_lean_at_bottom(kin: AngleSequence, motion: MotionSequence | None,
                         keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Forward trunk inclination from vertical at the bottom keyframe, degrees."""
    name = bottom_name(keyframes)
    f = keyframe(keyframes, name)
    return Measurement(value_at(channel(kin, "trunk_inclination"), f, "trunk inclination"),
                       f, name)


def trunk_lean_at_takeoff(kin: AngleSequence, motion: MotionSequence | None,
                          keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Forward trunk inclination from vertical at takeoff, degrees."""
    f = keyframe(keyframes, "takeoff")
    return Measurement(value_at(channel(kin, "trunk_inclination"), f, "trunk inclination"),
                       f, "takeoff")


def _takeoff_window(kin: AngleSequence, value: float, frame: int, to: int, fps: float
                    ) -> Measurement:
    lo = to - frames(TAKEOFF_WINDOW_S, fps)
    return over_window(value, frame, f"takeoff - {_seconds(TAKEOFF_WINDOW_S)}", "takeoff", lo,
                       to, kin.n_frames)


def _extension_at_takeoff(kin: AngleSequence, keyframes: Mapping[str, int], fps: float,
                          base: str) -> Measurement:
    to = keyframe(keyframes, "takeoff")
    least, f = window(bilateral(kin, base), to - frames(TAKEOFF_WINDOW_S, fps), to, "min", base)
    return _takeoff_window(kin, 180.0 - least, f, to, fps)


def knee_angle_at_takeoff(kin: AngleSequence, motion: MotionSequence | None,
                          keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Included knee angle (180° - flexion, mean of sides) at takeoff.

    Taken at its most extended in the 0.1 s up to takeoff; 180° is a straight knee.
    """
    return _extension_at_takeoff(kin, keyframes, fps, "knee_flexion")


def hip_angle_at_takeoff(kin: AngleSequence, motion: MotionSequence | None,
                         keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Trunk-thigh angle (180° - hip flexion, mean of sides) at takeoff.

    Taken at its most extended in the 0.1 s up to takeoff; 180° is a straight hip,
    above 180° hyperextension.
    """
    return _extension_at_takeoff(kin, keyframes, fps, "hip_flexion")


def ankle_plantarflexion_at_takeoff(kin: AngleSequence, motion: MotionSequence | None,
                                    keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak ankle plantarflexion (-dorsiflexion, mean of sides) in the 0.1 s up to takeoff."""
    to = keyframe(keyframes, "takeoff")
    pf = -bilateral(kin, "ankle_dorsiflexion")
    best, f = window(pf, to - frames(TAKEOFF_WINDOW_S, fps), to, "max", "ankle plantarflexion")
    return _takeoff_window(kin, best, f, to, fps)


def arm_swing_amplitude(kin: AngleSequence, motion: MotionSequence | None,
                        keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Range (max - min) of shoulder flexion (mean of sides) in the second before takeoff."""
    to = keyframe(keyframes, "takeoff")
    onset = to - frames(ARM_SWING_WINDOW_S, fps)
    sh = bilateral(kin, "shoulder_flexion")
    hi, f = window(sh, onset, to, "max", "shoulder flexion")
    lo, _ = window(sh, onset, to, "min", "shoulder flexion")
    return over_window(hi - lo, f, f"takeoff - {_seconds(ARM_SWING_WINDOW_S)}", "takeoff", onset,
                       to, len(sh))


def arm_swing_timing(kin: AngleSequence, motion: MotionSequence | None,
                     keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Time (s) of peak shoulder flexion relative to takeoff (negative: before).

    The peak is searched from 1 s before takeoff to landing. Not assessable when the
    swing is under 30°.
    """
    amp = arm_swing_amplitude(kin, motion, keyframes, fps)
    if amp.value < ARM_SWING_MIN_DEG:
        raise NotAssessableError(f"arm swing of {amp.value:.0f}° is too small to time "
                            f"(needs {ARM_SWING_MIN_DEG:.0f}°)")
    to = keyframe(keyframes, "takeoff")
    onset = to - frames(ARM_SWING_WINDOW_S, fps)
    end_name = "landing" if "landing" in keyframes else "takeoff + 0.3 s"
    end = keyframes.get("landing", to + frames(0.3, fps))
    _, f = window(bilateral(kin, "shoulder_flexion"), onset, int(end), "max", "shoulder flexion")
    return over_window((f - to) / fps, f, f"takeoff - {_seconds(ARM_SWING_WINDOW_S)}", end_name,
                       onset, int(end), kin.n_frames)


# --- flight --------------------------------------------------------------------------------
def duration_unweighting_braking(kin: AngleSequence, motion: MotionSequence | None,
                                 keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Seconds from movement onset to the countermovement bottom (McMahon et al. 2018)."""
    a, b = keyframe(keyframes, "movement_onset"), keyframe(keyframes, "countermovement_bottom")
    return over_window((b - a) / fps, None, "movement_onset", "countermovement_bottom", a, b,
                       kin.n_frames)


def duration_propulsion(kin: AngleSequence, motion: MotionSequence | None,
                        keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Seconds from the countermovement bottom to takeoff."""
    a, b = keyframe(keyframes, "countermovement_bottom"), keyframe(keyframes, "takeoff")
    return over_window((b - a) / fps, None, "countermovement_bottom", "takeoff", a, b,
                       kin.n_frames)


def duration_flight(kin: AngleSequence, motion: MotionSequence | None,
                    keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Seconds from takeoff to landing."""
    a, b = keyframe(keyframes, "takeoff"), keyframe(keyframes, "landing")
    return over_window((b - a) / fps, None, "takeoff", "landing", a, b, kin.n_frames)


def jump_height_flight_time(kin: AngleSequence, motion: MotionSequence | None,
                            keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Jump height g·t²/8 from flight time t (m); assumes equal takeoff and landing posture."""
    flight = duration_flight(kin, motion, keyframes, fps)
    t = flight.value
    if t <= 0:
        raise NotAssessableError("no flight time")
    return replace(flight, value=G * t * t / 8.0)


def jump_height_pelvis_rise(kin: AngleSequence, motion: MotionSequence | None,
                            keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Rise of the pelvis (m) from standing (movement onset) to the apex."""
    h = channel(kin, "pelvis_height")
    onset, apex = keyframe(keyframes, "movement_onset"), keyframe(keyframes, "apex")
    rise = value_at(h, apex, "pelvis height") - value_at(h, onset, "pelvis height")
    return over_window(rise, apex, "movement_onset", "apex", onset, apex, len(h))


def takeoff_angle(kin: AngleSequence, motion: MotionSequence | None,
                  keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Angle of the pelvis (centre-of-mass proxy) velocity above horizontal at takeoff, deg."""
    to = keyframe(keyframes, "takeoff")
    if motion is not None:
        (p,) = _positions(motion, "pelvis")
        ax = _forward(motion)
        vx = savgol_derivative(p[:, ax], fps, 1)
        vy = savgol_derivative(p[:, 1], fps, 1)
    else:
        vx = savgol_derivative(channel(kin, "pelvis_x"), fps, 1)
        vy = savgol_derivative(channel(kin, "pelvis_height"), fps, 1)
    hx, hy = value_at(vx, to, "horizontal pelvis speed"), value_at(vy, to, "pelvis speed")
    if math.hypot(hx, hy) < 0.1:
        raise NotAssessableError("the pelvis barely moves at takeoff")
    return Measurement(math.degrees(math.atan2(hy, abs(hx))), to, "takeoff")


def _foot_x(motion: MotionSequence, side: str, front: bool) -> FloatArray:
    names = ([f"{side}_toe", f"{side}_ankle"] if front else [f"{side}_heel", f"{side}_ankle"])
    for n in names:
        if motion.has(n):
            return np.asarray(motion.joint(n)[:, 0], dtype=np.float64)
    raise NotAssessableError(f"no {side} foot point in the input")


def jump_distance(kin: AngleSequence, motion: MotionSequence | None,
                  keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Horizontal jump distance (m).

    From the front of the feet (toes) at takeoff to the back of the feet (heels, else
    ankles) at the landing bottom.
    """
    to, lb = keyframe(keyframes, "takeoff"), keyframe(keyframes, "landing_bottom")
    if motion is None or motion.units != "m":
        raise NotAssessableError("needs joint positions in metres")
    _forward(motion)
    start = max(value_at(_foot_x(motion, s, True), to, "toe position") for s in ("left", "right"))
    end = min(value_at(_foot_x(motion, s, False), lb, "heel position") for s in ("left", "right"))
    return over_window(end - start, lb, "takeoff", "landing_bottom", to, lb, motion.n_frames)


def landing_reach(kin: AngleSequence, motion: MotionSequence | None,
                  keyframes: Mapping[str, int], fps: float) -> Measurement:
    """How far the feet (ankles) land ahead of the pelvis at landing, % leg length."""
    land = keyframe(keyframes, "landing")
    pel, la, ra = _positions(motion, "pelvis", "left_ankle", "right_ankle")
    assert motion is not None
    ax = _forward(motion)
    feet = 0.5 * (la[land, ax] + ra[land, ax])
    d = feet - pel[land, ax]
    if not np.isfinite(d):
        raise NotAssessableError(f"pelvis or ankles missing at frame {land}")
    return Measurement(100.0 * float(d) / body_leg_length(kin, motion, keyframes), land,
                       "landing")


def landing_balance(kin: AngleSequence, motion: MotionSequence | None,
                    keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Pelvis position over the feet at the landing bottom, % leg length.

    Pelvis minus ankle midpoint along the jump (negative: sitting back behind the feet).
    """
    lb = keyframe(keyframes, "landing_bottom")
    pel, la, ra = _positions(motion, "pelvis", "left_ankle", "right_ankle")
    assert motion is not None
    ax = _forward(motion)
    d = pel[lb, ax] - 0.5 * (la[lb, ax] + ra[lb, ax])
    if not np.isfinite(d):
        raise NotAssessableError(f"pelvis or ankles missing at frame {lb}")
    return Measurement(100.0 * float(d) / body_leg_length(kin, motion, keyframes), lb,
                       "landing_bottom")


# --- landing -------------------------------------------------------------------------------
def _landing_window(keyframes: Mapping[str, int], fps: float) -> tuple[int, int]:
    land = keyframe(keyframes, "landing")
    end = keyframes.get("landing_bottom", land) + frames(LANDING_WINDOW_AFTER_BOTTOM_S, fps)
    return land, int(end)


def _in_landing_window(kin: AngleSequence, value: float, frame: int | None,
                       keyframes: Mapping[str, int], fps: float) -> Measurement:
    lo, hi = _landing_window(keyframes, fps)
    base = "landing_bottom" if "landing_bottom" in keyframes else "landing"
    return over_window(value, frame, "landing",
                       f"{base} + {_seconds(LANDING_WINDOW_AFTER_BOTTOM_S)}", lo, hi,
                       kin.n_frames)


def knee_flexion_at_initial_contact(kin: AngleSequence, motion: MotionSequence | None,
                                    keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Knee flexion of the less flexed knee at initial contact (LESS item 1), degrees."""
    f = keyframe(keyframes, "landing")
    return Measurement(value_at(bilateral(kin, "knee_flexion", "min"), f, "knee flexion"),
                       f, "landing")


def hip_flexion_at_initial_contact(kin: AngleSequence, motion: MotionSequence | None,
                                   keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Hip flexion of the less flexed hip at initial contact (LESS item 2), degrees."""
    f = keyframe(keyframes, "landing")
    return Measurement(value_at(bilateral(kin, "hip_flexion", "min"), f, "hip flexion"),
                       f, "landing")


def peak_knee_flexion_landing(kin: AngleSequence, motion: MotionSequence | None,
                              keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak knee flexion (mean of sides) in the landing window, degrees."""
    lo, hi = _landing_window(keyframes, fps)
    v, f = window(bilateral(kin, "knee_flexion"), lo, hi, "max", "knee flexion")
    return _in_landing_window(kin, v, f, keyframes, fps)


def knee_flexion_excursion_landing(kin: AngleSequence, motion: MotionSequence | None,
                                   keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Knee flexion displacement (LESS): peak in the landing window minus initial contact.

    Per leg, from that leg's own first contact after takeoff (foot-contact channels; the
    landing keyframe without them) to its peak in the landing window; the value is the
    mean of both legs, degrees. Taking each leg from its own contact keeps a late second
    foot (an asymmetric landing) from reading as a stiff one: at the first foot's contact
    the other knee may still be tucked. A stiff landing shows here even when the knees are
    flexed at contact: the joints stop bending soon after touchdown.
    """
    lo, hi = _landing_window(keyframes, fps)
    contacts = _first_contacts(kin, keyframes, fps) or {}
    out, peaks = [], []
    for side in ("left", "right"):
        if not kin.has(f"knee_flexion_{side}"):
            continue
        knee = kin.channel(f"knee_flexion_{side}")
        start = contacts.get(side, lo)
        if start > hi:
            continue
        at_contact = knee[start]
        if not np.isfinite(at_contact):
            continue
        peak, f = window(knee, start, hi, "max", f"{side} knee flexion")
        out.append(peak - float(at_contact))
        peaks.append(f)
    if not out:
        raise NotAssessableError("no knee flexion at initial contact")
    return _in_landing_window(kin, float(np.mean(out)), round(float(np.mean(peaks))),
                              keyframes, fps)


def peak_hip_flexion_landing(kin: AngleSequence, motion: MotionSequence | None,
                             keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak hip flexion (mean of sides) in the landing window, degrees."""
    lo, hi = _landing_window(keyframes, fps)
    v, f = window(bilateral(kin, "hip_flexion"), lo, hi, "max", "hip flexion")
    return _in_landing_window(kin, v, f, keyframes, fps)


def time_to_stabilisation(kin: AngleSequence, motion: MotionSequence | None,
                          keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Seconds from landing until the pelvis vertical speed stays within ±0.05 m/s for 0.2 s."""
    land = keyframe(keyframes, "landing")
    if kin.has("pelvis_velocity_y"):
        v = kin.channel("pelvis_velocity_y")
    else:
        v = savgol_derivative(channel(kin, "pelvis_height"), fps, 1)
    still = np.isfinite(v) & (np.abs(v) <= STABLE_SPEED_MPS)
    hold = frames(STABLE_HOLD_S, fps)
    run = 0
    for i in range(land, len(v)):
        run = run + 1 if still[i] else 0
        if run >= hold:
            start = i - hold + 1
            return over_window((start - land) / fps, start, "landing", "pelvis still", land,
                               start, len(v))
    raise NotAssessableError(f"the pelvis is not still for {STABLE_HOLD_S} s before the recording "
                        "ends")


def _fppa_peak(kin: AngleSequence, lo: int, hi: int) -> tuple[float, int]:
    sides = [f"knee_fppa_{s}" for s in ("left", "right") if kin.has(f"knee_fppa_{s}")]
    if not sides:
        raise NotAssessableError("knee FPPA is not in the input (it needs a frontal or 3D view)")
    return window(bilateral(kin, "knee_fppa", "max"), lo, hi, "max", "knee FPPA")


def knee_fppa_landing(kin: AngleSequence, motion: MotionSequence | None,
                      keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak knee frontal-plane projection angle (valgus +, worse side) in the landing window."""
    lo, hi = _landing_window(keyframes, fps)
    v, f = _fppa_peak(kin, lo, hi)
    return _in_landing_window(kin, v, f, keyframes, fps)


def _first_contacts(kin: AngleSequence, keyframes: Mapping[str, int], fps: float
                    ) -> dict[str, int] | None:
    """Each foot's first contact frame after takeoff (``None`` without contact channels).

    Searched up to 0.3 s after the landing bottom; a foot that does not land there is
    left out.
    """
    if not kin.has("foot_contact_left", "foot_contact_right"):
        return None
    to, land = keyframe(keyframes, "takeoff"), keyframe(keyframes, "landing")
    end = keyframes.get("landing_bottom", land) + frames(0.3, fps)
    out = {}
    for side in ("left", "right"):
        hit = np.flatnonzero(kin.channel(f"foot_contact_{side}")[to:int(end) + 1] == 1)
        if hit.size:
            out[side] = to + int(hit[0])
    return out


def landing_time_asymmetry(kin: AngleSequence, motion: MotionSequence | None,
                           keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Milliseconds between the left and the right foot's first contact after takeoff."""
    firsts = _first_contacts(kin, keyframes, fps)
    if firsts is None:
        raise NotAssessableError("channels 'foot_contact_left/right' are not in the input")
    for side in ("left", "right"):
        if side not in firsts:
            raise NotAssessableError(f"the {side} foot does not land within the recording")
    first, second = sorted(firsts.values())
    return over_window(1000.0 * (second - first) / fps, None, "first foot contact",
                       "second foot contact", first, second, kin.n_frames)


def landing_knee_flexion_asymmetry(kin: AngleSequence, motion: MotionSequence | None,
                                   keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Absolute left-right difference of peak knee flexion in the landing window, degrees."""
    lo, hi = _landing_window(keyframes, fps)
    left, fl = window(channel(kin, "knee_flexion_left"), lo, hi, "max", "left knee flexion")
    right, _ = window(channel(kin, "knee_flexion_right"), lo, hi, "max", "right knee flexion")
    return _in_landing_window(kin, abs(left - right), fl, keyframes, fps)


# --- squat ---------------------------------------------------------------------------------
def _squat_window(keyframes: Mapping[str, int]) -> tuple[int, int]:
    return keyframe(keyframes, "descent_start"), keyframe(keyframes, "ascent_end")


def squat_depth_knee_flexion(kin: AngleSequence, motion: MotionSequence | None,
                             keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak knee flexion (mean of sides) between descent start and ascent end, degrees."""
    lo, hi = _squat_window(keyframes)
    v, f = window(bilateral(kin, "knee_flexion"), lo, hi, "max", "knee flexion")
    return over_window(v, f, "descent_start", "ascent_end", lo, hi, kin.n_frames)


def hip_below_knee(kin: AngleSequence, motion: MotionSequence | None,
                   keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Hip-joint height minus knee height at the bottom (mean of sides), % leg length.

    Negative when the hips go below the knees.
    """
    f = keyframe(keyframes, "bottom")
    lh, rh, lk, rk = _positions(motion, "left_hip", "right_hip", "left_knee", "right_knee")
    if motion is not None and motion.dim == 2 and motion.view == "frontal":
        raise NotAssessableError("hip and knee heights overlap in a front view only by chance")
    d = 0.5 * ((lh[f, 1] - lk[f, 1]) + (rh[f, 1] - rk[f, 1]))
    if not np.isfinite(d):
        raise NotAssessableError(f"hips or knees missing at frame {f}")
    return Measurement(100.0 * float(d) / body_leg_length(kin, motion, keyframes), f, "bottom")


def knee_fppa_squat(kin: AngleSequence, motion: MotionSequence | None,
                    keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Peak knee FPPA (valgus +, worse side) between descent start and ascent end, degrees."""
    lo, hi = _squat_window(keyframes)
    v, f = _fppa_peak(kin, lo, hi)
    return over_window(v, f, "descent_start", "ascent_end", lo, hi, kin.n_frames)


def heel_rise(kin: AngleSequence, motion: MotionSequence | None,
              keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Largest rise (m) of either heel above its height at descent start, during the squat."""
    lo, hi = _squat_window(keyframes)
    lh, rh = _positions(motion, "left_heel", "right_heel")
    best, frame = -math.inf, lo
    for heel in (lh, rh):
        rise = heel[:, 1] - value_at(heel[:, 1], lo, "heel height")
        v, f = window(rise, lo, hi, "max", "heel height")
        if v > best:
            best, frame = v, f
    return over_window(best, frame, "descent_start", "ascent_end", lo, hi, len(lh))


def squat_knee_asymmetry(kin: AngleSequence, motion: MotionSequence | None,
                         keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Absolute left-right knee flexion difference at the bottom, degrees."""
    f = keyframe(keyframes, "bottom")
    left = value_at(channel(kin, "knee_flexion_left"), f, "left knee flexion")
    right = value_at(channel(kin, "knee_flexion_right"), f, "right knee flexion")
    return Measurement(abs(left - right), f, "bottom")


METRIC_FUNCTIONS: Final[dict[str, MetricFunction]] = {fn.__name__: fn for fn in (
    countermovement_depth, knee_flexion_at_bottom, hip_flexion_at_bottom, trunk_lean_at_bottom,
    trunk_lean_at_takeoff, knee_angle_at_takeoff, hip_angle_at_takeoff,
    ankle_plantarflexion_at_takeoff, arm_swing_amplitude, arm_swing_timing,
    duration_unweighting_braking, duration_propulsion, duration_flight,
    jump_height_flight_time, jump_height_pelvis_rise, takeoff_angle, jump_distance,
    landing_reach, landing_balance, knee_flexion_at_initial_contact,
    hip_flexion_at_initial_contact, peak_knee_flexion_landing, knee_flexion_excursion_landing,
    peak_hip_flexion_landing,
    time_to_stabilisation, knee_fppa_landing, landing_time_asymmetry,
    landing_knee_flexion_asymmetry, squat_depth_knee_flexion, hip_below_knee, knee_fppa_squat,
    heel_rise, squat_knee_asymmetry,
)}
"""Registry: catalog ``definition.computation`` -> function."""


def compute_metric(name: str, kin: AngleSequence, motion: MotionSequence | None,
                   keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Run the registered metric function ``name`` (``NotAssessableError`` if it cannot)."""
    try:
        fn = METRIC_FUNCTIONS[name]
    except KeyError:
        raise NotAssessableError(f"no metric function named {name!r}") from None
    m = fn(kin, motion, keyframes, fps)
    if not math.isfinite(m.value):
        raise NotAssessableError("the value is not finite")
    return m


# --- drop jump -----------------------------------------------------------------------------
def trunk_flexion_at_initial_contact(kin: AngleSequence, motion: MotionSequence | None,
                                     keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Forward trunk inclination from vertical at initial contact (LESS item 3), degrees."""
    f = keyframe(keyframes, "landing")
    return Measurement(value_at(channel(kin, "trunk_inclination"), f, "trunk inclination"),
                       f, "landing")


def ground_contact_time(kin: AngleSequence, motion: MotionSequence | None,
                        keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: seconds from the first floor contact (``landing``) to the rebound takeoff."""
    land, to = keyframe(keyframes, "landing"), keyframe(keyframes, "takeoff")
    if to <= land:
        raise NotAssessableError(f"takeoff (frame {to}) is not after landing (frame {land})")
    return over_window((to - land) / fps, None, "landing", "takeoff", land, to, kin.n_frames)


def rebound_jump_height(kin: AngleSequence, motion: MotionSequence | None,
                        keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: rebound height g·t²/8 (m), t = rebound takeoff to second landing."""
    to, land = keyframe(keyframes, "takeoff"), keyframe(keyframes, "second_landing")
    if land <= to:
        raise NotAssessableError(f"second landing (frame {land}) is not after takeoff ({to})")
    t = (land - to) / fps
    return over_window(G * t * t / 8.0, None, "takeoff", "second_landing", to, land,
                       kin.n_frames)


def reactive_strength_index(kin: AngleSequence, motion: MotionSequence | None,
                            keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: reactive strength index = rebound height / ground contact time (m/s)."""
    h = rebound_jump_height(kin, motion, keyframes, fps).value
    ct = ground_contact_time(kin, motion, keyframes, fps).value
    land, land2 = keyframe(keyframes, "landing"), keyframe(keyframes, "second_landing")
    return over_window(h / ct, None, "landing", "second_landing", land, land2, kin.n_frames)


def _drop_first_contacts(kin: AngleSequence, keyframes: Mapping[str, int], fps: float
                         ) -> dict[str, int]:
    """Each foot's first floor contact after the box departure (drop jump).

    From foot heights (within :data:`~sportsgpt.tools.events.DJ_CONTACT_HEIGHT_M` of the
    floor, the rule that places ``landing``) or, without them, the foot-contact channels;
    searched up to the landing bottom.
    """
    start = keyframe(keyframes, "box_departure")
    end = keyframes.get("landing_bottom", keyframe(keyframes, "landing"))
    out = {}
    for side in ("left", "right"):
        if kin.has(f"{side}_foot_height"):
            with np.errstate(invalid="ignore"):
                on = kin.channel(f"{side}_foot_height")[start:end + 1] <= DJ_CONTACT_HEIGHT_M
        elif kin.has(f"foot_contact_{side}"):
            on = kin.channel(f"foot_contact_{side}")[start:end + 1] == 1
        else:
            raise NotAssessableError(f"no foot height or contact channel for the {side} foot")
        hit = np.flatnonzero(on)
        if not hit.size:
            raise NotAssessableError(f"the {side} foot does not land before the landing bottom")
        out[side] = start + int(hit[0])
    return out


def drop_landing_time_asymmetry(kin: AngleSequence, motion: MotionSequence | None,
                                keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: milliseconds between the left and right foot's first floor contact."""
    first, second = sorted(_drop_first_contacts(kin, keyframes, fps).values())
    return over_window(1000.0 * (second - first) / fps, None, "first foot contact",
                       "second foot contact", first, second, kin.n_frames)


METRIC_FUNCTIONS.update({fn.__name__: fn for fn in (
    trunk_flexion_at_initial_contact, ground_contact_time, rebound_jump_height,
    reactive_strength_index, drop_landing_time_asymmetry)})


# --- drop jump: LESS error count and vertical load ------------------------------------------
LESS_COUNTED: Final = (
    "knee flexion at initial contact (error below 30 deg)",
    "hip flexion at initial contact (error: hips not flexed, less flexed hip <= 0 deg)",
    "trunk flexion at initial contact (error: trunk vertical or extended, <= 0 deg)",
    "knee flexion displacement (error below 45 deg)",
    "hip flexion at maximum knee flexion (error: no more than at initial contact)",
    "trunk flexion at maximum knee flexion (error: no more than at initial contact)",
)
"""The LESS items :func:`less_error_count` scores (Padua et al. 2009), from sagittal angles.

Thresholds in degrees are the LESS's own (30 deg, 45 deg); "flexed" / "more than at
initial contact" are read literally (an angle above 0 deg / above its value at contact).
"""

LESS_NOT_ASSESSED: Final = (
    "ankle plantar flexion at initial contact (toe-to-heel order needs toe and heel "
    "markers seen at contact)",
    "medial knee position at initial contact (front-view knee over midfoot; the knee "
    "FPPA is reported instead)",
    "lateral trunk flexion at initial contact",
    "stance width, wide or narrow (front view, relative to the shoulders)",
    "foot position, toes in or out",
    "symmetric initial foot contact (reported as landing time asymmetry; the LESS gives no "
    "millisecond threshold)",
    "knee valgus displacement (the knee FPPA on landing is reported instead)",
    "joint displacement, soft / average / stiff (a rater's judgement)",
    "overall impression (a rater's judgement)",
)
"""LESS items the automatic count leaves out, named in the report notes."""


def less_note() -> str:
    """Report note: which LESS items the count covers and which it does not assess."""
    return (f"LESS error count covers {len(LESS_COUNTED)} of the 17 LESS items (sagittal "
            f"angles): {'; '.join(LESS_COUNTED)}. Not assessed: "
            f"{'; '.join(LESS_NOT_ASSESSED)}. It is a partial count, not the rater's LESS "
            "score.")


def _max_knee_frame(kin: AngleSequence, keyframes: Mapping[str, int], fps: float) -> int:
    """Frame of maximum knee flexion (mean of sides) in the landing window."""
    lo, hi = _landing_window(keyframes, fps)
    return window(bilateral(kin, "knee_flexion"), lo, hi, "max", "knee flexion")[1]


def less_items(kin: AngleSequence, motion: MotionSequence | None,
               keyframes: Mapping[str, int], fps: float) -> dict[str, bool]:
    """Each item of :data:`LESS_COUNTED` -> whether it is an error (``True``).

    Raises ``NotAssessableError`` naming the first item that cannot be scored.
    """
    ic = keyframe(keyframes, "landing")
    try:
        knee_ic = knee_flexion_at_initial_contact(kin, motion, keyframes, fps).value
        hip_ic = hip_flexion_at_initial_contact(kin, motion, keyframes, fps).value
        trunk = channel(kin, "trunk_inclination")
        trunk_ic = value_at(trunk, ic, "trunk inclination")
        displacement = knee_flexion_excursion_landing(kin, motion, keyframes, fps).value
        peak = _max_knee_frame(kin, keyframes, fps)
        hip = bilateral(kin, "hip_flexion")
        hip_gain = value_at(hip, peak, "hip flexion") - value_at(hip, ic, "hip flexion")
        trunk_gain = value_at(trunk, peak, "trunk inclination") - trunk_ic
    except NotAssessableError as exc:
        raise NotAssessableError(f"LESS items not assessable: {exc.reason}") from None
    values = (knee_ic < 30.0, hip_ic <= 0.0, trunk_ic <= 0.0, displacement < 45.0,
              hip_gain <= 0.0, trunk_gain <= 0.0)
    return dict(zip(LESS_COUNTED, values, strict=True))


def less_error_count(kin: AngleSequence, motion: MotionSequence | None,
                     keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: errors among the LESS items of :data:`LESS_COUNTED` (0-6), a partial LESS."""
    items = less_items(kin, motion, keyframes, fps)
    lo, hi = _landing_window(keyframes, fps)
    base = "landing_bottom" if "landing_bottom" in keyframes else "landing"
    return over_window(float(sum(items.values())), None, "landing",
                       f"{base} + {_seconds(LANDING_WINDOW_AFTER_BOTTOM_S)}", lo, hi,
                       kin.n_frames)


FORCE_CHANNELS: Final = ("vertical_force_left", "vertical_force_right")
"""Per-foot vertical ground reaction force channels a recording may carry (any one unit:
newtons or body weights; the asymmetry is a ratio)."""


def vertical_load_asymmetry(kin: AngleSequence, motion: MotionSequence | None,
                            keyframes: Mapping[str, int], fps: float) -> Measurement:
    """Drop jump: left-right difference of peak vertical force on landing, % of the larger.

    Needs a force plate under each foot (:data:`FORCE_CHANNELS`); video and markers carry
    no forces, so without them the metric is not assessable and says why.
    """
    missing = [c for c in FORCE_CHANNELS if not kin.has(c)]
    if missing:
        raise NotAssessableError("no force data given (vertical load asymmetry needs a force "
                                 "plate under each foot: channels " + ", ".join(missing) + ")")
    lo, hi = _landing_window(keyframes, fps)
    left, fl = window(kin.channel("vertical_force_left"), lo, hi, "max", "left vertical force")
    right, fr = window(kin.channel("vertical_force_right"), lo, hi, "max",
                       "right vertical force")
    top = max(left, right)
    if not top > 0:
        raise NotAssessableError("no vertical force in the landing window")
    return _in_landing_window(kin, 100.0 * abs(left - right) / top, fl if left >= right else fr,
                              keyframes, fps)


METRIC_FUNCTIONS.update({fn.__name__: fn for fn in (less_error_count,
                                                    vertical_load_asymmetry)})
