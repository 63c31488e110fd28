"""Fault injection: faulty variants of real CMU jump recordings with known labels.

Each fault edits the joint angles of an AMC recording (the per-bone Euler
channels of :class:`~sportsgpt.tools.io.asf_amc.AmcMotion`) inside a window
placed from the clean trial's rule-based events
(:func:`sportsgpt.tools.events.jump_events`), then re-runs the forward
kinematics. Bone lengths therefore stay exact. Edits are blended in and out
with raised-cosine ramps, so the motion stays continuous and frames outside
the window are bit-for-bit those of the clean recording.

When an edit changes the legs while the feet are on the ground, the root
translation is corrected by how far the feet moved (the mean of both ankles
and both balls), so the feet stay planted and the pelvis height follows from
the new joint angles. During flight that correction is blended between its
values at the last contact frame and at landing.

The catalogue (what each fault does, its three magnitudes and which trials
are meaningful for it) is :data:`FAULTS`; ``evals/README.md`` documents it and
the effect sizes measured on 16_01 and 118_04.

Example:
    >>> from sportsgpt.evals.fault_injection import inject
    >>> case = inject("16_01", "stiff_landing", "moderate")  # doctest: +SKIP
    >>> sorted(case.labels)  # doctest: +SKIP
    ['stiff_landing']
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict

from sportsgpt.core.errors import MotionDataError
from sportsgpt.core.settings import Settings
from sportsgpt.tools.datasets import cmu_trial_path
from sportsgpt.tools.events import jump_events
from sportsgpt.tools.io.asf_amc import (
    AmcMotion,
    AsfSkeleton,
    find_asf,
    forward_kinematics,
    motion_from_fk,
    parse_amc,
    parse_asf,
    read,
)
from sportsgpt.tools.kinematics import kinematic_signals
from sportsgpt.tools.motion import FloatArray, MotionSequence

Magnitude = Literal["mild", "moderate", "severe"]
MAGNITUDES: Final[tuple[Magnitude, ...]] = get_args(Magnitude)

CMU_FPS: Final = 120.0
"""CMU capture rate (AMC files store none)."""

ARM_SWING_TRIALS: Final[tuple[str, ...]] = (
    "118_01", "118_04", "118_05", "118_10", "118_16", "118_22", "118_26", "118_29")
"""Trials whose arms swing relative to the trunk; ``limited_arm_swing`` is meaningful only here.

