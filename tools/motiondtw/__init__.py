"""MotionDTW: two-stage alignment of an athlete's recording to expert templates.

* :mod:`~sportsgpt.tools.motiondtw.dtw`: validated DTW functions over numba kernels
  (:mod:`~sportsgpt.tools.motiondtw.kernels`), checked against
  :mod:`~sportsgpt.tools.motiondtw.reference`.
* :mod:`~sportsgpt.tools.motiondtw.features`: per-frame features and movement specs.
* :mod:`~sportsgpt.tools.motiondtw.templates`: expert templates (DBA, envelopes).
* :mod:`~sportsgpt.tools.motiondtw.align`: stage 1 (find) and stage 2 (align, keyframes).
"""

from sportsgpt.tools.motiondtw.dtw import (
    DTWResult,
    Match,
    SubsequenceProfile,
    dtw,
    find_matches,
    match_path,
    subsequence_dtw,
)

__all__ = ["DTWResult", "Match", "SubsequenceProfile", "dtw", "find_matches", "match_path",
           "subsequence_dtw"]
