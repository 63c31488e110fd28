"""Camera-view detection on real keypoints projected to 2D, and the refusals it drives.

Projection (documented once here): the OpenCap smartphone keypoints of one athlete's
squats and drop jump (``opencap-dropjumps/video-keypoints``, 3D, Y up) are reduced to the
joints a COCO-17 detector gives (hips, knees, ankles, shoulders, elbows, wrists; pelvis
and thorax as the mean of the hips and of the shoulders, as the COCO-17 mapping makes
them) and projected orthographically (a distant camera, level with the athlete) onto
the image plane of a camera at ``yaw`` degrees from the athlete's front: image x is
``cos(yaw)·(-right) + sin(yaw)·forward``, image y is up. ``right`` is the median
left-to-right hip direction over the recording. From the side (|cos yaw| < 0.5) the far
leg and arm are occluded: their confidence drops to 0.3 (near side 0.95).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import DatasetNotFoundError
from sportsgpt.graph_kb.catalog import MetricSpec, load_catalog
from sportsgpt.tools.datasets import data_home
from sportsgpt.tools.io import read_motion
from sportsgpt.tools.kismam.assess import assess, evaluate_metrics, view_reason
from sportsgpt.tools.motion import MotionSequence
from sportsgpt.tools.prepare import prepare
from sportsgpt.tools.view import CAMERA_ADVICE, detect_view, stated_view_note

COCO_JOINTS = ("pelvis", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
               "right_ankle", "thorax", "left_shoulder", "right_shoulder", "left_elbow",
               "right_elbow", "left_wrist", "right_wrist")
FAR_CONFIDENCE = 0.3
NEAR_CONFIDENCE = 0.95


@pytest.fixture(scope="module")
def keypoints_dir() -> Path:
    try:
        return data_home("opencap-dropjumps") / "video-keypoints"
    except DatasetNotFoundError as exc:
        pytest.skip(f"shared data set not available: {exc}")


@pytest.fixture(scope="module")
def squats(keypoints_dir: Path) -> MotionSequence:
    motion = read_motion(keypoints_dir / "squats.trc")
    assert isinstance(motion, MotionSequence)
    return motion


@pytest.fixture(scope="module")
def dropjump(keypoints_dir: Path) -> MotionSequence:
    motion = read_motion(keypoints_dir / "drop_vertical_jump.trc")
    assert isinstance(motion, MotionSequence)
    return motion


def project(motion: MotionSequence, yaw_deg: float, view: str = "unknown") -> MotionSequence:
    """2D COCO-17-like keypoints of a 3D motion seen from ``yaw_deg`` (module docstring)."""
    pos = motion.positions
    idx = [motion.joints.index(j) for j in COCO_JOINTS]
    right = np.nanmedian(pos[:, motion.joints.index("right_hip")]
                         - pos[:, motion.joints.index("left_hip")], axis=0)
    right[1] = 0.0
    right /= np.linalg.norm(right)
    up = np.array([0.0, 1.0, 0.0])
    forward = np.cross(up, right)
    yaw = np.radians(yaw_deg)
    image_x = np.cos(yaw) * -right + np.sin(yaw) * forward
    sel = pos[:, idx]
    xy = np.stack([sel @ image_x, sel[..., 1]], axis=-1)
    conf = np.full(xy.shape[:2], NEAR_CONFIDENCE)
    if abs(np.cos(yaw)) < 0.5:
        toward_camera = np.cross(image_x, up)
        far = "left" if float(toward_camera @ right) > 0 else "right"
        conf[:, [i for i, j in enumerate(COCO_JOINTS) if j.startswith(far + "_")]] = \
            FAR_CONFIDENCE
    return MotionSequence(positions=xy, joints=COCO_JOINTS, fps=motion.fps, units="m",
                          view=view, confidence=conf)


# --- detection -------------------------------------------------------------------------

@pytest.mark.parametrize(("yaw", "view", "facing", "near"), [
    (0.0, "frontal", "camera", None), (180.0, "frontal", "away", None),
    (90.0, "sagittal", "unknown", "right"), (-90.0, "sagittal", "unknown", "left"),
    (75.0, "sagittal", "unknown", "right"), (55.0, "oblique", "unknown", None),
], ids=["front", "back", "side-right", "side-left", "side-75", "oblique-55"])
def test_view_detected_on_projected_squats(squats: MotionSequence, yaw: float, view: str,
                                           facing: str, near: str | None) -> None:
    m = project(squats, yaw)
    est = detect_view(m.positions, m.joints, m.confidence)
    assert (est.view, est.evidence.facing, est.evidence.near_side) == (view, facing, near)
    assert est.confidence >= 0.7
    assert est.evidence.frames_used == squats.n_frames


@pytest.mark.parametrize(("yaw", "view"), [(0.0, "frontal"), (90.0, "sagittal")],
                         ids=["front", "side"])
def test_view_detected_on_projected_drop_jump(dropjump: MotionSequence, yaw: float,
                                              view: str) -> None:
    m = project(dropjump, yaw)
    assert detect_view(m.positions, m.joints, m.confidence).view == view


def test_too_few_frames_is_unknown() -> None:
    pos = np.full((10, 4, 2), np.nan)
    est = detect_view(pos, ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
    assert (est.view, est.confidence) == ("unknown", 0.0)
    assert "needs 5" in est.summary()


def test_stated_view_strong_disagreement_is_noted(squats: MotionSequence) -> None:
    side = project(squats, 90.0)
    est = detect_view(side.positions, side.joints, side.confidence)
    note = stated_view_note("frontal", est)
    assert note is not None and note.startswith("VIEW DISAGREEMENT")
    assert stated_view_note("sagittal", est) is None
    assert stated_view_note("oblique", est) is None


# --- the reader detects the view when none is given -----------------------------------

COCO17_ORDER = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
                "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
                "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")


def _mmpose_file(m: MotionSequence, path: Path, px_per_m: float = 300.0) -> Path:
    """An MMPose COCO-17 predictions file (pixels, rows down) of a projected motion."""
    frames = []
    for t in range(m.n_frames):
        kps, scores = [], []
        for name in COCO17_ORDER:
            if name in m.joints:
                x, y = m.positions[t, m.joints.index(name)]
                assert m.confidence is not None
                kps.append([640 + px_per_m * float(x), 1000 - px_per_m * float(y)])
                scores.append(float(m.confidence[t, m.joints.index(name)]))
            else:  # face points: above the shoulders' midpoint
                x, y = m.positions[t, m.joints.index("thorax")]
                kps.append([640 + px_per_m * float(x), 1000 - px_per_m * (float(y) + 0.2)])
                scores.append(0.9)
        frames.append({"frame_id": t, "instances": [{"keypoints": kps,
                                                     "keypoint_scores": scores}]})
    path.write_text(json.dumps(frames))
    return path


@pytest.mark.parametrize(("yaw", "stated", "view", "disagreement"), [
    (90.0, None, "sagittal", False), (0.0, None, "frontal", False),
    (90.0, "frontal", "frontal", True), (0.0, "frontal", "frontal", False),
], ids=["side-detected", "front-detected", "side-stated-front", "front-stated-front"])
def test_reader_detects_or_keeps_the_view(squats: MotionSequence, tmp_path: Path, yaw: float,
                                          stated: str | None, view: str,
                                          disagreement: bool) -> None:
    short = project(squats, yaw)
    short = short.model_copy(update={"positions": short.positions[:120],
                                     "confidence": None if short.confidence is None
                                     else short.confidence[:120]})
    path = _mmpose_file(short, tmp_path / "pred.json")
    options = {} if stated is None else {"view": stated}
    motion = read_motion(path, fps=60, image_size=(1280, 1080), **options)
    assert isinstance(motion, MotionSequence)
    assert motion.view == view
    assert motion.source.extra["view_source"] == ("detected" if stated is None else "given")
    notes = prepare(motion).notes
    assert any(n.startswith("VIEW DISAGREEMENT") for n in notes) is disagreement
    assert CAMERA_ADVICE in notes


# --- refusals in both directions --------------------------------------------------------

def _spec(movement: str, metric: str) -> MetricSpec:
    return next(s for s in load_catalog(movement).metrics if s.id == metric)


@pytest.mark.parametrize(("movement", "metric", "view", "assessable"), [
    ("deep_squat", "squat_depth_knee_flexion", "sagittal", True),
    ("deep_squat", "squat_depth_knee_flexion", "frontal", False),
    ("deep_squat", "squat_depth_knee_flexion", "oblique", False),
    ("deep_squat", "trunk_lean_at_bottom", "frontal", False),
    ("deep_squat", "hip_flexion_at_bottom", "frontal", False),
    ("deep_squat", "knee_fppa_squat", "frontal", True),
    ("deep_squat", "knee_fppa_squat", "sagittal", False),
    ("deep_squat", "knee_fppa_squat", "oblique", False),
    ("deep_squat", "squat_knee_asymmetry", "sagittal", False),
    ("deep_squat", "squat_knee_asymmetry", "frontal", False),
    ("deep_squat", "squat_knee_asymmetry", "3d", True),
    ("countermovement_jump", "landing_time_asymmetry", "sagittal", False),
    ("countermovement_jump", "landing_time_asymmetry", "frontal", True),
    ("countermovement_jump", "landing_knee_flexion_asymmetry", "sagittal", False),
    ("countermovement_jump", "duration_flight", "oblique", True),
    ("countermovement_jump", "jump_height_flight_time", "frontal", True),
    ("countermovement_jump", "knee_angle_at_takeoff", "unknown", False),
], ids=lambda v: str(v))
def test_view_reason_both_directions(movement: str, metric: str, view: str,
                                     assessable: bool) -> None:
    reason = view_reason(_spec(movement, metric), view)
    assert (reason is None) is assessable


def test_side_view_squats_assess_depth_without_asymmetry(squats: MotionSequence) -> None:
    report = assess(project(squats, 90.0, view="sagittal"), "deep_squat")[0]
    metrics = {m.id: m for m in report.metrics}
    assert metrics["squat_depth_knee_flexion"].value is not None
    assert metrics["squat_knee_asymmetry"].status == "not_assessable"
    assert "side view" in (metrics["knee_fppa_squat"].reason or "")
    assert not [f for f in report.findings if "asymmetr" in f.fault_id]
    # the depth seen from the side agrees with the 3D keypoints within 5 degrees
    depth3d = next(m for m in assess(squats, "deep_squat")[0].metrics
                   if m.id == "squat_depth_knee_flexion")
    assert depth3d.value is not None
    assert abs(metrics["squat_depth_knee_flexion"].value - depth3d.value) < 5.0


def test_front_view_squats_assess_fppa_not_depth(squats: MotionSequence) -> None:
    """The front view's metrics at the 3D repetition's keyframes (see the note below).

    MotionDTW cannot find a squat in a 2D front view (its template needs three of the
    sagittal channels, which a front view does not give), so the keyframes come from
    the same recording in 3D; the frame indices are the same.
    """
    frames = {k.name: k.frame for k in assess(squats, "deep_squat")[0].keyframes}
    prep = prepare(project(squats, 0.0, view="frontal"))
    results = evaluate_metrics(load_catalog("deep_squat").metrics, prep, frames)
    assert results["knee_fppa_squat"].value is not None
    for metric in ("squat_depth_knee_flexion", "trunk_lean_at_bottom", "hip_flexion_at_bottom",
                   "squat_knee_asymmetry"):
        assert results[metric].status == "not_assessable", metric
    assert "front view" in (results["squat_depth_knee_flexion"].reason or "")
