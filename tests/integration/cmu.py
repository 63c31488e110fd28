"""CMU jump trials from their ``positions_npz`` copies (no ASF/AMC parsing in the way)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

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
