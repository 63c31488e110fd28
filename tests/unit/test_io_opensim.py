from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import find_peaks

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import detect_format, read_motion
from sportsgpt.tools.io.opensim import KneeSign, read, sniff, unwrap_degrees
from sportsgpt.tools.motion import AngleSequence
from tests.unit.fuzzing import flip_bytes, replace_cell


def write_mot(path: Path, columns: dict[str, np.ndarray], time: np.ndarray, *,
              in_degrees: str | None = "yes", n_rows: int | None = None,
              n_columns: int | None = None, sep: str = "\t") -> Path:
    """A minimal OpenSim storage writer (IK .mot layout)."""
    head = ["Coordinates", "version=1", f"nRows={len(time) if n_rows is None else n_rows}",
            f"nColumns={len(columns) + 1 if n_columns is None else n_columns}"]
    if in_degrees is not None:
        head.append(f"inDegrees={in_degrees}")
    head += ["", "Units are S.I. units (second, meters, Newtons, ...)", "endheader",
             sep.join(["time", *columns])]
    data = np.column_stack([time, *columns.values()])
    rows = [sep.join(f"{v:.8f}" for v in row) for row in data]
    path.write_text("\n".join(head + rows) + "\n", encoding="utf-8")
    return path


def test_sniff(opencap_dir: Path) -> None:
    assert sniff((opencap_dir / "jump2.mot").read_bytes()[:4096])
    assert sniff(b"DataType=double\nversion=3\nendheader\ntime\ta\n")
    assert not sniff(b"endheader only\n")
    assert not sniff(b"PathFileType\t4\n")


def test_jump2(opencap_dir: Path) -> None:
    a = read(opencap_dir / "jump2.mot")
    assert isinstance(a, AngleSequence)
    assert a.n_frames == 1419
    assert a.fps == pytest.approx(240.0, rel=1e-5)
    assert a.values.shape == (1419, 38)  # 35 coordinates + hip_flexion_r/l + trunk_inclination
    height = a.channel("pelvis_height")
    assert np.median(height[:100]) == pytest.approx(1.07, abs=0.02)
    assert height.max() == pytest.approx(1.73, abs=0.01)
    assert a.units[a.channels.index("pelvis_height")] == "m"
    assert a.units[a.channels.index("pelvis_x")] == "m"
    assert a.units[a.channels.index("knee_flexion_right")] == "deg"
    assert a.channel("knee_flexion_right").max() == pytest.approx(100.0, abs=1.0)
    for name in ("hip_flexion_left", "ankle_dorsiflexion_right", "lumbar_extension",
                 "shoulder_flexion_right", "elbow_flexion_left", "pelvis_tilt",
                 "pelvis_list", "pelvis_rotation", "subtalar_angle_r", "pelvis_z"):
        assert a.has(name), name
    assert "knee_angle_r" not in a.channels
    assert a.source.format == "mot" and a.source.original_units == "deg"


def test_squats(opencap_dir: Path) -> None:
    a = read_motion(opencap_dir / "squats1_videoAndMocap.mot")
    assert isinstance(a, AngleSequence)
    assert a.n_frames == 801
    assert a.fps == pytest.approx(100.0, rel=1e-9)
    knee = a.channel("knee_flexion_right")
    assert knee.max() == pytest.approx(87.0, abs=1.0)
    peaks, _ = find_peaks(knee, prominence=40.0)
    assert len(peaks) == 5
    assert knee[peaks].min() > 60.0
    # no sign flip on a Rajagopal/LaiUhlrich-model file
    assert not any("negated" in n for n in a.source.notes)


