from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.core.errors import MissingJointError, MotionDataError, SportsGPTError
from sportsgpt.tools.motion import AngleSequence, MotionSequence


def _motion(t: int = 5, joints: tuple[str, ...] = ("pelvis", "left_knee"), d: int = 3,
            **kw: object) -> MotionSequence:
    return MotionSequence(positions=np.arange(t * len(joints) * d, dtype=float).reshape(
        t, len(joints), d), joints=joints, fps=100.0, **kw)


def test_shape_and_timing() -> None:
    m = _motion(t=250)
    assert (m.n_frames, m.n_joints, m.dim) == (250, 2, 3)
    assert m.duration_s == pytest.approx(2.5)
    assert m.time_s[1] == pytest.approx(0.01)
    assert m.positions.dtype == np.float64


def test_positions_are_read_only_copies() -> None:
    src = np.zeros((3, 1, 3))
    m = MotionSequence(positions=src, joints=("pelvis",), fps=50)
    src[0, 0, 0] = 9.0
    assert m.positions[0, 0, 0] == 0.0
    with pytest.raises(ValueError, match="read-only"):
        m.positions[0, 0, 0] = 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"positions": np.zeros((3, 2))}, "shape"),
        ({"positions": np.zeros((3, 1, 4))}, "shape"),
        ({"positions": np.full((3, 1, 3), np.inf)}, "inf"),
        ({"joints": ("a", "b")}, "joint names"),
        ({"fps": 0.0}, "fps"),
        ({"fps": float("nan")}, "fps"),
        ({"fps": 1e9}, "fps"),
        ({"confidence": np.full((3, 1), 1.5)}, "confidence"),
        ({"confidence": np.ones((2, 1))}, "confidence"),
        ({"view": "sagittal"}, "3D positions"),
    ],
    ids=["2d-array", "4-coords", "inf", "name-count", "zero-fps", "nan-fps", "absurd-fps",
         "conf-range", "conf-shape", "3d-with-2d-view"],
)
def test_invalid_input_raises_typed_error(kwargs: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"positions": np.zeros((3, 1, 3)), "joints": ("pelvis",),
                               "fps": 100.0}
    base.update(kwargs)
    with pytest.raises(MotionDataError, match=message):
        MotionSequence(**base)  # type: ignore[arg-type]


def test_duplicate_joint_names_rejected() -> None:
    with pytest.raises(MotionDataError, match="duplicate"):
        MotionSequence(positions=np.zeros((2, 2, 3)), joints=("a", "a"), fps=10)


def test_2d_needs_a_view() -> None:
    with pytest.raises(MotionDataError, match="2D"):
        _motion(d=2)
    assert _motion(d=2, view="sagittal", units="px").dim == 2


def test_nan_is_allowed_and_counted() -> None:
    pos = np.zeros((4, 2, 3))
    pos[1, 0, :] = np.nan
    m = MotionSequence(positions=pos, joints=("pelvis", "head"), fps=30)
    assert m.missing_fraction() == pytest.approx(1 / 8)


def test_select_and_missing_joint() -> None:
    m = _motion(joints=("pelvis", "left_knee", "head"))
    sub = m.select(["head", "pelvis"])
    assert sub.joints == ("head", "pelvis")
    np.testing.assert_array_equal(sub.joint("pelvis"), m.joint("pelvis"))
    with pytest.raises(MissingJointError, match="right_ankle") as info:
        m.require("right_ankle", what="knee angle")
    assert "knee angle" in str(info.value)
    assert isinstance(info.value, SportsGPTError)


def test_slice_frames_keeps_confidence_aligned() -> None:
    m = _motion(t=10, confidence=np.linspace(0, 1, 20).reshape(10, 2))
    part = m.slice_frames(2, 5)
    assert part.n_frames == 3
    assert part.confidence is not None
    np.testing.assert_array_equal(part.confidence, m.confidence[2:5])  # type: ignore[index]


def test_angle_sequence_validation() -> None:
    seq = AngleSequence(values=np.zeros((5, 2)), channels=("knee_flexion_left", "pelvis_height"),
                        units=("deg", "m"), fps=240)
    assert seq.channel("pelvis_height").shape == (5,)
    with pytest.raises(MissingJointError):
        seq.channel("nope")
    with pytest.raises(MotionDataError, match="channels"):
        AngleSequence(values=np.zeros((5, 2)), channels=("a",), units=("deg",), fps=240)
