"""UI-PRMD Vicon CSV reader: error locations and fuzzing (real files: tests/integration)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io.vicon_csv import read, sniff
from sportsgpt.tools.motion import MotionSequence

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _row(rng: np.random.Generator) -> str:
    return ",".join(f"{v:.4f}" for v in rng.uniform(-1500, 1500, size=117))


def _write(tmp_path: Path, text: str, name: str = "x.txt") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# --- synthetic files -----------------------------------------------------------------------
@pytest.mark.parametrize(("head", "expected"), [
    (b"", False),
    (b"time,pelvis_x\n0,1\n", False),
    (b"\xff\xfe\x00garbage", False),
    (",".join(["1.5"] * 116).encode() + b"\n", False),
    (",".join(["1.5"] * 117).encode() + b"\n", True),
    (",".join(["1.5"] * 117).encode(), True),
    (",".join(["1.5"] * 116 + ["abc"]).encode() + b"\n", False),
], ids=["empty", "header-csv", "binary", "116-cols", "117-cols", "no-newline", "non-numeric"])
def test_sniff(head: bytes, expected: bool) -> None:
    assert sniff(head) is expected


def test_plain_and_gzip_read_the_same(tmp_path: Path, rng: np.random.Generator) -> None:
    text = "\n".join(_row(rng) for _ in range(5)) + "\n"
    plain = _write(tmp_path, text)
    gz = tmp_path / "x.txt.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    a, b = read(plain), read(gz)
    np.testing.assert_array_equal(a.positions, b.positions)
    assert a.n_frames == 5


def test_one_frame_reads(tmp_path: Path, rng: np.random.Generator) -> None:
    assert read(_write(tmp_path, _row(rng))).n_frames == 1


def test_wrong_column_count_names_the_line(tmp_path: Path, rng: np.random.Generator) -> None:
    rows = [_row(rng), _row(rng), _row(rng) + ",1.0", _row(rng)]
    with pytest.raises(MotionFileError, match="found 118") as exc:
        read(_write(tmp_path, "\n".join(rows)))
    assert exc.value.line == 3


@pytest.mark.parametrize(("token", "match"), [("abc", "not a number"), ("inf", "infinite"),
                                              ("", "not a number")],
                         ids=["text", "inf", "empty"])
def test_bad_value_names_line_and_column(tmp_path: Path, rng: np.random.Generator,
                                         token: str, match: str) -> None:
    bad = _row(rng).split(",")
    bad[4] = token  # column 5 = RFHD y
    text = "\n".join([_row(rng), ",".join(bad), _row(rng)])
    with pytest.raises(MotionFileError, match=match) as exc:
        read(_write(tmp_path, text))
    assert exc.value.line == 2
    assert exc.value.field == "column 5 (RFHD y)"


@pytest.mark.parametrize("fps", [0.0, -100.0, float("nan"), float("inf"), 1e9],
                         ids=["zero", "negative", "nan", "inf", "huge"])
def test_absurd_fps_rejected(tmp_path: Path, rng: np.random.Generator, fps: float) -> None:
    with pytest.raises(MotionFileError, match="frame rate"):
        read(_write(tmp_path, _row(rng)), fps=fps)


@pytest.mark.parametrize("text", ["\n\n  \n", "   "], ids=["blank-lines", "spaces"])
def test_no_frames(tmp_path: Path, text: str) -> None:
    with pytest.raises(MotionFileError, match="no frames"):
        read(_write(tmp_path, text))


def test_custom_marker_list(tmp_path: Path) -> None:
    text = "1,2,3,4,5,6\n7,8,9,10,11,12\n"
    m = read(_write(tmp_path, text), markers=("LHEE", "RHEE"))
    assert m.joints == ("left_heel", "right_heel")
    np.testing.assert_allclose(m.positions[1, 1], [0.010, 0.012, -0.011])
    with pytest.raises(MotionFileError, match="duplicate"):
        read(_write(tmp_path, text), markers=("LHEE", "LHEE"))
    with pytest.raises(MotionFileError, match="not one string"):
        read(_write(tmp_path, text), markers="LHEE")


def test_non_numeric_fps_option(tmp_path: Path, rng: np.random.Generator) -> None:
    with pytest.raises(MotionFileError, match="fps must be a number"):
        read(_write(tmp_path, _row(rng)), fps="fast")  # type: ignore[arg-type]


def test_file_without_known_markers_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="none of the file's points"):
        read(_write(tmp_path, "1,2,3\n"), markers=("FOO",))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="not found"):
        read(tmp_path / "nope.txt.gz")


# --- fuzzing -------------------------------------------------------------------------------
def _check_outcome(path: Path, **options: object) -> None:
    try:
        m = read(path, **options)  # type: ignore[arg-type]
    except SportsGPTError:
        return
    assert isinstance(m, MotionSequence)
    assert m.n_frames >= 1 and m.dim == 3
    assert not np.isinf(m.positions).any()


@FUZZ
@given(data=st.binary(max_size=3000))
def test_fuzz_garbage_bytes(tmp_path: Path, data: bytes) -> None:
    _check_outcome(_write_bytes(tmp_path, data))


TOKENS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "", " ", "abc", "1e400", "0", "0.0", "-0"]),
    st.integers(-10**6, 10**6).map(str),
)


@FUZZ
@given(rows=st.lists(st.one_of(st.lists(TOKENS, min_size=117, max_size=117),
                               st.lists(TOKENS, min_size=0, max_size=130)),
                     min_size=0, max_size=4))
def test_fuzz_rows(tmp_path: Path, rows: list[list[str]]) -> None:
    _check_outcome(_write(tmp_path, "\n".join(",".join(r) for r in rows), "rows.txt"))


@FUZZ
@given(cut=st.integers(min_value=0, max_value=5000), gz=st.booleans(),
       seed=st.integers(0, 2**16))
def test_fuzz_truncated(tmp_path: Path, cut: int, gz: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    raw = ("\n".join(_row(rng) for _ in range(3)) + "\n").encode()
    data = gzip.compress(raw) if gz else raw
    _check_outcome(_write_bytes(tmp_path, data[:cut], "cut.txt.gz" if gz else "cut.txt"))


@FUZZ
@given(fps=st.floats(allow_nan=True, allow_infinity=True))
def test_fuzz_fps(tmp_path: Path, fps: float) -> None:
    path = _write(tmp_path, "1,2,3\n", "fps.txt")
    _check_outcome(path, fps=fps, markers=("LHEE",))


def _write_bytes(tmp_path: Path, data: bytes, name: str = "fuzz.txt") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p
