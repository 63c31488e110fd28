"""Readers for the motion formats people really have, behind one function.

>>> from sportsgpt.tools.io import FORMATS
>>> "amc" in FORMATS and "bvh" in FORMATS
True

``read_motion(path)`` detects the format from the extension and, where an
extension is shared (``.json``, ``.csv``, ``.txt``), from the content. Every
reader raises :class:`~sportsgpt.core.errors.MotionFileError` (naming the file
and the line or field) for input it cannot read, and nothing else.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sportsgpt.core.errors import FormatDetectionError, MotionFileError, reader_option_hint
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import check_file, check_gzip_size, is_gzip, read_head
from sportsgpt.tools.motion import AngleSequence, MotionSequence

Motion = MotionSequence | AngleSequence


@dataclass(frozen=True)
class FormatSpec:
    """One supported format: how to recognise it and which function reads it."""

    name: str
    module: str
    extensions: tuple[str, ...]
    description: str
    reader: str = "read"
    sniffer: str = "sniff"
    directory: bool = False

    def _attr(self, attr: str) -> Callable[..., Any]:
        mod = importlib.import_module(f"sportsgpt.tools.io.{self.module}")
        fn: Callable[..., Any] = getattr(mod, attr)
        return fn

    def sniff(self, head: bytes) -> bool:
        """Whether the first bytes of a file look like this format."""
        return bool(self._attr(self.sniffer)(head))

    def read(self, path: Path, *, limits: InputLimits | None = None, **options: Any) -> Motion:
        """Read a file of this format, within ``limits`` (default :class:`InputLimits`).

        A reader that takes ``limits`` checks them itself (inflated size, declared
        array sizes); for one that does not, a gzip file is measured here first.
        """
        lim = limits or InputLimits()
        fn = self._attr(self.reader)
        params = inspect.signature(fn).parameters
        unknown = sorted(set(options) - set(params) - {"limits"})
        if unknown or "limits" in options:
            accepted = [p for p in params if p not in ("path", "limits")]
            raise MotionFileError(path, f"option(s) {unknown or ['limits']} do not apply to "
                                        f"{self.name} files (accepted: {accepted})")
        if "limits" in params:
            options["limits"] = lim
        elif path.is_file() and is_gzip(path):
            check_gzip_size(path, lim)
        result: Motion = fn(path, **options)
        return result


FORMATS: dict[str, FormatSpec] = {s.name: s for s in (
    FormatSpec("amc", "asf_amc", (".amc",), "CMU/Acclaim ASF skeleton + AMC motion"),
    FormatSpec("bvh", "bvh", (".bvh",), "Biovision hierarchy"),
    FormatSpec("c3d", "c3d_file", (".c3d",), "C3D marker file (needs sportsgpt[c3d])"),
    FormatSpec("trc", "trc", (".trc",), "OpenSim / Sports2D / Pose2Sim marker TRC"),
    FormatSpec("mot", "opensim", (".mot", ".sto"), "OpenSim/OpenCap joint angles"),
    FormatSpec("mediapipe", "mediapipe", (".json", ".csv"), "MediaPipe Pose 33 landmarks",
               reader="read_mediapipe", sniffer="sniff_mediapipe"),
    FormatSpec("openpose", "openpose", (".json",),
               "OpenPose BODY_25 / COCO-18 per-frame keypoint JSON (file or folder)",
               reader="read_openpose", sniffer="sniff_openpose", directory=True),
    FormatSpec("mmpose", "mmpose", (".json",), "MMPose COCO-17 keypoint JSON",
               reader="read_mmpose", sniffer="sniff_mmpose"),
    FormatSpec("ui-prmd", "vicon_csv", (".txt", ".gz", ".csv"),
               "UI-PRMD Vicon Plug-in-Gait 39-marker CSV (mm, z up, no header)"),
    FormatSpec("csv", "generic", (".csv",), "generic CSV: time column + <joint>_x/_y/_z",
               reader="read_csv", sniffer="sniff_csv"),
    FormatSpec("npy", "generic", (".npy",), "NumPy (T, J, D) array + options",
               reader="read_npy", sniffer="sniff_npy"),
    FormatSpec("npz", "generic", (".npz",), "NumPy archive: positions, joints, fps",
               reader="read_npz", sniffer="sniff_npz"),
    FormatSpec("video", "video", (".mp4", ".mov", ".avi"),
               "video: MediaPipe Pose in .venv-video (scripts/setup-video.sh)",
               reader="read_video", sniffer="sniff_video"),
)}


def _extensions(path: Path) -> list[str]:
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[-1:] + ([suffixes[-2]] if len(suffixes) >= 2 else [])


def detect_format(path: str | Path, *, limits: InputLimits | None = None) -> FormatSpec:
    """Find the format of a file (or of a folder of per-frame keypoint JSON)."""
    path = Path(path)
    if path.is_dir():
        if any(path.glob("*.json")):
            return FORMATS["openpose"]
        raise FormatDetectionError(path, "a folder, but it holds no per-frame .json files")
    check_file(path, limits)
    head = read_head(path)
    exts = _extensions(path)
    by_ext = [s for s in FORMATS.values() if any(e in s.extensions for e in exts)]
    for spec in by_ext:
        if len(by_ext) == 1 or spec.sniff(head):
            return spec
    for spec in FORMATS.values():
        if spec not in by_ext and spec.sniff(head):
            return spec
    known = sorted({e for s in FORMATS.values() for e in s.extensions})
    raise FormatDetectionError(path, f"unrecognised format (extensions known: {known}): "
                                     f"name the reader {reader_option_hint('format')}")


def read_motion(path: str | Path, format: str | None = None, *,
                limits: InputLimits | None = None, **options: Any) -> Motion:
    """Read a motion file into a :class:`MotionSequence` or :class:`AngleSequence`.

    Args:
        path: the file (or a folder of OpenPose per-frame JSON files).
        format: a key of :data:`FORMATS` to skip detection.
        limits: input size limits (``Settings.limits``; default :class:`InputLimits`),
            checked before the data is read: size on disk, inflated size of gzip
            input (inflated with a cap, never whole), and the array sizes that
            ``.npy``/``.npz``/C3D/TRC/BVH headers declare.
        **options: reader options (e.g. ``asf=`` for AMC, ``fps=`` where a file
            has no frame rate, ``subject_height_m=`` for pixel keypoints).

    Raises:
        InputTooLargeError: the input is above ``limits`` (names the setting to raise).
        MotionFileError: the file cannot be read (names the file and the line or field).
    """
    path = Path(path)
    lim = limits or InputLimits()
    if not path.is_dir():
        check_file(path, lim)
    if format is None:
        spec = detect_format(path, limits=lim)
    elif format in FORMATS:
        spec = FORMATS[format]
    else:
        raise FormatDetectionError(path, f"unknown format {format!r}; known: {sorted(FORMATS)}")
    return spec.read(path, limits=lim, **options)


__all__ = ["FORMATS", "FormatSpec", "Motion", "detect_format", "read_motion"]
