"""Embedded store persistence, crash recovery, HNSW, BM25 and the embedders."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb.common import tokenize
from sportsgpt.graph_kb.embedded import EmbeddedStore, auto_ef_search, bm25_scores, top_k
from sportsgpt.graph_kb.embeddings import (
    CachedEmbedder,
    EmbeddingCache,
    EmbeddingError,
    HashingEmbedder,
    normalise_rows,
)
from sportsgpt.graph_kb.errors import KnowledgeStoreError, StoreCorruptError
from sportsgpt.graph_kb.types import QAFilters, QAPair
from tests.contract.kb_fixtures import DIM, NODES, QA, load_fixture, qa_vectors


def _pairs(n: int, prefix: str = "p", movement: str = "deep_squat") -> list[QAPair]:
    return [QAPair(id=f"{prefix}{i}", question=f"question {i}", answer=f"answer {i} word{i}",
                   movements=[movement] if i % 2 == 0 else ["countermovement_jump"],
                   source_ids=["src_a"]) for i in range(n)]


def test_store_reopens_with_the_same_content(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    before = (store.stats(), store.qa_dense(qa_vectors(QA)[1], 5),
              store.qa_fulltext("landing knees", 5))
    again = EmbeddedStore(tmp_path / "kb")
    after = (again.stats(), again.qa_dense(qa_vectors(QA)[1], 5),
             again.qa_fulltext("landing knees", 5))
    assert after == before
    assert again.validate() == []
    assert again.fault_knowledge("knee_valgus_on_landing") == store.fault_knowledge(
        "knee_valgus_on_landing")


def test_uncommitted_tail_and_orphans_are_rolled_back(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    manifest = json.loads((tmp_path / "kb" / "manifest.json").read_text())
    # a crash after writing a chunk and half a line, before the manifest commit
    with open(tmp_path / "kb" / manifest["qa_file"], "ab") as fh:
        fh.write(b'{"id": "half-writ')
    (tmp_path / "kb" / "vectors" / "v0000-00000099.npy").write_bytes(b"garbage")
    (tmp_path / "kb" / ".graph.json.x.tmp").write_bytes(b"{")
    again = EmbeddedStore(tmp_path / "kb")
    assert again.validate() == []
    assert again.stats() == store.stats()
    assert not (tmp_path / "kb" / "vectors" / "v0000-00000099.npy").exists()
    assert not (tmp_path / "kb" / ".graph.json.x.tmp").exists()
    again.upsert_qa(_pairs(3), HashingEmbedder(DIM).embed(["a", "b", "c"]))
    assert EmbeddedStore(tmp_path / "kb").validate() == []


def test_lost_committed_data_is_reported(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    manifest = json.loads((tmp_path / "kb" / "manifest.json").read_text())
    qa_file = tmp_path / "kb" / manifest["qa_file"]
    qa_file.write_bytes(qa_file.read_bytes()[:10])
    with pytest.raises(StoreCorruptError, match="bytes"):
        EmbeddedStore(tmp_path / "kb")


def test_unreadable_manifest_is_a_typed_error(tmp_path: Path) -> None:
    EmbeddedStore(tmp_path / "kb").upsert_qa(QA[:1], qa_vectors(QA[:1]))
    (tmp_path / "kb" / "manifest.json").write_text("{nope")
    with pytest.raises(StoreCorruptError, match="manifest"):
        EmbeddedStore(tmp_path / "kb")


def test_a_second_writer_cannot_commit_over_the_first(tmp_path: Path) -> None:
    first = EmbeddedStore(tmp_path / "kb")
    first.upsert_graph(NODES, [])
    second = EmbeddedStore(tmp_path / "kb")
    first.upsert_qa(QA[:1], qa_vectors(QA[:1]))
    with pytest.raises(KnowledgeStoreError, match="another process"):
        second.upsert_qa(QA[1:2], qa_vectors(QA[1:2]))
    assert EmbeddedStore(tmp_path / "kb").validate() == []


def test_updates_compact_and_stay_consistent(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    store.upsert_graph(NODES, [])
    emb = HashingEmbedder(DIM)
    pairs = _pairs(50)
    for round_ in range(3):
        changed = [p.model_copy(update={"answer": f"{p.answer} v{round_}"}) for p in pairs]
        store.upsert_qa(changed, emb.embed([p.answer for p in changed]))
    assert store.stats()["qa_pairs"] == 50
    store.compact()
    assert store.validate() == []
    again = EmbeddedStore(tmp_path / "kb")
    assert again.get_qa(["p7"])[0].answer.endswith("v2")
    hit = again.qa_dense(emb.embed([again.get_qa(["p7"])[0].answer])[0], 1)
    assert hit[0][0] == "p7"
    assert len(list((tmp_path / "kb" / "vectors").iterdir())) == 1


def test_unchanged_upsert_writes_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    manifest = (tmp_path / "kb" / "manifest.json").read_bytes()
    load_fixture(store)
    assert (tmp_path / "kb" / "manifest.json").read_bytes() == manifest


def test_clear_persists(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    store.clear()
    again = EmbeddedStore(tmp_path / "kb")
    assert again.stats()["qa_pairs"] == 0
    assert again.get_node("Fault", "stiff_landing") is None
    assert again.validate() == []


def test_hnsw_agrees_with_exact_search(tmp_path: Path, rng: np.random.Generator) -> None:
    n, dim = 3000, 32
    vectors = normalise_rows(rng.normal(size=(n, dim)))
    pairs = _pairs(n)
    exact = EmbeddedStore(None, hnsw_threshold=10**9)
    approx = EmbeddedStore(tmp_path / "kb", hnsw_threshold=1000)
    for store in (exact, approx):
        store.upsert_graph(NODES, [])
        store.upsert_qa(pairs, vectors)
    queries = rng.normal(size=(20, dim)).astype(np.float32)
    recall = []
    for q in queries:
        truth = {i for i, _ in exact.qa_dense(q, 10)}
        recall.append(len(truth & {i for i, _ in approx.qa_dense(q, 10)}) / 10)
    assert np.mean(recall) >= 0.95
    assert (tmp_path / "kb" / "hnsw.bin").exists()
    squat = QAFilters(movement="deep_squat")
    filtered = approx.qa_dense(queries[0], 5, squat)
    truth = exact.qa_dense(queries[0], 5, squat)
    assert [i for i, _ in filtered] == [i for i, _ in truth]
    np.testing.assert_allclose([s for _, s in filtered], [s for _, s in truth], atol=1e-5)
    assert all(int(i[1:]) % 2 == 0 for i, _ in filtered)
    reopened = EmbeddedStore(tmp_path / "kb", hnsw_threshold=1000)
    assert reopened.qa_dense(queries[1], 10) == approx.qa_dense(queries[1], 10)
    approx.upsert_qa(_pairs(1, prefix="new"), vectors[:1] * -1)
    assert approx.qa_dense(-vectors[0], 1)[0][0] == "new0"


@pytest.mark.parametrize(("n", "k", "ef"), [
    (0, 10, 128), (10_000, 10, 128), (100_000, 10, 416), (1_000_000, 10, 1280),
    (10**9, 10, 4096), (1_000_000, 5000, 5000),
], ids=["empty", "10k", "100k", "1M", "capped", "k-above-beam"])
def test_auto_ef_search_grows_with_the_index(n: int, k: int, ef: int) -> None:
    assert auto_ef_search(n, k) == ef


@pytest.mark.parametrize("kwargs", [{"hnsw_m": 0}, {"hnsw_ef_construction": -1},
                                    {"hnsw_ef_search": 0}], ids=["m", "ef-construction", "ef"])
def test_non_positive_hnsw_parameters_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(KnowledgeStoreError, match="must be positive"):
        EmbeddedStore(None, **kwargs)


def test_fixed_ef_search_overrides_the_automatic_beam() -> None:
    store = EmbeddedStore(None, hnsw_ef_search=300)
    assert (store.ef_search(10), store.ef_search(500)) == (300, 500)
    store.hnsw_ef_search = None
    assert store.ef_search(10) == auto_ef_search(0, 10)


def test_index_built_with_other_parameters_still_loads(tmp_path: Path,
                                                       rng: np.random.Generator) -> None:
    n, dim = 1500, 16
    vectors = normalise_rows(rng.normal(size=(n, dim)))
    old = EmbeddedStore(tmp_path / "kb", hnsw_threshold=1000, hnsw_m=8, hnsw_ef_construction=40)
    old.upsert_graph(NODES, [])
    old.upsert_qa(_pairs(n), vectors)
    query = rng.normal(size=dim).astype(np.float32)
    before = old.qa_dense(query, 10)
    meta = json.loads((tmp_path / "kb" / "hnsw.json").read_text())
    assert (meta["M"], meta["ef_construction"], meta["rows"]) == (8, 40, n)
    built = (tmp_path / "kb" / "hnsw.bin").stat().st_mtime_ns
    reopened = EmbeddedStore(tmp_path / "kb", hnsw_threshold=1000)  # today's defaults
    assert reopened.qa_dense(query, 10) == before
    assert (tmp_path / "kb" / "hnsw.bin").stat().st_mtime_ns == built  # loaded, not rebuilt
    reopened.upsert_qa(_pairs(1, prefix="new"), -vectors[:1])
    assert reopened.qa_dense(-vectors[0], 1)[0][0] == "new0"
    meta = json.loads((tmp_path / "kb" / "hnsw.json").read_text())
    assert (meta["M"], meta["ef_construction"], meta["rows"]) == (8, 40, n + 1)


def test_bm25_scores_match_bm25s(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    index, _ = store._bm25_index()
    for query in (["landing", "knees", "landing"], ["zebra"], ["xylophone"], ["squat", "heel"]):
        np.testing.assert_allclose(bm25_scores(index, query), index.get_scores(query),
                                   rtol=1e-6)


@pytest.mark.parametrize(("scores", "k", "expected"), [
    ([0.0, 3.0, 1.0, 3.0, 2.0], 2, [1, 3]),
    ([1.0, 2.0, 2.0, 2.0, 0.5], 2, [1, 2]),
    ([0.0, 0.0, 1.0], 5, [2]),
    ([0.0, -1.0], 3, []),
    ([5.0, 4.0, 3.0, 2.0, 1.0], 5, [0, 1, 2, 3, 4]),
], ids=["distinct", "ties-lowest-first", "fewer-positive", "none-positive", "all"])
def test_top_k_keeps_best_positive_scores(scores: list[float], k: int,
                                          expected: list[int]) -> None:
    assert top_k(np.asarray(scores, dtype=np.float32), k).tolist() == expected


def test_bm25_index_is_persisted_and_refreshed(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "kb")
    load_fixture(store)
    first = store.qa_fulltext("zebra", 3)
    assert json.loads((tmp_path / "kb" / "bm25.json").read_text())["docs"] == len(QA)
    assert EmbeddedStore(tmp_path / "kb").qa_fulltext("zebra", 3) == first
    extra = QAPair(id="z2", question="zebra zebra?", answer="zebra", source_ids=["src_a"])
    store.upsert_qa([extra], qa_vectors([extra]))
    assert store.qa_fulltext("zebra", 3)[0][0] == "z2"


@pytest.mark.parametrize(("text", "tokens"), [
    ("How do I land SOFTLY?", ["land", "softly"]),
    ("", []),
    ("knee-valgus 2x", ["knee", "valgus", "2x"]),
], ids=["stopwords", "empty", "punctuation"])
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_hashing_embedder_is_deterministic_and_unit() -> None:
    emb = HashingEmbedder(128)
    a = emb.embed(["knee valgus landing", "knee valgus landing", "arm swing timing", ""])
    assert a.dtype == np.float32
    assert a.shape == (4, 128)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(a[0], a[1])
    assert a[0] @ a[1] > a[0] @ a[2]
    with pytest.raises(EmbeddingError):
        HashingEmbedder(1)


@pytest.mark.parametrize("bad", [np.zeros((1, 3)), np.full((1, 3), np.nan), np.ones(3)],
                         ids=["zero", "nan", "1d"])
def test_normalise_rows_refuses_bad_vectors(bad: np.ndarray) -> None:
    with pytest.raises(EmbeddingError):
        normalise_rows(bad)


def test_embedding_cache_persists_and_counts(tmp_path: Path) -> None:
    inner = HashingEmbedder(16)
    cached = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"))
    first = cached.embed(["a b", "c d", "a b"])
    assert cached.misses == 3 and cached.hits == 0
    again = CachedEmbedder(inner, EmbeddingCache(tmp_path / "c.sqlite"))
    second = again.embed(["c d", "a b", "e"])
    assert (again.hits, again.misses) == (2, 1)
    np.testing.assert_array_equal(second[:2], first[[1, 0]])
    other = CachedEmbedder(HashingEmbedder(32), EmbeddingCache(tmp_path / "c.sqlite"))
    assert other.embed(["a b"]).shape == (1, 32)
    assert other.misses == 1


def test_invalid_source_node_is_refused(tmp_path: Path) -> None:
    from sportsgpt.graph_kb.types import Node

    store = EmbeddedStore(tmp_path / "kb")
    with pytest.raises(SportsGPTError, match="Source node"):
        store.upsert_graph([Node(id="s", label="Source", props={"title": "no year"})], [])
    with pytest.raises(SportsGPTError, match="label"):
        store.upsert_graph([Node(id="s", label="Bad Label", props={})], [])


def test_validate_reports_unknown_sources() -> None:
    store = EmbeddedStore(None)
    pair = QAPair(id="q", question="q", answer="a", source_ids=["nowhere"])
    store.upsert_qa([pair], qa_vectors([pair]))
    assert store.validate() == ["QA q: unknown source 'nowhere'"]
