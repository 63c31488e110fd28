"""`sportsgpt kb search` on a Neo4j database that was never filled (a stand-in store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt import api
from sportsgpt.cli import EXIT_USER_ERROR, main
from sportsgpt.graph_kb import build


class _EmptyDatabase:
    def stats(self) -> dict[str, int]:
        return {"qa_pairs": 0}


class _Embedder:
    model_id = "stand-in"


def test_search_on_a_neo4j_database_never_built_says_how_to_build_it(
        kb_cache: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A Neo4j database is the user's: SportsGPT never fills it implicitly (the embedded
    # store is built on first use instead; tests/integration/test_cli_kb.py).
    monkeypatch.setenv("SPORTSGPT_NEO4J_URI", "bolt://127.0.0.1:1")
    monkeypatch.setattr(build, "open_store", lambda settings=None: _EmptyDatabase())
    monkeypatch.setattr(api.SportsGPT, "embedder", property(lambda self: _Embedder()))
    assert main(["kb", "search", "why does my knee cave in when I land?"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "holds no QA pairs" in err and "sportsgpt kb build" in err
    assert "bolt://127.0.0.1:1" in err
