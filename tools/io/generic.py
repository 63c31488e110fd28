"""Generic positions layouts: CSV, NumPy ``.npy`` and NumPy ``.npz``.

These are the formats to use when a motion comes from a tool SportsGPT has no
dedicated reader for. Coordinates end up in metres (or pixels for 2D data),
Y up, NaN for missing samples (see :mod:`sportsgpt.tools.motion`).

CSV (:func:`read_csv`)
    A header row, then one row per frame. Comma, tab or semicolon separated
    (the delimiter is the one most frequent in the header line). Lines
    starting with ``#`` and blank lines are skipped. Columns:

    * ``time`` or ``time_s`` (optional, seconds): the frame rate is derived
      from it when ``fps=`` is not given; the times must be increasing and
      uniform (within a quarter of a frame);
    * ``frame`` (optional): a frame counter, ignored;
    * ``<joint>_x``, ``<joint>_y`` and, for 3D data, ``<joint>_z`` for every
      joint. All joints have the same set of axes; a file without any ``_z``
      column is 2D. Empty cells and ``nan`` are missing samples.

    Any other column is an error. Joint names are used as written (canonical
    names such as ``left_knee`` are what the analysis modules look for).

NPY (:func:`read_npy`)
    One float or integer array of shape ``(T, J, D)``, ``D`` 2 or 3. The file
    holds no metadata, so ``fps=`` and ``joints=`` (J names, a sequence or one
    comma-separated string) are required options.

NPZ (:func:`read_npz`)
    An archive with the keys ``positions`` ``(T, J, D)`` (required),
    ``joint_names`` or ``joints`` (J strings), ``fps`` (scalar) and optionally
    ``units`` (string), ``up_axis`` (string) and ``confidence`` ``(T, J)`` in
    [0, 1]. A keyword option given to the reader replaces the archive's value
    (noted in ``SourceInfo.notes`` when they differ); ``units`` defaults to
    ``"m"`` and ``up_axis`` to ``"y"``. Archives whose joint names are CMU
    ASF bone names (they include ``root``, as in the CMU cross-check files)
    are mapped to canonical joints with
    :data:`~sportsgpt.tools.skeleton.CMU_ASF_TO_CANONICAL`.

Common options: ``units`` is one of ``m``, ``cm``, ``mm`` (converted to
metres) or ``px`` (2D only); ``up_axis`` is ``"y"`` or ``"z"`` (3D data with
Z up is rotated to Y up; 2D data must already have y pointing up); ``view``
(2D only) is ``"sagittal"``, ``"frontal"`` or ``"unknown"``.

Arrays are always loaded with ``allow_pickle=False``; a header that declares
more data than the file holds is rejected before anything is allocated.
"""

from __future__ import annotations

import csv
import io
import math
import tokenize
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

import numpy as np
import numpy.typing as npt

from sportsgpt.core.errors import MissingReaderOptionError, MotionFileError
from sportsgpt.core.settings import InputLimits
from sportsgpt.tools.io._common import (
    DEFAULT_LIMITS,
    MAX_DECLARED_FRAMES,
    build_motion,
    check_file,
    check_fps,
    check_samples,
    check_view_2d,
    map_to_canonical,
    parse_float,
    read_text,
    too_many_bytes,
    z_up_to_y_up,
)
from sportsgpt.tools.motion import FloatArray, MotionSequence, Units, View
from sportsgpt.tools.skeleton import CMU_ASF_TO_CANONICAL

UNIT_SCALE: Final[dict[str, float]] = {"m": 1.0, "cm": 0.01, "mm": 0.001}
"""Length units accepted for positions and their factor to metres."""

_UNIT_ALIASES: Final[dict[str, str]] = {
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "cm": "cm", "centimeters": "cm", "centimetres": "cm",
    "mm": "mm", "millimeters": "mm", "millimetres": "mm",
    "px": "px", "pixel": "px", "pixels": "px",
}

