"""Video input (``.mp4``, ``.mov``, ``.avi``): pose estimation, then the MediaPipe reader.

The estimator is MediaPipe 0.10.21's legacy Pose solution, whose model ships inside its
wheel (nothing is downloaded at run time). It needs numpy<2 and SportsGPT's environment
has numpy 2, so it lives in its own virtual environment, ``.venv-video`` at the
repository root, made by ``scripts/setup-video.sh``. :func:`read_video` runs
:mod:`sportsgpt.tools.io.video_worker` there as a subprocess; the worker writes the
landmarks as MediaPipe JSON into a temporary folder, and
:func:`~sportsgpt.tools.io.mediapipe.read_mediapipe` reads them. So the keypoints get
everything the keypoint readers do (see :mod:`sportsgpt.tools.io.pose2d`):

* per-landmark ``visibility`` becomes ``confidence``;
* the camera view is detected from the keypoints unless ``view=`` is given
  (:mod:`sportsgpt.tools.view`);
* pixels become metres from ``subject_height_m=`` (the athlete's standing height);
* left/right swaps are repaired later by preprocessing (``video`` is a markerless
  format for :func:`sportsgpt.tools.preprocess.preprocess`).

What has and has not been validated on video is in ``docs/video.md``.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Final

from sportsgpt.core.errors import MissingDependencyError, MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import check_file
from sportsgpt.tools.io.mediapipe import read_mediapipe
from sportsgpt.tools.io.pose2d import load_json
from sportsgpt.tools.motion import MotionSequence, SourceInfo

SETUP_COMMAND: Final[str] = "scripts/setup-video.sh"
"""The command that makes the video environment (run from the repository root)."""

VIDEO_ENV: Final[str] = ".venv-video"
"""The video environment's folder, at the repository root."""

WORKER: Final[Path] = Path(__file__).with_name("video_worker.py")

SECONDS_PER_FRAME_LIMIT: Final[float] = 2.0
"""Worker time allowed per frame (measured: about 0.07 s on 2 shared cores), plus 60 s."""

_MAX_FRAMES_FOR_TIMEOUT: Final[int] = 100_000


class VideoEnvironmentError(MissingDependencyError):
    """The video environment (pose estimator) is missing or broken; says how to make it."""

    def __init__(self, python: Path, problem: str) -> None:
        self.package = "mediapipe"
        self.extra = "video"
        ImportError.__init__(
            self, f"video input needs the pose estimator's environment ({problem}: "
                  f"{python}): run {SETUP_COMMAND} from the repository root (it makes "
                  f"{VIDEO_ENV} with mediapipe 0.10.21 and numpy<2), or pass "
                  "video_python= the Python of an environment that has them")


def default_video_python() -> Path:
    """``.venv-video/bin/python`` at the root of the checkout this module lives in."""
    return Path(__file__).resolve().parents[2] / VIDEO_ENV / "bin" / "python"


def sniff_video(head: bytes) -> bool:
    """MP4/MOV (an ISO base-media box at offset 4) or AVI (a RIFF ``AVI `` file)."""
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free") or (
        head[:4] == b"RIFF" and head[8:12] == b"AVI ")


def _python(video_python: str | Path | None) -> Path:
    python = Path(video_python) if video_python is not None else default_video_python()
    if not python.is_file():
        raise VideoEnvironmentError(python, "no such Python")
    return python


def _run_worker(python: Path, path: Path, out: Path, max_frames: int | None) -> None:
    frames = max_frames if max_frames is not None else _MAX_FRAMES_FOR_TIMEOUT
    cmd = [str(python), "-I", str(WORKER), str(path), str(out)]
    if max_frames is not None:
        cmd += ["--max-frames", str(max_frames)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              timeout=60.0 + SECONDS_PER_FRAME_LIMIT * frames)
    except subprocess.TimeoutExpired:
        raise MotionFileError(path, "pose estimation took too long") from None
    except OSError as exc:
        raise VideoEnvironmentError(python, f"cannot run it ({exc.strerror})") from None
    tail = " | ".join(line for line in done.stderr.strip().splitlines()[-3:] if line)
    if done.returncode == 3:
        raise VideoEnvironmentError(python, f"a package is missing ({tail})")
    if done.returncode != 0:
        raise MotionFileError(path, f"pose estimation failed (exit {done.returncode}): {tail}")


def read_video(path: Path, *, fps: float | None = None, subject_height_m: float | None = None,
               view: str | None = None, min_confidence: float = 0.0,
               max_frames: int | None = None, video_python: str | Path | None = None,
               limits: InputLimits | None = None) -> MotionSequence:
    """Estimate the athlete's 2D pose in a video and read it as MediaPipe landmarks.

    Args:
        path: the video (anything OpenCV reads: ``.mp4``, ``.mov``, ``.avi``).
        fps: frame rate in Hz; default the video's own.
        subject_height_m: the athlete's standing height, to scale pixels to metres.
        view: ``sagittal``, ``frontal``, ``oblique`` or ``unknown``; default detected.
        min_confidence: landmark visibility below which a landmark becomes NaN.
        max_frames: estimate only the first frames (default all).
        video_python: the Python of the video environment (default ``.venv-video``).
        limits: input size limits (the video file's size on disk).

    Raises:
        VideoEnvironmentError: the video environment is missing (names the setup command).
        MotionFileError: the video cannot be read or holds nobody.
    """
    path = check_file(Path(path), limits or InputLimits())
    if max_frames is not None and (isinstance(max_frames, bool) or max_frames < 1):
        raise MotionFileError(path, f"max_frames must be a positive count, got {max_frames!r}",
                              field="max_frames")
    python = _python(video_python)
    with tempfile.TemporaryDirectory(prefix="sportsgpt-video-") as tmp:
        out = Path(tmp) / "landmarks.json"
        _run_worker(python, path, out, max_frames)
        doc = load_json(out)
        if not isinstance(doc, dict) or not isinstance(doc.get("image_size"), list):
            raise MotionFileError(path, "the pose worker wrote no image size")
        estimator = doc.get("estimator", {})
        if not any(f.get("landmarks") for f in doc.get("frames", [])):
            raise MotionFileError(path, "the pose estimator found nobody in any frame")
        motion = read_mediapipe(out, fps=fps, image_size=tuple(doc["image_size"]),
                                subject_height_m=subject_height_m, view=view,
                                min_confidence=min_confidence)
    src = motion.source
    note = (f"pose estimated from the video by {estimator.get('name')} "
            f"{estimator.get('version')} (model_complexity {estimator.get('model_complexity')}, "
            f"{estimator.get('ms_per_frame')} ms/frame)")
    source = SourceInfo(path=str(path), format="video", original_units=src.original_units,
                        original_up_axis=src.original_up_axis,
                        original_joint_names=src.original_joint_names,
                        notes=(note, *src.notes),
                        extra={**src.extra, "estimator": estimator})
    return motion.model_copy(update={"source": source})


__all__ = ["SETUP_COMMAND", "VIDEO_ENV", "VideoEnvironmentError", "default_video_python",
           "read_video", "sniff_video"]
