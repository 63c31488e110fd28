"""Savitzky-Golay derivatives of sampled signals (velocities and accelerations).

Shared by :mod:`sportsgpt.tools.kinematics` and :mod:`sportsgpt.tools.contact`.
"""

from __future__ import annotations

import functools
from typing import Final

import numpy as np
from scipy.signal import savgol_coeffs

from sportsgpt.tools.motion import FloatArray

DERIVATIVE_WINDOW_S: Final = 0.1
"""Savitzky–Golay window (seconds) for velocities and accelerations."""

DERIVATIVE_POLYORDER: Final = 3
"""Savitzky–Golay polynomial order."""


def savgol_derivative(x: FloatArray, fps: float, order: int,
                      window_s: float = DERIVATIVE_WINDOW_S) -> FloatArray:
    """Savitzky–Golay derivative of ``order`` (1 or 2) per second, NaN-propagating.

    Window: ``window_s`` rounded to an odd number of frames, at least 5 and at
    most the series length; cubic fit (quadratic when only 3 frames). Edge
    frames use the fit of the first/last full window. Every output sample whose
    window holds a NaN is NaN. Series shorter than 3 frames give all NaN.
    """
    n = len(x)
    w = max(5, round(window_s * fps) // 2 * 2 + 1)
    w = min(w, n if n % 2 else n - 1)
    if w < 3:
        return np.full(n, np.nan)
    coeffs = _savgol_table(w, min(DERIVATIVE_POLYORDER, w - 1), order, 1.0 / fps)
    half = w // 2
    out = np.empty(n)
    out[half:n - half] = np.lib.stride_tricks.sliding_window_view(x, w) @ coeffs[half]
    out[:half] = coeffs[:half] @ x[:w]
    out[n - half:] = coeffs[w - half:] @ x[n - w:]
    return out


def savgol_derivative_columns(x: FloatArray, fps: float, order: int,
                              window_s: float = DERIVATIVE_WINDOW_S) -> FloatArray:
    """:func:`savgol_derivative` of every column of ``x`` ``(T, C)`` at once."""
    n = x.shape[0]
    w = max(5, round(window_s * fps) // 2 * 2 + 1)
    w = min(w, n if n % 2 else n - 1)
    if w < 3:
        return np.full(x.shape, np.nan)
    coeffs = _savgol_table(w, min(DERIVATIVE_POLYORDER, w - 1), order, 1.0 / fps)
    half = w // 2
    out = np.empty(x.shape)
    windows = np.lib.stride_tricks.sliding_window_view(x, w, axis=0)  # (T-w+1, C, w)
    out[half:n - half] = windows @ coeffs[half]
    out[:half] = coeffs[:half] @ x[:w]
    out[n - half:] = coeffs[w - half:] @ x[n - w:]
    return out


@functools.lru_cache(maxsize=64)
def _savgol_table(window: int, poly: int, order: int, dt: float) -> FloatArray:
    """Savitzky–Golay coefficients for every evaluation position in the window."""
    table = np.stack([savgol_coeffs(window, poly, deriv=order, delta=dt, pos=pos, use="dot")
                      for pos in range(window)]).astype(np.float64)
    table.setflags(write=False)
    return table
