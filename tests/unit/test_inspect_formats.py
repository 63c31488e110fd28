"""`sportsgpt inspect` reads a file of every supported format (issue: foundation).

Real files where the shared data has them (AMC, MOT, UI-PRMD); files generated
here from CMU 16_01's joint positions for the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.cli import main
from sportsgpt.tools.datasets import load_cmu_trial, ui_prmd_path
from sportsgpt.tools.io import FORMATS, asf_amc
from sportsgpt.tools.motion import MotionSequence
from tests.unit.test_io_bvh import amc_to_bvh
from tests.unit.test_io_c3d import write_c3d
from tests.unit.test_io_trc import write_trc

pytestmark = pytest.mark.usefixtures("cmu_dir")

Writer = Callable[[Path, MotionSequence], tuple[Path, list[str]]]


def _pixels(m: MotionSequence, joints: list[str]) -> np.ndarray:
    """Side-view pixels (x right, rows down) of some joints, (T, J, 2)."""
    xy = m.select(joints).positions[:, :, [0, 1]]
    return np.stack([640 + 400 * xy[..., 0], 700 - 400 * xy[..., 1]], axis=-1)


def _bvh(tmp: Path, _: MotionSequence) -> tuple[Path, list[str]]:
    amc = load_cmu_trial("16_01").source_path
    assert amc is not None
    skel = asf_amc.parse_asf(asf_amc.find_asf(amc))
    out = tmp / "jump.bvh"
    amc_to_bvh(skel, asf_amc.forward_kinematics(skel, asf_amc.parse_amc(amc, skel)), out)
    return out, []


def _c3d(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    return write_c3d(tmp / "jump.c3d", m.joints, (m.positions * 1000).astype(np.float32)), []


def _trc(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    return write_trc(tmp / "jump.trc", list(m.joints), m.positions * 1000, rate=120.0), []


def _mediapipe(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    names = ["left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
    from sportsgpt.tools.skeleton import MEDIAPIPE_LANDMARKS

    px = _pixels(m, names) / np.array([1280.0, 720.0])
    frames = []
    for t in range(m.n_frames):
        lms = [{"x": 0.0, "y": 0.0, "z": 0.0, "visibility": 0.0} for _ in MEDIAPIPE_LANDMARKS]
        for j, name in enumerate(names):
            i = MEDIAPIPE_LANDMARKS.index(name)
            lms[i] = {"x": float(px[t, j, 0]), "y": float(px[t, j, 1]), "z": 0.0,
                      "visibility": 0.99}
        frames.append({"landmarks": lms})
    out = tmp / "jump_mediapipe.json"
    out.write_text(json.dumps(frames))
    return out, ["--fps", "120", "--image-size", "1280", "720"]


def _openpose(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    from sportsgpt.tools.skeleton import BODY25_KEYPOINTS

    pairs = {"LHip": "left_hip", "RHip": "right_hip", "LKnee": "left_knee",
             "RKnee": "right_knee", "LAnkle": "left_ankle", "RAnkle": "right_ankle"}
    px = _pixels(m, list(pairs.values()))
    folder = tmp / "openpose"
    folder.mkdir()
    for t in range(m.n_frames):
        flat = [0.0] * 75
        for j, name in enumerate(pairs):
            i = BODY25_KEYPOINTS.index(name)
            flat[3 * i:3 * i + 3] = [float(px[t, j, 0]), float(px[t, j, 1]), 0.9]
        doc = {"version": 1.3, "people": [{"pose_keypoints_2d": flat}]}
        (folder / f"jump_{t:012d}_keypoints.json").write_text(json.dumps(doc))
    return folder, ["--fps", "120"]


def _mmpose(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    from sportsgpt.tools.skeleton import COCO17_KEYPOINTS

    names = ["left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]
    px = _pixels(m, names)
    frames = []
    for t in range(m.n_frames):
        kps = [[0.0, 0.0] for _ in COCO17_KEYPOINTS]
        scores = [0.0] * 17
        for j, name in enumerate(names):
            i = COCO17_KEYPOINTS.index(name)
            kps[i], scores[i] = [float(px[t, j, 0]), float(px[t, j, 1])], 0.9
        frames.append({"frame_id": t, "instances": [{"keypoints": kps,
                                                     "keypoint_scores": scores}]})
    out = tmp / "jump_mmpose.json"
    out.write_text(json.dumps(frames))
    return out, ["--fps", "120"]


def _csv(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    cols = ["time"] + [f"{j}_{a}" for j in m.joints for a in "xyz"]
    table = np.column_stack([m.time_s, m.positions.reshape(m.n_frames, -1)])
    out = tmp / "jump.csv"
    np.savetxt(out, table, delimiter=",", header=",".join(cols), comments="", fmt="%.6f")
    return out, []


def _npy(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    out = tmp / "jump.npy"
    np.save(out, m.positions)
    return out, ["--fps", "120", "--joints", ",".join(m.joints)]


def _npz(tmp: Path, m: MotionSequence) -> tuple[Path, list[str]]:
    out = tmp / "jump.npz"
    np.savez(out, positions=m.positions, joint_names=np.array(m.joints), fps=120.0)
    return out, []


def _shared(name: str) -> Writer:
    def get(_: Path, __: MotionSequence) -> tuple[Path, list[str]]:
        if name == "amc":
            path = load_cmu_trial("16_01").source_path
        elif name == "mot":
            from sportsgpt.tools.datasets import data_home
            path = data_home("opencap-samples") / "jump2.mot"
        else:
            path = ui_prmd_path("deep_squat", 1, 1)
        assert path is not None
        return path, []
    return get


def _video(tmp: Path, _: MotionSequence) -> tuple[Path, list[str]]:
    """30 real frames (sports2d's demo video) cut by the video environment; skips without."""
    import subprocess

    from sportsgpt.tools.io.video import default_video_python

    python = default_video_python()
    demo = sorted(python.parent.parent.glob("lib/python*/site-packages/Sports2D/Demo/demo.mp4"))
    if not demo:
        pytest.skip("video environment or its test video absent: run scripts/setup-video.sh")
    out = tmp / "clip.mp4"
    cut = ("import sys, cv2\nc = cv2.VideoCapture(sys.argv[1]); ok, f = c.read()\n"
           "h, w = f.shape[:2]; s = (w // 2, h // 2)\n"
           "o = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter_fourcc(*'mp4v'), 30.0, s)\n"
           "for _ in range(30):\n    o.write(cv2.resize(f, s)); ok, f = c.read()\no.release()\n")
    subprocess.run([str(python), "-c", cut, str(demo[0]), str(out)], check=True, timeout=120)
    return out, []


WRITERS: dict[str, Writer] = {
    "amc": _shared("amc"), "bvh": _bvh, "c3d": _c3d, "trc": _trc, "mot": _shared("mot"),
    "mediapipe": _mediapipe, "openpose": _openpose, "mmpose": _mmpose,
    "ui-prmd": _shared("ui-prmd"), "csv": _csv, "npy": _npy, "npz": _npz, "video": _video,
}


def test_every_registered_format_is_covered() -> None:
    assert set(WRITERS) == set(FORMATS)


@pytest.fixture(scope="module")
def jump() -> MotionSequence:
    return load_cmu_trial("16_01").slice_frames(100, 160)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_inspect_reads_every_format(fmt: str, tmp_path: Path, jump: MotionSequence,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    path, extra = WRITERS[fmt](tmp_path, jump)
    assert main(["inspect", str(path), "--format", "json", *extra]) == 0, capsys.readouterr().err
    rep = json.loads(capsys.readouterr().out)
    assert rep["format"] == fmt
    assert rep["n_frames"] > 0 and rep["fps"] > 0
    assert rep["joints"] or rep["channels"]
    assert "missing_pct" in rep["quality"]


def test_generic_csv_with_landmark_names_is_not_mediapipe(tmp_path: Path) -> None:
    """Joints named like MediaPipe landmarks, but a generic layout (time column)."""
    from sportsgpt.tools.io import detect_format

    cols = ["time"] + [f"{j}_{a}" for j in ("nose", "left_eye_inner", "left_hip") for a in "xyz"]
    path = tmp_path / "generic.csv"
    path.write_text(",".join(cols) + "\n" + "\n".join(
        ",".join(["0.0"] * len(cols)) for _ in range(3)) + "\n")
    assert detect_format(path).name == "csv"


def test_mediapipe_csv_header_cut_by_the_sniffer_is_still_detected(tmp_path: Path) -> None:
    from sportsgpt.tools.io import detect_format
    from sportsgpt.tools.io.mediapipe import sniff_mediapipe
    from sportsgpt.tools.skeleton import MEDIAPIPE_LANDMARKS

    cols = ["frame", "timestamp_ms"] + [f"{lm}_{a}" for lm in MEDIAPIPE_LANDMARKS
                                        for a in ("x", "y", "z", "visibility", "presence")]
    header = ",".join(cols)
    assert sniff_mediapipe(header[:1001].encode())  # cut in the middle of a column name
    path = tmp_path / "pose.csv"
    path.write_text(header + "\n" + ",".join(["0.5"] * len(cols)) + "\n")
    assert detect_format(path).name == "mediapipe"
