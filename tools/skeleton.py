"""The canonical joint set and the mappings from source skeletons onto it.

Every reader emits canonical joint names where the source has an equivalent
point; source-specific extra points are kept under their own names prefixed
with the source (e.g. ``cmu:lclavicle``) only when a reader is asked to.

Every joint and keypoint table lives here: the canonical set, the CMU ASF
bones, and the layouts of the markerless detectors (MediaPipe 33, OpenPose
BODY_25 and COCO-18, COCO-17, Halpe-26, COCO-WholeBody) with their mappings
onto canonical joints, bundled as :class:`KeypointSkeleton` objects for the
keypoint readers (:mod:`sportsgpt.tools.io.pose2d`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

CANONICAL_JOINTS: Final[tuple[str, ...]] = (
    "pelvis",
    "left_hip", "right_hip",
    "left_knee", "right_knee",
    "left_ankle", "right_ankle",
    "left_heel", "right_heel",
    "left_toe", "right_toe",
    "thorax", "neck", "head",
    "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow",
    "left_wrist", "right_wrist",
)
"""Canonical joints, in canonical order. ``left_toe`` is the forefoot/toe point
(ball of the foot or big-toe tip, whatever the source has); ``thorax`` is the
upper trunk (C7/clavicle level), ``neck`` the base of the head.

Beyond these, readers may add ``left_toe_tip``/``right_toe_tip`` where the source has a toe
tip distinct from its forefoot point (CMU ASF: ``lfoot`` ends at the ball of the foot,
``ltoes`` at the tip). It is used only for the foot's height over the floor (foot contact),
never for angles."""

LEFT_RIGHT_PAIRS: Final[tuple[tuple[str, str], ...]] = tuple(
    (j, "right_" + j.removeprefix("left_")) for j in CANONICAL_JOINTS if j.startswith("left_")
)


def mirror_name(joint: str) -> str:
    """Return the contralateral joint name (``left_knee`` -> ``right_knee``)."""
    if joint.startswith("left_"):
        return "right_" + joint.removeprefix("left_")
    if joint.startswith("right_"):
        return "left_" + joint.removeprefix("right_")
    return joint


def canonical_order(joints: list[str] | tuple[str, ...]) -> list[str]:
    """Sort joint names: canonical joints first in canonical order, then the rest."""
    rank = {j: i for i, j in enumerate(CANONICAL_JOINTS)}
    return sorted(joints, key=lambda j: (rank.get(j, len(rank)), j))


# --- source skeletons -> canonical -------------------------------------------
# Each mapping: canonical name -> source point name (or tuple of names whose mean is used).

CMU_ASF_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    # ASF bones are named for the segment; the joint is the bone's distal end.
    "pelvis": "root",
    "left_hip": "lhipjoint", "right_hip": "rhipjoint",
    "left_knee": "lfemur", "right_knee": "rfemur",
    "left_ankle": "ltibia", "right_ankle": "rtibia",
    "left_toe": "lfoot", "right_toe": "rfoot",
    "left_toe_tip": "ltoes", "right_toe_tip": "rtoes",
    "thorax": "lowerneck", "neck": "upperneck", "head": "head",
    "left_shoulder": "lclavicle", "right_shoulder": "rclavicle",
    "left_elbow": "lhumerus", "right_elbow": "rhumerus",
    "left_wrist": "lradius", "right_wrist": "rradius",
}

MEDIAPIPE_LANDMARKS: Final[tuple[str, ...]] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)
"""MediaPipe Pose's 33 landmarks, in index order."""

MEDIAPIPE_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    "pelvis": ("left_hip", "right_hip"),
    "left_hip": "left_hip", "right_hip": "right_hip",
    "left_knee": "left_knee", "right_knee": "right_knee",
    "left_ankle": "left_ankle", "right_ankle": "right_ankle",
    "left_heel": "left_heel", "right_heel": "right_heel",
    "left_toe": "left_foot_index", "right_toe": "right_foot_index",
    "thorax": ("left_shoulder", "right_shoulder"),
    "head": ("left_ear", "right_ear"),
    "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow", "right_elbow": "right_elbow",
    "left_wrist": "left_wrist", "right_wrist": "right_wrist",
}

COCO17_KEYPOINTS: Final[tuple[str, ...]] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)
"""COCO-17 keypoints (as MMPose and OpenPose's COCO model write them), in index order."""

COCO17_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    "pelvis": ("left_hip", "right_hip"),
    "left_hip": "left_hip", "right_hip": "right_hip",
    "left_knee": "left_knee", "right_knee": "right_knee",
    "left_ankle": "left_ankle", "right_ankle": "right_ankle",
    "thorax": ("left_shoulder", "right_shoulder"),
    "head": ("left_ear", "right_ear"),
    "left_shoulder": "left_shoulder", "right_shoulder": "right_shoulder",
    "left_elbow": "left_elbow", "right_elbow": "right_elbow",
    "left_wrist": "left_wrist", "right_wrist": "right_wrist",
}

