"""One typed settings object, read from the environment in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict

DATA_ENV = "SPORTSGPT_DATA"
CACHE_ENV = "SPORTSGPT_CACHE"


class Settings(BaseModel):
    """Process-wide configuration.

    Attributes:
        data_home: explicit data home (``$SPORTSGPT_DATA``), or None to search.
        cache_dir: user cache for derived artefacts (``$SPORTSGPT_CACHE``).
    """

    model_config = ConfigDict(frozen=True)

    data_home: Path | None = None
    cache_dir: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from an environment mapping (``os.environ`` by default)."""
        env = os.environ if env is None else env
        data = env.get(DATA_ENV)
        cache = env.get(CACHE_ENV) or platformdirs.user_cache_dir("sportsgpt")
        return cls(data_home=Path(data).expanduser() if data else None,
                   cache_dir=Path(cache).expanduser())


def get_settings() -> Settings:
    """Read the settings from the current environment."""
    return Settings.from_env()
