"""Pose estimation worker for video input, run in the video environment (``.venv-video``).

This file is executed as a script by :mod:`sportsgpt.tools.io.video` with the video
environment's Python (made by ``scripts/setup-video.sh``): MediaPipe 0.10.21 needs
numpy<2, which SportsGPT's own environment does not have, so the two never share a
process. It imports only the standard library, numpy, OpenCV and MediaPipe, never
``sportsgpt``.

It runs MediaPipe's legacy Pose solution (BlazePose GHUM, ``model_complexity=1``: the
"full" landmark model, the one whose weights ship in the wheel, so nothing is downloaded)
in video mode (tracking between frames) over every frame of a video, and writes the
landmarks as the MediaPipe JSON that :func:`sportsgpt.tools.io.mediapipe.read_mediapipe`
reads: ``{"fps", "image_size", "estimator", "frames": [{"timestamp_ms", "landmarks"}]}``,
landmarks normalised to the image, ``visibility`` per landmark, an empty list where
nobody was found.

Usage: ``python video_worker.py VIDEO OUT.json [--max-frames N]``. Exit status 0 on
success; 2 for a video OpenCV cannot open (message on stderr); 3 when MediaPipe or
OpenCV cannot be imported.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

MODEL_COMPLEXITY = 1
"""The only MediaPipe Pose model whose weights ship in the 0.10.21 wheel (``full``)."""


def _landmarks(result: Any) -> list[dict[str, float]]:
    if result.pose_landmarks is None:
        return []
    return [{"x": float(lm.x), "y": float(lm.y), "z": float(lm.z),
             "visibility": float(lm.visibility), "presence": float(lm.presence)}
            for lm in result.pose_landmarks.landmark]


def run(video: str, out: str, max_frames: int | None) -> int:
    """Estimate the pose in every frame of ``video`` and write ``out`` (see module doc)."""
    try:
        import cv2  # type: ignore[import-not-found]  # the video environment's, not ours
        import mediapipe as mp  # type: ignore[import-not-found]
    except ImportError as exc:
        print(f"the video environment lacks a package: {exc}", file=sys.stderr)
        return 3
    cap = cv2.VideoCapture(video)
    if not cap.isOpened():
        print(f"OpenCV cannot open {video!r} as a video", file=sys.stderr)
        return 2
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    frames: list[dict[str, Any]] = []
    started = time.perf_counter()
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=MODEL_COMPLEXITY,
                                smooth_landmarks=True, enable_segmentation=False,
                                min_detection_confidence=0.5,
                                min_tracking_confidence=0.5) as pose:
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            frames.append({"timestamp_ms": 1000.0 * len(frames) / fps if fps > 0 else None,
                           "landmarks": _landmarks(result)})
    cap.release()
    if not frames:
        print(f"{video!r} holds no readable frame", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    doc = {"fps": fps if fps > 0 else None, "image_size": [width, height],
           "estimator": {"name": "mediapipe-pose", "version": mp.__version__,
                         "model_complexity": MODEL_COMPLEXITY, "frames": len(frames),
                         "seconds": round(elapsed, 3),
                         "ms_per_frame": round(1000.0 * elapsed / len(frames), 2)},
           "frames": frames}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("out")
    parser.add_argument("--max-frames", type=int, default=None)
    args = parser.parse_args(argv)
    return run(args.video, args.out, args.max_frames)


if __name__ == "__main__":
    sys.exit(main())
