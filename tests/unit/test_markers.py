"""Joint centres from Plug-in-Gait markers, recovered from synthetic bodies.

The real UI-PRMD checks are in tests/integration/test_markers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.markers import (
    DEFAULT_ELBOW_WIDTH_M,
    DEFAULT_KNEE_WIDTH_M,
    chord_joint_centre,
    estimate_leg_length,
    harrington_hip_centres,
    joint_centres_from_markers,
)
from sportsgpt.tools.skeleton import CANONICAL_JOINTS

RADIUS = 0.007
# Pelvis in the canonical frame (faces +X, Y up, +Z right): PW = 0.24 m, PD = 0.16 m.
PELVIS = {
    "LASI": (0.0, 0.0, -0.12), "RASI": (0.0, 0.0, 0.12),
    "LPSI": (-0.16, 0.0, -0.045), "RPSI": (-0.16, 0.0, 0.045),
}
# Harrington et al. 2007 by hand, PW = 240 mm, PD = 160 mm, LL = 850 mm (in metres):
# x = -0.24*160 - 9.9 = -48.3 mm, minus the 7 mm marker radius
# y = -0.16*240 - 0.04*850 - 7.1 = -79.5 mm
# z = 0.28*160 + 0.16*240 + 7.9 = 91.1 mm
HJC_RIGHT = np.array([-0.0483 - RADIUS, -0.0795, 0.0911])
HJC_LEFT = HJC_RIGHT * np.array([1.0, 1.0, -1.0])
LEG = 0.85


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _rigid(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Apply a different random rotation + translation to each frame of (T, N, 3)."""
    out = np.empty_like(points)
    for t in range(points.shape[0]):
        out[t] = points[t] @ _rotation(rng).T + rng.uniform(-2, 2, size=3)
    return out


@pytest.mark.parametrize(("wand", "proximal", "marker", "delta", "expected"), [
    # Reference values from the doctests of pyCGM's findJointC (cadop/pyCGM), in mm.
    ((468.14532471, 325.09780884, 673.12591553), (355.90861996, 365.38260964, 940.6974861),
     (452.35180664, 329.0609436, 524.77893066), 59.5,
     (396.25286248, 347.91367254, 518.63620527)),
    ((775.40887891, 788.64742014, 514.4063264), (424.5706403, 46.17046141, 305.73130661),
     (618.98284978, 848.86492206, 133.51848843), 42.5,
     (599.66684491, 843.26056826, 96.07876121)),
], ids=["pycgm-knee-example", "pycgm-static-example"])
def test_chord_matches_pycgm_reference(wand: tuple[float, ...], proximal: tuple[float, ...],
                                       marker: tuple[float, ...], delta: float,
                                       expected: tuple[float, ...]) -> None:
    got = chord_joint_centre(np.array(wand), np.array(proximal), np.array(marker), delta)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_chord_geometry(rng: np.random.Generator) -> None:
    wand, prox, marker = (rng.normal(size=(50, 3)) for _ in range(3))
    delta = 0.05
    j = chord_joint_centre(wand, prox, marker, delta)
    ok = np.linalg.norm(prox - marker, axis=1) > delta
    assert ok.sum() > 40
    j, wand, prox, marker = j[ok], wand[ok], prox[ok], marker[ok]
    np.testing.assert_allclose(np.linalg.norm(j - marker, axis=1), delta, atol=1e-12)
    np.testing.assert_allclose(np.einsum("ij,ij->i", j - marker, j - prox), 0, atol=1e-12)
    normal = np.cross(wand - marker, prox - marker)
    np.testing.assert_allclose(np.einsum("ij,ij->i", j - marker, normal), 0, atol=1e-10)
    # wand and joint centre on opposite sides of the line proximal-marker
    side_w = np.einsum("ij,ij->i", np.cross(prox - marker, wand - marker), normal)
    side_j = np.einsum("ij,ij->i", np.cross(prox - marker, j - marker), normal)
    assert np.all(side_w * side_j < 0)


def test_chord_without_solution_is_nan() -> None:
    got = chord_joint_centre(np.array([1.0, 0, 0]), np.array([0, 0.05, 0]), np.zeros(3), 0.06)
    assert np.isnan(got).all()


