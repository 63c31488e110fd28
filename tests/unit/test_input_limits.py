"""Input limits and frame-rate sanity: hostile input gets one clear error, in bounded memory.

Each crafted file is tiny on disk but declares (or inflates to) far more than the limits;
the readers must refuse it from its header or with a capped inflate, never by loading it.
"""

from __future__ import annotations

import gzip
import io
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import InputTooLargeError, MotionDataError, MotionFileError
from sportsgpt.core.settings import MAX_FILE_MB_ENV, MAX_SAMPLES_ENV, InputLimits
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.io._common import check_gzip_size, read_bytes
from sportsgpt.tools.motion import MAX_FPS, MIN_FPS, AngleSequence, MotionSequence

HUGE_SHAPE = (1_000_000_000, 20, 3)  # 6e10 float64 values: 480 GB if it were ever loaded


def _npy_header_only(shape: tuple[int, ...]) -> bytes:
    """A .npy header declaring ``shape`` float64, followed by a few bytes of data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\x00" * 64


def test_npy_header_declaring_a_huge_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header_only(HUGE_SHAPE))
    with pytest.raises(InputTooLargeError, match=MAX_SAMPLES_ENV) as info:
        read_motion(path, fps=100.0, joints=[f"j{k}" for k in range(20)])
    assert str(path) in str(info.value)
    assert "60000000000" in info.value.found


def test_npz_member_header_declaring_a_huge_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("positions.npy", _npy_header_only(HUGE_SHAPE))
        zf.writestr("fps.npy", _npy_bytes(np.array(100.0)))
    with pytest.raises(InputTooLargeError, match="positions"):
        read_motion(path, joints=[f"j{k}" for k in range(20)])


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_npz_member_inflating_past_the_byte_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, positions=np.zeros((20_000, 4, 3)), fps=np.array(100.0),
                        joint_names=np.array(["a", "b", "c", "d"]))
    assert path.stat().st_size < 100_000  # 1.9 MB of zeros compresses to a few kB
    with pytest.raises(InputTooLargeError, match=MAX_FILE_MB_ENV):
        read_motion(path, limits=InputLimits(max_file_bytes=1 << 20))
    assert read_motion(path).n_frames == 20_000  # within the default limits it reads


def _vicon_bomb(tmp_path: Path, inflated: int) -> Path:
    row = (",".join(["100.0"] * 117) + "\n").encode()
    path = tmp_path / "bomb.txt.gz"
    with gzip.open(path, "wb", compresslevel=9) as gz:
        gz.write(row * (inflated // len(row) + 1))
    return path


def test_gzip_bomb_is_inflated_with_a_cap_not_whole(tmp_path: Path) -> None:
    cap = 1 << 20
    inflated = 32 << 20
    path = _vicon_bomb(tmp_path, inflated)
    assert path.stat().st_size < cap  # small on disk: only the inflated size is over
    tracemalloc.start()
    try:
        with pytest.raises(InputTooLargeError, match=MAX_FILE_MB_ENV):
            read_motion(path, limits=InputLimits(max_file_bytes=cap))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * cap, f"peak {peak} bytes while refusing a {cap} byte cap"
    assert peak < inflated // 8


def test_gzip_measured_in_chunks_for_readers_without_limits(tmp_path: Path) -> None:
    path = tmp_path / "bomb.mot.gz"
    with gzip.open(path, "wb") as gz:
        gz.write(b"0\t" * (8 << 20))  # 16 MB inflated
    tracemalloc.start()
    try:
        with pytest.raises(InputTooLargeError, match="inflates"):
            read_motion(path, format="mot", limits=InputLimits(max_file_bytes=4 << 20))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20  # measured chunk by chunk: below the cap, far below the stream
    check_gzip_size(path, InputLimits(max_file_bytes=16 << 20))  # under the cap: no error


def test_file_larger_on_disk_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.trc"
    path.write_bytes(b"PathFileType\t4\t(X/Y/Z)\tbig.trc\n" + b"x" * 4000)
    with pytest.raises(InputTooLargeError, match="on disk") as info:
        read_motion(path, limits=InputLimits(max_file_bytes=1000))
    assert info.value.setting == MAX_FILE_MB_ENV
    with pytest.raises(InputTooLargeError):
        read_bytes(path, InputLimits(max_file_bytes=1000))


def test_trc_header_declaring_huge_frame_count_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.trc"
    path.write_text(
        "PathFileType\t4\t(X/Y/Z)\thuge.trc\n"
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n"
        "100\t100\t9000000\t100\tmm\n"
        "Frame#\tTime\tRHip\t\t\n"
        "\t\tX1\tY1\tZ1\n"
        "1\t0\t1\t2\t3\n")
    with pytest.raises(InputTooLargeError, match="NumFrames") as info:
        read_motion(path)
    assert info.value.setting == MAX_SAMPLES_ENV
    assert "2700000000" in str(info.value)


def test_bvh_header_declaring_huge_frame_count_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.bvh"
    path.write_text(
        "HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n"
        "  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
        "  JOINT Spine\n  {\n    OFFSET 0 10 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n"
        "    End Site\n    {\n      OFFSET 0 10 0\n    }\n  }\n}\n"
        "MOTION\nFrames: 5000000\nFrame Time: 0.01\n" + "0 " * 9 + "\n")
    with pytest.raises(InputTooLargeError, match="Frames") as info:
        read_motion(path, limits=InputLimits(max_samples=10_000_000))
    assert info.value.line == 17  # the Frames: line


def test_c3d_header_frame_count_is_checked_before_decoding(tmp_path: Path) -> None:
    c3d = pytest.importorskip("c3d")
    writer = c3d.Writer(point_rate=100.0, point_units="mm  ")
    writer.set_point_labels(["RHip", "LHip", "RKnee"])
    for _ in range(50):
        pts = np.zeros((3, 5), dtype=np.float32)
        pts[:, 3] = 1.0
        writer.add_frames((pts, np.zeros((0, 0), dtype=np.float32)))
    path = tmp_path / "small.c3d"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with path.open("wb") as fh:
            writer.write(fh)
    with pytest.raises(InputTooLargeError, match="POINT:FRAMES"):
        read_motion(path, limits=InputLimits(max_samples=50 * 3 * 4 - 1))
    assert read_motion(path, limits=InputLimits(max_samples=50 * 3 * 4)).n_frames == 50


def test_limits_error_is_a_motion_file_error(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header_only(HUGE_SHAPE))
    with pytest.raises(MotionFileError):
        read_motion(path, fps=100.0, joints=",".join(f"j{k}" for k in range(20)))


# --- frame rate --------------------------------------------------------------------


@pytest.mark.parametrize("fps", [0.001, 0.0, -30.0, float("nan"), float("inf"), 20_000.0],
                         ids=["milli-hz", "zero", "negative", "nan", "inf", "above-max"])
def test_motion_model_refuses_implausible_fps(fps: float) -> None:
    with pytest.raises(MotionDataError, match="fps"):
        MotionSequence(positions=np.zeros((3, 1, 3)), joints=("pelvis",), fps=fps)
    with pytest.raises(MotionDataError, match="fps"):
        AngleSequence(values=np.zeros((3, 1)), channels=("knee_flexion_r",), units=("deg",),
                      fps=fps)


@pytest.mark.parametrize("fps", [MIN_FPS, 30.0, MAX_FPS], ids=["min", "video", "max"])
def test_motion_model_accepts_plausible_fps(fps: float) -> None:
    assert MotionSequence(positions=np.zeros((3, 1, 3)), joints=("pelvis",), fps=fps).fps == fps


@pytest.mark.parametrize("fps", [0.001, 0.5, float("nan")], ids=["milli-hz", "half-hz", "nan"])
def test_reader_option_fps_is_checked(tmp_path: Path, fps: float) -> None:
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((4, 1, 3)))
    with pytest.raises(MotionFileError, match="frame rate"):
        read_motion(path, fps=fps, joints=["pelvis"])


def test_amc_fps_option_is_checked(cmu_dir: Path) -> None:
    with pytest.raises(MotionFileError, match=r"frame rate 0\.001"):
        read_motion(cmu_dir / "16_01.amc", fps=0.001)