The edit scales the humerus, clavicle and elbow channels, which are relative to the thorax,
so a trial qualifies by the same trunk-relative measure: KISMAM's ``arm_swing_amplitude``
(range of shoulder flexion in the second before takeoff) of at least 40 degrees, 44-79
degrees here. These are the recordings that set the arm-swing target (a test keeps the two
lists equal). The data README's "about 80-110 degrees" is the upper arm's elevation from the
world vertical, which includes the trunk's forward pitch: 118_23 reaches 84 degrees that way
but only 25 relative to the trunk (its arms hang while the trunk leans 66 degrees, and they
do not drive forward at takeoff), so it was dropped from this list on 2026-11-26."""

FOOT_ANCHORS: Final[tuple[str, ...]] = ("ltibia", "lfoot", "rtibia", "rfoot")
"""ASF bones whose distal ends (ankles, balls of the feet) are kept planted."""
FOOT_POINTS: Final[tuple[tuple[str, ...], ...]] = (("ltibia", "lfoot", "ltoes"),
                                                   ("rtibia", "rfoot", "rtoes"))
"""Per foot, the ASF bone ends (ankle, ball, toe tip) whose lowest one is on the floor."""

class FaultSpec(BaseModel):
    """One injectable fault: its KISMAM id, what the edit does and its magnitudes."""

    model_config = ConfigDict(frozen=True)

    fault: str
    movement: str
    summary: str
    window: str
    parameter: str
    unit: str
    levels: dict[str, float]
    checked_by: str
    meaningful_trials: tuple[str, ...] = ()


class InjectedCase(BaseModel):
    """A (possibly faulty) recording with its expected labels.

    Attributes:
        trial: CMU trial id (``"16_01"``) or the AMC file's stem.
        fault: the injected KISMAM fault id; None for a clean control.
        labels: fault ids a diagnosis should report (empty for a clean control).
        magnitude: ``mild``/``moderate``/``severe``; None for a clean control.
        value: the magnitude's number in ``unit`` (see :data:`FAULTS`).
        unit: unit of ``value``.
        description: one sentence on what was changed.
        motion: canonical joints, as the AMC reader would give them.
        events: rule-based jump events of the clean trial (frames).
        window: first and last frame of the edit (frames outside are unchanged).
    """

    model_config = ConfigDict(frozen=True)

    trial: str
    fault: str | None
    labels: frozenset[str]
    magnitude: Magnitude | None
    value: float | None
    unit: str | None
    description: str
    motion: MotionSequence
    events: dict[str, int]
    window: tuple[int, int] | None


FAULTS: Final[dict[str, FaultSpec]] = {s.fault: s for s in (
    FaultSpec(
        fault="shallow_countermovement", movement="countermovement_jump",
        summary="hip (femur rx), knee (tibia rx), ankle (foot rx) and pelvis tilt (root rx) "
                "deviations from the quiet-stance pose are scaled down by one common factor, "
                "found by bisection so that the pelvis drop (feet kept planted) shrinks by "
                "the given fraction",
        window="stance = onset - 0.5 s; ramp in to onset, full to the countermovement bottom, "
               "ramp out to takeoff (takeoff and flight unchanged)",
        parameter="reduction of the pelvis drop", unit="fraction",
        levels={"mild": 0.25, "moderate": 0.4, "severe": 0.55},
        checked_by="pelvis drop and knee flexion at the bottom"),
    FaultSpec(
        fault="limited_arm_swing", movement="countermovement_jump",
        summary="shoulder (humerus rx ry rz), clavicle and elbow (radius rx) deviations from "
                "the pre-movement pose are scaled down by the given fraction",
        window="from onset - 0.5 s (ramp 0.2 s) to landing bottom, ramp out over 0.4 s",
        parameter="reduction of arm motion", unit="fraction",
        levels={"mild": 0.3, "moderate": 0.6, "severe": 0.9},
        checked_by="shoulder flexion range before takeoff",
        meaningful_trials=ARM_SWING_TRIALS),
    FaultSpec(
        fault="insufficient_knee_extension_at_takeoff", movement="countermovement_jump",
        summary="both knees (tibia rx) are kept flexed by the given angle, the foot (foot rx) "
                "counter-rotated so it keeps its pitch; feet planted until takeoff",
        window="ramp in over the last 3/4 of the propulsion (bottom to takeoff), full from "
               "takeoff to 1/3 of the flight, ramp out to landing",
        parameter="extra knee flexion at takeoff", unit="deg",
        levels={"mild": 10.0, "moderate": 20.0, "severe": 30.0},
        checked_by="knee flexion at takeoff"),
    FaultSpec(
        fault="stiff_landing", movement="countermovement_jump",
        summary="hip, knee, ankle and pelvis-tilt flexion after initial contact (deviation from "
                "the landing-frame pose) is scaled down by the given fraction; feet planted",
        window="ramp in over 0.05 s from landing (initial contact unchanged), full to "
               "landing bottom + 0.1 s, ramp out over 0.3 s",
        parameter="reduction of landing flexion", unit="fraction",
        levels={"mild": 0.25, "moderate": 0.45, "severe": 0.65},
        checked_by="peak knee and hip flexion after landing"),
    FaultSpec(
        fault="knee_valgus_on_landing", movement="countermovement_jump",
        summary="hip internal rotation (femur ry, about the thigh's long axis) is added to "
                "both legs after landing: with the knees flexed the knees move medially while "
                "the ankles stay within about 0.5 cm, so FPPA rises by about 1.0-1.2 deg per "
                "deg of rotation at the landing bottom",
        window="ramp in over 0.1 s from landing (initial contact unchanged), full to "
               "landing bottom + 0.1 s, ramp out over 0.3 s",
        parameter="hip internal rotation added", unit="deg",
        levels={"mild": 5.0, "moderate": 10.0, "severe": 15.0},
        checked_by="knee FPPA after landing (valgus positive)"),
    FaultSpec(
        fault="excessive_trunk_lean", movement="countermovement_jump",
        summary="forward flexion is added to the lower back (lowerback rx), tilting the whole "
                "upper body forward about the lumbar joint",
        window="ramp in from onset to the bottom, full to takeoff, ramp out to landing",
        parameter="extra trunk flexion", unit="deg",
        levels={"mild": 10.0, "moderate": 20.0, "severe": 30.0},
        checked_by="trunk inclination at the bottom and at takeoff"),
    FaultSpec(
        fault="asymmetric_landing", movement="countermovement_jump",
        summary="the right leg is tucked (knee flexion +45 deg, hip flexion +22.5 deg) from the "
                "apex and released after landing, so the right foot touches down later than "
                "the left, which lands as recorded",
        window="ramp in from apex to landing, hold, ramp out over 4 frames ending at "
               "landing + the delay + 1 frame (the toe tip reaches the floor about two frames "
               "before the lowered leg is straight)",
        parameter="delay of the right foot's landing", unit="frames at 120 Hz",
        levels={"mild": 4.0, "moderate": 8.0, "severe": 12.0},
        checked_by="first foot contact, right minus left"),
)}

_DEG: Final = math.pi / 180.0


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trial:
    name: str
    path: Path
    skeleton: AsfSkeleton
    amc: AmcMotion
    events: dict[str, int]
    fps: float
    anchor: FloatArray

    @property
    def n(self) -> int:
        return self.amc.n_frames

    def sec(self, seconds: float) -> int:
        return round(seconds * self.fps)

    def clip(self, frame: int) -> int:
        return min(max(frame, 0), self.n - 1)


def _trial_path(trial: str | Path, settings: Settings | None) -> Path:
    if isinstance(trial, Path) or trial.endswith((".amc", ".AMC")) or "/" in trial:
        path = Path(trial)
        if not path.is_file():
            raise MotionDataError(f"no AMC file at {path}")
        return path
    return cmu_trial_path(trial, settings)


def _load(trial: str | Path, settings: Settings | None) -> _Trial:
    return _load_path(_trial_path(trial, settings))


@functools.lru_cache(maxsize=8)
def _load_path(path: Path) -> _Trial:
    skel = parse_asf(find_asf(path))
    amc = parse_amc(path, skel)
    jumps = jump_events(kinematic_signals(motion_from_fk(skel, amc, path)))
    if not jumps:
        raise MotionDataError(f"{path.name}: no jump found, so no window to inject a fault into")
    best = max(jumps, key=lambda e: e.frames["landing"] - e.frames["takeoff"])
    return _Trial(name=path.stem, path=path, skeleton=skel, amc=amc, events=dict(best.frames),
                  fps=CMU_FPS, anchor=_anchor(skel, amc))


# --- edit primitives -----------------------------------------------------------------------------


def window_weights(n: int, a: int, b: int, c: int, d: int) -> FloatArray:
    """Blend weights ``(n,)`` with raised-cosine ramps.

    0 up to ``a``, rising to 1 at ``b``, 1 until ``c``, falling to 0 at ``d``.
    Frames ``<= a`` and ``>= d`` get exactly 0. Requires ``a <= b <= c <= d``.
    """
    if not a <= b <= c <= d:
        raise MotionDataError(f"window frames must be ordered, got {a}, {b}, {c}, {d}")
    t = np.arange(n, dtype=np.float64)
    w = np.zeros(n)
    w[(t >= b) & (t <= c)] = 1.0
    if b > a:
        up = (t > a) & (t < b)
        w[up] = 0.5 - 0.5 * np.cos(np.pi * (t[up] - a) / (b - a))
    if d > c:
        down = (t > c) & (t < d)
        w[down] = 0.5 + 0.5 * np.cos(np.pi * (t[down] - c) / (d - c))
    w[(t <= a) | (t >= d)] = 0.0
    return w


def _col(skel: AsfSkeleton, bone: str, dof: str) -> int:
    dofs = skel.root.order if bone == "root" else skel.bone(bone).dof
    return dofs.index(dof)


def _scale(tr: _Trial, vals: dict[str, FloatArray], bones: Iterable[tuple[str, str]],
           ref: int, fraction: float, w: FloatArray) -> None:
    """Scale each channel's deviation from its value at ``ref`` by ``1 - fraction * w``."""
    for bone, dof in bones:
        i = _col(tr.skeleton, bone, dof)
        x = vals[bone][:, i]
        vals[bone][:, i] = x - fraction * w * (x - x[ref])  # exact where w == 0


