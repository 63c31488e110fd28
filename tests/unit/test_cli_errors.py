"""The CLI's rewording of reader-option hints (``sportsgpt.cli_errors``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sportsgpt.cli import build_parser
from sportsgpt.cli_errors import CLI_FLAGS, cli_message
from sportsgpt.core.errors import (
    READER_OPTIONS,
    FormatDetectionError,
    MissingReaderOptionError,
    SportsGPTError,
)
from sportsgpt.tools.io import read_motion


@pytest.mark.parametrize("option", sorted(CLI_FLAGS))
def test_each_flag_replaces_the_neutral_hint(option: str) -> None:
    exc = MissingReaderOptionError("x.npy", "something is missing", option)
    assert exc.option == option
    assert f"(reader option {option!r})" in str(exc)
    message = cli_message(exc)
    assert message.endswith(f"({CLI_FLAGS[option]})")
    assert "reader option" not in message and "=" not in message


@pytest.mark.parametrize("option", sorted(CLI_FLAGS))
def test_every_flag_exists_on_the_analyze_command(option: str) -> None:
    flag = CLI_FLAGS[option].split()[0]
    args = build_parser().parse_args(["analyze", "x.npy", "--movement", "deep_squat"])
    assert flag.lstrip("-").replace("-", "_") in {*vars(args), "reader"}


def test_every_flagged_option_is_a_reader_option() -> None:
    assert set(CLI_FLAGS) <= set(READER_OPTIONS)


def test_option_without_flag_keeps_neutral_hint() -> None:
    exc = MissingReaderOptionError("x.csv", "unknown length units", "units")
    assert cli_message(exc) == str(exc)


def test_unknown_option_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="frame_rate"):
        MissingReaderOptionError("x.npy", "no frame rate", "frame_rate")


def test_other_errors_pass_through() -> None:
    exc = SportsGPTError("something else (see --help)")
    assert cli_message(exc) == "something else (see --help)"


def test_real_reader_error_reads_as_cli_flags(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((3, 1, 3)))
    with pytest.raises(MissingReaderOptionError) as info:
        read_motion(path, joints=["pelvis"])
    assert info.value.option == "fps"
    assert cli_message(info.value).endswith("give the frame rate in Hz (--fps HZ)")
    weird = tmp_path / "a.weird"
    weird.write_bytes(b"\x01\x02 nothing known")
    with pytest.raises(FormatDetectionError) as detect:
        read_motion(weird)
    assert cli_message(detect.value).endswith("name the reader (--reader NAME)")
