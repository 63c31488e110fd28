"""Joint angles and kinematic signals (centre-of-mass proxy, foot contact) from a motion.

Every convention (sign, zero, plane, units, smoothing, contact rule) is defined
in ``docs/kinematics.md``; the short version:

* Angles are in degrees. Flexion angles from an included angle
  (knee, elbow, ankle) are unsigned; sagittal angles (hip, shoulder, trunk)
  are signed about the body's left-right axis when the sagittal frame is known
  and unsigned otherwise; FPPA is signed positive for valgus. Signed angles are
  unwrapped over time, so they are continuous (a shoulder swinging overhead
  reads 190°, not -170°).
* The body's right axis is the horizontal part of ``right_hip - left_hip``;
  forward is ``up x right``. Without both hips a 3D motion uses ``+z`` as right
  when ``facing == "+x"``. 2D sagittal motions take their facing from the
  feet or the knees (see :func:`sagittal_facing`).
* Channels whose joints are missing, or whose plane the view cannot show, are
  left out, never faked; the reason is kept in
  ``result.source.extra["kinematics"]`` and :func:`require_channels` reports it.
* NaN positions give NaN outputs, never zeros.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from sportsgpt.core.errors import MissingJointError, MotionDataError
from sportsgpt.tools.contact import foot_contact
from sportsgpt.tools.derivatives import savgol_derivative
from sportsgpt.tools.motion import AngleSequence, AngleUnit, FloatArray, MotionSequence

SIDES: Final[tuple[str, str]] = ("left", "right")

ANGLE_CHANNELS: Final[tuple[str, ...]] = (
    "knee_flexion_left", "knee_flexion_right",
    "hip_flexion_left", "hip_flexion_right",
    "ankle_dorsiflexion_left", "ankle_dorsiflexion_right",
    "trunk_inclination",
    "shoulder_flexion_left", "shoulder_flexion_right",
    "elbow_flexion_left", "elbow_flexion_right",
    "knee_fppa_left", "knee_fppa_right",
)
"""Every angle channel :func:`joint_angles` can produce (unit ``deg``), in output order."""

SIGNAL_CHANNELS: Final[dict[str, AngleUnit]] = {
    "pelvis_height": "m", "pelvis_velocity_y": "m/s", "pelvis_acceleration_y": "m/s^2",
    "left_foot_height": "m", "right_foot_height": "m",
    "foot_contact_left": "1", "foot_contact_right": "1",
}
"""Every signal channel :func:`kinematic_signals` can produce, with its unit."""

DEFAULT_CONTACT_THRESHOLD_M: Final = 0.05
"""A foot can enter contact when its lowest point is within 5 cm of the ground level."""

CONTACT_SPEED_MPS: Final = 0.5
"""... and its lowest point moves vertically slower than this (m/s)."""

CONTACT_EXIT_FACTOR: Final = 1.5
"""Hysteresis: a foot leaves contact only above ``1.5 x`` the entry threshold."""

REFERENCE_LEG_M: Final = 0.85
"""Typical adult hip-to-ankle length; scales metre thresholds to pixel data."""

GROUND_PERCENTILE: Final = 2.0
"""Ground level = this percentile over frames of the lowest foot point."""

FOOT_POINTS: Final = ("heel", "toe", "toe_tip", "ankle")
"""Points whose lowest one is the foot's height (each side; those the motion has). The toe
tip is separate only where the source has one beyond its forefoot point (CMU ASF: the end of
the ``toes`` bone, while ``left_toe`` is the metatarsophalangeal joint): on the CMU jumps the
forefoot joint leaves the floor 6-11 frames before the toe tip at push-off."""

MIN_PROJECTED_FRACTION: Final = 0.2
"""A segment whose projection onto a plane is shorter than this fraction of its
length has no meaningful in-plane direction: the projected angle is NaN."""

_UP: Final = np.array([0.0, 1.0, 0.0])
_FRONTAL_SKIP: Final = "a 2D frontal view does not show sagittal-plane angles"


# --- vector geometry -----------------------------------------------------------------------------
def _norm(v: FloatArray) -> FloatArray:
    return np.asarray(np.linalg.norm(v, axis=-1), dtype=np.float64)


def _included_deg(a: FloatArray, b: FloatArray) -> FloatArray:
    """Unsigned angle between vectors ``a`` and ``b`` per frame, in [0, 180]; NaN if degenerate."""
    cross = _norm(np.cross(a, b))
    dot = np.einsum("td,td->t", a, b)
    ang = np.degrees(np.arctan2(cross, dot))
    return np.where((_norm(a) > 0) & (_norm(b) > 0), ang, np.nan)


def _project(v: FloatArray, normal: FloatArray) -> FloatArray:
    """``v`` projected onto the plane with unit normal ``normal``; NaN when nearly along it."""
    p = v - np.einsum("td,td->t", v, normal)[:, None] * normal
    short = _norm(p) < MIN_PROJECTED_FRACTION * _norm(v)
    return np.where(short[:, None], np.nan, p)


def _signed_deg(a: FloatArray, b: FloatArray, axis: FloatArray) -> FloatArray:
    """Angle from ``a`` to ``b`` about unit ``axis`` (right-hand rule), in the plane normal to it.

    Computed as ``arctan2(axis . (a x b), a_p . b_p)`` on the projections and unwrapped.
    """
    ap, bp = _project(a, axis), _project(b, axis)
    sin = np.einsum("td,td->t", axis, np.cross(ap, bp))
    return unwrap_deg(np.degrees(np.arctan2(sin, np.einsum("td,td->t", ap, bp))))


def unwrap_deg(angles: FloatArray) -> FloatArray:
    """Remove 360° jumps from an angle series, skipping NaN samples (which stay NaN)."""
    out = np.array(angles, dtype=np.float64, copy=True)
    ok = np.isfinite(out)
    out[ok] = np.degrees(np.unwrap(np.radians(out[ok])))
    return out


def _horizontal_unit(v: FloatArray) -> FloatArray:
    """Return the unit vector of ``v``'s horizontal part (y dropped); NaN when it has none."""
    h = v * np.array([1.0, 0.0, 1.0])
    n = _norm(h)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n > 1e-12)[:, None], h / n[:, None], np.nan)


