"""Every KISMAM metric says where it was measured: a keyframe, or a window with its frames."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.tools.events import jump_events
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.kismam.metrics import (
    METRIC_FUNCTIONS,
    Measurement,
    NotAssessableError,
    compute_metric,
)
from sportsgpt.tools.kismam.models import MetricResult
from sportsgpt.tools.prepare import Prepared, prepare


@pytest.fixture(scope="module")
def jump(cmu_dir: Path) -> tuple[Prepared, dict[str, int]]:
    prep = prepare(read_motion(cmu_dir / "16_01.amc"))
    (events,) = jump_events(prep.kin_events)
    return prep, events.frames


def _measure(jump: tuple[Prepared, dict[str, int]], name: str) -> Measurement:
    prep, frames = jump
    try:
        return compute_metric(name, prep.kin, prep.motion, frames, prep.kin.fps)
    except NotAssessableError as exc:
        pytest.skip(f"{name} not assessable on this trial: {exc.reason}")


@pytest.mark.parametrize("name", sorted(METRIC_FUNCTIONS))
def test_placement_is_consistent(jump: tuple[Prepared, dict[str, int]], name: str) -> None:
    frames = jump[1] | {"descent_start": jump[1]["movement_onset"],
                        "bottom": jump[1]["countermovement_bottom"],
                        "ascent_end": jump[1]["landing_bottom"]}
    m = _measure((jump[0], frames), name)
    if m.window is None:
        assert m.keyframe is not None and m.frame == frames[m.keyframe], m
        assert m.window_frames is None
    else:
        assert m.keyframe is None, f"{name}: a window metric names no single keyframe"
        assert m.window_frames is not None
        lo, hi = m.window_frames
        assert 0 <= lo <= hi < jump[0].kin.n_frames
        for end, f in zip(m.window, m.window_frames, strict=True):
            if end in frames:
                assert f == frames[end], (name, end, f)
        if m.frame is not None:
            assert lo <= m.frame <= hi, f"{name}: value frame {m.frame} outside its window"
    placed = MetricResult(id=name, label=name, value=m.value, unit="", target_low=None,
                          target_high=None, z=None, status="ok", **m.placement())
    assert placed.window == (list(m.window) if m.window else None)


@pytest.mark.parametrize(("name", "window"), [
    ("arm_swing_amplitude", ("takeoff - 1 s", "takeoff")),
    ("time_to_stabilisation", ("landing", "pelvis still")),
    ("peak_knee_flexion_landing", ("landing", "landing_bottom + 0.2 s")),
    ("duration_flight", ("takeoff", "landing")),
    ("jump_height_flight_time", ("takeoff", "landing")),
    ("countermovement_depth", ("movement_onset", "countermovement_bottom")),
])
def test_window_metrics_name_their_window(jump: tuple[Prepared, dict[str, int]], name: str,
                                          window: tuple[str, str]) -> None:
    m = _measure(jump, name)
    assert m.window == window and m.keyframe is None


def test_arm_swing_is_not_labelled_at_takeoff(jump: tuple[Prepared, dict[str, int]]) -> None:
    m = _measure(jump, "arm_swing_amplitude")
    assert m.window_frames is not None and m.window_frames[1] == jump[1]["takeoff"]
    assert m.window_frames[0] == jump[1]["takeoff"] - 120  # 1 s at 120 Hz


def test_point_metric_keeps_its_keyframe(jump: tuple[Prepared, dict[str, int]]) -> None:
    m = _measure(jump, "knee_flexion_at_initial_contact")
    assert (m.keyframe, m.frame, m.window) == ("landing", jump[1]["landing"], None)
