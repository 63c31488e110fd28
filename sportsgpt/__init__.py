"""SportsGPT: from skeleton time series to cited coaching.

The public API lives here; subpackages: ``tools`` (readers, motion model,
preprocessing, kinematics), ``graph_kb``, ``agents``, ``prompts``, ``evals``.
"""

from __future__ import annotations

__version__ = "0.1.0"
