"""KISMAM metric functions on synthetic kinematics with known answers."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.events import G
from sportsgpt.tools.kismam import metrics
from sportsgpt.tools.kismam.metrics import (
    METRIC_FUNCTIONS,
    NotAssessableError,
    arm_swing_amplitude,
    arm_swing_timing,
    compute_metric,
    countermovement_depth,
    hip_below_knee,
    jump_height_flight_time,
    knee_angle_at_takeoff,
    knee_flexion_at_initial_contact,
    knee_flexion_excursion_landing,
    knee_fppa_landing,
    landing_time_asymmetry,
    squat_depth_knee_flexion,
    takeoff_angle,
    time_to_stabilisation,
)
from sportsgpt.tools.motion import AngleSequence, AngleUnit, MotionSequence

FPS = 100.0
N = 300
KF = {"movement_onset": 50, "countermovement_bottom": 100, "takeoff": 130, "apex": 150,
      "landing": 170, "landing_bottom": 190}


def _seq(channels: dict[str, np.ndarray], units: dict[str, AngleUnit] | None = None
         ) -> AngleSequence:
    names = tuple(channels)
    u = units or {}
    return AngleSequence(values=np.column_stack([channels[n] for n in names]), channels=names,
                         units=tuple(u.get(n, "deg") for n in names), fps=FPS)


def _const(v: float) -> np.ndarray:
    return np.full(N, v, dtype=float)


METRIC_PARAMETERS = ["kin", "motion", "keyframes", "fps"]


def _defined_metric_functions() -> dict[str, object]:
    """Public functions of the metrics module with a metric's signature, by name."""
    return {name: fn for name, fn in inspect.getmembers(metrics, inspect.isfunction)
            if fn.__module__ == metrics.__name__ and not name.startswith("_")
            and list(inspect.signature(fn).parameters) == METRIC_PARAMETERS
            and inspect.signature(fn).return_annotation in {"Measurement", metrics.Measurement}}


def test_registry_is_every_metric_function_defined() -> None:
    defined = _defined_metric_functions()
    assert sorted(set(defined) ^ set(METRIC_FUNCTIONS)) == []  # none unregistered, none extra
    assert all(METRIC_FUNCTIONS[name] is fn for name, fn in defined.items())


def test_registry_is_what_the_catalogs_compute() -> None:
    computed = {m.definition.computation for movement in movement_ids()
                for m in load_catalog(movement).metrics}
    assert sorted(computed ^ set(METRIC_FUNCTIONS)) == []  # no dead function, no missing one


def test_knee_angle_at_takeoff_is_most_extended_included_angle() -> None:
    knee = _const(40.0)
    knee[120:131] = np.linspace(40.0, 10.0, 11)  # straightening into takeoff
    knee[131:] = 25.0
    kin = _seq({"knee_flexion_left": knee, "knee_flexion_right": knee + 4.0})
    m = knee_angle_at_takeoff(kin, None, KF, FPS)
    assert m.value == pytest.approx(180.0 - 12.0)  # mean of 10° and 14° at frame 130
    assert (m.frame, m.keyframe) == (130, None)  # a window metric: no single keyframe
    assert m.window == ("takeoff - 0.1 s", "takeoff")
    assert m.window_frames == (KF["takeoff"] - round(0.1 * FPS), KF["takeoff"])


def test_countermovement_depth_without_positions_uses_standing_pelvis_height() -> None:
    h = _const(1.0)
    h[100] = 0.8
    kin = _seq({"pelvis_height": h}, {"pelvis_height": "m"})
    m = countermovement_depth(kin, None, KF, FPS)
    assert m.value == pytest.approx(20.0)  # 0.2 m drop / 1.0 m, in %


def test_jump_height_from_flight_time() -> None:
    m = jump_height_flight_time(_seq({"x": _const(0.0)}), None, KF, FPS)
    assert m.value == pytest.approx(G * 0.4 ** 2 / 8)


