from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import detect_format, read_motion
from sportsgpt.tools.io.trc import canonical_for_label, markers_to_joints, read, sniff
from sportsgpt.tools.motion import MotionSequence
from tests.unit.fuzzing import flip_bytes, replace_cell

POSE2SIM = ("Hip", "RHip", "RKnee", "RAnkle", "RBigToe", "RSmallToe", "RHeel", "LHip", "LKnee",
            "LAnkle", "LBigToe", "LSmallToe", "LHeel", "Neck", "Head", "Nose", "RShoulder",
            "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "LEar", "REar")
PLUG_IN_GAIT = ("LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
                "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE")


def write_trc(path: Path, names: tuple[str, ...] | list[str], xyz: np.ndarray, *,
              rate: float = 60.0, units: str = "mm", n_frames: int | None = None,
              n_markers: int | None = None, trailing: str = "\n\n") -> Path:
    """A minimal TRC writer (Pose2Sim layout); NaN samples are written as empty cells."""
    t, m, _ = xyz.shape
    head = [
        f"PathFileType\t4\t(X/Y/Z)\t{path.name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate:g}\t{rate:g}\t{t if n_frames is None else n_frames}\t"
        f"{m if n_markers is None else n_markers}\t{units}\t{rate:g}\t1\t{t}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"X{i + 1}\tY{i + 1}\tZ{i + 1}" for i in range(m)),
        "",
    ]
    rows = []
    for f in range(t):
        cells = ["" if math.isnan(v) else f"{v:.6f}" for v in xyz[f].ravel()]
        rows.append("\t".join([str(f + 1), f"{f / (rate or 1):.6f}", *cells]))
    path.write_text("\n".join(head + rows) + trailing, encoding="utf-8")
    return path


def trajectories(rng: np.random.Generator, t: int, m: int) -> np.ndarray:
    """Smooth known marker paths in mm (random offsets + sinusoids)."""
    base = rng.uniform(-800, 1500, size=(1, m, 3))
    phase = np.linspace(0, 2 * np.pi, t)[:, None, None]
    return base + 50 * np.sin(phase + np.arange(m)[None, :, None])


def test_sniff() -> None:
    assert sniff(b"PathFileType\t4\t(X/Y/Z)\tx.trc\n")
    assert sniff(b"\xef\xbb\xbfPathFileType\t4")
    assert not sniff(b"Frame#\tTime\n")
    assert not sniff(b"")


def test_pose2sim_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 30, len(POSE2SIM))
    xyz[4, 2, :] = np.nan  # RKnee missing in frame 5
    m = read(write_trc(tmp_path / "p2s.trc", POSE2SIM, xyz, rate=30.0))
    assert isinstance(m, MotionSequence)
    assert (m.n_frames, m.fps, m.source.format) == (30, 30.0, "trc")
    assert m.joints == ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee",
                        "left_ankle", "right_ankle", "left_heel", "right_heel", "left_toe",
                        "right_toe", "thorax", "head", "left_shoulder", "right_shoulder",
                        "left_elbow", "right_elbow", "left_wrist", "right_wrist")
    idx = {n: i for i, n in enumerate(POSE2SIM)}
    np.testing.assert_allclose(m.joint("pelvis"), xyz[:, idx["Hip"]] / 1000, atol=1e-9)
    np.testing.assert_allclose(m.joint("right_toe"), xyz[:, idx["RBigToe"]] / 1000, atol=1e-9)
    np.testing.assert_allclose(m.joint("thorax"), xyz[:, idx["Neck"]] / 1000, atol=1e-9)
    ears = (xyz[:, idx["LEar"]] + xyz[:, idx["REar"]]) / 2000
    np.testing.assert_allclose(m.joint("head"), ears, atol=1e-9)
    knee = m.joint("right_knee")
    assert np.isnan(knee[4]).all()
    assert np.isfinite(np.delete(knee, 4, axis=0)).all()
    assert m.source.original_up_axis == "y"
    assert any("Y up" in n for n in m.source.notes)
    assert m.source.original_joint_names == POSE2SIM


