"""Helpers every reader shares: safe file access, canonical mapping, axes."""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from sportsgpt.core.errors import InputTooLargeError, MotionFileError
from sportsgpt.core.settings import MAX_FILE_MB_ENV, MAX_SAMPLES_ENV, InputLimits
from sportsgpt.tools.motion import (
    MAX_FPS,
    MIN_FPS,
    FloatArray,
    MotionSequence,
    SourceInfo,
    Units,
    View,
)
from sportsgpt.tools.skeleton import canonical_order

DEFAULT_LIMITS = InputLimits()
"""The limits a reader applies when its caller gives none (the settings' defaults)."""

_GZIP_CHUNK = 1 << 18
"""Bytes inflated per step when a gzip stream is only measured (256 KiB)."""

MAX_DECLARED_FRAMES = 10_000_000
"""A header declaring more frames than this is treated as corrupt."""

HEAD_BYTES = 4096
"""How much of a file format sniffers look at."""


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / (1024 * 1024):.4g} MB"


def too_many_bytes(path: Path, found: str, limits: InputLimits, *,
                   field: str | None = None) -> InputTooLargeError:
    """The error for content above ``limits.max_file_bytes`` (names the setting)."""
    return InputTooLargeError(path, found, f"{_mb(limits.max_file_bytes)} "
                                           f"({limits.max_file_bytes} bytes)", MAX_FILE_MB_ENV,
                              field=field)


def check_samples(path: Path, dims: Sequence[int], what: str, limits: InputLimits | None, *,
                  line: int | None = None, field: str | None = None) -> None:
    """Refuse an array whose declared ``dims`` hold more than ``limits.max_samples`` values.

    Call it with the sizes a header declares, before anything of that size is allocated.
    """
    lim = limits or DEFAULT_LIMITS
    n = math.prod(int(d) for d in dims)
    if n > lim.max_samples:
        shape = " x ".join(str(int(d)) for d in dims)
        raise InputTooLargeError(path, f"{what} declares shape {shape} = {n} values",
                                 f"{lim.max_samples} values", MAX_SAMPLES_ENV,
                                 line=line, field=field)


def check_file(path: Path, limits: InputLimits | None = None) -> Path:
    """Check a path is a readable regular file within the size limit; return it.

    Raises:
        MotionFileError: missing, unreadable, not a regular file, or empty.
        InputTooLargeError: larger on disk than ``limits.max_file_bytes``.
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise MotionFileError(path, "file not found") from None
    except OSError as exc:
        raise MotionFileError(path, f"cannot access file: {exc.strerror}") from None
    if not path.is_file():
        raise MotionFileError(path, "not a regular file")
    if st.st_size == 0:
        raise MotionFileError(path, "file is empty")
    lim = limits or DEFAULT_LIMITS
    if st.st_size > lim.max_file_bytes:
        raise too_many_bytes(path, f"file is {_mb(st.st_size)} ({st.st_size} bytes) on disk",
                             lim)
    return path


def is_gzip(path: Path) -> bool:
    """Whether a file starts with the gzip magic (False when it cannot be read)."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    except OSError:
        return False


def _gunzip_capped(path: Path, cap: int, limits: InputLimits) -> bytes:
    """Inflate a gzip file, stopping with an error as soon as it passes ``cap`` bytes."""
    with gzip.open(path, "rb") as gz:
        raw = gz.read(cap + 1)
    if len(raw) > cap:
        raise too_many_bytes(path, f"gzip content inflates to more than {_mb(cap)}", limits)
    return raw


def check_gzip_size(path: Path, limits: InputLimits | None = None) -> None:
    """Measure a gzip stream chunk by chunk (memory: one chunk); refuse it past the cap.

    For readers that inflate the file themselves: the stream is decompressed once and
    thrown away, stopping at the first chunk that passes ``limits.max_file_bytes``.
    """
    lim = limits or DEFAULT_LIMITS
    total = 0
    try:
        with gzip.open(path, "rb") as gz:
            while chunk := gz.read(_GZIP_CHUNK):
                total += len(chunk)
                if total > lim.max_file_bytes:
                    raise too_many_bytes(path, "gzip content inflates to more than "
                                               f"{_mb(lim.max_file_bytes)}", lim)
    except (OSError, EOFError, zlib.error) as exc:
        raise MotionFileError(path, f"cannot read file: {exc}") from None


GZIP_MAGIC = b"\x1f\x8b"


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of a file, decompressed if it is gzip (for sniffing)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(n)
        if head.startswith(GZIP_MAGIC):
            with gzip.open(path, "rb") as gz:
                return gz.read(n)
        return head
    except (OSError, EOFError, zlib.error):
        return b""


def read_bytes(path: Path, limits: InputLimits | None = None) -> bytes:
    """Whole file as bytes, gunzipped when it starts with the gzip magic.

    The size on disk and the inflated size are both held to ``limits.max_file_bytes``;
    a gzip stream is inflated with that cap and never past it.

    Raises:
        MotionFileError: unreadable or corrupt file.
        InputTooLargeError: the file or its inflated content is above the limit.
    """
    lim = limits or DEFAULT_LIMITS
    check_file(path, lim)
    try:
        if is_gzip(path):
            return _gunzip_capped(path, lim.max_file_bytes, lim)
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise MotionFileError(path, f"cannot read file: {exc}") from None


