"""Ground reaction forces from an OpenSim ``.mot`` (``<trial>_grf.mot``) and contact from them.

The file layout is OpenSim's storage format (parsed by the same header and table code as
:mod:`sportsgpt.tools.io.opensim`); the columns are ``ground_force_<plate>_v[xyz]`` (force,
N), ``_p[xyz]`` (centre of pressure, m) and moments, one set per plate, Y up.

Contact from force: a plate is loaded in every frame whose vertical force exceeds
:data:`CONTACT_THRESHOLD_N` (20 N: above the noise of an unloaded plate, far below the
body weight; the threshold stated in the data set's ``SOURCE.md``). The total over all
plates gives whole-body contact (takeoff, landing).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import numpy as np
from pydantic import BaseModel, ConfigDict

from sportsgpt.core.errors import MotionDataError, MotionFileError
from sportsgpt.tools.io._common import read_text
from sportsgpt.tools.io.opensim import _fps, _parse_header, _table
from sportsgpt.tools.motion import FloatArray

CONTACT_THRESHOLD_N: Final = 20.0
"""A plate (or the body, on the total) is in contact while its vertical force exceeds this."""

_VERTICAL: Final = re.compile(r"^ground_force_(\w+?)_vy$")


class GroundForces(BaseModel):
    """Vertical ground reaction force per plate, ``(T,)`` each, in newtons."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    fps: float
    time_start_s: float
    vertical: dict[str, FloatArray]
    """Plate id (as in the column names, e.g. ``"1"``) -> vertical force (N)."""

    @property
    def n_frames(self) -> int:
        """Number of samples."""
        return len(next(iter(self.vertical.values())))

    def total(self) -> FloatArray:
        """Vertical force summed over all plates (N)."""
        return np.asarray(np.sum(list(self.vertical.values()), axis=0), dtype=np.float64)


def read_grf(path: str | Path) -> GroundForces:
    """Read the vertical forces of every plate of an OpenSim ground-reaction ``.mot``.

    Raises:
        MotionFileError: not an OpenSim storage file, non-uniform time, or no
            ``ground_force_<plate>_vy`` column.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    head = _parse_header(lines, path)
    names, values = _table(lines, head.end_line + 1, path)
    fps = _fps(values[:, 0], path)
    vertical = {m.group(1): np.ascontiguousarray(values[:, i])
                for i, n in enumerate(names) if (m := _VERTICAL.match(n))}
    if not vertical:
        raise MotionFileError(path, "no ground_force_<plate>_vy column: not a ground "
                                    f"reaction force file (columns: {', '.join(names[:6])}...)")
    return GroundForces(fps=fps, time_start_s=float(values[0, 0]), vertical=vertical)


def contact_intervals(force: FloatArray, threshold_n: float = CONTACT_THRESHOLD_N
                      ) -> list[tuple[int, int]]:
    """``(first, stop)`` frame pairs (stop exclusive) in which ``force`` exceeds the threshold.

    Example:
        >>> contact_intervals(np.array([0, 5, 30, 400, 25, 3, 0, 90.0]))
        [(2, 5), (7, 8)]
    """
    if not threshold_n > 0:
        raise MotionDataError(f"threshold_n must be a positive force in N, got {threshold_n!r}")
    loaded = np.concatenate([[False], np.asarray(force) > threshold_n, [False]])
    edges = np.flatnonzero(np.diff(loaded.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def plate_contacts(forces: GroundForces, threshold_n: float = CONTACT_THRESHOLD_N
                   ) -> dict[str, list[tuple[int, int]]]:
    """Contact intervals per plate (one foot each where the set-up puts one foot per plate)."""
    return {plate: contact_intervals(f, threshold_n) for plate, f in forces.vertical.items()}


class ForceEvents(BaseModel):
    """Whole-body events from the total vertical force (frames 0-based, at the file's rate)."""

    contacts: list[int]
    """First frame of each contact (total force above the threshold)."""
    takeoffs: list[int]
    """First frame after each contact with the total force at or below the threshold."""


def force_events(forces: GroundForces, threshold_n: float = CONTACT_THRESHOLD_N,
                 min_gap: int = 1) -> ForceEvents:
    """Contacts and takeoffs of the whole body; unloaded gaps shorter than ``min_gap`` merge."""
    runs = contact_intervals(forces.total(), threshold_n)
    merged: list[tuple[int, int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] < min_gap:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    n = forces.n_frames
    return ForceEvents(contacts=[a for a, _ in merged],
                       takeoffs=[b for _, b in merged if b < n])
