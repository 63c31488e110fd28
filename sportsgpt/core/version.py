"""The SportsGPT version string, on the ground floor so that every room may read it."""

from __future__ import annotations

__version__ = "0.1.0"
