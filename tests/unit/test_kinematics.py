from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from sportsgpt.core.errors import MissingJointError, MotionDataError
from sportsgpt.tools.derivatives import savgol_derivative
from sportsgpt.tools.kinematics import (
    ANGLE_CHANNELS,
    SIGNAL_CHANNELS,
    compute_kinematics,
    contact_hysteresis,
    joint_angles,
    kinematic_signals,
    require_channels,
    sagittal_facing,
    unwrap_deg,
)
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.skeleton import mirror_name

Param = float | np.ndarray
SIDE_Z = {"left": -0.1, "right": 0.1}  # facing +x: +z is the athlete's right


# --- synthetic skeleton --------------------------------------------------------------------------
def _dir(alpha: Param) -> np.ndarray:
    """Sagittal unit vector at ``alpha`` degrees from straight down towards +x (forward)."""
    a = np.radians(np.atleast_1d(np.asarray(alpha, dtype=float)))
    return np.stack([np.sin(a), -np.cos(a)], axis=-1)


def _pose(t: int = 1, **p: Param) -> dict[str, np.ndarray]:
    """Sagittal (x forward, y up) joint paths of a body facing +x, shape (t, 2) each.

    Angles (degrees): ``trunk`` forward lean; per side (``knee`` or ``knee_left``):
    ``hip``/``shoulder`` flexion from the downward trunk, ``knee``/``elbow`` flexion,
    ``ankle`` dorsiflexion.
    """
    def g(name: str, side: str = "") -> np.ndarray:
        v = p.get(f"{name}_{side}", p.get(name, 0.0))
        return np.broadcast_to(np.asarray(v, dtype=float), (t,)).copy()

    th = g("trunk")
    pelvis = np.tile([0.0, 1.0], (t, 1))
    thorax = pelvis + 0.5 * np.stack([np.sin(np.radians(th)), np.cos(np.radians(th))], -1)
    pts = {"pelvis": pelvis, "thorax": thorax}
    for s in ("left", "right"):
        thigh = g("hip", s) - th
        shank = thigh - g("knee", s)
        foot = _dir(shank + 90 + g("ankle", s))
        arm = g("shoulder", s) - th
        pts[f"{s}_hip"] = pelvis
        pts[f"{s}_knee"] = pelvis + 0.45 * _dir(thigh)
        pts[f"{s}_ankle"] = pts[f"{s}_knee"] + 0.42 * _dir(shank)
        pts[f"{s}_heel"] = pts[f"{s}_ankle"] - 0.05 * foot
        pts[f"{s}_toe"] = pts[f"{s}_ankle"] + 0.15 * foot
        pts[f"{s}_shoulder"] = thorax
        pts[f"{s}_elbow"] = thorax + 0.3 * _dir(arm)
        pts[f"{s}_wrist"] = pts[f"{s}_elbow"] + 0.25 * _dir(arm + g("elbow", s))
    return pts


def _z(joint: str) -> float:
    side = joint.split("_")[0]
    return SIDE_Z.get(side, 0.0) * (1.8 if "shoulder" in joint or "elbow" in joint
                                     or "wrist" in joint else 1.0)


def _motion3d(pts: dict[str, np.ndarray], *, valgus_m: dict[str, float] | None = None,
              yaw_deg: float = 0.0, drop: tuple[str, ...] = (),
              facing: str = "unknown") -> MotionSequence:
    names = tuple(j for j in pts if j not in drop)
    pos = np.stack([np.column_stack([pts[j], np.full(len(pts[j]), _z(j))]) for j in names], 1)
    for side, d in (valgus_m or {}).items():  # knee moved medially by d metres
        medial = 1.0 if side == "left" else -1.0
        pos[:, names.index(f"{side}_knee"), 2] += medial * d
    c, s = np.cos(np.radians(yaw_deg)), np.sin(np.radians(yaw_deg))
    rot = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
    return MotionSequence(positions=pos @ rot.T, joints=names, fps=100.0,
                          facing=facing)  # type: ignore[arg-type]


def _motion2d(pts: dict[str, np.ndarray], *, mirror_x: bool = False,
              drop: tuple[str, ...] = (), **kw: object) -> MotionSequence:
    names = tuple(j for j in pts if j not in drop)
    pos = np.stack([pts[j] for j in names], 1) * np.array([-1.0 if mirror_x else 1.0, 1.0])
    base: dict[str, object] = {"view": "sagittal", "fps": 100.0}
    base.update(kw)
    return MotionSequence(positions=pos, joints=names, **base)  # type: ignore[arg-type]


