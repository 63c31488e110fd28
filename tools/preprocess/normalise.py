"""Ground and facing normalisation, and body scale.

**Ground**: 3D and 2D alike, ``y`` is shifted so that a low percentile
(``ground_percentile``, 5 %) of the per-frame lowest foot point (heels,
toes, ankles, foot indices: whatever the motion has) sits at 0. Without
heel or toe points the ankle centres define the ground.

**Facing** (3D): the body's left axis is the horizontal part of
``left_hip - right_hip`` and ``left_shoulder - right_shoulder`` (unit
vectors, summed); forward is ``left x up`` (right-handed, Y up; ``up x left``
would point backwards). The clip's mean forward heading is rotated about
+Y onto +X, after which +Z points to the athlete's right
(:mod:`sportsgpt.tools.motion`'s convention) and ``facing="+x"``. The
rotation is about the vertical axis through the origin (no translation).
For 2D sagittal data the image is mirrored, if needed, so that toes lie
ahead of heels (or the nose ahead of the ears) along +x.

**Scale**: positions are multiplied so that the median hip-knee-ankle length
(thigh + shank, mean of the sides available) equals
``reference_leg_length_m``. The 0.9 m default is a round adult value chosen
here, not a population norm: pass the athlete's or the template's own leg
length. Pixel data becomes metres (assuming the legs lie in the image plane).
"""

from __future__ import annotations

import math

import numpy as np

from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.preprocess.common import Detail, StepReport, base_name, not_applied, with_note

FOOT_POINTS = frozenset({"heel", "toe", "ankle", "foot_index", "big_toe", "small_toe", "foot"})
"""Joint names (without ``left_``/``right_``) that can define the ground."""


def normalise_ground(motion: MotionSequence,
                     percentile: float = 5.0) -> tuple[MotionSequence, StepReport]:
    """Shift ``y`` so the standing foot level is 0.

    The ground is the ``percentile``-th percentile of the per-frame lowest foot
    point (heels, toes, ankles, foot indices).
    """
    name = "normalise_ground"
    feet = [i for i, j in enumerate(motion.joints) if base_name(j) in FOOT_POINTS]
    if not feet:
        return motion, not_applied(name, "no foot points (heel, toe, ankle) to define ground")
    y = motion.positions[:, feet, 1]
    seen = np.isfinite(y).any(axis=1)
    if not seen.any():
        return motion, not_applied(name, "foot points are never tracked")
    lowest = np.min(np.where(np.isfinite(y[seen]), y[seen], np.inf), axis=1)
    ground = float(np.percentile(lowest, percentile))
    pos = motion.positions.copy()
    pos[..., 1] -= ground
    note = f"ground shifted by {-ground:+.4g} {motion.units}"
    details: dict[str, Detail] = {
        "ground_level_before": round(ground, 6), "shift": round(-ground, 6),
        "units": motion.units, "percentile": percentile,
        "points": ",".join(motion.joints[i] for i in feet)}
    return (motion.replace(positions=pos, source=with_note(motion, note)),
            StepReport(name=name, applied=True, details=details))


def _forward_heading(motion: MotionSequence) -> tuple[FloatArray, list[str]]:
    """Per-frame unit forward vectors (T, 2) as (x, z); NaN where unknown."""
    used = []
    left_axis = np.zeros((motion.n_frames, 2))
    for side in ("hip", "shoulder"):
        if motion.has(f"left_{side}", f"right_{side}"):
            d = motion.joint(f"left_{side}") - motion.joint(f"right_{side}")
            v = d[:, [0, 2]]
            norm = np.linalg.norm(v, axis=1, keepdims=True)
            unit = np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)
            left_axis += np.where(np.isfinite(unit), unit, 0.0)
            used.append(side + "s")
    # forward = left x up = (-left_z, 0, left_x)
    fwd = np.stack((-left_axis[:, 1], left_axis[:, 0]), axis=1)
    norm = np.linalg.norm(fwd, axis=1, keepdims=True)
    out: FloatArray = np.divide(fwd, norm, out=np.full_like(fwd, np.nan), where=norm > 0)
    return out, used


