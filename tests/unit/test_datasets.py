from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.core.settings import Settings
from sportsgpt.tools import datasets


def test_env_var_is_authoritative(tmp_path: Path) -> None:
    (tmp_path / "ui-prmd").mkdir()
    s = Settings.from_env({"SPORTSGPT_DATA": str(tmp_path), "SPORTSGPT_CACHE": str(tmp_path)})
    assert datasets.data_home("ui-prmd", s) == tmp_path / "ui-prmd"
    with pytest.raises(DatasetNotFoundError, match=r"mocap\.cs\.cmu\.edu") as info:
        datasets.data_home("cmu-mocap-jumps", s)
    assert "$SPORTSGPT_DATA" in str(info.value)


def test_user_cache_is_searched_before_shared(tmp_path: Path) -> None:
    (tmp_path / "data" / "opencap-samples").mkdir(parents=True)
    s = Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path)})
    assert datasets.data_home("opencap-samples", s) == tmp_path / "data" / "opencap-samples"


def test_unknown_dataset() -> None:
    with pytest.raises(DatasetNotFoundError, match="unknown data set"):
        datasets.data_home("nope")


def test_shared_data_found_from_checkout(cmu_dir: Path) -> None:
    assert (cmu_dir / "16.asf").is_file()
    trials = datasets.list_cmu_trials()
    assert "16_01" in trials and "118_29" in trials
    with pytest.raises(DatasetNotFoundError, match="99_99"):
        datasets.cmu_trial_path("99_99")
