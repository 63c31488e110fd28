"""UI-PRMD Vicon "Positions" files: Plug-in-Gait markers as headerless CSV.

Format (UI-PRMD, Vakanski et al. 2018, *Data* 3(1):2, doi:10.3390/data3010002):
one row per frame, 117 comma-separated numbers = 39 Plug-in-Gait markers x
(x, y, z), in millimetres, Z up; no header, no timestamps; usually gzipped
(``m01_s01_e01_positions.txt.gz``). The marker order is
:data:`~sportsgpt.tools.markers.PLUG_IN_GAIT_39`.

Vicon writes a gap in a marker's trajectory as ``0,0,0``; the reader turns a
marker whose three coordinates are all exactly zero into NaN (missing), and
says how many it found in the notes. It then converts to metres and Y up and
computes canonical joint centres with
:func:`~sportsgpt.tools.markers.joint_centres_from_markers`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from sportsgpt.core.errors import MotionDataError, MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import (
    HEAD_BYTES,
    build_motion,
    check_fps,
    check_samples,
    parse_float,
    read_text,
    z_up_to_y_up,
)
from sportsgpt.tools.markers import PLUG_IN_GAIT_39, FloatArray, joint_centres_from_markers
from sportsgpt.tools.motion import MotionSequence

FORMAT: Final[str] = "ui-prmd"
DEFAULT_FPS: Final[float] = 100.0
"""UI-PRMD files carry no timestamps; the Vicon capture rate commonly cited for the set."""

MARKER_PREFIX: Final[str] = "marker:"
_AXES: Final[str] = "xyz"


def _numeric_row(line: str, n_cols: int) -> bool:
    fields = line.split(",")
    if len(fields) != n_cols:
        return False
    try:
        for f in fields:
            float(f)
    except ValueError:
        return False
    return True


def sniff(head: bytes) -> bool:
    """Whether the first bytes look like a UI-PRMD Vicon positions file.

    True when the first line is 117 comma-separated numbers (39 points x xyz)
    with no header.
    """
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        return False
    lines = text.split("\n")
    complete = len(lines) > 1 or len(head) < HEAD_BYTES
    if not complete:
        return False
    first = lines[0].strip()
    return bool(first) and _numeric_row(first, 3 * len(PLUG_IN_GAIT_39))


def _field(col: int, names: Sequence[str]) -> str:
    return f"column {col + 1} ({names[col // 3]} {_AXES[col % 3]})"


def _parse_row(line: str, lineno: int, names: Sequence[str], path: Path) -> list[float]:
    fields = line.split(",")
    n_cols = 3 * len(names)
    if len(fields) != n_cols:
        raise MotionFileError(path, f"expected {n_cols} comma-separated values "
                                    f"({len(names)} markers x xyz), found {len(fields)}",
                              line=lineno)
    try:
        values = [float(f) for f in fields]
    except ValueError:
        values = [parse_float(f.strip(), path, line=lineno, field=_field(i, names))
                  for i, f in enumerate(fields)]
    for i, v in enumerate(values):
        if math.isinf(v):
            raise MotionFileError(path, f"infinite value {fields[i].strip()!r}", line=lineno,
                                  field=_field(i, names))
    return values


def _parse(text: str, names: Sequence[str], path: Path) -> FloatArray:
    rows: list[list[float]] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line:
            rows.append(_parse_row(line, lineno, names, path))
    if not rows:
        raise MotionFileError(path, "no frames (no data rows)")
    arr = np.asarray(rows, dtype=np.float64)
    return arr.reshape(len(rows), len(names), 3)


def _gap_note(gaps: npt.NDArray[np.bool_], names: Sequence[str]) -> str:
    per_marker = gaps.sum(axis=0)
    listed = ", ".join(f"{names[i]} {int(per_marker[i])}"
                       for i in np.flatnonzero(per_marker).tolist())
    return (f"{int(gaps.sum())} marker sample(s) written as 0,0,0 (Vicon gaps) read as "
            f"missing (NaN): {listed}")


def _marker_names(markers: Sequence[str] | None, path: Path) -> tuple[str, ...]:
    if markers is None:
        return PLUG_IN_GAIT_39
    if isinstance(markers, str):
        raise MotionFileError(path, "markers= must be a sequence of names, not one string",
                              field="markers")
    names = tuple(str(m) for m in markers)
    if not names:
        raise MotionFileError(path, "markers= must name at least one marker", field="markers")
    if len(set(names)) != len(names):
        raise MotionFileError(path, "markers= holds duplicate names", field="markers")
    return names


def read(path: Path, *, fps: float = DEFAULT_FPS, markers: Sequence[str] | None = None,
         keep_markers: bool = False, limits: InputLimits | None = None) -> MotionSequence:
    """Read a UI-PRMD Vicon positions file (plain or gzipped) into joint centres.

    Args:
        path: the ``.txt`` or ``.txt.gz`` file.
        fps: frame rate; the files carry none, 100 Hz is the documented
            assumption for UI-PRMD's Vicon data.
        markers: marker names of the column triplets, in order; default
            :data:`~sportsgpt.tools.markers.PLUG_IN_GAIT_39`.
        keep_markers: also append the raw markers as joints named
            ``marker:<NAME>`` (e.g. ``marker:LASI``).
        limits: input size limits; a gzipped file is inflated with the byte cap and
            refused as soon as it passes it.

    Raises:
        MotionFileError: unreadable file, a row with the wrong number of
            values (names the line), a non-numeric or infinite value (names the
            line and column), an implausible ``fps``, or no frames.
        InputTooLargeError: the file or its inflated content is above the limits.
    """
    path = Path(path)
    try:
        fps_value = float(fps)
    except (TypeError, ValueError):
        raise MotionFileError(path, f"fps must be a number, got {fps!r}", field="fps") from None
    rate = check_fps(fps_value, path)
    names = _marker_names(markers, path)
    text = read_text(path, limits)
    check_samples(path, (text.count("\n") + 1, len(names), 3), "the file (rows x markers x 3)",
                  limits)
    raw_mm = _parse(text, names, path)
    gaps = (raw_mm == 0.0).all(axis=2)
    raw_mm[gaps] = np.nan
    xyz = z_up_to_y_up(raw_mm / 1000.0)
    try:
        pos, joints, notes = joint_centres_from_markers(xyz, names)
    except MotionDataError as exc:
        raise MotionFileError(path, str(exc)) from None
    if keep_markers:
        pos = np.concatenate([pos, xyz], axis=1)
        joints = (*joints, *(MARKER_PREFIX + n for n in names))
    fps_note = ("UI-PRMD files carry no timestamps: fps is the documented assumption of "
                f"{DEFAULT_FPS:g} Hz (UI-PRMD Vicon rate as commonly cited for Vakanski et al. "
                "2018, doi:10.3390/data3010002)" if rate == DEFAULT_FPS else
                f"UI-PRMD files carry no timestamps: fps={rate:g} Hz as given by the caller")
    gap_notes = [_gap_note(gaps, names)] if gaps.any() else []
    return build_motion(
        path, pos, joints, rate, fmt=FORMAT, original_units="mm", original_up_axis="z",
        original_joint_names=names, notes=(fps_note, *gap_notes, *notes),
        extra={"n_markers": len(names), "markers_kept": keep_markers,
               "marker_gaps": int(gaps.sum())})


__all__ = ["DEFAULT_FPS", "FORMAT", "MARKER_PREFIX", "read", "sniff"]