def test_arm_swing_amplitude_and_timing() -> None:
    sh = _const(0.0)
    sh[60:100] = np.linspace(0.0, -40.0, 40)
    sh[100:140] = np.linspace(-40.0, 60.0, 40)  # peak 60° at frame 139
    sh[140:] = 30.0
    kin = _seq({"shoulder_flexion_left": sh, "shoulder_flexion_right": sh})
    assert arm_swing_amplitude(kin, None, KF, FPS).value == pytest.approx(
        float(sh[30:131].max() - sh[30:131].min()))
    assert arm_swing_timing(kin, None, KF, FPS).value == pytest.approx(0.09)


def test_arm_swing_timing_needs_a_swing() -> None:
    kin = _seq({"shoulder_flexion_left": _const(5.0)})
    with pytest.raises(NotAssessableError, match="too small to time"):
        arm_swing_timing(kin, None, KF, FPS)


def test_knee_flexion_at_initial_contact_takes_the_less_flexed_knee() -> None:
    kin = _seq({"knee_flexion_left": _const(35.0), "knee_flexion_right": _const(22.0)})
    assert knee_flexion_at_initial_contact(kin, None, KF, FPS).value == pytest.approx(22.0)


def test_knee_flexion_excursion_is_peak_minus_contact_within_the_landing_window() -> None:
    knee = _const(5.0)
    knee[170:191] = np.linspace(30.0, 70.0, 21)  # contact at 30° (mean), bending to 70°
    knee[191:] = 60.0
    knee[250:] = 100.0  # a later squat, outside landing_bottom + 0.2 s: not the landing
    kin = _seq({"knee_flexion_left": knee - 2.0, "knee_flexion_right": knee + 2.0})
    m = knee_flexion_excursion_landing(kin, None, KF, FPS)
    assert m.value == pytest.approx(40.0)
    assert (m.frame, m.keyframe) == (190, None)
    assert m.window == ("landing", "landing_bottom + 0.2 s")
    assert m.window_frames == (KF["landing"], KF["landing_bottom"] + round(0.2 * FPS))


def test_knee_flexion_excursion_takes_each_leg_from_its_own_contact() -> None:
    # The left foot lands at the landing keyframe (170); the right foot 8 frames later,
    # its knee tucked at 60° until then. From a common contact frame the right knee would
    # look stiff (60° -> 70°); from its own contact (178, at 40°) it bends 30°.
    left = _const(5.0)
    left[170:191] = np.linspace(30.0, 70.0, 21)
    left[191:] = 60.0
    right = left.copy()
    right[150:178] = 60.0
    right[178:191] = np.linspace(40.0, 70.0, 13)
    contact_l = np.zeros(300)
    contact_l[:130] = contact_l[170:] = 1.0
    contact_r = np.zeros(300)
    contact_r[:130] = contact_r[178:] = 1.0
    kin = _seq({"knee_flexion_left": left, "knee_flexion_right": right,
                "foot_contact_left": contact_l, "foot_contact_right": contact_r},
               {"foot_contact_left": "1", "foot_contact_right": "1"})
    assert knee_flexion_excursion_landing(kin, None, KF, FPS).value == pytest.approx(35.0)
    assert landing_time_asymmetry(kin, None, KF, FPS).value == pytest.approx(80.0)
    no_contacts = _seq({"knee_flexion_left": left, "knee_flexion_right": right})
    assert knee_flexion_excursion_landing(no_contacts, None, KF, FPS).value == \
        pytest.approx((40.0 + 10.0) / 2)


def test_time_to_stabilisation_rule() -> None:
    v = _const(0.0)
    v[170:230] = 0.3  # moving for 0.6 s after landing, then still
    kin = _seq({"pelvis_velocity_y": v}, {"pelvis_velocity_y": "m/s"})
    assert time_to_stabilisation(kin, None, KF, FPS).value == pytest.approx(0.6)
    v[230:] = 0.3
    moving = _seq({"pelvis_velocity_y": v}, {"pelvis_velocity_y": "m/s"})
    with pytest.raises(NotAssessableError, match="not still"):
        time_to_stabilisation(moving, None, KF, FPS)