# --- the body and its frame ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Body:
    """Positions embedded in 3D (2D: z = 0) plus the body's right axis, if known."""

    motion: MotionSequence
    pos: FloatArray  # (T, J, 3)
    right: FloatArray | None  # (T, 3) unit vectors, None when the sagittal frame is unknown
    notes: tuple[str, ...]

    def has(self, *joints: str) -> bool:
        return self.motion.has(*joints)

    def p(self, joint: str) -> FloatArray:
        return self.pos[:, self.motion.index(joint), :]

    def vec(self, start: str, end: str) -> FloatArray:
        return self.p(end) - self.p(start)

    @property
    def view(self) -> str:
        return self.motion.view

    @property
    def up(self) -> FloatArray:
        return np.broadcast_to(_UP, (self.pos.shape[0], 3))


def sagittal_facing(motion: MotionSequence) -> tuple[float, str]:
    """Facing direction of a 2D sagittal motion: ``+1`` for +x, ``-1`` for -x, and how it was found.

    Order: ``motion.facing == "+x"``; toes ahead of heels/ankles (median over
    frames); knees bending ahead of the hip-ankle line (median over frames with
    at least 10° of flexion); otherwise +x is assumed and the reason says so.
    """
    if motion.facing == "+x":
        return 1.0, "facing +x as declared by the motion"
    for cue, how in ((_toe_cue(motion), "toes ahead of heels/ankles"),
                     (_knee_cue(motion), "knees bending forward")):
        cue = cue[np.isfinite(cue)]
        if cue.size and np.median(cue) != 0:
            sign = float(np.sign(np.median(cue)))
            return sign, f"facing {'+x' if sign > 0 else '-x'} detected from {how}"
    return 1.0, "facing could not be detected (no toes, knees never bent): +x assumed"


def _toe_cue(motion: MotionSequence) -> FloatArray:
    parts = []
    for side in SIDES:
        back = f"{side}_heel" if motion.has(f"{side}_heel") else f"{side}_ankle"
        if motion.has(f"{side}_toe", back):
            parts.append(motion.joint(f"{side}_toe")[:, 0] - motion.joint(back)[:, 0])
    return np.concatenate(parts) if parts else np.empty(0)


