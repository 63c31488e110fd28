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
        runs = [r for r in _runs(airborne(kin) == 1.0) if r[1] - r[0] >= 8]
        assert len(runs) == 2 and runs[0][0] == 0, runs  # on the box, then the rebound
        errors["contact"].append(runs[0][1] - ev.contacts[0])
        errors["takeoff"].append(runs[1][0] - ev.takeoffs[0])
        errors["second landing"].append(runs[1][1] - ev.contacts[1])
    for event, e in errors.items():
        assert max(abs(x) for x in e) <= 1, (event, e)
        assert abs(float(np.mean(e))) <= 0.5, (event, e)  # no bias


def _edges(contact: np.ndarray) -> tuple[list[int], list[int]]:
    c = np.nan_to_num(contact).astype(bool)
    return (list(np.flatnonzero(~c[:-1] & c[1:]) + 1), list(np.flatnonzero(c[:-1] & ~c[1:]) + 1))


@pytest.mark.integration
def test_each_foot_within_a_frame_of_its_own_plate(dropjumps: Path) -> None:
    """Per-foot contact (the channels the landing-asymmetry metrics read) against each plate.

    The files do not say which plate is under which foot; the pairing with the smaller total
    error is used for the whole trial.
    """
    touchdown: list[int] = []
    toe_off: list[int] = []
    for trial in TRIALS:
        forces = read_grf(dropjumps / "forces" / f"{trial}_grf.mot")
        plates = plate_contacts(forces)
        kin = motion_channels(read_trc(dropjumps / "markers" / f"{trial}.trc"))
        pairings = []
        for pair in (("1", "2"), ("2", "1")):
            on_err, off_err = [], []
            for side, plate in zip(("left", "right"), pair, strict=True):
                on, off = _edges(kin.channel(f"foot_contact_{side}"))
                for a, b in plates[plate]:
                    on_err.append(min(on, key=lambda x, a=a: abs(x - a)) - a)
                    if b < forces.n_frames:
                        off_err.append(min(off, key=lambda x, b=b: abs(x - b)) - b)
            pairings.append((sum(map(abs, on_err + off_err)), on_err, off_err))
        _, on_err, off_err = min(pairings)
        touchdown += on_err
        toe_off += off_err
    assert len(touchdown) == 12 and len(toe_off) == 6
    for event, e in (("touchdown", touchdown), ("toe-off", toe_off)):
        assert max(abs(x) for x in e) <= 1, (event, e)
        assert abs(float(np.mean(e))) <= 0.5, (event, e)  # no bias
