"""Numba kernels of MotionDTW (private: call :mod:`sportsgpt.tools.motiondtw.dtw`).

The kernels take already validated, C-contiguous float64 arrays and plain
integers; they hold no Python objects and never check their input. The
definitions they implement (local cost, recursion, band, tie-breaking) are
documented once, in :mod:`sportsgpt.tools.motiondtw.dtw`, and implemented a
second time, slowly and obviously, in :mod:`sportsgpt.tools.motiondtw.reference`.

Layout, for speed:

* The second sequence is passed **transposed**, ``yt`` of shape ``(C, M)``, so
  that the local costs of one row, ``c(i, lo..hi)``, are accumulated channel by
  channel over a contiguous run of columns: that inner loop vectorises (SIMD)
  while every cell still sums its channels in the order ``k = 0, 1, ..., C-1``,
  exactly as the reference does. The results are therefore bit-identical to
  the reference, not merely close. Unit weights skip the multiplication
  (``1.0 * t == t`` exactly, so this changes no bit either).
* The accumulated cost is kept in two rows of length ``M + 1`` (index ``j + 1``
  holds column ``j``; index 0 is the virtual column ``-1``). Cells outside the
  band hold ``+inf``.
* Inner loops run over array views from index 0, so numba's negative-index
  wrap-around disappears and LLVM can vectorise them (measured: about 4x on the
  local-cost loop).
* The predecessor choice is the first minimum of (diagonal, vertical,
  horizontal), written as two strict ``<`` updates that the compiler can turn
  into selects.
* When a path is wanted, one int8 direction code per **band** cell is stored
  (0 = diagonal ``(i-1, j-1)``, 1 = vertical ``(i-1, j)``, 2 = horizontal
  ``(i, j-1)``), row ``i`` at ``offsets[i] : offsets[i] + hi[i] - lo[i] + 1``.

Band rows are given as inclusive column bounds ``lo[i] <= hi[i]`` that never
decrease with ``i``; the caller guarantees it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sportsgpt.core.errors import MissingDependencyError

try:
    from numba import njit
except ImportError as exc:  # pragma: no cover - numba is a core dependency
    raise MissingDependencyError(
        "numba", None, "MotionDTW's compiled DTW kernels") from exc

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Int8Array = npt.NDArray[np.int8]

DIAGONAL = 0
"""Direction code: the cell was reached from ``(i - 1, j - 1)``."""
VERTICAL = 1
"""Direction code: the cell was reached from ``(i - 1, j)``."""
HORIZONTAL = 2
"""Direction code: the cell was reached from ``(i, j - 1)``."""


@njit(cache=True, nogil=True)
def _cost_row(xi: FloatArray, yt: FloatArray, w: FloatArray, weighted: bool,
              lo: int, hi: int, out: FloatArray) -> None:  # pragma: no cover - compiled
    """Local costs ``out[j] = sum_k w[k] * (xi[k] - yt[k, j])**2`` for ``lo <= j <= hi``.

    The loops run over views from index 0 so that numba's negative-index
    wrap-around vanishes and LLVM vectorises the column loop.
    """
    n_channels = yt.shape[0]
    width = hi - lo + 1
    acc = out[lo:hi + 1]
    for j in range(width):
        acc[j] = 0.0
    if weighted:
        for k in range(n_channels):
            a = xi[k]
            wk = w[k]
            row = yt[k, lo:hi + 1]
            for j in range(width):
                d = a - row[j]
                acc[j] += wk * (d * d)
    else:
        for k in range(n_channels):
            a = xi[k]
            row = yt[k, lo:hi + 1]
            for j in range(width):
                d = a - row[j]
                acc[j] += d * d


@njit(cache=True, nogil=True)
def _dtw_cost(x: FloatArray, yt: FloatArray, w: FloatArray, weighted: bool,
              lo: IntArray, hi: IntArray) -> float:  # pragma: no cover - compiled
    """Accumulated cost ``D(N-1, M-1)`` of constrained DTW, two rows, no path."""
    n = x.shape[0]
    m = yt.shape[1]
    inf = np.inf
    prev = np.full(m + 1, inf)
    cur = np.full(m + 1, inf)
    cost = np.empty(m)
    prev[0] = 0.0  # virtual cell (-1, -1): D(0, 0) = c(0, 0)
    stale_lo = 0
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        width = hi_i - lo_i + 1
        _cost_row(x[i], yt, w, weighted, lo_i, hi_i, cost)
        # cur still holds row i - 2 from column stale_lo on: wipe what lies left of this row
        cur[0] = inf
        for jj in range(stale_lo, lo_i):
            cur[jj + 1] = inf
        above = prev[lo_i:hi_i + 2]  # above[t] = D(i-1, lo_i + t - 1)
        here = cur[lo_i:hi_i + 2]  # here[t] = D(i, lo_i + t - 1)
        local = cost[lo_i:hi_i + 1]
        left = here[0]
        for t in range(width):
            best = min(above[t], above[t + 1])
            best = min(best, left)
            left = local[t] + best
            here[t + 1] = left
        stale_lo = lo[i - 1] if i > 0 else 0
        prev, cur = cur, prev
    return float(prev[m])


@njit(cache=True, nogil=True)
def _dtw_directions(x: FloatArray, yt: FloatArray, w: FloatArray, weighted: bool,
                    lo: IntArray, hi: IntArray,
                    offsets: IntArray) -> tuple[float, Int8Array]:  # pragma: no cover
    """Accumulated cost and the banded int8 direction matrix (first minimum wins)."""
    n = x.shape[0]
    m = yt.shape[1]
    inf = np.inf
    prev = np.full(m + 1, inf)
    cur = np.full(m + 1, inf)
    cost = np.empty(m)
    dirs = np.empty(offsets[n], dtype=np.int8)
    prev[0] = 0.0
    stale_lo = 0
    for i in range(n):
        lo_i = lo[i]
        hi_i = hi[i]
        width = hi_i - lo_i + 1
        _cost_row(x[i], yt, w, weighted, lo_i, hi_i, cost)
        cur[0] = inf
        for jj in range(stale_lo, lo_i):
            cur[jj + 1] = inf
        above = prev[lo_i:hi_i + 2]
        here = cur[lo_i:hi_i + 2]
        local = cost[lo_i:hi_i + 1]
        codes = dirs[offsets[i]:offsets[i] + width]
        left = here[0]
        for t in range(width):
            best = above[t]
            code = 0
            up = above[t + 1]
            if up < best:
                best = up
                code = 1
            if left < best:
                best = left
                code = 2
            left = local[t] + best
            here[t + 1] = left
            codes[t] = code
        stale_lo = lo[i - 1] if i > 0 else 0
        prev, cur = cur, prev
    return float(prev[m]), dirs


@njit(cache=True, nogil=True)
def _backtrack(dirs: Int8Array, lo: IntArray, offsets: IntArray,
               m: int) -> IntArray:  # pragma: no cover - compiled
    """Warping path ``(L, 2)`` from ``(0, 0)`` to ``(N-1, M-1)`` read off the direction codes."""
    n = lo.shape[0]
    buf = np.empty((n + m - 1, 2), dtype=np.int64)
    i = n - 1
    j = m - 1
    k = 0
    buf[0, 0] = i
    buf[0, 1] = j
    while i > 0 or j > 0:
        code = dirs[offsets[i] + j - lo[i]]
        if code == 0:
            i -= 1
            j -= 1
        elif code == 1:
            i -= 1
        else:
            j -= 1
        k += 1
        buf[k, 0] = i
        buf[k, 1] = j
    out = np.empty((k + 1, 2), dtype=np.int64)
    for r in range(k + 1):
        out[r, 0] = buf[k - r, 0]
        out[r, 1] = buf[k - r, 1]
    return out


@njit(cache=True, nogil=True)
def _subsequence(q: FloatArray, st: FloatArray, w: FloatArray,
                 weighted: bool) -> tuple[FloatArray, IntArray]:  # pragma: no cover - compiled
    """Open-begin, open-end DTW: last row ``D(N-1, :)`` and the start column of each best path."""
    n = q.shape[0]
    m = st.shape[1]
    inf = np.inf
    prev = np.empty(m + 1)
    cur = np.empty(m + 1)
    sprev = np.empty(m + 1, dtype=np.int64)
    scur = np.empty(m + 1, dtype=np.int64)
    cost = np.empty(m)
    # row 0: free start, D(0, j) = c(0, j), start j
    _cost_row(q[0], st, w, weighted, 0, m - 1, cost)
    prev[0] = inf
    sprev[0] = 0
    for j in range(m):
        prev[j + 1] = cost[j]
        sprev[j + 1] = j
    cur[0] = inf
    scur[0] = 0
    for i in range(1, n):
        _cost_row(q[i], st, w, weighted, 0, m - 1, cost)
        left = inf
        sleft = 0
        for j in range(m):
            best = prev[j]
            s = sprev[j]
            up = prev[j + 1]
            if up < best:
                best = up
                s = sprev[j + 1]
            if left < best:
                best = left
                s = sleft
            left = cost[j] + best
            sleft = s
            cur[j + 1] = left
            scur[j + 1] = s
        prev, cur = cur, prev
        sprev, scur = scur, sprev
    return prev[1:].copy(), sprev[1:].copy()
