"""OpenPose per-frame keypoint JSON reader (one file or a folder of them).

Options shared with the other keypoint readers (``fps``, ``image_size``,
``subject_height_m``, ``view``, ``min_confidence``, ``person``) are described
in :mod:`sportsgpt.tools.io.pose2d`.

OpenPose, :func:`read_openpose`
-------------------------------
One JSON per frame, ``{"version": ..., "people": [{"pose_keypoints_2d": [x,
y, c, ...]}, ...]}`` (``pose_keypoints`` of OpenPose 1.0 is accepted too).
``path`` is one such file (one frame) or a folder of them, ordered by the
frame number at the end of the file name (``video_000000000012_keypoints
.json``); missing numbers become NaN frames (with a note) and files of
several videos in one folder are an error. 25 triplets are BODY_25, 18 are
OpenPose's COCO-18 model (:data:`~sportsgpt.tools.skeleton.COCO18_KEYPOINTS`). A keypoint with zero
confidence (OpenPose writes ``0, 0, 0`` for undetected points) is NaN. The
coordinates are taken as pixels (OpenPose's default ``keypoint_scale``).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.tools.io._common import check_file
from sportsgpt.tools.io.pose2d import (
    Keypoints,
    fill_frame_gaps,
    finish_keypoints,
    flip_rows,
    head_text,
    json_dict,
    json_list,
    json_numbers,
    keypoint_options,
    load_json,
    require_fps,
    track_person,
    tracking_notes,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence
from sportsgpt.tools.skeleton import OPENPOSE_SKELETONS

_FRAME_NUMBER = re.compile(r"(\d+)(_keypoints)?$")


def sniff_openpose(head: bytes) -> bool:
    """Whether a file looks like an OpenPose per-frame keypoint JSON."""
    text = head_text(head)
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
    doc = json_dict(load_json(path), path, "<root>")
    if "people" not in doc:
        raise MotionFileError(path, "no 'people' list", field="people")
    people: list[FloatArray] = []
    for j, item in enumerate(json_list(doc["people"], path, "people")):
        p = json_dict(item, path, f"people[{j}]")
        key = next((k for k in ("pose_keypoints_2d", "pose_keypoints") if k in p), None)
        if key is None:
            raise MotionFileError(path, "person has no pose_keypoints_2d",
                                  field=f"people[{j}].pose_keypoints_2d")
        where = f"people[{j}].{key}"
        vals = json_list(p[key], path, where)
        if not vals:
            continue
        if len(vals) % 3 or len(vals) // 3 not in OPENPOSE_SKELETONS:
            raise MotionFileError(path, f"{len(vals)} values: expected 25 (BODY_25) or 18 "
                                        "(COCO-18) x, y, confidence triplets", field=where)
        arr = json_numbers(vals, path, where).reshape(-1, 3)
        arr[~(arr[:, 2] > 0), :2] = np.nan  # zero confidence: not detected
        people.append(arr)
    return people


def read_openpose(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
                  view: str | None = None, min_confidence: float = 0.0, person: int = 0,
                  image_size: tuple[float, float] | None = None) -> MotionSequence:
    """Read OpenPose keypoint JSON: one file (one frame) or a folder of per-frame files.

    Args:
        path: a ``*_keypoints.json`` file or the folder holding them.
        fps: frame rate in Hz (required: OpenPose writes no timing).
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal``, ``oblique`` or ``unknown``; left out, detected
            from the keypoints (:mod:`sportsgpt.tools.view`).
        min_confidence: confidence below which a keypoint becomes NaN.
        person: which person to follow when several are detected.
        image_size: ``(width, height)`` in pixels, to flip rows to y up.
    """
    path = Path(path)
    opts = keypoint_options(path, fps=fps, subject_height_m=subject_height_m, view=view,
                            min_confidence=min_confidence, person=person, image_size=image_size)
    rate = require_fps(opts, path, "OpenPose")
    numbered = [(n, _openpose_people(f), f) for n, f in openpose_files(path)]
    counts = {p.shape[0] for _, people, _ in numbered for p in people}
    if len(counts) > 1:
        first = next(f for _, people, f in numbered for p in people if p.shape[0] != max(counts))
        raise MotionFileError(first, f"keypoint counts differ between frames: {sorted(counts)}",
                              field="pose_keypoints_2d")
    if not counts:
        raise MotionFileError(path, "no person was detected in any frame", field="people")
    skeleton = OPENPOSE_SKELETONS[counts.pop()]
    frames, gaps = fill_frame_gaps([(n, people) for n, people, _ in numbered], path)
    tracked = track_person(frames, opts.person, (len(skeleton.keypoints), 3))
    kp = Keypoints(flip_rows(tracked.values, opts), tracked.values[..., 2], skeleton, rate,
                    "px", opts.view, tracking_notes(tracked, gaps))
    return finish_keypoints(path, kp, opts, "openpose")


__all__ = ["openpose_files", "read_openpose", "sniff_openpose"]
