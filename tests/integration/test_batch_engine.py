"""A folder of all shared recordings: one command, locally and on a two-worker Dask cluster.

Dask is the engine chosen in docs/batch.md; the test starts a local cluster of two worker
processes through ``--engine dask --workers 2`` and compares its rows with the plain
local run's, cell for cell.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from sportsgpt import batch

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENGINE = "dask"


@pytest.fixture(scope="module")
def shared_recordings(cmu_dir: Path, uiprmd_dir: Path, opencap_dir: Path,
                      tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of links: CMU jumps (ASF/AMC), UI-PRMD deep squats, OpenCap .mot samples."""
    folder = tmp_path_factory.mktemp("recordings")
    squats = uiprmd_dir / "Segmented Movements" / "Vicon" / "Positions"
    picks = [*cmu_dir.glob("*.amc"), *cmu_dir.glob("*.asf"), *squats.glob("m01_*"),
             *opencap_dir.glob("*.mot")]
    for p in picks:
        (folder / p.name).symlink_to(p)
    return folder


def _batch(folder: Path, out: Path, *extra: str) -> pd.DataFrame:
    parser = argparse.ArgumentParser()
    batch.add_batch_parser(parser.add_subparsers())
    args = parser.parse_args(["batch", str(folder), "--out", str(out), "--no-progress",
                              *extra])
    assert batch.run_batch(args) == 0
    assert batch.trend_path(out).read_text().startswith("# Trend report")
    return pd.read_parquet(out)


def test_two_worker_cluster_gives_the_local_rows(shared_recordings: Path,
                                                  tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    local = _batch(shared_recordings, tmp_path / "local.parquet")
    cluster = _batch(shared_recordings, tmp_path / "cluster.parquet",
                     "--engine", ENGINE, "--workers", "2")
    n_files = len([p for p in shared_recordings.iterdir() if p.suffix != ".asf"])
    assert local["source"].nunique() == n_files
    assert (local["status"] == "ok").all(), local.loc[local["status"] != "ok", "error_message"]
    assert {"countermovement_jump", "standing_long_jump", "deep_squat"} <= \
        set(local["movement"])
    pd.testing.assert_frame_equal(cluster, local, check_exact=True)
