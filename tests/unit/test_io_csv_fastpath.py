"""The generic CSV reader's C fast path must read exactly what the careful path reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.tools.io import generic


def _write(path: Path, rng: np.random.Generator, *, time: bool, delim: str) -> None:
    joints = ["pelvis", "left_knee", "right_knee"]
    header = (["time"] if time else []) + [f"{j}_{a}" for j in joints for a in "xyz"]
    rows = [delim.join(header)]
    for i, row in enumerate(rng.normal(size=(50, 9))):
        cells = ([f"{i / 100:.6f}"] if time else []) + [f"{v:.9f}" for v in row]
        rows.append(delim.join(cells))
    path.write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize(("time", "delim"), [(True, ","), (False, ";"), (True, "\t")],
                         ids=["time-comma", "no-time-semicolon", "time-tab"])
def test_fast_and_careful_paths_agree(tmp_path: Path, rng: np.random.Generator,
                                      monkeypatch: pytest.MonkeyPatch, time: bool,
                                      delim: str) -> None:
    path = tmp_path / "m.csv"
    _write(path, rng, time=time, delim=delim)
    fps = None if time else 100.0
    fast = generic.read_csv(path, fps=fps)
    monkeypatch.setattr(generic, "_fast_body", lambda *a, **k: None)
    careful = generic.read_csv(path, fps=fps)
    np.testing.assert_array_equal(fast.positions, careful.positions)
    assert fast.joints == careful.joints and fast.fps == careful.fps


def test_empty_cells_fall_back_to_nan(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("time,pelvis_x,pelvis_y,pelvis_z\n0,1,2,3\n0.01,,2,3\n0.02,1,2,3\n")
    m = generic.read_csv(path)
    assert np.isnan(m.positions[1, 0, 0])
    assert np.isfinite(m.positions[[0, 2]]).all()
