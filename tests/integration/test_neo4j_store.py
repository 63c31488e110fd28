"""Neo4j-specific behaviour of Neo4jStore (the shared contract is in tests/contract).

Needs a server: ``eval "$(scripts/neo4j-dev.sh start)"`` or ``scripts/ci-neo4j.sh
pytest ...``. Skips when ``SPORTSGPT_NEO4J_URI`` is unset, except the tests
that need no server.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import numpy as np
import pytest

from sportsgpt.graph_kb import cypher
from sportsgpt.graph_kb.embeddings import normalise_rows
from sportsgpt.graph_kb.errors import GraphIntegrityError, KnowledgeStoreError
from sportsgpt.graph_kb.schema import NODE_LABELS, RELATION_TYPES
from sportsgpt.graph_kb.types import Node, QAFilters, QAPair, Relation
from tests.contract.kb_fixtures import DIM, NODES, QA, load_fixture, qa_vectors

pytestmark = pytest.mark.integration
neo4j_store = pytest.importorskip("sportsgpt.graph_kb.neo4j_store")
needs_server = pytest.mark.skipif(not os.environ.get("SPORTSGPT_NEO4J_URI"),
                                  reason="SPORTSGPT_NEO4J_URI is not set")

INJECTION = "'}) DETACH DELETE n //"
NASTY_TEXTS = [
    INJECTION,
    '"}) MATCH (n) DETACH DELETE n RETURN 1 //',
    "`) DETACH DELETE n; CREATE (x:Evil) //",
    "$id {id: $ids} \\' \\\" \\\\ \n\t ünïcödé 🏋️",
    'title:knee AND (valgus OR "landing~ *?^2 -x +y || && ! [a TO b] {c} /re/',
]


@pytest.fixture
def store() -> Iterator[neo4j_store.Neo4jStore]:
    if not os.environ.get("SPORTSGPT_NEO4J_URI"):
        pytest.skip("SPORTSGPT_NEO4J_URI is not set")
    with neo4j_store.Neo4jStore.from_env() as s:
        s.clear()
        yield s
        s.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ----------------------------------------------------------------- no server needed

def test_unreachable_server_says_how_to_start_one() -> None:
    uri = f"bolt://127.0.0.1:{_free_port()}"
    with pytest.raises(neo4j_store.Neo4jUnavailableError, match=r"neo4j-dev\.sh start") as err:
        neo4j_store.Neo4jStore(uri)
    assert uri in str(err.value)


def test_from_env_without_uri_is_a_typed_error() -> None:
    with pytest.raises(neo4j_store.Neo4jStoreError, match="SPORTSGPT_NEO4J_URI"):
        neo4j_store.Neo4jStore.from_env({})


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "127.0.0.1:7687", "bolt://[::1"],
                         ids=["http", "no-scheme", "malformed"])
def test_invalid_uri_is_a_typed_error(uri: str) -> None:
    with pytest.raises(neo4j_store.Neo4jStoreError, match="invalid Neo4j URI"):
        neo4j_store.Neo4jStore(uri)


@pytest.mark.parametrize("name", ["Fault`) DETACH DELETE n //", "Evil", "fault", "QAPair", ""],
                         ids=["injection", "unknown", "wrong-case", "qa-label", "empty"])
def test_render_refuses_names_outside_the_whitelist(name: str) -> None:
    with pytest.raises(cypher.CypherNameError):
        cypher.render(cypher.GET_NODE, labels=NODE_LABELS, rel_types=RELATION_TYPES, label=name)
    with pytest.raises(cypher.CypherNameError):
        cypher.render(cypher.NEIGHBOURS_OUT, labels=NODE_LABELS, rel_types=RELATION_TYPES,
                      label="Fault", rel_type=name)


def test_render_quotes_whitelisted_names() -> None:
    text = cypher.render(cypher.MERGE_RELATIONS, labels=NODE_LABELS, rel_types=RELATION_TYPES,
                         start_label="Drill", end_label="Fault", rel_type="CORRECTS")
    assert "(a:`Drill` {id: row.start})" in text
    assert "[r:`CORRECTS`]" in text


def test_fixed_statements_use_schema_names() -> None:
    assert set(cypher.FAULT_KNOWLEDGE_LABELS) <= set(NODE_LABELS)
    assert set(cypher.FAULT_KNOWLEDGE_TYPES) <= set(RELATION_TYPES)
    assert cypher.QA_LABEL not in NODE_LABELS


# ----------------------------------------------------------------- server

@needs_server
def test_constraints_exist_for_every_label(store: neo4j_store.Neo4jStore) -> None:
    report = store.schema_report()
    unique = {(tuple(c["labelsOrTypes"]), tuple(c["properties"]))
              for c in report["constraints"] if c["type"] == "UNIQUENESS"}
    for label in [*NODE_LABELS, cypher.QA_LABEL]:
        assert ((label,), ("id",)) in unique, label


@needs_server
def test_indexes_are_online(store: neo4j_store.Neo4jStore) -> None:
    indexes = {i["name"]: i for i in store.schema_report()["indexes"]}
    vector = indexes[cypher.VECTOR_INDEX]
    assert (vector["type"], vector["state"]) == ("VECTOR", "ONLINE")
    assert vector["labelsOrTypes"] == [cypher.QA_LABEL]
    assert vector["properties"] == ["embedding"]
    config = vector["options"]["indexConfig"]
    assert config["vector.dimensions"] == store.vector_dim
    assert config["vector.similarity_function"].lower() == "cosine"
    text = indexes[cypher.FULLTEXT_INDEX]
    assert (text["type"], text["state"]) == ("FULLTEXT", "ONLINE")
    assert text["properties"] == ["question", "answer"]
    assert all(i["state"] == "ONLINE" for i in indexes.values())


@needs_server
def test_schema_setup_is_idempotent() -> None:
    with neo4j_store.Neo4jStore.from_env() as first:
        before = first.schema_report()
    with neo4j_store.Neo4jStore.from_env() as second:
        after = second.schema_report()
    assert [c["name"] for c in after["constraints"]] == [c["name"] for c in before["constraints"]]
    assert [i["name"] for i in after["indexes"]] == [i["name"] for i in before["indexes"]]


def _random_pairs(n: int) -> list[QAPair]:
    return [QAPair(id=f"r{i:04d}", question=f"question {i}", answer=f"answer {i}",
                   movements=["deep_squat" if i % 2 else "countermovement_jump"],
                   source_ids=["src_a"]) for i in range(n)]


@needs_server
@pytest.mark.parametrize("filters", [None, QAFilters(movement="deep_squat")],
                         ids=["index", "filtered-exact"])
def test_vector_search_returns_the_nearest_neighbour(store: neo4j_store.Neo4jStore,
                                                     rng: np.random.Generator,
                                                     filters: QAFilters | None) -> None:
    pairs = _random_pairs(400)
    vectors = rng.normal(size=(len(pairs), 48)).astype(np.float32)
    store.upsert_qa(pairs, vectors)
    assert store.vector_dim == 48
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    allowed = np.array([filters is None or p.movements == ["deep_squat"] for p in pairs])
    for target in (1, 7, 201, 399):
        query = vectors[target] + 0.05 * rng.normal(size=48).astype(np.float32)
        hits = store.qa_dense(query, 5, filters)
        cosines = unit @ (query / np.linalg.norm(query))
        cosines[~allowed] = -np.inf
        best = np.argsort(-cosines)[:5]
        assert [h[0] for h in hits] == [pairs[i].id for i in best]
        assert [h[1] for h in hits] == pytest.approx(cosines[best].tolist(), abs=1e-5)


@needs_server
def test_empty_store_adopts_the_first_dimension_and_then_holds_it(
        store: neo4j_store.Neo4jStore, rng: np.random.Generator) -> None:
    store.upsert_qa(QA[:1], rng.normal(size=(1, 12)))
    assert store.vector_dim == 12
    with pytest.raises(KnowledgeStoreError, match="dimension 12"):
        store.upsert_qa(QA[1:2], rng.normal(size=(1, 13)))
    with pytest.raises(KnowledgeStoreError, match="dimension 12"):
        store.qa_dense(rng.normal(size=13), 3)
    store.clear()
    store.upsert_qa(QA[:1], rng.normal(size=(1, DIM)))
    assert store.vector_dim == DIM


@needs_server
def test_fulltext_search_ranks_and_filters(store: neo4j_store.Neo4jStore) -> None:
    load_fixture(store)
    hits = store.qa_fulltext("zebra", 5)
    assert [h[0] for h in hits] == ["qa5"]
    assert hits[0][1] > 0
    landing = [h[0] for h in store.qa_fulltext("landing land stiff", 5)]
    assert landing[0] == "qa2"
    assert store.qa_fulltext("landing", 5, QAFilters(fault="knee_valgus_on_landing")) == [
        h for h in store.qa_fulltext("landing", 5) if h[0] == "qa1"]


@needs_server
@pytest.mark.parametrize("text", NASTY_TEXTS, ids=["quote", "double-quote", "backtick",
                                                   "params-escapes", "lucene-syntax"])
def test_cypher_and_lucene_text_is_stored_verbatim(store: neo4j_store.Neo4jStore,
                                                   text: str) -> None:
    load_fixture(store)
    before = store.stats()
    pair = QAPair(id=text, question=f"How? {text}", answer=text, movements=[text],
                  faults=[text], source_ids=[text])
    store.upsert_qa([pair], qa_vectors([pair]))
    store.upsert_graph([Node(id=text, label="Cue", props={"text": text, text: [text]})], [])
    assert store.get_qa([text]) == [pair]
    assert store.get_node("Cue", text) == Node(id=text, label="Cue",
                                               props={"text": text, text: [text]})
    assert store.qa_dense(qa_vectors([pair])[0], 1, QAFilters(movement=text))[0][0] == text
    store.qa_fulltext(text, 5, QAFilters(fault=text))  # must not raise
    assert store.neighbours("Cue", text, "ADDRESSES") == []
    after = store.stats()
    expected = {**before, "qa_pairs": before["qa_pairs"] + 1,
                "qa_pairs:curated": before["qa_pairs:curated"] + 1,
                "nodes:Cue": before["nodes:Cue"] + 1}
    assert after == expected
    assert store.get_qa([p.id for p in QA]) == QA


@needs_server
def test_labels_and_types_outside_the_whitelist_are_refused(
        store: neo4j_store.Neo4jStore) -> None:
    load_fixture(store)
    before = store.stats()
    with pytest.raises(GraphIntegrityError, match="whitelist"):
        store.upsert_graph([Node(id="x", label="Fault`) DETACH DELETE n //", props={})], [])
    with pytest.raises(GraphIntegrityError, match="whitelist"):
        store.upsert_graph([], [Relation(type="EVIL]->() DETACH DELETE n //",
                                         start_label="Drill", start_id="drop_landing",
                                         end_label="Fault", end_id="stiff_landing")])
    assert store.get_node("Evil", "x") is None
    assert store.neighbours("Fault", "stiff_landing", "EVIL") == []
    assert store.stats() == before


@needs_server
def test_graph_upsert_is_one_transaction(store: neo4j_store.Neo4jStore) -> None:
    bad = Relation(type="CORRECTS", start_label="Drill", start_id="drop_landing",
                   end_label="Fault", end_id="no_such_fault")
    with pytest.raises(GraphIntegrityError, match="no_such_fault"):
        store.upsert_graph(NODES, [bad])
    assert store.stats()["qa_pairs"] == 0
    assert not any(k.startswith("nodes:") for k in store.stats())


@needs_server
def test_nested_properties_round_trip_exactly(store: neo4j_store.Neo4jStore) -> None:
    props = {"dosage": {"sets": 3, "reps": 8, "rest_s": 90.0}, "steps": [{"a": 1}, {"b": None}],
             "mixed": [1, "two"], "none": None, "big": 2**70, "flag": False, "ratio": 0.1}
    store.upsert_graph([Node(id="d", label="Drill", props=props)], [])
    got = store.get_node("Drill", "d")
    assert got is not None
    assert got.props == props
    assert type(got.props["dosage"]["rest_s"]) is float


@needs_server
def test_non_json_properties_are_refused(store: neo4j_store.Neo4jStore) -> None:
    with pytest.raises(GraphIntegrityError, match="not plain JSON"):
        store.upsert_graph([Node(id="d", label="Drill", props={"x": float("nan")})], [])


def test_non_positive_dense_candidates_are_refused() -> None:
    with pytest.raises(neo4j_store.Neo4jStoreError, match="dense_candidates"):
        neo4j_store.Neo4jStore("bolt://127.0.0.1:1", dense_candidates=0)


@needs_server
def test_vectors_round_trip_exactly_as_float32(store: neo4j_store.Neo4jStore,
                                               rng: np.random.Generator) -> None:
    vectors = qa_vectors(QA)
    vectors[0] = normalise_rows(rng.normal(size=(1, DIM)))[0]
    store.upsert_qa(QA, vectors)
    rows = store._read("read embeddings", lambda tx: store._rows(
        tx, "MATCH (q:QAPair) RETURN q.id AS id, q.embedding AS embedding"))
    stored = {r["id"]: np.asarray(r["embedding"], dtype=np.float64) for r in rows}
    expected = normalise_rows(vectors)
    for i, pair in enumerate(QA):
        np.testing.assert_array_equal(stored[pair.id], expected[i].astype(np.float64))
    hit = store.qa_dense(vectors[0], 1)[0]
    assert hit[0] == QA[0].id
    assert hit[1] == pytest.approx(1.0, abs=1e-6)


@needs_server
@pytest.mark.parametrize("candidates", [1, 3, 500], ids=["below-k", "k", "many"])
def test_dense_candidates_setting_keeps_results_exact_on_small_stores(
        store: neo4j_store.Neo4jStore, rng: np.random.Generator, candidates: int) -> None:
    load_fixture(store)
    query = rng.normal(size=DIM)
    default = store.qa_dense(query, 3)
    store.dense_candidates = candidates
    assert [h[0] for h in store.qa_dense(query, 3)] == [h[0] for h in default]


@needs_server
@pytest.mark.parametrize("k", [1, 2, 5], ids=["k1", "k2", "k5"])
def test_unfiltered_fulltext_top_k_matches_the_filtered_path(store: neo4j_store.Neo4jStore,
                                                             k: int) -> None:
    load_fixture(store)
    query = "landing knees squat arm heel"
    everything = [h for h in store.qa_fulltext(query, 50) if h[0] in {p.id for p in QA}]
    curated = {p.id for p in QA if p.tier == "curated"}
    top = store.qa_fulltext(query, k)
    assert top == everything[:k]
    assert store.qa_fulltext(query, k, QAFilters(tier="curated")) == [
        h for h in everything if h[0] in curated][:k]

