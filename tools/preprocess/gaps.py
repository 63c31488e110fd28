"""Gap filling: interior gaps up to ``max_gap_s`` filled with PCHIP, the rest reported.

**Gaps.** A run of missing samples (a joint is missing in a frame when any
of its coordinates is NaN) no longer than ``max_gap_s`` that has tracked
samples on both sides is filled with PCHIP (shape-preserving piecewise cubic
Hermite, no overshoot) through the tracked samples of that joint. Longer
gaps and gaps touching the start or end of the clip are never invented: they
stay NaN and are reported.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel
from scipy.interpolate import PchipInterpolator

from sportsgpt.tools.motion import MotionSequence
from sportsgpt.tools.preprocess.common import (
    Detail,
    IntArray,
    StepReport,
    run_table,
    tracked_mask,
    with_note,
)


class Gap(BaseModel):
    """A run of missing samples of one joint; frames inclusive."""

    joint: str
    start_frame: int
    end_frame: int
    duration_s: float


def gap_table(motion: MotionSequence) -> tuple[IntArray, IntArray, IntArray]:
    """Every run of missing samples: joint index, start, stop (exclusive)."""
    return run_table(~tracked_mask(motion.positions))


def find_gaps(motion: MotionSequence, min_s: float = 0.0) -> list[Gap]:
    """Runs of missing samples longer than ``min_s`` seconds, in joint then frame order."""
    joint, start, stop = gap_table(motion)
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
    ok = tracked_mask(pos)
    n_frames = motion.n_frames
    max_frames = math.floor(max_gap_s * motion.fps + 1e-9)
    joint, start, stop = gap_table(motion)
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
    new = motion.replace(positions=pos, source=with_note(motion, note)) if filled else motion
    return new, StepReport(name="fill_gaps", applied=True, details=details)