def _add(tr: _Trial, vals: dict[str, FloatArray], bone: str, dof: str, degrees: float,
         w: FloatArray) -> None:
    i = _col(tr.skeleton, bone, dof)
    vals[bone][:, i] = vals[bone][:, i] + degrees * _DEG * w


def _anchor(skel: AsfSkeleton, amc: AmcMotion) -> FloatArray:
    """Feet position ``(T, 3)`` in metres, kept in place by :func:`_plant`.

    Horizontally the mean of the ankles and balls of both feet; vertically the mean over the
    feet of each foot's lowest point (ankle, ball or toe tip), so a change of foot pitch does
    not push a toe tip through the floor.
    """
    fk = forward_kinematics(skel, amc)
    idx = [fk.names.index(b) for b in FOOT_ANCHORS]
    out = np.asarray(fk.positions[:, idx, :].mean(axis=1), dtype=np.float64)
    lows = [fk.positions[:, [fk.names.index(b) for b in foot], 1].min(axis=1)
            for foot in FOOT_POINTS]
    out[:, 1] = np.mean(lows, axis=0)
    return out


def _plant(tr: _Trial, vals: dict[str, FloatArray]) -> None:
    """Shift the root so the feet's mean point stays where it was (blended through flight)."""
    delta = _anchor(tr.skeleton, AmcMotion(tr.amc.path, tr.n, vals)) - tr.anchor
    takeoff, landing = tr.events["takeoff"], tr.events["landing"]
    before, after = delta[takeoff - 1].copy(), delta[landing].copy()
    g = window_weights(tr.n, takeoff - 1, landing, landing, landing)[takeoff:landing, None]
    delta[takeoff:landing] = (1.0 - g) * before + g * after
    for axis, dof in enumerate(("tx", "ty", "tz")):
        i = _col(tr.skeleton, "root", dof)
        vals["root"][:, i] -= delta[:, axis] / tr.skeleton.units.metres_per_unit