def _facing_2d(motion: MotionSequence) -> tuple[MotionSequence, StepReport]:
    name = "normalise_facing"
    if motion.view != "sagittal":
        return motion, not_applied(name, f"2D {motion.view} view: facing is defined for "
                                          "3D or sagittal data only")
    diffs: list[FloatArray] = []
    cue = ""
    for side in ("left", "right"):
        toe = next((f"{side}_{t}" for t in ("toe", "foot_index", "big_toe")
                    if motion.has(f"{side}_{t}")), None)
        back = next((f"{side}_{b}" for b in ("heel", "ankle") if motion.has(f"{side}_{b}")), None)
        if toe and back:
            diffs.append(motion.joint(toe)[:, 0] - motion.joint(back)[:, 0])
            cue = "toes ahead of heels"
    if not diffs and motion.has("nose", "left_ear", "right_ear"):
        ears = (motion.joint("left_ear")[:, 0] + motion.joint("right_ear")[:, 0]) / 2
        diffs.append(motion.joint("nose")[:, 0] - ears)
        cue = "nose ahead of ears"
    d = np.concatenate(diffs) if diffs else np.empty(0)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return motion, not_applied(name, "no toe/heel or nose/ear points to tell facing")
    mirror = float(np.median(d)) < 0
    pos = motion.positions.copy()
    if mirror:
        x = pos[..., 0]
        pos[..., 0] = np.nanmin(x) + np.nanmax(x) - x
    details: dict[str, Detail] = {"mirrored": int(mirror), "cue": cue}
    new = motion.replace(positions=pos, facing="+x",
                         source=with_note(motion, "mirrored to face +x" if mirror
                                           else "faces +x"))
    return new, StepReport(name=name, applied=True, details=details)


def normalise_facing(motion: MotionSequence) -> tuple[MotionSequence, StepReport]:
    """Rotate about +Y so the athlete faces +X (+Z to their right); 2D: mirror if needed."""
    name = "normalise_facing"
    if motion.dim == 2:
        return _facing_2d(motion)
    fwd, used = _forward_heading(motion)
    good = np.isfinite(fwd).all(axis=1)
    if not used or not good.any():
        return motion, not_applied(name, "needs left/right hips or shoulders, tracked")
    mean = fwd[good].mean(axis=0)
    resultant = float(np.linalg.norm(mean))
    theta = math.atan2(float(mean[1]), float(mean[0]))
    spread = math.degrees(math.sqrt(-2.0 * math.log(max(min(resultant, 1.0), 1e-12))))
    c, s = math.cos(theta), math.sin(theta)
    pos = motion.positions.copy()
    x, z = motion.positions[..., 0], motion.positions[..., 2]
    pos[..., 0] = c * x + s * z
    pos[..., 2] = -s * x + c * z
    deg = math.degrees(theta)
    details: dict[str, Detail] = {"rotation_deg": round(deg, 3), "axis": "+y",
                                  "from": "+".join(used), "heading_spread_deg": round(spread, 2),
                                  "frames_used": int(good.sum())}
    if spread > 30:
        details["warning"] = (f"facing varies by {spread:.0f} deg over the clip (the athlete "
                              "turns); one mean rotation was applied")
    new = motion.replace(positions=pos, facing="+x",
                         source=with_note(motion, f"rotated {deg:+.1f} deg about +y to face +x"))
    return new, StepReport(name=name, applied=True, details=details)


def normalise_orientation(motion: MotionSequence) -> tuple[MotionSequence, StepReport]:
    """Alias of :func:`normalise_facing` (the name :mod:`sportsgpt.tools.motion` uses)."""
    return normalise_facing(motion)


def leg_length(motion: MotionSequence) -> float | None:
    """Median hip-knee-ankle length, mean of the sides that have all three points."""
    sides = []
    for side in ("left", "right"):
        names = (f"{side}_hip", f"{side}_knee", f"{side}_ankle")
        if motion.has(*names):
            h, k, a = (motion.joint(n) for n in names)
            length = np.linalg.norm(h - k, axis=1) + np.linalg.norm(k - a, axis=1)
            length = length[np.isfinite(length)]
            if length.size:
                sides.append(float(np.median(length)))
    return float(np.mean(sides)) if sides else None


def scale_body(motion: MotionSequence,
               reference_leg_length_m: float = 0.9) -> tuple[MotionSequence, StepReport]:
    """Scale positions so the leg (thigh + shank) is ``reference_leg_length_m`` long."""
    measured = leg_length(motion)
    if measured is None or measured <= 0:
        return motion, not_applied("scale_body", "needs hip, knee and ankle of one side")
    factor = reference_leg_length_m / measured
    pos = motion.positions * factor
    details: dict[str, Detail] = {"measured_leg_length": round(measured, 6),
                                  "measured_units": motion.units,
                                  "reference_leg_length_m": reference_leg_length_m,
                                  "factor": factor}
    if motion.units == "px":
        details["note"] = "pixels converted to metres assuming the legs lie in the image plane"
    note = f"scaled x{factor:.4g} to a {reference_leg_length_m:g} m leg"
    return (motion.replace(positions=pos, units="m", source=with_note(motion, note)),
            StepReport(name="scale_body", applied=True, details=details))
