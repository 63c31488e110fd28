"""Slow, obviously correct reference of MotionDTW's DTW (for tests only).

Plain Python loops over full matrices, written straight from the definitions in
:mod:`sportsgpt.tools.motiondtw.dtw` (local cost, "symmetric1" recursion, the two
band modes as cell predicates, tie-breaking diagonal, then vertical, then
horizontal). Inputs are assumed validated: float64 arrays ``(N, C)``, ``(M, C)``
and weights ``(C,)``. Time ``O(N * M * C)`` in the interpreter: keep inputs small.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

INF = math.inf


def local_cost(x: FloatArray, y: FloatArray, w: FloatArray, i: int, j: int) -> float:
    """``c(i, j) = sum_k w[k] * (x[i, k] - y[j, k]) ** 2``, summed in channel order."""
    acc = 0.0
    for k in range(x.shape[1]):
        d = float(x[i, k]) - float(y[j, k])
        acc += float(w[k]) * (d * d)
    return acc


def in_band(i: int, j: int, n: int, m: int, window: int | None, band: str) -> bool:
    """Whether cell ``(i, j)`` of an ``n x m`` matrix lies in the band."""
    if window is None:
        return True
    if band == "diagonal":
        return (-(window - 1) - max(0, n - m)) <= j - i <= (window - 1) + max(0, m - n)
    if n == 1:
        return True
    return abs(i * (m - 1) - j * (n - 1)) <= window * (n - 1)


def first_min(diagonal: float, vertical: float, horizontal: float) -> int:
    """Index of the first minimum: 0 diagonal, 1 vertical, 2 horizontal (ties: lowest)."""
    values = [diagonal, vertical, horizontal]
    best = 0
    for k in (1, 2):
        if values[k] < values[best]:
            best = k
    return best


def _get(d: list[list[float]], i: int, j: int) -> float:
    """``d[i][j]``, or ``+inf`` outside the matrix."""
    if i < 0 or j < 0:
        return INF
    return d[i][j]


def dtw_reference(x: FloatArray, y: FloatArray, w: FloatArray, window: int | None = None,
                  band: str = "diagonal") -> tuple[float, IntArray | None]:
    """Constrained DTW: ``(D(N-1, M-1), path)``; ``(inf, None)`` if the band holds no path."""
    n, m = x.shape[0], y.shape[0]
    d = [[INF] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            if not in_band(i, j, n, m, window, band):
                continue
            c = local_cost(x, y, w, i, j)
            if i == 0 and j == 0:
                d[i][j] = c
                continue
            preds = (_get(d, i - 1, j - 1), _get(d, i - 1, j), _get(d, i, j - 1))
            d[i][j] = c + preds[first_min(*preds)]
    cost = d[n - 1][m - 1]
    if cost == INF:
        return cost, None
    i, j = n - 1, m - 1
    path = [(i, j)]
    while (i, j) != (0, 0):
        step = first_min(_get(d, i - 1, j - 1), _get(d, i - 1, j), _get(d, i, j - 1))
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j) if step == 1 else (i, j - 1)
        path.append((i, j))
    return cost, np.array(path[::-1], dtype=np.int64)


def subsequence_reference(query: FloatArray, series: FloatArray,
                          w: FloatArray) -> tuple[FloatArray, IntArray]:
    """Open-begin, open-end DTW: ``(D(N-1, :), start column of each best path)``."""
    n, m = query.shape[0], series.shape[0]
    d = [[INF] * m for _ in range(n)]
    start = [[0] * m for _ in range(n)]
    for j in range(m):
        d[0][j] = local_cost(query, series, w, 0, j)
        start[0][j] = j
    for i in range(1, n):
        for j in range(m):
            preds = (_get(d, i - 1, j - 1), _get(d, i - 1, j), _get(d, i, j - 1))
            step = first_min(*preds)
            d[i][j] = local_cost(query, series, w, i, j) + preds[step]
            start[i][j] = (start[i - 1][j - 1] if step == 0
                           else start[i - 1][j] if step == 1 else start[i][j - 1])
    return (np.array(d[n - 1], dtype=np.float64), np.array(start[n - 1], dtype=np.int64))
