"""The JSON contract of ``sportsgpt coach --format json`` (the real embedding model).

The CLI builds the knowledge store in a temporary cache with the configured embedding
model (offline, already on disk); the backend is ``none``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sportsgpt import cli

pytestmark = [pytest.mark.integration, pytest.mark.slow]
pytest.importorskip("langgraph", reason="the coach graph needs langgraph (extra agents)")
pytest.importorskip("sentence_transformers", reason="the CLI's knowledge store needs "
                                                    "sentence-transformers")

KEYS = {"answer", "findings", "citations", "steps", "backend", "thread_id", "fallback"}


def _coach_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status = cli.main(["coach", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def _check_contract(data: dict[str, Any]) -> None:
    assert set(data) >= KEYS
    assert isinstance(data["answer"], str) and data["answer"].strip()
    assert isinstance(data["findings"], list)
    for c in data["citations"]:
        assert set(c) == {"id", "title", "year", "doi", "url"}
        assert isinstance(c["id"], str) and isinstance(c["title"], str)
        assert f"[{c['id']}]" in data["answer"]
    assert data["citations"], "guidance cites its sources"
    assert all({"tool", "ok"} <= set(s) and isinstance(s["ok"], bool) for s in data["steps"])
    assert data["backend"]["name"] == "none" and data["backend"]["model"] is None
    assert isinstance(data["thread_id"], str) and data["thread_id"]
    assert data["fallback"] == {"used": False, "reason": None}


def test_coach_json_contract(cmu_dir: Path, kb_cache: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    jump = _coach_json(capsys, str(cmu_dir / "16_01.amc"), "-q", "what's wrong with my jump?")
    _check_contract(jump)
    assert jump["steps"][0]["tool"] == "analyze_recording"
    assert jump["findings"] and all({"fault_id", "severity", "confidence", "evidence"}
                                    <= set(f) for f in jump["findings"])

    follow = _coach_json(capsys, "-q", "and my landing?", "--thread", jump["thread_id"])
    _check_contract(follow)
    assert follow["thread_id"] == jump["thread_id"]
    assert follow["steps"][0]["tool"] == "thread_memory"

    knowledge = _coach_json(capsys, "-q", "How deep should my countermovement be?")
    _check_contract(knowledge)
    assert knowledge["findings"] == []
    assert "analyze_recording" not in [s["tool"] for s in knowledge["steps"]]