# --- the faults ----------------------------------------------------------------------------------

_LEG_SAGITTAL: Final = (("root", "rx"), ("lfemur", "rx"), ("rfemur", "rx"), ("ltibia", "rx"),
                        ("rtibia", "rx"), ("lfoot", "rx"), ("rfoot", "rx"))
_ARMS: Final = (("lhumerus", "rx"), ("lhumerus", "ry"), ("lhumerus", "rz"),
                ("rhumerus", "rx"), ("rhumerus", "ry"), ("rhumerus", "rz"),
                ("lradius", "rx"), ("rradius", "rx"), ("lclavicle", "ry"), ("lclavicle", "rz"),
                ("rclavicle", "ry"), ("rclavicle", "rz"))
Window = tuple[int, int, int, int]
_Edit = Callable[[_Trial, dict[str, FloatArray], float], tuple[Window, str]]
SHALLOW_BISECTIONS: Final = 24
"""Bisection steps that find the angle fraction giving the requested pelvis-drop reduction."""


def _stance_frame(tr: _Trial) -> int:
    return max(0, tr.events["movement_onset"] - tr.sec(0.5))


def _pelvis_drop(tr: _Trial, vals: dict[str, FloatArray], ref: int) -> float:
    """Pelvis (root) drop in metres from frame ``ref`` to its lowest point before takeoff."""
    y = vals["root"][:, _col(tr.skeleton, "root", "ty")] * tr.skeleton.units.metres_per_unit
    return float(y[ref] - y[ref:tr.events["takeoff"]].min())


