"""Generic CSV / NPY / NPZ readers: round trips, errors, fuzzing (real files: integration)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import detect_format
from sportsgpt.tools.io.generic import (
    fps_from_times,
    read_csv,
    read_npy,
    read_npz,
    sniff_csv,
    sniff_npy,
    sniff_npz,
)
from sportsgpt.tools.motion import MotionSequence

JOINTS = ("pelvis", "left_knee", "right_knee", "my_marker")
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write_csv(path: Path, pos: np.ndarray, *, fps: float | None = 100.0,
               joints: tuple[str, ...] = JOINTS, delim: str = ",",
               time_col: str = "time") -> Path:
    dim = pos.shape[2]
    header = ([time_col] if fps else []) + [f"{j}_{a}" for j in joints for a in "xyz"[:dim]]
    lines = [delim.join(header)]
    for t, frame in enumerate(pos):
        cells = [repr(t / fps)] if fps else []
        cells += ["" if np.isnan(v) else repr(float(v)) for v in frame.ravel()]
        lines.append(delim.join(cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def _npy_header_bytes(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _check_outcome(read: object, path: Path, **options: object) -> None:
    """Reading succeeds with a valid motion or raises a SportsGPTError, nothing else."""
    try:
        motion = read(path, **options)  # type: ignore[operator]
    except SportsGPTError:
        return
    assert isinstance(motion, MotionSequence)
    assert motion.n_frames >= 1
    assert not np.isinf(motion.positions).any()


# --- CSV ---------------------------------------------------------------------------

@pytest.mark.parametrize("delim", [",", "\t", ";"], ids=["comma", "tab", "semicolon"])
@pytest.mark.parametrize("time_col", ["time", "time_s"], ids=["time", "time_s"])
def test_csv_3d_round_trip(tmp_path: Path, rng: np.random.Generator, delim: str,
                           time_col: str) -> None:
    pos = rng.normal(size=(12, len(JOINTS), 3))
    pos[3, 1, 2] = np.nan
    motion = read_csv(_write_csv(tmp_path / "m.csv", pos, delim=delim, time_col=time_col))
    assert motion.joints == JOINTS
    assert motion.fps == pytest.approx(100.0)
    assert motion.units == "m" and motion.view == "3d"
    np.testing.assert_array_equal(motion.positions, pos)
    assert np.isnan(motion.positions[3, 1, 2])


def test_csv_2d_pixels_with_fps_option(tmp_path: Path, rng: np.random.Generator) -> None:
    pos = rng.uniform(0, 1000, size=(5, 2, 2))
    path = _write_csv(tmp_path / "m.csv", pos, fps=None, joints=("left_knee", "left_ankle"))
    motion = read_csv(path, fps=60, units="px", view="sagittal")
    assert (motion.dim, motion.units, motion.view, motion.fps) == (2, "px", "sagittal", 60.0)
    np.testing.assert_array_equal(motion.positions, pos)


@pytest.mark.parametrize(("units", "factor"), [("mm", 1e-3), ("cm", 1e-2), ("m", 1.0)],
                         ids=["mm", "cm", "m"])
def test_csv_units_to_metres(tmp_path: Path, rng: np.random.Generator, units: str,
                             factor: float) -> None:
    pos = rng.normal(size=(4, len(JOINTS), 3))
    motion = read_csv(_write_csv(tmp_path / "m.csv", pos), units=units)
    np.testing.assert_allclose(motion.positions, pos * factor)
    assert motion.source.original_units == units


def test_csv_z_up_is_rotated_to_y_up(tmp_path: Path) -> None:
    pos = np.array([[[1.0, 2.0, 3.0]], [[1.0, 2.0, 4.0]]])
    motion = read_csv(_write_csv(tmp_path / "m.csv", pos, joints=("head",)), up_axis="z")
    np.testing.assert_allclose(motion.positions[:, 0], [[1.0, 3.0, -2.0], [1.0, 4.0, -2.0]])
    assert motion.source.original_up_axis == "z"


def test_csv_comments_and_frame_column_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("# exported by hand\nframe,time,a_x,a_y\n0,0.0,1,2\n\n1,0.5,3,4\n")
    motion = read_csv(path, units="px")
    assert motion.fps == pytest.approx(2.0)
    np.testing.assert_array_equal(motion.positions[:, 0], [[1, 2], [3, 4]])


@pytest.mark.parametrize(("text", "needle", "line"), [
    ("a_x,a_y\n1,2\n", "reader option 'fps'", None),
    ("time,a_x,a_y\n0,1,2\n0.1,1,2\n0.35,1,2\n", "not uniform", None),
    ("time,a_x,a_y\n0,1,2\n0,1,2\n", "do not increase", None),
    ("time,a_x,a_y,speed\n0,1,2,3\n", "speed", 1),
    ("time,a_x,a_y,b_x,b_y,b_z\n0,1,2,3,4,5\n", "lacks column", 1),
    ("time,a_x,a_y\n0,1,2\n0.1,1\n", "2 fields", 3),
    ("time,a_x,a_y\n0,1,2\n0.1,1,inf\n", "infinite", 3),
    ("time,a_x,a_y\n0,1,2\n0.1,1,abc\n", "not a number", 3),
    ("time,a_x,a_x\n0,1,2\n", "duplicate", 1),
    ("time,a_x,a_y\n", "no data rows", 1),
], ids=["no-fps", "nonuniform", "repeated-time", "unknown-column", "missing-z",
        "short-row", "inf", "garbage", "duplicate-column", "no-rows"])
def test_csv_errors_name_the_problem(tmp_path: Path, text: str, needle: str,
                                     line: int | None) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(MotionFileError, match=needle) as info:
        read_csv(path, units="px")
    assert info.value.path == str(path)
    if line is not None:
        assert info.value.line == line


@pytest.mark.parametrize(("options", "needle"), [
    ({"units": "px"}, "2D data only"),
    ({"units": "furlong"}, "unknown units"),
    ({"up_axis": "x"}, "up_axis"),
    ({"view": "sagittal"}, "2D data only"),
    ({"fps": 0}, "frame rate"),
    ({"fps": float("nan")}, "frame rate"),
    ({"fps": 1e9}, "frame rate"),
], ids=["px-3d", "units", "up-axis", "view-3d", "fps-zero", "fps-nan", "fps-huge"])
def test_csv_bad_options(tmp_path: Path, rng: np.random.Generator, options: dict[str, object],
                         needle: str) -> None:
    path = _write_csv(tmp_path / "m.csv", rng.normal(size=(3, 1, 3)), joints=("a",))
    with pytest.raises(MotionFileError, match=needle):
        read_csv(path, **options)  # type: ignore[arg-type]


def test_csv_fps_option_overrides_time_with_note(tmp_path: Path, rng: np.random.Generator) -> None:
    motion = read_csv(_write_csv(tmp_path / "m.csv", rng.normal(size=(3, 4, 3))), fps=50)
    assert motion.fps == 50.0
    assert any("time column was not used" in n for n in motion.source.notes)


def test_fps_from_times_tolerates_print_rounding() -> None:
    times = np.round(np.arange(50) / 240.0, 3)  # 4.17 ms steps printed to 1 ms
    assert fps_from_times(times, Path("x"), field="t", rounding_s=0.0005) == pytest.approx(
        240.0, rel=2e-3)


def test_fps_from_times_rejects_a_dropped_frame() -> None:
    times = np.delete(np.arange(20) / 100.0, 10)
    with pytest.raises(MotionFileError, match="not uniform"):
        fps_from_times(times, Path("x"), field="t")


@pytest.mark.parametrize(("head", "expected"), [
    (b"time,left_knee_x,left_knee_y\n0,1,2\n", True),
    (b"# c\nframe;a_x;a_y;a_z\n", True),
    (b"nose_x,nose_y,nose_visibility\n", False),
    (b"1.0,2.0,3.0\n", False),
    (b"\x93NUMPY", False),
], ids=["generic", "semicolon-comment", "mediapipe", "headerless", "binary"])
def test_sniff_csv(head: bytes, expected: bool) -> None:
    assert sniff_csv(head) is expected


@FUZZ
@given(cells=st.lists(st.lists(st.sampled_from(
    ["0", "1.5", "-2", "", "nan", "NaN", "inf", "-inf", "1e308", "1e400", "x", "0.1", " "]),
    min_size=0, max_size=6), min_size=0, max_size=6),
    header=st.lists(st.sampled_from(["time", "time_s", "frame", "a_x", "a_y", "a_z", "b_x",
                                     "b_y", "c", "_x", ""]), min_size=0, max_size=6),
    fps=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)))
def test_fuzz_csv_structured(tmp_path: Path, cells: list[list[str]], header: list[str],
                             fps: float | None) -> None:
    path = tmp_path / "f.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in cells]) + "\n")
    _check_outcome(read_csv, path, fps=fps)


@FUZZ
@given(data=st.binary(min_size=0, max_size=400))
def test_fuzz_csv_garbage_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes(data)
    _check_outcome(read_csv, path, fps=30)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=2000))
def test_fuzz_csv_truncated(tmp_path: Path, cut: int) -> None:
    src = _write_csv(tmp_path / "full.csv", np.arange(60.0).reshape(5, 4, 3))
    path = tmp_path / "cut.csv"
    path.write_bytes(src.read_bytes()[:cut])
    _check_outcome(read_csv, path)


# --- NPY ---------------------------------------------------------------------------

def test_npy_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    pos = rng.normal(size=(7, 3, 3)).astype(np.float32)
    np.save(tmp_path / "m.npy", pos)
    motion = read_npy(tmp_path / "m.npy", fps=200, joints="pelvis, left_knee,head")
    assert motion.joints == ("pelvis", "left_knee", "head")
    assert motion.fps == 200.0 and motion.positions.dtype == np.float64
    np.testing.assert_allclose(motion.positions, pos.astype(np.float64))


def test_npy_2d_pixels(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.arange(12, dtype=np.int32).reshape(3, 2, 2))
    motion = read_npy(tmp_path / "m.npy", fps=25, joints=["a", "b"], units="px", view="frontal")
    assert (motion.dim, motion.units, motion.view) == (2, "px", "frontal")


@pytest.mark.parametrize(("options", "needle"), [
    ({"joints": ["a", "b", "c"]}, "reader option 'fps'"),
    ({"fps": 30}, "reader option 'joints'"),
    ({"fps": 30, "joints": ["a", "b"]}, "2 joint names for 3"),
    ({"fps": 30, "joints": ["a", "a", "b"]}, "unique"),
    ({"fps": 30, "joints": 5}, "sequence of strings"),
    ({"fps": "30", "joints": ["a", "b", "c"]}, "fps must be a number"),
], ids=["no-fps", "no-joints", "joint-count", "duplicate-joint", "joints-type", "fps-type"])
def test_npy_options_required(tmp_path: Path, options: dict[str, object], needle: str) -> None:
    np.save(tmp_path / "m.npy", np.zeros((2, 3, 3)))
    with pytest.raises(MotionFileError, match=needle):
        read_npy(tmp_path / "m.npy", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("payload", "needle"), [
    (_npy_header_bytes((10**12, 31, 3)) + b"\0" * 64, "declares shape"),
    (_npy_header_bytes((4, 3, 3)) + b"\0" * 10, "declares shape"),
    (_npy_header_bytes((4, 3)) + b"\0" * 96, r"shape \(T, J, 2\|3\)"),
    (_npy_header_bytes((2, 1, 3), "<c16") + b"\0" * 96, "dtype"),
    (_npy_header_bytes((2, 1, 3), "|O") + b"\0" * 96, "dtype"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': oops}\n" + b"\0" * 8, "corrupt"),
    (b"\x93NUMPY\x09\x00" + b"\0" * 30, "corrupt|version"),
    (b"not numpy at all", "corrupt"),
], ids=["absurd-shape", "truncated", "2d-array", "complex", "object", "bad-dict",
        "bad-version", "no-magic"])
def test_npy_corrupt_headers(tmp_path: Path, payload: bytes, needle: str) -> None:
    path = tmp_path / "bad.npy"
    path.write_bytes(payload)
    with pytest.raises(MotionFileError, match=needle):
        read_npy(path, fps=30, joints=["a", "b", "c"])


def test_npy_pickled_object_array_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "o.npy", np.empty((1, 1, 3), dtype=object), allow_pickle=True)
    with pytest.raises(MotionFileError, match="dtype"):
        read_npy(tmp_path / "o.npy", fps=30, joints=["a"])


def test_npy_inf_is_refused(tmp_path: Path) -> None:
    arr = np.zeros((2, 1, 3))
    arr[1, 0, 2] = np.inf
    np.save(tmp_path / "i.npy", arr)
    with pytest.raises(MotionFileError, match="frame 1"):
        read_npy(tmp_path / "i.npy", fps=30, joints=["a"])


@FUZZ
@given(pos=st.integers(min_value=0, max_value=200), byte=st.integers(0, 255),
       cut=st.integers(min_value=0, max_value=400))
def test_fuzz_npy_mutated_and_truncated(tmp_path: Path, pos: int, byte: int, cut: int) -> None:
    buf = io.BytesIO()
    np.save(buf, np.arange(36.0).reshape(3, 4, 3))
    raw = bytearray(buf.getvalue())
    raw[pos % len(raw)] = byte
    path = tmp_path / "f.npy"
    path.write_bytes(bytes(raw[: max(cut, 1)]))
    _check_outcome(read_npy, path, fps=30, joints=["a", "b", "c", "d"])


@FUZZ
@given(shape=st.lists(st.integers(min_value=-5, max_value=2**62), min_size=0, max_size=4),
       descr=st.sampled_from(["<f8", "<f4", ">i2", "|u1", "<U4", "|b1", "<c8", "|V8"]),
       tail=st.integers(min_value=0, max_value=256))
def test_fuzz_npy_absurd_shapes(tmp_path: Path, shape: list[int], descr: str, tail: int) -> None:
    path = tmp_path / "s.npy"
    try:
        header = _npy_header_bytes(tuple(shape), descr)
    except ValueError:
        header = b"\x93NUMPY\x01\x00\x10\x00{'shape': (1,)}\n"
    path.write_bytes(header + b"\1" * tail)
    _check_outcome(read_npy, path, fps=30, joints=["a"] * 1)


@FUZZ
@given(data=st.binary(min_size=1, max_size=300))
def test_fuzz_npy_garbage(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "g.npy"
    path.write_bytes(b"\x93NUMPY" + data)
    _check_outcome(read_npy, path, fps=30, joints=["a"])


# --- NPZ ---------------------------------------------------------------------------

def test_npz_round_trip_with_all_keys(tmp_path: Path, rng: np.random.Generator) -> None:
    pos = rng.normal(size=(6, 3, 3)) * 1000
    conf = rng.uniform(size=(6, 3))
    np.savez_compressed(tmp_path / "m.npz", positions=pos, joint_names=np.array(JOINTS[:3]),
                        fps=np.float32(240), units="mm", up_axis="z", confidence=conf)
    motion = read_npz(tmp_path / "m.npz")
    assert motion.joints == JOINTS[:3] and motion.fps == 240.0
    np.testing.assert_allclose(motion.positions[..., 0], pos[..., 0] / 1000)
    np.testing.assert_allclose(motion.positions[..., 1], pos[..., 2] / 1000)
    np.testing.assert_allclose(motion.positions[..., 2], -pos[..., 1] / 1000)
    np.testing.assert_allclose(motion.confidence, conf)  # type: ignore[arg-type]


def test_npz_options_fill_and_override(tmp_path: Path) -> None:
    np.savez(tmp_path / "m.npz", positions=np.zeros((2, 2, 3)), joints=np.array(["a", "b"]),
             fps=100.0)
    motion = read_npz(tmp_path / "m.npz", fps=50, units="cm")
    assert motion.fps == 50.0 and motion.source.original_units == "cm"
    assert any("archive says 100" in n for n in motion.source.notes)


@pytest.mark.parametrize(("arrays", "options", "needle"), [
    ({"positions": np.zeros((2, 1, 3)), "joint_names": np.array(["a"])}, {}, "reader option 'fps'"),
    ({"positions": np.zeros((2, 1, 3)), "fps": 30}, {}, "reader option 'joints'"),
    ({"joint_names": np.array(["a"]), "fps": 30}, {}, "no 'positions'"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array([1]), "fps": 30}, {}, "string"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array(["a"]), "fps": 0.0}, {}, "frame"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array(["a"]), "fps": np.array([1, 2])},
     {}, "one number"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array(["a"]), "fps": 30,
      "confidence": np.ones((3, 1))}, {}, "confidence"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array(["a"]), "fps": 30,
      "units": np.array(3.0)}, {}, "one string"),
    ({"positions": np.zeros((2, 1, 3)), "joints": np.array(["a"]), "fps": 30,
      "up_axis": "w"}, {}, "up_axis"),
], ids=["no-fps", "no-joints", "no-positions", "numeric-joints", "zero-fps", "fps-array",
        "confidence-shape", "units-number", "bad-up-axis"])
def test_npz_errors(tmp_path: Path, arrays: dict[str, object], options: dict[str, object],
                    needle: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(MotionFileError, match=needle):
        read_npz(tmp_path / "bad.npz", **options)  # type: ignore[arg-type]


def test_npz_pickled_member_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "p.npz", positions=np.zeros((2, 1, 3)), fps=30,
             joint_names=np.array(["a"], dtype=object))
    with pytest.raises(MotionFileError, match="dtype"):
        read_npz(tmp_path / "p.npz")


def test_npz_absurd_member_shape_is_refused_before_loading(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("positions.npy", _npy_header_bytes((2**40, 31, 3)) + b"\0" * 64)
    with pytest.raises(MotionFileError, match="declares shape"):
        read_npz(path, fps=30, joints=["a"] * 31)


@pytest.mark.parametrize(("head", "npy", "npz"), [
    (b"\x93NUMPY\x01\x00", True, False),
    (b"PK\x03\x04" + b"\0" * 26 + b"positions.npy", False, True),
    (b"PK\x03\x04" + b"\0" * 26 + b"word/document.xml", False, False),
    (b"time,a_x,a_y", False, False),
], ids=["npy", "npz", "other-zip", "csv"])
def test_sniff_numpy(head: bytes, npy: bool, npz: bool) -> None:
    assert (sniff_npy(head), sniff_npz(head)) == (npy, npz)


def test_registry_detects_numpy_files(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros((1, 1, 3)))
    np.savez(tmp_path / "a.npz", positions=np.zeros((1, 1, 3)))
    assert detect_format(tmp_path / "a.npy").name == "npy"
    assert detect_format(tmp_path / "a.npz").name == "npz"


@FUZZ
@given(cut=st.integers(min_value=1, max_value=3000), pos=st.integers(min_value=0),
       byte=st.integers(0, 255))
def test_fuzz_npz_mutated_and_truncated(tmp_path: Path, cut: int, pos: int, byte: int) -> None:
    buf = io.BytesIO()
    np.savez(buf, positions=np.arange(36.0).reshape(3, 4, 3), fps=30.0,
             joint_names=np.array(["a", "b", "c", "d"]))
    raw = bytearray(buf.getvalue())
    raw[pos % len(raw)] = byte
    path = tmp_path / "f.npz"
    path.write_bytes(bytes(raw[:cut]))
    _check_outcome(read_npz, path)


@FUZZ
@given(members=st.dictionaries(
    st.sampled_from(["positions", "joint_names", "joints", "fps", "units", "up_axis",
                     "confidence", "other"]),
    st.tuples(st.lists(st.integers(min_value=-2, max_value=2**50), max_size=4),
              st.sampled_from(["<f8", "<f4", "<i8", "<U3", "|O", "|b1"]),
              st.integers(min_value=0, max_value=300)), max_size=6),
    compress=st.booleans())
def test_fuzz_npz_crafted_members(tmp_path: Path, members: dict[str, tuple[list[int], str, int]],
                                  compress: bool) -> None:
    path = tmp_path / "c.npz"
    mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=mode) as zf:
        for key, (shape, descr, tail) in members.items():
            try:
                header = _npy_header_bytes(tuple(shape), descr)
            except ValueError:
                header = b"\x93NUMPY\x01\x00"
            zf.writestr(f"{key}.npy", header + b"\x02" * tail)
    _check_outcome(read_npz, path)


@FUZZ
@given(data=st.binary(min_size=1, max_size=300))
def test_fuzz_npz_garbage(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "g.npz"
    path.write_bytes(b"PK\x03\x04" + data)
    _check_outcome(read_npz, path, fps=30, joints=["a"])
