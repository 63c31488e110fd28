from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MissingDependencyError, MotionFileError, SportsGPTError
from sportsgpt.tools.io import detect_format, read_motion
from sportsgpt.tools.io._common import z_up_to_y_up
from sportsgpt.tools.io.c3d_file import read, screen_rotation, sniff
from sportsgpt.tools.motion import MotionSequence

c3d = pytest.importorskip("c3d")

GENERIC = ("RHip", "LHip", "RKnee", "LKnee", "RAnkle", "LAnkle", "Nose")
PLUG_IN_GAIT = ("LASI", "RASI", "LPSI", "RPSI", "LTHI", "LKNE", "LTIB", "LANK", "LHEE", "LTOE",
                "RTHI", "RKNE", "RTIB", "RANK", "RHEE", "RTOE")


def write_c3d(path: Path, labels: tuple[str, ...], xyz: np.ndarray, *,
              invalid: np.ndarray | None = None, rate: float = 100.0, units: str = "mm",
              screen: tuple[str, str] | None = None) -> Path:
    """Write points (T, M, 3) in ``units`` with the c3d package; ``invalid`` -> residual -1."""
    writer = c3d.Writer(point_rate=rate, point_units=units.ljust(4))
    writer.set_point_labels(list(labels))
    if screen is not None:
        writer.set_screen_axis(*screen)
    for t in range(xyz.shape[0]):
        pts = np.zeros((xyz.shape[1], 5), dtype=np.float32)
        pts[:, :3] = xyz[t]
        pts[:, 3] = 1.0
        if invalid is not None:
            pts[invalid[t], 3] = -1.0
        writer.add_frames((pts, np.zeros((0, 0), dtype=np.float32)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No analog data found in file."
        with path.open("wb") as fh:
            writer.write(fh)
    return path


def trajectories(rng: np.random.Generator, t: int, m: int) -> np.ndarray:
    base = rng.uniform(-800, 1500, size=(1, m, 3))
    phase = np.linspace(0, 2 * np.pi, t)[:, None, None]
    return (base + 50 * np.sin(phase + np.arange(m)[None, :, None])).astype(np.float32)


def test_sniff(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_c3d(tmp_path / "a.c3d", GENERIC, trajectories(rng, 3, len(GENERIC)))
    assert sniff(path.read_bytes()[:512])
    assert not sniff(b"PathFileType\t4")
    assert not sniff(b"\x01\x50")
    assert not sniff(b"")


def test_generic_labels_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 40, len(GENERIC))
    invalid = np.zeros((40, len(GENERIC)), dtype=bool)
    invalid[[3, 17], 2] = True  # RKnee lost twice
    path = write_c3d(tmp_path / "g.c3d", GENERIC, xyz, invalid=invalid, rate=120.0)
    m = read(path)
    assert isinstance(m, MotionSequence)
    assert (m.n_frames, m.fps, m.source.format) == (40, 120.0, "c3d")
    assert m.joints == ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee",
                        "left_ankle", "right_ankle")
    expected = z_up_to_y_up(xyz.astype(np.float64) / 1000)  # no screen axes: Z up assumed
    np.testing.assert_allclose(m.joint("left_ankle"), expected[:, 5], atol=1e-6)
    np.testing.assert_allclose(m.joint("pelvis"), (expected[:, 0] + expected[:, 1]) / 2,
                               atol=1e-6)
    knee = m.joint("right_knee")
    assert np.isnan(knee[[3, 17]]).all()
    assert np.isfinite(np.delete(knee, [3, 17], axis=0)).all()
    assert m.source.original_up_axis == "z"
    assert m.source.original_units == "mm"
    assert any("Z up assumed" in n for n in m.source.notes)
    assert m.source.original_joint_names == GENERIC


def test_screen_axes_y_up_means_no_rotation(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 5, len(GENERIC))
    m = read(write_c3d(tmp_path / "y.c3d", GENERIC, xyz, screen=("+X", "+Y"), units="m"))
    np.testing.assert_allclose(m.joint("right_hip"), xyz[:, 0], atol=1e-6)
    assert m.source.original_up_axis == "y"


def test_vicon_screen_axes_match_z_up(tmp_path: Path, rng: np.random.Generator) -> None:
    xyz = trajectories(rng, 5, len(GENERIC))
    m = read(write_c3d(tmp_path / "z.c3d", GENERIC, xyz, screen=("+X", "+Z"), units="cm"))
    expected = z_up_to_y_up(xyz.astype(np.float64) / 100)
    np.testing.assert_allclose(m.joint("right_hip"), expected[:, 0], atol=1e-6)
    assert m.source.original_up_axis == "z"


@pytest.mark.parametrize(("x", "y"), [("+X", "+Z"), ("+X", "+Y"), ("-Y", "+Z"), ("+Z", "-X"),
                                      ("+Y", "+X")], ids=lambda v: v)
def test_screen_rotation_is_proper(tmp_path: Path, x: str, y: str) -> None:
    rot = screen_rotation(x, y, tmp_path / "f.c3d")
    np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rot) == pytest.approx(1.0)
    up = np.zeros(3)
    up["XYZ".index(y[1])] = 1.0 if y[0] == "+" else -1.0
    np.testing.assert_allclose(rot @ up, [0.0, 1.0, 0.0])


