"""One exception base for the whole project.

Three outcomes (see STYLE.md): errors a caller or a model can fix (bad input,
unknown joint) are subclasses of :class:`SportsGPTError` with a message that
shows the offending value; infrastructure and programming errors propagate
as they are.
"""

from __future__ import annotations

from pathlib import Path


class SportsGPTError(Exception):
    """Base class of every error SportsGPT raises on purpose."""


class MotionDataError(SportsGPTError, ValueError):
    """Motion data that violates the motion model (shape, units, NaN policy...)."""


class MissingJointError(MotionDataError, KeyError):
    """A computation needs joints the motion does not have."""

    def __init__(self, missing: list[str] | tuple[str, ...], available: list[str] | tuple[str, ...],
                 what: str = "this computation") -> None:
        self.missing = tuple(missing)
        self.available = tuple(available)
        msg = (f"{what} needs joint(s) {', '.join(self.missing)}; "
               f"the motion has {', '.join(self.available) or 'no joints'}")
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0])


class MotionFileError(MotionDataError):
    """A motion file that cannot be read: names the file and the line or field."""

    def __init__(self, path: str | Path | None, reason: str, *, line: int | None = None,
                 field: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.line = line
        self.field = field
        where = self.path or "<input>"
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class FormatDetectionError(MotionFileError):
    """The file's format could not be recognised from its name or its content."""


class PreprocessingError(MotionDataError):
    """A preprocessing step cannot run on this motion (too short, too sparse...)."""


class DatasetNotFoundError(SportsGPTError, FileNotFoundError):
    """A sample data set is not in the data home; the message says where to get it."""


class MissingDependencyError(SportsGPTError, ImportError):
    """An optional extra is needed; the message names the pip extra to install."""

    def __init__(self, package: str, extra: str | None, purpose: str) -> None:
        self.package = package
        self.extra = extra
        how = (f"pip install 'sportsgpt[{extra}]'" if extra
               else f"it is a core dependency: reinstall sportsgpt or pip install {package}")
        super().__init__(f"{purpose} needs the '{package}' package: {how}")


class SettingsError(SportsGPTError, ValueError):
    """A setting (environment variable or option) holds a value that is not allowed."""