def _knee_cue(motion: MotionSequence) -> FloatArray:
    parts = []
    for side in SIDES:
        hip, knee, ankle = (f"{side}_{j}" for j in ("hip", "knee", "ankle"))
        if motion.has(hip, knee, ankle):
            a = motion.joint(ankle) - motion.joint(hip)
            k = motion.joint(knee) - motion.joint(hip)
            with np.errstate(invalid="ignore", divide="ignore"):
                sin = (a[:, 0] * k[:, 1] - a[:, 1] * k[:, 0]) / (_norm(a) * _norm(k))
            parts.append(sin[np.abs(sin) > np.sin(np.radians(10.0))])
    return np.concatenate(parts) if parts else np.empty(0)


def _body(motion: MotionSequence) -> _Body:
    pos = motion.positions
    if motion.dim == 2:
        pos = np.concatenate([pos, np.zeros((*pos.shape[:2], 1))], axis=2)
    t = motion.n_frames
    if motion.dim == 2 and motion.view == "sagittal":
        sign, how = sagittal_facing(motion)
        return _Body(motion, pos, np.tile([0.0, 0.0, sign], (t, 1)), (how,))
    if motion.has("left_hip", "right_hip") and motion.view in ("3d", "frontal"):
        hips = pos[:, motion.index("right_hip")] - pos[:, motion.index("left_hip")]
        return _Body(motion, pos, _horizontal_unit(hips),
                     ("left-right axis from the hips (right_hip - left_hip)",))
    if motion.dim == 3 and motion.facing == "+x":
        return _Body(motion, pos, np.tile([0.0, 0.0, 1.0], (t, 1)),
                     ("left-right axis +z from facing +x (hips missing)",))
    notes = {"3d": "sagittal frame unknown: hip, shoulder and trunk angles are unsigned",
             "unknown": "2D view unknown: angles are unsigned, measured in the image plane",
             "oblique": "2D oblique view: angles are unsigned, measured in the image plane",
             "frontal": "medial direction unknown (hips missing)"}
    return _Body(motion, pos, None, (notes[motion.view],))


# --- output accumulation -------------------------------------------------------------------------
@dataclass
class _Out:
    """Channels computed so far plus the ones skipped and why."""

    names: list[str] = field(default_factory=list)
    units: list[AngleUnit] = field(default_factory=list)
    cols: list[FloatArray] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    unsigned: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, unit: AngleUnit, values: FloatArray) -> None:
        self.names.append(name)
        self.units.append(unit)
        self.cols.append(values)

    def skip(self, name: str, reason: str, missing: Iterable[str] = ()) -> None:
        self.skipped[name] = reason
        if lacking := list(missing):
            self.missing[name] = lacking

    def need(self, body: _Body, name: str, *joints: str) -> bool:
        """Return True when the motion has every joint; otherwise record the skip."""
        lacking = [j for j in joints if not body.has(j)]
        if lacking:
            self.skip(name, f"missing joint(s) {', '.join(lacking)}", lacking)
        return not lacking


def _finish(body: _Body, out: _Out) -> AngleSequence:
    t = body.motion.n_frames
    values = np.stack(out.cols, axis=1) if out.cols else np.zeros((t, 0))
    src = body.motion.source
    info: dict[str, Any] = {"joints": list(body.motion.joints), "skipped": out.skipped,
                            "missing_joints": out.missing, "unsigned": out.unsigned}
    notes = tuple(dict.fromkeys([*body.notes, *out.notes]))
    source = src.model_copy(update={"notes": src.notes + notes,
                                    "extra": {**src.extra, "kinematics": info}})
    return AngleSequence(values=values, channels=tuple(out.names), units=tuple(out.units),
                         fps=body.motion.fps, source=source)


# --- joint angles --------------------------------------------------------------------------------
def _planar_ok(body: _Body, out: _Out, name: str) -> bool:
    if body.view == "frontal":
        out.skip(name, _FRONTAL_SKIP)
        return False
    return True


def _knee_flexion(body: _Body, out: _Out, side: str) -> None:
    name, (hip, knee, ankle) = f"knee_flexion_{side}", _side(side, "hip", "knee", "ankle")
    if _planar_ok(body, out, name) and out.need(body, name, hip, knee, ankle):
        out.add(name, "deg", _included_deg(body.vec(hip, knee), body.vec(knee, ankle)))


