"""Frame-rate sanity (``tools/kismam/timebase.py``) on real CMU jumps and synthetic squats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.events import jump_events
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.kismam.timebase import MAX_FLIGHT_S, timebase_warnings
from sportsgpt.tools.motion import AngleSequence
from sportsgpt.tools.prepare import prepare

TRUE_FPS = 120.0  # CMU mocap is captured at 120 Hz


def _jump(cmu_dir: Path, trial: str, fps: float) -> tuple[AngleSequence, dict[str, int]]:
    prep = prepare(read_motion(cmu_dir / f"{trial}.amc", fps=fps))
    (events,) = jump_events(prep.kin_events)
    return prep.kin, events.frames


def test_true_frame_rate_gives_no_warning_on_any_shared_jump(cmu_dir: Path) -> None:
    # standing long jumps read flight-time/pelvis-rise ratios down to 0.38 on the true clock
    flagged = {}
    for amc in sorted(cmu_dir.glob("*.amc")):
        kin, frames = _jump(cmu_dir, amc.stem, TRUE_FPS)
        if warnings := timebase_warnings(kin, frames, "jump"):
            flagged[amc.stem] = warnings
    assert flagged == {}


@pytest.mark.parametrize("trial", ["16_01", "16_03"])
def test_a_frame_rate_flag_twice_too_high_is_flagged(cmu_dir: Path, trial: str) -> None:
    kin, frames = _jump(cmu_dir, trial, 2 * TRUE_FPS)  # durations halved: ratio / 4
    (warning,) = timebase_warnings(kin, frames, "jump")
    # sqrt(ratio) reads 0.41 / 0.45 for k = 0.5: the true-clock ratio is below 1 (see above)
    assert "ratio" in warning and "factor of about 0.4" in warning


@pytest.mark.parametrize("trial", ["16_01", "16_03"])
def test_a_30_fps_flag_on_a_120_hz_jump_is_flagged(cmu_dir: Path, trial: str) -> None:
    kin, frames = _jump(cmu_dir, trial, 30.0)
    warnings = timebase_warnings(kin, frames, "jump")
    assert any("flight time" in w and "pelvis rise" in w for w in warnings), warnings
    assert any(f"max {MAX_FLIGHT_S:g} s" in w for w in warnings), warnings
    assert all(w.startswith("TIME BASE IMPLAUSIBLE") for w in warnings)


def test_a_factor_of_two_is_caught_by_the_height_check(cmu_dir: Path) -> None:
    # The flight-time height is 0.57 of the pelvis rise on the true clock (the body takes off
    # higher than it stands), 1.98 at k = 2, so the estimate sqrt(ratio) reads 1.4.
    kin, frames = _jump(cmu_dir, "16_01", 60.0)
    (warning,) = timebase_warnings(kin, frames, "jump")
    assert "ratio" in warning and "factor of about 1.4" in warning


def _squat(fps: float, seconds: float, depth_m: float = 0.4) -> tuple[AngleSequence,
                                                                       dict[str, int]]:
    n = round(seconds * fps)
    t = np.arange(n) / fps
    h = 1.0 - depth_m * 0.5 * (1 - np.cos(2 * np.pi * t / seconds))
    v = np.gradient(h, 1 / fps)
    kin = AngleSequence(values=np.stack([h, v], axis=1),
                        channels=("pelvis_height", "pelvis_velocity_y"), units=("m", "m/s"),
                        fps=fps)
    return kin, {"descent_start": 0, "bottom": n // 2, "ascent_end": n - 1}


def test_plausible_squat_gives_no_warning() -> None:
    kin, frames = _squat(100.0, 3.0)
    assert timebase_warnings(kin, frames, "squat") == []


@pytest.mark.parametrize(("seconds", "needle"), [(0.3, "descent of 0.15 s"),
                                                 (30.0, "descent of 15.00 s")],
                         ids=["too-fast", "too-slow"])
def test_implausible_squat_timing_is_flagged(seconds: float, needle: str) -> None:
    kin, frames = _squat(100.0, seconds)
    warnings = timebase_warnings(kin, frames, "squat")
    assert any(needle in w for w in warnings), warnings


def test_unknown_kind_is_an_error() -> None:
    kin, frames = _squat(100.0, 3.0)
    with pytest.raises(MotionDataError, match="sprint"):
        timebase_warnings(kin, frames, "sprint")  # type: ignore[arg-type]
