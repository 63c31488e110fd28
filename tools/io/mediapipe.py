"""MediaPipe Pose landmark reader (JSON or CSV).

Options shared with the other keypoint readers (``fps``, ``image_size``,
``subject_height_m``, ``view``, ``min_confidence``, ``person``) are described
in :mod:`sportsgpt.tools.io.pose2d`.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    check_file,
    check_fps,
    parse_float,
    read_head,
    read_text,
)
from sportsgpt.tools.io.generic import csv_delimiter, fps_from_times, iter_csv_rows
from sportsgpt.tools.io.pose2d import (
    KeypointOptions,
    Keypoints,
    finish_keypoints,
    head_text,
    json_dict,
    json_list,
    json_number,
    keypoint_options,
    load_json,
    track_person,
    tracking_notes,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.skeleton import MEDIAPIPE_33, MEDIAPIPE_LANDMARKS

_MP_IMAGE_KEYS: Final[tuple[str, ...]] = ("landmarks", "pose_landmarks")
_MP_WORLD_KEYS: Final[tuple[str, ...]] = ("pose_world_landmarks", "world_landmarks")
_MP_FIELDS: Final[tuple[str, ...]] = ("x", "y", "z", "visibility")


def _csv_header(head: bytes) -> list[str]:
    text = head_text(head)
    line = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    cols = [c.strip().lower() for c in line.split(csv_delimiter(line))]
    complete = text.find("\n", text.find(line) + len(line)) >= 0
    return cols if complete else cols[:-1]  # a header longer than the head: drop the cut one


def sniff_mediapipe(head: bytes) -> bool:
    """Whether a file looks like MediaPipe Pose landmarks (JSON or CSV)."""
    text = head_text(head)
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
    items = json_list(value, path, where)
    if len(items) != len(MEDIAPIPE_LANDMARKS):
        raise MotionFileError(path, f"{len(items)} landmarks; MediaPipe Pose has 33",
                              field=where)
    out = np.full((len(items), 4), np.nan)
    required = ("x", "y", "z") if world else ("x", "y")
    for i, item in enumerate(items):
        lm = json_dict(item, path, f"{where}[{i}]")
        for c, key in enumerate(_MP_FIELDS):
            if key not in lm and key in required:
                raise MotionFileError(path, f"landmark has no {key!r}", field=f"{where}[{i}]")
            out[i, c] = json_number(lm.get(key), path, f"{where}[{i}].{key}")
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
        fps = json_number(doc.get("fps"), path, "fps")
        rate = None if math.isnan(fps) else check_fps(fps, path)
        return _MpDoc(json_list(doc["frames"], path, "frames"), "frames", rate)
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
    doc = _mp_doc(load_json(path), path)
    frames = [json_dict(f, path, f"{doc.prefix}[{i}]") for i, f in enumerate(doc.frames)]
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
        times = np.array([json_number(s, path, f"{doc.prefix}[{i}].timestamp_ms")
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
                   view: str | None = None, min_confidence: float = 0.0, person: int = 0,
                   image_size: tuple[float, float] | None = None,
                   world: bool | None = None) -> MotionSequence:
    """Read MediaPipe Pose landmarks from JSON or CSV (layouts in the module docstring).

    Args:
        path: the ``.json`` or ``.csv`` file.
        fps: frame rate in Hz when the file has no ``fps``/``timestamp_ms``.
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal``, ``oblique`` or ``unknown`` (2D output); left
            out, detected from the keypoints (:mod:`sportsgpt.tools.view`).
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
    notes += tracking_notes(tracked, 0)
    vals = tracked.values
    if frames.world:
        if opts.subject_height_m is not None or opts.image_size is not None or \
                opts.view not in (None, "unknown"):
            raise MotionFileError(path, "world landmarks are 3D metres: subject_height_m, "
                                        "image_size and view do not apply", field="world")
        coords = np.stack([vals[..., 0], -vals[..., 1], -vals[..., 2]], axis=-1)
        kp = Keypoints(coords, vals[..., 3], MEDIAPIPE_33, rate, "m", "3d", notes,
                        original_units="m")
        return finish_keypoints(path, kp, opts, "mediapipe")
    if opts.image_size is None:
        raise MotionFileError(
            path, "MediaPipe image landmarks are normalised to the image width and height: "
                  "pass image_size=(width, height) in pixels (and subject_height_m= for "
                  "metres)", field="image_size")
    w, h = opts.image_size
    with np.errstate(over="ignore"):
        coords = np.stack([vals[..., 0] * w, (1.0 - vals[..., 1]) * h], axis=-1)
    kp = Keypoints(coords, vals[..., 3], MEDIAPIPE_33, rate, "px", opts.view, notes,
                    original_units="normalised")
    return finish_keypoints(path, kp, opts, "mediapipe")


def _mp_frames(path: Path, world: bool | None, person: int) -> _MpFrames:
    text = head_text(read_head(path))
    if text.startswith(("[", "{")) or path.suffix.lower() == ".json":
        return _mp_json(path, world)
    return _mp_csv(path, world, person)


__all__ = ["read_mediapipe", "sniff_mediapipe"]
