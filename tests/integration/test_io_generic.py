"""The generic .npz reader on the real CMU position archives (synthetic files: tests/unit)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.io.generic import read_npz
from sportsgpt.tools.skeleton import CMU_ASF_TO_CANONICAL

CMU_TRIALS = (
    "16_01", "16_02", "16_03", "16_04", "16_05", "16_06", "16_07", "16_09", "16_10",
    "118_01", "118_02", "118_04", "118_05", "118_07", "118_08", "118_10", "118_11", "118_13",
    "118_14", "118_16", "118_17", "118_19", "118_20", "118_22", "118_23", "118_25", "118_26",
    "118_28", "118_29",
)


@pytest.mark.integration
@pytest.mark.parametrize("trial", CMU_TRIALS, ids=CMU_TRIALS)
def test_cmu_positions_npz(cmu_dir: Path, trial: str) -> None:
    path = cmu_dir / "positions_npz" / f"{trial}.npz"
    if not path.exists():
        pytest.skip(f"{path.name} is not in this copy of the data set")
    with (cmu_dir / "index.csv").open() as fh:
        index = {row["trial"]: row for row in csv.DictReader(fh)}
    motion = read_npz(path)
    raw = np.load(path, allow_pickle=False)
    names = [str(n) for n in raw["joint_names"]]
    assert motion.fps == 120.0 and motion.units == "m" and motion.view == "3d"
    assert motion.n_frames == int(index[trial]["frames"])
    assert set(motion.joints) == set(CMU_ASF_TO_CANONICAL)
    assert len(motion.source.original_joint_names) == 31
    np.testing.assert_allclose(motion.joint("left_knee"),
                               raw["positions"][:, names.index("lfemur")].astype(np.float64))
    stand = float(np.median(motion.joint("pelvis")[:20, 1]))
    assert stand == pytest.approx(float(index[trial]["pelvis_stand_m"]), abs=0.005)
    toes = motion.positions[:20, [motion.index("left_toe"), motion.index("right_toe")], 1]
    assert -0.05 < float(np.median(toes)) < 0.15  # feet on the floor, Y up
