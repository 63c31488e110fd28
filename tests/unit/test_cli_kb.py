"""`sportsgpt kb build / stats / search` through the CLI, on a store in a temporary cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sportsgpt.cli import EXIT_USER_ERROR, main


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty embedded store: the user cache in tmp_path, Neo4j not configured."""
    monkeypatch.setenv("SPORTSGPT_CACHE", str(tmp_path))
    monkeypatch.delenv("SPORTSGPT_NEO4J_URI", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def test_search_on_a_store_never_built_says_how_to_build_it(
        cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "why does my knee cave in when I land?"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "holds no QA pairs" in err and "sportsgpt kb build" in err
    assert str(cache / "kb") in err


@pytest.mark.integration
def test_build_then_search_gives_sourced_answers(cache: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "build"]) == 0
    built = json.loads(capsys.readouterr().out)
    assert built["qa_pairs"] >= 300
    assert main(["kb", "stats"]) == 0
    assert json.loads(capsys.readouterr().out)["qa_pairs:curated"] == built["qa_pairs"]

    assert main(["kb", "search", "why does my knee cave in when I land?", "--format",
                 "json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 5
    # relevant: the best answers are about knee valgus on landing ...
    assert any("knee_valgus_on_landing" in h["qa"]["faults"] for h in hits[:2])
    # ... and every hit carries checkable sources
    for h in hits:
        assert h["sources"]
        assert all(s["url"] or s["doi"] for s in h["sources"])

    assert main(["kb", "search", "why does my knee cave in when I land?"]) == 0
    text = capsys.readouterr().out
    assert "knee" in text.lower() and ("doi" in text.lower() or "http" in text)