def _ch(seq: AngleSequence, name: str) -> np.ndarray:
    return seq.channel(name)


# --- known angles --------------------------------------------------------------------------------
VIEWS = pytest.mark.parametrize("make", [_motion3d, _motion2d], ids=["3d", "2d-sagittal"])


@VIEWS
@pytest.mark.parametrize(
    ("pose", "channel", "expected"),
    [
        ({}, "knee_flexion_left", 0.0),
        ({"knee": 90.0}, "knee_flexion_right", 90.0),
        ({"hip": 45.0}, "hip_flexion_left", 45.0),
        ({"hip": -20.0}, "hip_flexion_right", -20.0),
        ({"hip": 30.0, "trunk": 25.0}, "hip_flexion_left", 30.0),
        ({}, "ankle_dorsiflexion_left", 0.0),
        ({"ankle": 15.0, "knee": 40.0}, "ankle_dorsiflexion_right", 15.0),
        ({"ankle": -30.0}, "ankle_dorsiflexion_left", -30.0),
        ({"trunk": 30.0}, "trunk_inclination", 30.0),
        ({"trunk": -10.0}, "trunk_inclination", -10.0),
        ({"shoulder": 90.0}, "shoulder_flexion_left", 90.0),
        ({"shoulder": -30.0, "trunk": 20.0}, "shoulder_flexion_right", -30.0),
        ({"shoulder": 170.0}, "shoulder_flexion_left", 170.0),
        ({"elbow": 60.0}, "elbow_flexion_right", 60.0),
    ],
    ids=["straight-knee", "knee-90", "hip-45", "hip-extension", "hip-rel-trunk",
         "ankle-neutral", "dorsiflexion", "plantarflexion", "trunk-forward", "trunk-back",
         "shoulder-90", "shoulder-extension", "shoulder-overhead", "elbow-60"],
)
def test_known_angle(make: Callable[..., MotionSequence], pose: dict[str, float], channel: str,
                     expected: float) -> None:
    seq = joint_angles(make(_pose(**pose)))
    assert _ch(seq, channel)[0] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("yaw", [0.0, 37.0, 180.0, -100.0], ids=lambda y: f"yaw{y:g}")
def test_3d_angles_do_not_depend_on_heading(yaw: float) -> None:
    pts = _pose(hip=50.0, knee=70.0, ankle=10.0, trunk=15.0, shoulder=40.0, elbow=30.0)
    seq = joint_angles(_motion3d(pts, yaw_deg=yaw, valgus_m={"left": 0.03}))
    got = dict(zip(seq.channels, seq.values[0], strict=True))
    assert got["hip_flexion_left"] == pytest.approx(50.0)
    assert got["knee_flexion_right"] == pytest.approx(70.0)
    assert got["ankle_dorsiflexion_right"] == pytest.approx(10.0)
    assert got["trunk_inclination"] == pytest.approx(15.0)
    assert got["shoulder_flexion_right"] == pytest.approx(40.0)
    assert got["elbow_flexion_left"] == pytest.approx(30.0)
    assert got["knee_fppa_left"] > 5.0 and got["knee_fppa_right"] == pytest.approx(0.0)


def test_random_poses_recovered(rng: np.random.Generator) -> None:
    t = 200
    p = {"trunk": rng.uniform(-30, 60, t), "hip": rng.uniform(-30, 120, t),
         "knee": rng.uniform(0, 150, t), "ankle": rng.uniform(-40, 30, t),
         "shoulder": rng.uniform(-50, 120, t), "elbow": rng.uniform(0, 150, t)}
    seq = joint_angles(_motion3d(_pose(t, **p)))
    for joint, channel in [("trunk", "trunk_inclination"), ("hip", "hip_flexion_left"),
                           ("knee", "knee_flexion_right"), ("ankle", "ankle_dorsiflexion_left"),
                           ("shoulder", "shoulder_flexion_right"),
                           ("elbow", "elbow_flexion_left")]:
        np.testing.assert_allclose(_ch(seq, channel), p[joint], atol=1e-7, err_msg=channel)


