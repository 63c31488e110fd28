"""Markerless keypoint readers: MediaPipe Pose, OpenPose and MMPose.

Every reader returns a :class:`~sportsgpt.tools.motion.MotionSequence` with
canonical joint names (see :mod:`sportsgpt.tools.skeleton`), detector
confidences in ``confidence`` and NaN for every keypoint that was not
detected (never zeros).

Options shared by all three readers
-----------------------------------
``fps``
    Frame rate in Hz. OpenPose and MMPose files carry no timing, so it is
    required for them (a :class:`MotionFileError` says "pass fps="). For
    MediaPipe it replaces the file's ``fps`` or time stamps when given.
``image_size=(width, height)``
    In pixels. Needed to turn MediaPipe's normalised image coordinates into
    pixels, and used by OpenPose/MMPose to flip image rows: ``y_up = height -
    y_row``. Without it OpenPose/MMPose rows are negated (``y_up = -y_row``),
    which keeps distances and angles but gives negative heights.
``subject_height_m``
    The athlete's standing height. The reader estimates the athlete's height
    in pixels and scales pixels to metres (units ``"m"``). The estimate is the
    90th percentile, over frames, of the vertical extent from the nose down
    to the mean of the two ankles (the 90th percentile picks the frames where
    the athlete stands upright, ignoring crouches and missing frames), divided
    by :data:`NOSE_TO_ANKLE_FRACTION` = 0.864: anthropometric tables (Winter,
    *Biomechanics and Motor Control of Human Movement*, 4th ed., fig. 4.1)
    put the ankle at 0.039 H and, taking the nose tip midway between eye
    (0.936 H) and chin (0.870 H), the nose at 0.903 H. Expect a few percent
    of error. The scale and the estimate are reported in
    ``SourceInfo.extra`` (``metres_per_pixel``, ``pixel_height``,
    ``height_frames``) and in ``SourceInfo.notes``.
``view``
    ``"sagittal"``, ``"frontal"`` or ``"unknown"``: the plane the camera sees.
``min_confidence``
    Keypoints whose confidence is below it become NaN (their confidence is
    kept). Keypoints with unknown (NaN) confidence are kept. Confidences
    outside [0, 1] (some MMPose models score above 1) are clipped to [0, 1],
    with a note.
``person``
    Which detected person to follow when a frame holds several: the person
    with that index in the first frame that has enough people; in every later
    frame, the person whose keypoint centroid is nearest the tracked person's
    last known centroid (so the choice survives detectors re-ordering people
    and people entering or leaving). A nearest person that moved more than
    half the tracked person's size per frame is somebody else: that frame is
    NaN (see :func:`track_person`). Frames without anybody are NaN.

MediaPipe Pose (33 landmarks), :func:`read_mediapipe`
-----------------------------------------------------
JSON, either a list of frames or ``{"frames": [...], "fps": 30}`` (``fps``
optional). A frame is an object with a ``"landmarks"`` (or
``"pose_landmarks"``) list of 33 ``{"x", "y", "z", "visibility"[,
"presence"]}`` objects, optional ``"pose_world_landmarks"`` (or
``"world_landmarks"``) in the same form, and an optional ``"timestamp_ms"``.
A landmark list may also be a list of such lists (one per person, as the
MediaPipe Tasks API returns) or ``{"landmark": [...]}`` (protobuf
``MessageToDict``). An empty or absent list means nobody was detected.
Timing: ``fps=`` option, else the file's ``fps``, else the ``timestamp_ms``
of every frame (they must be uniform), else an error.

CSV: a header, then one row per frame. Columns: ``frame`` (optional,
ignored), ``timestamp_ms`` (optional), and for each of the 33 landmarks
``<name>_x``, ``<name>_y`` and optionally ``<name>_z``, ``<name>_visibility``,
``<name>_presence``, where ``<name>`` is the landmark name
(:data:`~sportsgpt.tools.skeleton.MEDIAPIPE_LANDMARKS`, e.g. ``left_knee``)
or its index ``0`` ... ``32``. Empty cells are missing. One person only.

Image landmarks are normalised to [0, 1] of the image width (x) and height
(y, downwards). Output is 2D (x, y) in pixels with y up, so ``image_size=``
is required (normalised x and y have different scales unless the image is
square, so ``subject_height_m`` alone cannot fix the units); add
``subject_height_m=`` for metres. ``z`` is ignored; confidence is
``visibility`` (``presence`` is ignored). With ``world=True`` (or when a
file holds only world landmarks) the output is 3D in metres from the world
landmarks, view ``"3d"``: MediaPipe's (x, y down, z away from the camera)
becomes (x, -y, -z), a right-handed Y-up frame centred between the hips.

OpenPose, :func:`read_openpose`
-------------------------------
One JSON per frame, ``{"version": ..., "people": [{"pose_keypoints_2d": [x,
y, c, ...]}, ...]}`` (``pose_keypoints`` of OpenPose 1.0 is accepted too).
``path`` is one such file (one frame) or a folder of them, ordered by the
frame number at the end of the file name (``video_000000000012_keypoints
.json``); missing numbers become NaN frames (with a note) and files of
several videos in one folder are an error. 25 triplets are BODY_25, 18 are
OpenPose's COCO-18 model (:data:`COCO18_KEYPOINTS`). A keypoint with zero
confidence (OpenPose writes ``0, 0, 0`` for undetected points) is NaN. The
coordinates are taken as pixels (OpenPose's default ``keypoint_scale``).

MMPose, :func:`read_mmpose`
---------------------------
The predictions written by ``MMPoseInferencer`` (``pred_out_dir``): a list
of ``{"frame_id": i, "instances": [{"keypoints": [[x, y], ...],
"keypoint_scores": [...], "bbox": ...}, ...]}``; or the demo scripts'
``--save-predictions`` file ``{"meta_info": {...}, "instance_info": [...]}``
whose ``instance_info`` is such a list (video) or a list of instances (one
image). Frame ids must increase; missing ids become NaN frames. Keypoint
counts: 17 COCO-17, 26 Halpe-26 (:data:`HALPE26_KEYPOINTS`), 133
COCO-WholeBody (body and feet used: :data:`COCO_WHOLEBODY_KEYPOINTS`).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    View2D,
    build_motion,
    check_file,
    check_fps,
    check_view_2d,
    map_to_canonical,
    parse_float,
    read_head,
    read_text,
)
from sportsgpt.tools.io.generic import csv_delimiter, fps_from_times, iter_csv_rows
from sportsgpt.tools.motion import FloatArray, MotionSequence, Units, View
from sportsgpt.tools.skeleton import (
    BODY25_KEYPOINTS,
    BODY25_TO_CANONICAL,
    COCO17_KEYPOINTS,
    COCO17_TO_CANONICAL,
    MEDIAPIPE_LANDMARKS,
    MEDIAPIPE_TO_CANONICAL,
)

Mapping_ = Mapping[str, str | tuple[str, ...]]

# --- skeletons -----------------------------------------------------------------

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

NOSE_HEIGHT_FRACTION: Final[float] = 0.903
"""Nose tip height / standing height (midway between eye 0.936 and chin 0.870)."""

ANKLE_HEIGHT_FRACTION: Final[float] = 0.039
"""Ankle joint height / standing height (Winter 2009, fig. 4.1)."""

NOSE_TO_ANKLE_FRACTION: Final[float] = NOSE_HEIGHT_FRACTION - ANKLE_HEIGHT_FRACTION
"""Vertical nose-to-ankle extent of an upright person, as a fraction of height."""

STANDING_PERCENTILE: Final[float] = 90.0
"""Percentile over frames of the nose-to-ankle extent taken as the upright pose."""


@dataclass(frozen=True)
class KeypointSkeleton:
    """A detector's keypoint set and how it maps onto canonical joints."""

    name: str
    keypoints: tuple[str, ...]
    mapping: Mapping_
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
MMPOSE_SKELETONS: Final[dict[int, KeypointSkeleton]] = {
    17: COCO_17, 26: HALPE_26, 133: COCO_WHOLEBODY,
}