def read_text(path: Path, limits: InputLimits | None = None) -> str:
    """Whole file as text (UTF-8, falling back to Latin-1 for legacy headers)."""
    raw = read_bytes(path, limits)
    if b"\x00" in raw[:HEAD_BYTES]:
        raise MotionFileError(path, "binary content where text was expected")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_float(token: str, path: Path, *, line: int | None = None,
                field: str | None = None) -> float:
    """Parse one number; NaN allowed, inf and garbage rejected with location."""
    try:
        value = float(token)
    except ValueError:
        raise MotionFileError(path, f"not a number: {token[:40]!r}", line=line,
                              field=field) from None
    if math.isinf(value):
        raise MotionFileError(path, f"infinite value {token!r}", line=line, field=field)
    return value


def check_fps(fps: float, path: Path, *, field: str = "fps", line: int | None = None) -> float:
    """Validate a frame rate (finite, in [MIN_FPS, MAX_FPS]: see :mod:`sportsgpt.tools.motion`)."""
    if not math.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise MotionFileError(path, f"implausible frame rate {fps!r} Hz (expected "
                                    f"{MIN_FPS:g} to {MAX_FPS:g} Hz)", line=line, field=field)
    return float(fps)


View2D = Literal["sagittal", "frontal", "oblique", "unknown"]


def check_view_2d(view: object, path: Path) -> View2D:
    """Validate a 2D ``view=`` reader option."""
    if view == "sagittal":
        return "sagittal"
    if view == "frontal":
        return "frontal"
    if view == "oblique":
        return "oblique"
    if view == "unknown":
        return "unknown"
    raise MotionFileError(path, "view must be 'sagittal', 'frontal', 'oblique' or 'unknown', "
                                f"got {view!r}",
                          field="view")


def z_up_to_y_up(xyz: FloatArray) -> FloatArray:
    """Rotate a Z-up right-handed frame to Y-up: ``(x, y, z) -> (x, z, -y)``."""
    out = np.empty_like(xyz)
    out[..., 0] = xyz[..., 0]
    out[..., 1] = xyz[..., 2]
    out[..., 2] = -xyz[..., 1]
    return out


def map_to_canonical(
    raw: FloatArray,
    names: Sequence[str],
    mapping: Mapping[str, str | tuple[str, ...]],
    confidence: FloatArray | None = None,
    *,
    keep_unmapped: bool = False,
) -> tuple[FloatArray, tuple[str, ...], FloatArray | None]:
    """Build canonical joints from source points.

    A mapping value that is a tuple averages those points (NaN if any is
    missing) and takes the minimum of their confidences. Canonical joints whose
    source points are absent are left out. With ``keep_unmapped``, source
    points not used by the mapping are appended under their source names.
    """
    index = {n: i for i, n in enumerate(names)}
    cols: list[FloatArray] = []
    confs: list[FloatArray] = []
    out_names: list[str] = []
    used: set[str] = set()
    for canon in canonical_order(list(mapping)):
        src = mapping[canon]
        parts = (src,) if isinstance(src, str) else src
        if not all(p in index for p in parts):
            continue
        idx = [index[p] for p in parts]
        used.update(parts)
        cols.append(raw[:, idx, :].mean(axis=1))
        if confidence is not None:
            confs.append(confidence[:, idx].min(axis=1))
        out_names.append(canon)
    if keep_unmapped:
        for n in names:
            if n in used:
                continue
            cols.append(raw[:, index[n], :])
            if confidence is not None:
                confs.append(confidence[:, index[n]])
            # a source point named like a canonical joint it does not stand for keeps
            # its data under a prefixed name instead of being dropped
            out_names.append(f"source:{n}" if n in out_names else n)
    if not cols:
        empty = np.zeros((raw.shape[0], 0, raw.shape[2]))
        return empty, (), None
    pos = np.stack(cols, axis=1)
    conf = np.stack(confs, axis=1) if confidence is not None else None
    return pos, tuple(out_names), conf


def build_motion(
    path: Path,
    positions: FloatArray,
    joints: Sequence[str],
    fps: float,
    *,
    fmt: str,
    units: Units = "m",
    view: View = "3d",
    confidence: FloatArray | None = None,
    original_units: str | None = None,
    original_up_axis: str | None = None,
    original_joint_names: Sequence[str] = (),
    notes: Sequence[str] = (),
    extra: Mapping[str, object] | None = None,
) -> MotionSequence:
    """Validate and wrap reader output, converting model errors to file errors."""
    if positions.shape[0] == 0:
        raise MotionFileError(path, "no frames")
    if len(joints) == 0:
        raise MotionFileError(path, "none of the file's points maps to a known joint")
    src = SourceInfo(path=str(path), format=fmt, original_units=original_units,
                     original_up_axis=original_up_axis,
                     original_joint_names=tuple(original_joint_names), notes=tuple(notes),
                     extra=dict(extra or {}))
    try:
        return MotionSequence(positions=positions, joints=tuple(joints), fps=fps, units=units,
                              view=view, confidence=confidence, source=src)
    except MotionFileError:
        raise
    except ValueError as exc:  # MotionDataError from the model validators
        raise MotionFileError(path, str(exc).splitlines()[0]) from None