def _elbow_flexion(body: _Body, out: _Out, side: str) -> None:
    name, (sho, elb, wri) = f"elbow_flexion_{side}", _side(side, "shoulder", "elbow", "wrist")
    if _planar_ok(body, out, name) and out.need(body, name, sho, elb, wri):
        out.add(name, "deg", _included_deg(body.vec(sho, elb), body.vec(elb, wri)))


def _ankle_dorsiflexion(body: _Body, out: _Out, side: str) -> None:
    name, (knee, ankle, toe, heel) = (f"ankle_dorsiflexion_{side}",
                                      _side(side, "knee", "ankle", "toe", "heel"))
    if not (_planar_ok(body, out, name) and out.need(body, name, knee, ankle, toe)):
        return
    back = heel if body.has(heel) else ankle
    if back == ankle:
        out.notes.append("ankle dorsiflexion uses the ankle-to-toe line (no heel): "
                         "neutral stance reads plantarflexed by the foot's pitch")
    out.add(name, "deg", 90.0 - _included_deg(body.vec(ankle, knee), body.vec(back, toe)))


def _limb_vs_trunk(body: _Body, out: _Out, name: str, top: str, bottom: str) -> None:
    """Angle from the downward trunk line (thorax->pelvis) to the segment top->bottom."""
    if not (_planar_ok(body, out, name) and out.need(body, name, "pelvis", "thorax", top, bottom)):
        return
    down, seg = body.vec("thorax", "pelvis"), body.vec(top, bottom)
    if body.right is None:
        out.unsigned.append(name)
        out.add(name, "deg", _included_deg(down, seg))
    else:
        out.add(name, "deg", _signed_deg(down, seg, body.right))


def _trunk_inclination(body: _Body, out: _Out) -> None:
    name = "trunk_inclination"
    if not (_planar_ok(body, out, name) and out.need(body, name, "pelvis", "thorax")):
        return
    trunk = body.vec("pelvis", "thorax")
    if body.right is None:
        out.unsigned.append(name)
        out.add(name, "deg", _included_deg(body.up, trunk))
    else:  # forward lean is a negative rotation about the right axis
        out.add(name, "deg", _signed_deg(trunk, body.up, body.right))


def _knee_fppa(body: _Body, out: _Out, side: str) -> None:
    name, (hip, knee, ankle) = f"knee_fppa_{side}", _side(side, "hip", "knee", "ankle")
    if body.view in ("sagittal", "oblique", "unknown"):
        out.skip(name, f"FPPA needs a frontal plane; not measurable in a 2D {body.view} view")
        return
    if not out.need(body, name, hip, knee, ankle):
        return
    if body.right is None:
        out.skip(name, "FPPA needs the medial direction: both hips (or facing +x in 3D)",
                 [j for j in ("left_hip", "right_hip") if not body.has(j)])
        return
    forward = np.cross(_UP, body.right)
    # about +forward, thigh->shank turns positive when the left knee lies toward the
    # athlete's right (medial): valgus. The right leg is the mirror image.
    ang = _signed_deg(body.vec(hip, knee), body.vec(knee, ankle), forward)
    sign = 1.0 if side == "left" else -1.0
    out.add(name, "deg", sign * ang)


def _side(side: str, *parts: str) -> tuple[str, ...]:
    return tuple(f"{side}_{p}" for p in parts)


def _angles_into(body: _Body, out: _Out) -> None:
    for side in SIDES:
        _knee_flexion(body, out, side)
    for side in SIDES:
        hip, knee = _side(side, "hip", "knee")
        _limb_vs_trunk(body, out, f"hip_flexion_{side}", hip, knee)
    for side in SIDES:
        _ankle_dorsiflexion(body, out, side)
    _trunk_inclination(body, out)
    for side in SIDES:
        sho, elb = _side(side, "shoulder", "elbow")
        _limb_vs_trunk(body, out, f"shoulder_flexion_{side}", sho, elb)
    for side in SIDES:
        _elbow_flexion(body, out, side)
    for side in SIDES:
        _knee_fppa(body, out, side)


# --- heights and contact -------------------------------------------------------------------------
def _foot_points(body: _Body, side: str) -> list[str]:
    return [j for j in _side(side, *FOOT_POINTS) if body.has(j)]


def _lowest_foot_y(body: _Body, side: str) -> FloatArray:
    """Per frame, the lowest of the foot's points (NaN if any of them is NaN)."""
    ys = np.stack([body.p(j)[:, 1] for j in _foot_points(body, side)], axis=1)
    return np.asarray(ys.min(axis=1), dtype=np.float64)


