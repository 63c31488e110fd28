"""ASF/AMC reader: parsing, Acclaim forward kinematics, errors and fuzzing."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import asf_amc, detect_format
from sportsgpt.tools.motion import MotionSequence

TRIALS = (
    "16_01", "16_02", "16_03", "16_04", "16_05", "16_06", "16_07", "16_09", "16_10",
    "118_01", "118_02", "118_04", "118_05", "118_07", "118_08", "118_10", "118_11", "118_13",
    "118_14", "118_16", "118_17", "118_19", "118_20", "118_22", "118_23", "118_25", "118_26",
    "118_28", "118_29",
)
CMU_SCALE = 0.0254 / 0.45

# A two-bone leg, lengths in inches (:units length 1.0 -> 0.0254 m per unit).
TINY_ASF = """\
# tiny test skeleton
:version 1.10
:name TEST
:units
  mass 1.0
  length 1.0
  angle deg
:documentation
  two bones
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lfemur
     direction 0 -1 0
     length 10
     axis 0 90 0 XYZ
    dof rx ry rz
    limits (-160.0 20.0)
           (-70.0 70.0)
           (-inf inf)
  end
  begin
     id 2
     name ltibia
     direction 0 -1 0
     length 10
     axis 0 0 0 XYZ
    dof rx
    limits (-10.0 170.0)
  end
:hierarchy
  begin
    root lfemur
    lfemur ltibia
  end
