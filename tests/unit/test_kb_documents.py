"""Your own documents in the knowledge base: extraction, splitting, dedup, resume, citation."""

from __future__ import annotations

import argparse
import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sportsgpt.core.engine import EngineError
from sportsgpt.graph_kb.documents import (
    DocumentError,
    EmbedderSpec,
    add_docs_parser,
    add_documents,
    chunk_document,
    extract,
    process_file,
    split_text,
    worker_spec,
)
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import (
    CachedEmbedder,
    EmbeddingCache,
    FloatMatrix,
    HashingEmbedder,
    cache_key,
    qa_text,
)
from sportsgpt.graph_kb.retrieval import hybrid_search
from sportsgpt.graph_kb.types import QAFilters
from tests.unit.doc_fixtures import (
    PDF_TITLE,
    VectorStore,
    assert_same_passages,
    write_folder,
    write_pdf,
)

EMB = HashingEmbedder(64)


def _add(store: EmbeddedStore, folder: Path, tmp_path: Path, **kw: Any) -> Any:
    return add_documents(store, folder, EMB, state_dir=tmp_path / "state", **kw)


# ----------------------------------------------------------------------------- extraction
def test_pdf_pages_keep_their_printed_labels_outline_sections_and_metadata(
        tmp_path: Path) -> None:
    meta, blocks = extract(write_pdf(tmp_path / "handbook.pdf"), "handbook.pdf")
    assert (meta.title, meta.authors, meta.format) == (PDF_TITLE, ["Ann Coach", "Bo Trainer"],
                                                       "pdf")
    assert [(b.page, b.page_index, b.section) for b in blocks] == [
        ("111", 0, "Takeoff"), ("112", 1, "Landing")]
    assert "sticky-floor drill" in blocks[1].text and "sticky" not in blocks[0].text
    chunks, _ = chunk_document(meta, blocks)
    landing = next(c for c in chunks if "sticky-floor" in c.text)
    assert landing.source_id == "doc:handbook#p112"
    assert landing.citation == f"{PDF_TITLE}, p. 112"
    assert landing.source().title == f"{PDF_TITLE}, p. 112"


def test_markdown_sections_follow_headings_and_front_matter_gives_metadata(
        tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    meta, blocks = extract(folder / "notes" / "squat.md", "notes/squat.md")
    assert (meta.title, meta.authors, meta.year, meta.url, meta.slug) == (
        "Squat Notes", ["C. Dee", "E. Eff"], 2021, "https://example.org/squat-notes",
        "notes-squat")
    assert [b.section for b in blocks] == ["Depth", "Depth › Knees"]
    assert blocks[0].text.startswith("Squat to a depth") and "**" not in blocks[0].text
    chunks, _ = chunk_document(meta, blocks)
    assert [c.source_id for c in chunks] == ["doc:notes-squat#depth", "doc:notes-squat#knees"]
    assert chunks[1].citation == "Squat Notes, § Knees"


def test_html_drops_scripts_and_navigation_and_reads_title_author_year(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    meta, blocks = extract(folder / "primer.html", "primer.html")
    assert (meta.title, meta.authors, meta.year) == ("Drop Jump Primer", ["F. Gee"], 2019)
    assert len(blocks) == 1 and blocks[0].section == "Contact time"
    assert "Home" not in blocks[0].text and "var x" not in blocks[0].text
    assert "hot to the touch" in blocks[0].text


def test_plain_text_is_one_unsectioned_block_titled_by_the_file(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    meta, blocks = extract(folder / "warmup.txt", "warmup.txt")
    assert meta.title == "warmup" and [b.section for b in blocks] == [None]
    chunks, _ = chunk_document(meta, blocks)
    assert [c.source_id for c in chunks] == ["doc:warmup"]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("broken.pdf", b"this is not a PDF", "broken.pdf"),
    ("latin.txt", "caf\xe9 au lait".encode("latin-1"), "not UTF-8"),
], ids=["bad-pdf", "not-utf8"])
def test_an_unreadable_file_becomes_its_error(tmp_path: Path, name: str, data: bytes,
                                              message: str) -> None:
    (tmp_path / name).write_bytes(data)
    result = process_file(tmp_path / name, name)
    assert result.chunks == [] and result.error is not None
    assert message in result.error or result.error.startswith(("PdfReadError", "PdfStream"))


def test_an_unknown_suffix_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "x.docx").write_bytes(b"")
    with pytest.raises(DocumentError, match=r"x\.docx.*'\.docx'"):
        extract(tmp_path / "x.docx", "x.docx")