# --- frontal plane projection angle --------------------------------------------------------------
def _fppa_expected(d: float) -> float:
    return float(np.degrees(np.arctan(d / 0.45) + np.arctan(d / 0.42)))


@pytest.mark.parametrize(
    ("offset", "sign"), [(0.05, 1.0), (-0.05, -1.0), (0.0, 0.0)],
    ids=["valgus", "varus", "neutral"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_fppa_sign_and_size_3d(side: str, offset: float, sign: float) -> None:
    seq = joint_angles(_motion3d(_pose(), valgus_m={side: offset}, yaw_deg=23.0))
    assert _ch(seq, f"knee_fppa_{side}")[0] == pytest.approx(sign * _fppa_expected(0.05))
    other = "right" if side == "left" else "left"
    assert _ch(seq, f"knee_fppa_{other}")[0] == pytest.approx(0.0)


@pytest.mark.parametrize("camera_x", [1.0, -1.0], ids=["front-view", "back-view"])
def test_fppa_in_2d_frontal_view(camera_x: float) -> None:
    m3 = _motion3d(_pose(), valgus_m={"left": 0.05, "right": -0.03})
    frontal = m3.positions[:, :, [2, 1]] * np.array([camera_x, 1.0])
    m2 = MotionSequence(positions=frontal, joints=m3.joints, fps=100.0, view="frontal")
    seq = joint_angles(m2)
    assert _ch(seq, "knee_fppa_left")[0] == pytest.approx(_fppa_expected(0.05))
    assert _ch(seq, "knee_fppa_right")[0] == pytest.approx(-_fppa_expected(0.03))
    assert not seq.has("knee_flexion_left") and not seq.has("trunk_inclination")
    assert "frontal" in seq.source.extra["kinematics"]["skipped"]["knee_flexion_left"]


def test_fppa_not_computed_for_sagittal_2d() -> None:
    seq = joint_angles(_motion2d(_pose(knee=20.0)))
    assert not seq.has("knee_fppa_left")
    with pytest.raises(MissingJointError, match=r"knee_fppa_left.*sagittal"):
        require_channels(seq, ["knee_fppa_left"])


# --- symmetry, facing, signedness ----------------------------------------------------------------
def _mirrored(m: MotionSequence) -> MotionSequence:
    """Swap the athlete's left and right (mirror z, rename joints)."""
    return m.replace(positions=m.positions * np.array([1.0, 1.0, -1.0]),
                     joints=tuple(mirror_name(j) for j in m.joints))


def test_left_right_symmetry() -> None:
    pts = _pose(hip_left=20.0, hip_right=70.0, knee_left=10.0, knee_right=95.0,
                ankle_left=-5.0, ankle_right=12.0, shoulder_left=30.0, elbow_right=80.0)
    m = _motion3d(pts, valgus_m={"left": 0.04, "right": -0.02})
    a, b = joint_angles(m), joint_angles(_mirrored(m))
    for ch in a.channels:
        other = ch.replace("_left", "_RIGHT").replace("_right", "_left").replace("_RIGHT", "_right")
        np.testing.assert_allclose(_ch(a, ch), _ch(b, other), atol=1e-9, err_msg=ch)


@pytest.mark.parametrize("drop", [(), ("left_toe", "right_toe", "left_heel", "right_heel")],
                         ids=["facing-from-toes", "facing-from-knees"])
def test_2d_sagittal_facing_minus_x_detected(drop: tuple[str, ...]) -> None:
    m = _motion2d(_pose(hip=45.0, knee=60.0, trunk=20.0), mirror_x=True, drop=drop)
    sign, how = sagittal_facing(m)
    assert sign == -1.0 and "-x" in how
    seq = joint_angles(m)
    assert _ch(seq, "hip_flexion_left")[0] == pytest.approx(45.0)
    assert _ch(seq, "trunk_inclination")[0] == pytest.approx(20.0)


def test_2d_facing_undetectable_is_assumed_and_noted() -> None:
    m = _motion2d(_pose(hip=10.0), drop=("left_toe", "right_toe", "left_heel", "right_heel"))
    seq = joint_angles(m)
    assert any("assumed" in n for n in seq.source.notes)
    assert _ch(seq, "hip_flexion_left")[0] == pytest.approx(10.0)


def test_without_sagittal_frame_angles_are_unsigned() -> None:
    m = _motion3d(_pose(trunk=-30.0, shoulder=-40.0), drop=("left_hip", "right_hip"))
    seq = joint_angles(m)
    assert _ch(seq, "trunk_inclination")[0] == pytest.approx(30.0)
    assert _ch(seq, "shoulder_flexion_left")[0] == pytest.approx(40.0)
    assert "trunk_inclination" in seq.source.extra["kinematics"]["unsigned"]
    signed = joint_angles(m.replace(facing="+x"))
    assert _ch(signed, "trunk_inclination")[0] == pytest.approx(-30.0)


# --- missing joints and NaN ----------------------------------------------------------------------
def test_missing_joint_skips_channels_and_require_names_it() -> None:
    seq = compute_kinematics(_motion3d(_pose(), drop=("left_ankle",)))
    for ch in ("knee_flexion_left", "ankle_dorsiflexion_left", "knee_fppa_left"):
        assert not seq.has(ch)
    assert seq.has("knee_flexion_right", "left_foot_height", "foot_contact_left")
    require_channels(seq, ["knee_flexion_right"])
    with pytest.raises(MissingJointError, match="left_ankle") as err:
        require_channels(seq, ["knee_flexion_right", "knee_flexion_left"])
    assert err.value.missing == ("left_ankle",)


def test_no_toe_skips_ankle_and_no_feet_skip_contact() -> None:
    feetless = ("left_toe", "left_heel", "left_ankle")
    seq = compute_kinematics(_motion3d(_pose(), drop=feetless))
    assert not seq.has("ankle_dorsiflexion_left", "left_foot_height", "foot_contact_left")
    with pytest.raises(MissingJointError) as err:
        require_channels(seq, ["foot_contact_left"])
    assert set(err.value.missing) == set(feetless)


def test_require_channels_on_foreign_sequence_names_channel() -> None:
    seq = AngleSequence(values=np.zeros((3, 1)), channels=("hip_flexion_r",), units=("deg",),
                        fps=100.0)
    with pytest.raises(MissingJointError, match="knee_flexion_left"):
        require_channels(seq, ["knee_flexion_left"])


def test_nan_frames_propagate_as_nan() -> None:
    t = 60
    m = _motion3d(_pose(t, hip=np.linspace(0, 60, t), knee=np.linspace(0, 90, t)))
    pos = m.positions.copy()
    pos[20, m.index("left_knee")] = np.nan
    seq = compute_kinematics(m.replace(positions=pos))
    for ch in ("knee_flexion_left", "hip_flexion_left", "knee_fppa_left"):
        x = _ch(seq, ch)
        assert np.isnan(x[20]) and np.isfinite(np.delete(x, 20)).all(), ch
    assert np.isfinite(_ch(seq, "knee_flexion_right")).all()
    np.testing.assert_allclose(_ch(seq, "knee_flexion_left")[21:], np.linspace(0, 90, t)[21:])


def test_coincident_joints_give_nan_not_zero() -> None:
    pts = _pose(2)
    pts["left_knee"][1] = pts["left_hip"][1]
    seq = joint_angles(_motion3d(pts))
    assert np.isnan(_ch(seq, "knee_flexion_left")[1])
    assert _ch(seq, "knee_flexion_left")[0] == pytest.approx(0.0)


# --- continuity ----------------------------------------------------------------------------------
def test_knee_cycles_are_continuous() -> None:
    t = 2000
    truth = 85.0 - 85.0 * np.cos(np.linspace(0, 10 * np.pi, t))  # 0 -> 170 -> 0, 5 cycles
    seq = joint_angles(_motion3d(_pose(t, knee=truth, hip=0.4 * truth)))
    knee = _ch(seq, "knee_flexion_left")
    np.testing.assert_allclose(knee, truth, atol=1e-7)
    assert np.abs(np.diff(knee)).max() <= np.abs(np.diff(truth)).max() + 1e-7
    np.testing.assert_allclose(_ch(seq, "hip_flexion_right"), 0.4 * truth, atol=1e-7)


@pytest.mark.parametrize(
    ("pose_key", "channel", "turns"),
    [("shoulder", "shoulder_flexion_left", 1.3), ("shoulder", "shoulder_flexion_right", -1.2),
     ("trunk", "trunk_inclination", 2.0), ("trunk", "trunk_inclination", -1.5)],
    ids=["arm-windmill", "arm-backwards", "somersault", "back-somersault"],
)
def test_2d_rotation_past_180_is_unwrapped(pose_key: str, channel: str, turns: float) -> None:
    t = 500
    truth = np.linspace(0.0, 360.0 * turns, t)
    m = _motion2d(_pose(t, **{pose_key: truth}), facing="+x")
    got = _ch(joint_angles(m), channel)
    np.testing.assert_allclose(got, truth, atol=1e-7)
    assert np.abs(np.diff(got)).max() <= np.abs(np.diff(truth)).max() + 1e-7


def test_unwrap_deg_skips_nan() -> None:
    x = np.array([170.0, 179.0, np.nan, -175.0, -160.0])
    np.testing.assert_allclose(unwrap_deg(x), [170.0, 179.0, np.nan, 185.0, 200.0])


# --- derivatives ---------------------------------------------------------------------------------
def test_savgol_derivative_exact_on_cubic_and_local_nan() -> None:
    fps = 120.0
    t = np.arange(300) / fps
    y = 1.0 + 2.0 * t - 4.905 * t**2 + 0.3 * t**3
    np.testing.assert_allclose(savgol_derivative(y, fps, 1), 2.0 - 9.81 * t + 0.9 * t**2,
                               atol=1e-8)
    np.testing.assert_allclose(savgol_derivative(y, fps, 2), -9.81 + 1.8 * t, atol=1e-6)
    y[150] = np.nan
    v = savgol_derivative(y, fps, 1)
    assert np.isnan(v[150]) and np.isnan(v[144]) and np.isfinite(v[:143]).all()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6], ids=lambda n: f"T{n}")
