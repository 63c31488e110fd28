"""UI-PRMD Vicon CSV reader on the real files of subject s01 (synthetic cases: tests/unit)."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.io import detect_format, read_motion
from sportsgpt.tools.io._common import read_head
from sportsgpt.tools.io.vicon_csv import read, sniff
from sportsgpt.tools.markers import PLUG_IN_GAIT_39
from sportsgpt.tools.motion import MotionSequence
from sportsgpt.tools.skeleton import CANONICAL_JOINTS

CASES = [(mv, kind, ep) for mv in ("m01", "m03") for kind in ("correct", "incorrect")
         for ep in range(1, 11)]


def _path(uiprmd_dir: Path, mv: str, kind: str, ep: int, subject: str = "s01") -> Path:
    folder = "Segmented Movements" if kind == "correct" else "Incorrect Segmented Movements"
    suffix = "" if kind == "correct" else "_inc"
    return (uiprmd_dir / folder / "Vicon" / "Positions"
            / f"{mv}_{subject}_e{ep:02d}_positions{suffix}.txt.gz")


@pytest.mark.integration
@pytest.mark.parametrize(("mv", "kind", "ep"), CASES,
                         ids=[f"{mv}-{kind}-e{ep:02d}" for mv, kind, ep in CASES])
def test_reads_every_s01_file(uiprmd_dir: Path, mv: str, kind: str, ep: int) -> None:
    path = _path(uiprmd_dir, mv, kind, ep)
    with gzip.open(path, "rt") as fh:
        n_rows = sum(1 for line in fh if line.strip())
    m = read(path)
    assert m.positions.shape == (n_rows, len(CANONICAL_JOINTS), 3)
    assert m.joints == CANONICAL_JOINTS
    assert m.fps == 100.0
    assert (m.source.format, m.source.original_units, m.source.original_up_axis) == (
        "ui-prmd", "mm", "z")
    assert any("no timestamps" in n for n in m.source.notes)
    # Vicon gaps (e.g. RBHD in m03_s01_e01) leave some joints all-NaN: compare the others.
    # (knee vs ankle is not ordered: the rear knee nears the floor in an inline lunge).
    chain = ["head", "thorax", "pelvis", "left_ankle"]
    heights = [np.nanmedian(col) for j in chain
               if np.isfinite(col := m.positions[:, m.index(j), 1]).any()]
    assert len(heights) >= 3
    assert all(a > b for a, b in itertools.pairwise(heights))
    assert 0.6 < np.nanmax(m.positions[:, m.index("pelvis"), 1]) < 1.3  # hip height


@pytest.mark.integration
@pytest.mark.parametrize("ep", range(1, 11), ids=[f"e{ep:02d}" for ep in range(1, 11)])
def test_correct_deep_squat_pelvis_drop(uiprmd_dir: Path, ep: int) -> None:
    m = read(_path(uiprmd_dir, "m01", "correct", ep))
    drop = np.ptp(m.positions[:, m.index("pelvis"), 1])
    assert 0.3 <= drop <= 0.6


@pytest.mark.integration
def test_keep_markers_units_and_axes(uiprmd_dir: Path) -> None:
    path = _path(uiprmd_dir, "m01", "correct", 1)
    m = read(path, keep_markers=True)
    assert m.n_joints == len(CANONICAL_JOINTS) + 39
    assert m.joints[-39:] == tuple(f"marker:{n}" for n in PLUG_IN_GAIT_39)
    with gzip.open(path, "rt") as fh:
        first = np.array(fh.readline().split(","), dtype=float)
    x, y, z = first[0:3] / 1000.0  # LFHD, mm, Z up
    np.testing.assert_allclose(m.positions[0, m.index("marker:LFHD")], [x, z, -y])


@pytest.mark.integration
def test_vicon_zero_gaps_become_nan(uiprmd_dir: Path) -> None:
    m = read(_path(uiprmd_dir, "m03", "correct", 3), keep_markers=True)  # LTOE has gaps
    toe = m.positions[:, m.index("marker:LTOE")]
    assert np.isnan(toe).any()
    assert not (toe == 0).all(axis=1).any()
    assert m.source.extra["marker_gaps"] > 0
    assert any("Vicon gaps" in n and "LTOE" in n for n in m.source.notes)


@pytest.mark.integration
def test_registry_detects_and_reads(uiprmd_dir: Path) -> None:
    path = _path(uiprmd_dir, "m03", "incorrect", 2)
    assert detect_format(path).name == "ui-prmd"
    assert sniff(read_head(path))
    m = read_motion(path, fps=120.0)
    assert isinstance(m, MotionSequence)
    assert m.fps == 120.0
    assert any("fps=120 Hz as given" in n for n in m.source.notes)