CMU_ASF_BONES: Final[frozenset[str]] = frozenset({
    "root", "lhipjoint", "rhipjoint", "lowerback", "lfemur", "rfemur", "upperback",
    "ltibia", "rtibia", "thorax", "lfoot", "rfoot", "lowerneck", "lclavicle", "rclavicle",
    "ltoes", "rtoes", "upperneck", "lhumerus", "rhumerus", "head", "lradius", "rradius",
    "lwrist", "rwrist", "lhand", "lthumb", "rhand", "rthumb", "lfingers", "rfingers",
})
"""The 31 point names of a CMU ASF skeleton (root plus the distal end of each bone)."""

TIME_COLUMNS: Final[frozenset[str]] = frozenset({"time", "time_s"})
FRAME_COLUMNS: Final[frozenset[str]] = frozenset({"frame"})
_AXES: Final[tuple[str, ...]] = ("x", "y", "z")
_NPY_MAGIC: Final[bytes] = b"\x93NUMPY"
_ZIP_MAGIC: Final[bytes] = b"PK\x03\x04"
_NUMPY_ERRORS = (ValueError, TypeError, OSError, EOFError, zlib.error, zipfile.BadZipFile,
                 zipfile.LargeZipFile, NotImplementedError, RuntimeError, KeyError,
                 UnicodeError, OverflowError, SyntaxError, tokenize.TokenError)
"""What NumPy's header parser (which tokenises legacy headers) and zipfile raise on bad input."""


# --- shared helpers ------------------------------------------------------------

VIDEO_FPS: Final[tuple[float, ...]] = (
    24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0, 90.0, 100.0,
    120.0, 240.0,
)
"""Standard video frame rates that rounded time stamps are snapped to when they fit."""


def _snap_to_video_rate(times_s: FloatArray, dt: float, rounding_s: float) -> float | None:
    """The standard rate whose grid fits every rounded stamp best, if any fits."""
    steps = np.arange(times_s.size)
    spread = {rate: float(np.ptp(times_s - steps / rate)) for rate in VIDEO_FPS
              if abs(rate * dt - 1.0) <= 0.05}
    fits = [rate for rate, s in spread.items() if s <= 2 * rounding_s + 1e-9]
    return min(fits, key=spread.__getitem__) if fits else None


def fps_from_times(times_s: FloatArray, path: Path, *, field: str,
                   rounding_s: float = 0.0) -> float:
    """Frame rate of uniformly spaced time stamps (seconds).

    The stamps must be finite and strictly increasing, and each must lie within
    a quarter of a frame (plus ``rounding_s``, the stamps' print resolution)
    of a uniform grid; a dropped frame or a variable rate is an error. With
    ``rounding_s`` > 0, a standard video rate (:data:`VIDEO_FPS`) whose grid
    fits every stamp within the rounding is returned exactly (30 rather than
    30.08 from millisecond stamps).

    Example:
        >>> fps_from_times(np.array([0.0, 0.01, 0.02]), Path("x.csv"), field="time")
        100.0
    """
    if times_s.size < 2:
        raise MissingReaderOptionError(path, "one frame cannot give a frame rate", "fps",
                                       field=field)
    if not np.isfinite(times_s).all():
        bad = int(np.flatnonzero(~np.isfinite(times_s))[0])
        raise MotionFileError(path, f"time stamp of frame {bad} is missing or not finite",
                              field=field)
    steps = np.diff(times_s)
    if (steps <= 0).any():
        bad = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise MotionFileError(path, f"time stamps do not increase at frame {bad}", field=field)
    dt = float(times_s[-1] - times_s[0]) / (times_s.size - 1)
    if rounding_s > 0:
        snapped = _snap_to_video_rate(times_s, dt, rounding_s)
        if snapped is not None:
            return snapped
    grid = times_s[0] + dt * np.arange(times_s.size)
    deviation = np.abs(times_s - grid)
    if deviation.max() > 0.25 * dt + rounding_s:
        bad = int(np.argmax(deviation))
        raise MissingReaderOptionError(
            path, f"time stamps are not uniform (frame {bad} is {deviation[bad]:.4g} s off a "
                  f"{dt:.4g} s grid): resample the data, or", "fps", field=field)
    return check_fps(1.0 / dt, path, field=field)


