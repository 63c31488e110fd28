"""Shared fixtures. Tests are offline and deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.tools.datasets import data_home


def _dataset(name: str) -> Path:
    try:
        return data_home(name)
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


@pytest.fixture(scope="session")
def cmu_dir() -> Path:
    """Folder of the CMU jump trials (ASF/AMC + positions_npz)."""
    return _dataset("cmu-mocap-jumps")


@pytest.fixture(scope="session")
def uiprmd_dir() -> Path:
    """Folder of the UI-PRMD Vicon subset."""
    return _dataset("ui-prmd")


@pytest.fixture(scope="session")
def opencap_dir() -> Path:
    """Folder of the OpenCap .mot samples."""
    return _dataset("opencap-samples")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test that draws numbers is reproducible."""
    return np.random.default_rng(20261125)
