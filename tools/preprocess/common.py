"""Pieces every preprocessing stage shares: the step report, tracked-sample masks, runs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from sportsgpt.tools.motion import FloatArray, MotionSequence, SourceInfo

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Detail = float | int | str


class StepReport(BaseModel):
    """What one preprocessing step did (or why it did not run)."""

    name: str
    applied: bool
    details: dict[str, Detail] = Field(default_factory=dict)


def tracked_mask(pos: FloatArray) -> BoolArray:
    """(T, J) mask of samples whose every coordinate is finite."""
    total = pos[..., 0].copy()  # positions hold no inf: NaN marks missing
    for k in range(1, pos.shape[2]):
        total += pos[..., k]  # elementwise adds: much faster than sum over a length-3 axis
    mask: BoolArray = np.isfinite(total)
    return mask


def run_table(mask: BoolArray) -> tuple[IntArray, IntArray, IntArray]:
    """Runs of True in each column of a (T, J) mask: joint, start, stop (exclusive).

    Ordered by joint, then frame.
    """
    padded = np.zeros((mask.shape[0] + 2, mask.shape[1]), dtype=np.int8)
    padded[1:-1] = mask
    step = np.diff(padded, axis=0).T
    joint, start = np.nonzero(step == 1)
    _, stop = np.nonzero(step == -1)
    return joint.astype(np.intp), start.astype(np.intp), stop.astype(np.intp)


def base_name(joint: str) -> str:
    """The joint name without its ``left_``/``right_`` prefix."""
    return joint.removeprefix("left_").removeprefix("right_")


def not_applied(name: str, reason: str) -> StepReport:
    """The report of a step that did not run, and why."""
    return StepReport(name=name, applied=False, details={"reason": reason})


def with_note(motion: MotionSequence, note: str) -> SourceInfo:
    """The motion's SourceInfo with one more note."""
    return motion.source.model_copy(update={"notes": (*motion.source.notes, note)})