def normalise_units(units: object, path: Path, *, field: str = "units") -> str:
    """Canonical spelling of a length unit (``m``, ``cm``, ``mm`` or ``px``)."""
    key = str(units).strip().lower() if isinstance(units, str) else None
    if key is None or key not in _UNIT_ALIASES:
        raise MotionFileError(path, f"unknown units {units!r}; use one of m, cm, mm, px",
                              field=field)
    return _UNIT_ALIASES[key]


def _check_option_fps(fps: object, path: Path) -> float:
    if isinstance(fps, bool) or not isinstance(fps, int | float):
        raise MotionFileError(path, f"fps must be a number, got {fps!r}", field="fps")
    return check_fps(float(fps), path)


def _up_axis(up_axis: object, path: Path, dim: int) -> str:
    axis = up_axis.strip().lower() if isinstance(up_axis, str) else None
    if axis not in ("y", "z"):
        raise MotionFileError(path, f"up_axis must be 'y' or 'z', got {up_axis!r}",
                              field="up_axis")
    if dim == 2 and axis != "y":
        raise MotionFileError(path, "2D data must have y pointing up (up_axis='y')",
                              field="up_axis")
    return axis


def _view(view: object, path: Path, dim: int) -> View:
    if dim == 3:
        if view not in ("unknown", "3d"):
            raise MotionFileError(path, f"view={view!r} applies to 2D data only; this file is 3D",
                                  field="view")
        return "3d"
    return check_view_2d(view, path)


@dataclass(frozen=True)
class _ArrayMotion:
    """Raw arrays and metadata on their way to :func:`build_motion`."""

    positions: FloatArray
    joints: tuple[str, ...]
    fps: float
    units: str
    up_axis: str
    view: object
    confidence: FloatArray | None = None
    notes: tuple[str, ...] = ()


def _finish(path: Path, data: _ArrayMotion, fmt: str) -> MotionSequence:
    """Convert units and axes, map CMU names, validate, wrap."""
    pos = np.asarray(data.positions, dtype=np.float64)
    if np.isinf(pos).any():
        t, j = (int(v) for v in np.argwhere(np.isinf(pos))[0][:2])
        raise MotionFileError(path, f"infinite value at frame {t}, joint {data.joints[j]!r}",
                              field="positions")
    dim = pos.shape[2]
    units = normalise_units(data.units, path)
    axis = _up_axis(data.up_axis, path, dim)
    view = _view(data.view, path, dim)
    out_units: Units = "m"
    if units == "px":
        if dim != 2:
            raise MotionFileError(path, "units 'px' apply to 2D data only", field="units")
        out_units = "px"
    else:
        pos = pos * UNIT_SCALE[units]
    if axis == "z":
        pos = z_up_to_y_up(pos)
    joints, conf = data.joints, data.confidence
    notes = list(data.notes)
    if "root" in joints and set(joints) <= CMU_ASF_BONES:
        pos, joints, conf = map_to_canonical(pos, joints, CMU_ASF_TO_CANONICAL, conf)
        notes.append("CMU ASF bone names mapped to canonical joints "
                     "(each point is the distal end of its bone)")
    return build_motion(path, pos, joints, data.fps, fmt=fmt, units=out_units, view=view,
                        confidence=conf, original_units=units, original_up_axis=axis,
                        original_joint_names=data.joints, notes=notes)


# --- CSV -----------------------------------------------------------------------

def _first_line(head: bytes) -> str:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff")
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return ""


def csv_delimiter(text: str) -> str:
    """The delimiter (comma, tab or semicolon) most frequent in the first data line."""
    header = _first_line(text[:65536].encode())
    return max((",", "\t", ";"), key=header.count)


def sniff_csv(head: bytes) -> bool:
    """Whether a file starts with a generic ``<joint>_x,<joint>_y`` header."""
    line = _first_line(head)
    cols = [c.strip().lower() for c in line.split(csv_delimiter(line))]
    if any(c.endswith("_visibility") for c in cols):
        return False
    stems_x = {c[:-2] for c in cols if c.endswith("_x")}
    stems_y = {c[:-2] for c in cols if c.endswith("_y")}
    return bool(stems_x & stems_y)


