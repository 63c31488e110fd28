"""Which way the camera looks at the athlete, from 2D keypoints alone.

A phone video seen from the side shows the sagittal plane (knee flexion, trunk lean,
squat depth) and hides the far leg; seen from the front it shows the frontal plane
(knee valgus) and both legs, but flexion angles face-on. KISMAM refuses the metrics a
view cannot show, so the view must be known: :func:`detect_view` finds it when neither
the file nor the user states it.

Evidence, over the whole recording (plain numpy):

* **Width ratio.** Per frame, the horizontal shoulder width plus the horizontal hip
  width, divided by the torso length (shoulder midpoint to hip midpoint, in the image
  plane). Turning the body by a yaw angle ``a`` away from the camera scales both widths
  by ``|cos a|`` and leaves the torso length as it is (a forward trunk lean shortens the
  torso in a front view, which only raises the ratio), so ``ratio / FRONT_WIDTH_RATIO``
  estimates ``|cos a|``. The median over frames decides: at least
  :data:`FRONTAL_MIN_COS` (yaw within about 30°) is frontal, at most
  :data:`SAGITTAL_MAX_COS` (yaw beyond about 65°) sagittal, in between oblique.
* **Left/right order.** Facing the camera, the athlete's left shoulder and hip appear
  right of the right ones (``facing="camera"``); with the back to the camera, left of
  them (``"away"``).
* **Visibility asymmetry.** Mean detector confidence of the left-side joints minus the
  right-side ones: from the side the far leg is occluded and scores lower, which names
  the near side (``near_side``). It is reported, and lowers the confidence of a frontal
  call it contradicts; geometry decides the view.

The confidence is the share of usable frames whose own ratio gives the chosen view (a
recording whose frames disagree is not a confident call), times 0.5 when the
visibility asymmetry contradicts a frontal call. With fewer than
:data:`MIN_FRAMES` usable frames the view is ``"unknown"`` with confidence 0.

>>> import numpy as np
>>> joints = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
>>> front = np.array([[[0.2, 1.4], [-0.2, 1.4], [0.1, 0.9], [-0.1, 0.9]]] * 10)
>>> detect_view(front, joints).view
'frontal'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from sportsgpt.tools.motion import FloatArray

DetectedView = Literal["sagittal", "frontal", "oblique", "unknown"]
Facing2D = Literal["camera", "away", "image_left", "image_right", "unknown"]

FRONT_WIDTH_RATIO: Final[float] = 1.15
"""(shoulder width + hip width) / torso length of an upright person facing the camera.

