"""Error messages in the command line's own terms.

Library errors name reader options in a front-end neutral form,
``(reader option 'fps')`` (see :func:`sportsgpt.core.errors.reader_option_hint`); the CLI
shows the flag that sets the option instead. ``cli.main`` prints
``cli_message(exc)`` for every :class:`~sportsgpt.core.errors.SportsGPTError`.
"""

from __future__ import annotations

from typing import Final

from sportsgpt.core.errors import READER_OPTIONS, SportsGPTError, reader_option_hint

CLI_FLAGS: Final[dict[str, str]] = {
    "fps": "--fps HZ",
    "asf": "--asf FILE",
    "subject_height_m": "--subject-height M",
    "image_size": "--image-size W H",
    "joints": "--joints A,B,...",
    "format": "--reader NAME",
}
"""The CLI flag (with its metavar) that sets each reader option it offers."""


def cli_message(exc: SportsGPTError) -> str:
    """The error's message with every reader-option hint replaced by its CLI flag.

    Example:
        >>> from sportsgpt.core.errors import MissingReaderOptionError
        >>> cli_message(MissingReaderOptionError("a.npy", "no frame rate", "fps"))
        'a.npy: no frame rate: give the frame rate in Hz (--fps HZ)'

    Options the CLI has no flag for keep the neutral ``(reader option '...')`` form.
    """
    message = str(exc)
    for option in READER_OPTIONS:
        flag = CLI_FLAGS.get(option)
        if flag is not None:
            message = message.replace(reader_option_hint(option), f"({flag})")
    return message


__all__ = ["CLI_FLAGS", "cli_message"]