@dataclass(frozen=True)
class _CsvLayout:
    time_col: int | None
    joints: tuple[str, ...]
    columns: npt.NDArray[np.intp]  # (J, D) column index of each joint axis


def _csv_layout(names: list[str], path: Path, line: int) -> _CsvLayout:
    time_col: int | None = None
    axes: dict[str, dict[str, int]] = {}
    seen: set[str] = set()
    for i, raw in enumerate(names):
        name = raw.strip()
        low = name.lower()
        if not name:
            raise MotionFileError(path, f"column {i + 1} has no name", line=line)
        if low in seen:
            raise MotionFileError(path, f"duplicate column {name!r}", line=line, field=name)
        seen.add(low)
        if low in TIME_COLUMNS:
            if time_col is not None:
                raise MotionFileError(path, "more than one time column", line=line, field=name)
            time_col = i
            continue
        if low in FRAME_COLUMNS:
            continue
        joint, _, axis = name.rpartition("_")
        if not joint or axis.lower() not in _AXES:
            raise MotionFileError(path, f"column {name!r} is neither time/time_s/frame nor "
                                        "<joint>_x/_y/_z", line=line, field=name)
        axes.setdefault(joint, {})[axis.lower()] = i
    if not axes:
        raise MotionFileError(path, "no <joint>_x/<joint>_y columns in the header", line=line)
    dim = 3 if any("z" in a for a in axes.values()) else 2
    want = _AXES[:dim]
    for joint, have in axes.items():
        missing = [f"{joint}_{a}" for a in want if a not in have]
        if missing:
            raise MotionFileError(path, f"joint {joint!r} lacks column(s) {missing}",
                                  line=line, field=joint)
    joints = tuple(axes)
    cols = np.array([[axes[j][a] for a in want] for j in joints], dtype=np.intp)
    return _CsvLayout(time_col, joints, cols)


