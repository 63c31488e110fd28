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


class InputTooLargeError(MotionFileError):
    """An input larger than the configured limits, refused before it is read into memory.

    Attributes:
        found: what was found (e.g. "header declares 10000000 frames x 40 joints x 3").
        limit: the limit it exceeds, in the same words.
        setting: the environment variable that raises the limit.
    """

    def __init__(self, path: str | Path | None, found: str, limit: str, setting: str, *,
                 line: int | None = None, field: str | None = None) -> None:
        self.found = found
        self.limit = limit
        self.setting = setting
        super().__init__(path, f"{found}, above the limit of {limit} (raise it with {setting})",
                         line=line, field=field)


READER_OPTIONS: dict[str, str] = {
    "fps": "the frame rate in Hz",
    "asf": "the ASF skeleton file",
    "subject_height_m": "the subject's height in metres",
    "image_size": "the image size (width, height) in pixels",
    "joints": "the joint names, in array order",
    "units": "the length units",
    "format": "the file format",
}
"""Reader options a :class:`MissingReaderOptionError` may name, with what each one holds."""


def reader_option_hint(option: str) -> str:
    """How a library message points at a reader option: ``(reader option 'fps')``.

    Front ends find this exact form in a message and put their own spelling in its
    place (the CLI writes ``(--fps HZ)``), so messages stay front-end neutral.
    """
    if option not in READER_OPTIONS:
        raise ValueError(f"unknown reader option {option!r}; known: {sorted(READER_OPTIONS)}")
    return f"(reader option {option!r})"


class MissingReaderOptionError(MotionFileError):
    """The file lacks something a reader option supplies (frame rate, skeleton, ...).

    Front-end neutral: the message names the reader option (``fps``); a front end
    rewrites the hint in its own terms from :attr:`option` (the CLI says ``--fps HZ``).

    Attributes:
        option: the reader option that supplies what is missing (a key of
            :data:`READER_OPTIONS`).
        problem: what is missing or wrong, without the hint.
    """

    def __init__(self, path: str | Path | None, problem: str, option: str, *,
                 line: int | None = None, field: str | None = None) -> None:
        hint = reader_option_hint(option)
        self.option = option
        self.problem = problem
        super().__init__(path, f"{problem}: give {READER_OPTIONS[option]} {hint}",
                         line=line, field=field)