def test_keep_markers_and_units(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 5, len(POSE2SIM)) / 1000
    m = read(write_trc(tmp_path / "m.trc", POSE2SIM, xyz, units="m"), keep_markers=True)
    assert {"marker:Nose", "marker:RSmallToe", "marker:Head"} <= set(m.joints)
    assert "marker:RKnee" not in m.joints
    np.testing.assert_allclose(m.joint("marker:Nose"), xyz[:, POSE2SIM.index("Nose")], atol=1e-6)


@pytest.mark.parametrize(("units", "factor"), [("mm", 1e-3), ("cm", 1e-2), ("m", 1.0)],
                         ids=["mm", "cm", "m"])
def test_units(tmp_path: Path, units: str, factor: float) -> None:
    xyz = np.full((3, 2, 3), 100.0)
    m = read(write_trc(tmp_path / "u.trc", ["r_knee", "l_knee"], xyz, units=units))
    np.testing.assert_allclose(m.positions, 100.0 * factor)
    assert m.source.original_units == units


@pytest.mark.parametrize(
    ("label", "joint"),
    [("RKnee", "right_knee"), ("r_knee", "right_knee"), ("right_knee", "right_knee"),
     ("knee_r", "right_knee"), ("RightKnee", "right_knee"), ("LKnee", "left_knee"),
     ("knee_left", "left_knee"), ("RBigToe", "right_toe"), ("l_ankle", "left_ankle"),
     ("RHeel", "right_heel"), ("Hip", "pelvis"), ("MidHip", "pelvis"), ("Neck", "thorax"),
     ("Head", "head"), ("LShoulder", "left_shoulder"), ("r_elbow", "right_elbow"),
     ("wrist_l", "left_wrist"), ("Jim:RHip", "right_hip"), ("LHJC", "left_hip")],
    ids=lambda v: str(v))
def test_alias_table(label: str, joint: str) -> None:
    hit = canonical_for_label(label)
    assert hit is not None and hit[0] == joint


@pytest.mark.parametrize("label", ["LKNE", "LANK", "LHEE", "Nose", "RSmallToe", "REye",
                                   "foo", "", "r_knee_study"], ids=lambda v: v or "empty")
def test_alias_table_rejects(label: str) -> None:
    assert canonical_for_label(label) is None


def test_big_toe_preferred_and_pelvis_from_hips(tmp_path: Path) -> None:
    xyz = np.arange(4 * 4 * 3, dtype=float).reshape(4, 4, 3)
    names = ["RToe", "RBigToe", "LHip", "RHip"]
    m = read(write_trc(tmp_path / "t.trc", names, xyz))
    np.testing.assert_allclose(m.joint("right_toe"), xyz[:, 1] / 1000)
    np.testing.assert_allclose(m.joint("pelvis"), (xyz[:, 2] + xyz[:, 3]) / 2000)
    assert any("RToe" in n for n in m.source.notes)


def test_sports2d_flat_z_kept_3d(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 10, 3)
    xyz[..., 2] = 0.0
    m = read(write_trc(tmp_path / "s2d.trc", ["RHip", "RKnee", "RAnkle"], xyz, units="m"))
    assert m.dim == 3
    assert any("2D" in n for n in m.source.notes)


def test_plug_in_gait_labels_use_marker_model(tmp_path: Path, rng: np.random.Generator) -> None:
    pytest.importorskip("sportsgpt.tools.markers")
    xyz = trajectories(rng, 8, len(PLUG_IN_GAIT))
    m = read(write_trc(tmp_path / "pig.trc", PLUG_IN_GAIT, xyz))
    assert any("Plug-in-Gait" in n for n in m.source.notes)
    assert {"pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
            "right_ankle"} <= set(m.joints)
    assert np.isfinite(m.positions).all()
    assert not any(j.startswith("marker:") for j in m.joints)
    kept = read(tmp_path / "pig.trc", keep_markers=True)
    assert {f"marker:{n}" for n in PLUG_IN_GAIT} <= set(kept.joints)


def test_markers_to_joints_without_joints_names_hint(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="keep_markers"):
        markers_to_joints(tmp_path / "x.trc", np.zeros((2, 2, 3)), ["foo", "bar"])