def test_savgol_derivative_short_series(n: int) -> None:
    y = 3.0 * np.arange(n) / 50.0
    v = savgol_derivative(y, 50.0, 1)
    assert v.shape == (n,)
    if n < 3:
        assert np.isnan(v).all()
    else:
        np.testing.assert_allclose(v, 3.0, atol=1e-9)


def test_savgol_noise_is_not_amplified_wildly(rng: np.random.Generator) -> None:
    fps, sigma = 120.0, 0.002
    y = 1.0 + rng.normal(0.0, sigma, 2000)
    naive = np.std(np.diff(y, 2) * fps**2)
    acc = np.std(savgol_derivative(y, fps, 2))
    assert acc < naive / 20


# --- heights and contact -------------------------------------------------------------------------
def _jump(fps: float = 200.0) -> tuple[MotionSequence, np.ndarray, slice]:
    """Stand 1 s on a floor at y = 0.3, fly 0.5 s ballistically (take-off 2.45 m/s), stand 1 s."""
    v0, g = 2.4525, 9.81
    tf = 2 * v0 / g
    n_stand, n_fly = int(fps), round(tf * fps)
    tt = np.arange(n_fly) / fps
    lift = np.concatenate([np.zeros(n_stand), v0 * tt - 0.5 * g * tt**2, np.zeros(n_stand)])
    pts = _pose(len(lift), knee=5.0)
    for j in pts:
        pts[j] = pts[j] + np.column_stack([np.zeros(len(lift)), lift + 0.3])  # floor at y=0.3
    return _motion3d(pts).replace(fps=fps), lift, slice(n_stand, n_stand + n_fly)


