"""`sportsgpt kb build / stats / search` on the real curated content, in a temporary cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sportsgpt.cli import main


@pytest.mark.integration
def test_build_then_search_gives_sourced_answers(kb_cache: Path,
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


@pytest.mark.integration
def test_search_on_a_fresh_embedded_store_builds_it_first(
        kb_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "why does my knee cave in when I land?"]) == 0
    captured = capsys.readouterr()
    assert "building the knowledge base" in captured.err
    assert "knee" in captured.out.lower()
    assert main(["kb", "search", "soft landing"]) == 0
    assert "building" not in capsys.readouterr().err  # built once, kept