def _shallow(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    e = tr.events
    # ends the frame before takeoff so the flight (root blend from takeoff - 1) is untouched
    win = (_stance_frame(tr), e["movement_onset"], e["countermovement_bottom"],
           e["takeoff"] - 1)
    w = window_weights(tr.n, *win)
    target = (1.0 - x) * _pelvis_drop(tr, tr.amc.values, win[0])

    def scaled(fraction: float) -> dict[str, FloatArray]:
        out = {k: v.copy() for k, v in vals.items()}
        _scale(tr, out, _LEG_SAGITTAL, win[0], fraction, w)
        _plant(tr, out)
        return out

    lo, hi = 0.0, 1.0  # the drop shrinks as the angle fraction grows: bisect for the target
    for _ in range(SHALLOW_BISECTIONS):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _pelvis_drop(tr, scaled(mid), win[0]) > target else (lo, mid)
    vals.update(scaled(hi))
    return win, f"joint deviations scaled down by {hi:.3f}"


def _arms(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    a, lb = _stance_frame(tr), tr.events["landing_bottom"]
    win = (a, min(a + tr.sec(0.2), lb), lb, tr.clip(lb + tr.sec(0.4)))
    _scale(tr, vals, _ARMS, a, x, window_weights(tr.n, *win))
    return win, ""


def _knee_ext(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    bottom, takeoff, landing = (tr.events[k] for k in ("countermovement_bottom", "takeoff",
                                                         "landing"))
    win = (bottom + round((takeoff - bottom) / 4), takeoff,
           takeoff + round((landing - takeoff) / 3), landing)
    w = window_weights(tr.n, *win)
    for side in "lr":
        _add(tr, vals, f"{side}tibia", "rx", x, w)
        _add(tr, vals, f"{side}foot", "rx", -x, w)
    _plant(tr, vals)
    return win, ""


def _landing_window(tr: _Trial, settle: float) -> Window:
    landing, lb = tr.events["landing"], tr.events["landing_bottom"]
    c = tr.clip(lb + tr.sec(0.1))
    return (landing, min(landing + tr.sec(settle), c), c,
            tr.clip(c + tr.sec(0.3)))


def _stiff(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    win = _landing_window(tr, 0.05)
    _scale(tr, vals, _LEG_SAGITTAL, tr.events["landing"], x, window_weights(tr.n, *win))
    _plant(tr, vals)
    return win, ""


def _valgus(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    win = _landing_window(tr, 0.1)
    w = window_weights(tr.n, *win)
    # internal rotation about the femur's long axis: left ry negative, right ry positive.
    # With the knee flexed it swings the knee medially while the ankle stays put
    # (femur adduction, rz, would move the whole leg and leave FPPA unchanged).
    _add(tr, vals, "lfemur", "ry", -x, w)
    _add(tr, vals, "rfemur", "ry", x, w)
    _plant(tr, vals)
    return win, ""


def _trunk(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    e = tr.events
    win = (e["movement_onset"], e["countermovement_bottom"], e["takeoff"], e["landing"])
    _add(tr, vals, "lowerback", "rx", x, window_weights(tr.n, *win))
    return win, ""


TUCK_KNEE_DEG: Final = 45.0
"""Extra right-knee flexion that keeps the right foot off the ground in ``asymmetric_landing``
(with hip flexion of half of it). 45°: with the toe tip in the foot height, 30° left the
toe of a forward landing (CMU 118_04) within 1.5 cm of the floor at the other foot's contact."""
RELEASE_FRAMES: Final = 4
"""Frames over which the tucked leg is lowered to the ground."""


def _asym(tr: _Trial, vals: dict[str, FloatArray], x: float) -> tuple[Window, str]:
    apex, landing = tr.events["apex"], tr.events["landing"]
    d = tr.clip(landing + round(x) + 1)
    c = max(landing, d - RELEASE_FRAMES)
    win = (apex, landing, c, d)
    w = window_weights(tr.n, *win)
    _add(tr, vals, "rtibia", "rx", TUCK_KNEE_DEG, w)
    _add(tr, vals, "rfemur", "rx", -TUCK_KNEE_DEG / 2, w)  # femur rx negative = flexion
    return win, ""


_EDITS: Final[dict[str, _Edit]] = {
    "shallow_countermovement": _shallow, "limited_arm_swing": _arms,
    "insufficient_knee_extension_at_takeoff": _knee_ext, "stiff_landing": _stiff,
    "knee_valgus_on_landing": _valgus, "excessive_trunk_lean": _trunk,
    "asymmetric_landing": _asym,
}


# --- public API ----------------------------------------------------------------------------------


def _spec(fault: str, magnitude: str) -> FaultSpec:
    if fault not in FAULTS:
        raise MotionDataError(f"unknown fault {fault!r}; injectable: {sorted(FAULTS)}")
    if magnitude not in MAGNITUDES:
        raise MotionDataError(f"unknown magnitude {magnitude!r}; use one of {MAGNITUDES}")
    return FAULTS[fault]


def inject(trial: str | Path, fault: str, magnitude: Magnitude, *,
           settings: Settings | None = None) -> InjectedCase:
    """A faulty variant of a CMU jump trial.

    Args:
        trial: trial id such as ``"16_01"`` (found in the data home) or an ``.amc`` path
            (its subject's ASF beside it).
        fault: a KISMAM fault id from :data:`FAULTS`.
        magnitude: ``"mild"``, ``"moderate"`` or ``"severe"``.
        settings: where to find the data home (default: from the environment).

    Raises:
        MotionDataError: unknown fault or magnitude, or no jump in the recording.
        MotionFileError: the recording cannot be read.
        DatasetNotFoundError: the trial is not in the data home.
    """
    spec = _spec(fault, magnitude)
    tr = _load(trial, settings)
    value = spec.levels[magnitude]
    vals = {k: v.copy() for k, v in tr.amc.values.items()}
    (a, _, _, d), note = _EDITS[fault](tr, vals, value)
    motion = motion_from_fk(tr.skeleton, AmcMotion(tr.amc.path, tr.n, vals), tr.path,
                            fps=tr.fps)
    desc = (f"{tr.name} with {fault} ({magnitude}: {spec.parameter} {value:g} {spec.unit}); "
            f"{spec.summary}; frames {a}-{d}{'; ' + note if note else ''}")
    return InjectedCase(trial=tr.name, fault=fault, labels=frozenset({fault}),
                        magnitude=magnitude, value=value, unit=spec.unit, description=desc,
                        motion=motion, events=tr.events, window=(a, d))


def clean(trial: str | Path, *, settings: Settings | None = None) -> InjectedCase:
    """The unmodified recording (the AMC reader's output) as a control with no labels."""
    tr = _load(trial, settings)
    motion = read(tr.path, fps=tr.fps)
    return InjectedCase(trial=tr.name, fault=None, labels=frozenset(), magnitude=None,
                        value=None, unit=None, description=f"{tr.name} as recorded (control)",
                        motion=motion, events=tr.events, window=None)


def cases(trials: Iterable[str | Path], faults: Iterable[str] | None = None,
          magnitudes: Iterable[Magnitude] = MAGNITUDES, *, include_clean: bool = True,
          settings: Settings | None = None) -> Iterator[InjectedCase]:
    """Every (trial, fault, magnitude) case, each trial's clean control first.

    ``faults`` defaults to all of :data:`FAULTS`. ``limited_arm_swing`` is
    skipped for trials outside :data:`ARM_SWING_TRIALS` when ``faults`` is left
    at its default (there it would be nearly a no-op); name it to force it.
    """
    chosen = list(FAULTS) if faults is None else list(faults)
    levels = list(magnitudes)
    for fault in chosen:
        for level in levels:
            _spec(fault, level)
    for trial in trials:
        name = Path(trial).stem if isinstance(trial, Path) else Path(str(trial)).stem
        if include_clean:
            yield clean(trial, settings=settings)
        for fault in chosen:
            spec = FAULTS[fault]
            if faults is None and spec.meaningful_trials and name not in spec.meaningful_trials:
                continue
            for level in levels:
                yield inject(trial, fault, level, settings=settings)