def iter_csv_rows(text: str, path: Path, delim: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank, non-comment CSV rows with their line numbers (errors as file errors)."""
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for row in reader:
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            yield reader.line_num, row
    except csv.Error as exc:
        raise MotionFileError(path, f"malformed CSV: {exc}", line=reader.line_num) from None


def _cell(token: str, path: Path, line: int, field: str) -> float:
    token = token.strip()
    return math.nan if not token else parse_float(token, path, line=line, field=field)


def _fast_body(text: str, header_line: int, delim: str, n_cols: int) -> FloatArray | None:
    """All data rows through numpy's C parser, or None when the careful path is needed.

    The careful row-by-row path (empty cells as NaN, errors with line numbers)
    runs whenever this one cannot parse the body exactly: it is an optimisation
    for well-formed files, never a different reading.
    """
    body = text.split("\n", header_line)[-1] if header_line else text
    if not body.strip():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = np.loadtxt(io.StringIO(body), delimiter=delim, comments="#", ndmin=2,
                               dtype=np.float64)
    except ValueError:
        return None
    if table.shape[1] != n_cols or np.isinf(table).any() or len(table) > MAX_DECLARED_FRAMES:
        return None
    return table


def _csv_table(path: Path, limits: InputLimits | None
               ) -> tuple[_CsvLayout, FloatArray, FloatArray | None]:
    text = read_text(path, limits)
    delim = csv_delimiter(text)
    rows = iter_csv_rows(text, path, delim)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise MotionFileError(path, "no header row") from None
    layout = _csv_layout(header, path, header_line)
    table = _fast_body(text, header_line, delim, len(header)) if delim != " " else None
    if table is not None and len(table):
        fast = table[:, layout.columns.ravel()].reshape(len(table), *layout.columns.shape)
        fast_times = table[:, layout.time_col] if layout.time_col is not None else None
        return layout, np.ascontiguousarray(fast), fast_times
    frames: list[list[float]] = []
    times: list[float] = []
    flat_cols = layout.columns.ravel()
    for line, row in rows:
        if len(row) != len(header):
            raise MotionFileError(path, f"{len(row)} fields, the header has {len(header)}",
                                  line=line)
        frames.append([_cell(row[c], path, line, header[c]) for c in flat_cols])
        if layout.time_col is not None:
            times.append(_cell(row[layout.time_col], path, line, header[layout.time_col]))
        if len(frames) > MAX_DECLARED_FRAMES:
            raise MotionFileError(path, "too many rows", line=line)
    if not frames:
        raise MotionFileError(path, "no data rows after the header", line=header_line)
    values = np.array(frames, dtype=np.float64).reshape(len(frames), *layout.columns.shape)
    time_arr = np.array(times, dtype=np.float64) if layout.time_col is not None else None
    return layout, values, time_arr


def read_csv(path: Path, *, fps: float | None = None, units: str = "m", up_axis: str = "y",
             view: str = "unknown", limits: InputLimits | None = None) -> MotionSequence:
    """Read a generic positions CSV (layout in the module docstring).

    Args:
        path: the CSV file.
        fps: frame rate in Hz; required when the file has no ``time`` column,
            otherwise it replaces the rate derived from the time stamps.
        units: ``m``, ``cm``, ``mm`` or (2D) ``px``.
        up_axis: ``y`` or (3D) ``z``.
        view: for 2D data, ``sagittal``, ``frontal`` or ``unknown``.
        limits: input size limits (default :class:`InputLimits`).
    """
    path = Path(path)
    layout, values, times = _csv_table(path, limits)
    notes: list[str] = []
    if fps is not None:
        rate = _check_option_fps(fps, path)
        if times is not None and times.size >= 2:
            notes.append(f"fps={rate:g} given; the time column was not used")
    elif times is not None:
        rate = fps_from_times(times, path, field="time")
    else:
        raise MissingReaderOptionError(path, "the file has no time column", "fps", field="fps")
    return _finish(path, _ArrayMotion(values, layout.joints, rate, units, up_axis, view,
                                      notes=tuple(notes)), "csv")


# --- NPY / NPZ -----------------------------------------------------------------

def sniff_npy(head: bytes) -> bool:
    """Whether a file starts with the NumPy ``.npy`` magic."""
    return head.startswith(_NPY_MAGIC)


def sniff_npz(head: bytes) -> bool:
    """Whether a file is a zip archive whose first member is a ``.npy`` array."""
    return head.startswith(_ZIP_MAGIC) and b".npy" in head[:512]


@dataclass(frozen=True)
class _NpyHeader:
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    nbytes: int


def _npy_header(fp: IO[bytes], path: Path, available: int, what: str,
                limits: InputLimits | None) -> _NpyHeader:
    """Parse a ``.npy`` header and check the array it declares, without reading the data.

    The declared shape is held to ``limits.max_samples`` first, then its bytes to
    ``available`` (what the file or archive member really holds).
    """
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise MotionFileError(path, f"unsupported .npy format version {version}", field=what)
        header_len = fp.tell()
    except MotionFileError:
        raise
    except _NUMPY_ERRORS as exc:
        raise MotionFileError(path, f"corrupt .npy header: {exc}", field=what) from None
    if any(d < 0 for d in shape):
        raise MotionFileError(path, f"negative dimension in shape {shape}", field=what)
    if dtype.hasobject or dtype.kind not in "fiuUS":
        raise MotionFileError(path, f"unsupported array dtype {dtype}", field=what)
    check_samples(path, shape, f"the {what!r} array header", limits, field=what)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > available - header_len:
        raise MotionFileError(path, f"header declares shape {shape} ({nbytes} bytes) but only "
                                    f"{max(available - header_len, 0)} bytes follow", field=what)
    return _NpyHeader(tuple(shape), dtype, nbytes)


def _check_positions_header(hdr: _NpyHeader, path: Path) -> None:
    if len(hdr.shape) != 3 or hdr.shape[2] not in (2, 3):
        raise MotionFileError(path, f"positions must have shape (T, J, 2|3), got {hdr.shape}",
                              field="positions")
    if hdr.dtype.kind not in "fiu":
        raise MotionFileError(path, f"positions must be numeric, got dtype {hdr.dtype}",
                              field="positions")
    if hdr.shape[0] > MAX_DECLARED_FRAMES:
        raise MotionFileError(path, f"{hdr.shape[0]} frames is above the limit",
                              field="positions")


def _joint_names(joints: object, path: Path, n: int, field: str) -> tuple[str, ...]:
    if isinstance(joints, str):
        names = tuple(j.strip() for j in joints.split(","))
    elif isinstance(joints, Sequence | np.ndarray):
        names = tuple(str(j).strip() for j in joints)
    else:
        raise MotionFileError(path, f"joint names must be a sequence of strings, got "
                                    f"{type(joints).__name__}", field=field)
    if len(names) != n:
        raise MotionFileError(path, f"{len(names)} joint names for {n} joints in the array",
                              field=field)
    if any(not j for j in names) or len(set(names)) != n:
        raise MotionFileError(path, "joint names must be non-empty and unique", field=field)
    return names


def read_npy(path: Path, *, fps: float | None = None, joints: Sequence[str] | str | None = None,
             units: str = "m", up_axis: str = "y", view: str = "unknown",
             limits: InputLimits | None = None) -> MotionSequence:
    """Read a ``(T, J, D)`` NumPy array; ``fps`` and ``joints`` are required.

    Args:
        path: the ``.npy`` file.
        fps: frame rate in Hz (required).
        joints: the J joint names, in array order (a sequence or a
            comma-separated string; required).
        units: ``m``, ``cm``, ``mm`` or (2D) ``px``.
        up_axis: ``y`` or (3D) ``z``.
        view: for 2D data, ``sagittal``, ``frontal`` or ``unknown``.
        limits: input size limits, checked on the array header before loading.
    """
    path = check_file(Path(path), limits)
    if fps is None:
        raise MissingReaderOptionError(path, ".npy files hold no frame rate", "fps", field="fps")
    if joints is None:
        raise MissingReaderOptionError(path, ".npy files hold no joint names", "joints",
                                       field="joints")
    rate = _check_option_fps(fps, path)
    try:
        with path.open("rb") as fp:
            hdr = _npy_header(fp, path, path.stat().st_size, "positions", limits)
    except OSError as exc:
        raise MotionFileError(path, f"cannot read file: {exc.strerror}") from None
    _check_positions_header(hdr, path)
    names = _joint_names(joints, path, hdr.shape[1], "joints")
    try:
        arr = np.load(path, allow_pickle=False)
    except _NUMPY_ERRORS as exc:
        raise MotionFileError(path, f"cannot load array: {exc}") from None
    return _finish(path, _ArrayMotion(np.asarray(arr, dtype=np.float64), names, rate, units,
                                      up_axis, view), "npy")


def _npz_headers(path: Path, limits: InputLimits) -> dict[str, _NpyHeader]:
    """Check every ``.npy`` member's header against its size and the limits before loading."""
    headers: dict[str, _NpyHeader] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                key = info.filename.removesuffix(".npy")
                if info.file_size > limits.max_file_bytes:
                    raise too_many_bytes(path, f"archive member {info.filename!r} inflates to "
                                               f"{info.file_size} bytes", limits, field=key)
                with zf.open(info) as fp:
                    headers[key] = _npy_header(fp, path, info.file_size, key, limits)
    except MotionFileError:
        raise
    except _NUMPY_ERRORS as exc:
        raise MotionFileError(path, f"not a readable .npz archive: {exc}") from None
    return headers


def _npz_string(value: npt.NDArray[Any], path: Path, key: str) -> str:
    if value.dtype.kind not in "US" or value.size != 1:
        raise MotionFileError(path, f"expected one string, got {value.dtype} {value.shape}",
                              field=key)
    item = value.reshape(()).item()
    return item.decode("utf-8", errors="replace") if isinstance(item, bytes) else str(item)


def _npz_scalar(value: npt.NDArray[Any], path: Path, key: str) -> float:
    if value.dtype.kind not in "fiu" or value.size != 1:
        raise MotionFileError(path, f"expected one number, got {value.dtype} {value.shape}",
                              field=key)
    return float(value.reshape(()))


def _npz_arrays(path: Path, limits: InputLimits | None) -> dict[str, npt.NDArray[Any]]:
    lim = limits or DEFAULT_LIMITS
    check_file(path, lim)
    headers = _npz_headers(path, lim)
    if "positions" not in headers:
        raise MotionFileError(path, f"no 'positions' array (keys: {sorted(headers)})",
                              field="positions")
    _check_positions_header(headers["positions"], path)
    wanted = ("positions", "joint_names", "joints", "fps", "units", "up_axis", "confidence")
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: np.asarray(npz[k]) for k in wanted if k in headers}
    except _NUMPY_ERRORS as exc:
        raise MotionFileError(path, f"cannot load archive: {exc}") from None


