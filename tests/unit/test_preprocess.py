"""Preprocessing: each step against synthetic signals with known answers.

Real CMU jumps are in tests/integration/test_preprocess.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import sosfiltfilt

from sportsgpt.core.errors import PreprocessingError, SportsGPTError
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.preprocess import (
    PreprocessConfig,
    butterworth_sos,
    fill_gaps,
    leg_length,
    lowpass_filter,
    normalise_facing,
    normalise_ground,
    preprocess,
    quality_summary,
    repair_left_right_swaps,
    resample,
    residual_cutoff,
    scale_body,
    zero_lag_filter,
)
from sportsgpt.tools.preprocess.filtering import _filter_runs
from sportsgpt.tools.skeleton import LEFT_RIGHT_PAIRS

FPS = 120.0

# Standing pose facing +x, +z to the athlete's right (so left is -z), metres.
POSE = {
    "pelvis": (0.0, 1.0, 0.0), "left_hip": (0.0, 0.95, -0.1), "right_hip": (0.0, 0.95, 0.1),
    "left_knee": (0.05, 0.52, -0.1), "right_knee": (0.05, 0.52, 0.1),
    "left_ankle": (0.0, 0.09, -0.1), "right_ankle": (0.0, 0.09, 0.1),
    "left_heel": (-0.05, 0.02, -0.1), "right_heel": (-0.05, 0.02, 0.1),
    "left_toe": (0.15, 0.02, -0.1), "right_toe": (0.15, 0.02, 0.1),
    "thorax": (0.0, 1.4, 0.0), "neck": (0.0, 1.55, 0.0), "head": (0.03, 1.7, 0.0),
    "left_shoulder": (0.0, 1.45, -0.19), "right_shoulder": (0.0, 1.45, 0.19),
    "left_elbow": (0.0, 1.17, -0.22), "right_elbow": (0.0, 1.17, 0.22),
    "left_wrist": (0.03, 0.92, -0.23), "right_wrist": (0.03, 0.92, 0.23),
}
JOINTS = tuple(POSE)
SWING = {"knee": 0.1, "ankle": 0.2, "heel": 0.2, "toe": 0.2, "elbow": 0.1, "wrist": 0.2}
FEET = [JOINTS.index(j) for j in ("left_heel", "right_heel", "left_toe", "right_toe")]


def skeleton_positions(n: int = 600, fps: float = FPS, jump: bool = True) -> FloatArray:
    """A skeleton walking along +x at 0.5 m/s, limbs swinging at 1 Hz, jumping in the middle.

    The first and last 30 % of frames stand on the ground (toes and heels at
    y = 0.02); in between a 0.3 m parabola lifts the whole body.
    """
    t = np.arange(n) / fps
    pos = np.broadcast_to(np.array([POSE[j] for j in JOINTS]), (n, len(JOINTS), 3)).copy()
    for i, j in enumerate(JOINTS):
        side = -1.0 if j.startswith("left_") else 1.0 if j.startswith("right_") else 0.0
        amp = SWING.get(j.split("_", 1)[-1], 0.0)
        pos[:, i, 0] += side * amp * np.sin(2 * np.pi * t)
    pos[:, :, 0] += 0.5 * t[:, None]
    if jump:
        u = (np.arange(n) - 0.3 * n) / (0.4 * n)
        pos[:, :, 1] += np.where((u > 0) & (u < 1), 1.2 * u * (1 - u), 0.0)[:, None]
    return pos


def make_motion(pos: FloatArray, fps: float = FPS, joints: tuple[str, ...] = JOINTS,
                **kwargs: object) -> MotionSequence:
    return MotionSequence(positions=pos, joints=joints, fps=fps, **kwargs)  # type: ignore[arg-type]


def rotate_yaw(pos: FloatArray, deg: float) -> FloatArray:
    """Rotate about +y by ``deg`` (right-hand rule: +z turns towards +x)."""
    a = math.radians(deg)
    out = pos.copy()
    out[..., 0] = math.cos(a) * pos[..., 0] + math.sin(a) * pos[..., 2]
    out[..., 2] = -math.sin(a) * pos[..., 0] + math.cos(a) * pos[..., 2]
    return out


def swap_frames(pos: FloatArray, frames: list[int], words: tuple[str, ...] = ()) -> FloatArray:
    """Swap left/right labels on some frames (all pairs, or pairs whose name has a word)."""
    out = pos.copy()
    for left, right in LEFT_RIGHT_PAIRS:
        if words and not any(w in left for w in words):
            continue
        li, ri = JOINTS.index(left), JOINTS.index(right)
        out[frames, li], out[frames, ri] = pos[frames, ri], pos[frames, li]
    return out


def amplitude(x: FloatArray, freq: float, fps: float) -> float:
    """Least-squares amplitude of the ``freq`` sinusoid in ``x``."""
    t = np.arange(x.size) / fps
    basis = np.column_stack((np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)))
    coef = np.linalg.lstsq(basis, x, rcond=None)[0]
    return float(np.hypot(*coef))


# --- low-pass -----------------------------------------------------------------------


@pytest.mark.parametrize(("freq", "expected", "tol"), [
    pytest.param(2.0, 1.0, 0.01, id="passband-2Hz"),
    pytest.param(8.0, 1 / math.sqrt(2), 0.01, id="cutoff-8Hz-is-3dB"),
    pytest.param(30.0, 0.0, 0.002, id="stopband-30Hz"),
])
def test_lowpass_attenuation_matches_double_pass_butterworth(freq: float, expected: float,
                                                             tol: float) -> None:
    t = np.arange(2400) / FPS
    pos = np.zeros((t.size, 1, 3))
    pos[:, 0, 0] = np.sin(2 * np.pi * freq * t)
    out, rep = lowpass_filter(make_motion(pos, joints=("pelvis",)), cutoff_hz=8.0)
    mid = slice(240, -240)
    assert amplitude(out.positions[mid, 0, 0], freq, FPS) == pytest.approx(expected, abs=tol)
    assert rep.details["cutoff_hz"] == 8.0
    assert rep.details["passes"] == 2


def test_lowpass_removes_noise_from_sine(rng: np.random.Generator) -> None:
    t = np.arange(1200) / FPS
    truth = 0.2 * np.sin(2 * np.pi * 1.0 * t)
    pos = np.zeros((t.size, 1, 3))
    pos[:, 0, 1] = truth + rng.normal(0.0, 0.01, t.size)
    out, _ = lowpass_filter(make_motion(pos, joints=("pelvis",)), cutoff_hz=6.0)
    err = out.positions[60:-60, 0, 1] - truth[60:-60]
    assert np.sqrt(np.mean(err**2)) < 0.01 / 3


def test_butterworth_rejects_cutoff_at_or_above_nyquist() -> None:
    with pytest.raises(PreprocessingError, match="Nyquist"):
        butterworth_sos(60.0, FPS)


def test_zero_lag_filter_equals_scipy_sosfiltfilt(rng: np.random.Generator) -> None:
    x = rng.normal(size=(300, 4, 3))
    sos = butterworth_sos(10.0, FPS)
    np.testing.assert_allclose(zero_lag_filter(sos, x), sosfiltfilt(sos, x, axis=0), atol=1e-12)


def test_filter_runs_filters_each_tracked_run_alone_and_keeps_nan(
        rng: np.random.Generator) -> None:
    x = rng.normal(size=(400, 3, 3))
    x[100:110, 1] = np.nan  # splits joint 1 into runs of 100 and 290
    x[5:390, 2] = np.nan  # joint 2: runs of 5 and 10 frames, too short to filter
    sos = butterworth_sos(10.0, FPS)
    out, done, runs = _filter_runs(x, sos)
    np.testing.assert_allclose(out[:100, 1], sosfiltfilt(sos, x[:100, 1], axis=0), atol=1e-12)
    np.testing.assert_allclose(out[110:, 1], sosfiltfilt(sos, x[110:, 1], axis=0), atol=1e-12)
    assert np.isnan(out[100:110, 1]).all()
    np.testing.assert_array_equal(out[:, 2], x[:, 2])  # short runs copied unfiltered
    assert runs == 3
    assert done[:, 2].sum() == 0


def test_lowpass_reports_short_runs_left_unfiltered(rng: np.random.Generator) -> None:
    pos = rng.normal(size=(200, 1, 3))
    pos[10:190] = np.nan
    _, rep = lowpass_filter(make_motion(pos, joints=("pelvis",)), cutoff_hz=8.0)
    assert rep.details["unfiltered_short_run_samples"] == 20
    assert rep.details["filtered_runs"] == 0


@pytest.mark.parametrize(("fps", "low", "high"), [
    pytest.param(120.0, 6.0, 12.0, id="120fps-within-6-12Hz"),
    pytest.param(30.0, 6.0, 6.0, id="30fps-capped-at-0.4-nyquist"),
])
def test_automatic_cutoff_stays_in_documented_range(rng: np.random.Generator, fps: float,
                                                    low: float, high: float) -> None:
    pos = skeleton_positions(n=int(6 * fps), fps=fps) + rng.normal(0, 0.005, (int(6 * fps),
                                                                             len(JOINTS), 3))
    _, rep = lowpass_filter(make_motion(pos, fps=fps))
    assert low <= float(rep.details["cutoff_hz"]) <= high
    assert rep.details["method"] == "residual analysis (Winter)"


def test_residual_analysis_picks_lower_cutoff_for_noisier_data(rng: np.random.Generator) -> None:
    t = np.arange(2400) / FPS
    signal = np.column_stack([np.sin(2 * np.pi * f * t) for f in (0.5, 1.0, 2.0, 3.0)])
    quiet, _ = residual_cutoff(signal + rng.normal(0, 0.001, signal.shape), FPS)
    noisy, _ = residual_cutoff(signal + rng.normal(0, 0.05, signal.shape), FPS)
    assert noisy < quiet


# --- gaps and resampling -----------------------------------------------------------


def test_short_gap_is_filled_close_to_truth() -> None:
    truth = skeleton_positions(jump=False)
    pos = truth.copy()
    knee = JOINTS.index("left_knee")
    pos[200:205, knee] = np.nan
    out, rep = fill_gaps(make_motion(pos), max_gap_s=0.1)
    assert rep.details["filled_samples"] == 5
    assert np.abs(out.positions[200:205, knee] - truth[200:205, knee]).max() < 1e-3


def test_long_gap_is_flagged_and_left_missing() -> None:
    pos = skeleton_positions(jump=False)
    knee = JOINTS.index("left_knee")
    pos[200:250, knee] = np.nan
    out, rep = fill_gaps(make_motion(pos), max_gap_s=0.1)
    assert rep.details["filled_samples"] == 0
    assert rep.details["long_gaps_flagged"] == 1
    assert rep.details["long_gap_samples"] == 50
    assert np.isnan(out.positions[200:250, knee]).all()
    q = quality_summary(make_motion(pos))
    assert [(g.joint, g.start_frame, g.end_frame) for g in q.long_gaps] == [("left_knee", 200, 249)]
    assert q.longest_gap_s == pytest.approx(50 / FPS)
    assert q.longest_gap_joint == "left_knee"


def test_gap_at_clip_edge_is_not_invented() -> None:
    pos = skeleton_positions(jump=False)
    pos[:3, 0] = np.nan
    out, rep = fill_gaps(make_motion(pos))
    assert rep.details["edge_gap_samples"] == 3
    assert np.isnan(out.positions[:3, 0]).all()


def test_resampling_120_to_60_to_120_preserves_smooth_trajectory() -> None:
    truth = skeleton_positions(jump=False)
    down, rep = resample(make_motion(truth), 60.0)
    assert down.fps == 60.0
    assert rep.details["frames_out"] == 300
    back, _ = resample(down, FPS)
    n = back.n_frames
    assert n == 599
    np.testing.assert_allclose(back.positions, truth[:n], atol=2e-4)


def test_resampling_keeps_gaps_missing() -> None:
    pos = skeleton_positions(jump=False)
    pos[100:140, 3] = np.nan
    out, _ = resample(make_motion(pos), 60.0)
    assert np.isnan(out.positions[51:70, 3]).all()
    assert np.isfinite(out.positions[:50, 3]).all()
    assert np.isfinite(out.positions[70:, 3]).all()


# --- normalisation ------------------------------------------------------------------


@pytest.mark.parametrize("yaw", [-170.0, -90.0, -30.0, 0.0, 45.0, 135.0, 179.0],
                         ids=lambda y: f"yaw{y:+.0f}")
def test_facing_normalisation_recovers_plus_x(yaw: float) -> None:
    truth = skeleton_positions()
    out, rep = normalise_facing(make_motion(rotate_yaw(truth, yaw)))
    assert out.facing == "+x"
    assert rep.applied
    assert ((float(rep.details["rotation_deg"]) + yaw + 180) % 360 - 180) == pytest.approx(0,
                                                                                          abs=1)
    np.testing.assert_allclose(out.positions, truth, atol=math.radians(1) * 2)
    pelvis = out.joint("pelvis")
    travel = pelvis[-1] - pelvis[0]
    assert math.degrees(math.atan2(travel[2], travel[0])) == pytest.approx(0, abs=1)
    assert (out.joint("right_hip")[:, 2] > out.joint("left_hip")[:, 2]).all()  # +z = right


def test_facing_needs_hips_or_shoulders() -> None:
    pos = skeleton_positions()[:, :1]
    out, rep = normalise_facing(make_motion(pos, joints=("pelvis",)))
    assert not rep.applied
    assert out.facing == "unknown"


def test_ground_normalisation_puts_standing_feet_at_zero() -> None:
    pos = skeleton_positions()
    pos[..., 1] += 0.37
    out, rep = normalise_ground(make_motion(pos))
    assert rep.details["shift"] == pytest.approx(-0.39, abs=1e-9)
    standing = out.positions[:150][:, FEET, 1]
    np.testing.assert_allclose(standing.min(axis=1), 0.0, atol=1e-9)
    assert out.positions[..., 1].min() == pytest.approx(0.0, abs=1e-9)


def test_ground_normalisation_2d_pixels() -> None:
    pos = skeleton_positions()[..., :2] * 500 + 240
    out, rep = normalise_ground(make_motion(pos, units="px", view="sagittal"))
    assert rep.details["units"] == "px"
    assert out.positions[:150][:, FEET, 1].min() == pytest.approx(0.0, abs=1e-9)


def test_scale_body_sets_reference_leg_length() -> None:
    motion = make_motion(skeleton_positions() * 1.3)
    out, rep = scale_body(motion, reference_leg_length_m=0.9)
    assert leg_length(out) == pytest.approx(0.9)
    assert float(rep.details["factor"]) == pytest.approx(0.9 / leg_length(motion))


def test_scale_body_turns_pixels_into_metres() -> None:
    pos = skeleton_positions()[..., :2] * 500
    out, rep = scale_body(make_motion(pos, units="px", view="sagittal"), 0.9)
    assert out.units == "m"
    assert "image plane" in str(rep.details["note"])


@pytest.mark.parametrize("mirror", [False, True], ids=["faces-plus-x", "faces-minus-x"])
def test_2d_sagittal_facing_mirrors_when_toes_point_minus_x(mirror: bool) -> None:
    pos = skeleton_positions()[..., :2] * 500
    if mirror:
        pos[..., 0] = -pos[..., 0]
    out, rep = normalise_facing(make_motion(pos, units="px", view="sagittal"))
    assert rep.details["mirrored"] == int(mirror)
    assert out.facing == "+x"
    toe = out.joint("left_toe")[:, 0] - out.joint("left_heel")[:, 0]
    assert (toe > 0).all()


# --- left/right swaps ---------------------------------------------------------------


def test_injected_swaps_are_detected_and_repaired(rng: np.random.Generator) -> None:
    truth = skeleton_positions() + rng.normal(0, 0.004, (600, len(JOINTS), 3))
    swapped = swap_frames(truth, [40, 200, 410])  # whole-body swaps
    swapped = swap_frames(swapped, [300, 301], words=("knee", "ankle", "heel", "toe", "hip"))
    out, rep = repair_left_right_swaps(make_motion(swapped))
    assert rep.details["swaps_repaired"] == 5
    assert rep.details["legs_frames"] == 5
    assert rep.details["arms_frames"] == 3
    np.testing.assert_array_equal(out.positions, truth)


def test_clean_data_reports_no_swaps(rng: np.random.Generator) -> None:
    clean = skeleton_positions() + rng.normal(0, 0.004, (600, len(JOINTS), 3))
    out, rep = repair_left_right_swaps(make_motion(clean))
    assert rep.details["swaps_repaired"] == 0
    np.testing.assert_array_equal(out.positions, clean)


def test_2d_keypoints_get_swap_repair_by_default(rng: np.random.Generator) -> None:
    truth = skeleton_positions()[..., :2] * 500 + rng.normal(0, 1.0, (600, len(JOINTS), 2))
    frames = [30, 150, 270]  # legs far apart (swing at its peak)
    swapped = swap_frames(truth, frames)
    conf = np.full((600, len(JOINTS)), 0.9)
    motion = make_motion(swapped, units="px", view="sagittal", confidence=conf)
    cfg = PreprocessConfig(lowpass=False, normalise_ground=False, normalise_facing=False)
    out, report = preprocess(motion, cfg)
    step = report.steps[0]
    assert step.name == "repair_left_right_swaps"
    assert step.details["swaps_repaired"] == 3
    assert report.quality.swaps_repaired == 3
    np.testing.assert_array_equal(out.positions, truth)


def test_3d_mocap_skips_swap_repair_by_default() -> None:
    _, report = preprocess(make_motion(skeleton_positions()))
    assert report.steps[0].applied is False
    assert report.steps[0].details["reason"] == "not a markerless source"


# --- pipeline, purity, errors -------------------------------------------------------


def test_preprocess_does_not_mutate_input(rng: np.random.Generator) -> None:
    pos = skeleton_positions() + rng.normal(0, 0.003, (600, len(JOINTS), 3))
    pos[100:104, 2] = np.nan
    motion = make_motion(rotate_yaw(pos, 60.0))
    before = motion.positions.copy()
    out, report = preprocess(motion, PreprocessConfig(scale_body=True, resample_fps=60.0))
    np.testing.assert_array_equal(motion.positions, before)
    assert motion.facing == "unknown"
    assert motion.source.notes == ()
    assert out.fps == 60.0
    assert out.facing == "+x"
    assert [s.name for s in report.steps] == [
        "repair_left_right_swaps", "fill_gaps", "lowpass_filter", "resample",
        "normalise_ground", "normalise_facing", "scale_body"]
    assert [s.applied for s in report.steps] == [False, True, True, True, True, True, True]
    assert len(out.source.notes) == 6


def test_too_short_clip_raises_with_frame_count() -> None:
    with pytest.raises(PreprocessingError, match="9 frames"):
        preprocess(make_motion(skeleton_positions(n=9)))


def test_all_missing_clip_raises() -> None:
    with pytest.raises(PreprocessingError, match="no tracked sample"):
        preprocess(make_motion(np.full((20, len(JOINTS), 3), np.nan)))


@pytest.mark.parametrize("bad", [
    pytest.param({"max_gap_s": -1.0}, id="negative-gap"),
    pytest.param({"cutoff_hz": 0.0}, id="zero-cutoff"),
    pytest.param({"filter_order": 0}, id="zero-order"),
    pytest.param({"min_frames": 1}, id="min-frames-1"),
    pytest.param({"unknown_option": True}, id="unknown-option"),
])
def test_invalid_config_raises_preprocessing_error(bad: dict[str, object]) -> None:
    with pytest.raises(PreprocessingError, match="invalid preprocessing option"):
        PreprocessConfig(**bad)  # type: ignore[arg-type]


def test_cutoff_above_nyquist_raises() -> None:
    with pytest.raises(PreprocessingError, match="Nyquist"):
        preprocess(make_motion(skeleton_positions(n=200, fps=30.0), fps=30.0),
                   PreprocessConfig(cutoff_hz=20.0))


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 80), fps=st.sampled_from([1.0, 7.0, 24.0, 30.0, 120.0, 1000.0]),
       missing=st.floats(0.0, 1.0), dim=st.sampled_from([2, 3]), seed=st.integers(0, 2**16),
       resample_fps=st.sampled_from([None, 1.0, 25.0, 240.0]), swaps=st.booleans())
def test_preprocess_fuzz_succeeds_or_raises_project_errors(
        n: int, fps: float, missing: float, dim: int, seed: int, resample_fps: float | None,
        swaps: bool) -> None:
    gen = np.random.default_rng(seed)
    pos = gen.normal(0, 1, (n, len(JOINTS), dim))
    pos[gen.random((n, len(JOINTS))) < missing] = np.nan
    view = "3d" if dim == 3 else "sagittal"
    motion = make_motion(pos, fps=fps, view=view)
    cfg = PreprocessConfig(resample_fps=resample_fps, repair_swaps=swaps, scale_body=True)
    try:
        out, report = preprocess(motion, cfg)
    except SportsGPTError:
        return
    assert isinstance(out, MotionSequence)
    assert len(report.steps) == 7
    assert report.quality.n_frames == n


# --- quality summary ----------------------------------------------------------------


def test_quality_summary_counts_missing_and_warns(rng: np.random.Generator) -> None:
    pos = skeleton_positions(n=300, fps=30.0) + rng.normal(0, 0.004, (300, len(JOINTS), 3))
    ankle = JOINTS.index("left_ankle")
    pos[rng.choice(300, 36, replace=False), ankle] = np.nan  # 12 %
    q = quality_summary(make_motion(pos, fps=30.0))
    assert q.missing_pct_by_joint["left_ankle"] == pytest.approx(12.0)
    assert q.missing_pct == pytest.approx(12.0 / len(JOINTS), abs=1e-3)
    assert "12% of left_ankle samples missing" in q.warnings
    assert "frame rate 30 Hz: takeoff/landing timing is ±17 ms" in q.warnings
    assert q.usable_views == ["3d", "sagittal", "frontal"]
    assert q.jitter_px is None
    assert q.jitter_mm is not None


def test_quality_jitter_measures_noise_in_mm(rng: np.random.Generator) -> None:
    pos = skeleton_positions(jump=False) + rng.normal(0, 0.003, (600, len(JOINTS), 3))
    q = quality_summary(make_motion(pos))
    assert q.jitter_mm == pytest.approx(3.0, rel=0.15)
    assert not any("frame rate" in w for w in q.warnings)


def test_quality_2d_sagittal_pixels() -> None:
    pos = skeleton_positions()[..., :2] * 500
    q = quality_summary(make_motion(pos, units="px", view="sagittal"))
    assert q.usable_views == ["sagittal"]
    assert q.jitter_mm is None
    assert q.jitter_px is not None
    assert q.units == "px"
