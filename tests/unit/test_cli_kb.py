"""`sportsgpt kb build / stats / search` through the CLI, on a store in a temporary cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.cli import EXIT_USER_ERROR, main


def test_search_on_a_store_never_built_says_how_to_build_it(
        kb_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "why does my knee cave in when I land?"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "holds no QA pairs" in err and "sportsgpt kb build" in err
    assert str(kb_cache / "kb") in err
