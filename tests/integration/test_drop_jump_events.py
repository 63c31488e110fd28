"""Drop-jump event rules against the force plates of the shared opencap-dropjumps trials."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.tools.datasets import data_home
from sportsgpt.tools.events import drop_jump_events
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.prepare import prepare

PLATES = {"DJ1": (142, 217, 257), "DJ2": (151, 222, 259), "DJ3": (130, 208, 245)}
"""First contact, rebound takeoff, second landing (total vertical force > 20 N), SOURCE.md."""


@pytest.fixture(scope="module")
def dj_dir() -> Path:
    """The opencap-dropjumps folder (skips when absent)."""
    try:
        return data_home("opencap-dropjumps")
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


@pytest.mark.parametrize("trial", sorted(PLATES), ids=sorted(PLATES))
def test_events_match_the_force_plates_within_a_frame(dj_dir: Path, trial: str) -> None:
    ev = drop_jump_events(prepare(read_motion(dj_dir / "markers" / f"{trial}.trc")).kin_events)
    got = (ev.frames["landing"], ev.frames["takeoff"], ev.frames["second_landing"])
    assert all(abs(g - p) <= 1 for g, p in zip(got, PLATES[trial], strict=True)), got
    f = ev.frames
    assert f["box_departure"] < f["landing"] < f["landing_bottom"] < f["takeoff"] \
        < f["apex"] < f["second_landing"]


def test_phone_keypoints_give_every_keyframe(dj_dir: Path) -> None:
    motion = read_motion(dj_dir / "video-keypoints" / "drop_vertical_jump.trc")
    ev = drop_jump_events(prepare(motion).kin_events)
    assert list(ev.frames) == ["box_departure", "landing", "landing_bottom", "takeoff",
                               "apex", "second_landing"]
    assert 0.2 < (ev.frames["takeoff"] - ev.frames["landing"]) / ev.fps < 1.0


@pytest.mark.parametrize("recording", ["markers/DJ1.trc", "markers/DJ2.trc", "markers/DJ3.trc",
                                       "video-keypoints/drop_vertical_jump.trc"],
                         ids=["DJ1", "DJ2", "DJ3", "phone"])
def test_auto_chooses_the_drop_jump(dj_dir: Path, recording: str) -> None:
    from sportsgpt.tools.kismam.assess import choose_movement

    best, confidence, ratios = choose_movement(read_motion(dj_dir / recording))
    assert best == "drop_jump", ratios
    assert ratios["drop_jump"] < 1.0 and confidence > 0.0, ratios