def test_trailing_blank_lines_and_registry(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_trc(tmp_path / "b.trc", ["RHip", "LHip"], trajectories(rng, 4, 2),
                     trailing="\n\n\n   \n")
    assert detect_format(path).name == "trc"
    m = read_motion(path)
    assert isinstance(m, MotionSequence) and m.n_frames == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"n_frames": 7}, "NumFrames"), ({"n_markers": 3}, "NumMarkers"),
     ({"units": "furlongs"}, "Units"), ({"rate": 0.0}, "DataRate"),
     ({"n_frames": 10**12}, "NumFrames")],
    ids=["frames", "markers", "units", "rate", "huge-frames"])
def test_header_errors_name_field(tmp_path: Path, kwargs: dict[str, object],
                                  field: str) -> None:
    path = write_trc(tmp_path / "bad.trc", ["RHip", "LHip"], np.ones((4, 2, 3)),
                     **kwargs)  # type: ignore[arg-type]
    with pytest.raises(MotionFileError) as info:
        read(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("token", "field"), [("abc", "LHip.Y"), ("inf", None)],
                         ids=["garbage", "inf"])
def test_bad_cells_name_line(tmp_path: Path, token: str, field: str | None) -> None:
    path = write_trc(tmp_path / "c.trc", ["RHip", "LHip"], np.ones((4, 2, 3)))
    lines = path.read_text().splitlines()
    cells = lines[8].split("\t")
    cells[6] = token  # frame 3, LHip Y
    lines[8] = "\t".join(cells)
    path.write_text("\n".join(lines))
    with pytest.raises(MotionFileError) as info:
        read(path)
    assert info.value.line == 9
    assert info.value.field == field


def test_extra_columns_rejected(tmp_path: Path) -> None:
    path = write_trc(tmp_path / "x.trc", ["RHip"], np.ones((2, 1, 3)))
    path.write_text(path.read_text().replace("1.000000\n2", "1.000000\t5\n2", 1))
    with pytest.raises(MotionFileError, match="columns"):
        read(path)


# --- fuzzing -----------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _base(tmp_path: Path) -> bytes:
    xyz = np.linspace(0, 1000, 5 * 4 * 3).reshape(5, 4, 3)
    return write_trc(tmp_path / "base.trc", ["Hip", "RKnee", "LKnee", "Nose"], xyz).read_bytes()


def _check(path: Path) -> None:
    try:
        m = read(path)
    except SportsGPTError:
        return
    assert isinstance(m, MotionSequence)
    assert m.n_frames >= 1 and m.positions.shape[2] == 3


@FUZZ
@given(cut=st.integers(min_value=0, max_value=2000))
def test_fuzz_truncated(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "f.trc"
    path.write_bytes(_base(tmp_path)[:cut])
    _check(path)


@FUZZ
@given(data=st.data())
def test_fuzz_garbage_bytes(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "f.trc"
    path.write_bytes(flip_bytes(_base(tmp_path), data))
    _check(path)


@FUZZ
@given(token=st.sampled_from(["nan", "inf", "-inf", "", "1e400", "x", "NaN", "1e308", "\t"]),
       line=st.integers(0, 11), col=st.integers(0, 15))
def test_fuzz_tokens(tmp_path: Path, token: str, line: int, col: int) -> None:
    path = tmp_path / "f.trc"
    path.write_text(replace_cell(_base(tmp_path).decode(), line, col, token))
    _check(path)


@FUZZ
@given(frames=st.sampled_from(["0", "1", "-3", "2.5", "1e9", "99999999999", "nan"]),
       markers=st.sampled_from(["0", "1", "4", "5", "1e6", "-1"]),
       rate=st.sampled_from(["0", "-60", "1e12", "nan", "inf", "60", "0.001"]),
       keep=st.integers(0, 5))
def test_fuzz_header_and_frame_counts(tmp_path: Path, frames: str, markers: str, rate: str,
                                      keep: int) -> None:
    lines = _base(tmp_path).decode().split("\n")
    lines[2] = "\t".join([rate, rate, frames, markers, "mm", rate, "1", frames])
    lines = lines[:6 + keep]
    path = tmp_path / "f.trc"
    path.write_text("\n".join(lines))
    _check(path)
