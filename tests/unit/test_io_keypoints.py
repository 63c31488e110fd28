"""MediaPipe, OpenPose and MMPose keypoint readers on generated files, plus fuzzing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.core.errors import MotionFileError, SportsGPTError
from sportsgpt.tools.io import detect_format
from sportsgpt.tools.io.mediapipe import read_mediapipe, sniff_mediapipe
from sportsgpt.tools.io.mmpose import read_mmpose, sniff_mmpose
from sportsgpt.tools.io.openpose import read_openpose, sniff_openpose
from sportsgpt.tools.io.pose2d import NOSE_TO_ANKLE_FRACTION, estimate_pixel_height, track_person
from sportsgpt.tools.motion import MotionSequence
from sportsgpt.tools.skeleton import (
    BODY_25,
    COCO_17,
    COCO_18,
    COCO_WHOLEBODY,
    HALPE_26,
    MEDIAPIPE_33,
    KeypointSkeleton,
)

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

HEIGHT_M = 1.80
SCALE = 400.0  # px per metre in the generated images
GROUND_ROW = 950.0
IMG_W, IMG_H = 1600.0, 1000.0

# A standing athlete seen from the side: generic point name -> (forward m, height / H).
_BASE = {
    "nose": (0.10, 0.903), "left_eye": (0.08, 0.936), "right_eye": (0.08, 0.936),
    "left_ear": (0.00, 0.930), "right_ear": (0.00, 0.930), "head_top": (0.0, 1.0),
    "neck": (0.00, 0.818), "left_shoulder": (0.00, 0.818), "right_shoulder": (0.00, 0.818),
    "left_elbow": (0.02, 0.630), "right_elbow": (0.02, 0.630),
    "left_wrist": (0.05, 0.485), "right_wrist": (0.05, 0.485), "mid_hip": (0.0, 0.530),
    "left_hip": (0.00, 0.530), "right_hip": (0.00, 0.530),
    "left_knee": (0.03, 0.285), "right_knee": (0.03, 0.285),
    "left_ankle": (0.00, 0.039), "right_ankle": (0.00, 0.039),
    "left_heel": (-0.05, 0.010), "right_heel": (-0.05, 0.010),
    "left_big_toe": (0.15, 0.0), "right_big_toe": (0.15, 0.0),
    "left_small_toe": (0.12, 0.0), "right_small_toe": (0.12, 0.0),
}
_ALIASES = {"left_foot_index": "left_big_toe", "right_foot_index": "right_big_toe",
            "hip": "mid_hip", "head": "head_top"}


def _generic(name: str) -> str:
    """BODY_25/COCO-18 'LBigToe' -> 'left_big_toe'; other skeletons are already snake case."""
    m = re.fullmatch(r"([LR])([A-Z]\w*)", name)
    if m:
        name = ("left_" if m.group(1) == "L" else "right_") + m.group(2)
    snake = re.sub(r"(?<=[a-z])([A-Z])", r"_\1", name).lower()
    return _ALIASES.get(snake, snake)


def _point_m(name: str) -> tuple[float, float]:
    x, frac = _BASE.get(_generic(name), (0.0, 0.7))
    return x + (0.02 if name.lower().startswith(("l", "left")) else 0.0), frac * HEIGHT_M


def pose_px(skeleton: KeypointSkeleton, t: int = 0, *, dx: float = 0.0,
            crouch: float = 1.0) -> np.ndarray:
    """(K, 2) image pixels (x right, rows down) of the athlete in frame t."""
    pts = np.array([_point_m(n) for n in skeleton.keypoints])
    x = 300.0 + 2.0 * t + dx + pts[:, 0] * SCALE
    row = GROUND_ROW - pts[:, 1] * crouch * SCALE
    return np.stack([x, row], axis=1)


def expected_up(skeleton: KeypointSkeleton, name: str, t: int = 0) -> np.ndarray:
    """Where a source keypoint should land: pixels with y up in an IMG_H-high image."""
    x, row = pose_px(skeleton, t)[skeleton.keypoints.index(name)]
    return np.array([x, IMG_H - row])


def _check_outcome(read: Callable[..., MotionSequence], path: Path, **options: object) -> None:
    try:
        motion = read(path, **options)
    except SportsGPTError:
        return
    assert isinstance(motion, MotionSequence)
    assert motion.n_frames >= 1
    assert not np.isinf(motion.positions).any()


# --- MediaPipe -----------------------------------------------------------------------

def _mp_landmarks(t: int, *, vis: float = 0.9, crouch: float = 1.0) -> list[dict[str, float]]:
    px = pose_px(MEDIAPIPE_33, t, crouch=crouch)
    return [{"x": float(x) / IMG_W, "y": float(r) / IMG_H, "z": -0.1, "visibility": vis,
             "presence": 0.99} for x, r in px]


def _mp_doc(layout: str, n: int = 6) -> object:
    frames: list[dict[str, object]] = []
    for t in range(n):
        lms = _mp_landmarks(t)
        if layout == "tasks-multi":
            frames.append({"pose_landmarks": [lms], "timestamp_ms": t * 40})
        elif layout == "protobuf":
            frames.append({"landmarks": {"landmark": lms}})
        else:
            frames.append({"landmarks": lms})
    return {"fps": 25, "frames": frames} if layout in ("frames-object", "protobuf") else frames


@pytest.mark.parametrize("layout", ["list", "frames-object", "tasks-multi", "protobuf"],
                         ids=["list", "frames-object", "tasks-multi", "protobuf"])
def test_mediapipe_json_layouts(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(_mp_doc(layout)))
    fps = 25 if layout == "list" else None
    motion = read_mediapipe(path, fps=fps, image_size=(IMG_W, IMG_H), view="sagittal")
    assert (motion.fps, motion.units, motion.view, motion.dim) == (25.0, "px", "sagittal", 2)
    assert motion.n_frames == 6
    for t in (0, 5):
        np.testing.assert_allclose(motion.joint("left_knee")[t],
                                   expected_up(MEDIAPIPE_33, "left_knee", t))
        np.testing.assert_allclose(motion.joint("right_toe")[t],
                                   expected_up(MEDIAPIPE_33, "right_foot_index", t))
    assert motion.confidence is not None
    np.testing.assert_allclose(motion.confidence, 0.9)
    assert detect_format(path).name == "mediapipe"


def test_mediapipe_y_points_up(tmp_path: Path) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(_mp_doc("list")))
    motion = read_mediapipe(path, fps=30, image_size=(IMG_W, IMG_H))
    assert motion.joint("head")[0, 1] > motion.joint("pelvis")[0, 1] > motion.joint(
        "left_ankle")[0, 1]


def test_mediapipe_millisecond_timestamps_give_fps(tmp_path: Path) -> None:
    frames = [{"landmarks": _mp_landmarks(t), "timestamp_ms": round(t * 1000 / 30)}
              for t in range(40)]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(frames))
    assert read_mediapipe(path, image_size=(IMG_W, IMG_H)).fps == 30.0


def test_mediapipe_dropped_frame_in_timestamps_is_an_error(tmp_path: Path) -> None:
    frames = [{"landmarks": _mp_landmarks(t), "timestamp_ms": t * 33}
              for t in (*range(10), *range(11, 20))]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(frames))
    with pytest.raises(MotionFileError, match="not uniform"):
        read_mediapipe(path, image_size=(IMG_W, IMG_H))


@pytest.mark.parametrize("options", [{}, {"subject_height_m": 1.8}], ids=["none", "height-only"])
def test_mediapipe_image_landmarks_need_image_size(tmp_path: Path,
                                                   options: dict[str, float]) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(_mp_doc("list")))
    with pytest.raises(MotionFileError, match=r"image_size=\(width, height\)"):
        read_mediapipe(path, fps=30, **options)  # type: ignore[arg-type]


def test_mediapipe_missing_fps_asks_for_it(tmp_path: Path) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(_mp_doc("list")))
    with pytest.raises(MotionFileError, match="pass fps="):
        read_mediapipe(path, image_size=(IMG_W, IMG_H))


def test_mediapipe_world_landmarks_are_3d_y_up(tmp_path: Path) -> None:
    world = [{"x": 0.01 * i, "y": -0.5 + 0.02 * i, "z": 0.1, "visibility": 0.8}
             for i in range(33)]
    path = tmp_path / "world.json"
    path.write_text(json.dumps({"fps": 60, "frames": [{"pose_world_landmarks": world}] * 3}))
    motion = read_mediapipe(path)
    assert (motion.dim, motion.view, motion.units, motion.fps) == (3, "3d", "m", 60.0)
    k = MEDIAPIPE_33.keypoints.index("left_knee")
    np.testing.assert_allclose(motion.joint("left_knee")[0],
                               [0.01 * k, 0.5 - 0.02 * k, -0.1])
    with pytest.raises(MotionFileError, match="do not apply"):
        read_mediapipe(path, subject_height_m=1.8)


def test_mediapipe_world_option_chooses_landmarks(tmp_path: Path) -> None:
    world = [{"x": 0.0, "y": 0.0, "z": 0.0, "visibility": 1.0}] * 33
    frames = [{"landmarks": _mp_landmarks(0), "pose_world_landmarks": world}] * 2
    path = tmp_path / "both.json"
    path.write_text(json.dumps(frames))
    assert read_mediapipe(path, fps=30, image_size=(IMG_W, IMG_H)).dim == 2
    assert read_mediapipe(path, fps=30, world=True).dim == 3


def _mp_csv_text(naming: str, n: int = 4, *, blank_frame: int | None = None) -> str:
    names = [str(i) if naming == "index" else nm for i, nm in enumerate(MEDIAPIPE_33.keypoints)]
    header = ["frame", "timestamp_ms"] + [f"{nm}_{a}" for nm in names
                                          for a in ("x", "y", "z", "visibility")]
    lines = [",".join(header)]
    for t in range(n):
        cells = [str(t), str(t * 10)]
        for lm in _mp_landmarks(t):
            vals = [float(lm[k]) for k in ("x", "y", "z", "visibility")]
            cells += ["" if t == blank_frame else repr(v) for v in vals]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("naming", ["name", "index"], ids=["names", "indices"])
def test_mediapipe_csv(tmp_path: Path, naming: str) -> None:
    path = tmp_path / "pose.csv"
    path.write_text(_mp_csv_text(naming, blank_frame=2))
    assert sniff_mediapipe(path.read_bytes()[:4096])
    motion = read_mediapipe(path, image_size=(IMG_W, IMG_H))
    assert motion.fps == 100.0 and motion.n_frames == 4
    np.testing.assert_allclose(motion.joint("left_knee")[1],
                               expected_up(MEDIAPIPE_33, "left_knee", 1))
    assert np.isnan(motion.positions[2]).all()


@pytest.mark.parametrize(("mutate", "options", "needle"), [
    (lambda s: s.replace("left_knee_y,", "left_knee_q,"), {}, "left_knee_q"),
    (lambda s: s.replace("frame,", "person,"), {}, "person"),
    (lambda s: s.rstrip("\n") + ",1\n", {}, "fields"),
    (lambda s: s, {"world": True}, "image landmarks only"),
    (lambda s: s, {"person": 1}, "one person"),
], ids=["bad-column", "unknown-column", "long-row", "world", "person"])
def test_mediapipe_csv_errors(tmp_path: Path, mutate: Callable[[str], str],
                              options: dict[str, object], needle: str) -> None:
    path = tmp_path / "pose.csv"
    path.write_text(mutate(_mp_csv_text("name")))
    with pytest.raises(MotionFileError, match=needle):
        read_mediapipe(path, image_size=(IMG_W, IMG_H), **options)  # type: ignore[arg-type]


def test_min_confidence_makes_nan_and_keeps_confidence(tmp_path: Path) -> None:
    frames = [{"landmarks": _mp_landmarks(t)} for t in range(3)]
    knee = MEDIAPIPE_33.keypoints.index("left_knee")
    frames[1]["landmarks"][knee]["visibility"] = 0.2  # type: ignore[index]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(frames))
    motion = read_mediapipe(path, fps=30, image_size=(IMG_W, IMG_H), min_confidence=0.5)
    assert np.isnan(motion.joint("left_knee")[1]).all()
    assert np.isfinite(motion.joint("left_knee")[[0, 2]]).all()
    assert motion.confidence is not None
    assert motion.confidence[1, motion.index("left_knee")] == pytest.approx(0.2)
    assert any("min_confidence" in n for n in motion.source.notes)


def test_subject_height_scales_pixels_to_metres(tmp_path: Path) -> None:
    crouch = {3: 0.7, 4: 0.8}  # two crouched frames must not lower the estimate
    frames = [{"landmarks": _mp_landmarks(t, crouch=crouch.get(t, 1.0))} for t in range(12)]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(frames))
    motion = read_mediapipe(path, fps=30, image_size=(IMG_W, IMG_H), subject_height_m=HEIGHT_M)
    assert motion.units == "m"
    assert motion.source.extra["metres_per_pixel"] == pytest.approx(1 / SCALE, rel=1e-9)
    assert motion.source.extra["pixel_height"] == pytest.approx(HEIGHT_M * SCALE, rel=1e-9)
    shank = motion.joint("left_knee")[0, 1] - motion.joint("left_ankle")[0, 1]
    assert shank == pytest.approx((0.285 - 0.039) * HEIGHT_M, rel=1e-9)
    assert any("m/px" in n for n in motion.source.notes)


def test_estimate_pixel_height_needs_nose_and_ankle() -> None:
    coords = np.full((3, len(BODY_25.keypoints), 2), np.nan)
    assert estimate_pixel_height(coords, BODY_25) == (pytest.approx(np.nan, nan_ok=True), 0)
    coords[0, BODY_25.keypoints.index("Nose"), 1] = 100 + 0.864 * 500
    coords[0, BODY_25.keypoints.index("RAnkle"), 1] = 100
    height, n = estimate_pixel_height(coords, BODY_25)
    assert n == 1 and height == pytest.approx(0.864 / NOSE_TO_ANKLE_FRACTION * 500)


@pytest.mark.parametrize(("options", "needle"), [
    ({"fps": -1}, "frame rate"),
    ({"fps": "30"}, "finite number"),
    ({"subject_height_m": 18.0}, "human height"),
    ({"min_confidence": 1.5}, "min_confidence"),
    ({"person": -1}, "person"),
    ({"view": "top"}, "view"),
    ({"image_size": (0, 10)}, "image_size"),
    ({"image_size": "1920x1080"}, "image_size"),
], ids=["fps-negative", "fps-string", "height", "confidence", "person", "view",
        "image-zero", "image-string"])
def test_bad_options_name_the_option(tmp_path: Path, options: dict[str, object],
                                     needle: str) -> None:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(_mp_doc("list")))
    with pytest.raises(MotionFileError, match=needle):
        read_mediapipe(path, **{"fps": 30, "image_size": (IMG_W, IMG_H), **options})  # type: ignore[arg-type]


def test_mediapipe_wrong_landmark_count_names_the_frame(tmp_path: Path) -> None:
    frames = [{"landmarks": _mp_landmarks(0)}, {"landmarks": _mp_landmarks(1)[:20]}]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps({"frames": frames}))
    with pytest.raises(MotionFileError, match="20 landmarks") as info:
        read_mediapipe(path, fps=30, image_size=(IMG_W, IMG_H))
    assert info.value.field == "frames[1].landmarks"


# --- OpenPose ------------------------------------------------------------------------

def _op_person(skeleton: KeypointSkeleton, t: int, *, dx: float = 0.0, conf: float = 0.8,
               missing: Sequence[str] = ()) -> dict[str, list[float]]:
    px = pose_px(skeleton, t, dx=dx)
    trip = np.column_stack([px, np.full(len(px), conf)])
    for name in missing:
        trip[skeleton.keypoints.index(name)] = 0.0
    return {"pose_keypoints_2d": [float(v) for v in trip.ravel()]}


def _op_write(folder: Path, frame: int, people: list[dict[str, list[float]]],
              *, pad: bool = True, prefix: str = "jump") -> Path:
    folder.mkdir(exist_ok=True)
    number = f"{frame:012d}" if pad else str(frame)
    path = folder / f"{prefix}_{number}_keypoints.json"
    path.write_text(json.dumps({"version": 1.3, "people": people}))
    return path


@pytest.mark.parametrize("skeleton", [BODY_25, COCO_18], ids=["body25", "coco18"])
def test_openpose_folder_sorted_by_frame_number(tmp_path: Path,
                                                skeleton: KeypointSkeleton) -> None:
    for t in (0, 1, 2, 9, 10, 11):  # unpadded: "10" sorts before "9" as text
        _op_write(tmp_path / "op", t, [_op_person(skeleton, t)], pad=False)
    motion = read_openpose(tmp_path / "op", fps=30, image_size=(IMG_W, IMG_H))
    assert motion.n_frames == 12 and motion.source.extra["skeleton"] == skeleton.name
    for t in (0, 9, 11):
        np.testing.assert_allclose(motion.joint("left_knee")[t],
                                   expected_up(skeleton, "LKnee", t))
    assert np.isnan(motion.positions[3:9]).all()
    assert any("6 missing frame numbers" in n for n in motion.source.notes)
    assert detect_format(tmp_path / "op").name == "openpose"


def test_openpose_single_file_is_one_frame(tmp_path: Path) -> None:
    path = _op_write(tmp_path, 0, [_op_person(BODY_25, 0)])
    motion = read_openpose(path, fps=30)
    assert motion.n_frames == 1
    assert detect_format(path).name == "openpose"
    # without image_size rows are negated: y up, arbitrary offset
    knee_row = pose_px(BODY_25)[BODY_25.keypoints.index("LKnee"), 1]
    assert motion.joint("left_knee")[0, 1] == pytest.approx(-knee_row)
    assert set(motion.joints) >= {"left_heel", "right_toe", "pelvis", "thorax"}


def test_openpose_zero_confidence_is_missing(tmp_path: Path) -> None:
    _op_write(tmp_path / "op", 0, [_op_person(BODY_25, 0, missing=["LKnee", "REar"])])
    _op_write(tmp_path / "op", 1, [])
    motion = read_openpose(tmp_path / "op", fps=30, image_size=(IMG_W, IMG_H))
    assert np.isnan(motion.joint("left_knee")[0]).all()
    assert np.isnan(motion.joint("head")[0]).all()  # mean of the ears needs both
    assert np.isfinite(motion.joint("right_knee")[0]).all()
    assert motion.confidence is not None
    assert motion.confidence[0, motion.index("left_knee")] == 0.0
    assert np.isnan(motion.positions[1]).all()  # empty "people": nobody detected


def test_openpose_tracks_nearest_person_when_count_changes(tmp_path: Path) -> None:
    folder = tmp_path / "op"
    for t in range(6):
        athlete = _op_person(BODY_25, t)
        coach = _op_person(BODY_25, t, dx=700.0)
        people = {0: [athlete], 1: [athlete, coach], 2: [coach, athlete],
                  3: [coach], 4: [_op_person(BODY_25, t, dx=350), coach, athlete]}.get(t, [athlete])
        _op_write(folder, t, people)
    motion = read_openpose(folder, fps=30, image_size=(IMG_W, IMG_H))
    knee_x = motion.joint("left_knee")[:, 0]
    want = np.array([expected_up(BODY_25, "LKnee", t)[0] for t in range(6)])
    np.testing.assert_allclose(knee_x[[0, 1, 2, 4, 5]], want[[0, 1, 2, 4, 5]])
    assert np.isnan(motion.positions[3]).all()  # only the coach was visible: not followed
    assert any("several people" in n for n in motion.source.notes)
    assert any("1 frames set to NaN" in n for n in motion.source.notes)
    other = read_openpose(folder, fps=30, person=1, image_size=(IMG_W, IMG_H))
    assert other.joint("left_knee")[1, 0] == pytest.approx(want[1] + 700.0)
    assert np.isnan(other.positions[0]).all()  # one person in frame 0: nobody at index 1


@pytest.mark.parametrize(("people", "field", "needle"), [
    ([{"pose_keypoints_2d": [1.0] * 74}], "people[0].pose_keypoints_2d", "74 values"),
    ([{"pose_keypoints_2d": [1.0] * 60}], "people[0].pose_keypoints_2d", "60 values"),
    ([{"face_keypoints_2d": []}], "people[0].pose_keypoints_2d", "no pose_keypoints"),
    ([{"pose_keypoints_2d": ["a"] * 75}], "people[0].pose_keypoints_2d[0]", "number"),
    ([{"pose_keypoints_2d": [1e999] * 75}], "people[0].pose_keypoints_2d[0]", "infinite"),
    ("nobody", "people", "list"),
], ids=["not-triplets", "20-triplets", "no-key", "strings", "inf", "people-not-list"])
def test_openpose_bad_frame_names_file_and_field(tmp_path: Path, people: object, field: str,
                                                 needle: str) -> None:
    _op_write(tmp_path / "op", 0, [_op_person(BODY_25, 0)])
    bad = _op_write(tmp_path / "op", 1, people)  # type: ignore[arg-type]
    with pytest.raises(MotionFileError, match=needle) as info:
        read_openpose(tmp_path / "op", fps=30)
    assert info.value.path == str(bad) and info.value.field == field


def test_openpose_malformed_json_gives_line(tmp_path: Path) -> None:
    path = tmp_path / "x_000000000000_keypoints.json"
    path.write_text('{\n "version": 1.3,\n "people": [\n  {"pose_keypoints_2d": [1, 2,\n}')
    with pytest.raises(MotionFileError, match="malformed JSON") as info:
        read_openpose(path, fps=30)
    assert info.value.line == 5


@pytest.mark.parametrize(("setup", "needle"), [
    ("no-fps", "pass fps="),
    ("mixed-videos", "several videos"),
    ("mixed-counts", "counts differ"),
    ("nobody", "no person"),
    ("empty-folder", "no .json"),
    ("no-number", "no frame number"),
], ids=["no-fps", "mixed-videos", "mixed-counts", "nobody", "empty-folder", "no-number"])
def test_openpose_folder_errors(tmp_path: Path, setup: str, needle: str) -> None:
    folder = tmp_path / "op"
    folder.mkdir()
    if setup in ("no-fps", "mixed-videos", "mixed-counts", "no-number"):
        _op_write(folder, 0, [_op_person(BODY_25, 0)])
    if setup == "mixed-videos":
        _op_write(folder, 1, [_op_person(BODY_25, 1)], prefix="other")
    if setup == "mixed-counts":
        _op_write(folder, 1, [_op_person(COCO_18, 1)])
    if setup == "nobody":
        _op_write(folder, 0, [])
    if setup == "no-number":
        (folder / "summary.json").write_text("{}")
    with pytest.raises(MotionFileError, match=needle):
        read_openpose(folder, fps=None if setup == "no-fps" else 30)


# --- MMPose --------------------------------------------------------------------------

def _mm_instance(skeleton: KeypointSkeleton, t: int, *, score: float = 0.9,
                 dx: float = 0.0) -> dict[str, object]:
    px = pose_px(skeleton, t, dx=dx)
    return {"keypoints": px.tolist(), "keypoint_scores": [score] * len(px),
            "bbox": [[0.0, 0.0, 10.0, 10.0]], "bbox_score": 0.99}


@pytest.mark.parametrize("skeleton", [COCO_17, HALPE_26, COCO_WHOLEBODY],
                         ids=["coco17", "halpe26", "wholebody133"])
@pytest.mark.parametrize("layout", ["inferencer", "demo"], ids=["inferencer", "demo"])
def test_mmpose_layouts_and_skeletons(tmp_path: Path, skeleton: KeypointSkeleton,
                                      layout: str) -> None:
    frames = [{"frame_id": t + 1, "instances": [_mm_instance(skeleton, t)]} for t in range(4)]
    doc: object = frames
    if layout == "demo":
        doc = {"meta_info": {"dataset_name": skeleton.name}, "instance_info": frames}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    motion = read_mmpose(path, fps=50, image_size=(IMG_W, IMG_H))
    assert motion.n_frames == 4 and motion.source.extra["skeleton"] == skeleton.name
    np.testing.assert_allclose(motion.joint("left_knee")[3],
                               expected_up(skeleton, "left_knee", 3))
    if skeleton is not COCO_17:
        np.testing.assert_allclose(motion.joint("left_heel")[0],
                                   expected_up(skeleton, "left_heel", 0))
        np.testing.assert_allclose(motion.joint("right_toe")[0],
                                   expected_up(skeleton, "right_big_toe", 0))
    if skeleton is HALPE_26:
        np.testing.assert_allclose(motion.joint("pelvis")[0], expected_up(skeleton, "hip", 0))
    assert detect_format(path).name == "mmpose"


def test_mmpose_single_image_instances(tmp_path: Path) -> None:
    path = tmp_path / "results_img.json"
    path.write_text(json.dumps({"meta_info": {}, "instance_info": [_mm_instance(COCO_17, 0)]}))
    assert read_mmpose(path, fps=1).n_frames == 1


def test_mmpose_scores_above_one_are_clipped_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"frame_id": 0, "instances": [_mm_instance(COCO_17, 0,
                                                                            score=1.2)]}]))
    motion = read_mmpose(path, fps=30)
    assert motion.confidence is not None and float(motion.confidence.max()) == 1.0
    assert any("clipped" in n for n in motion.source.notes)


@pytest.mark.parametrize(("doc", "needle", "field"), [
    ([{"frame_id": 0, "instances": [{"keypoints": [[1.0, 2.0]] * 23}]}], "23 keypoints",
     "[0].instances[0].keypoints"),
    ([{"frame_id": 0, "instances": [{"keypoints": [[1.0, 2.0, 3.0]] * 17}]}], "2D keypoints",
     "[0].instances[0].keypoints[0]"),
    ([{"frame_id": 0, "instances": [{"keypoints": [[1.0, 2.0]] * 17,
                                     "keypoint_scores": [1.0]}]}], "1 scores",
     "[0].instances[0].keypoint_scores"),
    ([{"frame_id": 3, "instances": [_mm_instance(COCO_17, 0)]},
      {"frame_id": 1, "instances": [_mm_instance(COCO_17, 1)]}], "must increase", "frame_id"),
    ([{"frame_id": "a", "instances": []}], "frame_id", "[0].frame_id"),
    ({"predictions": []}, "instance_info", None),
], ids=["count-23", "3d-points", "score-count", "decreasing-id", "string-id", "unknown-root"])
def test_mmpose_errors(tmp_path: Path, doc: object, needle: str, field: str | None) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(MotionFileError, match=needle) as info:
        read_mmpose(path, fps=30)
    assert info.value.field == field


def test_mmpose_frame_id_gaps_are_nan(tmp_path: Path) -> None:
    frames = [{"frame_id": t, "instances": [_mm_instance(COCO_17, t)]} for t in (1, 2, 5)]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(frames))
    motion = read_mmpose(path, fps=30)
    assert motion.n_frames == 5 and np.isnan(motion.positions[2:4]).all()


def test_mmpose_needs_fps(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps([{"frame_id": 0, "instances": [_mm_instance(COCO_17, 0)]}]))
    with pytest.raises(MotionFileError, match="pass fps="):
        read_mmpose(path)


# --- sniffers and tracking -------------------------------------------------------------

@pytest.mark.parametrize(("head", "expected"), [
    (b'[{"landmarks": [{"x": 0.1', (True, False, False)),
    (b'{"version":1.3,"people":[{"pose_keypoints_2d":[1', (False, True, False)),
    (b'[{"frame_id": 1, "instances": [{"keypoints": [[1', (False, False, True)),
    (b'{"meta_info": {}, "instance_info": [', (False, False, True)),
    (b"frame,nose_x,nose_y,nose_z,nose_visibility\n", (True, False, False)),
    (b"time,left_knee_x,left_knee_y\n", (False, False, False)),
    (b"\x93NUMPY", (False, False, False)),
], ids=["mediapipe-json", "openpose", "mmpose-inferencer", "mmpose-demo", "mediapipe-csv",
        "generic-csv", "binary"])
def test_sniffers(head: bytes, expected: tuple[bool, bool, bool]) -> None:
    assert (sniff_mediapipe(head), sniff_openpose(head), sniff_mmpose(head)) == expected


def test_track_person_keeps_last_position_through_empty_frames() -> None:
    a = np.array([[0.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    b = a + np.array([100.0, 0.0, 0.0])
    a_moved = a + np.array([1.0, 0.0, 0.0])
    out = track_person([[a], [], [b, a_moved], [b]], 0, (2, 3))
    assert np.isnan(out.values[1]).all()
    np.testing.assert_allclose(out.values[2], a_moved)
    assert np.isnan(out.values[3]).all()  # b is 50 sizes away: somebody else
    assert (out.crowded_frames, out.switched_frames, out.rejected_frames) == (1, 1, 1)


# --- fuzzing -------------------------------------------------------------------------

_TOKENS = ["NaN", "Infinity", "-Infinity", "1e999", "null", '"x"', "true", "[]", "{}", "-1",
           "1e308", "0", "2", "[[1, 2]]"]
_NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _mutations() -> st.SearchStrategy[tuple[int, str, int]]:
    return st.tuples(st.integers(min_value=0, max_value=10**6), st.sampled_from(_TOKENS),
                     st.integers(min_value=1, max_value=10**6))


def _mutate(text: str, which: int, token: str, cut: int) -> str:
    spots = list(_NUMBER.finditer(text))
    if spots:
        m = spots[which % len(spots)]
        text = text[:m.start()] + token + text[m.end():]
    return text[: max(cut % (len(text) + 1), 1)] if cut % 3 == 0 else text


_SMALL_MP = json.dumps({"fps": 30, "frames": [{"landmarks": _mp_landmarks(t)[:33],
                                                "timestamp_ms": t * 33} for t in range(2)]})
_SMALL_OP = json.dumps({"version": 1.3, "people": [_op_person(BODY_25, 0),
                                                   _op_person(BODY_25, 0, dx=300)]})
_SMALL_MM = json.dumps([{"frame_id": t, "instances": [_mm_instance(COCO_17, t)]}
                        for t in range(2)])


@FUZZ
@given(mut=_mutations())
def test_fuzz_mediapipe_json_mutations(tmp_path: Path, mut: tuple[int, str, int]) -> None:
    path = tmp_path / "f.json"
    path.write_text(_mutate(_SMALL_MP, *mut))
    _check_outcome(read_mediapipe, path, image_size=(IMG_W, IMG_H))


@FUZZ
@given(mut=_mutations())
def test_fuzz_mediapipe_csv_mutations(tmp_path: Path, mut: tuple[int, str, int]) -> None:
    path = tmp_path / "f.csv"
    path.write_text(_mutate(_mp_csv_text("index", n=2), *mut))
    _check_outcome(read_mediapipe, path, image_size=(IMG_W, IMG_H))


@FUZZ
@given(mut=_mutations(), fps=st.floats(allow_nan=True, allow_infinity=True))
def test_fuzz_openpose_mutations(tmp_path: Path, mut: tuple[int, str, int], fps: float) -> None:
    path = tmp_path / "f_000000000000_keypoints.json"
    path.write_text(_mutate(_SMALL_OP, *mut))
    _check_outcome(read_openpose, path, fps=fps if mut[2] % 2 else 30.0, subject_height_m=1.7)


@FUZZ
@given(mut=_mutations())
def test_fuzz_mmpose_mutations(tmp_path: Path, mut: tuple[int, str, int]) -> None:
    path = tmp_path / "f.json"
    path.write_text(_mutate(_SMALL_MM, *mut))
    _check_outcome(read_mmpose, path, fps=30, min_confidence=0.5)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["landmarks", "frames", "fps", "people", "pose_keypoints_2d",
                         "instances", "keypoints", "keypoint_scores", "frame_id",
                         "instance_info", "x", "y", "timestamp_ms"]), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_JSON_VALUES)
def test_fuzz_random_json_documents(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "r_000000000001_keypoints.json"
    path.write_text(json.dumps(doc))
    for read in (read_mediapipe, read_openpose, read_mmpose):
        _check_outcome(read, path, fps=30, image_size=(IMG_W, IMG_H))


@FUZZ
@given(data=st.binary(max_size=300), ext=st.sampled_from([".json", ".csv"]))
def test_fuzz_garbage_bytes(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"g_000000000001_keypoints{ext}"
    path.write_bytes(data)
    for read in (read_mediapipe, read_openpose, read_mmpose):
        _check_outcome(read, path, fps=30, image_size=(IMG_W, IMG_H))


@FUZZ
@given(counts=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=5),
       person=st.integers(min_value=0, max_value=3), drop=st.integers(min_value=0, max_value=24))
def test_fuzz_openpose_people_counts(tmp_path: Path, counts: list[int], person: int,
                                     drop: int) -> None:
    folder = tmp_path / "op"
    for f in folder.glob("*.json") if folder.exists() else []:
        f.unlink()
    for t, n in enumerate(counts):
        people = [_op_person(BODY_25, t, dx=250.0 * k,
                             missing=BODY_25.keypoints[: (drop + k) % 26]) for k in range(n)]
        _op_write(folder, t, people)
    _check_outcome(read_openpose, folder, fps=30, person=person, subject_height_m=1.75)
