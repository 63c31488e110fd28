"""Documents in every backend (Neo4j in CI): passages, page sources, search, no re-embedding."""

from __future__ import annotations

from pathlib import Path

from sportsgpt.graph_kb.documents import add_documents
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from sportsgpt.graph_kb.retrieval import hybrid_search
from sportsgpt.graph_kb.types import KnowledgeStore, QAFilters
from tests.unit.doc_fixtures import PDF_TITLE, write_folder

EMB = HashingEmbedder(64)


def test_documents_round_trip_with_their_page_and_section_sources(
        store: KnowledgeStore, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs")
    report = add_documents(store, folder, EMB, batch_size=2, state_dir=tmp_path / "state")
    assert report.files_failed == [] and report.stored == report.chunks > 4
    stats = store.stats()
    assert stats["qa_pairs:document"] == stats["qa_pairs"] == report.stored
    assert stats["nodes:Source"] == report.sources
    hits = hybrid_search(store, "sticky floor drill landing", EMB, k=2)
    assert [s.id for s in hits[0].sources] == ["doc:handbook#p112"]
    assert hits[0].sources[0].title == f"{PDF_TITLE}, p. 112"
    (squat,) = store.sources(["doc:notes-squat#knees"])
    assert (squat.title, squat.year, squat.url, squat.authors) == (
        "Squat Notes, § Knees", 2021, "https://example.org/squat-notes", ["C. Dee", "E. Eff"])
    (page,) = store.sources(["doc:handbook#p111"])
    assert page.year is None
    found = {pid for pid, _ in store.qa_fulltext("butt wink pelvis", 5,
                                                 QAFilters(tier="document"))}
    assert found and {p.tier for p in store.get_qa(sorted(found))} == {"document"}
    again = add_documents(store, folder, EMB, restart=True, state_dir=tmp_path / "state")
    assert (again.stored, again.already_stored) == (0, report.stored)
