"""BVH reader: hand-made files with known answers, a CMU AMC -> BVH round trip, fuzzing."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import asf_amc, bvh, detect_format
from sportsgpt.tools.motion import MotionSequence

# --- a BVH writer for CMU ASF/AMC data (cgspeed's CMU BVH naming) -------------------------

CGSPEED_NAMES = {
    "lhipjoint": "LHipJoint", "lfemur": "LeftUpLeg", "ltibia": "LeftLeg", "lfoot": "LeftFoot",
    "ltoes": "LeftToeBase", "rhipjoint": "RHipJoint", "rfemur": "RightUpLeg",
    "rtibia": "RightLeg", "rfoot": "RightFoot", "rtoes": "RightToeBase",
    "lowerback": "LowerBack", "upperback": "Spine", "thorax": "Spine1", "lowerneck": "Neck",
    "upperneck": "Neck1", "head": "Head", "lclavicle": "LeftShoulder", "lhumerus": "LeftArm",
    "lradius": "LeftForeArm", "lwrist": "LeftHand", "lhand": "LeftFingerBase",
    "lfingers": "LeftHandIndex1", "lthumb": "LThumb", "rclavicle": "RightShoulder",
    "rhumerus": "RightArm", "rradius": "RightForeArm", "rwrist": "RightHand",
    "rhand": "RightFingerBase", "rfingers": "RightHandIndex1", "rthumb": "RThumb",
}


def zxy_euler_deg(r: np.ndarray) -> np.ndarray:
    """Angles (z, x, y) in degrees with r = Rz(z) Rx(x) Ry(y); r has shape (T, 3, 3)."""
    x = np.arcsin(np.clip(r[:, 2, 1], -1.0, 1.0))
    y = np.arctan2(-r[:, 2, 0], r[:, 2, 2])
    z = np.arctan2(-r[:, 0, 1], r[:, 1, 1])
    out: np.ndarray = np.degrees(np.stack([z, x, y], axis=1))
    return out


def amc_to_bvh(skel: asf_amc.AsfSkeleton, fk: asf_amc.FkResult, out: Path) -> None:
    """Write the FK result as a BVH in ASF length units with ZXY rotation channels.

    The BVH joint of ASF bone b sits at b's start (its parent's end) and carries b's
    global rotation; its OFFSET is the parent bone's direction*length.
    """
    scale = skel.units.metres_per_unit
    rot = {n: fk.rotations[:, i] for i, n in enumerate(fk.names)}
    lines = ["HIERARCHY", "ROOT Hips", "{", "\tOFFSET 0 0 0",
             "\tCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"]
    columns = [fk.positions[:, 0] / scale, zxy_euler_deg(rot["root"])]

    def vec(bone: str) -> str:
        b = skel.bone(bone)
        return " ".join(f"{v * b.length:.8f}" for v in b.direction)

    def write(bone: str, depth: int) -> None:
        pad = "\t" * depth
        parent = skel.parents[bone]
        lines.extend([f"{pad}JOINT {CGSPEED_NAMES[bone]}", f"{pad}{{",
                      f"{pad}\tOFFSET {vec(parent) if parent != 'root' else '0 0 0'}",
                      f"{pad}\tCHANNELS 3 Zrotation Xrotation Yrotation"])
        local = np.transpose(rot[parent], (0, 2, 1)) @ rot[bone]
        columns.append(zxy_euler_deg(local))
        kids = skel.children(bone)
        for kid in kids:
            write(kid, depth + 1)
        if not kids:
            lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {vec(bone)}",
                          f"{pad}\t}}"])
        lines.append(f"{pad}}}")

    for child in skel.children("root"):
        write(child, 1)
    lines.append("}")
    values = np.concatenate(columns, axis=1)
    lines += ["MOTION", f"Frames: {values.shape[0]}", "Frame Time: .0083333"]
    lines += [" ".join(f"{v:.8f}" for v in row) for row in values]
    out.write_text("\n".join(lines) + "\n")


def test_zxy_euler_round_trip(rng: np.random.Generator) -> None:
    ang = rng.uniform(-80, 80, size=(50, 3))
    rz = bvh._axis_rotation(2, ang[:, 0])
    rx = bvh._axis_rotation(0, ang[:, 1])
    ry = bvh._axis_rotation(1, ang[:, 2])
    np.testing.assert_allclose(zxy_euler_deg(rz @ rx @ ry), ang, atol=1e-9)


@pytest.fixture(scope="module")
def cmu_bvh(cmu_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    amc = cmu_dir / "16_01.amc"
    skel = asf_amc.parse_asf(asf_amc.find_asf(amc))
    fk = asf_amc.forward_kinematics(skel, asf_amc.parse_amc(amc, skel))
    out = tmp_path_factory.mktemp("bvh") / "16_01.bvh"
    amc_to_bvh(skel, fk, out)
    return out


def test_cmu_round_trip_matches_amc_fk(cmu_dir: Path, cmu_bvh: Path) -> None:
    ref = asf_amc.read(cmu_dir / "16_01.amc")
    start = time.perf_counter()
    m = bvh.read(cmu_bvh)
    elapsed = time.perf_counter() - start
    assert m.joints == ref.joints  # every canonical joint the ASF mapping gives
    assert len(m.joints) == 20  # 18 canonical joints and the two toe tips
    assert np.abs(m.positions - ref.positions).max() < 1e-3
    assert m.fps == 120.0 and m.n_frames == 322
    assert m.source.format == "bvh" and m.source.original_units == "cmu"
    assert m.source.extra["scheme"] == "cmu"
    assert any("units guessed as cmu" in n for n in m.source.notes)
    assert any("120 Hz" in n for n in m.source.notes)
    assert elapsed < 1.0


def test_cmu_round_trip_explicit_scale_and_source_joints(cmu_dir: Path, cmu_bvh: Path) -> None:
    ref = asf_amc.read(cmu_dir / "16_01.amc", keep_source_joints=True)
    m = bvh.read(cmu_bvh, scale=0.0254 / 0.45, keep_source_joints=True)
    # The BVH joint LeftHandIndex1 starts where the ASF bone lhand ends.
    np.testing.assert_allclose(m.joint("bvh:LeftHandIndex1"), ref.joint("cmu:lhand"), atol=1e-3)
    np.testing.assert_allclose(m.joint("bvh:LeftHandIndex1_End"), ref.joint("cmu:lfingers"),
                               atol=1e-3)
    assert m.n_joints == 20 + 14 + 4  # canonical and toe tips, unmapped joints, End Sites
    assert m.source.original_units == "x0.0564444 m"


# Second motion line of a real CMU BVH conversion (github.com/una-dinosauria/cmu-mocap,
# 016/16_07.bvh at commit 62ac0fb0; its first line is a rest pose), channels ZYX, same
# skeleton offsets as 16.asf. It is AMC frame 1 of 16_07.
REAL_16_07_ROW = (
    "0.8894 17.8109 -14.5985 -0.3947 -2.8092 5.2756 0.0000 0.0000 0.0000 -19.1497 -7.6006 "
    "-3.2237 0.8882 6.0073 16.8056 0.5120 3.6851 -15.3666 0.0146 -0.7809 -2.1460 0.0000 "
    "0.0000 0.0000 20.9095 8.3974 -3.3529 -0.8957 -6.0319 16.8770 -0.3921 -3.5933 -13.7011 "
    "-0.0678 -1.6794 4.6205 -1.5235 -0.6752 0.2047 3.0114 -0.8370 -4.0273 4.0058 -0.3047 "
    "-4.2044 -10.9648 -4.2068 -14.8330 5.2980 -4.5674 26.2580 3.1530 -2.5348 11.3837 -0.0000 "
    "-0.0000 0.0000 -94.7283 2.8234 22.1401 12.2787 -20.2213 -2.1977 -0.0000 -0.0000 13.8266 "
    "14.6446 25.8578 6.5018 -7.1250 0.0000 -0.0000 -16.3849 55.8288 -4.4387 -0.0000 -0.0000 "
    "0.0000 88.2468 -4.9402 19.0290 -15.0539 24.2211 -3.2480 0.0000 0.0000 12.4722 -5.8414 "
    "8.3433 -0.8505 7.1250 -0.0000 -0.0000 15.1188 -21.6869 8.7647"
)


def test_real_cmu_bvh_frame_matches_amc(cmu_dir: Path, tmp_path: Path) -> None:
    amc = cmu_dir / "16_07.amc"
    skel = asf_amc.parse_asf(cmu_dir / "16.asf")
    fk = asf_amc.forward_kinematics(skel, asf_amc.parse_amc(amc, skel))
    amc_to_bvh(skel, fk, tmp_path / "w.bvh")
    hierarchy = (tmp_path / "w.bvh").read_text().split("MOTION")[0]
    assert "OFFSET 1.573579" in hierarchy  # the real file: OFFSET 1.57358 -1.76629 0.73362
    real = tmp_path / "real.bvh"
    real.write_text(hierarchy.replace("Zrotation Xrotation Yrotation",
                                      "Zrotation Yrotation Xrotation")
                    + f"MOTION\nFrames: 1\nFrame Time: .0083333\n{REAL_16_07_ROW}\n")
    m = bvh.read(real)
    ref = asf_amc.read(amc).slice_frames(0, 1)
    assert m.joints == ref.joints
    assert np.abs(m.positions - ref.positions).max() < 1e-3


def test_detect_format_bvh(cmu_bvh: Path) -> None:
    assert detect_format(cmu_bvh).name == "bvh"
    assert bvh.sniff(cmu_bvh.read_bytes()[:4096])
    assert not bvh.sniff(b":FULLY-SPECIFIED\n1\nroot 0 0 0\n")


# --- hand-written files with known answers ----------------------------------------------


def chain_bvh(root_channels: str, joint_channels: str, rows: list[str],
              frame_time: str = "0.01", frames: int | None = None,
              names: tuple[str, str] = ("A", "B")) -> str:
    """A root and one child 1 unit along +X, with an End Site 1 unit further along +X."""
    n_frames = len(rows) if frames is None else frames
    return (
        "HIERARCHY\n"
        f"ROOT {names[0]}\n{{\n  OFFSET 0 0 0\n  CHANNELS {root_channels}\n"
        f"  JOINT {names[1]}\n  {{\n    OFFSET 1 0 0\n    CHANNELS {joint_channels}\n"
        "    End Site\n    {\n      OFFSET 1 0 0\n    }\n  }\n}\n"
        f"MOTION\nFrames: {n_frames}\nFrame Time: {frame_time}\n" + "\n".join(rows) + "\n")


def read_raw(tmp_path: Path, text: str, **options: Any) -> MotionSequence:
    path = tmp_path / "x.bvh"
    path.write_text(text)
    m = bvh.read(path, scale=1.0, keep_source_joints=True, **options)
    return m


POS6 = "6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
ROT3 = "3 Zrotation Xrotation Yrotation"


@pytest.mark.parametrize(("row", "b", "end"), [
    ("0 0 0 0 0 0 0 0 0", (1, 0, 0), (2, 0, 0)),
    ("0 0 0 90 0 0 0 0 0", (0, 1, 0), (0, 2, 0)),
    ("0 0 0 90 0 0 90 0 0", (0, 1, 0), (-1, 1, 0)),
    ("5 6 7 0 0 0 0 0 0", (6, 6, 7), (7, 6, 7)),
    ("0 0 0 0 0 90 0 0 0", (0, 0, -1), (0, 0, -2)),
    ("0 0 0 0 0 0 0 0 -90", (1, 0, 0), (1, 0, 1)),
], ids=["rest", "root-z90", "both-z90", "translated", "root-y90", "child-y-90"])
def test_two_bone_chain_known_positions(tmp_path: Path, row: str, b: tuple[float, ...],
                                        end: tuple[float, ...]) -> None:
    m = read_raw(tmp_path, chain_bvh(POS6, ROT3, [row]))
    assert m.joints == ("bvh:A", "bvh:B", "bvh:B_End")
    np.testing.assert_allclose(m.joint("bvh:B")[0], b, atol=1e-12)
    np.testing.assert_allclose(m.joint("bvh:B_End")[0], end, atol=1e-12)


@pytest.mark.parametrize(("channels", "row", "end"), [
    ("2 Xrotation Yrotation", "90 90", (1, 1, 0)),   # Rx(90)·Ry(90)·(1,0,0) = (0,1,0)
    ("2 Yrotation Xrotation", "90 90", (1, 0, -1)),  # Ry(90)·Rx(90)·(1,0,0) = (0,0,-1)
    ("3 Xrotation Yrotation Zrotation", "90 0 90", (1, 0, 1)),  # Rx Rz: x->y->z
    ("3 Zrotation Yrotation Xrotation", "90 0 90", (1, 1, 0)),  # Rz Rx: x->x->y
], ids=["XY", "YX", "XYZ", "ZYX"])
def test_rotation_order_is_intrinsic_as_listed(tmp_path: Path, channels: str, row: str,
                                               end: tuple[float, ...]) -> None:
    m = read_raw(tmp_path, chain_bvh("0", channels, [row]))
    np.testing.assert_allclose(m.joint("bvh:B_End")[0], end, atol=1e-12)


def test_position_channels_on_a_child_replace_offset(tmp_path: Path) -> None:
    text = chain_bvh(POS6, "4 Xposition Zrotation Xrotation Yrotation",
                     ["0 0 0 0 0 0 3 90 0 0"])
    m = read_raw(tmp_path, text)
    np.testing.assert_allclose(m.joint("bvh:B")[0], (3, 0, 0), atol=1e-12)
    np.testing.assert_allclose(m.joint("bvh:B_End")[0], (3, 1, 0), atol=1e-12)
    assert any("replace the OFFSET" in n for n in m.source.notes)


def test_up_axis_z(tmp_path: Path) -> None:
    m = read_raw(tmp_path, chain_bvh(POS6, ROT3, ["0 0 5 0 0 0 0 0 0"]), up_axis="z")
    np.testing.assert_allclose(m.joint("bvh:A")[0], (0, 5, 0), atol=1e-12)
    np.testing.assert_allclose(m.joint("bvh:B")[0], (1, 5, 0), atol=1e-12)


def test_names_with_spaces_and_brace_on_same_line(tmp_path: Path) -> None:
    text = ("HIERARCHY\nROOT Bip01 Pelvis {\n OFFSET 0 0 0\n CHANNELS 3 Xposition Yposition "
            "Zposition\n End Site {\n  OFFSET 0 1 0\n }\n}\nMOTION\nFrames: 1\n"
            "Frame Time: 0.5\n1 2 3\n")
    m = read_raw(tmp_path, text)
    assert m.joints == ("bvh:Bip01 Pelvis", "bvh:Bip01 Pelvis_End")
    assert m.fps == 2.0
    np.testing.assert_allclose(m.positions[0], [[1, 2, 3], [1, 3, 3]])


def test_two_end_sites_get_distinct_names(tmp_path: Path) -> None:
    text = ("HIERARCHY\nROOT R\n{\n OFFSET 0 0 0\n CHANNELS 1 Zrotation\n End Site\n {\n"
            "  OFFSET 1 0 0\n }\n End Site\n {\n  OFFSET 0 2 0\n }\n}\n"
            "MOTION\nFrames: 1\nFrame Time: 0.01\n90\n")
    m = read_raw(tmp_path, text)
    assert m.joints == ("bvh:R", "bvh:R_End", "bvh:R_End2")
    np.testing.assert_allclose(m.positions[0], [[0, 0, 0], [0, 1, 0], [-2, 0, 0]], atol=1e-12)


MIXAMO_LEG = (
    "HIERARCHY\nROOT mixamorig:Hips\n{\n OFFSET 0 0 0\n CHANNELS 6 Xposition Yposition "
    "Zposition Zrotation Xrotation Yrotation\n JOINT mixamorig:LeftUpLeg\n {\n"
    "  OFFSET 9 -6 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "  JOINT mixamorig:LeftLeg\n  {\n   OFFSET 0 -45 0\n"
    "   CHANNELS 3 Zrotation Xrotation Yrotation\n   JOINT mixamorig:LeftFoot\n   {\n"
    "    OFFSET 0 -42 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n    End Site\n"
    "    {\n     OFFSET 0 -5 12\n    }\n   }\n  }\n }\n"
    " JOINT mixamorig:Spine\n {\n  OFFSET 0 10 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "  JOINT mixamorig:Neck\n  {\n   OFFSET 0 45 0\n   CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "   JOINT mixamorig:Head\n   {\n    OFFSET 0 10 0\n"
    "    CHANNELS 3 Zrotation Xrotation Yrotation\n"
    "    JOINT mixamorig:HeadTop_End\n    {\n     OFFSET 0 18 0\n"
    "     CHANNELS 3 Zrotation Xrotation Yrotation\n     End Site\n     {\n"
    "      OFFSET 0 1 0\n     }\n    }\n   }\n  }\n }\n}\n"
    "MOTION\nFrames: 2\nFrame Time: 0.0333333\n"
    "0 100 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    "0 100 0 0 0 0 0 0 0 0 -90 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
)


def test_mixamo_names_and_cm_guess(tmp_path: Path) -> None:
    path = tmp_path / "mixamo.bvh"
    path.write_text(MIXAMO_LEG)
    m = bvh.read(path)
    assert m.joints == ("pelvis", "left_hip", "left_knee", "left_ankle", "thorax", "neck",
                        "head")
    assert m.source.extra["scheme"] == "mixamo"
    assert m.source.original_units == "cm"  # rest-pose height 100+ units
    assert m.fps == 30.0
    np.testing.assert_allclose(m.joint("pelvis")[0], (0, 1.0, 0), atol=1e-12)
    np.testing.assert_allclose(m.joint("left_knee")[0], (0.09, 0.49, 0), atol=1e-12)
    # Frame 2: knee flexed 90 deg about X (Xrotation -90): the shank points to -Z.
    np.testing.assert_allclose(m.joint("left_ankle")[1], (0.09, 0.49, 0.42), atol=1e-12)
    np.testing.assert_allclose(m.joint("head")[0], (0, 1.83, 0), atol=1e-12)


def test_joint_map_override(tmp_path: Path) -> None:
    path = tmp_path / "mixamo.bvh"
    path.write_text(MIXAMO_LEG)
    m = bvh.read(path, units="cm", joint_map={"left_toe": "mixamorig:LeftFoot_End",
                                             "neck": "mixamorig:Neck"})
    np.testing.assert_allclose(m.joint("left_toe")[0], (0.09, 0.02, 0.12), atol=1e-12)
    np.testing.assert_allclose(m.joint("neck")[0], (0, 1.55, 0), atol=1e-12)
    assert "thorax" not in m.joints  # its point is now the neck


@pytest.mark.parametrize(("joint_map", "needle"), [
    ({"left_kneecap": "mixamorig:LeftLeg"}, "not a canonical joint"),
    ({"left_knee": "LeftLeg"}, "not in the file"),
], ids=["bad-canonical", "bad-source"])
def test_joint_map_errors(tmp_path: Path, joint_map: dict[str, str], needle: str) -> None:
    path = tmp_path / "mixamo.bvh"
    path.write_text(MIXAMO_LEG)
    with pytest.raises(MotionFileError, match=needle) as exc:
        bvh.read(path, joint_map=joint_map)
    assert exc.value.field == "joint_map"


@pytest.mark.parametrize(("offset", "unit", "scale"), [
    (0.45, "m", 1.0), (15.0, "cmu", 0.0254 / 0.45), (30.0, "inch", 0.0254),
    (75.0, "cm", 0.01), (750.0, "mm", 0.001),
], ids=["m", "cmu", "inch", "cm", "mm"])
def test_auto_units(tmp_path: Path, offset: float, unit: str, scale: float) -> None:
    text = chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0"]).replace("OFFSET 1 0 0",
                                                                 f"OFFSET 0 {offset} 0")
    path = tmp_path / "u.bvh"
    path.write_text(text)
    m = bvh.read(path, keep_source_joints=True)
    assert m.source.original_units == unit
    np.testing.assert_allclose(m.joint("bvh:B_End")[0], (0, 2 * offset * scale, 0))
    assert any(f"units guessed as {unit}" in n for n in m.source.notes)


@pytest.mark.parametrize("offset", [5.0, 0.1, 5000.0], ids=["ambiguous", "tiny", "huge"])
def test_auto_units_refuses_to_guess(tmp_path: Path, offset: float) -> None:
    text = chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0"]).replace("OFFSET 1 0 0",
                                                                 f"OFFSET 0 {offset} 0")
    path = tmp_path / "u.bvh"
    path.write_text(text)
    with pytest.raises(MotionFileError, match="cannot guess units"):
        bvh.read(path, keep_source_joints=True)
    assert bvh.read(path, units="cm", keep_source_joints=True).n_frames == 1


@pytest.mark.parametrize(("options", "field"), [
    ({"scale": 0.0}, "scale"), ({"scale": math.nan}, "scale"), ({"units": "furlong"}, "units"),
    ({"up_axis": "x"}, "up_axis"),
], ids=["zero-scale", "nan-scale", "unknown-units", "bad-up-axis"])
def test_bad_options(tmp_path: Path, options: dict[str, Any], field: str) -> None:
    path = tmp_path / "o.bvh"
    path.write_text(chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0"]))
    with pytest.raises(MotionFileError) as exc:
        bvh.read(path, **options)
    assert exc.value.field == field


def test_unknown_names_need_keep_source_joints(tmp_path: Path) -> None:
    path = tmp_path / "n.bvh"
    path.write_text(chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0"]))
    with pytest.raises(MotionFileError, match="maps to a known joint"):
        bvh.read(path, scale=1.0)


# --- errors with line numbers ---------------------------------------------------------------

ROWS = ["0 0 0 0 0 0 0 0 0", "1 0 0 0 0 0 0 0 0"]


@pytest.mark.parametrize(("text", "line", "needle"), [
    (chain_bvh(POS6, ROT3, ROWS, frames=3), 17, "Frames: 3 but 2 data lines"),
    (chain_bvh(POS6, ROT3, ROWS, frames=1), 20, "more data lines than Frames"),
    (chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0", "1 0 0 0 0 0 0 0"]), 20, "8 values"),
    (chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0", "1 0 zero 0 0 0 0 0 0"]), 20,
     "not a number"),
    (chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 0 0 0", "1 0 inf 0 0 0 0 0 0"]), 20, "infinite"),
    (chain_bvh(POS6, ROT3, ROWS, frames=10**12), 17, "implausibly large"),
    (chain_bvh(POS6, ROT3, ROWS, frame_time="0"), 18, "must be positive"),
    (chain_bvh(POS6, ROT3, ROWS, frame_time="1e-9"), 18, "implausible frame rate"),
    (chain_bvh(POS6, ROT3, ROWS).split("MOTION")[0], 15, "no MOTION section"),
    (chain_bvh(POS6, "3 Zrotation Xrotation", ROWS), 9, "declares 3 but lists 2"),
    (chain_bvh(POS6, "3 Zrotation Xrotation Wrotation", ROWS), 9, "unknown or repeated"),
    (chain_bvh(POS6, ROT3, ROWS).replace("OFFSET 1 0 0\n    CHANNELS", "OFFSET 1 0\n CHANNELS"),
     8, "OFFSET needs 3 numbers"),
    (chain_bvh(POS6, ROT3, ROWS).replace("  }\n}\n", "  }\n"), 15, "unclosed"),
    (chain_bvh(POS6, ROT3, ROWS).replace("HIERARCHY", "HIERARCHIES"), 1, "not a BVH file"),
], ids=["too-few-lines", "too-many-lines", "short-row", "garbage-value", "inf-value",
        "huge-frames", "zero-frame-time", "absurd-frame-rate", "no-motion",
        "channel-count", "bad-channel", "short-offset", "unclosed-brace", "not-bvh"])
def test_errors_name_the_line(tmp_path: Path, text: str, line: int, needle: str) -> None:
    path = tmp_path / "e.bvh"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(MotionFileError) as exc:
        bvh.read(path, scale=1.0, keep_source_joints=True)
    assert time.perf_counter() - start < 1.0
    assert needle in str(exc.value)
    assert exc.value.line == line
    assert str(path) in str(exc.value)


def test_zero_frames_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MotionFileError, match="no frames"):
        read_raw(tmp_path, chain_bvh(POS6, ROT3, []))


def test_nan_value_is_missing(tmp_path: Path) -> None:
    m = read_raw(tmp_path, chain_bvh(POS6, ROT3, ["0 0 0 0 0 0 nan 0 0"]))
    assert not np.isnan(m.joint("bvh:B")).any()
    assert np.isnan(m.joint("bvh:B_End")).all()


# --- fuzzing ------------------------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
BASE = chain_bvh(POS6, ROT3, [*ROWS, "0 1 2 30 40 50 60 70 80"])
BAD_TOKENS = ("nan", "inf", "-inf", "1e999", "abc", "", "9" * 400, "{", "}", "End", "Site",
              "JOINT", "ROOT", "MOTION", "Frames:", "CHANNELS", "OFFSET", "-0", "1e-320",
              "1000000000000", "\x00")


def _check_outcome(path: Path, **options: Any) -> None:
    try:
        result = bvh.read(path, **options)
    except SportsGPTError:
        return
    assert isinstance(result, MotionSequence)
    assert result.n_frames >= 1 and np.isfinite(result.fps)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=len(BASE)))
def test_fuzz_truncated(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "t.bvh"
    path.write_text(BASE[:cut] or " ")
    _check_outcome(path, scale=1.0, keep_source_joints=True)


@FUZZ
@given(data=st.binary(min_size=1, max_size=600))
def test_fuzz_garbage(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "g.bvh"
    path.write_bytes(b"HIERARCHY\n" + data)
    _check_outcome(path, keep_source_joints=True)


@FUZZ
@given(index=st.integers(min_value=0, max_value=300), token=st.sampled_from(BAD_TOKENS),
       units=st.sampled_from(["auto", "cm", "m"]))
def test_fuzz_tokens(tmp_path: Path, index: int, token: str, units: str) -> None:
    words = BASE.split(" ")
    words[index % len(words)] = token
    path = tmp_path / "s.bvh"
    path.write_text(" ".join(words))
    _check_outcome(path, units=units, keep_source_joints=True)


@FUZZ
@given(frames=st.sampled_from(["0", "1", "2", "3", "4", "-1", "1e12", "10000000000000",
                               "x", ""]),
       frame_time=st.sampled_from(["0.01", "0", "-1", "nan", "inf", "1e-300", "1e300",
                                   "0.0000001", "abc"]))
def test_fuzz_header(tmp_path: Path, frames: str, frame_time: str) -> None:
    text = BASE.replace("Frames: 3", f"Frames: {frames}").replace(
        "Frame Time: 0.01", f"Frame Time: {frame_time}")
    path = tmp_path / "h.bvh"
    path.write_text(text)
    _check_outcome(path, scale=1.0, keep_source_joints=True)
