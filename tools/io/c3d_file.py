"""C3D marker files (Vicon, Qualisys, Motion Analysis...) through the ``c3d`` package.

The module is called ``c3d_file`` so that it does not shadow the ``c3d``
package it uses (pure Python, the ``c3d`` extra: ``pip install 'sportsgpt[c3d]'``).

What the reader does:

* point coordinates are scaled from ``POINT:UNITS`` (``mm``, ``cm``, ``m``) to
  metres; the frame rate is ``POINT:RATE``;
* a sample whose residual is negative is invalid (C3D convention) -> NaN;
* labels (``POINT:LABELS``, ``LABELS2``...) are stripped; a Vicon subject
  prefix (``Jim:LASI``) is dropped;
* the vertical axis is ``POINT:Y_SCREEN`` (the axis drawn upwards on screen,
  ``+Z`` in Vicon files) and the horizontal one ``POINT:X_SCREEN``; the data
  are rotated so that this axis becomes +Y. Without these parameters Z up is
  assumed (the usual lab convention) and a note says so;
* markers become canonical joints with
  :func:`sportsgpt.tools.io.trc.markers_to_joints` (Plug-in-Gait sets via
  :mod:`sportsgpt.tools.markers`, joint-named labels via the alias table).

Anything the ``c3d`` package raises on a corrupt file becomes a
:class:`~sportsgpt.core.errors.MotionFileError` naming the file.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from sportsgpt.core.errors import MissingDependencyError, MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import (
    MAX_DECLARED_FRAMES,
    build_motion,
    check_fps,
    check_samples,
    read_bytes,
)
from sportsgpt.tools.io.trc import markers_to_joints
from sportsgpt.tools.motion import FloatArray, MotionSequence

C3D_MAGIC: Final[int] = 0x50
"""Second byte of every C3D file (the spec's "key" value 80)."""

C3D_UNITS: Final[dict[str, float]] = {"mm": 1e-3, "cm": 1e-2, "m": 1.0}
"""``POINT:UNITS`` values -> factor to metres."""

MAX_LABEL_ELEMENTS: Final[int] = 1_000_000
"""A label parameter claiming more characters than this is treated as corrupt."""


def sniff(head: bytes) -> bool:
    """Whether bytes start like a C3D file.

    Byte 2 of the header is the key 0x50; byte 1 points to the first
    parameter block, which follows the 512-byte header, so it is at least 2.
    """
    return len(head) >= 2 and head[1] == C3D_MAGIC and head[0] >= 2


@dataclass
class RawC3D:
    """What the reader takes from the ``c3d`` package, before any interpretation."""

    rate: float
    declared_frames: int
    points: FloatArray  # (T, M, 4): x, y, z, residual
    labels: list[str]
    units: str | None
    screen: tuple[str, str] | None


def _decode(raw: bytes) -> str:
    """Decode a C3D string (UTF-8, else Latin-1), blanks and NULs stripped."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.replace("\x00", " ").strip()


def _strings(param: Any, path: Path, name: str) -> list[str]:
    """Decode the strings of a character parameter (dimensions: length, count, ...)."""
    dims = [int(d) for d in param.dimensions]
    data = bytes(param.bytes)
    if not dims:
        return [_decode(data)]
    width = dims[0]
    count = math.prod(dims[1:])
    if width * count > min(len(data), MAX_LABEL_ELEMENTS):
        raise MotionFileError(path, f"parameter dimensions {dims} do not fit its "
                                    f"{len(data)} bytes", field=name)
    return [_decode(data[i * width:(i + 1) * width]) for i in range(count)]


def _corrupt(path: Path, exc: Exception) -> MotionFileError:
    """Wrap anything the ``c3d`` package raised into a file error."""
    return MotionFileError(path, f"corrupt or unsupported C3D file ({type(exc).__name__}: {exc})")


_PARAMS: Final[tuple[str, ...]] = ("POINT:UNITS", "POINT:X_SCREEN", "POINT:Y_SCREEN",
                                    *(f"POINT:LABELS{k if k > 1 else ''}" for k in range(1, 100)))


def _open(path: Path, limits: InputLimits | None) -> tuple[Any, float, int, int, dict[str, Any]]:
    """Parse header and parameters: reader, rate, points per frame, frames, parameters."""
    try:
        import c3d
    except ImportError:
        raise MissingDependencyError("c3d", "c3d", "reading C3D files") from None
    handle = io.BytesIO(read_bytes(path, limits))  # in memory: huge declared reads cannot allocate
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = c3d.Reader(handle)
            params = {name: reader.get(name) for name in _PARAMS}
            return (reader, float(reader.point_rate), int(reader.point_used),
                    int(reader.frame_count), params)
    except Exception as exc:  # the c3d package signals corrupt input with anything
        raise _corrupt(path, exc) from None


def _frames(reader: Any, path: Path) -> list[FloatArray]:
    """Each frame's ``(M, 4)`` x, y, z, residual, as the ``c3d`` package decodes them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [p[:, :4].astype(np.float64)
                    for _, p, _ in reader.read_frames(copy=True, analog_transform=False)]
    except Exception as exc:  # the c3d package signals corrupt input with anything
        raise _corrupt(path, exc) from None


