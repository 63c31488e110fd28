"""Fault injection on real CMU jumps: labels, windows, FK consistency and effect sizes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.evals.fault_injection import (
    FAULTS,
    MAGNITUDES,
    InjectedCase,
    Magnitude,
    cases,
    clean,
    inject,
    motion_from_fk,
    window_weights,
)
from sportsgpt.tools.events import jump_events
from sportsgpt.tools.io.asf_amc import parse_amc, parse_asf, read
from sportsgpt.tools.kinematics import compute_kinematics, kinematic_signals
from sportsgpt.tools.motion import AngleSequence, FloatArray, MotionSequence

TRIALS = ("16_01", "118_04")
BONES = (("left_hip", "left_knee"), ("left_knee", "left_ankle"), ("left_ankle", "left_toe"),
         ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
         ("right_ankle", "right_toe"), ("left_shoulder", "left_elbow"),
         ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
         ("right_elbow", "right_wrist"), ("pelvis", "thorax"))


@pytest.fixture(scope="module")
def cmu(cmu_dir: Path) -> Path:
    """The CMU folder (skips when the shared data is absent)."""
    return cmu_dir


@functools.lru_cache(maxsize=64)
def _case(folder: Path, trial: str, fault: str | None, magnitude: Magnitude | None
          ) -> tuple[InjectedCase, AngleSequence]:
    path = folder / f"{trial}.amc"
    case = clean(path) if fault is None or magnitude is None else inject(path, fault, magnitude)
    return case, compute_kinematics(case.motion)


def _both(k: AngleSequence, base: str) -> FloatArray:
    return np.asarray((k.channel(f"{base}_left") + k.channel(f"{base}_right")) / 2)


def _stance(case: InjectedCase) -> int:
    return max(0, case.events["movement_onset"] - 60)


def _first_contact(k: AngleSequence, side: str, after: int) -> int:
    c = k.channel(f"foot_contact_{side}")
    return after + int(np.flatnonzero(c[after:] > 0)[0])


# each measure returns a number that grows with the fault
def _drop_reduction(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    a, t = _stance(case), case.events["takeoff"]

    def drop(x: AngleSequence) -> float:
        h = x.channel("pelvis_height")
        return float(h[a] - h[a:t].min())

    return 1.0 - drop(k) / drop(k0)


def _arm_reduction(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    a, t = _stance(case), case.events["takeoff"]

    def rng(x: AngleSequence) -> float:
        s = _both(x, "shoulder_flexion")[a:t]
        return float(np.nanmax(s) - np.nanmin(s))

    return 1.0 - rng(k) / rng(k0)


def _knee_at_takeoff(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    t = case.events["takeoff"]
    return float(_both(k, "knee_flexion")[t] - _both(k0, "knee_flexion")[t])


def _landing_peak(k: AngleSequence, case: InjectedCase, base: str) -> float:
    land = case.events["landing"]
    return float(np.nanmax(_both(k, base)[land:land + 36]))


def _stiffness(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    return _landing_peak(k0, case, "knee_flexion") - _landing_peak(k, case, "knee_flexion")


def _valgus(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    return _landing_peak(k, case, "knee_fppa") - _landing_peak(k0, case, "knee_fppa")


def _trunk(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    b = case.events["countermovement_bottom"]
    tr = "trunk_inclination"
    return float(k.channel(tr)[b] - k0.channel(tr)[b])


def _landing_lag(case: InjectedCase, k: AngleSequence, k0: AngleSequence) -> float:
    apex = case.events["apex"]

    def lag(x: AngleSequence) -> int:
        return _first_contact(x, "right", apex) - _first_contact(x, "left", apex)

    return float(lag(k) - lag(k0))


Measure = Callable[[InjectedCase, AngleSequence, AngleSequence], float]


def _expected_stiffness(case: InjectedCase, k0: AngleSequence) -> float:
    ic = float(_both(k0, "knee_flexion")[case.events["landing"]])
    return (case.value or 0.0) * (_landing_peak(k0, case, "knee_flexion") - ic)


# fault -> (measure, expected value from the case, absolute tolerance, trials it is meaningful on)
EFFECTS: dict[str, tuple[Measure, Callable[[InjectedCase, AngleSequence], float], float,
                         tuple[str, ...]]] = {
    "shallow_countermovement": (_drop_reduction, lambda c, _: c.value or 0.0, 0.01, TRIALS),
    "limited_arm_swing": (_arm_reduction, lambda c, _: c.value or 0.0, 0.05, ("118_04",)),
    "insufficient_knee_extension_at_takeoff": (_knee_at_takeoff, lambda c, _: c.value or 0.0,
                                               0.5, TRIALS),
    "stiff_landing": (_stiffness, _expected_stiffness, 1.0, TRIALS),
    "knee_valgus_on_landing": (_valgus, lambda c, _: 0.8 * (c.value or 0.0), 0.35 * 15, TRIALS),
    "excessive_trunk_lean": (_trunk, lambda c, _: c.value or 0.0, 0.5, TRIALS),
    "asymmetric_landing": (_landing_lag, lambda c, _: c.value or 0.0, 1.0, TRIALS),
}

ALL = [(t, f, m) for t in TRIALS for f in FAULTS for m in MAGNITUDES]
ALL_IDS = [f"{t}-{f}-{m}" for t, f, m in ALL]


def test_every_fault_has_a_measured_effect() -> None:
    assert set(EFFECTS) == set(FAULTS)


def test_clean_control_is_the_reader_output(cmu: Path) -> None:
    case, _ = _case(cmu, "16_01", None, None)
    ref = read(cmu / "16_01.amc")
    assert case.labels == frozenset() and case.fault is None and case.window is None
    assert case.motion.joints == ref.joints and case.motion.source == ref.source
    assert case.motion.fps == ref.fps
    assert np.array_equal(case.motion.positions, ref.positions)


@pytest.mark.parametrize("trial", TRIALS)
def test_motion_from_fk_matches_reader(cmu: Path, trial: str) -> None:
    path = cmu / f"{trial}.amc"
    skel = parse_asf(cmu / f"{trial.split('_')[0]}.asf")
    got = motion_from_fk(skel, parse_amc(path, skel), path)
    ref = read(path)
    assert got.joints == ref.joints and got.source == ref.source and got.fps == ref.fps
    assert np.array_equal(got.positions, ref.positions)


def test_window_weights_shape_and_continuity() -> None:
    w = window_weights(100, 10, 20, 40, 70)
    assert np.all(w[:11] == 0) and np.all(w[70:] == 0) and np.all(w[20:41] == 1)
    assert np.all(np.diff(w[10:21]) > 0) and np.all(np.diff(w[40:71]) < 0)
    assert np.max(np.abs(np.diff(w))) <= np.pi / 2 / 10 + 1e-12  # raised-cosine slope


def test_window_weights_reject_unordered_frames() -> None:
    with pytest.raises(MotionDataError, match="ordered"):
        window_weights(100, 20, 10, 40, 70)


@pytest.mark.parametrize(("fault", "magnitude"), [("no_such_fault", "mild"),
                                                  ("stiff_landing", "extreme")],
                         ids=["fault", "magnitude"])
def test_unknown_fault_or_magnitude_raises(cmu: Path, fault: str, magnitude: str) -> None:
    with pytest.raises(MotionDataError, match="unknown"):
        inject(cmu / "16_01.amc", fault, magnitude)  # type: ignore[arg-type]


@pytest.mark.parametrize(("trial", "fault", "magnitude"), ALL, ids=ALL_IDS)
def test_case_labels_window_and_bone_lengths(cmu: Path, trial: str, fault: str,
                                             magnitude: Magnitude) -> None:
    case, _ = _case(cmu, trial, fault, magnitude)
    ref, _ = _case(cmu, trial, None, None)
    assert case.labels == frozenset({fault}) and case.magnitude == magnitude
    assert case.value == FAULTS[fault].levels[magnitude]
    assert case.window is not None
    a, d = case.window
    p, p0 = case.motion.positions, ref.motion.positions
    assert np.array_equal(p[: a + 1], p0[: a + 1]) and np.array_equal(p[d:], p0[d:])
    assert not np.array_equal(p[a:d], p0[a:d])
    for j1, j2 in BONES:
        length = np.linalg.norm(case.motion.joint(j2) - case.motion.joint(j1), axis=1)
        length0 = np.linalg.norm(ref.motion.joint(j2) - ref.motion.joint(j1), axis=1)
        np.testing.assert_allclose(length, length0, atol=1e-9, err_msg=f"{j1}-{j2}")


@pytest.mark.parametrize(("trial", "fault", "magnitude"), ALL, ids=ALL_IDS)
def test_injected_trial_still_holds_one_jump(cmu: Path, trial: str, fault: str,
                                             magnitude: Magnitude) -> None:
    case, _ = _case(cmu, trial, fault, magnitude)
    jumps = jump_events(kinematic_signals(case.motion))
    assert len(jumps) == 1
    frames = jumps[0].frames
    for name in ("takeoff", "landing"):
        assert abs(frames[name] - case.events[name]) <= 2, name


EFFECT_CASES = [(t, f) for f, spec in EFFECTS.items() for t in spec[3]]


@pytest.mark.parametrize(("trial", "fault"), EFFECT_CASES,
                         ids=[f"{t}-{f}" for t, f in EFFECT_CASES])
def test_effect_matches_magnitude_and_grows(cmu: Path, trial: str, fault: str) -> None:
    measure, expected, tol, _ = EFFECTS[fault]
    _, k0 = _case(cmu, trial, None, None)
    effects = []
    for magnitude in MAGNITUDES:
        case, k = _case(cmu, trial, fault, magnitude)
        effect = measure(case, k, k0)
        assert effect == pytest.approx(expected(case, k0), abs=tol), magnitude
        effects.append(effect)
    assert 0 < effects[0] < effects[1] < effects[2]


def test_valgus_moves_the_knee_medially_not_the_ankle(cmu: Path) -> None:
    case, _ = _case(cmu, "16_01", "knee_valgus_on_landing", "severe")
    ref, _ = _case(cmu, "16_01", None, None)
    lb = case.events["landing_bottom"]

    def lateral(m: MotionSequence, joint: str) -> float:  # CMU: +x is the left side
        return float(m.joint(f"left_{joint}")[lb, 0] - m.joint("pelvis")[lb, 0])

    assert lateral(case.motion, "knee") < lateral(ref.motion, "knee") - 0.02
    assert abs(lateral(case.motion, "ankle") - lateral(ref.motion, "ankle")) < 0.01


def test_faults_leave_other_quantities_alone(cmu: Path) -> None:
    _, k0 = _case(cmu, "16_01", None, None)
    _, k = _case(cmu, "16_01", "excessive_trunk_lean", "severe")
    np.testing.assert_array_equal(k.channel("knee_flexion_left"), k0.channel("knee_flexion_left"))
    case, k = _case(cmu, "16_01", "stiff_landing", "severe")
    assert _knee_at_takeoff(case, k, k0) == 0.0


def test_cases_yields_controls_first_and_skips_arm_swing_where_meaningless(cmu: Path) -> None:
    got = list(cases([cmu / "16_01.amc"], magnitudes=["moderate"]))
    assert got[0].labels == frozenset()
    assert {c.fault for c in got[1:]} == set(FAULTS) - {"limited_arm_swing"}
    assert all(c.magnitude == "moderate" for c in got[1:])


def test_injection_is_deterministic(cmu: Path) -> None:
    a = inject(cmu / "118_04.amc", "asymmetric_landing", "mild")
    b = inject(cmu / "118_04.amc", "asymmetric_landing", "mild")
    assert np.array_equal(a.motion.positions, b.motion.positions)


def test_arm_swing_trials_are_the_arm_swing_target_experts() -> None:
    # limited_arm_swing edits thorax-relative channels, so it is injected where the arms
    # swing relative to the trunk: the recordings that set the arm-swing target.
    from sportsgpt.evals.fault_injection import ARM_SWING_TRIALS
    from sportsgpt.graph_kb.catalog import load_catalog

    target = load_catalog("standing_long_jump").metric("arm_swing_amplitude").target
    assert target is not None and target.experts is not None
    assert set(ARM_SWING_TRIALS) == set(target.experts.recordings)
    assert FAULTS["limited_arm_swing"].meaningful_trials == ARM_SWING_TRIALS
