"""Dynamic time warping of multivariate motion sequences (MotionDTW's core).

Public, validated functions over the private numba kernels of
:mod:`sportsgpt.tools.motiondtw.kernels`; :mod:`sportsgpt.tools.motiondtw.reference`
implements the same definitions with plain loops and is what the tests compare to.

Definitions
-----------
Inputs are two sequences ``x`` of shape ``(N, C)`` and ``y`` of shape ``(M, C)``
(a 1-D array is read as one channel, ``(T, 1)``), converted to C-contiguous
float64, and optional per-channel weights ``w`` of shape ``(C,)``, ``w >= 0``
(default: all ones). Every value must be finite: NaN (a missing sample in the
motion model) or inf raises :class:`~sportsgpt.core.errors.MotionDataError`;
callers fill or mask gaps first.

*Local cost* (weighted squared Euclidean), summed over ``k = 0 .. C-1`` in that
order::

    c(i, j) = sum_k w[k] * (x[i, k] - y[j, k]) ** 2

*Constrained DTW* (step pattern "symmetric1", no slope weights)::

    D(0, 0) = c(0, 0)
    D(i, j) = c(i, j) + min(D(i-1, j-1), D(i-1, j), D(i, j-1))

with ``D = +inf`` outside the matrix and outside the band. The path runs from
``(0, 0)`` to ``(N-1, M-1)`` with steps ``(1, 1)``, ``(1, 0)``, ``(0, 1)``.
``cost = D(N-1, M-1)``, ``distance = sqrt(cost)`` (the convention of
``dtaidistance.dtw_ndim.distance``).

*Band* (``window`` in frames; ``None`` = no band). Two modes:

``band="diagonal"`` (default) is exactly dtaidistance's ``window``: cell
``(i, j)`` is allowed iff::

    -(window - 1) - max(0, N - M) <= j - i <= (window - 1) + max(0, M - N)

i.e. ``|i - j| < window`` widened on one side by the length difference, so
``window=1`` with ``N == M`` is the diagonal alone. ``window >= 1``; such a band
always contains a path, so it is never infeasible.

``band="slanted"`` is a Sakoe-Chiba band of half-width ``window`` columns
around the straight line from ``(0, 0)`` to ``(N-1, M-1)``: for ``N > 1`` cell
``(i, j)`` is allowed iff ``|i * (M-1) - j * (N-1)| <= window * (N-1)``
(integer arithmetic, no rounding); for ``N == 1`` the single row holds every
column. ``window >= 0``. A band too narrow for the slope (consecutive rows that
share no reachable column) raises :class:`~sportsgpt.core.errors.MotionDataError`.

*Tie-breaking* when predecessors have equal accumulated cost: **diagonal**, then
**vertical** ``(i-1, j)``, then **horizontal** ``(i, j-1)`` (the first minimum of
``(D(i-1, j-1), D(i-1, j), D(i, j-1))``, as ``dtaidistance.dtw.best_path``).
The path is read back from ``(N-1, M-1)`` with that rule.

*Subsequence DTW* (open begin and open end; Müller, *Fundamentals of Music
Processing*, Springer 2015, section 7.2.3, "subsequence DTW"; FMP notebook
C7S2_SubsequenceDTW): the query ``q`` (N frames) may match any stretch of the
series ``s`` (M frames)::

    D(0, j) = c(0, j)                      (free start: no horizontal steps in row 0)
    D(i, 0) = c(0, 0) + ... + c(i, 0)
    D(i, j) = c(i, j) + min(D(i-1, j-1), D(i-1, j), D(i, j-1))

with the same tie-breaking. The start column of the best path into every cell
is carried through the same pass (row 0: ``start(0, j) = j``; otherwise the
start of the chosen predecessor), so one ``O(N * M)`` pass gives, for every end
column ``j``, the cost ``D(N-1, j)``, its start column and the *normalised cost*
``D(N-1, j) / (N + (j - start + 1))`` (the query length plus the matched span,
an upper bound of the path length; it lets matches of different spans compete).

:func:`find_matches` turns the profile into non-overlapping matches by
non-maximum suppression; :func:`match_path` recovers the warping path of one
match by constrained DTW of the query against ``series[start : end + 1]``,
whose cost equals the profile's ``cost[end]`` (up to rounding: a path of the
subsequence problem ending at ``end`` is a path of that constrained problem and
the reverse; horizontal steps in row 0 never pay off because costs are >= 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.motiondtw import kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Band = Literal["diagonal", "slanted"]

__all__ = [
    "DTWResult",
    "Match",
    "SubsequenceProfile",
    "band_bounds",
    "dtw",
    "find_matches",
    "match_path",
    "subsequence_dtw",
]


@dataclass(frozen=True, eq=False)
class DTWResult:
    """Result of :func:`dtw`.

    Attributes:
        cost: Accumulated cost ``D(N-1, M-1)`` (sum of local costs along the path).
        distance: ``sqrt(cost)``, comparable with ``dtaidistance.dtw_ndim.distance``.
        path: ``(L, 2)`` int64 pairs ``(i, j)`` from ``(0, 0)`` to ``(N-1, M-1)``,
            read-only; ``None`` when ``return_path=False``.
    """

    cost: float
    distance: float
    path: IntArray | None


@dataclass(frozen=True, eq=False)
class SubsequenceProfile:
    """Per end column of the series: the best match of the whole query ending there.

    Attributes:
        cost: ``(M,)`` accumulated cost ``D(N-1, j)``.
        start: ``(M,)`` int64 start column of the best path ending at ``j``.
        normalized_cost: ``(M,)`` ``cost / (N + (j - start + 1))``.
        query_length: ``N``.
    """

    cost: FloatArray
    start: IntArray
    normalized_cost: FloatArray
    query_length: int

    @property
    def series_length(self) -> int:
        """``M``, the number of series frames."""
        return int(self.cost.shape[0])


@dataclass(frozen=True)
class Match:
    """One occurrence of the query in the series (0-based, inclusive frames)."""

    start: int
    end: int
    cost: float
    normalized_cost: float


def _as_sequence(values: object, name: str) -> FloatArray:
    """Validate one sequence and return it as a C-contiguous ``(T, C)`` float64 array."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise MotionDataError(f"{name} is not a numeric array: {exc}") from exc
    if arr.dtype.kind not in "iuf":
        raise MotionDataError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise MotionDataError(f"{name} must have shape (frames, channels), got {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise MotionDataError(f"{name} is empty: shape {arr.shape}")
    out = np.ascontiguousarray(arr, dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        frame, channel = (int(v) for v in np.argwhere(bad)[0])
        raise MotionDataError(
            f"{name} has a non-finite value ({out[frame, channel]}) at frame {frame}, "
            f"channel {channel}; fill or mask missing samples before DTW")
    return out


def _as_weights(weights: object, n_channels: int) -> tuple[FloatArray, bool]:
    """Validate weights; return them (ones if ``None``) and whether they are non-trivial."""
    if weights is None:
        return np.ones(n_channels), False
    try:
        w = np.asarray(weights)
    except (TypeError, ValueError) as exc:
        raise MotionDataError(f"weights is not a numeric array: {exc}") from exc
    if w.dtype.kind not in "iuf":
        raise MotionDataError(f"weights must hold real numbers, got dtype {w.dtype}")
    if w.shape != (n_channels,):
        raise MotionDataError(f"weights must have shape ({n_channels},), got {w.shape}")
    w = np.ascontiguousarray(w, dtype=np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise MotionDataError(f"weights must be finite and >= 0, got {w.tolist()}")
    return w, True


def _pair(x: object, y: object, weights: object,
          names: tuple[str, str]) -> tuple[FloatArray, FloatArray, FloatArray, bool]:
    """Validate two sequences with the same channels and their weights."""
    xa = _as_sequence(x, names[0])
    ya = _as_sequence(y, names[1])
    if xa.shape[1] != ya.shape[1]:
        raise MotionDataError(f"{names[0]} has {xa.shape[1]} channels but {names[1]} has "
                              f"{ya.shape[1]}; both must have the same channels")
    w, weighted = _as_weights(weights, xa.shape[1])
    return xa, ya, w, weighted


def _check_window(window: object, band: object) -> int | None:
    """Validate ``window`` and ``band``; return the window as an int or ``None``."""
    if band not in ("diagonal", "slanted"):
        raise MotionDataError(f"band must be 'diagonal' or 'slanted', got {band!r}")
    if window is None:
        return None
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise MotionDataError(f"window must be an int or None, got {window!r}")
    smallest = 1 if band == "diagonal" else 0
    if int(window) < smallest:
        raise MotionDataError(f"window must be >= {smallest} for band={band!r} "
                              f"(None means no band), got {int(window)}")
    return int(window)


def band_bounds(n: int, m: int, window: int | None,
                band: Band = "diagonal") -> tuple[IntArray, IntArray]:
    """Inclusive column bounds ``lo[i] <= j <= hi[i]`` of the band, one pair per row.

    Args:
        n: Rows (frames of ``x``), >= 1.
        m: Columns (frames of ``y``), >= 1.
        window: Band width in frames (see the module docstring), ``None`` for no band.
        band: ``"diagonal"`` (dtaidistance's window) or ``"slanted"`` (Sakoe-Chiba
            around the corner-to-corner line).

    Returns:
        ``(lo, hi)``, int64 arrays of shape ``(n,)``, both non-decreasing.

    Raises:
        MotionDataError: Bad sizes or window, or a band that contains no path.
    """
    if n < 1 or m < 1:
        raise MotionDataError(f"sequence lengths must be >= 1, got {n} and {m}")
    win = _check_window(window, band)
    rows = np.arange(n, dtype=np.int64)
    if win is None:
        return np.zeros(n, dtype=np.int64), np.full(n, m - 1, dtype=np.int64)
    if band == "diagonal":
        lo = np.maximum(rows - max(0, n - m) - win + 1, 0)
        hi = np.minimum(rows + max(0, m - n) + win - 1, m - 1)
        return lo.astype(np.int64), hi.astype(np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64), np.full(1, m - 1, dtype=np.int64)
    centre = rows * (m - 1)
    half = win * (n - 1)
    lo = np.maximum(-((half - centre) // (n - 1)), 0).astype(np.int64)  # ceil
    hi = np.minimum((centre + half) // (n - 1), m - 1).astype(np.int64)
    empty = np.flatnonzero(lo > hi)
    gap = np.flatnonzero(lo[1:] > hi[:-1] + 1)
    if empty.size or gap.size:
        row = int(empty[0]) if empty.size else int(gap[0])
        raise MotionDataError(
            f"window={win} is too narrow for a slanted band over {n} x {m} frames: row {row} "
            f"cannot reach the next one (slope {(m - 1) / (n - 1):.3g} columns per row); "
            "widen the window")
    return lo, hi


def dtw(x: object, y: object, *, weights: object = None, window: int | None = None,
        band: Band = "diagonal", return_path: bool = True) -> DTWResult:
    """Constrained multivariate DTW of ``x`` ``(N, C)`` against ``y`` ``(M, C)``.

    Definitions (local cost, recursion, band, tie-breaking) are in the module
    docstring; ``band="diagonal"`` with the same ``window`` gives exactly
    ``dtaidistance.dtw_ndim.distance(x, y, window=window) == result.distance``.

    Args:
        x: First sequence, ``(N, C)`` or ``(N,)``.
        y: Second sequence, ``(M, C)`` or ``(M,)``.
        weights: Per-channel weights ``(C,)``, finite and >= 0; ``None`` = ones.
        window: Band width in frames; ``None`` = no band.
        band: ``"diagonal"`` (dtaidistance) or ``"slanted"`` (Sakoe-Chiba).
        return_path: Also compute the warping path (needs ``O(band cells)`` bytes).

    Returns:
        The accumulated cost, its square root and the path (or ``None``).

    Raises:
        MotionDataError: Bad shapes, non-finite values, bad weights or window, a band
            with no path, or a cost that overflows float64.
    """
    xa, ya, w, weighted = _pair(x, y, weights, ("x", "y"))
    n, m = xa.shape[0], ya.shape[0]
    lo, hi = band_bounds(n, m, window, band)
    yt = np.ascontiguousarray(ya.T)
    path: IntArray | None = None
    if return_path:
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(hi - lo + 1, out=offsets[1:])
        cost, dirs = kernels._dtw_directions(xa, yt, w, weighted, lo, hi, offsets)
    else:
        cost = kernels._dtw_cost(xa, yt, w, weighted, lo, hi)
    cost = float(cost)
    if not math.isfinite(cost):
        raise MotionDataError("the accumulated DTW cost overflows float64; rescale the inputs")
    if return_path:
        path = kernels._backtrack(dirs, lo, offsets, m)
        path.setflags(write=False)
    return DTWResult(cost=cost, distance=math.sqrt(cost), path=path)


def subsequence_dtw(query: object, series: object, *, weights: object = None,
                    normalization: Literal["query+span", "query"] = "query+span",
                    ) -> SubsequenceProfile:
    """Open-begin, open-end DTW of ``query`` ``(N, C)`` anywhere in ``series`` ``(M, C)``.

    One ``O(N * M)`` pass (module docstring, "Subsequence DTW").

    Args:
        query: The template, ``(N, C)`` or ``(N,)``.
        series: The recording to search, ``(M, C)`` or ``(M,)``.
        weights: Per-channel weights ``(C,)``, finite and >= 0; ``None`` = ones.
        normalization: ``"query+span"`` divides by ``N + (j - start + 1)``;
            ``"query"`` divides by ``N`` only. The latter does not reward a
            match for absorbing extra series frames that cost little (a long
            idle tail matched to the template's last, standing frames), which
            MotionDTW needs to keep spans tight.

    Returns:
        The profile over every end column of the series.

    Raises:
        MotionDataError: Bad shapes, non-finite values or weights, or overflow.
    """
    qa, sa, w, weighted = _pair(query, series, weights, ("query", "series"))
    cost, start = kernels._subsequence(qa, np.ascontiguousarray(sa.T), w, weighted)
    if not np.isfinite(cost).all():
        raise MotionDataError("the accumulated DTW cost overflows float64; rescale the inputs")
    n = qa.shape[0]
    span = np.arange(sa.shape[0], dtype=np.int64) - start + 1
    if normalization == "query":
        normalized = cost / n
    elif normalization == "query+span":
        normalized = cost / (n + span)
    else:
        raise MotionDataError(f"unknown normalization {normalization!r}")
    for arr in (cost, start, normalized):
        arr.setflags(write=False)
    return SubsequenceProfile(cost=cost, start=start, normalized_cost=normalized,
                              query_length=n)


def find_matches(profile: SubsequenceProfile, *, max_matches: int, min_separation: int = 0,
                 threshold: float = math.inf, max_overlap: float = 0.0) -> list[Match]:
    """Best non-overlapping matches from a profile, by non-maximum suppression.

    Repeatedly takes the end column with the lowest normalised cost (ties: the
    earliest end) among those not yet suppressed, then suppresses every end ``j``
    whose span ``[start[j], j]`` overlaps the taken span by more than
    ``max_overlap`` times the shorter of the two spans, or whose end lies fewer
    than ``min_separation`` frames from the taken end. Stops after
    ``max_matches`` matches, or when the best remaining normalised cost exceeds
    ``threshold``, or when every end is suppressed.

    Args:
        profile: From :func:`subsequence_dtw`.
        max_matches: Most matches to return, >= 1.
        min_separation: Minimum distance in frames between two match ends, >= 0.
        threshold: Largest normalised cost accepted (``inf``: no limit).
        max_overlap: Largest shared fraction of the shorter span, in [0, 1];
            0 means matches share no frame.

    Returns:
        Matches in the order taken (increasing normalised cost).

    Raises:
        MotionDataError: A bad argument.
    """
    if not isinstance(profile, SubsequenceProfile):
        raise MotionDataError(f"profile must be a SubsequenceProfile, got {type(profile)}")
    if isinstance(max_matches, bool) or not isinstance(max_matches, int) or max_matches < 1:
        raise MotionDataError(f"max_matches must be an int >= 1, got {max_matches!r}")
    if (isinstance(min_separation, bool) or not isinstance(min_separation, int)
            or min_separation < 0):
        raise MotionDataError(f"min_separation must be an int >= 0, got {min_separation!r}")
    if math.isnan(threshold):
        raise MotionDataError("threshold must not be NaN")
    if not 0.0 <= max_overlap <= 1.0:
        raise MotionDataError(f"max_overlap must be in [0, 1], got {max_overlap!r}")
    ends = np.arange(profile.series_length, dtype=np.int64)
    starts = profile.start
    score = np.array(profile.normalized_cost, dtype=np.float64)
    matches: list[Match] = []
    while len(matches) < max_matches:
        best = int(np.argmin(score))
        if score[best] == math.inf or not score[best] <= threshold:  # inf: all suppressed
            break
        s, e = int(starts[best]), best
        matches.append(Match(start=s, end=e, cost=float(profile.cost[e]),
                             normalized_cost=float(profile.normalized_cost[e])))
        shared = np.minimum(ends, e) - np.maximum(starts, s) + 1
        shorter = np.minimum(ends - starts + 1, e - s + 1)
        suppress = (shared > max_overlap * shorter) | (np.abs(ends - e) < min_separation)
        suppress[e] = True
        score[suppress] = np.inf
    return matches


def match_path(query: object, series: object, match: Match, *,
               weights: object = None) -> DTWResult:
    """Warping path of one match: constrained DTW of ``query`` vs ``series[start:end+1]``.

    The path's second column is shifted back to series frames, so it runs from
    ``(0, match.start)`` to ``(N-1, match.end)``; its cost equals the profile's
    ``cost[match.end]`` up to rounding (module docstring).

    Args:
        query: The template used for the profile.
        series: The series used for the profile.
        match: From :func:`find_matches`.
        weights: The weights used for the profile.

    Returns:
        Cost, distance and path in series frames.

    Raises:
        MotionDataError: Bad inputs, or a match outside the series.
    """
    sa = _as_sequence(series, "series")
    if not 0 <= match.start <= match.end < sa.shape[0]:
        raise MotionDataError(f"match frames {match.start}..{match.end} are outside the "
                              f"series of {sa.shape[0]} frames")
    result = dtw(query, sa[match.start:match.end + 1], weights=weights)
    assert result.path is not None  # return_path=True
    path = result.path + np.array([0, match.start], dtype=np.int64)
    path.setflags(write=False)
    return DTWResult(cost=result.cost, distance=result.distance, path=path)