def _load(path: Path, limits: InputLimits | None) -> RawC3D:
    """Read the file with the ``c3d`` package; its failures become MotionFileError."""
    reader, rate, used, declared, params = _open(path, limits)
    if used == 0:
        raise MotionFileError(path, "no 3D points (POINT:USED = 0)", field="POINT:USED")
    if not 0 < declared <= MAX_DECLARED_FRAMES:
        raise MotionFileError(path, f"implausible frame count {declared}", field="POINT:FRAMES")
    check_samples(path, (declared, used, 4), "the header (frames x POINT:USED x 4)", limits,
                  field="POINT:FRAMES")
    strings = {name: _strings(p, path, name) for name, p in params.items() if p is not None}
    labels = [lab for name in _PARAMS if name.startswith("POINT:LABELS")
              for lab in strings.get(name, [])]
    frames = _frames(reader, path)
    points = np.stack(frames) if frames else np.zeros((0, used, 4))
    first = {name: (v[0] if v else "") for name, v in strings.items()}
    x_screen, y_screen = first.get("POINT:X_SCREEN"), first.get("POINT:Y_SCREEN")
    screen = (x_screen, y_screen) if x_screen is not None and y_screen is not None else None
    return RawC3D(rate=rate, declared_frames=declared, points=points, labels=labels,
                  units=first.get("POINT:UNITS"), screen=screen)


def _axis(code: str, path: Path, name: str) -> FloatArray:
    """Return the unit vector of a screen-axis code such as ``+Z`` or ``-Y``."""
    text = code.strip().upper()
    if len(text) == 1:
        text = "+" + text
    if len(text) != 2 or text[0] not in "+-" or text[1] not in "XYZ":
        raise MotionFileError(path, f"screen axis {code!r} is not one of +X, -X, +Y, ... -Z",
                              field=name)
    vec = np.zeros(3)
    vec["XYZ".index(text[1])] = 1.0 if text[0] == "+" else -1.0
    return vec


def screen_rotation(x_screen: str, y_screen: str, path: Path) -> FloatArray:
    """Rotation taking file coordinates to the project frame (Y_SCREEN -> +Y, X_SCREEN -> +X).

    The rows of the matrix are the file's screen-right axis, screen-up axis and
    their cross product (right-handed). ``+X``/``+Z`` (Vicon) gives
    ``(x, y, z) -> (x, z, -y)``, the same as
    :func:`sportsgpt.tools.io._common.z_up_to_y_up`.
    """
    right = _axis(x_screen, path, "POINT:X_SCREEN")
    up = _axis(y_screen, path, "POINT:Y_SCREEN")
    if abs(float(right @ up)) > 0.5:
        raise MotionFileError(path, f"X_SCREEN {x_screen!r} and Y_SCREEN {y_screen!r} name "
                                    "the same axis", field="POINT:X_SCREEN")
    return np.stack([right, up, np.cross(right, up)])