def test_pelvis_signals_and_contact_on_synthetic_jump() -> None:
    m, lift, fly = _jump()
    seq = kinematic_signals(m)
    assert set(seq.channels) == set(SIGNAL_CHANNELS)
    assert dict(zip(seq.channels, seq.units, strict=True)) == SIGNAL_CHANNELS
    sole = min(_pose(knee=5.0)["left_heel"][0, 1], _pose(knee=5.0)["left_toe"][0, 1])
    np.testing.assert_allclose(_ch(seq, "pelvis_height"), 1.0 - sole + lift, atol=1e-9)
    acc = _ch(seq, "pelvis_acceleration_y")[fly][15:-15]
    np.testing.assert_allclose(acc, -9.81, atol=1e-6)
    apex = fly.start + int(np.argmax(lift[fly]))
    assert abs(_ch(seq, "pelvis_velocity_y")[apex]) < 0.05
    for side in ("left", "right"):
        c = _ch(seq, f"foot_contact_{side}")
        assert c[: fly.start].min() == 1.0 and c[fly.stop + 30:].min() == 1.0
        flying = np.flatnonzero(c[fly] == 0.0)
        assert flying.size > 0.8 * (fly.stop - fly.start)
        assert set(np.unique(c)) == {0.0, 1.0}
        assert _ch(seq, f"{side}_foot_height")[apex] == pytest.approx(lift[apex], abs=1e-9)