"""


def tiny_amc(frames: list[tuple[str, str, str]], header: str = ":FULLY-SPECIFIED\n:DEGREES\n"
             ) -> str:
    """AMC text for TINY_ASF: one (root, lfemur, ltibia) value string per frame."""
    out = [header]
    for i, (root, femur, tibia) in enumerate(frames, start=1):
        out.append(f"{i}\nroot {root}\nlfemur {femur}\nltibia {tibia}\n")
    return "".join(out)


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    asf = tmp_path / "t.asf"
    asf.write_text(TINY_ASF)
    amc = tmp_path / "t_01.amc"
    amc.write_text(tiny_amc([("0 20 0 0 0 0", "0 0 0", "0"), ("1 20 0 0 0 0", "90 0 0", "0")]))
    return asf, amc


# --- ASF parsing -------------------------------------------------------------------


def test_parse_asf_cmu_header_and_bones(cmu_dir: Path) -> None:
    skel = asf_amc.parse_asf(cmu_dir / "16.asf")
    assert (skel.units.mass, skel.units.length, skel.units.angle) == (1.0, 0.45, "deg")
    assert skel.units.metres_per_unit == pytest.approx(0.056444, abs=1e-6)
    assert skel.root.order == ("tx", "ty", "tz", "rx", "ry", "rz")
    assert skel.root.axis == "xyz"
    assert len(skel.bones) == 30
    femur = skel.bone("lfemur")
    assert femur.id == 2
    assert femur.direction == pytest.approx((0.34202, -0.939693, 0.0))
    assert femur.length == pytest.approx(7.03469)
    assert femur.axis == (0.0, 0.0, 20.0) and femur.axis_order == "xyz"
    assert femur.dof == ("rx", "ry", "rz")
    assert femur.limits == ((-160.0, 20.0), (-70.0, 70.0), (-60.0, 70.0))
    assert skel.parents["lfemur"] == "lhipjoint" and skel.parents["lhipjoint"] == "root"
    assert skel.children("thorax") == ("lowerneck", "lclavicle", "rclavicle")
    assert skel.bone("lhipjoint").dof == ()


def test_parse_asf_infinite_limits(tiny: tuple[Path, Path]) -> None:
    skel = asf_amc.parse_asf(tiny[0])
    assert skel.bone("lfemur").limits[2] == (-math.inf, math.inf)
    assert skel.topological_order() == ("lfemur", "ltibia")


@pytest.mark.parametrize(("old", "new", "line", "needle"), [
    ("length 10\n     axis 0 90", "length ten\n     axis 0 90", 20, "not a number"),
    ("direction 0 -1 0\n     length 10\n     axis 0 90",
     "direction 0 -1\n     length 10\n     axis 0 90", 19, "direction needs 3"),
    ("axis 0 90 0 XYZ", "axis 0 90 0 XYQ", 21, "permutation of XYZ"),
    ("dof rx ry rz", "dof rx ry tl", 22, "unsupported bone dof"),
    ("lfemur ltibia", "lfemur lshin", 39, "unknown bone 'lshin'"),
    ("  angle deg", "  angle grad", 7, "angle unit"),
    ("     name ltibia", "     name ltibia\n     colour red", 30, "unknown bone field"),
], ids=["bad-number", "short-direction", "bad-axis-order", "bad-dof", "bad-hierarchy",
        "bad-angle-unit", "unknown-field"])
def test_parse_asf_errors_name_line(tmp_path: Path, old: str, new: str, line: int,
                                    needle: str) -> None:
    assert old in TINY_ASF
    asf = tmp_path / "bad.asf"
    asf.write_text(TINY_ASF.replace(old, new, 1))
    with pytest.raises(MotionFileError) as exc:
        asf_amc.parse_asf(asf)
    assert needle in str(exc.value)
    assert exc.value.line == line
    assert str(asf) in str(exc.value)


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("  length 1.0\n", "", "no ':units length'"),
    ("   order TX TY TZ RX RY RZ\n", "", "no ':root'"),
    ("    root lfemur\n    lfemur ltibia\n", "    root lfemur\n", "not connected"),
], ids=["no-length-unit", "no-root-order", "orphan-bone"])
def test_parse_asf_missing_sections(tmp_path: Path, old: str, new: str, needle: str) -> None:
    asf = tmp_path / "bad.asf"
    asf.write_text(TINY_ASF.replace(old, new, 1))
    with pytest.raises(MotionFileError, match=needle):
        asf_amc.parse_asf(asf)


# --- forward kinematics on known answers ----------------------------------------------


def test_tiny_fk_known_positions(tiny: tuple[Path, Path]) -> None:
    asf, amc = tiny
    skel = asf_amc.parse_asf(asf)
    fk = asf_amc.forward_kinematics(skel, asf_amc.parse_amc(amc, skel))
    assert fk.names == ("root", "lfemur", "ltibia")
    inch = 0.0254
    # Frame 1: rest pose, leg hangs straight down from the root at height 20.
    np.testing.assert_allclose(fk.positions[0], np.array(
        [[0, 20, 0], [0, 10, 0], [0, 0, 0]]) * inch, atol=1e-12)
    # Frame 2: rx = 90 about the bone's local X, which axis "0 90 0 XYZ" turns onto
    # world -Z; rotating (0,-1,0) by -90 about Z gives (-1, 0, 0). Root moved 1 in x.
    np.testing.assert_allclose(fk.positions[1], np.array(
        [[1, 20, 0], [-9, 20, 0], [-19, 20, 0]]) * inch, atol=1e-12)
    # Rotations are proper (orthonormal, det 1).
    r = fk.rotations.reshape(-1, 3, 3)
    np.testing.assert_allclose(r @ r.transpose(0, 2, 1), np.broadcast_to(np.eye(3), r.shape),
                               atol=1e-12)


def test_radians_header_gives_same_positions(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    asf, amc_deg = tiny
    amc_rad = tmp_path / "t_02.amc"
    half_pi = f"{math.pi / 2:.12f}"
    amc_rad.write_text(tiny_amc([("0 20 0 0 0 0", "0 0 0", "0"),
                                 ("1 20 0 0 0 0", f"{half_pi} 0 0", "0")],
                                header=":FULLY-SPECIFIED\n:RADIANS\n"))
    a = asf_amc.read(amc_deg, asf=asf, keep_source_joints=True)
    b = asf_amc.read(amc_rad, asf=asf, keep_source_joints=True)
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-9)


def test_read_tiny_maps_canonical(tiny: tuple[Path, Path]) -> None:
    asf, amc = tiny
    m = asf_amc.read(amc, asf=asf, fps=60.0)
    assert m.joints == ("pelvis", "left_knee", "left_ankle")
    assert m.fps == 60.0 and m.n_frames == 2
    assert m.source.format == "amc" and m.source.original_units == "inch/1"
    assert m.source.original_joint_names == ("root", "lfemur", "ltibia")


# --- the acceptance cross-check: every CMU trial against positions_npz -------------------


def test_cmu_folder_holds_exactly_the_listed_trials(cmu_dir: Path) -> None:
    assert sorted(p.stem for p in cmu_dir.glob("*.amc")) == sorted(TRIALS)


@pytest.mark.parametrize("trial", TRIALS, ids=TRIALS)
def test_fk_matches_reference_positions(cmu_dir: Path, trial: str) -> None:
    amc = cmu_dir / f"{trial}.amc"
    skel = asf_amc.parse_asf(asf_amc.find_asf(amc))
    fk = asf_amc.forward_kinematics(skel, asf_amc.parse_amc(amc, skel))
    ref = np.load(cmu_dir / "positions_npz" / f"{trial}.npz")
    names = [str(n) for n in ref["joint_names"]]
    assert len(names) == 31 and sorted(names) == sorted(fk.names)
    ours = fk.positions[:, [fk.names.index(n) for n in names]]
    assert ours.shape == ref["positions"].shape
    assert np.abs(ours - ref["positions"]).max() < 1e-3
    motion = asf_amc.read(amc, keep_source_joints=True)
    assert motion.n_frames == ref["positions"].shape[0]
    assert motion.fps == 120.0 == float(ref["fps"])
    assert motion.n_joints == 31
    expected = {"pelvis": "root", "left_knee": "lfemur", "cmu:thorax": "thorax",
                "cmu:lowerback": "lowerback", "right_wrist": "rradius"}
    for joint, bone in expected.items():
        np.testing.assert_allclose(motion.joint(joint), ref["positions"][:, names.index(bone)],
                                   atol=1e-3)


def test_16_01_standing_height_and_knee_angle(cmu_dir: Path) -> None:
    m = asf_amc.read(cmu_dir / "16_01.amc")
    assert m.joints[:3] == ("pelvis", "left_hip", "right_hip")
    assert 0.97 <= m.joint("pelvis")[0, 1] <= 1.01
    thigh = m.joint("left_hip") - m.joint("left_knee")
    shank = m.joint("left_ankle") - m.joint("left_knee")
    cos = (thigh * shank).sum(1) / np.linalg.norm(thigh, axis=1) / np.linalg.norm(shank, axis=1)
    knee = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    assert knee[0] > 160  # standing: nearly straight
    assert 85 < knee.min() < 105  # bottom of the countermovement (~96 deg)
    assert 80 <= int(np.argmin(knee)) <= 125  # the dip is around frame 102
    # Feet on the floor when standing.
    assert 0.0 <= m.joint("left_ankle")[0, 1] <= 0.15


def test_read_is_fast(cmu_dir: Path) -> None:
    amc = cmu_dir / "118_14.amc"  # the longest trial, 766 frames
    asf_amc.read(amc)
    start = time.perf_counter()
    m = asf_amc.read(amc)
    elapsed = time.perf_counter() - start
    assert m.n_frames == 766
    assert elapsed < 1.0


def test_detect_format_and_sniff(cmu_dir: Path) -> None:
    assert detect_format(cmu_dir / "16_01.amc").name == "amc"
    assert asf_amc.sniff((cmu_dir / "16_01.amc").read_bytes()[:4096])
    assert asf_amc.sniff(b"1\nroot 0 0 0 0 0 0\nlfemur 1 2 3\n")
    assert not asf_amc.sniff((cmu_dir / "16.asf").read_bytes()[:4096])
    assert not asf_amc.sniff(b"HIERARCHY\nROOT Hips\n")


# --- AMC errors ---------------------------------------------------------------------


def test_missing_asf_names_the_file_looked_for(cmu_dir: Path, tmp_path: Path) -> None:
    amc = tmp_path / "16_01.amc"
    amc.write_bytes((cmu_dir / "16_01.amc").read_bytes()[:2000])
    with pytest.raises(MotionFileError) as exc:
        asf_amc.read(amc)
    assert str(tmp_path / "16.asf") in str(exc.value)


def test_explicit_missing_asf(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="file not found"):
        asf_amc.read(tiny[1], asf=tmp_path / "nope.asf")


@pytest.mark.parametrize(("text", "line", "field", "needle"), [
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 0 0\n", 2, None, "no line for bone(s) ['ltibia']"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 0 0\nltibia 0\nlknee 4\n", 6, "lknee",
     "unknown bone 'lknee'"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 0\nltibia 0\n", 4, "lfemur",
     "needs 3 value(s), got 2"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 x 0\nltibia 0\n", 4, "lfemur", "not a number"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 0 0\nltibia inf\n", 5, "ltibia", "infinite"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nlfemur 0 0 0\nltibia 0\n3\n", 6, "frame",
     "does not follow"),
    (":DEGREES\nroot 0 20 0 0 0 0\n", 2, None, "before the first frame"),
    (":DEGREES\n1\nroot 0 20 0 0 0 0\nroot 0 20 0 0 0 0\n", 4, "root", "appears twice"),
    (":FULLY-SPECIFIED\n:DEGREES\n", None, None, "no frames"),
], ids=["missing-bone-line", "unknown-bone", "wrong-value-count", "garbage-value",
        "infinite-value", "frame-gap", "data-before-frame", "duplicate-bone", "no-frames"])
def test_amc_errors_name_line_and_field(tiny: tuple[Path, Path], tmp_path: Path, text: str,
                                        line: int | None, field: str | None,
                                        needle: str) -> None:
    amc = tmp_path / "bad_01.amc"
    amc.write_text(text)
    with pytest.raises(MotionFileError) as exc:
        asf_amc.read(amc, asf=tiny[0])
    assert needle in str(exc.value)
    assert exc.value.line == line
    assert exc.value.field == field
    assert str(amc) in str(exc.value)


def test_nan_value_propagates_as_missing(tiny: tuple[Path, Path], tmp_path: Path) -> None:
    amc = tmp_path / "n_01.amc"
    amc.write_text(tiny_amc([("0 20 0 0 0 0", "0 0 0", "nan")]))
    m = asf_amc.read(amc, asf=tiny[0])
    assert np.isnan(m.joint("left_ankle")).all()
    assert not np.isnan(m.joint("left_knee")).any()


@pytest.mark.parametrize("fps", [0.0, -5.0, math.nan, 1e9], ids=["zero", "neg", "nan", "huge"])
def test_bad_fps_option(tiny: tuple[Path, Path], fps: float) -> None:
    with pytest.raises(MotionFileError, match="frame rate"):
        asf_amc.read(tiny[1], asf=tiny[0], fps=fps)


# --- fuzzing ----------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
BAD_TOKENS = ("nan", "inf", "-inf", "1e999", "abc", "", "9" * 400, "0x1F", "\x00", "é", "(",
              ":DEGREES", "root", "begin", "end", "-0", "1e-320")


def _check_outcome(fn: object, *args: object, **kwargs: object) -> None:
    assert callable(fn)
    try:
        result = fn(*args, **kwargs)
    except SportsGPTError:
        return
    assert isinstance(result, MotionSequence)
    assert result.n_frames >= 1 and np.isfinite(result.fps)


def _substitute(text: str, index: int, token: str) -> str:
    words = text.split(" ")
    words[index % len(words)] = token
    return " ".join(words)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=400))
def test_fuzz_truncated_amc(tiny: tuple[Path, Path], tmp_path: Path, cut: int) -> None:
    text = tiny[1].read_text()
    amc = tmp_path / "f_01.amc"
    amc.write_text(text[:cut] or " ")
    _check_outcome(asf_amc.read, amc, asf=tiny[0])


@FUZZ
@given(data=st.binary(min_size=1, max_size=600))
def test_fuzz_garbage_amc(tiny: tuple[Path, Path], tmp_path: Path, data: bytes) -> None:
    amc = tmp_path / "g_01.amc"
    amc.write_bytes(data)
    _check_outcome(asf_amc.read, amc, asf=tiny[0])


@FUZZ
@given(index=st.integers(min_value=0, max_value=200), token=st.sampled_from(BAD_TOKENS),
       fps=st.sampled_from([120.0, 1e-9, 1e12, math.inf]))
def test_fuzz_amc_tokens(tiny: tuple[Path, Path], tmp_path: Path, index: int, token: str,
                         fps: float) -> None:
    amc = tmp_path / "s_01.amc"
    amc.write_text(_substitute(tiny[1].read_text(), index, token))
    _check_outcome(asf_amc.read, amc, asf=tiny[0], fps=fps)


@FUZZ
@given(index=st.integers(min_value=0, max_value=400), token=st.sampled_from(BAD_TOKENS),
       cut=st.integers(min_value=0, max_value=len(TINY_ASF)))
def test_fuzz_asf(tiny: tuple[Path, Path], tmp_path: Path, index: int, token: str,
                  cut: int) -> None:
    asf = tmp_path / "s.asf"
    asf.write_text(_substitute(TINY_ASF, index, token)[:cut] or " ")
    _check_outcome(asf_amc.read, tiny[1], asf=asf)


@FUZZ
@given(n_frames=st.integers(min_value=0, max_value=3), first=st.integers(0, 10**30))
def test_fuzz_frame_numbers(tiny: tuple[Path, Path], tmp_path: Path, n_frames: int,
                            first: int) -> None:
    body = "".join(f"{first + i}\nroot 0 20 0 0 0 0\nlfemur 0 0 0\nltibia 0\n"
                   for i in range(n_frames))
    amc = tmp_path / "k_01.amc"
    amc.write_text(":DEGREES\n" + body)
    _check_outcome(asf_amc.read, amc, asf=tiny[0])
