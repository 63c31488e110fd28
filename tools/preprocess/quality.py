"""The quality report of a recording: missing data, gaps, jitter, usable views, warnings.

**Jitter** (:func:`jitter`, in the quality report): RMS of the second
difference of the residual after a 12 Hz zero-phase FIR low-pass, divided by
sqrt(6) so that white noise of SD s reads s; mm for metre data, px for pixels.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy.ndimage import convolve1d
from scipy.signal import firwin

from sportsgpt.tools.motion import MotionSequence, Units
from sportsgpt.tools.preprocess.common import tracked_mask
from sportsgpt.tools.preprocess.filtering import NYQUIST_CAP
from sportsgpt.tools.preprocess.gaps import Gap, find_gaps, gap_table
from sportsgpt.tools.view import CAMERA_ADVICE

JITTER_CUTOFF_HZ = 12.0
"""Reference low-pass for the jitter measure (capped at 0.4 x Nyquist)."""


class QualityReport(BaseModel):
    """How usable a recording is, in numbers and in plain words."""

    n_frames: int
    fps: float
    duration_s: float
    units: Units
    missing_pct: float
    missing_pct_by_joint: dict[str, float]
    longest_gap_s: float
    longest_gap_joint: str | None
    long_gaps: list[Gap]
    swaps_repaired: int
    jitter_mm: float | None = Field(
        None, description="metre data: RMS second difference of the residual after a "
                          "12 Hz zero-phase low-pass, divided by sqrt(6), in mm")
    jitter_px: float | None = Field(None, description="the same measure for pixel data, in px")
    usable_views: list[Literal["3d", "sagittal", "frontal"]]
    warnings: list[str]


def _unit_scale(units: Units) -> tuple[float, str]:
    return (1000.0, "mm") if units == "m" else (1.0, "px")


def jitter(motion: MotionSequence) -> float | None:
    """RMS second difference of the high-frequency residual, / sqrt(6), in mm or px.

    The residual is the data minus a zero-phase FIR low-pass at
    :data:`JITTER_CUTOFF_HZ` (capped at 0.4 x Nyquist; Hamming-windowed sinc
    about 3 cutoff periods long). An FIR touches only its own window, so every
    sample whose window is fully tracked counts and gaps need no special
    handling. For white noise of standard deviation s the value is close to s.
    ``None`` when no window is fully tracked.
    """
    fc = min(JITTER_CUTOFF_HZ, NYQUIST_CAP * motion.fps / 2)
    half = max(2, math.ceil(1.5 * motion.fps / fc))
    if motion.n_frames < 2 * half + 3:
        return None
    # second difference of (identity - low-pass), as one kernel
    highpass = -firwin(2 * half + 1, fc, fs=motion.fps)
    highpass[half] += 1.0
    kernel = np.convolve(highpass, [1.0, -2.0, 1.0])
    d2 = convolve1d(motion.positions, kernel, axis=0, mode="nearest")
    inner = d2[half + 1:-(half + 1)]
    vals = inner[np.isfinite(inner)]
    if vals.size == 0:
        return None
    scale, _ = _unit_scale(motion.units)
    return float(np.sqrt(np.mean(vals**2)) / math.sqrt(6.0) * scale)


def _views(motion: MotionSequence) -> list[Literal["3d", "sagittal", "frontal"]]:
    if motion.dim == 3:
        return ["3d", "sagittal", "frontal"]
    if motion.view == "sagittal":
        return ["sagittal"]
    if motion.view == "frontal":
        return ["frontal"]
    return []


def _view_warning(view: str) -> str:
    if view == "unknown":
        return "2D data from an unknown view: no anatomical plane can be assumed"
    if view == "oblique":
        return ("2D oblique view: neither the sagittal nor the frontal plane is seen "
                "undistorted; only timing and vertical measures are assessed")
    return f"2D {view} data: only the angles in that plane can be measured"


def quality_summary(motion: MotionSequence, *, swaps_repaired: int = 0,
                    max_gap_s: float = 0.1) -> QualityReport:
    """Missing data, gaps, jitter, usable views and plain-language warnings."""
    ok = tracked_mask(motion.positions)
    by_joint = {j: round(100.0 * float((~ok[:, i]).mean()), 3)
                for i, j in enumerate(motion.joints)}
    joint, start, stop = gap_table(motion)
    k = int(np.argmax(stop - start)) if joint.size else -1
    longest_s = float(stop[k] - start[k]) / motion.fps if k >= 0 else 0.0
    longest_joint = motion.joints[joint[k]] if k >= 0 else None
    long_gaps = find_gaps(motion, max_gap_s)
    jit = jitter(motion) if motion.n_frames > 1 else None
    warnings = []
    for j, pct in by_joint.items():
        if pct >= 100:
            warnings.append(f"{j} is never tracked")
        elif pct >= 5:
            warnings.append(f"{pct:.0f}% of {j} samples missing")
    if long_gaps:
        warnings.append(f"{len(long_gaps)} gap(s) longer than {max_gap_s:g} s stay missing "
                        f"(longest {longest_s:.2f} s in {longest_joint})")
    if motion.fps < 100:
        warnings.append(f"frame rate {motion.fps:g} Hz: takeoff/landing timing is "
                        f"±{500 / motion.fps:.0f} ms")
    if swaps_repaired:
        warnings.append(f"left/right labels were swapped in {swaps_repaired} frame(s) "
                        "and repaired")
    if motion.dim == 2:
        warnings.append(_view_warning(motion.view))
        warnings.extend(str(n) for n in motion.source.extra.get("view_notes", ()))
        warnings.append(CAMERA_ADVICE)
    if jit is None:
        warnings.append("no tracked run is long enough to measure jitter")
    scale_name = "mm" if motion.units == "m" else "px"
    return QualityReport(
        n_frames=motion.n_frames, fps=motion.fps, duration_s=motion.duration_s,
        units=motion.units, missing_pct=round(100.0 * motion.missing_fraction(), 3),
        missing_pct_by_joint=by_joint,
        longest_gap_s=longest_s, longest_gap_joint=longest_joint, long_gaps=long_gaps,
        swaps_repaired=swaps_repaired,
        jitter_mm=jit if scale_name == "mm" else None,
        jitter_px=jit if scale_name == "px" else None,
        usable_views=_views(motion), warnings=warnings)
