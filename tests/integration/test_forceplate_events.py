"""Takeoff and landing rules against force plates (opencap-dropjumps, 100 Hz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.tools.datasets import data_home
from sportsgpt.tools.events import airborne
from sportsgpt.tools.io.grf import force_events, plate_contacts, read_grf
from sportsgpt.tools.io.trc import read as read_trc
from sportsgpt.tools.motiondtw.features import motion_channels

TRIALS = ("DJ1", "DJ2", "DJ3")


@pytest.fixture(scope="module")
def dropjumps() -> Path:
    """Folder of the force-plate drop jumps (skip when absent)."""
    try:
        return data_home("opencap-dropjumps")
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[False], mask, [False]])
    e = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(e[::2], e[1::2], strict=True)]


@pytest.mark.integration
@pytest.mark.parametrize(("trial", "contacts", "takeoff"), [
    ("DJ1", [142, 257], 217), ("DJ2", [151, 259], 222), ("DJ3", [130, 245], 208)])
def test_force_events_match_the_documented_frames(dropjumps: Path, trial: str,
                                                  contacts: list[int], takeoff: int) -> None:
    forces = read_grf(dropjumps / "forces" / f"{trial}_grf.mot")
    assert forces.fps == pytest.approx(100.0)
    ev = force_events(forces)
    assert ev.contacts == contacts and ev.takeoffs == [takeoff]
    per_plate = plate_contacts(forces)
    assert per_plate["3"] == [] and len(per_plate["1"]) == len(per_plate["2"]) == 2


@pytest.mark.integration
def test_marker_takeoff_and_landing_within_a_frame_of_the_plates(dropjumps: Path) -> None:
    errors: dict[str, list[int]] = {"contact": [], "takeoff": [], "second landing": []}
    for trial in TRIALS:
        ev = force_events(read_grf(dropjumps / "forces" / f"{trial}_grf.mot"))
        kin = motion_channels(read_trc(dropjumps / "markers" / f"{trial}.trc"))
        runs = [r for r in _runs(airborne(kin, rule="floor") == 1.0) if r[1] - r[0] >= 8]
        assert len(runs) == 2 and runs[0][0] == 0, runs  # on the box, then the rebound
        errors["contact"].append(runs[0][1] - ev.contacts[0])
        errors["takeoff"].append(runs[1][0] - ev.takeoffs[0])
        errors["second landing"].append(runs[1][1] - ev.contacts[1])
    for event, e in errors.items():
        assert max(abs(x) for x in e) <= 1, (event, e)
        assert abs(float(np.mean(e))) <= 0.5, (event, e)  # no bias