def test_radians_converted_and_unwrapped(tmp_path: Path) -> None:
    t = np.arange(200) / 50.0
    knee = np.deg2rad(45 + 40 * np.sin(t))
    heading = np.deg2rad(170 + 30 * t)  # crosses 180 deg ...
    wrapped = np.angle(np.exp(1j * heading))  # ... and is written wrapped to (-pi, pi]
    ty = 0.9 + 0.05 * np.sin(t)
    path = write_mot(tmp_path / "r.sto", {"knee_angle_r": knee, "pelvis_rotation": wrapped,
                                          "pelvis_ty": ty, "foot_tz": ty}, t, in_degrees="no")
    a = read(path)
    assert a.fps == pytest.approx(50.0)
    np.testing.assert_allclose(a.channel("knee_flexion_right"), np.rad2deg(knee), atol=1e-5)
    np.testing.assert_allclose(np.diff(a.channel("pelvis_rotation")), 30 / 50, atol=1e-4)
    np.testing.assert_allclose(a.channel("pelvis_height"), ty, atol=1e-8)
    np.testing.assert_allclose(a.channel("foot_tz"), ty, atol=1e-8)
    assert a.units == ("deg", "deg", "m", "m")
    assert a.source.original_units == "rad"


@pytest.mark.parametrize(("values", "expected"),
                         [([329.0, 330.0, 331.0], [-31.0, -30.0, -29.0]),
                          ([179.0, -179.0, -177.0], [-181.0, -179.0, -177.0]),
                          ([np.nan, 10.0, np.nan, 12.0], [np.nan, 10.0, np.nan, 12.0]),
                          ([-540.0, -539.0], [-180.0, -179.0])],
                         ids=["329-is-minus-31", "across-180", "nan-kept", "whole-turns"])
def test_unwrap_degrees(values: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(unwrap_degrees(np.array(values)), expected, atol=1e-9)


@pytest.mark.parametrize(("knee_sign", "flip"), [("auto", True), ("gait2392", True),
                                                 ("rajagopal", False)],
                         ids=["auto", "gait2392", "rajagopal"])
def test_gait2392_knee_sign(tmp_path: Path, knee_sign: KneeSign, flip: bool) -> None:
    t = np.arange(100) / 100.0
    knee = -60 * np.sin(np.pi * t) ** 2  # gait2392: flexion negative
    a = read(write_mot(tmp_path / "g.mot", {"knee_angle_l": knee}, t),
             knee_sign=knee_sign)
    np.testing.assert_allclose(a.channel("knee_flexion_left"), -knee if flip else knee,
                               atol=1e-6)
    assert any("negated" in n for n in a.source.notes) == flip


def test_moco_state_paths(tmp_path: Path) -> None:
    t = np.arange(10) / 100.0
    cols = {"/jointset/knee_r/knee_angle_r/value": np.full(10, 0.5),
            "/jointset/knee_r/knee_angle_r/speed": np.zeros(10),
            "/forceset/soleus_r/activation": np.zeros(10)}
    a = read(write_mot(tmp_path / "m.sto", cols, t, in_degrees="no"))
    assert a.channels == ("knee_flexion_right",)
    np.testing.assert_allclose(a.channel("knee_flexion_right"), np.rad2deg(0.5))
    assert sum("dropped" in n for n in a.source.notes) == 2


def test_missing_in_degrees_assumes_degrees(tmp_path: Path) -> None:
    t = np.arange(5) / 10.0
    a = read(write_mot(tmp_path / "d.mot", {"hip_flexion_r": np.full(5, 30.0)}, t,
                       in_degrees=None))
    np.testing.assert_allclose(a.channel("hip_flexion_right"), 30.0)
    assert any("inDegrees" in n for n in a.source.notes)
    b = read(tmp_path / "d.mot", in_degrees=False)
    np.testing.assert_allclose(b.channel("hip_flexion_right"), np.rad2deg(30.0) - 360 * 5)


def test_space_separated(tmp_path: Path) -> None:
    t = np.arange(4) / 10.0
    a = read(write_mot(tmp_path / "s.mot", {"ankle_angle_r": np.arange(4.0)}, t, sep="   "))
    np.testing.assert_allclose(a.channel("ankle_dorsiflexion_right"), np.arange(4.0))
    assert detect_format(tmp_path / "s.mot").name == "mot"


def test_not_uniformly_sampled(tmp_path: Path) -> None:
    t = np.array([0.0, 0.01, 0.02, 0.05, 0.06])
    with pytest.raises(MotionFileError, match="not uniformly sampled") as info:
        read(write_mot(tmp_path / "n.mot", {"knee_angle_r": np.zeros(5)}, t))
    assert info.value.field == "time"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"n_rows": 9}, "nRows"), ({"n_columns": 5}, "nColumns"), ({"in_degrees": "maybe"},
                                                                "inDegrees"),
     ({"n_rows": 10**15}, "nRows")],
    ids=["rows", "columns", "in-degrees", "huge-rows"])
