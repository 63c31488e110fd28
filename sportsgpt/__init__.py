"""SportsGPT: from skeleton time series to cited coaching.

The public API lives here; subpackages: ``tools`` (readers, motion model,
preprocessing, kinematics), ``graph_kb``, ``agents``, ``prompts``, ``evals``.
"""

from __future__ import annotations

from sportsgpt.core.version import __version__

__all__ = ["__version__"]