def _pick(option: object, stored: object, default: object, name: str,
          notes: list[str]) -> object:
    if option is None:
        return default if stored is None else stored
    if stored is not None and str(stored) != str(option):
        notes.append(f"{name}={option!r} given; the archive says {stored!r}")
    return option


def _npz_confidence(arrays: Mapping[str, npt.NDArray[Any]], path: Path,
                    shape: tuple[int, ...]) -> FloatArray | None:
    if "confidence" not in arrays:
        return None
    conf = arrays["confidence"]
    if conf.dtype.kind not in "fiu" or conf.shape != shape[:2]:
        raise MotionFileError(path, f"confidence must be numeric with shape {shape[:2]}, got "
                                    f"{conf.dtype} {conf.shape}", field="confidence")
    return np.asarray(conf, dtype=np.float64)


def read_npz(path: Path, *, fps: float | None = None, joints: Sequence[str] | str | None = None,
             units: str | None = None, up_axis: str | None = None,
             view: str = "unknown", limits: InputLimits | None = None) -> MotionSequence:
    """Read a NumPy archive of positions (keys in the module docstring).

    Args:
        path: the ``.npz`` file.
        fps: frame rate in Hz; required when the archive has no ``fps``.
        joints: joint names; required when the archive has no
            ``joint_names``/``joints``.
        units: replaces the archive's ``units`` (default ``m``).
        up_axis: replaces the archive's ``up_axis`` (default ``y``).
        view: for 2D data, ``sagittal``, ``frontal`` or ``unknown``.
        limits: input size limits, checked on the member headers before loading.
    """
    path = Path(path)
    arrays = _npz_arrays(path, limits)
    pos = arrays["positions"]
    notes: list[str] = []
    key = "joint_names" if "joint_names" in arrays else "joints"
    stored_joints = arrays.get(key)
    if stored_joints is not None and (stored_joints.dtype.kind not in "US"
                                      or stored_joints.ndim != 1):
        raise MotionFileError(path, f"joint names must be a 1-D string array, got "
                                    f"{stored_joints.dtype} {stored_joints.shape}", field=key)
    names_src = joints if joints is not None else stored_joints
    if names_src is None:
        raise MissingReaderOptionError(path, "the archive has no joint_names", "joints",
                                       field="joints")
    names = _joint_names(names_src, path, pos.shape[1], "joints" if joints is not None else key)
    stored_fps = _npz_scalar(arrays["fps"], path, "fps") if "fps" in arrays else None
    if fps is None and stored_fps is None:
        raise MissingReaderOptionError(path, "the archive has no fps", "fps", field="fps")
    rate = (_check_option_fps(fps, path) if fps is not None
            else check_fps(float(stored_fps or 0.0), path))
    stored_units = _npz_string(arrays["units"], path, "units") if "units" in arrays else None
    stored_up = _npz_string(arrays["up_axis"], path, "up_axis") if "up_axis" in arrays else None
    if fps is not None and stored_fps is not None and not math.isclose(rate, stored_fps):
        notes.append(f"fps={rate:g} given; the archive says {stored_fps:g}")
    data = _ArrayMotion(
        np.asarray(pos, dtype=np.float64), names, rate,
        str(_pick(units, stored_units, "m", "units", notes)),
        str(_pick(up_axis, stored_up, "y", "up_axis", notes)), view,
        _npz_confidence(arrays, path, pos.shape), tuple(notes))
    return _finish(path, data, "npz")


__all__ = [
    "CMU_ASF_BONES", "UNIT_SCALE", "VIDEO_FPS", "csv_delimiter", "fps_from_times", "iter_csv_rows",
    "normalise_units", "read_csv", "read_npy", "read_npz", "sniff_csv", "sniff_npy", "sniff_npz",
]
