"""Shared fixtures. Tests are offline and deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.tools.datasets import DATASETS, data_home


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


def _shared_docs() -> Path:
    """The shared docs folder: ``docs/`` beside the data home when that is ``shared/data``."""
    homes: list[Path] = []
    for name in DATASETS:
        try:
            homes.append(data_home(name).parent)
        except DatasetNotFoundError:
            continue
    if not homes:
        pytest.skip("shared docs not available: no data set found in the data home")
    for home in homes:
        if home.name == "data" and home.parent.name == "shared":
            docs = home.parent / "docs"
            if docs.is_dir():
                return docs
            pytest.skip(f"shared docs not available: {docs} is not a folder")
    pytest.skip(f"shared docs not available: the data home {homes[0]} is not a "
                "'shared/data' folder, so it has no sibling 'docs'")


@pytest.fixture(scope="session")
def shared_docs() -> Path:
    """The shared docs folder (``shared/docs``), found only through the data home."""
    return _shared_docs()


@pytest.fixture(scope="session")
def references_md(shared_docs: Path) -> Path:
    """``shared/docs/REFERENCES.md``, the verified-reference table (skips when absent)."""
    path = shared_docs / "REFERENCES.md"
    if not path.is_file():
        pytest.skip(f"REFERENCES.md not available: {path} is not a file")
    return path


@pytest.fixture
def kb_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty embedded store: the user cache in tmp_path, Neo4j not configured."""
    monkeypatch.setenv("SPORTSGPT_CACHE", str(tmp_path))
    monkeypatch.delenv("SPORTSGPT_NEO4J_URI", raising=False)
    return tmp_path


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test that draws numbers is reproducible."""
    return np.random.default_rng(20261125)