def _orientation(raw: RawC3D, path: Path) -> tuple[FloatArray, str, list[str]]:
    """Rotation to Y up, the file's up axis and a note."""
    if raw.screen is None:
        return (screen_rotation("+X", "+Z", path), "z",
                ["no POINT:X_SCREEN/Y_SCREEN: Z up assumed (lab convention), rotated to Y up"])
    rot = screen_rotation(raw.screen[0], raw.screen[1], path)
    up = raw.screen[1].strip().lower().lstrip("+")
    return rot, up, [f"up axis from POINT:Y_SCREEN = {raw.screen[1]!r}, rotated to Y up"]


def _scale(units: str | None, path: Path) -> tuple[float, str, list[str]]:
    """Factor to metres from ``POINT:UNITS`` (mm assumed, with a note, when absent)."""
    if units is None or not units.strip():
        return 1e-3, "mm", ["no POINT:UNITS: millimetres assumed (C3D default)"]
    key = units.strip().lower()
    if key not in C3D_UNITS:
        raise MotionFileError(path, f"unknown units {units!r} (expected mm, cm or m)",
                              field="POINT:UNITS")
    return C3D_UNITS[key], key, []


def _label_list(labels: list[str], n: int) -> tuple[list[str], list[str]]:
    """Exactly ``n`` labels: extra ones dropped, missing or empty ones named ``point<i>``."""
    out = labels[:n] + [""] * max(0, n - len(labels))
    notes = []
    blank = [i for i, lab in enumerate(out) if not lab]
    if blank:
        notes.append(f"{len(blank)} point(s) without a label named point<index>")
    return [lab or f"point{i + 1}" for i, lab in enumerate(out)], notes


def read(path: Path, *, keep_markers: bool = False,
         limits: InputLimits | None = None) -> MotionSequence:
    """Read a C3D file's 3D points into canonical joints (metres, Y up).

    Args:
        path: the ``.c3d`` file.
        keep_markers: also keep markers that are not joints, as ``marker:<label>``.
        limits: input size limits; the header's frames x points x 4 is checked
            against them before any frame is decoded.

    Raises:
        MissingDependencyError: the ``c3d`` package is not installed.
        InputTooLargeError: the file, or the array its header declares, is above the limits.
        MotionFileError: corrupt or truncated file, unknown units or axes, or
            no point that maps to a joint.
    """
    path = Path(path)
    raw = _load(path, limits)
    fps = check_fps(raw.rate, path, field="POINT:RATE")
    if raw.points.shape[0] < raw.declared_frames:
        raise MotionFileError(path, f"data section holds {raw.points.shape[0]} of the "
                                    f"{raw.declared_frames} frames the header declares "
                                    "(truncated file?)")
    scale, units, notes = _scale(raw.units, path)
    rot, up, more = _orientation(raw, path)
    labels, label_notes = _label_list(raw.labels, raw.points.shape[1])
    xyz = raw.points[..., :3] * scale
    xyz[raw.points[..., 3] < 0] = np.nan
    xyz = np.einsum("ij,tmj->tmi", rot, xyz)
    invalid = float(np.isnan(xyz[..., 0]).mean())
    pos, joints, map_notes = markers_to_joints(path, xyz, labels, keep_markers=keep_markers)
    notes += more + label_notes + [f"{invalid:.1%} of marker samples invalid (residual < 0)"]
    return build_motion(path, pos, joints, fps, fmt="c3d", original_units=units,
                        original_up_axis=up, original_joint_names=labels,
                        notes=notes + map_notes,
                        extra={"declared_frames": raw.declared_frames})