BODY25_KEYPOINTS: Final[tuple[str, ...]] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar",
    "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
"""OpenPose BODY_25 keypoints, in index order (OpenPose output docs)."""

BODY25_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    "pelvis": "MidHip",
    "left_hip": "LHip", "right_hip": "RHip",
    "left_knee": "LKnee", "right_knee": "RKnee",
    "left_ankle": "LAnkle", "right_ankle": "RAnkle",
    "left_heel": "LHeel", "right_heel": "RHeel",
    "left_toe": "LBigToe", "right_toe": "RBigToe",
    "thorax": "Neck", "head": ("LEar", "REar"),
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder",
    "left_elbow": "LElbow", "right_elbow": "RElbow",
    "left_wrist": "LWrist", "right_wrist": "RWrist",
}

COCO18_KEYPOINTS: Final[tuple[str, ...]] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
)
"""OpenPose's COCO-18 model keypoints, in index order."""

COCO18_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    "pelvis": ("LHip", "RHip"),
    "left_hip": "LHip", "right_hip": "RHip",
    "left_knee": "LKnee", "right_knee": "RKnee",
    "left_ankle": "LAnkle", "right_ankle": "RAnkle",
    "thorax": "Neck", "head": ("LEar", "REar"),
    "left_shoulder": "LShoulder", "right_shoulder": "RShoulder",
    "left_elbow": "LElbow", "right_elbow": "RElbow",
    "left_wrist": "LWrist", "right_wrist": "RWrist",
}

_FEET_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    "left_heel": "left_heel", "right_heel": "right_heel",
    "left_toe": "left_big_toe", "right_toe": "right_big_toe",
}

COCO_WHOLEBODY_KEYPOINTS: Final[tuple[str, ...]] = (
    *COCO17_KEYPOINTS,
    "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
    *(f"wholebody_{i}" for i in range(23, 133)),
)
"""COCO-WholeBody's 133 keypoints: COCO-17 body, 6 feet (order from MMPose's
``coco_wholebody.py``), then face and hands (named by index, unused)."""

COCO_WHOLEBODY_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    **COCO17_TO_CANONICAL, **_FEET_TO_CANONICAL,
}

HALPE26_KEYPOINTS: Final[tuple[str, ...]] = (
    *COCO17_KEYPOINTS, "head", "neck", "hip",
    "left_big_toe", "right_big_toe", "left_small_toe", "right_small_toe",
    "left_heel", "right_heel",
)
"""Halpe-26 keypoints in index order (MMPose ``configs/_base_/datasets/halpe26.py``):
COCO-17, then head top, neck, mid-hip and the feet."""

HALPE26_TO_CANONICAL: Final[dict[str, str | tuple[str, ...]]] = {
    **COCO17_TO_CANONICAL, "pelvis": "hip", "thorax": "neck", **_FEET_TO_CANONICAL,
}

# --- detector keypoint skeletons ---------------------------------------------

JointMapping = Mapping[str, str | tuple[str, ...]]
"""Canonical joint name -> source point name, or names whose mean is used."""


@dataclass(frozen=True)
class KeypointSkeleton:
    """A detector's keypoint set and how it maps onto canonical joints."""

    name: str
    keypoints: tuple[str, ...]
    mapping: JointMapping
    nose: str
    ankles: tuple[str, str]


MEDIAPIPE_33 = KeypointSkeleton("mediapipe-33", MEDIAPIPE_LANDMARKS, MEDIAPIPE_TO_CANONICAL,
                                 "nose", ("left_ankle", "right_ankle"))
BODY_25 = KeypointSkeleton("body_25", BODY25_KEYPOINTS, BODY25_TO_CANONICAL, "Nose",
                           ("LAnkle", "RAnkle"))
COCO_18 = KeypointSkeleton("coco-18", COCO18_KEYPOINTS, COCO18_TO_CANONICAL, "Nose",
                           ("LAnkle", "RAnkle"))
COCO_17 = KeypointSkeleton("coco-17", COCO17_KEYPOINTS, COCO17_TO_CANONICAL, "nose",
                           ("left_ankle", "right_ankle"))
COCO_WHOLEBODY = KeypointSkeleton("coco-wholebody-133", COCO_WHOLEBODY_KEYPOINTS,
                                  COCO_WHOLEBODY_TO_CANONICAL, "nose",
                                  ("left_ankle", "right_ankle"))
HALPE_26 = KeypointSkeleton("halpe-26", HALPE26_KEYPOINTS, HALPE26_TO_CANONICAL, "nose",
                            ("left_ankle", "right_ankle"))

OPENPOSE_SKELETONS: Final[dict[int, KeypointSkeleton]] = {25: BODY_25, 18: COCO_18}
"""The skeletons an OpenPose file may hold, by keypoint count."""
MMPOSE_SKELETONS: Final[dict[int, KeypointSkeleton]] = {
    17: COCO_17, 26: HALPE_26, 133: COCO_WHOLEBODY,
}
"""The skeletons an MMPose file may hold, by keypoint count."""
