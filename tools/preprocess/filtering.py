"""Zero-lag Butterworth low-pass, with the cutoff chosen by residual analysis if not given.

**Low-pass.** Butterworth, ``filter_order`` per pass, run forward and
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

**Automatic cutoff** (``cutoff_hz=None``): Winter's residual analysis
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
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi

from sportsgpt.core.errors import PreprocessingError
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.preprocess.common import (
    BoolArray,
    Detail,
    IntArray,
    StepReport,
    run_table,
    tracked_mask,
    with_note,
)

AUTO_CUTOFF_RANGE_HZ: tuple[float, float] = (6.0, 12.0)
"""Clamp for the automatic (residual-analysis) cutoff, in Hz."""

NYQUIST_CAP = 0.4
"""An automatic cutoff never exceeds this fraction of the Nyquist frequency."""

RESIDUAL_WINDOW_S = 10.0
"""Longest stretch of the clip the residual analysis looks at, in seconds."""


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


def _filter_runs(pos: FloatArray, sos: FloatArray,
                 min_frames: int = 0) -> tuple[FloatArray, BoolArray, int]:
    """Filter each tracked run of each joint separately.

    Returns the filtered positions, the (T, J) mask of samples that were
    filtered and the number of runs filtered. Runs not longer than the padding
    (or shorter than ``min_frames``) are copied unfiltered.
    """
    ok = tracked_mask(pos)
    joint, start, stop = run_table(ok)
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
    short = int((tracked_mask(motion.positions) & ~done).sum())
    details.update(cutoff_hz=round(fc, 3), order=order, passes=2, filtered_runs=runs,
                   unfiltered_short_run_samples=short, min_run_frames=_padlen(sos) + 1)
    note = f"low-pass {fc:.2f} Hz (Butterworth order {order}, zero lag)"
    return (motion.replace(positions=out, source=with_note(motion, note)),
            StepReport(name="lowpass_filter", applied=True, details=details))
