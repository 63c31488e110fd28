"""Neo4j knowledge store: the :class:`KnowledgeStore` contract on a Neo4j 5.18+ server.

Uses the official ``neo4j`` Python driver (``pip install 'sportsgpt[kb]'``). Every
statement is a parameterised constant of :mod:`sportsgpt.graph_kb.cypher`;
labels and relationship types are checked against a whitelist (the schema's, by
default) before a statement that names them is built.

On connect the store checks the server version, then creates, idempotently:
a unique-``id`` constraint per whitelisted label and for ``QAPair``, a vector
index on ``QAPair.embedding`` (cosine) and a full-text index on
``QAPair.question`` + ``answer``, and waits for them (``db.awaitIndexes``).

Behaviour matches :class:`~sportsgpt.graph_kb.embedded.EmbeddedStore` (the
contract tests run both):

* nodes and relations are replaced, not merged, on upsert; a relation's
  endpoints must exist (in the batch or the database); a graph upsert is one
  transaction;
* QA vectors are stored L2-normalised; scores from ``qa_dense`` are cosines in
  [-1, 1] (Neo4j reports ``(1 + cos) / 2``; the store converts). Unfiltered
  searches go through the (approximate, HNSW) vector index; filtered ones are
  exact (``vector.similarity.cosine``), because Neo4j 5.26's vector index
  cannot pre-filter. Ties are broken by id;
* ``qa_fulltext`` is Lucene's BM25 over question + answer; the query is reduced
  to plain lower-case word tokens (the embedded store's tokenizer,
  :func:`~sportsgpt.graph_kb.common.tokenize`), so Lucene
  syntax in user text is never interpreted;
* the vector dimension is the data's: an empty store adopts the dimension of
  the first QA batch (the vector index is recreated), a store holding QA pairs
  rejects other dimensions;
* QA upserts commit in batches of :data:`QA_BATCH` pairs (each idempotent);
  the next batch is encoded while the server writes the previous one (one
  writer thread), and vectors travel as strings (see :data:`cypher.MERGE_QA`);
* unfiltered full-text searches let Lucene keep only its top
  ``max(2 k, k + 16)`` hits before Cypher sorts them (ties of the k-th score
  beyond that window may be cut); filtered ones read every match.

Reads run in read transactions (``session.execute_read``), writes in write
transactions. Driver and server errors become :class:`Neo4jStoreError`
(:class:`Neo4jUnavailableError` when the server cannot be reached; its message
says how to start one).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, Literal, LiteralString, TypeVar

import numpy as np
from pydantic import ValidationError

from sportsgpt.core.errors import MissingDependencyError
from sportsgpt.core.settings import (
    NEO4J_DATABASE_ENV,
    NEO4J_PASSWORD_ENV,
    NEO4J_URI_ENV,
    NEO4J_USER_ENV,
    Neo4jSettings,
    Settings,
)
from sportsgpt.graph_kb import cypher
from sportsgpt.graph_kb.common import (
    ITEM_GROUPS,
    build_fault_knowledge,
    knowledge_item,
    qa_vectors,
    tokenize,
)
from sportsgpt.graph_kb.embeddings import EmbeddingError, normalise_rows
from sportsgpt.graph_kb.errors import GraphIntegrityError, KnowledgeStoreError
from sportsgpt.graph_kb.schema import NODE_LABELS, RELATION_TYPES
from sportsgpt.graph_kb.types import (
    FaultKnowledge,
    KnowledgeStore,
    Node,
    QAFilters,
    QAPair,
    Relation,
    Source,
    SourceRef,
)

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction

URI_ENV: Final = NEO4J_URI_ENV
USER_ENV: Final = NEO4J_USER_ENV
PASSWORD_ENV: Final = NEO4J_PASSWORD_ENV
DATABASE_ENV: Final = NEO4J_DATABASE_ENV

BOLT_SCHEMES: Final = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
"""URI schemes the store accepts (Bolt; the driver's HTTP preview is not used)."""
MIN_SERVER: Final = (5, 18)
"""Oldest Neo4j supported: ``vector.similarity.cosine`` and vector index options (5.18)."""
GRAPH_BATCH: Final = 1000
"""Rows per ``UNWIND`` statement in a graph upsert."""
QA_BATCH: Final = 500
"""QA pairs per write transaction."""
DELETE_BATCH: Final = 10_000
"""Nodes deleted per transaction by :meth:`Neo4jStore.clear`."""
DENSE_OVERSAMPLE: Final = 4
DENSE_MIN_CANDIDATES: Final = 128
"""Vector-index candidates fetched per search: ``max(4 k, 128)``, then rescored exactly.

128 rather than 64: on ``benchmarks/kb.py``'s realistic 1M corpus, 64 candidates found
0.893 of the exact top 10 and 128 found 0.957 (0.957 and 0.992 at 100k)."""
FULLTEXT_WINDOW: Final = 16
"""Unfiltered full-text searches ask Lucene for ``max(2 k, k + FULLTEXT_WINDOW)`` hits."""
VECTOR_FORMAT: Final = "%.9g"
"""printf format of one vector component on the wire (9 significant digits: exact float32)."""
INDEX_TIMEOUT_S: Final = 300
"""How long to wait for indexes to come online."""

HOW_TO_START: Final = (
    "start one with `eval \"$(scripts/neo4j-dev.sh start)\"` (no Docker needed) or "
    "`docker run -d -p 7687:7687 -e NEO4J_AUTH=none neo4j:5.26`, then set "
    f"{URI_ENV} (see docs/NEO4J_USAGE.md)")

_INT64: Final = 2**63
_T = TypeVar("_T")


class Neo4jStoreError(KnowledgeStoreError):
    """A Neo4j operation failed (the message names the operation and the server's reason)."""


class Neo4jUnavailableError(Neo4jStoreError):
    """The Neo4j server cannot be reached (the message says how to start one)."""


def _neo4j_module() -> Any:
    try:
        import neo4j
    except ImportError as exc:
        raise MissingDependencyError("neo4j", "kb", "the Neo4j knowledge store") from exc
    return neo4j


def _parse_version(text: str) -> tuple[int, int]:
    match = re.match(r"^(\d+)\.(\d+)", text)
    if match is None:
        raise Neo4jStoreError(f"cannot read the Neo4j server version {text!r}")
    return int(match.group(1)), int(match.group(2))


def _scalar(value: Any) -> bool:
    if isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    return isinstance(value, float) and math.isfinite(value)


def _copyable(value: Any) -> bool:
    """Whether Neo4j can hold ``value`` as an ordinary property (scalar or list of one kind)."""
    if _scalar(value):
        return True
    if isinstance(value, list) and all(_scalar(v) for v in value):
        kinds = {str if isinstance(v, str) else bool if isinstance(v, bool) else float
                 for v in value}
        return len(kinds) <= 1
    return False


def encode_props(where: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """Neo4j property map: ``_props`` (all properties as JSON) plus copyable scalars.

    Raises:
        GraphIntegrityError: the properties are not plain JSON (NaN, objects...).
    """
    try:
        text = json.dumps(props, allow_nan=False, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise GraphIntegrityError(f"{where}: properties are not plain JSON ({exc})") from exc
    out = {k: v for k, v in props.items()
           if k != "id" and not k.startswith("_") and _copyable(v)}
    out[cypher.PROPS_KEY] = text
    return out


def decode_props(raw: Any) -> dict[str, Any]:
    """Properties of a stored node or relation (``_props`` JSON, or foreign properties)."""
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise Neo4jStoreError(f"stored {cypher.PROPS_KEY} is not JSON ({exc}): "
                                  f"{raw[:80]!r}") from exc
        if not isinstance(value, dict):
            raise Neo4jStoreError(f"stored {cypher.PROPS_KEY} is not a JSON object: {raw[:80]!r}")
        return value
    if isinstance(raw, Mapping):
        return {k: v for k, v in raw.items() if k != "id"}
    raise Neo4jStoreError(f"unexpected stored properties {raw!r}")


class Neo4jStore(KnowledgeStore):
    """:class:`KnowledgeStore` on a Neo4j server (Community or Enterprise, 5.18+).

    Args:
        uri: Bolt URI, e.g. ``bolt://127.0.0.1:7687`` or ``neo4j+s://<id>.databases.neo4j.io``.
        user: user name, or None for a server with authentication disabled.
        password: password (with ``user``).
        database: database name (Community has one user database, ``neo4j``).
        vector_dim: dimension of the vector index created for a new, empty store;
            an existing index keeps its dimension until the store is empty and a
            batch of another dimension arrives.
        labels: node-label whitelist (default: the schema's labels).
        rel_types: relationship-type whitelist (default: the schema's types).
        dense_candidates: vector-index candidates per unfiltered dense search
            (rescored exactly), or None for ``max(4 k, 128)``. May be changed on
            the open store.

    Raises:
        MissingDependencyError: the ``neo4j`` package is not installed.
        Neo4jUnavailableError: the server cannot be reached.
        Neo4jStoreError: authentication failed, the server is too old, or schema setup failed.
    """

    def __init__(self, uri: str, user: str | None = None, password: str | None = None,
                 database: str = "neo4j", *, vector_dim: int = 384,
                 labels: Collection[str] = NODE_LABELS,
                 rel_types: Collection[str] = tuple(RELATION_TYPES),
                 dense_candidates: int | None = None) -> None:
        if vector_dim < 1:
            raise Neo4jStoreError(f"vector_dim must be positive, got {vector_dim}")
        if dense_candidates is not None and dense_candidates < 1:
            raise Neo4jStoreError(f"dense_candidates must be positive, got {dense_candidates}")
        self.dense_candidates = dense_candidates
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        if scheme not in BOLT_SCHEMES:
            raise Neo4jStoreError(f"invalid Neo4j URI {uri!r}: the scheme must be one of "
                                  f"{', '.join(BOLT_SCHEMES)} (e.g. bolt://127.0.0.1:7687)")
        self.uri = uri
        self.database = database
        self.labels = frozenset(cypher.check_name("label", lb, labels) for lb in labels)
        self.rel_types = frozenset(cypher.check_name("relationship type", t, rel_types)
                                   for t in rel_types)
        if cypher.QA_LABEL in self.labels:
            raise Neo4jStoreError(f"label {cypher.QA_LABEL!r} is reserved for QA pairs")
        self._neo4j = _neo4j_module()
        self._user = user
        auth = (user, password or "") if user else None
        try:
            self._driver: Driver = self._neo4j.GraphDatabase.driver(
                uri, auth=auth, connection_timeout=10.0,
                # The statements are fixed and reviewed: no server hints in the logs.
                notifications_min_severity=self._neo4j.NotificationMinimumSeverity.OFF)
        except (ValueError, self._neo4j.exceptions.DriverError) as exc:
            raise Neo4jStoreError(f"invalid Neo4j URI {uri!r}: {exc}") from exc
        try:
            with self._errors("connect"):
                self._driver.verify_connectivity()
                self.server_version = self._check_server()
            self._dim = self._ensure_schema(vector_dim)
        except BaseException:
            self._driver.close()
            raise

    @classmethod
    def from_settings(cls, settings: Neo4jSettings, *, vector_dim: int = 384) -> Neo4jStore:
        """Connect with the Neo4j part of the settings (URI, user, password, database).

        Raises:
            Neo4jStoreError: no URI is configured (and see the constructor).
        """
        if not settings.uri:
            raise Neo4jStoreError(f"{URI_ENV} is not set: {HOW_TO_START}")
        password = settings.password.get_secret_value() if settings.password else None
        return cls(settings.uri, settings.user, password, settings.database,
                   vector_dim=vector_dim)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, vector_dim: int = 384
                 ) -> Neo4jStore:
        """Connect with ``SPORTSGPT_NEO4J_URI``, ``_USER``, ``_PASSWORD``, ``_DATABASE``.

        The variables are read by :class:`~sportsgpt.core.settings.Settings` (the one
        reader of the environment).

        Raises:
            Neo4jStoreError: ``SPORTSGPT_NEO4J_URI`` is not set (and see the constructor).
        """
        return cls.from_settings(Settings.from_env(env).neo4j, vector_dim=vector_dim)

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        """Close the driver (its connection pool)."""
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn driver and server errors into the project's typed errors."""
        exceptions = self._neo4j.exceptions
        try:
            yield
        except (exceptions.ServiceUnavailable, exceptions.SessionExpired) as exc:
            raise Neo4jUnavailableError(
                f"{what}: cannot reach Neo4j at {self.uri} ({exc}); {HOW_TO_START}") from exc
        except exceptions.AuthError as exc:
            raise Neo4jStoreError(
                f"{what}: Neo4j at {self.uri} refused the credentials of user "
                f"{self._user!r} ({exc.message}); set {USER_ENV} and {PASSWORD_ENV}") from exc
        except exceptions.Neo4jError as exc:
            raise Neo4jStoreError(f"{what}: Neo4j error {exc.code}: {exc.message}") from exc
        except exceptions.DriverError as exc:
            raise Neo4jStoreError(f"{what}: Neo4j driver error: {exc}") from exc

    def _read(self, what: str, work: Callable[[ManagedTransaction], _T]) -> _T:
        with self._errors(what), self._driver.session(database=self.database) as session:
            return session.execute_read(work)

    def _write(self, what: str, work: Callable[[ManagedTransaction], _T]) -> _T:
        with self._errors(what), self._driver.session(database=self.database) as session:
            return session.execute_write(work)

    def _auto(self, what: str, statement: LiteralString, /, **params: Any
              ) -> list[dict[str, Any]]:
        """An auto-commit statement (schema commands), its rows."""
        with self._errors(what), self._driver.session(database=self.database) as session:
            return session.run(statement, params).data()

    @staticmethod
    def _rows(tx: ManagedTransaction, statement: LiteralString, /, **params: Any
              ) -> list[dict[str, Any]]:
        return tx.run(statement, params).data()

    # ------------------------------------------------------------------ schema
    def _check_server(self) -> str:
        rows = self._read("server version", lambda tx: self._rows(tx, cypher.SERVER_COMPONENTS))
        kernel = next((r for r in rows if r["name"] == "Neo4j Kernel"), None)
        if kernel is None:
            raise Neo4jStoreError(f"{self.uri} does not report a Neo4j Kernel component")
        version = str(kernel["version"])
        if _parse_version(version) < MIN_SERVER:
            raise Neo4jStoreError(f"Neo4j {version} at {self.uri} is too old: the store needs "
                                  f"{MIN_SERVER[0]}.{MIN_SERVER[1]} or newer")
        return version

    def _ensure_schema(self, vector_dim: int) -> int:
        """Create constraints and indexes (idempotent); return the vector dimension."""
        allowed = self.labels | {cypher.QA_LABEL}
        existing = {(tuple(r["labelsOrTypes"] or ()), tuple(r["properties"] or ()))
                    for r in self._read("read constraints", lambda tx: self._rows(
                        tx, cypher.SHOW_CONSTRAINTS)) if r["type"] == "UNIQUENESS"}
        for label in sorted(allowed):
            if ((label,), ("id",)) not in existing:
                self._auto("create constraint", cypher.constraint_statement(label, allowed))
        dim = self._vector_index_dim()
        if dim is None:
            self._auto("create vector index", cypher.CREATE_VECTOR_INDEX, dim=vector_dim)
            dim = vector_dim
        self._auto("create full-text index", cypher.CREATE_FULLTEXT_INDEX)
        self._auto("wait for indexes", cypher.AWAIT_INDEXES, timeout=INDEX_TIMEOUT_S)
        return dim

    def _vector_index_dim(self) -> int | None:
        rows = self._read("read the vector index",
                          lambda tx: self._rows(tx, cypher.SHOW_INDEX, name=cypher.VECTOR_INDEX))
        if not rows:
            return None
        if rows[0]["type"] != "VECTOR":
            raise Neo4jStoreError(f"index {cypher.VECTOR_INDEX!r} exists but is a "
                                  f"{rows[0]['type']} index; drop it")
        config = (rows[0]["options"] or {}).get("indexConfig", {})
        return int(config["vector.dimensions"])

    def _recreate_vector_index(self, dim: int) -> None:
        self._auto("drop vector index", cypher.DROP_VECTOR_INDEX)
        self._auto("create vector index", cypher.CREATE_VECTOR_INDEX, dim=dim)
        self._auto("wait for indexes", cypher.AWAIT_INDEXES, timeout=INDEX_TIMEOUT_S)
        self._dim = dim

    def schema_report(self) -> dict[str, list[dict[str, Any]]]:
        """The database's constraints and indexes (``SHOW CONSTRAINTS`` / ``SHOW INDEXES``)."""
        def work(tx: ManagedTransaction) -> dict[str, list[dict[str, Any]]]:
            return {"constraints": self._rows(tx, cypher.SHOW_CONSTRAINTS),
                    "indexes": self._rows(tx, cypher.SHOW_INDEXES)}
        return self._read("read the schema", work)

    @property
    def vector_dim(self) -> int:
        """Dimension of the vector index (the data's, once QA pairs are stored)."""
        return self._dim

    # ------------------------------------------------------------------ graph
    def _render(self, template: LiteralString, **names: str) -> LiteralString:
        return cypher.render(template, labels=self.labels, rel_types=self.rel_types, **names)

    def upsert_graph(self, nodes: list[Node], relations: list[Relation]) -> None:
        """Insert or replace nodes (by label and id) and relations (by type and endpoints).

        One write transaction: either everything is stored or nothing.

        Raises:
            GraphIntegrityError: a label or type outside the whitelist, non-JSON
                properties, an invalid Source, or a relation whose endpoint is in
                neither the database nor ``nodes``.
            Neo4jStoreError: the server failed.
        """
        node_rows: dict[str, list[dict[str, Any]]] = {}
        batch_keys: set[tuple[str, str]] = set()
        for node in nodes:
            cypher.check_name("label", node.label, self.labels)
            if node.label == "Source":
                try:
                    Source.model_validate({**node.props, "id": node.id})
                except ValidationError as exc:
                    raise GraphIntegrityError(f"Source node {node.id!r}: {exc}") from exc
            props = encode_props(f"node {node.label}:{node.id}", node.props)
            node_rows.setdefault(node.label, []).append({"id": node.id,
                                                         "props": {**props, "id": node.id}})
            batch_keys.add((node.label, node.id))
        rel_rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        wanted: dict[str, set[str]] = {}
        for rel in relations:
            cypher.check_name("relationship type", rel.type, self.rel_types)
            for label, node_id in ((rel.start_label, rel.start_id), (rel.end_label, rel.end_id)):
                cypher.check_name("label", label, self.labels)
                if (label, node_id) not in batch_keys:
                    wanted.setdefault(label, set()).add(node_id)
            props = encode_props(f"relation {rel.type}", rel.props)
            rel_rows.setdefault((rel.type, rel.start_label, rel.end_label), []).append(
                {"start": rel.start_id, "end": rel.end_id, "props": props})

        def work(tx: ManagedTransaction) -> None:
            for label, ids in sorted(wanted.items()):
                found = {r["id"] for r in self._rows(
                    tx, self._render(cypher.EXISTING_IDS, label=label), ids=sorted(ids))}
                missing = sorted(ids - found)
                if missing:
                    rel = next(r for r in relations
                               if (r.start_label, r.start_id) == (label, missing[0])
                               or (r.end_label, r.end_id) == (label, missing[0]))
                    raise GraphIntegrityError(
                        f"relation {rel.start_label}:{rel.start_id} -[{rel.type}]-> "
                        f"{rel.end_label}:{rel.end_id}: node {label}:{missing[0]} does not exist")
            for label, rows in sorted(node_rows.items()):
                query = self._render(cypher.MERGE_NODES, label=label)
                for chunk in _chunks(rows, GRAPH_BATCH):
                    tx.run(query, rows=chunk).consume()
            for (rel_type, start, end), rows in sorted(rel_rows.items()):
                query = self._render(cypher.MERGE_RELATIONS, rel_type=rel_type,
                                     start_label=start, end_label=end)
                for chunk in _chunks(rows, GRAPH_BATCH):
                    tx.run(query, rows=chunk).consume()

        if node_rows or rel_rows:
            self._write("upsert_graph", work)

    def get_node(self, label: str, node_id: str) -> Node | None:
        """One node by label and id, or None (also for a label outside the whitelist)."""
        if label not in self.labels:
            return None
        query = self._render(cypher.GET_NODE, label=label)
        rows = self._read("get_node", lambda tx: self._rows(tx, query, id=node_id))
        return None if not rows else Node(id=node_id, label=label,
                                          props=decode_props(rows[0]["props"]))

    def neighbours(self, label: str, node_id: str, rel_type: str,
                   direction: Literal["out", "in"] = "out") -> list[Node]:
        """Nodes one ``rel_type`` hop away, sorted by label then id.

        A label or type outside the whitelist has no neighbours.

        Raises:
            GraphIntegrityError: ``direction`` is neither ``"out"`` nor ``"in"``.
        """
        if direction not in ("out", "in"):
            raise GraphIntegrityError(f"direction must be 'out' or 'in', got {direction!r}")
        if label not in self.labels or rel_type not in self.rel_types:
            return []
        template = cypher.NEIGHBOURS_OUT if direction == "out" else cypher.NEIGHBOURS_IN
        query = self._render(template, label=label, rel_type=rel_type)
        rows = self._read("neighbours", lambda tx: self._rows(tx, query, id=node_id))
        nodes = [self._node(r) for r in rows]
        return sorted(nodes, key=lambda n: (n.label, n.id))

    def _node(self, row: Mapping[str, Any]) -> Node:
        labels = [lb for lb in row["labels"] if lb in self.labels] or list(row["labels"])
        return Node(id=str(row["id"]), label=labels[0] if labels else "",
                    props=decode_props(row["props"]))

    def fault_knowledge(self, fault_id: str) -> FaultKnowledge | None:
        """Metrics, causes, drills, cues, risks, contraindications and sources of a fault.

        One round trip; the result equals
        :func:`~sportsgpt.graph_kb.common.assemble_fault_knowledge`'s: the same
        :func:`~sportsgpt.graph_kb.common.knowledge_item` dicts (each with its own
        ``source_ids``; drills with their progressions and regressions), sorted by
        id, and the sources sorted by id.
        """
        if "Fault" not in self.labels:
            return None
        rows = self._read("fault_knowledge",
                          lambda tx: self._rows(tx, cypher.FAULT_KNOWLEDGE, fault_id=fault_id))
        if not rows:
            return None
        row = rows[0]

        def item(r: Mapping[str, Any], name: str) -> dict[str, Any]:
            node = self._node(r)
            if name != "drills":
                return knowledge_item(node, r["source_ids"])
            return knowledge_item(node, r["source_ids"],
                                  progresses_to=[self._node(x) for x in r["progresses_to"]],
                                  regresses_to=[self._node(x) for x in r["regresses_to"]])

        items = {name: [item(r, name) for r in row[name]] for name in ITEM_GROUPS}
        refs = [SourceRef(id=s.id, title=s.title, url=s.url, doi=s.doi, year=s.year)
                for s in self.sources(sorted(set(row["source_ids"])))]
        return build_fault_knowledge(self._node(row["fault"]), row["fault_source_ids"], items,
                                     refs)

    def sources(self, ids: list[str]) -> list[Source]:
        """Sources by id, in the order asked; unknown ids are left out.

        Raises:
            Neo4jStoreError: a stored Source node does not validate.
        """
        if not ids:
            return []
        rows = self._read("sources",
                          lambda tx: self._rows(tx, cypher.GET_SOURCES, ids=sorted(set(ids))))
        found: dict[str, Source] = {}
        for r in rows:
            try:
                found[r["id"]] = Source.model_validate({**decode_props(r["props"]),
                                                        "id": r["id"]})
            except ValidationError as exc:
                raise Neo4jStoreError(f"stored Source {r['id']!r} is invalid: {exc}") from exc
        return [found[i] for i in ids if i in found]

    # ------------------------------------------------------------------ QA
    def upsert_qa(self, pairs: list[QAPair], embeddings: Any) -> None:
        """Insert or replace QA pairs (by id) with their ``(n, d)`` vectors.

        Vectors are stored L2-normalised; within one call the last pair with a
        given id wins. Commits every :data:`QA_BATCH` pairs.

        Raises:
            KnowledgeStoreError: count or dimension mismatch, zero or non-finite vectors.
            Neo4jStoreError: the server failed.
        """
        if not pairs:
            return
        vectors = qa_vectors(pairs, embeddings)
        dim = int(vectors.shape[1])
        if dim != self._dim:
            if self._qa_count() > 0:
                raise KnowledgeStoreError(f"upsert_qa: vectors have dimension {dim}, the store "
                                          f"holds dimension {self._dim}")
            self._recreate_vector_index(dim)
        last = {p.id: i for i, p in enumerate(pairs)}
        keep = sorted(last.values())
        row_format = ",".join([VECTOR_FORMAT] * dim)
        pending: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="neo4j-upsert") as writer:
            for chunk in _chunks(keep, QA_BATCH):
                rows = [{**pairs[i].model_dump(mode="json"),
                         "embedding": row_format % tuple(vectors[i].tolist())} for i in chunk]
                if pending is not None:
                    pending.result()  # the previous batch's error, if any, stops the upsert
                pending = writer.submit(self._write, "upsert_qa", _merge_qa(rows))
            if pending is not None:
                pending.result()

    def _qa_count(self) -> int:
        rows = self._read("count QA pairs", lambda tx: self._rows(tx, cypher.COUNT_QA))
        return sum(int(r["count"]) for r in rows)

    def get_qa(self, ids: list[str]) -> list[QAPair]:
        """QA pairs by id, in the order asked; unknown ids are left out."""
        if not ids:
            return []
        rows = self._read("get_qa", lambda tx: self._rows(tx, cypher.GET_QA, ids=sorted(set(ids))))
        found = {r["id"]: QAPair.model_validate(r) for r in rows}
        return [found[i] for i in ids if i in found]

    @staticmethod
    def _filter_params(filters: QAFilters | None) -> dict[str, str | None]:
        f = filters or QAFilters()
        return {"movement": f.movement, "fault": f.fault, "tier": f.tier}

    def qa_dense(self, vector: Any, k: int, filters: QAFilters | None = None
                 ) -> list[tuple[str, float]]:
        """QA ids by cosine similarity to ``vector`` (in [-1, 1]), best first.

        Raises:
            KnowledgeStoreError: wrong dimension, zero or non-finite query vector
                (an empty store returns [] for any vector, like the embedded store).
        """
        if k <= 0:
            return []
        try:
            query = normalise_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        except EmbeddingError as exc:
            if self._qa_count() == 0:
                return []
            raise KnowledgeStoreError(f"qa_dense: {exc}") from exc
        if query.shape[0] != self._dim:
            if self._qa_count() == 0:
                return []
            raise KnowledgeStoreError(f"qa_dense: query has dimension {query.shape[0]}, the "
                                      f"store holds dimension {self._dim}")
        params = self._filter_params(filters)
        as_list = [float(x) for x in query]
        if all(v is None for v in params.values()):
            candidates = max(k, self.dense_candidates or max(DENSE_OVERSAMPLE * k,
                                                             DENSE_MIN_CANDIDATES))
            rows = self._read("qa_dense", lambda tx: self._rows(
                tx, cypher.QA_DENSE_INDEX, k=k, candidates=candidates, vector=as_list))
        else:
            rows = self._read("qa_dense", lambda tx: self._rows(
                tx, cypher.QA_DENSE_EXACT, k=k, vector=as_list, **params))
        hits = [(str(r["id"]), min(1.0, max(-1.0, 2.0 * float(r["score"]) - 1.0)))
                for r in rows]
        return sorted(hits, key=lambda h: (-h[1], h[0]))[:k]

    def qa_fulltext(self, query: str, k: int, filters: QAFilters | None = None
                    ) -> list[tuple[str, float]]:
        """QA ids by Lucene relevance over question + answer, best first.

        The query is reduced to lower-case word tokens without stop words (no
        Lucene operators); an empty token list returns [].
        """
        tokens = tokenize(query)
        if k <= 0 or not tokens:
            return []
        lucene = " ".join(tokens)
        params = self._filter_params(filters)
        if all(v is None for v in params.values()):
            limit = max(2 * k, k + FULLTEXT_WINDOW)
            rows = self._read("qa_fulltext", lambda tx: self._rows(
                tx, cypher.QA_FULLTEXT_TOP, query=lucene, k=k, limit=limit))
        else:
            rows = self._read("qa_fulltext", lambda tx: self._rows(
                tx, cypher.QA_FULLTEXT, query=lucene, k=k, **params))
        return [(str(r["id"]), float(r["score"])) for r in rows if float(r["score"]) > 0.0]

    # ------------------------------------------------------------------ maintenance
    def stats(self) -> dict[str, int]:
        """Counts of nodes per label, relations per type, and QA pairs.

        Keys: ``nodes:<Label>`` and ``relations:<TYPE>`` (only those > 0), and
        ``qa_pairs``, ``qa_pairs:curated``, ``qa_pairs:ingested`` (always present), and
        ``qa_pairs:document`` (document passages, only when > 0).
        """
        def work(tx: ManagedTransaction) -> dict[str, int]:
            out: dict[str, int] = {}
            for r in self._rows(tx, cypher.COUNT_NODES, labels=sorted(self.labels)):
                out[f"nodes:{r['label']}"] = int(r["count"])
            for r in self._rows(tx, cypher.COUNT_RELATIONS, types=sorted(self.rel_types)):
                out[f"relations:{r['type']}"] = int(r["count"])
            tiers = {r["tier"]: int(r["count"]) for r in self._rows(tx, cypher.COUNT_QA)}
            out["qa_pairs"] = sum(tiers.values())
            for tier in ("curated", "ingested"):
                out[f"qa_pairs:{tier}"] = tiers.get(tier, 0)
            if tiers.get("document"):
                out["qa_pairs:document"] = tiers["document"]
            return out
        return self._read("stats", work)

    def clear(self) -> None:
        """Delete every node with a whitelisted label or ``QAPair`` (and their relations).

        Constraints and indexes stay; other labels in the database are left alone.
        """
        labels = sorted(self.labels | {cypher.QA_LABEL})
        while True:
            rows = self._write("clear", lambda tx: self._rows(
                tx, cypher.DELETE_BATCH, labels=labels, batch=DELETE_BATCH))
            if not rows or int(rows[0]["deleted"]) == 0:
                break


def _merge_qa(rows: list[dict[str, Any]]) -> Callable[[ManagedTransaction], None]:
    def work(tx: ManagedTransaction) -> None:
        tx.run(cypher.MERGE_QA, rows=rows).consume()
    return work


def _chunks(rows: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
