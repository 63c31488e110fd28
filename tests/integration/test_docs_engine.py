"""``kb add-docs`` on a local two-worker Dask cluster gives the local run's passages.

A small folder (a two-page PDF generated here, Markdown, HTML, text, and a duplicate
text file) is ingested into the embedded store in this process and on a
``LocalCluster`` of two worker processes that extract, split and embed with the
hashing embedder; the passages (ids, pages, sections, sources) must be identical
and the vectors equal within float32 rounding. The seam's per-item failure is
checked on the same kind of cluster.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sportsgpt.core.engine import map_unordered
from sportsgpt.graph_kb.documents import add_documents
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from tests.unit.doc_fixtures import VectorStore, assert_same_passages, write_folder

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EMB = HashingEmbedder(64)


def _pid_unless_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad item {x}")
    return os.getpid()


def test_two_dask_workers_give_the_local_passages_and_vectors(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    folder = write_folder(tmp_path / "docs")
    (folder / "copy.txt").write_text((folder / "warmup.txt").read_text(), encoding="utf-8")
    local, cluster = VectorStore(), VectorStore()
    here = add_documents(local, folder, EMB, batch_size=3, state_dir=tmp_path / "a")
    there = add_documents(cluster, folder, EMB, batch_size=3, engine="dask", workers=2,
                          state_dir=tmp_path / "b")
    assert_same_passages(local, cluster)
    pages = {p.question for p in local.get_qa(local.qa_ids()) if "(p. " in p.question}
    assert any("p. 112" in q for q in pages) and any("p. 111" in q for q in pages)
    assert (there.files, there.chunks, there.duplicate_chunks, there.stored,
            there.files_failed) == (here.files, here.chunks, 1, here.stored, [])
    assert there.embed_seconds == 0 and there.worker_embed_seconds > 0
    rerun = add_documents(cluster, folder, EMB, engine="dask", workers=2,
                          state_dir=tmp_path / "b")
    assert (rerun.files_done_before, rerun.stored) == (here.files, 0)


def test_a_failing_item_on_dask_fails_alone(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    outcomes = list(map_unordered(_pid_unless_three, [1, 2, 3, 4], engine="dask",
                                  workers=2))
    assert sorted(o.index for o in outcomes) == [0, 1, 2, 3]
    failed = [o for o in outcomes if not o.ok]
    assert [(o.item, str(o.error)) for o in failed] == [(3, "bad item 3")]
    assert os.getpid() not in {o.value for o in outcomes if o.ok}