Measured on 3D keypoints (median over frames): the OpenCap smartphone keypoints of one
athlete's squats and drop jump (``opencap-dropjumps/video-keypoints``; OpenPose-style
shoulder and hip points) give 1.09 and 1.10, the UI-PRMD deep squats (marker-derived joint
centres, 10 subjects) 1.01-1.27. A person's own ratio may differ by about 15 %: that moves
the estimated yaw by a few degrees near the front and back views and little in between.
"""

FRONTAL_MIN_COS: Final[float] = 0.85
"""Smallest ``|cos yaw|`` read as a front (or back) view: yaw within about 32°."""

SAGITTAL_MAX_COS: Final[float] = 0.42
"""Largest ``|cos yaw|`` read as a side view: yaw beyond about 65°."""

MIN_FRAMES: Final[int] = 5
"""Fewest frames with both shoulders and both hips needed for a decision."""

VISIBILITY_ASYMMETRY: Final[float] = 0.15
"""Left-minus-right mean confidence beyond which one side is taken as the near side."""

STRONG_DISAGREEMENT_CONFIDENCE: Final[float] = 0.8
"""Detection confidence above which a stated view of the other plane is flagged."""

CAMERA_ADVICE: Final[str] = (
    "Camera: film from the side at hip height, whole body in frame, for depth and "
    "extension; from the front for knee valgus.")
"""The filming advice shown with every 2D analysis."""

_SIDE_JOINTS: Final = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "toe")


class ViewEvidence(BaseModel):
    """What the view call rests on (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    frames_used: int
    width_ratio: float | None
    """Median (shoulder + hip width) / torso length over the usable frames."""
    abs_cos_yaw: float | None
    """``width_ratio / FRONT_WIDTH_RATIO``, clipped to [0, 1]."""
    yaw_deg: float | None
    """Estimated angle between the athlete's facing direction and the camera axis (0-90°)."""
    share_frontal: float
    share_sagittal: float
    share_oblique: float
    facing: Facing2D
    visibility_asymmetry: float | None
    """Mean confidence of left-side joints minus right-side ones (None without confidence)."""
    near_side: Literal["left", "right"] | None


class ViewEstimate(BaseModel):
    """The detected camera view, how sure the call is, and why."""

    model_config = ConfigDict(frozen=True)

    view: DetectedView
    confidence: float
    evidence: ViewEvidence

    def summary(self) -> str:
        """One line for the quality notes."""
        ev = self.evidence
        if self.view == "unknown":
            return (f"camera view not detected: only {ev.frames_used} frame(s) show both "
                    f"shoulders and both hips (needs {MIN_FRAMES})")
        near = f", near side {ev.near_side}" if ev.near_side else ""
        return (f"camera view detected from the keypoints: {self.view} (confidence "
                f"{self.confidence:.2f}; shoulder+hip width / torso {ev.width_ratio:.2f}, "
                f"yaw about {ev.yaw_deg:.0f}°, facing {ev.facing}{near}; "
                f"{ev.frames_used} frames)")


def _col(positions: FloatArray, joints: Sequence[str], name: str) -> FloatArray:
    if name not in joints:
        return np.full(positions.shape[:1] + positions.shape[2:], np.nan)
    return positions[:, list(joints).index(name), :]


def _classify(abs_cos: FloatArray) -> FloatArray:
    """Per-value class: 0 frontal, 1 oblique, 2 sagittal."""
    return np.where(abs_cos >= FRONTAL_MIN_COS, 0, np.where(abs_cos <= SAGITTAL_MAX_COS, 2, 1))


def _facing(positions: FloatArray, joints: Sequence[str], cls: int,
            signed_width: FloatArray) -> Facing2D:
    if cls == 0:
        s = float(np.nanmedian(signed_width)) if np.isfinite(signed_width).any() else 0.0
        return "camera" if s > 0 else "away" if s < 0 else "unknown"
    if cls != 2:
        return "unknown"
    # side view: the toes point the way the athlete faces
    fwd = []
    for side in ("left", "right"):
        toe, back = _col(positions, joints, f"{side}_toe"), _col(positions, joints, f"{side}_heel")
        if np.isnan(back).all():
            back = _col(positions, joints, f"{side}_ankle")
        fwd.append(toe[:, 0] - back[:, 0])
    d = np.concatenate(fwd)
    d = d[np.isfinite(d)]
    if d.size == 0 or float(np.median(d)) == 0.0:
        return "unknown"
    return "image_right" if float(np.median(d)) > 0 else "image_left"


def _visibility(joints: Sequence[str], confidence: FloatArray | None) -> float | None:
    if confidence is None:
        return None
    left = [i for i, j in enumerate(joints) if j.removeprefix("left_") in _SIDE_JOINTS
            and j.startswith("left_")]
    right = [i for i, j in enumerate(joints) if j.removeprefix("right_") in _SIDE_JOINTS
             and j.startswith("right_")]
    if not left or not right:
        return None
    cl, cr = confidence[:, left], confidence[:, right]
    if not (np.isfinite(cl).any() and np.isfinite(cr).any()):
        return None
    return float(np.nanmean(cl) - np.nanmean(cr))


def detect_view(positions: FloatArray, joints: Sequence[str],
                confidence: FloatArray | None = None) -> ViewEstimate:
    """Detect the camera view of 2D keypoints (canonical joint names, x right, y up).

    Args:
        positions: ``(T, J, 2)`` image-plane positions (pixels or metres), NaN if missing.
        joints: the ``J`` canonical joint names; ``left/right_shoulder`` and
            ``left/right_hip`` are required for a decision.
        confidence: optional ``(T, J)`` detector confidence in [0, 1].

    Returns:
        The view (``"unknown"`` without :data:`MIN_FRAMES` usable frames), a
        confidence in [0, 1] and the evidence.
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 3 or pos.shape[2] != 2 or pos.shape[1] != len(joints):
        raise ValueError(f"positions must have shape (T, {len(joints)}, 2), got {pos.shape}")
    ls, rs = _col(pos, joints, "left_shoulder"), _col(pos, joints, "right_shoulder")
    lh, rh = _col(pos, joints, "left_hip"), _col(pos, joints, "right_hip")
    signed = (ls[:, 0] - rs[:, 0]) + (lh[:, 0] - rh[:, 0])
    torso = np.hypot(*((ls + rs) / 2 - (lh + rh) / 2).T)
    width = np.abs(ls[:, 0] - rs[:, 0]) + np.abs(lh[:, 0] - rh[:, 0])
    ok = np.isfinite(width) & np.isfinite(torso) & (torso > 0)
    vis = _visibility(joints, confidence)
    near: Literal["left", "right"] | None = None
    if vis is not None and abs(vis) >= VISIBILITY_ASYMMETRY:
        near = "left" if vis > 0 else "right"
    n = int(ok.sum())
    if n < MIN_FRAMES:
        ev = ViewEvidence(frames_used=n, width_ratio=None, abs_cos_yaw=None, yaw_deg=None,
                          share_frontal=0.0, share_sagittal=0.0, share_oblique=0.0,
                          facing="unknown", visibility_asymmetry=vis, near_side=near)
        return ViewEstimate(view="unknown", confidence=0.0, evidence=ev)
    ratio = width[ok] / torso[ok]
    cos_frames = np.clip(ratio / FRONT_WIDTH_RATIO, 0.0, 1.0)
    med = float(np.median(ratio))
    cos_med = min(1.0, med / FRONT_WIDTH_RATIO)
    cls = int(_classify(np.array([cos_med]))[0])
    per_frame = _classify(cos_frames)
    shares = [float((per_frame == k).mean()) for k in range(3)]
    conf = shares[cls]
    if cls == 0 and near is not None:
        conf *= 0.5
    view: DetectedView = ("frontal", "oblique", "sagittal")[cls]
    ev = ViewEvidence(frames_used=n, width_ratio=round(med, 4), abs_cos_yaw=round(cos_med, 4),
                      yaw_deg=round(float(np.degrees(np.arccos(cos_med))), 1),
                      share_frontal=round(shares[0], 4), share_oblique=round(shares[1], 4),
                      share_sagittal=round(shares[2], 4),
                      facing=_facing(pos, joints, cls, signed[ok]),
                      visibility_asymmetry=None if vis is None else round(vis, 4),
                      near_side=near)
    return ViewEstimate(view=view, confidence=round(conf, 4), evidence=ev)


def stated_view_note(stated: str, estimate: ViewEstimate) -> str | None:
    """A quality note when a stated view strongly disagrees with the detected one.

    Strong: one says sagittal and the other frontal, and the detection's confidence is
    at least :data:`STRONG_DISAGREEMENT_CONFIDENCE`. ``None`` otherwise.
    """
    pair = {stated, estimate.view}
    if pair != {"sagittal", "frontal"} or estimate.confidence < STRONG_DISAGREEMENT_CONFIDENCE:
        return None
    return (f"VIEW DISAGREEMENT: the view was given as {stated}, but the keypoints look "
            f"{estimate.view} ({estimate.summary()}); the given view was used, so check it: "
            "metrics are refused or allowed by the view")


__all__ = [
    "CAMERA_ADVICE", "FRONTAL_MIN_COS", "FRONT_WIDTH_RATIO", "MIN_FRAMES", "SAGITTAL_MAX_COS",
    "STRONG_DISAGREEMENT_CONFIDENCE", "VISIBILITY_ASYMMETRY", "DetectedView", "ViewEstimate",
    "ViewEvidence", "detect_view", "stated_view_note",
]