# ------------------------------------------------------------------------------ splitting
def test_split_respects_the_size_and_repeats_the_last_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = split_text(text, max_chars=200, overlap=60)
    assert len(chunks) > 5 and all(len(c) <= 200 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        # the overlap: the previous passage's last whole sentences, at most 60 characters
        start = before.rfind(after.split(". ")[0] + ".")
        assert start > 0 and len(before) - start <= 60 and after.startswith(before[start:])
    words = {w for c in chunks for w in c.split()}
    assert {f"{i}" for i in range(60)} <= words  # nothing lost


def test_split_cuts_a_giant_word_run_and_keeps_paragraphs_apart_when_they_fit() -> None:
    assert split_text("a " * 100, max_chars=50, overlap=0) == ["a " * 24 + "a"] * 4
    assert split_text("Short one.\n\nShort two.", max_chars=30, overlap=0) == [
        "Short one. Short two."]


@pytest.mark.parametrize(("max_chars", "overlap"), [(10, 0), (100, 50), (100, -1)],
                         ids=["too-small", "overlap-half", "negative-overlap"])
def test_split_refuses_bad_sizes(max_chars: int, overlap: int) -> None:
    with pytest.raises(DocumentError, match=f"max_chars={max_chars}, overlap={overlap}"):
        split_text("text", max_chars, overlap)


def test_passages_never_cross_a_page(tmp_path: Path) -> None:
    meta, blocks = extract(write_pdf(tmp_path / "h.pdf"), "h.pdf")
    chunks, _ = chunk_document(meta, blocks, max_chars=60, overlap=0, min_chars=5)
    assert {c.page for c in chunks} == {"111", "112"}
    assert all(("sticky" in c.text) <= (c.page == "112") for c in chunks)


# ------------------------------------------------------------- storing, dedup and resume
def test_a_folder_round_trips_through_the_embedded_store(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs")
    report = _add(EmbeddedStore(tmp_path / "kb"), folder, tmp_path)
    assert (report.files, report.files_failed, report.stored) == (4, [], report.chunks)
    store = EmbeddedStore(tmp_path / "kb")  # reopened from disk
    assert store.validate() == []
    assert store.stats()["qa_pairs:document"] == report.stored
    ids = store.qa_ids()
    pairs = store.get_qa(ids)
    assert {p.tier for p in pairs} == {"document"}
    landing = next(p for p in pairs if "sticky-floor" in p.answer)
    assert landing.source_ids == ["doc:handbook#p112"]
    assert landing.question == f"{PDF_TITLE} › Landing (p. 112)"
    (source,) = store.sources(["doc:handbook#p112"])
    assert (source.title, source.authors, source.year, source.venue) == (
        f"{PDF_TITLE}, p. 112", ["Ann Coach", "Bo Trainer"], None, "handbook.pdf")
    hits = hybrid_search(store, "sticky floor drill for landing", EMB, k=3)
    assert hits[0].qa.id == landing.id
    assert [s.id for s in hits[0].sources] == ["doc:handbook#p112"]
    only_docs = {h.qa.tier for h in hybrid_search(store, "squat", EMB, k=5,
                                                  filters=QAFilters(tier="document"))}
    assert only_docs == {"document"}


def test_the_same_text_twice_is_stored_once_and_a_rerun_skips_finished_files(
        tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    (folder / "copy.txt").write_text((folder / "warmup.txt").read_text(), encoding="utf-8")
    store = EmbeddedStore(tmp_path / "kb")
    first = _add(store, folder, tmp_path)
    assert first.duplicate_chunks == 1 and first.stored == first.chunks - 1
    again = _add(store, folder, tmp_path)
    assert (again.files_done_before, again.stored, again.chunks) == (first.files, 0, 0)
    restarted = _add(store, folder, tmp_path, restart=True)
    assert (restarted.stored, restarted.already_stored) == (0, first.stored)
    assert len(store.qa_ids()) == first.stored


class _CrashingEmbedder:
    """Embeds ``ok_batches`` batches, then fails like a killed process would stop."""

    def __init__(self, ok_batches: int) -> None:
        self.left = ok_batches
        self.texts = 0

    @property
    def model_id(self) -> str:
        return EMB.model_id

    @property
    def dim(self) -> int:
        return EMB.dim

    def embed(self, texts: Any) -> FloatMatrix:
        if self.left == 0:
            raise RuntimeError("crash")
        self.left -= 1
        self.texts += len(texts)
        return EMB.embed(texts)


def test_an_interrupted_run_resumes_without_embedding_stored_passages_again(
        tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs")
    reference = _add(EmbeddedStore(None), folder, tmp_path / "ref")
    store = EmbeddedStore(tmp_path / "kb")
    with pytest.raises(RuntimeError, match="crash"):
        add_documents(store, folder, _CrashingEmbedder(2), batch_size=1,
                      state_dir=tmp_path / "state")
    done_before = len(store.qa_ids())
    assert done_before == 2
    resumed = _CrashingEmbedder(1000)
    report = add_documents(EmbeddedStore(tmp_path / "kb"), folder, resumed, batch_size=1,
                           state_dir=tmp_path / "state")
    assert report.stored + done_before == reference.stored
    assert resumed.texts == reference.stored - done_before  # nothing embedded twice
    assert len(EmbeddedStore(tmp_path / "kb").qa_ids()) == reference.stored


def test_a_bad_file_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    report = _add(EmbeddedStore(None), folder, tmp_path)
    assert [f.file for f in report.files_failed] == ["broken.pdf"]
    assert report.stored > 0
    again = _add(EmbeddedStore(None), folder, tmp_path)
    assert [f.file for f in again.files_failed] == ["broken.pdf"]  # tried again, not "done"


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="nowhere"):
        _add(EmbeddedStore(None), tmp_path / "nowhere", tmp_path)


def test_worker_processes_give_the_same_passages(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    one, two = EmbeddedStore(None), EmbeddedStore(None)
    _add(one, folder, tmp_path / "a")
    _add(two, folder, tmp_path / "b", workers=2)
    assert one.get_qa(one.qa_ids()) == two.get_qa(two.qa_ids())


def test_workers_embed_whole_files_with_the_same_vectors(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    (folder / "copy.txt").write_text((folder / "warmup.txt").read_text(), encoding="utf-8")
    here, pooled = VectorStore(), VectorStore()
    one = _add(here, folder, tmp_path / "a", batch_size=2)
    two = _add(pooled, folder, tmp_path / "b", batch_size=2, workers=2)
    assert_same_passages(here, pooled)
    assert (two.stored, two.duplicate_chunks, two.engine, two.workers) == (
        one.stored, one.duplicate_chunks, "local", 2)
    assert one.embed_seconds > 0 and one.worker_embed_seconds == 0
    assert two.embed_seconds == 0 and two.worker_embed_seconds > 0  # none on the caller


def test_worker_vectors_go_into_the_callers_embedding_cache(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    cached = CachedEmbedder(EMB, EmbeddingCache(tmp_path / "cache.sqlite"))
    store = VectorStore()
    add_documents(store, folder, cached, workers=2, state_dir=tmp_path / "state")
    pairs = store.get_qa(store.qa_ids())
    keys = [cache_key(EMB.model_id, qa_text(p.question, p.answer)) for p in pairs]
    hits = cached.cache.get_many(keys)
    assert len(hits) == len(pairs) and cached.misses == 0
    np.testing.assert_array_equal(hits[keys[0]], store.vectors[pairs[0].id])


def test_worker_spec_rebuilds_known_embedders_and_names_others() -> None:
    assert worker_spec(EMB) == EmbedderSpec(kind="hashing", dim=64)
    cached = CachedEmbedder(HashingEmbedder(32), EmbeddingCache(Path(":memory:")))
    assert worker_spec(cached).build().model_id == "hashing-32"
    with pytest.raises(DocumentError, match="_CrashingEmbedder"):
        worker_spec(_CrashingEmbedder(1))  # type: ignore[arg-type]


def test_worker_vectors_of_another_model_are_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "docs", pdf=False)
    with pytest.raises(DocumentError, match="hashing-32"):
        _add(EmbeddedStore(None), folder, tmp_path, workers=2,
             embedder_spec=EmbedderSpec(kind="hashing", dim=32))


def test_the_cli_parser_reads_the_options() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="kb_command")
    add_docs_parser(sub)
    args = parser.parse_args(["add-docs", "books", "--workers", "2", "--restart"])
    assert (args.kb_command, args.folder, args.workers, args.restart, args.batch_size,
            args.engine, args.address) == ("add-docs", "books", 2, True, 64, "local", None)
    args = parser.parse_args(["add-docs", "books", "--engine", "dask", "--address",
                              "tcp://10.0.0.1:8786"])
    assert (args.engine, args.address) == ("dask", "tcp://10.0.0.1:8786")


def test_the_api_passes_the_engine_options_on(tmp_path: Path) -> None:
    from sportsgpt import api
    from sportsgpt.core.settings import Settings

    settings = Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path / "cache")})
    with api.SportsGPT(settings, store=EmbeddedStore(None), embedder=EMB,
                       progress=None) as ctx, pytest.raises(EngineError, match=r"10\.0\.0\.1"):
        api.kb_add_docs(ctx, tmp_path, address="tcp://10.0.0.1:8786", progress=False)


# ----------------------------------------------------------------- the coach cites a page
@dataclass
class _Deps:
    store: EmbeddedStore
    embedder: HashingEmbedder

    def recording_handles(self) -> tuple[str, ...]:
        return ()

    def analyze_recording(self, handle: str, movement: str) -> Any:
        raise AssertionError("no recording in this test")


def test_search_knowledge_adds_document_passages_to_a_filtered_search(tmp_path: Path) -> None:
    from sportsgpt.tools.registry import ToolRegistry

    store = EmbeddedStore(None)
    _add(store, write_folder(tmp_path / "docs"), tmp_path)
    out = ToolRegistry().call("search_knowledge", {
        "query": "sticky floor landing drill", "movement": "countermovement_jump", "k": 3},
        _Deps(store, EMB))
    assert out.ok and "doc:handbook#p112" in out.source_ids
    assert "doc:handbook#p112" in out.content


def _coach_cites_the_page(tmp_path: Path, store: EmbeddedStore | None) -> None:
    from sportsgpt import api
    from sportsgpt.core.settings import Settings

    settings = Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path / "cache")})
    with api.SportsGPT(settings, store=store, embedder=HashingEmbedder(64),
                       progress=None) as ctx:
        report = api.kb_add_docs(ctx, write_folder(tmp_path / "docs"), progress=False)
        assert report.stored > 0 and report.files_failed == []
        answer = api.coach(ctx, "What is the sticky-floor drill for landing?", backend="none")
    cited = {c.id: c for c in answer.citations}
    assert cited["doc:handbook#p112"].title == f"{PDF_TITLE}, p. 112"
    # the passage is the best evidence: the first cited point is the page's
    assert re.findall(r"\[([^\]\s]+)\]", answer.answer)[0] == "doc:handbook#p112"
    assert "sticky-floor drill" in answer.answer
    assert f"{PDF_TITLE}, p. 112" in answer.answer  # the reference list


def test_the_coach_cites_a_document_by_page(tmp_path: Path) -> None:
    _coach_cites_the_page(tmp_path, EmbeddedStore(tmp_path / "kb"))


def test_the_coach_cites_a_document_page_beside_the_curated_knowledge(tmp_path: Path) -> None:
    _coach_cites_the_page(tmp_path, None)  # the configured store: curated content built first
