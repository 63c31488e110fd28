"""The data-set loaders on the real shared files (the search order: tests/unit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.tools import datasets


@pytest.mark.integration
def test_loaders_read_real_files(cmu_dir: Path, uiprmd_dir: Path, opencap_dir: Path) -> None:
    jump = datasets.load_cmu_trial("16_01")
    assert jump.fps == 120.0 and jump.has("pelvis", "left_knee")
    squat = datasets.load_ui_prmd("deep_squat", subject=1, episode=1)
    assert squat.has("left_hip", "right_knee")
    inc = datasets.load_ui_prmd("deep_squat", subject=1, episode=1, correct=False)
    assert inc.source.path != squat.source.path
    mot = datasets.load_opencap_sample("jump2")
    assert mot.fps == pytest.approx(240.0)