def _ground(body: _Body, ground_level: float | None) -> tuple[float, str]:
    """Ground level and a sentence saying where it came from."""
    if ground_level is not None:
        return float(ground_level), f"ground level {ground_level:g} as given"
    lows = [_lowest_foot_y(body, s) for s in SIDES if _foot_points(body, s)]
    low = np.fmin.reduce(np.stack(lows)) if lows else np.empty(0)
    if np.isfinite(low).any():
        g = float(np.nanpercentile(low, GROUND_PERCENTILE))
        return g, (f"ground level {g:.4g} = {GROUND_PERCENTILE:g}th percentile "
                   "of the lowest foot point")
    return 0.0, "ground level y = 0 (no foot points to estimate it)"


def _leg_length(body: _Body) -> float:
    """Median hip-knee + knee-ankle length over frames and sides (NaN when none)."""
    legs = [_norm(body.vec(h, k)) + _norm(body.vec(k, a))
            for h, k, a in (_side(s, "hip", "knee", "ankle") for s in SIDES)
            if body.has(h, k, a)]
    if not legs or not np.isfinite(np.concatenate(legs)).any():
        return float("nan")
    return float(np.nanmedian(np.concatenate(legs)))


def contact_hysteresis(height: FloatArray, speed: FloatArray, enter_height: float,
                       exit_height: float, enter_speed: float) -> FloatArray:
    """0/1 contact per frame from height above ground and vertical speed.

    A foot enters contact when ``height <= enter_height`` and
    ``|speed| <= enter_speed``; it stays in contact until ``height > exit_height``.
    Frames with a NaN input are NaN and keep the previous state.
    """
    out = np.full(len(height), np.nan)
    state = False
    for i, (h, v) in enumerate(zip(height.tolist(), speed.tolist(), strict=True)):
        if math.isnan(h) or math.isnan(v):
            continue
        state = h <= exit_height if state else (h <= enter_height and abs(v) <= enter_speed)
        out[i] = float(state)
    return out


def _pelvis_signals(body: _Body, out: _Out, ground: float) -> None:
    names = ("pelvis_height", "pelvis_velocity_y", "pelvis_acceleration_y")
    if body.motion.units != "m":
        for n in names:
            out.skip(n, "heights need metres; this motion is in px")
        return
    if not all([out.need(body, n, "pelvis") for n in names]):
        return
    y = body.p("pelvis")[:, 1]
    out.add(names[0], "m", y - ground)
    out.add(names[1], "m/s", savgol_derivative(y, body.motion.fps, 1))
    out.add(names[2], "m/s^2", savgol_derivative(y, body.motion.fps, 2))


def _foot_signals(body: _Body, out: _Out, ground: float, threshold_m: float | None) -> None:
    metres = body.motion.units == "m"
    floor_rule = metres and threshold_m is None
    threshold = DEFAULT_CONTACT_THRESHOLD_M if threshold_m is None else threshold_m
    scale = 1.0 if metres else _leg_length(body) / REFERENCE_LEG_M
    for side in SIDES:
        h_name, c_name = f"{side}_foot_height", f"foot_contact_{side}"
        if not _foot_points(body, side):
            lacking = list(_side(side, "heel", "toe", "ankle"))  # the toe tip is optional
            for n in (h_name, c_name):
                out.skip(n, f"no foot point ({', '.join(lacking)})", lacking)
            continue
        h = _lowest_foot_y(body, side) - ground
        if metres:
            out.add(h_name, "m", h)
        else:
            out.skip(h_name, "heights need metres; this motion is in px")
        if floor_rule:
            floor = _floor_contact(h, body.motion.fps, side, out)
            if floor is not None:
                out.add(c_name, "1", floor)
                continue
        if not np.isfinite(scale):
            out.skip(c_name, "px data needs hip, knee and ankle to scale the contact threshold")
            continue
        v = savgol_derivative(h, body.motion.fps, 1)
        thr = threshold * scale
        out.add(c_name, "1", contact_hysteresis(h, v, thr, CONTACT_EXIT_FACTOR * thr,
                                                CONTACT_SPEED_MPS * scale))


