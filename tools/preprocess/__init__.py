"""Clean a :class:`~sportsgpt.tools.motion.MotionSequence` before analysis, and say what was done.

Every step is a pure function ``(motion, ...) -> (new_motion, StepReport)``;
:func:`preprocess` chains the ones switched on in :class:`PreprocessConfig` in
this order::

    repair_left_right_swaps -> fill_gaps -> lowpass_filter -> resample
        -> normalise_ground -> normalise_facing -> scale_body

and returns a :class:`PreprocessReport` with one :class:`StepReport` per step
(applied or not, and why) plus a :class:`QualityReport` of the input as
recorded (:func:`quality_summary`, which the CLI's ``inspect`` also prints).

One module per stage, each stating its choices in its docstring:
:mod:`.swaps` (left/right swap repair), :mod:`.gaps` (gap filling),
:mod:`.filtering` (low-pass, residual-analysis cutoff), :mod:`.resampling`,
:mod:`.normalise` (ground, facing, body scale), :mod:`.quality` (the quality
report) and :mod:`.pipeline` (:func:`preprocess`, :class:`PreprocessConfig`);
:mod:`.common` holds what they share. Every public name is re-exported here.
"""

from __future__ import annotations

from sportsgpt.tools.preprocess.common import StepReport
from sportsgpt.tools.preprocess.filtering import (
    AUTO_CUTOFF_RANGE_HZ,
    NYQUIST_CAP,
    RESIDUAL_WINDOW_S,
    butterworth_sos,
    lowpass_filter,
    residual_cutoff,
    zero_lag_filter,
)
from sportsgpt.tools.preprocess.gaps import Gap, fill_gaps, find_gaps
from sportsgpt.tools.preprocess.normalise import (
    FOOT_POINTS,
    leg_length,
    normalise_facing,
    normalise_ground,
    normalise_orientation,
    scale_body,
)
from sportsgpt.tools.preprocess.pipeline import (
    MARKERLESS_FORMATS,
    PreprocessConfig,
    PreprocessReport,
    preprocess,
)
from sportsgpt.tools.preprocess.quality import (
    JITTER_CUTOFF_HZ,
    QualityReport,
    jitter,
    quality_summary,
)
from sportsgpt.tools.preprocess.resampling import resample
from sportsgpt.tools.preprocess.swaps import SWAP_WINDOW_S, body_size, repair_left_right_swaps

__all__ = [
    "AUTO_CUTOFF_RANGE_HZ", "FOOT_POINTS", "JITTER_CUTOFF_HZ", "MARKERLESS_FORMATS",
    "NYQUIST_CAP", "RESIDUAL_WINDOW_S", "SWAP_WINDOW_S", "Gap", "PreprocessConfig",
    "PreprocessReport", "QualityReport", "StepReport", "body_size", "butterworth_sos",
    "fill_gaps", "find_gaps", "jitter", "leg_length", "lowpass_filter", "normalise_facing",
    "normalise_ground", "normalise_orientation", "preprocess", "quality_summary",
    "repair_left_right_swaps", "resample", "residual_cutoff", "scale_body", "zero_lag_filter",
]