def test_fppa_peak_takes_worse_side_and_needs_the_channel() -> None:
    left, right = _const(2.0), _const(1.0)
    right[180] = 14.0
    kin = _seq({"knee_fppa_left": left, "knee_fppa_right": right})
    m = knee_fppa_landing(kin, None, KF, FPS)
    assert (m.value, m.frame) == (14.0, 180)
    with pytest.raises(NotAssessableError, match="FPPA"):
        knee_fppa_landing(_seq({"knee_flexion_left": left}), None, KF, FPS)


def test_landing_time_asymmetry_in_ms() -> None:
    left, right = _const(1.0), _const(1.0)
    left[130:170] = 0.0
    right[130:173] = 0.0
    kin = _seq({"foot_contact_left": left, "foot_contact_right": right},
               {"foot_contact_left": "1", "foot_contact_right": "1"})
    assert landing_time_asymmetry(kin, None, KF, FPS).value == pytest.approx(30.0)


def test_squat_depth_is_peak_knee_flexion() -> None:
    knee = 100.0 * np.sin(np.linspace(0, np.pi, N))
    kin = _seq({"knee_flexion_left": knee, "knee_flexion_right": knee})
    kf = {"descent_start": 10, "bottom": 150, "ascent_end": 290}
    assert squat_depth_knee_flexion(kin, None, kf, FPS).value == pytest.approx(knee.max())


def _motion(pos: dict[str, np.ndarray]) -> MotionSequence:
    names = tuple(pos)
    return MotionSequence(positions=np.stack([pos[n] for n in names], axis=1), joints=names,
                          fps=FPS, facing="+x")


def test_hip_below_knee_in_percent_leg_length() -> None:
    def pt(x: float, y: float, z: float) -> np.ndarray:
        return np.tile([x, y, z], (N, 1)).astype(float)
    m = _motion({"left_hip": pt(0, 0.5, -0.1), "right_hip": pt(0, 0.5, 0.1),
                 "left_knee": pt(0.45, 0.55, -0.1), "right_knee": pt(0.45, 0.55, 0.1),
                 "left_ankle": pt(0.45, 0.1, -0.1), "right_ankle": pt(0.45, 0.1, 0.1)})
    leg = np.hypot(0.45, 0.05) + 0.45
    got = hip_below_knee(_seq({"x": _const(0)}), m, {"bottom": 5}, FPS)
    assert got.value == pytest.approx(100 * -0.05 / leg)


def test_takeoff_angle_from_pelvis_velocity() -> None:
    t = np.arange(N) / FPS
    pelvis = np.column_stack([1.0 * t, 1.0 * t, np.zeros(N)])  # 45° path
    m = _motion({"pelvis": pelvis})
    got = takeoff_angle(_seq({"x": _const(0)}), m, KF, FPS)
    assert got.value == pytest.approx(45.0, abs=1e-6)


KEYFRAME_ONLY = {"duration_flight", "duration_propulsion", "duration_unweighting_braking",
                 "jump_height_flight_time"}


@pytest.mark.parametrize("name", sorted(set(METRIC_FUNCTIONS) - KEYFRAME_ONLY))
def test_every_metric_reports_missing_channels_as_not_assessable(name: str) -> None:
    kin = _seq({"unrelated": _const(0.0)})
    kf = {**KF, "descent_start": 10, "bottom": 100, "ascent_end": 200}
    with pytest.raises(NotAssessableError):
        compute_metric(name, kin, None, kf, FPS)


@pytest.mark.parametrize("name", sorted(METRIC_FUNCTIONS))
def test_every_metric_reports_missing_keyframes_as_not_assessable(name: str) -> None:
    with pytest.raises(NotAssessableError):
        compute_metric(name, _seq({"unrelated": _const(0.0)}), None, {}, FPS)


def test_missing_keyframe_and_nan_value() -> None:
    kin = _seq({"knee_flexion_left": _const(np.nan), "knee_flexion_right": _const(np.nan)})
    with pytest.raises(NotAssessableError, match="keyframe 'takeoff'"):
        knee_angle_at_takeoff(kin, None, {}, FPS)
    with pytest.raises(NotAssessableError, match="no sample"):
        knee_angle_at_takeoff(kin, None, KF, FPS)
