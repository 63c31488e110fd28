"""Shared logic of the 2D keypoint readers (:mod:`.mediapipe`, :mod:`.openpose`, :mod:`.mmpose`).

Every reader returns a :class:`~sportsgpt.tools.motion.MotionSequence` with
canonical joint names (see :mod:`sportsgpt.tools.skeleton`, which holds every
keypoint layout), detector confidences in ``confidence`` and NaN for every
keypoint that was not detected (never zeros). This module holds what they
share: option checks, JSON helpers, person tracking, confidence rules and the
pixel-to-metre scale.

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
    ``"sagittal"``, ``"frontal"``, ``"oblique"`` or ``"unknown"``: the plane the
    camera sees. Left out (``None``, the default), it is detected from the keypoints
    (:func:`sportsgpt.tools.view.detect_view`: shoulder and hip width against torso
    length, left/right order, visibility asymmetry); the call, its confidence and
    evidence go to ``SourceInfo.extra["view_detection"]`` and the quality notes
    (``SourceInfo.extra["view_notes"]``). A view given here wins; when the
    keypoints clearly show the other plane, a ``VIEW DISAGREEMENT`` note says so.
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
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    View2D,
    build_motion,
    check_fps,
    check_view_2d,
    map_to_canonical,
    read_text,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence, Units, View
from sportsgpt.tools.skeleton import KeypointSkeleton
from sportsgpt.tools.view import detect_view, stated_view_note

NOSE_HEIGHT_FRACTION: Final[float] = 0.903
"""Nose tip height / standing height (midway between eye 0.936 and chin 0.870)."""

ANKLE_HEIGHT_FRACTION: Final[float] = 0.039
"""Ankle joint height / standing height (Winter 2009, fig. 4.1)."""

NOSE_TO_ANKLE_FRACTION: Final[float] = NOSE_HEIGHT_FRACTION - ANKLE_HEIGHT_FRACTION
"""Vertical nose-to-ankle extent of an upright person, as a fraction of height."""

STANDING_PERCENTILE: Final[float] = 90.0
"""Percentile over frames of the nose-to-ankle extent taken as the upright pose."""

_MAX_IMAGE_SIDE: Final[float] = 100_000.0

# --- options -------------------------------------------------------------------


@dataclass(frozen=True)
class KeypointOptions:
    """Validated reader options (see the module docstring)."""

    fps: float | None = None
    subject_height_m: float | None = None
    view: View2D | None = None
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
                     view: object = None, min_confidence: object = 0.0,
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
    stated = None if view is None else check_view_2d(view, path)
    return KeypointOptions(rate, height, stated, conf, person,
                           _image_size(image_size, path))


# --- parsing helpers -----------------------------------------------------------

def head_text(head: bytes) -> str:
    """The first bytes of a file as text, without a byte-order mark or leading blanks."""
    return head.decode("utf-8", errors="ignore").lstrip("\ufeff").lstrip()


def load_json(path: Path) -> object:
    """The parsed JSON document of ``path`` (malformed JSON is a :class:`MotionFileError`)."""
    text = read_text(path)
    try:
        doc: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MotionFileError(path, f"malformed JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise MotionFileError(path, "malformed JSON: nested too deeply") from None
    return doc


def json_number(value: object, path: Path, where: str) -> float:
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


def json_numbers(values: Sequence[object], path: Path, where: str) -> FloatArray:
    """A float64 array of JSON numbers (see :func:`json_number`)."""
    return np.array([json_number(v, path, f"{where}[{i}]") for i, v in enumerate(values)],
                    dtype=np.float64)


def json_list(value: object, path: Path, where: str) -> list[object]:
    """``value`` if it is a JSON list, else a :class:`MotionFileError` naming ``where``."""
    if not isinstance(value, list):
        raise MotionFileError(path, f"expected a list, got {type(value).__name__}", field=where)
    return value


def json_dict(value: object, path: Path, where: str) -> dict[str, object]:
    """``value`` if it is a JSON object, else a :class:`MotionFileError` naming ``where``."""
    if not isinstance(value, dict):
        raise MotionFileError(path, f"expected an object, got {type(value).__name__}",
                              field=where)
    return value


def fill_frame_gaps(numbered: Sequence[tuple[int, list[FloatArray]]],
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
class Keypoints:
    """Tracked keypoints in output orientation, before confidence and scaling rules."""

    coords: FloatArray  # (T, K, D), y up
    confidence: FloatArray | None  # (T, K)
    skeleton: KeypointSkeleton
    fps: float
    units: Units
    view: View | None  # None: detect from the keypoints
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


def _scale_to_metres(kp: Keypoints, height_m: float, path: Path) -> None:
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


def finish_keypoints(path: Path, kp: Keypoints, opts: KeypointOptions,
                     fmt: str) -> MotionSequence:
    """Apply confidence rules and metre scale, map to canonical joints, build the motion."""
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
    view = (kp.view or "3d") if pos.shape[2] == 3 else _resolve_view(kp, pos, joints, conf)
    return build_motion(path, pos, joints, kp.fps, fmt=fmt, units=kp.units, view=view,
                        confidence=conf, original_units=kp.original_units,
                        original_up_axis="-y",
                        original_joint_names=kp.skeleton.keypoints, notes=kp.notes,
                        extra=kp.extra)


def _resolve_view(kp: Keypoints, pos: FloatArray, joints: Sequence[str],
                  conf: FloatArray | None) -> View:
    """The stated view, else the detected one; notes for the quality report either way."""
    est = detect_view(pos, joints, conf)
    kp.extra["view_detection"] = est.model_dump()
    if kp.view is None:
        notes = [est.summary()]
        kp.extra["view_source"] = "detected"
        view: View = est.view
    else:
        notes = [f"camera view {kp.view} as given ({est.summary()})"]
        disagreement = stated_view_note(kp.view, est)
        if disagreement:
            notes.append(disagreement)
        kp.extra["view_source"] = "given"
        view = kp.view
    kp.extra["view_notes"] = notes
    kp.notes.extend(notes)
    return view


def flip_rows(tracked: FloatArray, opts: KeypointOptions) -> FloatArray:
    """Pixel (x, row) to (x, y up): ``height - row`` when the height is known, else ``-row``."""
    xy = tracked[..., :2].copy()
    xy[..., 1] = (opts.image_size[1] - xy[..., 1]) if opts.image_size else -xy[..., 1]
    return xy


def tracking_notes(tracked: Tracked, gaps: int) -> list[str]:
    """Notes on crowded, rejected and missing frames, for ``SourceInfo.notes``."""
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


def require_fps(opts: KeypointOptions, path: Path, what: str) -> float:
    """The ``fps`` option, required for formats (``what``) whose files carry no timing."""
    if opts.fps is None:
        raise MotionFileError(path, f"{what} files carry no timing: pass fps=", field="fps")
    return opts.fps


__all__ = [
    "ANKLE_HEIGHT_FRACTION", "NOSE_HEIGHT_FRACTION", "NOSE_TO_ANKLE_FRACTION",
    "STANDING_PERCENTILE", "TRACK_GATE", "KeypointOptions", "Keypoints", "Tracked",
    "estimate_pixel_height", "fill_frame_gaps", "finish_keypoints", "flip_rows", "head_text",
    "json_dict", "json_list", "json_number", "json_numbers", "keypoint_options", "load_json",
    "require_fps", "track_person", "tracking_notes",
]
