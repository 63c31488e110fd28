"""Resampling to another frame rate.

**Resampling**: cubic spline per tracked run (no samples are made inside
gaps). Downsampling does not low-pass on its own; :func:`preprocess` filters
first with a cutoff capped for the output rate.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.interpolate import CubicSpline

from sportsgpt.core.errors import PreprocessingError
from sportsgpt.tools.motion import MAX_FPS, MotionSequence
from sportsgpt.tools.preprocess.common import (
    BoolArray,
    Detail,
    StepReport,
    not_applied,
    tracked_mask,
    with_note,
)


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    """``(start, stop)`` (stop exclusive) of each run of True in a 1-D mask."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(int(s), int(e)) for s, e in zip(edges[0::2], edges[1::2], strict=True)]


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
        return motion, not_applied("resample", f"already at {fps:g} fps")
    n_in = motion.n_frames
    n_out = math.floor((n_in - 1) * fps / motion.fps + 1e-9) + 1
    if n_out < 2:
        raise PreprocessingError(f"resampling {n_in} frames to {fps:g} fps leaves {n_out} frame")
    u = np.arange(n_out) * (motion.fps / fps)
    u = np.minimum(u, n_in - 1)
    pos = motion.positions
    ok = tracked_mask(pos)
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
                         source=with_note(motion, note))
    details: dict[str, Detail] = {"from_fps": motion.fps, "to_fps": fps, "frames_in": n_in,
                                  "frames_out": n_out, "method": "cubic spline per tracked run"}
    if fps < motion.fps:
        details["note"] = "downsampled: content above the new Nyquist must be filtered first"
    return new, StepReport(name="resample", applied=True, details=details)