def test_screen_rotation_rejects_same_axis(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError) as info:
        screen_rotation("+Z", "-Z", tmp_path / "f.c3d")
    assert info.value.field == "POINT:X_SCREEN"


def test_keep_markers_and_subject_prefix(tmp_path: Path, rng: np.random.Generator) -> None:
    labels = tuple(f"Jim:{lab}" for lab in GENERIC)
    m = read(write_c3d(tmp_path / "k.c3d", labels, trajectories(rng, 4, len(labels))),
             keep_markers=True)
    assert "right_knee" in m.joints and "marker:Nose" in m.joints


def test_plug_in_gait_labels(tmp_path: Path, rng: np.random.Generator) -> None:
    pytest.importorskip("sportsgpt.tools.markers")
    path = write_c3d(tmp_path / "pig.c3d", PLUG_IN_GAIT,
                     trajectories(rng, 10, len(PLUG_IN_GAIT)), screen=("+X", "+Z"))
    m = read_motion(path)
    assert isinstance(m, MotionSequence)
    assert {"pelvis", "left_hip", "right_hip", "left_knee", "right_knee"} <= set(m.joints)
    assert any("Plug-in-Gait" in n for n in m.source.notes)
    assert detect_format(path).name == "c3d"


def test_no_joint_labels(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_c3d(tmp_path / "n.c3d", ("M1", "M2"), trajectories(rng, 3, 2))
    with pytest.raises(MotionFileError, match="keep_markers"):
        read(path)
    assert read(path, keep_markers=True).joints == ("marker:M1", "marker:M2")


def test_unknown_units(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_c3d(tmp_path / "u.c3d", GENERIC, trajectories(rng, 3, 7), units="ft")
    with pytest.raises(MotionFileError) as info:
        read(path)
    assert info.value.field == "POINT:UNITS"


def test_truncated_file_is_error(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_c3d(tmp_path / "t.c3d", GENERIC, trajectories(rng, 200, len(GENERIC)))
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(MotionFileError, match="truncated"):
        read(path)


def test_missing_package(tmp_path: Path, rng: np.random.Generator,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_c3d(tmp_path / "d.c3d", GENERIC, trajectories(rng, 3, len(GENERIC)))
    monkeypatch.setitem(sys.modules, "c3d", None)
    with pytest.raises(MissingDependencyError, match="sportsgpt\\[c3d\\]"):
        read(path)


# --- fuzzing -----------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
_BASE: dict[str, bytes] = {}


def _base(tmp_path: Path) -> bytes:
    if "raw" not in _BASE:
        xyz = np.linspace(0, 1000, 6 * len(GENERIC) * 3).reshape(6, len(GENERIC), 3)
        _BASE["raw"] = write_c3d(tmp_path / "base.c3d", GENERIC, xyz.astype(np.float32),
                                 screen=("+X", "+Z")).read_bytes()
    return _BASE["raw"]


def _check(path: Path) -> None:
    try:
        m = read(path, keep_markers=True)
    except SportsGPTError:
        return
    assert isinstance(m, MotionSequence)
    assert m.n_frames >= 1 and m.dim == 3 and np.isfinite(m.fps)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=3000))
def test_fuzz_truncated(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "f.c3d"
    path.write_bytes(_base(tmp_path)[:cut] or b"\x02")
    _check(path)


@FUZZ
@given(data=st.data())
def test_fuzz_garbage_bytes(tmp_path: Path, data: st.DataObject) -> None:
    raw = bytearray(_base(tmp_path))
    for _ in range(data.draw(st.integers(1, 12))):
        # bias towards the header and parameter section, where corruption hurts most
        end = data.draw(st.sampled_from([512, 1536, len(raw)]))
        raw[data.draw(st.integers(0, end - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path / "f.c3d"
    path.write_bytes(bytes(raw))
    _check(path)


@FUZZ
@given(junk=st.binary(min_size=1, max_size=2048))
def test_fuzz_random_file(tmp_path: Path, junk: bytes) -> None:
    path = tmp_path / "f.c3d"
    path.write_bytes(b"\x02\x50" + junk)
    _check(path)