def test_harrington_hand_computed_and_rigid(rng: np.random.Generator) -> None:
    pts = np.array([PELVIS[n] for n in ("LASI", "RASI", "LPSI", "RPSI")] + [HJC_LEFT, HJC_RIGHT])
    moved = _rigid(np.repeat(pts[None], 6, axis=0), rng)
    left, right = harrington_hip_centres(moved[:, 0], moved[:, 1], moved[:, 2], moved[:, 3],
                                         leg_length_left_m=LEG, leg_length_right_m=LEG,
                                         marker_radius_m=RADIUS)
    np.testing.assert_allclose(left, moved[:, 4], atol=1e-9)
    np.testing.assert_allclose(right, moved[:, 5], atol=1e-9)


def _synthetic_body(n_frames: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Markers built around chosen joint centres with the documented offsets (canonical frame)."""
    mk: dict[str, np.ndarray] = {}
    jc: dict[str, np.ndarray] = {}
    rep = lambda p: np.repeat(np.asarray(p, float)[None], n_frames, axis=0)  # noqa: E731
    for n, p in PELVIS.items():
        mk[n] = rep(p)
    flex = np.linspace(0.0, 1.9, n_frames)  # knee flexion 0..110 degrees
    dk, da = DEFAULT_KNEE_WIDTH_M / 2 + RADIUS, 0.07 / 2 + RADIUS
    for side, p, sign, hjc in (("left", "L", -1.0, HJC_LEFT), ("right", "R", 1.0, HJC_RIGHT)):
        lat = np.array([0.0, 0.0, sign])
        thigh = np.stack([np.sin(0.6 * flex), -np.cos(0.6 * flex), np.zeros_like(flex)], 1)
        shank = np.stack([np.sin(-0.4 * flex), -np.cos(-0.4 * flex), np.zeros_like(flex)], 1)
        hip = rep(hjc)
        knee = hip + 0.40 * thigh
        ankle = knee + 0.42 * shank
        mk[p + "KNE"] = knee + dk * lat
        mk[p + "THI"] = 0.5 * (hip + knee) + (dk + 0.04) * lat
        mk[p + "ANK"] = ankle + da * lat
        mk[p + "TIB"] = 0.5 * (knee + ankle) + (da + 0.03) * lat
        mk[p + "HEE"] = ankle + np.array([-0.06, -0.04, 0.0])
        mk[p + "TOE"] = ankle + np.array([0.14, -0.05, 0.0])
        sho = rep([0.0, 0.45, sign * 0.19])
        elbow = sho + np.array([0.05, -0.28, sign * 0.03])
        wrist = elbow + np.array([0.25, 0.0, 0.0])
        mk[p + "SHO"] = sho
        jc |= {f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
               f"{side}_heel": mk[p + "HEE"], f"{side}_toe": mk[p + "TOE"],
               f"{side}_shoulder": sho, f"{side}_elbow": elbow, f"{side}_wrist": wrist}
        mk[p + "WRA"] = wrist + np.array([0.0, 0.0, 0.025])
        mk[p + "WRB"] = wrist - np.array([0.0, 0.0, 0.025])
    for side, p, sign in (("left", "L", -1.0), ("right", "R", 1.0)):
        medial = np.array([0.0, 0.0, -sign])  # along the shoulder line, towards the midline
        mk[p + "ELB"] = jc[f"{side}_elbow"] - (DEFAULT_ELBOW_WIDTH_M / 2 + RADIUS) * medial
    mk["C7"], mk["CLAV"] = rep([-0.08, 0.50, 0.0]), rep([0.06, 0.46, 0.0])
    for n, p in {"LFHD": (0.08, 0.70, -0.05), "RFHD": (0.08, 0.70, 0.05),
                 "LBHD": (-0.10, 0.68, -0.06), "RBHD": (-0.10, 0.68, 0.06)}.items():
        mk[n] = rep(p)
    jc["pelvis"] = 0.5 * (jc["left_hip"] + jc["right_hip"])
    jc["thorax"] = rep([-0.01, 0.48, 0.0])
    jc["head"] = rep([-0.01, 0.69, 0.0])
    jc["neck"] = 0.5 * (jc["thorax"] + jc["head"])
    return mk, jc


def _stack(d: dict[str, np.ndarray]) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(d)
    return np.stack([d[n] for n in names], axis=1), names


def test_synthetic_body_recovered_exactly(rng: np.random.Generator) -> None:
    mk, jc = _synthetic_body(12)
    markers, names = _stack(mk)
    expected, jnames = _stack(jc)
    both = _rigid(np.concatenate([markers, expected], axis=1), rng)
    markers, expected = both[:, : len(names)], both[:, len(names):]
    pos, joints, notes = joint_centres_from_markers(markers, names,
                                                    leg_length_m={"left": LEG, "right": LEG})
    assert joints == CANONICAL_JOINTS
    for j in joints:
        np.testing.assert_allclose(pos[:, joints.index(j)], expected[:, jnames.index(j)],
                                   atol=1e-9, err_msg=j)
    assert any("Harrington" in n for n in notes)
    assert any("knee width not measured" in n for n in notes)
    assert not any("leg length not given" in n for n in notes)


def test_leg_length_estimated_and_reported() -> None:
    mk, _ = _synthetic_body(5)
    markers, names = _stack(mk)
    _, joints, notes = joint_centres_from_markers(markers, names)
    est = estimate_leg_length(mk["LASI"], mk["LKNE"], mk["LANK"])
    assert 0.7 < est < 1.0
    assert any(f"{est:.3f} m" in n and n.startswith("left leg length") for n in notes)
    assert "left_hip" in joints


@pytest.mark.parametrize(("drop", "absent"), [
    ("LTHI", {"left_knee", "left_ankle"}),
    ("LPSI", {"pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
              "right_ankle"}),
    ("C7", {"thorax", "neck"}),
    ("RWRB", {"right_wrist"}),
    ("LSHO", {"left_shoulder", "left_elbow", "right_elbow"}),
], ids=["thigh-wand", "psis", "c7", "wrist-marker", "shoulder"])
def test_missing_markers_skip_joints(drop: str, absent: set[str]) -> None:
    mk, _ = _synthetic_body(3)
    del mk[drop]
    markers, names = _stack(mk)
    _, joints, _ = joint_centres_from_markers(markers, names, leg_length_m=LEG)
    assert set(CANONICAL_JOINTS) - set(joints) == absent


def test_nan_propagates_to_dependants_only() -> None:
    mk, _ = _synthetic_body(6)
    mk["LKNE"][3] = np.nan
    markers, names = _stack(mk)
    pos, joints, _ = joint_centres_from_markers(markers, names, leg_length_m=LEG)
    bad = {j for j in joints if np.isnan(pos[:, joints.index(j)]).any()}
    assert bad == {"left_knee", "left_ankle"}
    assert np.isnan(pos[3, joints.index("left_ankle")]).all()
    assert np.isfinite(pos[2, joints.index("left_ankle")]).all()


def test_names_ignore_subject_prefix_and_case() -> None:
    mk, _ = _synthetic_body(2)
    markers, names = _stack(mk)
    pos_a, joints_a, _ = joint_centres_from_markers(markers, names, leg_length_m=LEG)
    prefixed = [f"Subject01:{n.lower()}" for n in names]
    pos_b, joints_b, _ = joint_centres_from_markers(markers, prefixed, leg_length_m=LEG)
    assert joints_a == joints_b
    np.testing.assert_array_equal(pos_a, pos_b)


def test_no_known_markers_gives_no_joints() -> None:
    pos, joints, _ = joint_centres_from_markers(np.zeros((4, 2, 3)), ["FOO", "BAR"])
    assert pos.shape == (4, 0, 3)
    assert joints == ()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"markers": np.zeros((4, 2)), "names": ["A", "B"]}, "shape"),
    ({"markers": np.zeros((4, 2, 3)), "names": ["A"]}, "marker names"),
    ({"markers": np.zeros((4, 2, 3)), "names": ["LASI", "x:lasi"]}, "twice"),
    ({"markers": np.zeros((4, 1, 3)), "names": ["A"], "marker_diameter_m": -1.0}, "diameter"),
    ({"leg_length_m": -0.9}, "leg_length_m"),
    ({"leg_length_m": {"middle": 0.9}}, "keys"),
    ({"knee_width_m": float("nan")}, "knee width"),
], ids=["2d-array", "name-count", "duplicate", "diameter", "negative-leg", "bad-key", "nan-knee"])
def test_bad_input_raises_motion_data_error(kwargs: dict[str, object], match: str) -> None:
    mk, _ = _synthetic_body(2)
    markers, names = _stack(mk)
    args: dict[str, object] = {"markers": markers, "names": names, **kwargs}
    with pytest.raises(MotionDataError, match=match):
        joint_centres_from_markers(**args)  # type: ignore[arg-type]