_MP_IMAGE_KEYS: Final[tuple[str, ...]] = ("landmarks", "pose_landmarks")
_MP_WORLD_KEYS: Final[tuple[str, ...]] = ("pose_world_landmarks", "world_landmarks")
_MP_FIELDS: Final[tuple[str, ...]] = ("x", "y", "z", "visibility")
_MAX_IMAGE_SIDE: Final[float] = 100_000.0

# --- options -------------------------------------------------------------------


@dataclass(frozen=True)
class KeypointOptions:
    """Validated reader options (see the module docstring)."""

    fps: float | None = None
    subject_height_m: float | None = None
    view: View2D = "unknown"
    min_confidence: float = 0.0
    person: int = 0
    image_size: tuple[float, float] | None = None


def _real(value: object, path: Path, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MotionFileError(path, f"{name} must be a finite number, got {value!r}", field=name)
    return float(value)


def _image_size(size: object, path: Path) -> tuple[float, float] | None:
    if size is None:
        return None
    if not isinstance(size, Sequence) or isinstance(size, str) or len(size) != 2:
        raise MotionFileError(path, f"image_size must be (width, height), got {size!r}",
                              field="image_size")
    w, h = (_real(v, path, "image_size") for v in size)
    if not (0 < w <= _MAX_IMAGE_SIDE and 0 < h <= _MAX_IMAGE_SIDE):
        raise MotionFileError(path, f"image_size must be positive pixels, got {size!r}",
                              field="image_size")
    return w, h


def keypoint_options(path: Path, *, fps: object = None, subject_height_m: object = None,
                     view: object = "unknown", min_confidence: object = 0.0,
                     person: object = 0, image_size: object = None) -> KeypointOptions:
    """Validate the shared keypoint reader options (errors name the option)."""
    rate = None if fps is None else check_fps(_real(fps, path, "fps"), path)
    height = None
    if subject_height_m is not None:
        height = _real(subject_height_m, path, "subject_height_m")
        if not 0.3 <= height <= 3.0:
            raise MotionFileError(path, f"subject_height_m={height!r} is not a human height "
                                        "in metres (0.3 to 3.0)", field="subject_height_m")
    conf = _real(min_confidence, path, "min_confidence")
    if not 0.0 <= conf <= 1.0:
        raise MotionFileError(path, f"min_confidence must lie in [0, 1], got {conf!r}",
                              field="min_confidence")
    if isinstance(person, bool) or not isinstance(person, int) or person < 0:
        raise MotionFileError(path, f"person must be an index >= 0, got {person!r}",
                              field="person")
    return KeypointOptions(rate, height, check_view_2d(view, path), conf, person,
                           _image_size(image_size, path))


# --- parsing helpers -----------------------------------------------------------

def _load_json(path: Path) -> object:
    text = read_text(path)
    try:
        doc: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MotionFileError(path, f"malformed JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise MotionFileError(path, "malformed JSON: nested too deeply") from None
    return doc


def _number(value: object, path: Path, where: str) -> float:
    """One JSON number (``null`` is NaN); strings, booleans and inf are errors."""
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MotionFileError(path, f"expected a number, got {str(value)[:40]!r}", field=where)
    try:
        out = float(value)
    except OverflowError:
        raise MotionFileError(path, "number out of range", field=where) from None
    if math.isinf(out):
        raise MotionFileError(path, "infinite value", field=where)
    return out


def _numbers(values: Sequence[object], path: Path, where: str) -> FloatArray:
    return np.array([_number(v, path, f"{where}[{i}]") for i, v in enumerate(values)],
                    dtype=np.float64)


def _list(value: object, path: Path, where: str) -> list[object]:
    if not isinstance(value, list):
        raise MotionFileError(path, f"expected a list, got {type(value).__name__}", field=where)
    return value


def _dict(value: object, path: Path, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise MotionFileError(path, f"expected an object, got {type(value).__name__}",
                              field=where)
    return value


def _fill_gaps(numbered: Sequence[tuple[int, list[FloatArray]]],
               path: Path) -> tuple[list[list[FloatArray]], int]:
    """Frames in order, with empty frames where frame numbers are missing."""
    nums = [n for n, _ in numbered]
    for a, b in itertools.pairwise(nums):
        if b <= a:
            raise MotionFileError(path, f"frame number {b} follows {a}: frames must increase",
                                  field="frame_id")
    span = nums[-1] - nums[0] + 1
    if span > MAX_DECLARED_FRAMES:
        raise MotionFileError(path, f"frame numbers span {span} frames, above the limit",
                              field="frame_id")
    frames: list[list[FloatArray]] = [[] for _ in range(span)]
    for n, people in numbered:
        frames[n - nums[0]] = people
    return frames, span - len(numbered)


# --- person tracking -------------------------------------------------------------

@dataclass(frozen=True)
class Tracked:
    """One person's keypoints over time, chosen among the detections."""

    values: FloatArray  # (T, K, C): coordinates then confidence
    crowded_frames: int  # frames holding more than one person
    switched_frames: int  # frames where the tracked person was not index ``person``
    rejected_frames: int  # frames whose nearest person was too far to be the tracked one


def _centroid(person: FloatArray) -> FloatArray | None:
    xy = person[:, :2]
    ok = np.isfinite(xy).all(axis=1)
    return xy[ok].mean(axis=0) if ok.any() else None


def _size(person: FloatArray) -> float:
    xy = person[:, :2][np.isfinite(person[:, :2]).all(axis=1)]
    return float(np.ptp(xy, axis=0).max()) if len(xy) > 1 else 0.0


TRACK_GATE: Final[float] = 0.5
"""Largest plausible move of the tracked person per frame, as a fraction of its size."""


def track_person(frames: Sequence[Sequence[FloatArray]], person: int,
                 shape: tuple[int, int]) -> Tracked:
    """Follow one person through per-frame detections.

    In the first frame with more than ``person`` people, the person at index
    ``person`` is taken. In later frames the person whose keypoint centroid is
    nearest the tracked person's last centroid is taken, unless that centroid
    moved more than :data:`TRACK_GATE` times the tracked person's size (the
    largest bounding-box side seen so far) per elapsed frame: then the tracked
    person is taken as not detected in that frame (NaN), so that somebody else
    is not followed when the athlete leaves the picture.

    Args:
        frames: per frame, the detected people, each an array of ``shape``.
        person: index of the person to follow in the first frame that has one.
        shape: ``(K, C)``, keypoints by (coordinates + confidence).
    """
    out = np.full((len(frames), *shape), np.nan)
    last: FloatArray | None = None
    last_t, size = 0, 0.0
    crowded = switched = rejected = 0
    for t, people in enumerate(frames):
        crowded += len(people) > 1
        if last is None:
            if len(people) <= person:
                continue
            idx = person
        else:
            dists = [math.inf if (c := _centroid(p)) is None else float(np.hypot(*(c - last)))
                     for p in people]
            if not dists or math.isinf(min(dists)):
                continue
            idx = int(np.argmin(dists))
            if size > 0 and dists[idx] > TRACK_GATE * size * (t - last_t):
                rejected += 1
                continue
        out[t] = people[idx]
        switched += idx != person
        centre = _centroid(people[idx])
        if centre is not None:
            last, last_t, size = centre, t, max(size, _size(people[idx]))
    return Tracked(out, crowded, switched, rejected)


# --- scaling and assembly --------------------------------------------------------

def estimate_pixel_height(coords: FloatArray, skeleton: KeypointSkeleton) -> tuple[float, int]:
    """Standing height in the coordinates' units, and how many frames it used.

    The :data:`STANDING_PERCENTILE` of the nose-above-ankles extent (y up) over
    frames where it is positive, divided by :data:`NOSE_TO_ANKLE_FRACTION`.
    Returns ``(nan, 0)`` when no frame shows the nose and an ankle.
    """
    names = skeleton.keypoints
    nose = coords[:, names.index(skeleton.nose), 1]
    ankles = coords[:, [names.index(a) for a in skeleton.ankles], 1]
    count = np.isfinite(ankles).sum(axis=1)
    ankle = np.where(count > 0, np.nansum(ankles, axis=1) / np.maximum(count, 1), np.nan)
    extent = nose - ankle
    valid = extent[np.isfinite(extent) & (extent > 0)]
    if valid.size == 0:
        return math.nan, 0
    return float(np.percentile(valid, STANDING_PERCENTILE)) / NOSE_TO_ANKLE_FRACTION, valid.size


@dataclass
class _Keypoints:
    """Tracked keypoints in output orientation, before confidence and scaling rules."""

    coords: FloatArray  # (T, K, D), y up
    confidence: FloatArray | None  # (T, K)
    skeleton: KeypointSkeleton
    fps: float
    units: Units
    view: View
    notes: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    original_units: str = "px"


def _clip_confidence(conf: FloatArray | None, notes: list[str]) -> FloatArray | None:
    if conf is None or np.isnan(conf).all():
        return None
    outside = int(((conf < 0) | (conf > 1)).sum())
    if outside:
        notes.append(f"{outside} confidence values outside [0, 1] clipped to [0, 1]")
    return np.clip(conf, 0.0, 1.0)


def _scale_to_metres(kp: _Keypoints, height_m: float, path: Path) -> None:
    px_height, n = estimate_pixel_height(kp.coords, kp.skeleton)
    if n == 0:
        raise MotionFileError(path, "subject_height_m needs frames showing the nose above an "
                                    "ankle; none does", field="subject_height_m")
    scale = height_m / px_height
    kp.coords = kp.coords * scale
    kp.units = "m"
    kp.extra.update(metres_per_pixel=scale, pixel_height=px_height, height_frames=n)
    kp.notes.append(
        f"pixels scaled to metres: {scale:.6g} m/px from subject_height_m={height_m:g} and an "
        f"estimated height of {px_height:.1f} px ({STANDING_PERCENTILE:g}th percentile of "
        f"nose-to-ankle extent over {n} frames / {NOSE_TO_ANKLE_FRACTION:.3f})")


def _finish(path: Path, kp: _Keypoints, opts: KeypointOptions, fmt: str) -> MotionSequence:
    if np.isnan(kp.coords).all():
        raise MotionFileError(path, "no keypoint was detected in any frame")
    if np.isinf(kp.coords).any():
        raise MotionFileError(path, "keypoint coordinates out of range")
    conf = _clip_confidence(kp.confidence, kp.notes)
    if conf is not None and opts.min_confidence > 0:
        low = conf < opts.min_confidence
        kp.coords = np.where(low[..., None], np.nan, kp.coords)
        kp.notes.append(f"{int(low.sum())} keypoint samples below min_confidence="
                        f"{opts.min_confidence:g} set to NaN")
    if opts.subject_height_m is not None:
        _scale_to_metres(kp, opts.subject_height_m, path)
    pos, joints, conf = map_to_canonical(kp.coords, kp.skeleton.keypoints, kp.skeleton.mapping,
                                         conf)
    kp.extra.update(skeleton=kp.skeleton.name, keypoint_count=len(kp.skeleton.keypoints))
    if opts.image_size is not None:
        kp.extra["image_size"] = list(opts.image_size)
    return build_motion(path, pos, joints, kp.fps, fmt=fmt, units=kp.units, view=kp.view,
                        confidence=conf, original_units=kp.original_units,
                        original_up_axis="-y",
                        original_joint_names=kp.skeleton.keypoints, notes=kp.notes,
                        extra=kp.extra)


def _flip_rows(tracked: FloatArray, opts: KeypointOptions) -> FloatArray:
    """Pixel (x, row) to (x, y up): ``height - row`` when the height is known, else ``-row``."""
    xy = tracked[..., :2].copy()
    xy[..., 1] = (opts.image_size[1] - xy[..., 1]) if opts.image_size else -xy[..., 1]
    return xy


def _tracking_notes(tracked: Tracked, gaps: int) -> list[str]:
    notes = []
    if tracked.crowded_frames:
        notes.append(f"{tracked.crowded_frames} frames held several people; the tracked "
                     f"person was the nearest to its previous position "
                     f"({tracked.switched_frames} frames at another index)")
    if tracked.rejected_frames:
        notes.append(f"{tracked.rejected_frames} frames set to NaN: nobody near the tracked "
                     "person's last position")
    if gaps:
        notes.append(f"{gaps} missing frame numbers filled with NaN frames")
    return notes


def _require_fps(opts: KeypointOptions, path: Path, what: str) -> float:
    if opts.fps is None:
        raise MotionFileError(path, f"{what} files carry no timing: pass fps=", field="fps")
    return opts.fps


# --- MediaPipe ---------------------------------------------------------------------

def _head_text(head: bytes) -> str:
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()


def _csv_header(head: bytes) -> list[str]:
    text = _head_text(head)
    line = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    cols = [c.strip().lower() for c in line.split(csv_delimiter(line))]
    complete = text.find("\n", text.find(line) + len(line)) >= 0
    return cols if complete else cols[:-1]  # a header longer than the head: drop the cut one


def sniff_mediapipe(head: bytes) -> bool:
    """Whether a file looks like MediaPipe Pose landmarks (JSON or CSV)."""
    text = _head_text(head)
    if text.startswith(("[", "{")):
        return any(f'"{k}"' in text for k in (*_MP_IMAGE_KEYS, *_MP_WORLD_KEYS, "landmark"))
    cols = set(_csv_header(head))
    looks_mp = (any(c.endswith("_visibility") for c in cols)
                or {"nose_x", "left_eye_inner_x"} <= cols or {"0_x", "32_x"} <= cols)
    # every column must be MediaPipe's: a generic CSV (with a ``time`` column) whose
    # joints happen to carry landmark names belongs to the generic reader
    return looks_mp and all(_is_mp_column(c) for c in cols)


def _is_mp_column(name: str) -> bool:
    if name in ("frame", "timestamp_ms"):
        return True
    stem, _, attr = name.rpartition("_")
    known = (stem.isdigit() and int(stem) < len(MEDIAPIPE_LANDMARKS)) or \
        stem in MEDIAPIPE_LANDMARKS
    return known and attr in (*_MP_FIELDS, "presence")


def _mp_person(value: object, path: Path, where: str, world: bool) -> FloatArray:
    if isinstance(value, dict) and "landmark" in value:
        value, where = value["landmark"], f"{where}.landmark"
    items = _list(value, path, where)
    if len(items) != len(MEDIAPIPE_LANDMARKS):
        raise MotionFileError(path, f"{len(items)} landmarks; MediaPipe Pose has 33",
                              field=where)
    out = np.full((len(items), 4), np.nan)
    required = ("x", "y", "z") if world else ("x", "y")
    for i, item in enumerate(items):
        lm = _dict(item, path, f"{where}[{i}]")
        for c, key in enumerate(_MP_FIELDS):
            if key not in lm and key in required:
                raise MotionFileError(path, f"landmark has no {key!r}", field=f"{where}[{i}]")
            out[i, c] = _number(lm.get(key), path, f"{where}[{i}].{key}")
    return out


def _mp_people(value: object, path: Path, where: str, world: bool) -> list[FloatArray]:
    if value is None or value == [] or value == {}:
        return []
    if isinstance(value, list) and all(isinstance(v, list | dict) and
                                       (isinstance(v, list) or "landmark" in v) for v in value):
        return [_mp_person(v, path, f"{where}[{j}]", world) for j, v in enumerate(value)]
    return [_mp_person(value, path, where, world)]


@dataclass(frozen=True)
class _MpDoc:
    frames: list[object]
    prefix: str
    fps: float | None


def _mp_doc(doc: object, path: Path) -> _MpDoc:
    if isinstance(doc, list):
        return _MpDoc(doc, "", None)
    if isinstance(doc, dict) and "frames" in doc:
        fps = _number(doc.get("fps"), path, "fps")
        rate = None if math.isnan(fps) else check_fps(fps, path)
        return _MpDoc(_list(doc["frames"], path, "frames"), "frames", rate)
    raise MotionFileError(path, "expected a list of frames or an object with 'frames'")


def _mp_key(frame: dict[str, object], keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if k in frame), None)


def _mp_use_world(frames: list[dict[str, object]], world: bool | None, path: Path) -> bool:
    has_image = any(_mp_key(f, _MP_IMAGE_KEYS) for f in frames)
    has_world = any(_mp_key(f, _MP_WORLD_KEYS) for f in frames)
    if world is None:
        world = has_world and not has_image
    if world and not has_world:
        raise MotionFileError(path, "world=True but no frame has 'pose_world_landmarks'",
                              field="pose_world_landmarks")
    if not world and not has_image:
        raise MotionFileError(path, "no frame has 'landmarks' or 'pose_landmarks'"
                              + (" (pass world=True for the world landmarks)" if has_world
                                 else ""), field="landmarks")
    return world


@dataclass(frozen=True)
class _MpFrames:
    people: list[list[FloatArray]]
    times_ms: FloatArray | None
    file_fps: float | None
    world: bool


def _mp_json(path: Path, world: bool | None) -> _MpFrames:
    doc = _mp_doc(_load_json(path), path)
    frames = [_dict(f, path, f"{doc.prefix}[{i}]") for i, f in enumerate(doc.frames)]
    if not frames:
        raise MotionFileError(path, "no frames", field=doc.prefix or None)
    use_world = _mp_use_world(frames, world, path)
    keys = _MP_WORLD_KEYS if use_world else _MP_IMAGE_KEYS
    people: list[list[FloatArray]] = []
    for i, frame in enumerate(frames):
        key = _mp_key(frame, keys)
        where = f"{doc.prefix}[{i}].{key}"
        people.append([] if key is None else _mp_people(frame[key], path, where, use_world))
    stamps = [f.get("timestamp_ms") for f in frames]
    times = None
    if all(s is not None for s in stamps):
        times = np.array([_number(s, path, f"{doc.prefix}[{i}].timestamp_ms")
                          for i, s in enumerate(stamps)])
    return _MpFrames(people, times, doc.fps, use_world)


def _mp_csv_columns(header: list[str], path: Path, line: int) -> tuple[dict[tuple[int, int], int],
                                                                       int | None]:
    index = {n: i for i, n in enumerate(MEDIAPIPE_LANDMARKS)}
    cols: dict[tuple[int, int], int] = {}
    time_col: int | None = None
    for c, raw in enumerate(header):
        name = raw.strip().lower()
        if name == "frame":
            continue
        if name == "timestamp_ms":
            time_col = c
            continue
        stem, _, attr = name.rpartition("_")
        lm = int(stem) if stem.isdigit() and int(stem) < 33 else index.get(stem)
        if lm is None or attr not in (*_MP_FIELDS, "presence"):
            raise MotionFileError(path, f"column {raw!r} is not frame, timestamp_ms or "
                                        "<landmark>_x/_y/_z/_visibility/_presence",
                                  line=line, field=raw)
        if attr != "presence":
            cols[(lm, _MP_FIELDS.index(attr))] = c
    missing = [f"{MEDIAPIPE_LANDMARKS[i]}_{a}" for i in range(33) for a in "xy"
               if (i, "xy".index(a)) not in cols]
    if missing:
        raise MotionFileError(path, f"missing landmark columns {missing[:4]}"
                                    f"{' ...' if len(missing) > 4 else ''}", line=line)
    return cols, time_col


def _mp_csv(path: Path, world: bool | None, person: int) -> _MpFrames:
    if world:
        raise MotionFileError(path, "MediaPipe CSV holds image landmarks only", field="world")
    if person != 0:
        raise MotionFileError(path, "MediaPipe CSV holds one person: person must be 0",
                              field="person")
    text = read_text(path)
    rows = iter_csv_rows(text, path, csv_delimiter(text))
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise MotionFileError(path, "no header row") from None
    cols, time_col = _mp_csv_columns(header, path, header_line)
    people: list[list[FloatArray]] = []
    times: list[float] = []
    for line, row in rows:
        if len(row) != len(header):
            raise MotionFileError(path, f"{len(row)} fields, the header has {len(header)}",
                                  line=line)
        if len(people) >= MAX_DECLARED_FRAMES:
            raise MotionFileError(path, "too many rows", line=line)
        vals = np.full((33, 4), np.nan)
        for (lm, c), col in cols.items():
            tok = row[col].strip()
            vals[lm, c] = parse_float(tok, path, line=line, field=header[col]) if tok else np.nan
        people.append([] if np.isnan(vals[:, :2]).all() else [vals])
        if time_col is not None:
            tok = row[time_col].strip()
            times.append(parse_float(tok, path, line=line, field=header[time_col])
                         if tok else math.nan)
    if not people:
        raise MotionFileError(path, "no data rows after the header", line=header_line)
    return _MpFrames(people, np.array(times) if time_col is not None else None, None, False)


def _mp_fps(frames: _MpFrames, opts: KeypointOptions, path: Path, notes: list[str]) -> float:
    if opts.fps is not None:
        if frames.file_fps is not None or frames.times_ms is not None:
            notes.append(f"fps={opts.fps:g} given; the file's timing was not used")
        return opts.fps
    if frames.file_fps is not None:
        return frames.file_fps
    if frames.times_ms is not None and frames.times_ms.size >= 2:
        return fps_from_times(frames.times_ms / 1000.0, path, field="timestamp_ms",
                              rounding_s=0.0005)
    raise MotionFileError(path, "the file has no fps or timestamp_ms: pass fps=", field="fps")


def read_mediapipe(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
                   view: str = "unknown", min_confidence: float = 0.0, person: int = 0,
                   image_size: tuple[float, float] | None = None,
                   world: bool | None = None) -> MotionSequence:
    """Read MediaPipe Pose landmarks from JSON or CSV (layouts in the module docstring).

    Args:
        path: the ``.json`` or ``.csv`` file.
        fps: frame rate in Hz when the file has no ``fps``/``timestamp_ms``.
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal`` or ``unknown`` (2D output).
        min_confidence: visibility below which a landmark becomes NaN.
        person: which person to follow when several are detected.
        image_size: ``(width, height)`` in pixels; required for image landmarks.
        world: ``True`` for 3D world landmarks, ``False`` for image landmarks,
            ``None`` for image landmarks unless the file has only world ones.
    """
    path = check_file(Path(path))
    opts = keypoint_options(path, fps=fps, subject_height_m=subject_height_m, view=view,
                            min_confidence=min_confidence, person=person, image_size=image_size)
    if world not in (None, True, False):
        raise MotionFileError(path, f"world must be True, False or None, got {world!r}",
                              field="world")
    frames = _mp_frames(path, world, opts.person)
    notes: list[str] = []
    rate = _mp_fps(frames, opts, path, notes)
    tracked = track_person(frames.people, opts.person, (33, 4))
    notes += _tracking_notes(tracked, 0)
    vals = tracked.values
    if frames.world:
        if opts.subject_height_m is not None or opts.image_size is not None or \
                opts.view != "unknown":
            raise MotionFileError(path, "world landmarks are 3D metres: subject_height_m, "
                                        "image_size and view do not apply", field="world")
        coords = np.stack([vals[..., 0], -vals[..., 1], -vals[..., 2]], axis=-1)
        kp = _Keypoints(coords, vals[..., 3], MEDIAPIPE_33, rate, "m", "3d", notes,
                        original_units="m")
        return _finish(path, kp, opts, "mediapipe")
    if opts.image_size is None:
        raise MotionFileError(
            path, "MediaPipe image landmarks are normalised to the image width and height: "
                  "pass image_size=(width, height) in pixels (and subject_height_m= for "
                  "metres)", field="image_size")
    w, h = opts.image_size
    with np.errstate(over="ignore"):
        coords = np.stack([vals[..., 0] * w, (1.0 - vals[..., 1]) * h], axis=-1)
    kp = _Keypoints(coords, vals[..., 3], MEDIAPIPE_33, rate, "px", opts.view, notes,
                    original_units="normalised")
    return _finish(path, kp, opts, "mediapipe")


def _mp_frames(path: Path, world: bool | None, person: int) -> _MpFrames:
    text = _head_text(read_head(path))
    if text.startswith(("[", "{")) or path.suffix.lower() == ".json":
        return _mp_json(path, world)
    return _mp_csv(path, world, person)


# --- OpenPose ----------------------------------------------------------------------

_FRAME_NUMBER = re.compile(r"(\d+)(_keypoints)?$")


def sniff_openpose(head: bytes) -> bool:
    """Whether a file looks like an OpenPose per-frame keypoint JSON."""
    text = _head_text(head)
    return text.startswith("{") and ('"pose_keypoints_2d"' in text or '"pose_keypoints"' in text
                                     or ('"people"' in text and '"version"' in text))


def openpose_files(path: Path) -> list[tuple[int, Path]]:
    """The per-frame JSON files of an OpenPose output folder, by frame number."""
    if not path.is_dir():
        return [(0, check_file(path))]
    files = sorted(p for p in path.glob("*.json") if p.is_file())
    if not files:
        raise MotionFileError(path, "the folder holds no .json files")
    numbered: list[tuple[int, Path]] = []
    prefixes: set[str] = set()
    for f in files:
        m = _FRAME_NUMBER.search(f.stem)
        if m is None:
            raise MotionFileError(f, "no frame number at the end of the file name")
        prefixes.add(f.stem[:m.start()])
        numbered.append((int(m.group(1)), f))
    if len(prefixes) > 1:
        raise MotionFileError(path, f"files of several videos in one folder: prefixes "
                                    f"{sorted(prefixes)[:4]}")
    numbered.sort()
    for (a, fa), (b, _) in itertools.pairwise(numbered):
        if a == b:
            raise MotionFileError(fa, f"frame number {a} appears twice")
    return numbered


def _openpose_people(path: Path) -> list[FloatArray]:
    doc = _dict(_load_json(path), path, "<root>")
    if "people" not in doc:
        raise MotionFileError(path, "no 'people' list", field="people")
    people: list[FloatArray] = []
    for j, item in enumerate(_list(doc["people"], path, "people")):
        p = _dict(item, path, f"people[{j}]")
        key = next((k for k in ("pose_keypoints_2d", "pose_keypoints") if k in p), None)
        if key is None:
            raise MotionFileError(path, "person has no pose_keypoints_2d",
                                  field=f"people[{j}].pose_keypoints_2d")
        where = f"people[{j}].{key}"
        vals = _list(p[key], path, where)
        if not vals:
            continue
        if len(vals) % 3 or len(vals) // 3 not in OPENPOSE_SKELETONS:
            raise MotionFileError(path, f"{len(vals)} values: expected 25 (BODY_25) or 18 "
                                        "(COCO-18) x, y, confidence triplets", field=where)
        arr = _numbers(vals, path, where).reshape(-1, 3)
        arr[~(arr[:, 2] > 0), :2] = np.nan  # zero confidence: not detected
        people.append(arr)
    return people


def read_openpose(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
                  view: str = "unknown", min_confidence: float = 0.0, person: int = 0,
                  image_size: tuple[float, float] | None = None) -> MotionSequence:
    """Read OpenPose keypoint JSON: one file (one frame) or a folder of per-frame files.

    Args:
        path: a ``*_keypoints.json`` file or the folder holding them.
        fps: frame rate in Hz (required: OpenPose writes no timing).
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal`` or ``unknown``.
        min_confidence: confidence below which a keypoint becomes NaN.
        person: which person to follow when several are detected.
        image_size: ``(width, height)`` in pixels, to flip rows to y up.
    """
    path = Path(path)
    opts = keypoint_options(path, fps=fps, subject_height_m=subject_height_m, view=view,
                            min_confidence=min_confidence, person=person, image_size=image_size)
    rate = _require_fps(opts, path, "OpenPose")
    numbered = [(n, _openpose_people(f), f) for n, f in openpose_files(path)]
    counts = {p.shape[0] for _, people, _ in numbered for p in people}
    if len(counts) > 1:
        first = next(f for _, people, f in numbered for p in people if p.shape[0] != max(counts))
        raise MotionFileError(first, f"keypoint counts differ between frames: {sorted(counts)}",
                              field="pose_keypoints_2d")
    if not counts:
        raise MotionFileError(path, "no person was detected in any frame", field="people")
    skeleton = OPENPOSE_SKELETONS[counts.pop()]
    frames, gaps = _fill_gaps([(n, people) for n, people, _ in numbered], path)
    tracked = track_person(frames, opts.person, (len(skeleton.keypoints), 3))
    kp = _Keypoints(_flip_rows(tracked.values, opts), tracked.values[..., 2], skeleton, rate,
                    "px", opts.view, _tracking_notes(tracked, gaps))
    return _finish(path, kp, opts, "openpose")


# --- MMPose ------------------------------------------------------------------------

def sniff_mmpose(head: bytes) -> bool:
    """Whether a file looks like MMPose predictions JSON."""
    text = _head_text(head)
    return text.startswith(("[", "{")) and (
        '"instance_info"' in text or '"keypoint_scores"' in text
        or ('"instances"' in text and '"keypoints"' in text))


def _mmpose_items(doc: object, path: Path) -> tuple[list[object], str, dict[str, object]]:
    if isinstance(doc, dict) and "instance_info" in doc:
        meta = doc.get("meta_info")
        return (_list(doc["instance_info"], path, "instance_info"), "instance_info",
                meta if isinstance(meta, dict) else {})
    if isinstance(doc, list):
        return doc, "", {}
    raise MotionFileError(path, "expected a list of frames or an object with 'instance_info'")


def _mmpose_instance(item: object, path: Path, where: str) -> FloatArray:
    inst = _dict(item, path, where)
    if "keypoints" not in inst:
        raise MotionFileError(path, "instance has no 'keypoints'", field=f"{where}.keypoints")
    kps = _list(inst["keypoints"], path, f"{where}.keypoints")
    if len(kps) not in MMPOSE_SKELETONS:
        raise MotionFileError(path, f"{len(kps)} keypoints: expected 17 (COCO-17), 26 "
                                    "(Halpe-26) or 133 (COCO-WholeBody)",
                              field=f"{where}.keypoints")
    out = np.full((len(kps), 3), np.nan)
    for i, pt in enumerate(kps):
        xy = _list(pt, path, f"{where}.keypoints[{i}]")
        if len(xy) != 2:
            raise MotionFileError(path, f"{len(xy)} coordinates: 2D keypoints [x, y] expected",
                                  field=f"{where}.keypoints[{i}]")
        out[i, :2] = _numbers(xy, path, f"{where}.keypoints[{i}]")
    if "keypoint_scores" in inst:
        scores = _list(inst["keypoint_scores"], path, f"{where}.keypoint_scores")
        if len(scores) != len(kps):
            raise MotionFileError(path, f"{len(scores)} scores for {len(kps)} keypoints",
                                  field=f"{where}.keypoint_scores")
        out[:, 2] = _numbers(scores, path, f"{where}.keypoint_scores")
    return out


def _mmpose_frames(items: list[object], prefix: str,
                   path: Path) -> list[tuple[int, list[FloatArray]]]:
    if items and all(isinstance(i, dict) and "keypoints" in i for i in items):
        where = prefix or "<root>"
        return [(0, [_mmpose_instance(it, path, f"{where}[{j}]") for j, it in enumerate(items)])]
    numbered: list[tuple[int, list[FloatArray]]] = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        frame = _dict(item, path, where)
        fid = frame.get("frame_id", i)
        if isinstance(fid, bool) or not isinstance(fid, int) or not 0 <= fid <= 10**9:
            raise MotionFileError(path, f"frame_id must be a frame number, got {fid!r}",
                                  field=f"{where}.frame_id")
        insts = _list(frame.get("instances", []), path, f"{where}.instances")
        numbered.append((fid, [_mmpose_instance(it, path, f"{where}.instances[{j}]")
                               for j, it in enumerate(insts)]))
    if not numbered:
        raise MotionFileError(path, "no frames", field=prefix or None)
    return numbered


def read_mmpose(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
                view: str = "unknown", min_confidence: float = 0.0, person: int = 0,
                image_size: tuple[float, float] | None = None) -> MotionSequence:
    """Read MMPose predictions JSON (layouts in the module docstring).

    Args:
        path: the predictions ``.json`` file.
        fps: frame rate in Hz (required: MMPose writes no timing).
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal`` or ``unknown``.
        min_confidence: score below which a keypoint becomes NaN.
        person: which person to follow when several are detected.
        image_size: ``(width, height)`` in pixels, to flip rows to y up.
    """
    path = check_file(Path(path))
    opts = keypoint_options(path, fps=fps, subject_height_m=subject_height_m, view=view,
                            min_confidence=min_confidence, person=person, image_size=image_size)
    rate = _require_fps(opts, path, "MMPose")
    items, prefix, meta = _mmpose_items(_load_json(path), path)
    numbered = _mmpose_frames(items, prefix, path)
    counts = {p.shape[0] for _, people in numbered for p in people}
    if len(counts) > 1:
        raise MotionFileError(path, f"keypoint counts differ between instances: "
                                    f"{sorted(counts)}", field="keypoints")
    if not counts:
        raise MotionFileError(path, "no person was detected in any frame", field="instances")
    skeleton = MMPOSE_SKELETONS[counts.pop()]
    frames, gaps = _fill_gaps(numbered, path)
    tracked = track_person(frames, opts.person, (len(skeleton.keypoints), 3))
    kp = _Keypoints(_flip_rows(tracked.values, opts), tracked.values[..., 2], skeleton, rate,
                    "px", opts.view, _tracking_notes(tracked, gaps))
    if isinstance(meta.get("dataset_name"), str):
        kp.extra["dataset_name"] = meta["dataset_name"]
    return _finish(path, kp, opts, "mmpose")


__all__ = [
    "BODY_25", "COCO18_KEYPOINTS", "COCO18_TO_CANONICAL", "COCO_17", "COCO_18",
    "COCO_WHOLEBODY", "COCO_WHOLEBODY_KEYPOINTS", "COCO_WHOLEBODY_TO_CANONICAL",
    "HALPE26_KEYPOINTS", "HALPE26_TO_CANONICAL", "HALPE_26", "MEDIAPIPE_33", "MMPOSE_SKELETONS",
    "NOSE_TO_ANKLE_FRACTION", "OPENPOSE_SKELETONS", "TRACK_GATE", "KeypointOptions",
    "KeypointSkeleton", "Tracked", "estimate_pixel_height", "keypoint_options",
    "openpose_files", "read_mediapipe", "read_mmpose", "read_openpose", "sniff_mediapipe",
    "sniff_mmpose", "sniff_openpose", "track_person",
]