def test_header_errors(tmp_path: Path, kwargs: dict[str, object], field: str) -> None:
    t = np.arange(4) / 10.0
    path = write_mot(tmp_path / "h.mot", {"knee_angle_r": np.zeros(4)}, t,
                     **kwargs)  # type: ignore[arg-type]
    with pytest.raises(MotionFileError) as info:
        read(path)
    assert info.value.field == field
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("token", "field"), [("abc", "knee_angle_r"), ("inf", None)],
                         ids=["garbage", "inf"])
def test_bad_values_name_line(tmp_path: Path, token: str, field: str | None) -> None:
    t = np.arange(4) / 10.0
    path = write_mot(tmp_path / "b.mot", {"knee_angle_r": np.zeros(4)}, t)
    lines = path.read_text().splitlines()
    lines[10] = lines[10].split("\t")[0] + "\t" + token
    path.write_text("\n".join(lines))
    with pytest.raises(MotionFileError) as info:
        read(path)
    assert (info.value.line, info.value.field) == (11, field)


def test_one_row_has_no_frame_rate(tmp_path: Path) -> None:
    path = write_mot(tmp_path / "o.mot", {"knee_angle_r": np.zeros(1)}, np.zeros(1))
    with pytest.raises(MotionFileError, match="frame rate"):
        read(path)


# --- fuzzing -----------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _base(tmp_path: Path) -> bytes:
    t = np.arange(6) / 60.0
    cols = {"pelvis_ty": np.linspace(1, 1.1, 6), "knee_angle_r": np.linspace(0, 1, 6),
            "ankle_angle_l": np.linspace(-0.2, 0.2, 6)}
    return write_mot(tmp_path / "base.mot", cols, t, in_degrees="no").read_bytes()


def _check(path: Path) -> None:
    try:
        a = read(path)
    except SportsGPTError:
        return
    assert isinstance(a, AngleSequence)
    assert a.n_frames >= 2 and np.isfinite(a.fps) and a.fps > 0
    assert not np.isinf(a.values).any()


@FUZZ
@given(cut=st.integers(min_value=0, max_value=800))
def test_fuzz_truncated(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "f.mot"
    path.write_bytes(_base(tmp_path)[:cut])
    _check(path)


@FUZZ
@given(data=st.data())
def test_fuzz_garbage_bytes(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "f.mot"
    path.write_bytes(flip_bytes(_base(tmp_path), data))
    _check(path)


@FUZZ
@given(token=st.sampled_from(["nan", "inf", "-inf", "", "1e400", "x", "1e308", "0", "-1"]),
       line=st.integers(0, 15), col=st.integers(0, 3))
def test_fuzz_tokens(tmp_path: Path, token: str, line: int, col: int) -> None:
    path = tmp_path / "f.mot"
    path.write_text(replace_cell(_base(tmp_path).decode(), line, col, token))
    _check(path)


@FUZZ
@given(times=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32),
                      min_size=0, max_size=6))
def test_fuzz_time_column(tmp_path: Path, times: list[float]) -> None:
    t = np.array(times, dtype=np.float64)
    path = write_mot(tmp_path / "f.mot", {"knee_angle_r": np.zeros(len(t))}, t)
    _check(path)