def _floor_contact(h: FloatArray, fps: float, side: str, out: _Out) -> FloatArray | None:
    """Contact by the floor-level rule (:func:`sportsgpt.tools.contact.foot_contact`).

    ``None``, with a note saying which rule is used instead, when the foot never stands
    still near the ground (so its floor level is unknown).
    """
    try:
        return foot_contact(h, fps)
    except MotionDataError as exc:
        out.notes.append(f"{side} foot contact from height and speed thresholds (on force "
                         "plates about 2 frames late at touchdown and 3 at toe-off), not the "
                         f"floor-level rule: {exc}")
        return None


def _signals_into(body: _Body, out: _Out, threshold_m: float | None,
                  ground_level: float | None) -> None:
    if threshold_m is not None and not (math.isfinite(threshold_m) and threshold_m > 0):
        raise MotionDataError(f"contact_threshold_m must be a positive number, got {threshold_m!r}")
    if ground_level is not None and not math.isfinite(ground_level):
        raise MotionDataError(f"ground_level must be finite, got {ground_level!r}")
    ground, how = _ground(body, ground_level)
    out.notes.append(how)
    _pelvis_signals(body, out, ground)
    _foot_signals(body, out, ground, threshold_m)


# --- public API ----------------------------------------------------------------------------------
def joint_angles(motion: MotionSequence) -> AngleSequence:
    """Every angle channel of :data:`ANGLE_CHANNELS` the motion's joints and view allow.

    Example:
        >>> import numpy as np
        >>> leg = np.array([[[0, 1.0, 0], [0, 0.5, 0], [0.5, 0.5, 0]]])
        >>> m = MotionSequence(positions=leg, joints=("left_hip", "left_knee", "left_ankle"),
        ...                    fps=100)
        >>> float(joint_angles(m).channel("knee_flexion_left")[0])
        90.0
    """
    body, out = _body(motion), _Out()
    _angles_into(body, out)
    return _finish(body, out)


def kinematic_signals(motion: MotionSequence, *, contact_threshold_m: float | None = None,
                      ground_level: float | None = None) -> AngleSequence:
    """Pelvis height/velocity/acceleration, foot heights and foot contact.

    Args:
        motion: the motion (3D, or 2D; heights only for metre units).
        contact_threshold_m: use the height-and-speed contact rule
            (:func:`contact_hysteresis`) with this entry height above ground instead of
            the floor-level rule. Metre data uses the floor-level rule by default
            (:func:`sportsgpt.tools.contact.foot_contact`: the foot's lowest point within
            1.5 cm of its standing level, or stopped by an impact; matches force plates
            within a frame); pixel data, and a foot that never stands still near the
            ground, use the height-and-speed rule with :data:`DEFAULT_CONTACT_THRESHOLD_M`
            scaled by leg length (said in the notes).
        ground_level: the floor's y in the motion's units; default: estimated
            from the feet (see ``docs/kinematics.md``).
    """
    body, out = _body(motion), _Out()
    _signals_into(body, out, contact_threshold_m, ground_level)
    return _finish(body, out)


def compute_kinematics(motion: MotionSequence, *, contact_threshold_m: float | None = None,
                       ground_level: float | None = None) -> AngleSequence:
    """:func:`joint_angles` and :func:`kinematic_signals` in one sequence (angles first)."""
    body, out = _body(motion), _Out()
    _angles_into(body, out)
    _signals_into(body, out, contact_threshold_m, ground_level)
    return _finish(body, out)


def require_channels(seq: AngleSequence, names: Iterable[str],
                     what: str = "this computation") -> None:
    """Raise :class:`MissingJointError` unless ``seq`` has every named channel.

    For sequences made by this module the error names the missing joints (or,
    for channels skipped for another reason, the channel and the reason).
    """
    lacking = [n for n in names if not seq.has(n)]
    if not lacking:
        return
    info = seq.source.extra.get("kinematics", {})
    skipped: dict[str, str] = info.get("skipped", {})
    missing: dict[str, list[str]] = info.get("missing_joints", {})
    joints = list(dict.fromkeys(j for n in lacking for j in missing.get(n, [n])))
    reasons = "; ".join(f"{n}: {skipped.get(n, 'not computed')}" for n in lacking)
    available = info.get("joints", seq.channels)
    raise MissingJointError(joints, tuple(available), f"{what} ({reasons})")
