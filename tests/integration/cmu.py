"""CMU jump trials: their ``positions_npz`` copies, and the trial list for ``parametrize``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.tools.datasets import list_cmu_trials
from sportsgpt.tools.io._common import map_to_canonical
from sportsgpt.tools.motion import MotionSequence, SourceInfo
from sportsgpt.tools.skeleton import CMU_ASF_TO_CANONICAL


def cmu_motion(cmu_dir: Path, trial: str) -> MotionSequence:
    """Canonical joints of one CMU trial (``"16_01"``...) at the frame rate its file states."""
    with np.load(cmu_dir / "positions_npz" / f"{trial}.npz") as data:
        raw = data["positions"].astype(np.float64)
        names = [str(n) for n in data["joint_names"]]
        fps = float(data["fps"])
    pos, joints, _ = map_to_canonical(raw, names, CMU_ASF_TO_CANONICAL)
    return MotionSequence(positions=pos, joints=joints, fps=fps,
                          source=SourceInfo(format="npz", path=trial))


def cmu_trial_params() -> list[Any]:
    """Every CMU trial in the data home as a ``pytest.param``, for ``parametrize``.

    Parametrizing runs at collection, before any fixture can skip: without the data set
    this is one skipped case that says why, so the module still collects.
    """
    try:
        trials = list_cmu_trials()
    except DatasetNotFoundError as exc:
        skip = pytest.mark.skip(reason=f"shared data set not available: {exc}")
        return [pytest.param(None, id="no-data", marks=skip)]
    return [pytest.param(t, id=t) for t in trials]
