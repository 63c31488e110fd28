"""Clean a :class:`~sportsgpt.tools.motion.MotionSequence` before analysis, and say what was done.

Every step is a pure function ``(motion, ...) -> (new_motion, StepReport)``;
:func:`preprocess` chains the ones switched on in :class:`PreprocessConfig` in
this order::

    repair_left_right_swaps -> fill_gaps -> lowpass_filter -> resample
        -> normalise_ground -> normalise_facing -> scale_body

and returns a :class:`PreprocessReport` with one :class:`StepReport` per step
(applied or not, and why) plus a :class:`QualityReport` of the input as
recorded (:func:`quality_summary`, which the CLI's ``inspect`` also prints).

Choices, stated once:

* **Gaps.** A run of missing samples (a joint is missing in a frame when any
  of its coordinates is NaN) no longer than ``max_gap_s`` that has tracked
  samples on both sides is filled with PCHIP (shape-preserving piecewise cubic
  Hermite, no overshoot) through the tracked samples of that joint. Longer
  gaps and gaps touching the start or end of the clip are never invented: they
  stay NaN and are reported.
* **Low-pass.** Butterworth, ``filter_order`` per pass, run forward and
  backward (``scipy.signal.sosfiltfilt``: zero lag, twice the order). Each
  pass alone would put -3 dB at the design cutoff, so the pair would put
  -6 dB there; the cutoff is corrected for the double pass on the pre-warped
  (``tan``) frequency as described by Winter (*Biomechanics and Motor Control
  of Human Movement*, 4th ed., p. 69) and Robertson et al. (*Research Methods
  in Biomechanics*, 2nd ed., p. 288): ``C = (2**(1/passes) - 1)**(1/(2*order))``
  (their ``1/4`` is the second-order case) and ``tan(pi*fc_design/fs) =
  tan(pi*fc/fs) / C``. The combined response is then exactly -3 dB at the
  cutoff asked for. NaN is never filtered across: each contiguous tracked run
  of a joint is filtered on its own; runs too short for the filter's padding
  (``3*(2*n_sections+1)`` samples) are left unfiltered and counted.
* **Automatic cutoff** (``cutoff_hz=None``): Winter's residual analysis
  (*Biomechanics and Motor Control of Human Movement*, 2nd ed. 1990,
  pp. 41-43): the RMS residual between raw and filtered data is computed for a
  range of cutoffs, a straight line fitted to its high-frequency (noise-only)
  part is extrapolated to 0 Hz, and the cutoff is where the residual curve
  falls to that intercept. It runs on the most active
  :data:`RESIDUAL_WINDOW_S` seconds of the clip; the per-channel cutoffs'
  median is then clamped to :data:`AUTO_CUTOFF_RANGE_HZ` (6-12 Hz). 6 Hz with
  a fourth-order Butterworth is the usual "standard" for human movement data,
  with 4-20 Hz in use (Appl. Sci. 2025, 15(4), 2177,
  doi:10.3390/app15042177); residual analysis tends to choose cutoffs below
  the optimum at high sampling rates (Yu et al. 1999), hence the 6 Hz floor,
  and jumps and sprints carry more high-frequency content than walking, hence
  the 12 Hz ceiling. Finally the cutoff is capped at
  :data:`NYQUIST_CAP` x Nyquist of the lower of the input and output frame
  rates (6 Hz at 30 fps).
* **Resampling**: cubic spline per tracked run (no samples are made inside
  gaps). Downsampling does not low-pass on its own; :func:`preprocess` filters
  first with a cutoff capped for the output rate.
* **Ground**: 3D and 2D alike, ``y`` is shifted so that a low percentile
  (``ground_percentile``, 5 %) of the per-frame lowest foot point (heels,
  toes, ankles, foot indices: whatever the motion has) sits at 0. Without
  heel or toe points the ankle centres define the ground.
* **Facing** (3D): the body's left axis is the horizontal part of
  ``left_hip - right_hip`` and ``left_shoulder - right_shoulder`` (unit
  vectors, summed); forward is ``left x up`` (right-handed, Y up; ``up x left``
  would point backwards). The clip's mean forward heading is rotated about
  +Y onto +X, after which +Z points to the athlete's right
  (:mod:`sportsgpt.tools.motion`'s convention) and ``facing="+x"``. The
  rotation is about the vertical axis through the origin (no translation).
  For 2D sagittal data the image is mirrored, if needed, so that toes lie
  ahead of heels (or the nose ahead of the ears) along +x.
* **Scale**: positions are multiplied so that the median hip-knee-ankle length
  (thigh + shank, mean of the sides available) equals
  ``reference_leg_length_m``. The 0.9 m default is a round adult value chosen
  here, not a population norm: pass the athlete's or the template's own leg
  length. Pixel data becomes metres (assuming the legs lie in the image plane).
* **Jitter** (:func:`jitter`, in the quality report): RMS of the second
  difference of the residual after a 12 Hz zero-phase FIR low-pass, divided by
  sqrt(6) so that white noise of SD s reads s; mm for metre data, px for pixels.
* **Left/right swaps** (markerless sources): each frame is compared with a
  running median of the trajectories (:data:`SWAP_WINDOW_S` wide, so swapped
  runs shorter than half of it do not move the reference). For each limb group
  (legs, arms, head) a frame is relabelled when swapping that group's
  left/right points brings them closer to the reference than keeping them by a
  large margin: swapped distance below half the kept distance and smaller by
  at least 3 % of the body's size. The count is the number of frames changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy.interpolate import CubicSpline, PchipInterpolator
from scipy.ndimage import convolve1d
from scipy.signal import butter, firwin, sosfilt, sosfilt_zi

from sportsgpt.core.errors import PreprocessingError
from sportsgpt.tools.motion import MAX_FPS, FloatArray, MotionSequence, SourceInfo, Units
from sportsgpt.tools.skeleton import mirror_name

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Detail = float | int | str

AUTO_CUTOFF_RANGE_HZ: tuple[float, float] = (6.0, 12.0)
"""Clamp for the automatic (residual-analysis) cutoff, in Hz."""

NYQUIST_CAP = 0.4
"""An automatic cutoff never exceeds this fraction of the Nyquist frequency."""

RESIDUAL_WINDOW_S = 10.0
"""Longest stretch of the clip the residual analysis looks at, in seconds."""

JITTER_CUTOFF_HZ = 12.0
"""Reference low-pass for the jitter measure (capped at 0.4 x Nyquist)."""

SWAP_WINDOW_S = 0.15
"""Width of the running median used as reference by the swap repair, in seconds."""

MARKERLESS_FORMATS = frozenset({"mediapipe", "openpose", "mmpose"})
"""Source formats whose labels may swap left/right between frames."""

FOOT_POINTS = frozenset({"heel", "toe", "ankle", "foot_index", "big_toe", "small_toe", "foot"})
"""Joint names (without ``left_``/``right_``) that can define the ground."""

_LEG_WORDS = ("hip", "knee", "ankle", "heel", "toe", "foot")
_ARM_WORDS = ("shoulder", "elbow", "wrist", "pinky", "index", "thumb", "hand")


# --- reports and configuration ----------------------------------------------------


class PreprocessConfig(BaseModel):
    """Which preprocessing steps run, and with what settings.

    Invalid values raise :class:`~sportsgpt.core.errors.PreprocessingError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    fill_gaps: bool = True
    max_gap_s: float = Field(0.1, ge=0.0, description="longer gaps are flagged and left NaN")
    lowpass: bool = True
    cutoff_hz: float | None = Field(None, gt=0.0, description="None: residual analysis")
    filter_order: int = Field(4, ge=1, le=8, description="Butterworth order per pass")
    resample_fps: float | None = Field(None, gt=0.0, le=MAX_FPS)
    normalise_ground: bool = True
    ground_percentile: float = Field(5.0, ge=0.0, le=50.0)
    normalise_facing: bool = True
    scale_body: bool = False
    reference_leg_length_m: float = Field(0.9, gt=0.0)
    repair_swaps: bool | None = Field(None, description="None: only for markerless sources")
    min_frames: int = Field(10, ge=2)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            msg = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}"
                            for e in exc.errors())
            raise PreprocessingError(f"invalid preprocessing option: {msg}") from None


class StepReport(BaseModel):
    """What one preprocessing step did (or why it did not run)."""

    name: str
    applied: bool
    details: dict[str, Detail] = Field(default_factory=dict)


class Gap(BaseModel):
    """A run of missing samples of one joint; frames inclusive."""

    joint: str
    start_frame: int
    end_frame: int
    duration_s: float


class QualityReport(BaseModel):
    """How usable a recording is, in numbers and in plain words."""

    n_frames: int
    fps: float
    duration_s: float
    units: Units
    missing_pct: float
    missing_pct_by_joint: dict[str, float]
    longest_gap_s: float
    longest_gap_joint: str | None
    long_gaps: list[Gap]
    swaps_repaired: int
    jitter_mm: float | None = Field(
        None, description="metre data: RMS second difference of the residual after a "
                          "12 Hz zero-phase low-pass, divided by sqrt(6), in mm")
    jitter_px: float | None = Field(None, description="the same measure for pixel data, in px")
    usable_views: list[Literal["3d", "sagittal", "frontal"]]
    warnings: list[str]


class PreprocessReport(BaseModel):
    """Every step's report and the input's quality summary."""

    steps: list[StepReport]
    quality: QualityReport
    config: PreprocessConfig


# --- small helpers ----------------------------------------------------------------


def _tracked(pos: FloatArray) -> BoolArray:
    """(T, J) mask of samples whose every coordinate is finite."""
    total = pos[..., 0].copy()  # positions hold no inf: NaN marks missing
    for k in range(1, pos.shape[2]):
        total += pos[..., k]  # elementwise adds: much faster than sum over a length-3 axis
    mask: BoolArray = np.isfinite(total)
    return mask


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """``(start, stop)`` (stop exclusive) of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(s), int(e)) for s, e in zip(edges[0::2], edges[1::2], strict=True)]


def _base(joint: str) -> str:
    return joint.removeprefix("left_").removeprefix("right_")


def _lr_pairs(joints: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """``(left index, right index, base name)`` for each left_/right_ pair present."""
    index = {j: i for i, j in enumerate(joints)}
    return [(i, index[mirror_name(j)], _base(j)) for i, j in enumerate(joints)
            if j.startswith("left_") and mirror_name(j) in index]


def _group(base: str) -> str:
    if any(w in base for w in _LEG_WORDS):
        return "legs"
    if any(w in base for w in _ARM_WORDS):
        return "arms"
    return "head"


def _not_applied(name: str, reason: str) -> StepReport:
    return StepReport(name=name, applied=False, details={"reason": reason})


def _with_note(motion: MotionSequence, note: str) -> SourceInfo:
    """The motion's SourceInfo with one more note."""
    return motion.source.model_copy(update={"notes": (*motion.source.notes, note)})


def _unit_scale(units: Units) -> tuple[float, str]:
    return (1000.0, "mm") if units == "m" else (1.0, "px")


# --- filtering --------------------------------------------------------------------


def butterworth_sos(cutoff_hz: float, fps: float, order: int = 4) -> FloatArray:
    """Second-order sections of a Butterworth low-pass for a forward-backward pass.

    The design cutoff is corrected (Winter; Robertson et al.) so that the
    zero-lag double pass is at -3 dB at ``cutoff_hz``.
    """
    if not 0.0 < cutoff_hz < fps / 2:
        raise PreprocessingError(
            f"cutoff {cutoff_hz:g} Hz must lie between 0 and the Nyquist frequency "
            f"{fps / 2:g} Hz of {fps:g} fps data")
    correction = (2.0 ** (1.0 / 2.0) - 1.0) ** (1.0 / (2.0 * order))
    warped = math.tan(math.pi * cutoff_hz / fps) / correction
    wn = 2.0 * math.atan(warped) / math.pi
    sos: FloatArray = np.asarray(butter(order, wn, btype="low", output="sos"), dtype=np.float64)
    return sos


def _padlen(sos: FloatArray) -> int:
    """Samples of odd extension at each end (scipy's ``sosfiltfilt`` default)."""
    return 3 * (2 * int(sos.shape[0]) + 1)


def zero_lag_filter(sos: FloatArray, x: FloatArray) -> FloatArray:
    """Forward-backward filter along axis 0 of a finite ``x`` (N, ...).

    The same computation as ``scipy.signal.sosfiltfilt(sos, x, axis=0)`` (odd
    extension of :func:`_padlen` samples, steady-state initial conditions),
    laid out time-last for speed. Needs ``N > padlen``.
    """
    pad = _padlen(sos)
    n = x.shape[0]
    if n <= pad:
        raise PreprocessingError(f"{n} samples are too few to filter (need more than {pad})")
    xt = np.ascontiguousarray(x.reshape(n, -1).T)
    ext = np.concatenate((2 * xt[:, :1] - xt[:, pad:0:-1], xt,
                          2 * xt[:, -1:] - xt[:, -2:-pad - 2:-1]), axis=1)
    zi = sosfilt_zi(sos)[:, None, :]
    y, _ = sosfilt(sos, ext, axis=-1, zi=zi * ext[None, :, :1])
    y = np.ascontiguousarray(y[:, ::-1])
    y, _ = sosfilt(sos, y, axis=-1, zi=zi * y[None, :, :1])
    out: FloatArray = y[:, ::-1][:, pad:-pad].T.reshape(x.shape)
    return out


def _zero_lag_runs(sos: FloatArray, pos: FloatArray, joint: IntArray, start: IntArray,
                   stop: IntArray) -> FloatArray:
    """Copy of ``pos`` (T, J, D) with runs ``pos[start:stop, joint]`` filtered forward-backward.

    Runs of similar length (same power of two) are filtered together as rows
    of one batch, each with its own odd extension and steady-state initial
    conditions, so the result equals ``sosfiltfilt`` on each run alone. Rows are
    right-aligned and led by a constant equal to their first value: with
    steady-state initial conditions the filter stays at rest through it. Every
    run must be longer than :func:`_padlen` and finite.
    """
    n_frames, n_joints, dim = pos.shape
    chan = np.ascontiguousarray(pos.transpose(1, 2, 0)).reshape(-1, n_frames)  # (J*D, T)
    out = chan.copy()
    pad = _padlen(sos)
    length = stop - start
    if np.any(length <= pad):
        raise PreprocessingError(f"runs of {int(length.min())} samples are too few to filter "
                                 f"(need more than {pad})")
    zi = sosfilt_zi(sos)[:, None, :]
    bucket = np.floor(np.log2(length)).astype(np.intp)
    for b in np.unique(bucket):
        sel = np.flatnonzero(bucket == b)
        width = int(length[sel].max()) + 2 * pad
        rows = np.empty((sel.size * dim, width))
        spans = []
        for k, r in enumerate(sel):
            s, n = int(start[r]), int(length[r])
            lead = width - n - 2 * pad
            for d in range(dim):
                c = int(joint[r]) * dim + d
                seg = chan[c, s:s + n]
                row = rows[k * dim + d]
                row[:lead + 1] = 2 * seg[0] - seg[pad]
                row[lead:lead + pad] = 2 * seg[0] - seg[pad:0:-1]
                row[lead + pad:lead + pad + n] = seg
                row[lead + pad + n:] = 2 * seg[-1] - seg[-2:-pad - 2:-1]
                spans.append((c, s, n, lead + pad))
        y, _ = sosfilt(sos, rows, axis=-1, zi=zi * rows[None, :, :1])
        y = np.ascontiguousarray(y[:, ::-1])
        y, _ = sosfilt(sos, y, axis=-1, zi=zi * y[None, :, :1])
        y = y[:, ::-1]
        for row_i, (c, s, n, first) in enumerate(spans):
            out[c, s:s + n] = y[row_i, first:first + n]
    result: FloatArray = out.reshape(n_joints, dim, n_frames).transpose(2, 0, 1).copy()
    return result


def _run_table(mask: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Runs of True in each column of a (T, J) mask: joint, start, stop (exclusive).

    Ordered by joint, then frame.
    """
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1]), dtype=np.int8)
    padded[1:-1] = mask
    step = np.diff(padded, axis=0).T
    joint, start = np.nonzero(step == 1)
    _, stop = np.nonzero(step == -1)
    return joint.astype(np.intp), start.astype(np.intp), stop.astype(np.intp)


def _filter_runs(pos: FloatArray, sos: FloatArray,
                 min_frames: int = 0) -> tuple[FloatArray, BoolArray, int]:
    """Filter each tracked run of each joint separately.

    Returns the filtered positions, the (T, J) mask of samples that were
    filtered and the number of runs filtered. Runs not longer than the padding
    (or shorter than ``min_frames``) are copied unfiltered.
    """
    ok = _tracked(pos)
    joint, start, stop = _run_table(ok)
    keep = stop - start >= max(_padlen(sos) + 1, min_frames)
    joint, start, stop = joint[keep], start[keep], stop[keep]
    marks = np.zeros((pos.shape[0] + 1, pos.shape[1]), dtype=np.intp)
    np.add.at(marks, (start, joint), 1)
    np.add.at(marks, (stop, joint), -1)
    done: BoolArray = np.cumsum(marks, axis=0)[:-1] > 0
    if not joint.size:
        return pos.copy(), done, 0
    whole = (start == 0) & (stop == pos.shape[0])
    out = _zero_lag_runs(sos, pos, joint[~whole], start[~whole], stop[~whole]) \
        if (~whole).any() else pos.copy()
    if whole.any():
        out[:, joint[whole], :] = zero_lag_filter(sos, pos[:, joint[whole], :])
    return out, done, int(joint.size)


def _active_window(pos: FloatArray, length: int) -> int:
    """Start frame of the ``length``-frame window with the most movement."""
    n_frames = pos.shape[0]
    if length >= n_frames:
        return 0
    every = 4  # movement sampled at every 4th frame: plenty to place a window
    step = np.abs(np.diff(pos[::every], axis=0)).sum(axis=(1, 2))
    speed = np.zeros(n_frames - 1)
    coarse = np.repeat(np.where(np.isfinite(step), step, 0.0), every)[: n_frames - 1]
    speed[: coarse.size] = coarse
    csum = np.concatenate(([0.0], np.cumsum(speed)))
    moving = csum[length - 1:] - csum[: n_frames - length + 1]
    return int(np.argmax(moving))


def residual_cutoff(x: FloatArray, fps: float, order: int = 4) -> tuple[float, int]:
    """Winter's residual analysis on the columns of ``x`` (N, C), all finite.

    Candidate cutoffs run from 1 Hz to 0.4 x Nyquist; the noise line is fitted
    to the residuals at 0.45-0.9 x Nyquist. Returns the median of the
    per-channel cutoffs (Hz) and the number of channels used. A channel whose
    residual never falls to the noise intercept counts as the top candidate.
    """
    nyq = fps / 2
    step = 1.0 if nyq >= 20 else 0.25
    low = np.arange(1.0, NYQUIST_CAP * nyq + step / 2, step)
    tail = np.linspace(0.45 * nyq, 0.9 * nyq, 8)
    x = x[:, np.ptp(x, axis=0) > 0]
    if x.shape[1] == 0 or low.size < 2:
        raise PreprocessingError("residual analysis needs moving channels and fps above 5")
    freqs = np.concatenate((low, tail))
    resid = np.empty((freqs.size, x.shape[1]))
    for k, f in enumerate(freqs):
        sos = butterworth_sos(float(f), fps, order)
        resid[k] = np.sqrt(np.mean((x - zero_lag_filter(sos, x)) ** 2, axis=0))
    intercept = np.polyfit(tail, resid[low.size:], 1)[1]
    below = resid[: low.size] <= intercept[None, :]
    first = np.argmax(below, axis=0)
    cut = np.full(x.shape[1], low[-1])
    cut[below[0]] = low[0]
    cols = np.flatnonzero(below.any(axis=0) & (first > 0))
    k = first[cols]
    r0, r1 = resid[k - 1, cols], resid[k, cols]
    frac = np.divide(r0 - intercept[cols], r0 - r1, out=np.ones_like(r0), where=r0 > r1)
    cut[cols] = low[k - 1] + np.clip(frac, 0.0, 1.0) * step
    return float(np.median(cut)), int(x.shape[1])


def _auto_cutoff(motion: MotionSequence, order: int,
                 target_fps: float | None) -> tuple[float, dict[str, Detail]]:
    fps = motion.fps
    cap = NYQUIST_CAP * min(fps, target_fps or fps) / 2
    lo, hi = AUTO_CUTOFF_RANGE_HZ
    length = min(motion.n_frames, round(RESIDUAL_WINDOW_S * fps))
    start = _active_window(motion.positions, length)
    window = motion.positions[start:start + length].reshape(length, -1)
    cols = np.isfinite(window).all(axis=0)
    details: dict[str, Detail] = {"cap_hz": round(cap, 3), "clamp_hz": f"{lo:g}-{hi:g}"}
    if cols.sum() == 0 or length <= 4 * 3 * (2 * math.ceil(order / 2) + 1) or fps <= 10:
        fc = min(lo, cap)
        details.update(method="default: too little complete data or too low a frame rate "
                              "for residual analysis")
        return fc, details
    suggested, n_ch = residual_cutoff(window[:, cols], fps, order)
    fc = min(min(max(suggested, lo), hi), cap)
    details.update(method="residual analysis (Winter)", residual_suggestion_hz=round(suggested, 3),
                   residual_channels=n_ch, residual_window_start_frame=start,
                   residual_window_frames=length)
    return fc, details


def lowpass_filter(motion: MotionSequence, cutoff_hz: float | None = None, order: int = 4, *,
                   target_fps: float | None = None) -> tuple[MotionSequence, StepReport]:
    """Zero-lag Butterworth low-pass of every tracked run of every joint.

    Args:
        motion: the motion to filter.
        cutoff_hz: -3 dB frequency of the combined forward-backward filter;
            ``None`` picks it by residual analysis (see the module docstring).
        order: Butterworth order of each pass.
        target_fps: frame rate the motion will be resampled to; an automatic
            cutoff is capped for the lower of the two rates.
    """
    fps = motion.fps
    if cutoff_hz is None:
        fc, details = _auto_cutoff(motion, order, target_fps)
    else:
        fc, details = float(cutoff_hz), {"method": "given"}
    sos = butterworth_sos(fc, fps, order)
    out, done, runs = _filter_runs(motion.positions, sos)
    short = int((_tracked(motion.positions) & ~done).sum())
    details.update(cutoff_hz=round(fc, 3), order=order, passes=2, filtered_runs=runs,
                   unfiltered_short_run_samples=short, min_run_frames=_padlen(sos) + 1)
    note = f"low-pass {fc:.2f} Hz (Butterworth order {order}, zero lag)"
    return (motion.replace(positions=out, source=_with_note(motion, note)),
            StepReport(name="lowpass_filter", applied=True, details=details))


# --- gaps and resampling --------------------------------------------------------------


def _gap_table(motion: MotionSequence) -> tuple[IntArray, IntArray, IntArray]:
    """Every run of missing samples: joint index, start, stop (exclusive)."""
    return _run_table(~_tracked(motion.positions))


def find_gaps(motion: MotionSequence, min_s: float = 0.0) -> list[Gap]:
    """Runs of missing samples longer than ``min_s`` seconds, in joint then frame order."""
    joint, start, stop = _gap_table(motion)
    keep = (stop - start) / motion.fps > min_s + 1e-12
    return [Gap(joint=motion.joints[j], start_frame=int(a), end_frame=int(b) - 1,
                duration_s=(int(b) - int(a)) / motion.fps)
            for j, a, b in zip(joint[keep], start[keep], stop[keep], strict=True)]


def fill_gaps(motion: MotionSequence, max_gap_s: float = 0.1) -> tuple[MotionSequence, StepReport]:
    """Fill interior gaps up to ``max_gap_s`` long with PCHIP; flag the rest.

    A gap's length is its number of missing frames divided by fps. The
    interpolant is the piecewise cubic Hermite (PCHIP, shape-preserving: no
    overshoot) through the joint's tracked samples; it is local, so it is built
    only from the tracked samples next to each gap. Gaps at the start or end
    of the clip have no sample on one side and are left missing.
    """
    pos = motion.positions.copy()
    ok = _tracked(pos)
    n_frames = motion.n_frames
    max_frames = math.floor(max_gap_s * motion.fps + 1e-9)
    joint, start, stop = _gap_table(motion)
    edge = (start == 0) | (stop == n_frames)
    length = stop - start
    fill = ~edge & (length <= max_frames)
    long_ = ~edge & ~fill
    frames = np.arange(n_frames)
    for j in np.unique(joint[fill]):
        sel = fill & (joint == j)
        tracked = np.flatnonzero(ok[:, j])
        a = np.searchsorted(tracked, start[sel]) - 1  # tracked sample before each gap
        knots = tracked[np.unique(np.concatenate(
            (a, a + 1, np.maximum(a - 1, 0), np.minimum(a + 2, tracked.size - 1))))]
        where = np.concatenate([frames[b:e] for b, e in zip(start[sel], stop[sel], strict=True)])
        pos[where, j, :] = PchipInterpolator(knots, pos[knots, j, :], axis=0)(where)
    filled = int(length[fill].sum())
    details: dict[str, Detail] = {
        "filled_samples": filled, "filled_gaps": int(fill.sum()),
        "long_gaps_flagged": int(long_.sum()), "long_gap_samples": int(length[long_].sum()),
        "edge_gap_samples": int(length[edge].sum()), "max_gap_frames": max_frames,
        "max_gap_s": max_gap_s, "method": "PCHIP through the joint's tracked samples"}
    note = f"filled {filled} missing samples (gaps <= {max_gap_s:g} s, PCHIP)"
    new = motion.replace(positions=pos, source=_with_note(motion, note)) if filled else motion
    return new, StepReport(name="fill_gaps", applied=True, details=details)


def resample(motion: MotionSequence, fps: float) -> tuple[MotionSequence, StepReport]:
    """Resample to ``fps`` with a cubic spline through each tracked run.

    Output frame ``k`` is at ``k / fps`` seconds; the clip keeps its duration
    up to the last input frame. Output samples that fall inside a gap stay NaN.
    Confidence is taken from the nearest input frame. Low-pass before
    downsampling: this function does not.
    """
    if not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise PreprocessingError(f"resample fps must be in (0, {MAX_FPS:g}], got {fps!r}")
    if fps == motion.fps:
        return motion, _not_applied("resample", f"already at {fps:g} fps")
    n_in = motion.n_frames
    n_out = math.floor((n_in - 1) * fps / motion.fps + 1e-9) + 1
    if n_out < 2:
        raise PreprocessingError(f"resampling {n_in} frames to {fps:g} fps leaves {n_out} frame")
    u = np.arange(n_out) * (motion.fps / fps)
    u = np.minimum(u, n_in - 1)
    pos = motion.positions
    ok = _tracked(pos)
    out = np.full((n_out, motion.n_joints, motion.dim), np.nan)
    full = ok.all(axis=0)
    if full.any():
        out[:, full, :] = CubicSpline(np.arange(n_in), pos[:, full, :], axis=0)(u)
    for j in np.flatnonzero(~full):
        for s, e in _runs(ok[:, j]):
            sel = (u >= s) & (u <= e - 1)
            if e - s >= 2:
                out[sel, j, :] = CubicSpline(np.arange(s, e), pos[s:e, j, :], axis=0)(u[sel])
            else:
                out[sel, j, :] = pos[s, j, :]
    conf = None
    if motion.confidence is not None:
        conf = motion.confidence[np.rint(u).astype(np.intp)]
    note = f"resampled {motion.fps:g} -> {fps:g} fps (cubic spline)"
    new = motion.replace(positions=out, fps=fps, confidence=conf,
                         source=_with_note(motion, note))
    details: dict[str, Detail] = {"from_fps": motion.fps, "to_fps": fps, "frames_in": n_in,
                                  "frames_out": n_out, "method": "cubic spline per tracked run"}
    if fps < motion.fps:
        details["note"] = "downsampled: content above the new Nyquist must be filtered first"
    return new, StepReport(name="resample", applied=True, details=details)


# --- normalisation ----------------------------------------------------------------


def normalise_ground(motion: MotionSequence,
                     percentile: float = 5.0) -> tuple[MotionSequence, StepReport]:
    """Shift ``y`` so the standing foot level is 0.

    The ground is the ``percentile``-th percentile of the per-frame lowest foot
    point (heels, toes, ankles, foot indices).
    """
    name = "normalise_ground"
    feet = [i for i, j in enumerate(motion.joints) if _base(j) in FOOT_POINTS]
    if not feet:
        return motion, _not_applied(name, "no foot points (heel, toe, ankle) to define ground")
    y = motion.positions[:, feet, 1]
    seen = np.isfinite(y).any(axis=1)
    if not seen.any():
        return motion, _not_applied(name, "foot points are never tracked")
    lowest = np.min(np.where(np.isfinite(y[seen]), y[seen], np.inf), axis=1)
    ground = float(np.percentile(lowest, percentile))
    pos = motion.positions.copy()
    pos[..., 1] -= ground
    note = f"ground shifted by {-ground:+.4g} {motion.units}"
    details: dict[str, Detail] = {
        "ground_level_before": round(ground, 6), "shift": round(-ground, 6),
        "units": motion.units, "percentile": percentile,
        "points": ",".join(motion.joints[i] for i in feet)}
    return (motion.replace(positions=pos, source=_with_note(motion, note)),
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
        return motion, _not_applied(name, f"2D {motion.view} view: facing is defined for "
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
        return motion, _not_applied(name, "no toe/heel or nose/ear points to tell facing")
    mirror = float(np.median(d)) < 0
    pos = motion.positions.copy()
    if mirror:
        x = pos[..., 0]
        pos[..., 0] = np.nanmin(x) + np.nanmax(x) - x
    details: dict[str, Detail] = {"mirrored": int(mirror), "cue": cue}
    new = motion.replace(positions=pos, facing="+x",
                         source=_with_note(motion, "mirrored to face +x" if mirror
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
        return motion, _not_applied(name, "needs left/right hips or shoulders, tracked")
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
                         source=_with_note(motion, f"rotated {deg:+.1f} deg about +y to face +x"))
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
        return motion, _not_applied("scale_body", "needs hip, knee and ankle of one side")
    factor = reference_leg_length_m / measured
    pos = motion.positions * factor
    details: dict[str, Detail] = {"measured_leg_length": round(measured, 6),
                                  "measured_units": motion.units,
                                  "reference_leg_length_m": reference_leg_length_m,
                                  "factor": factor}
    if motion.units == "px":
        details["note"] = "pixels converted to metres assuming the legs lie in the image plane"
    note = f"scaled x{factor:.4g} to a {reference_leg_length_m:g} m leg"
    return (motion.replace(positions=pos, units="m", source=_with_note(motion, note)),
            StepReport(name="scale_body", applied=True, details=details))


# --- left/right swaps -------------------------------------------------------------


def _fill_nearest(pos: FloatArray) -> FloatArray:
    """Carry the last tracked sample forward (and the first one back) per joint."""
    ok = _tracked(pos)
    n_frames = pos.shape[0]
    idx = np.where(ok, np.arange(n_frames)[:, None], -1)
    fwd = np.maximum.accumulate(idx, axis=0)
    idx_b = np.where(ok, np.arange(n_frames)[:, None], n_frames)
    bwd = np.minimum.accumulate(idx_b[::-1], axis=0)[::-1]
    src = np.where(fwd >= 0, fwd, bwd)
    src = np.where(src >= n_frames, 0, src)
    cols = np.arange(pos.shape[1])[None, :]
    filled: FloatArray = pos[src, cols, :]
    return filled


def body_size(motion: MotionSequence) -> float:
    """Median per-frame bounding-box diagonal of all joints (data units)."""
    pos = motion.positions
    ok = _tracked(pos)
    seen = ok.any(axis=1)
    if not seen.any():
        return 0.0
    p = pos[seen]
    lo = np.min(np.where(np.isfinite(p), p, np.inf), axis=1)
    hi = np.max(np.where(np.isfinite(p), p, -np.inf), axis=1)
    return float(np.median(np.linalg.norm(hi - lo, axis=1)))


def _group_costs(a: FloatArray, b: FloatArray, li: IntArray,
                 ri: IntArray) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Per-pair distances of frames ``a`` to references ``b``: kept, swapped, valid."""
    keep = (np.linalg.norm(a[:, li] - b[:, li], axis=2)
            + np.linalg.norm(a[:, ri] - b[:, ri], axis=2))
    swap = (np.linalg.norm(a[:, ri] - b[:, li], axis=2)
            + np.linalg.norm(a[:, li] - b[:, ri], axis=2))
    valid = np.isfinite(keep) & np.isfinite(swap)
    return keep, swap, valid


def _swap_hits(keep: FloatArray, swap: FloatArray, valid: BoolArray, ratio: float,
               margin: float) -> BoolArray:
    """Frames whose group is much closer to the reference when swapped."""
    n = valid.sum(axis=1)
    k = np.where(valid, keep, 0.0).sum(axis=1) / np.maximum(n, 1)
    s = np.where(valid, swap, 0.0).sum(axis=1) / np.maximum(n, 1)
    hit: BoolArray = (n > 0) & (s < ratio * k) & (k - s > margin)
    return hit


def repair_left_right_swaps(motion: MotionSequence, *, window_s: float = SWAP_WINDOW_S,
                            ratio: float = 0.5,
                            min_margin: float = 0.03) -> tuple[MotionSequence, StepReport]:
    """Detect frames whose left/right labels are swapped, per limb group, and fix them.

    Frames are first screened cheaply: a swap starts or ends where a group
    matches the previous frame better crossed than straight. Around those
    frames only, each frame is compared with the running median of its
    ``window_s`` neighbourhood, and relabelled when swapping the group's
    left/right points brings them closer to that reference than keeping them,
    by a large margin (see the module docstring).

    Args:
        motion: the motion (typically markerless keypoints).
        window_s: width of the running-median reference.
        ratio: swapped distance must be below ``ratio`` x the kept distance.
        min_margin: and smaller by at least this fraction of :func:`body_size`.
    """
    name = "repair_left_right_swaps"
    pairs = _lr_pairs(motion.joints)
    if not pairs:
        return motion, _not_applied(name, "no left_/right_ joint pairs")
    pos = motion.positions
    n_frames = motion.n_frames
    half = max(2, round(window_s * motion.fps / 2))
    margin = 2 * min_margin * body_size(motion)  # costs add two distances per pair
    li = np.array([p[0] for p in pairs])
    ri = np.array([p[1] for p in pairs])
    groups = np.array([_group(p[2]) for p in pairs])
    held = _fill_nearest(pos)
    step_keep, step_swap, step_valid = _group_costs(held[1:], held[:-1], li, ri)
    out = pos.copy()
    conf = None if motion.confidence is None else motion.confidence.copy()
    any_swapped = np.zeros(n_frames, dtype=bool)
    details: dict[str, Detail] = {}
    offsets = np.arange(-half, half + 1)
    for g in ("legs", "arms", "head"):
        cols = groups == g
        if not cols.any():
            continue
        events = 1 + np.flatnonzero(_swap_hits(step_keep[:, cols], step_swap[:, cols],
                                               step_valid[:, cols], 0.75, margin / 2))
        hit = np.zeros(n_frames, dtype=bool)
        if events.size:
            cand = np.unique(np.clip(events[:, None] + offsets[None, :], 0, n_frames - 1))
            win = np.clip(cand[:, None] + offsets[None, :], 0, n_frames - 1)
            ref = np.median(held[win], axis=1)
            keep, swap, valid = _group_costs(pos[cand], ref, li[cols], ri[cols])
            hit[cand] = _swap_hits(keep, swap, valid, ratio, margin)
        details[f"{g}_frames"] = int(hit.sum())
        if hit.any():
            lg, rg = li[cols], ri[cols]
            frames = np.flatnonzero(hit)[:, None]
            out[frames, lg], out[frames, rg] = pos[frames, rg], pos[frames, lg]
            if conf is not None and motion.confidence is not None:
                conf[frames, lg] = motion.confidence[frames, rg]
                conf[frames, rg] = motion.confidence[frames, lg]
        any_swapped |= hit
    count = int(any_swapped.sum())
    details.update(swaps_repaired=count, window_frames=2 * half + 1,
                   margin=round(margin, 6), pairs=len(pairs))
    if not count:
        return motion, StepReport(name=name, applied=True, details=details)
    new = motion.replace(positions=out, confidence=conf,
                         source=_with_note(motion, f"repaired left/right swaps in {count} frames"))
    return new, StepReport(name=name, applied=True, details=details)


# --- quality ----------------------------------------------------------------------


def jitter(motion: MotionSequence) -> float | None:
    """RMS second difference of the high-frequency residual, / sqrt(6), in mm or px.

    The residual is the data minus a zero-phase FIR low-pass at
    :data:`JITTER_CUTOFF_HZ` (capped at 0.4 x Nyquist; Hamming-windowed sinc
    about 3 cutoff periods long). An FIR touches only its own window, so every
    sample whose window is fully tracked counts and gaps need no special
    handling. For white noise of standard deviation s the value is close to s.
    ``None`` when no window is fully tracked.
    """
    fc = min(JITTER_CUTOFF_HZ, NYQUIST_CAP * motion.fps / 2)
    half = max(2, math.ceil(1.5 * motion.fps / fc))
    if motion.n_frames < 2 * half + 3:
        return None
    # second difference of (identity - low-pass), as one kernel
    highpass = -firwin(2 * half + 1, fc, fs=motion.fps)
    highpass[half] += 1.0
    kernel = np.convolve(highpass, [1.0, -2.0, 1.0])
    d2 = convolve1d(motion.positions, kernel, axis=0, mode="nearest")
    inner = d2[half + 1:-(half + 1)]
    vals = inner[np.isfinite(inner)]
    if vals.size == 0:
        return None
    scale, _ = _unit_scale(motion.units)
    return float(np.sqrt(np.mean(vals**2)) / math.sqrt(6.0) * scale)


def _views(motion: MotionSequence) -> list[Literal["3d", "sagittal", "frontal"]]:
    if motion.dim == 3:
        return ["3d", "sagittal", "frontal"]
    if motion.view == "sagittal":
        return ["sagittal"]
    if motion.view == "frontal":
        return ["frontal"]
    return []


def quality_summary(motion: MotionSequence, *, swaps_repaired: int = 0,
                    max_gap_s: float = 0.1) -> QualityReport:
    """Missing data, gaps, jitter, usable views and plain-language warnings."""
    ok = _tracked(motion.positions)
    by_joint = {j: round(100.0 * float((~ok[:, i]).mean()), 3)
                for i, j in enumerate(motion.joints)}
    joint, start, stop = _gap_table(motion)
    k = int(np.argmax(stop - start)) if joint.size else -1
    longest_s = float(stop[k] - start[k]) / motion.fps if k >= 0 else 0.0
    longest_joint = motion.joints[joint[k]] if k >= 0 else None
    long_gaps = find_gaps(motion, max_gap_s)
    jit = jitter(motion) if motion.n_frames > 1 else None
    warnings = []
    for j, pct in by_joint.items():
        if pct >= 100:
            warnings.append(f"{j} is never tracked")
        elif pct >= 5:
            warnings.append(f"{pct:.0f}% of {j} samples missing")
    if long_gaps:
        warnings.append(f"{len(long_gaps)} gap(s) longer than {max_gap_s:g} s stay missing "
                        f"(longest {longest_s:.2f} s in {longest_joint})")
    if motion.fps < 100:
        warnings.append(f"frame rate {motion.fps:g} Hz: takeoff/landing timing is "
                        f"±{500 / motion.fps:.0f} ms")
    if swaps_repaired:
        warnings.append(f"left/right labels were swapped in {swaps_repaired} frame(s) "
                        "and repaired")
    if motion.dim == 2:
        warnings.append(f"2D {motion.view} data: only the angles in that plane can be measured"
                        if motion.view != "unknown" else
                        "2D data from an unknown view: no anatomical plane can be assumed")
    if jit is None:
        warnings.append("no tracked run is long enough to measure jitter")
    scale_name = "mm" if motion.units == "m" else "px"
    return QualityReport(
        n_frames=motion.n_frames, fps=motion.fps, duration_s=motion.duration_s,
        units=motion.units, missing_pct=round(100.0 * motion.missing_fraction(), 3),
        missing_pct_by_joint=by_joint,
        longest_gap_s=longest_s, longest_gap_joint=longest_joint, long_gaps=long_gaps,
        swaps_repaired=swaps_repaired,
        jitter_mm=jit if scale_name == "mm" else None,
        jitter_px=jit if scale_name == "px" else None,
        usable_views=_views(motion), warnings=warnings)


# --- pipeline ---------------------------------------------------------------------


def _markerless(motion: MotionSequence) -> bool:
    return (motion.dim == 2 or motion.confidence is not None
            or motion.source.format in MARKERLESS_FORMATS)


def preprocess(motion: MotionSequence,
               config: PreprocessConfig | None = None) -> tuple[MotionSequence, PreprocessReport]:
    """Run the configured steps in order; never mutates ``motion``.

    Raises:
        PreprocessingError: fewer than ``config.min_frames`` frames, no tracked
            sample at all, or a step that cannot run with the given settings.
    """
    cfg = config or PreprocessConfig()
    if motion.n_frames < cfg.min_frames:
        raise PreprocessingError(f"the motion has {motion.n_frames} frames; preprocessing "
                                 f"needs at least {cfg.min_frames}")
    if not _tracked(motion.positions).any():
        raise PreprocessingError("the motion has no tracked sample (all positions are NaN)")
    steps: list[StepReport] = []
    m = motion
    do_swaps = _markerless(motion) if cfg.repair_swaps is None else cfg.repair_swaps
    swaps = 0
    if do_swaps:
        m, rep = repair_left_right_swaps(m)
        swaps = int(rep.details["swaps_repaired"])
    else:
        why = "switched off" if cfg.repair_swaps is False else "not a markerless source"
        rep = _not_applied("repair_left_right_swaps", why)
    steps.append(rep)
    switchable: list[tuple[str, bool, Callable[[MotionSequence], tuple[MotionSequence,
                                                                         StepReport]]]] = [
        ("fill_gaps", cfg.fill_gaps, lambda x: fill_gaps(x, cfg.max_gap_s)),
        ("lowpass_filter", cfg.lowpass,
         lambda x: lowpass_filter(x, cfg.cutoff_hz, cfg.filter_order,
                                  target_fps=cfg.resample_fps)),
        ("resample", cfg.resample_fps is not None,
         lambda x: resample(x, cfg.resample_fps or x.fps)),
        ("normalise_ground", cfg.normalise_ground,
         lambda x: normalise_ground(x, cfg.ground_percentile)),
        ("normalise_facing", cfg.normalise_facing, normalise_facing),
        ("scale_body", cfg.scale_body, lambda x: scale_body(x, cfg.reference_leg_length_m)),
    ]
    for name, enabled, step in switchable:
        if enabled:
            m, rep = step(m)
        else:
            rep = _not_applied(name, "switched off")
        steps.append(rep)
    quality = quality_summary(motion, swaps_repaired=swaps, max_gap_s=cfg.max_gap_s)
    return m, PreprocessReport(steps=steps, quality=quality, config=cfg)


__all__ = [
    "AUTO_CUTOFF_RANGE_HZ", "Gap", "PreprocessConfig", "PreprocessReport", "QualityReport",
    "StepReport", "body_size", "butterworth_sos", "fill_gaps", "find_gaps", "jitter",
    "leg_length", "lowpass_filter", "normalise_facing", "normalise_ground",
    "normalise_orientation", "preprocess", "quality_summary", "repair_left_right_swaps",
    "resample", "residual_cutoff", "scale_body",
]
