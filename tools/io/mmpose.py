"""MMPose predictions JSON reader.

Options shared with the other keypoint readers (``fps``, ``image_size``,
``subject_height_m``, ``view``, ``min_confidence``, ``person``) are described
in :mod:`sportsgpt.tools.io.pose2d`.

MMPose, :func:`read_mmpose`
---------------------------
The predictions written by ``MMPoseInferencer`` (``pred_out_dir``): a list
of ``{"frame_id": i, "instances": [{"keypoints": [[x, y], ...],
"keypoint_scores": [...], "bbox": ...}, ...]}``; or the demo scripts'
``--save-predictions`` file ``{"meta_info": {...}, "instance_info": [...]}``
whose ``instance_info`` is such a list (video) or a list of instances (one
image). Frame ids must increase; missing ids become NaN frames. Keypoint
counts: 17 COCO-17, 26 Halpe-26 (:data:`~sportsgpt.tools.skeleton.HALPE26_KEYPOINTS`), 133
COCO-WholeBody (body and feet used: :data:`~sportsgpt.tools.skeleton.COCO_WHOLEBODY_KEYPOINTS`).
"""

from __future__ import annotations

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
from sportsgpt.tools.skeleton import MMPOSE_SKELETONS


def sniff_mmpose(head: bytes) -> bool:
    """Whether a file looks like MMPose predictions JSON."""
    text = head_text(head)
    return text.startswith(("[", "{")) and (
        '"instance_info"' in text or '"keypoint_scores"' in text
        or ('"instances"' in text and '"keypoints"' in text))


def _mmpose_items(doc: object, path: Path) -> tuple[list[object], str, dict[str, object]]:
    if isinstance(doc, dict) and "instance_info" in doc:
        meta = doc.get("meta_info")
        return (json_list(doc["instance_info"], path, "instance_info"), "instance_info",
                meta if isinstance(meta, dict) else {})
    if isinstance(doc, list):
        return doc, "", {}
    raise MotionFileError(path, "expected a list of frames or an object with 'instance_info'")


def _mmpose_instance(item: object, path: Path, where: str) -> FloatArray:
    inst = json_dict(item, path, where)
    if "keypoints" not in inst:
        raise MotionFileError(path, "instance has no 'keypoints'", field=f"{where}.keypoints")
    kps = json_list(inst["keypoints"], path, f"{where}.keypoints")
    if len(kps) not in MMPOSE_SKELETONS:
        raise MotionFileError(path, f"{len(kps)} keypoints: expected 17 (COCO-17), 26 "
                                    "(Halpe-26) or 133 (COCO-WholeBody)",
                              field=f"{where}.keypoints")
    out = np.full((len(kps), 3), np.nan)
    for i, pt in enumerate(kps):
        xy = json_list(pt, path, f"{where}.keypoints[{i}]")
        if len(xy) != 2:
            raise MotionFileError(path, f"{len(xy)} coordinates: 2D keypoints [x, y] expected",
                                  field=f"{where}.keypoints[{i}]")
        out[i, :2] = json_numbers(xy, path, f"{where}.keypoints[{i}]")
    if "keypoint_scores" in inst:
        scores = json_list(inst["keypoint_scores"], path, f"{where}.keypoint_scores")
        if len(scores) != len(kps):
            raise MotionFileError(path, f"{len(scores)} scores for {len(kps)} keypoints",
                                  field=f"{where}.keypoint_scores")
        out[:, 2] = json_numbers(scores, path, f"{where}.keypoint_scores")
    return out


def _mmpose_frames(items: list[object], prefix: str,
                   path: Path) -> list[tuple[int, list[FloatArray]]]:
    if items and all(isinstance(i, dict) and "keypoints" in i for i in items):
        where = prefix or "<root>"
        return [(0, [_mmpose_instance(it, path, f"{where}[{j}]") for j, it in enumerate(items)])]
    numbered: list[tuple[int, list[FloatArray]]] = []
    for i, item in enumerate(items):
        where = f"{prefix}[{i}]"
        frame = json_dict(item, path, where)
        fid = frame.get("frame_id", i)
        if isinstance(fid, bool) or not isinstance(fid, int) or not 0 <= fid <= 10**9:
            raise MotionFileError(path, f"frame_id must be a frame number, got {fid!r}",
                                  field=f"{where}.frame_id")
        insts = json_list(frame.get("instances", []), path, f"{where}.instances")
        numbered.append((fid, [_mmpose_instance(it, path, f"{where}.instances[{j}]")
                               for j, it in enumerate(insts)]))
    if not numbered:
        raise MotionFileError(path, "no frames", field=prefix or None)
    return numbered


def read_mmpose(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
                view: str | None = None, min_confidence: float = 0.0, person: int = 0,
                image_size: tuple[float, float] | None = None) -> MotionSequence:
    """Read MMPose predictions JSON (layouts in the module docstring).

    Args:
        path: the predictions ``.json`` file.
        fps: frame rate in Hz (required: MMPose writes no timing).
        subject_height_m: athlete's height, to scale pixels to metres.
        view: ``sagittal``, ``frontal``, ``oblique`` or ``unknown``; left out, detected
            from the keypoints (:mod:`sportsgpt.tools.view`).
        min_confidence: score below which a keypoint becomes NaN.
        person: which person to follow when several are detected.
        image_size: ``(width, height)`` in pixels, to flip rows to y up.
    """
    path = check_file(Path(path))
    opts = keypoint_options(path, fps=fps, subject_height_m=subject_height_m, view=view,
                            min_confidence=min_confidence, person=person, image_size=image_size)
    rate = require_fps(opts, path, "MMPose")
    items, prefix, meta = _mmpose_items(load_json(path), path)
    numbered = _mmpose_frames(items, prefix, path)
    counts = {p.shape[0] for _, people in numbered for p in people}
    if len(counts) > 1:
        raise MotionFileError(path, f"keypoint counts differ between instances: "
                                    f"{sorted(counts)}", field="keypoints")
    if not counts:
        raise MotionFileError(path, "no person was detected in any frame", field="instances")
    skeleton = MMPOSE_SKELETONS[counts.pop()]
    frames, gaps = fill_frame_gaps(numbered, path)
    tracked = track_person(frames, opts.person, (len(skeleton.keypoints), 3))
    kp = Keypoints(flip_rows(tracked.values, opts), tracked.values[..., 2], skeleton, rate,
                    "px", opts.view, tracking_notes(tracked, gaps))
    if isinstance(meta.get("dataset_name"), str):
        kp.extra["dataset_name"] = meta["dataset_name"]
    return finish_keypoints(path, kp, opts, "mmpose")


__all__ = ["read_mmpose", "sniff_mmpose"]