def test_explicit_ground_level_and_threshold() -> None:
    m, _, _ = _jump()
    seq = kinematic_signals(m, ground_level=0.0)
    assert _ch(seq, "pelvis_height")[0] == pytest.approx(1.3)
    high = kinematic_signals(m, contact_threshold_m=0.30)
    low = kinematic_signals(m)
    assert (_ch(high, "foot_contact_left") == 1).sum() > (_ch(low, "foot_contact_left") == 1).sum()


def test_contact_hysteresis_rules() -> None:
    h = np.array([0.0, 0.06, 0.07, 0.08, 0.2, 0.04, 0.04, np.nan, 0.02])
    v = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.1, 0.0, 0.0])
    got = contact_hysteresis(h, v, 0.05, 0.075, 0.5)
    np.testing.assert_array_equal(got, [1, 1, 1, 0, 0, 0, 1, np.nan, 1])


def test_pixel_motion_skips_heights_but_scales_contact() -> None:
    m3, _, _ = _jump()
    px = m3.positions[:, :, :2] * 400.0  # 400 px per metre
    m2 = MotionSequence(positions=px, joints=m3.joints, fps=m3.fps, units="px",
                        view="sagittal")
    seq = compute_kinematics(m2)
    assert not seq.has("pelvis_height", "left_foot_height", "pelvis_velocity_y")
    assert "m" not in seq.units and "m/s" not in seq.units
    ref = _ch(kinematic_signals(m3), "foot_contact_left")
    assert np.mean(_ch(seq, "foot_contact_left") == ref) > 0.97
    with pytest.raises(MissingJointError, match="px"):
        require_channels(seq, ["pelvis_height"])


def test_channel_order_and_units_contract() -> None:
    seq = compute_kinematics(_motion3d(_pose(3)))
    assert seq.channels == (*ANGLE_CHANNELS, "pelvis_height", "pelvis_velocity_y",
                            "pelvis_acceleration_y", "left_foot_height", "foot_contact_left",
                            "right_foot_height", "foot_contact_right")
    assert all(u == "deg" for c, u in zip(seq.channels, seq.units, strict=True)
               if c in ANGLE_CHANNELS)




def test_missing_pelvis_skips_all_pelvis_signals() -> None:
    seq = kinematic_signals(_motion3d(_pose(5), drop=("pelvis",)))
    assert not any(c.startswith("pelvis_") for c in seq.channels)
    assert seq.has("foot_contact_left")
    with pytest.raises(MissingJointError, match="pelvis") as err:
        require_channels(seq, ["pelvis_velocity_y", "pelvis_acceleration_y"])
    assert err.value.missing == ("pelvis",)


@pytest.mark.parametrize("kwargs", [{"contact_threshold_m": -0.01},
                                    {"contact_threshold_m": float("nan")},
                                    {"ground_level": float("inf")}],
                         ids=["negative-threshold", "nan-threshold", "inf-ground"])
def test_bad_options_raise_typed_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(MotionDataError):
        kinematic_signals(_motion3d(_pose(5)), **kwargs)


def test_frontal_view_without_hips_skips_fppa() -> None:
    m3 = _motion3d(_pose(), drop=("left_hip",))
    m2 = MotionSequence(positions=m3.positions[:, :, [2, 1]], joints=m3.joints, fps=100.0,
                        view="frontal")
    seq = joint_angles(m2)
    assert seq.channels == ()
    with pytest.raises(MissingJointError, match="left_hip"):
        require_channels(seq, ["knee_fppa_right"])


def test_2d_unknown_view_gives_unsigned_image_plane_angles() -> None:
    m = _motion2d(_pose(knee=40.0, trunk=-15.0), view="unknown")
    seq = joint_angles(m)
    assert _ch(seq, "knee_flexion_left")[0] == pytest.approx(40.0)
    assert _ch(seq, "trunk_inclination")[0] == pytest.approx(15.0)
    assert not seq.has("knee_fppa_left")
    assert set(seq.source.extra["kinematics"]["unsigned"]) >= {"trunk_inclination",
                                                                "hip_flexion_left"}
