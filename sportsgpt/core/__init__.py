"""Ground floor: settings, the one exception hierarchy, shared small types.

Nothing here imports any other part of SportsGPT.
"""

from sportsgpt.core.errors import (
    DatasetNotFoundError,
    FormatDetectionError,
    MissingDependencyError,
    MissingJointError,
    MotionDataError,
    MotionFileError,
    PreprocessingError,
    SettingsError,
    SportsGPTError,
)
from sportsgpt.core.settings import Settings, get_settings

__all__ = [
    "DatasetNotFoundError",
    "FormatDetectionError",
    "MissingDependencyError",
    "MissingJointError",
    "MotionDataError",
    "MotionFileError",
    "PreprocessingError",
    "Settings",
    "SettingsError",
    "SportsGPTError",
    "get_settings",
]
