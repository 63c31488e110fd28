"""Helpers every reader shares: safe file access, canonical mapping, axes."""

from __future__ import annotations

import gzip
import math
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from sportsgpt.core.errors import MotionFileError
from sportsgpt.tools.motion import FloatArray, MotionSequence, SourceInfo, Units, View
from sportsgpt.tools.skeleton import canonical_order

MAX_FILE_BYTES = 2 * 1024**3
"""Refuse files larger than this (2 GiB) before reading them."""

MAX_DECLARED_FRAMES = 10_000_000
"""A header declaring more frames than this is treated as corrupt."""

HEAD_BYTES = 4096
"""How much of a file format sniffers look at."""


def check_file(path: Path) -> Path:
    """Check a path is a readable regular file of sane size; return it resolved."""
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
    if st.st_size > MAX_FILE_BYTES:
        raise MotionFileError(path, f"file is {st.st_size} bytes, above the "
                                    f"{MAX_FILE_BYTES} byte limit")
    return path


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


def read_bytes(path: Path) -> bytes:
    """Whole file as bytes, gunzipped when it starts with the gzip magic."""
    check_file(path)
    try:
        raw = path.read_bytes()
        if raw.startswith(GZIP_MAGIC):
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise MotionFileError(path, f"cannot read file: {exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise MotionFileError(path, "decompressed content above the size limit")
    return raw


def read_text(path: Path) -> str:
    """Whole file as text (UTF-8, falling back to Latin-1 for legacy headers)."""
    raw = read_bytes(path)
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
    """Validate a frame rate read from a file (finite, in (0, 10 kHz])."""
    if not math.isfinite(fps) or fps <= 0 or fps > 10_000:
        raise MotionFileError(path, f"implausible frame rate {fps!r} Hz", line=line, field=field)
    return float(fps)


View2D = Literal["sagittal", "frontal", "unknown"]


def check_view_2d(view: object, path: Path) -> View2D:
    """Validate a 2D ``view=`` reader option."""
    if view == "sagittal":
        return "sagittal"
    if view == "frontal":
        return "frontal"
    if view == "unknown":
        return "unknown"
    raise MotionFileError(path, f"view must be 'sagittal', 'frontal' or 'unknown', got {view!r}",
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
