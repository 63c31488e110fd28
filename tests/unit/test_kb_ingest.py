"""Streaming JSONL ingest: dedup, bad rows, checkpoints, and a real SIGKILL crash."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from sportsgpt.graph_kb.ingest import IngestError, content_hash, ingest_jsonl
from tests.contract.kb_fixtures import DIM, NODES, QA, qa_vectors

EMB = HashingEmbedder(DIM)


def _row(i: int, **extra: object) -> str:
    row = {"id": f"r{i}", "question": f"Question number {i} about squats?",
           "answer": f"Answer {i}: keep the heels down and knees over toes.",
           "movements": ["deep_squat"], "source_ids": ["src_a"], **extra}
    return json.dumps(row)


def _store(tmp_path: Path) -> EmbeddedStore:
    store = EmbeddedStore(tmp_path / "kb")
    store.upsert_graph(NODES, [])
    return store


def _write(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n"
                              for x in lines))
    return path


def test_ingest_dedups_and_reports_bad_rows(tmp_path: Path) -> None:
    lines: list[str | bytes] = [
        _row(1), _row(2),
        _row(1),                                                   # 3: duplicate id
        json.dumps({"id": "other", "question": "QUESTION number 1  about squats?",
                    "answer": "answer 1: keep the heels down and knees over toes.",
                    "source_ids": ["src_a"]}),                     # 4: duplicate content
        "",                                                        # 5: blank
        "{not json",                                               # 6
        b"\xff\xfe\x00",                                           # 7: not UTF-8
        json.dumps([1, 2]),                                        # 8: not an object
        json.dumps({"question": "q", "answer": "a"}),              # 9: no source_ids
        _row(10, source_ids=["nowhere"]),                          # 10: unknown source
        json.dumps({"question": " ", "answer": "a", "source_ids": ["src_a"]}),  # 11
        json.dumps({"question": "No id here?", "answer": "Fine.", "source_ids": ["src_b"],
                    "tier": "curated"}),                           # 12: id derived
    ]
    path = _write(tmp_path / "in.jsonl", lines)
    store = _store(tmp_path)
    report = ingest_jsonl(store, path, EMB, batch_size=2, progress=False)
    assert (report.lines, report.stored, report.duplicate_ids, report.duplicate_content,
            report.blank_lines, report.bad_row_count) == (12, 3, 1, 1, 1, 6)
    assert [b.line for b in report.bad_rows] == [6, 7, 8, 9, 10, 11]
    assert "nowhere" in report.bad_rows[4].reason
    assert "source_ids" in report.bad_rows[3].reason
    assert report.complete
    derived = f"ing-{content_hash('No id here?', 'Fine.')[:16]}"
    assert set(store.qa_ids()) == {"r1", "r2", derived}
    assert store.get_qa([derived])[0].tier == "ingested"
    assert store.validate() == []


def test_rerun_of_a_complete_ingest_changes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [_row(i) for i in range(7)])
    store = _store(tmp_path)
    first = ingest_jsonl(store, path, EMB, batch_size=3, progress=False)
    manifest = (tmp_path / "kb" / "manifest.json").read_bytes()
    second = ingest_jsonl(store, path, EMB, batch_size=3, progress=False)
    assert second.stored == first.stored == 7
    assert second.resumed_from_line == 7
    assert (tmp_path / "kb" / "manifest.json").read_bytes() == manifest


def test_appended_lines_are_picked_up(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [_row(i) for i in range(4)])
    store = _store(tmp_path)
    ingest_jsonl(store, path, EMB, progress=False)
    with open(path, "a") as fh:
        fh.write(_row(4) + "\n" + _row(0) + "\n")
    report = ingest_jsonl(store, path, EMB, progress=False)
    assert (report.stored, report.duplicate_ids, report.resumed_from_line) == (5, 1, 4)
    assert store.stats()["qa_pairs"] == 5


def test_id_conflict_with_the_store_never_overwrites(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.upsert_qa(QA[:1], qa_vectors(QA[:1]))
    path = _write(tmp_path / "in.jsonl", [_row(1, id="qa1"), _row(2)])
    report = ingest_jsonl(store, path, EMB, progress=False)
    assert (report.stored, report.duplicate_ids) == (1, 1)
    assert store.get_qa(["qa1"]) == [QA[0]]


def test_changed_file_under_a_checkpoint(tmp_path: Path) -> None:
    path = _write(tmp_path / "in.jsonl", [_row(i) for i in range(3)])
    store = _store(tmp_path)
    ingest_jsonl(store, path, EMB, progress=False)
    _write(path, [_row(i + 100) for i in range(3)])
    with pytest.raises(IngestError, match="changed"):
        ingest_jsonl(store, path, EMB, progress=False)
    report = ingest_jsonl(store, path, EMB, progress=False, restart=True)
    assert report.stored == 3
    assert store.stats()["qa_pairs"] == 6


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file"):
        ingest_jsonl(_store(tmp_path), tmp_path / "absent.jsonl", EMB, progress=False)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.binary(max_size=60), max_size=12))
def test_garbage_lines_never_escape_as_exceptions(tmp_path: Path, junk: list[bytes]) -> None:
    folder = tmp_path / f"f{abs(hash(tuple(junk)))}"
    folder.mkdir()
    lines = [x.replace(b"\n", b" ") for x in junk] + [_row(1).encode()]
    path = _write(folder / "in.jsonl", list(lines))
    store = EmbeddedStore(folder / "kb")
    store.upsert_graph(NODES, [])
    report = ingest_jsonl(store, path, EMB, batch_size=4, progress=False)
    assert report.stored >= 1
    assert report.lines == len(lines)
    assert store.validate() == []


_CHILD = """
import sys
from pathlib import Path
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from sportsgpt.graph_kb.ingest import ingest_jsonl
store = EmbeddedStore(Path(sys.argv[1]))
ingest_jsonl(store, Path(sys.argv[2]), HashingEmbedder(64), batch_size=40, progress=False)
"""


def _big_file(path: Path, n: int) -> tuple[set[str], set[int]]:
    valid: set[str] = set()
    bad: set[int] = set()
    lines: list[str | bytes] = []
    last = 1
    for i in range(1, n + 1):
        lineno = len(lines) + 1
        if i % 97 == 0:
            lines.append("{broken")
            bad.add(lineno)
        elif i % 89 == 0:
            lines.append(_row(last))  # duplicate of the last valid row
        else:
            lines.append(_row(i))
            valid.add(f"r{i}")
            last = i
    _write(path, lines)
    return valid, bad


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", [0.15, 0.55], ids=["early", "midway"])
def test_sigkill_mid_ingest_then_resume(tmp_path: Path, kill_at: float) -> None:
    n = 4000
    valid, bad = _big_file(tmp_path / "big.jsonl", n)
    store = _store(tmp_path)
    state = tmp_path / "kb" / "ingest"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "kb"),
                              str(tmp_path / "big.jsonl")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        checkpoints = list(state.glob("*/checkpoint.json"))
        if checkpoints:
            try:
                lines = json.loads(checkpoints[0].read_text())["report"]["lines"]
            except (ValueError, OSError):
                lines = 0
            if lines >= kill_at * n:
                break
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        time.sleep(0.005)
    assert child.poll() is None, "the child finished before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    del store
    resumed = EmbeddedStore(tmp_path / "kb")
    report = ingest_jsonl(resumed, tmp_path / "big.jsonl", EMB, batch_size=40, progress=False)
    assert report.resumed_from_line > 0
    assert report.complete
    assert set(resumed.qa_ids()) == valid
    assert len(resumed.qa_ids()) == len(valid) == report.stored
    assert {b.line for b in report.bad_rows} == bad
    assert resumed.validate() == []
    final = EmbeddedStore(tmp_path / "kb")
    assert final.validate() == []
    assert final.stats()["qa_pairs"] == len(valid)
