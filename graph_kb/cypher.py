"""Every Cypher statement the Neo4j knowledge store runs, as module constants.

Rules (the reason this module exists):

* **Values are always parameters** (``$id``, ``$rows``, ``$vector``, ``$query``...).
  No user text, id, question or property value is ever formatted into a
  statement, so text such as ``'}) DETACH DELETE n //`` is stored as data.
* **Labels and relationship types cannot be parameters** in index-backed
  ``MATCH``/``MERGE`` (Cypher 5). Statements that need one are *templates* with
  ``{label}``, ``{start_label}``, ``{end_label}``, ``{rel_type}`` or ``{name}``
  placeholders, and the only way to fill them is :func:`render`. It accepts a
  label only if it is in the store's label whitelist (by default the schema's
  :data:`~sportsgpt.graph_kb.schema.NODE_LABELS`) and a type only if it is in the
  type whitelist (:data:`~sportsgpt.graph_kb.schema.RELATION_TYPES`), checks the
  name against :data:`NAME_PATTERN` as well, and back-quotes it. Anything else
  raises :class:`CypherNameError` before a statement is built.
* Statements without placeholders are complete as written (fixed index names,
  fixed schema labels such as ``Fault`` and ``Source``).

Storage layout in Neo4j:

* A graph node ``(:Label {id})`` holds its properties as JSON in ``_props``
  (Neo4j properties cannot hold nested maps, and JSON keeps ints, floats and
  nulls exact); top-level scalars and lists of scalars are copied as ordinary
  properties too, for browsing and ad-hoc Cypher. Relations store ``_props`` the
  same way. Readers use ``_props`` only.
* A QA pair is ``(:QAPair {id, question, answer, movements, faults, source_ids,
  tier, embedding})``; ``embedding`` is the L2-normalised vector, stored as a
  float32 array by ``db.create.setNodeVectorProperty``. The client sends it as
  one comma-separated string of ``%.9g`` numbers (exact for float32) that the
  server splits and parses: the Python driver packs a list of floats one float
  at a time in pure Python, which made that packing the ingest bottleneck
  (about 1.5 ms per 384-d vector, against about 0.1 ms to format the string).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final, LiteralString

from sportsgpt.graph_kb.errors import GraphIntegrityError

NAME_PATTERN: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
"""What a label or relationship type must look like (in addition to the whitelist)."""

QA_LABEL: Final = "QAPair"
"""Label of QA pair nodes (kept apart from the graph's labels)."""
VECTOR_INDEX: Final = "sportsgpt_qa_embedding"
"""Name of the vector index on ``QAPair.embedding``."""
FULLTEXT_INDEX: Final = "sportsgpt_qa_text"
"""Name of the full-text index on ``QAPair.question`` and ``QAPair.answer``."""
PROPS_KEY: Final = "_props"
"""Property that holds a node's or relation's properties as JSON."""


class CypherNameError(GraphIntegrityError):
    """A label or relationship type that is not in the whitelist (no query was built)."""


_SLOTS: Final = {"label": "label", "start_label": "label", "end_label": "label",
                 "rel_type": "relationship type"}


def check_name(kind: str, name: str, allowed: Collection[str]) -> str:
    """Return ``name`` if it is whitelisted and well-formed, else raise.

    Args:
        kind: what the name is ("label" or "relationship type"), for the message.
        name: the candidate label or type.
        allowed: the whitelist.

    Raises:
        CypherNameError: ``name`` is not in ``allowed`` or does not match
            :data:`NAME_PATTERN`.
    """
    if name not in allowed:
        raise CypherNameError(f"{kind} {name!r} is not in the schema's whitelist "
                              f"({', '.join(sorted(allowed))})")
    if not NAME_PATTERN.match(name):
        raise CypherNameError(f"{kind} {name!r} must match {NAME_PATTERN.pattern}")
    return name


def render(template: LiteralString, *, labels: Collection[str], rel_types: Collection[str],
           **names: str) -> LiteralString:
    """Fill a template's label/type placeholders with whitelisted, back-quoted names.

    Args:
        template: one of this module's templates.
        labels: label whitelist for ``label``, ``start_label`` and ``end_label``.
        rel_types: relationship-type whitelist for ``rel_type``.
        **names: placeholder values (only the keys listed above are accepted).

    Returns:
        The statement (typed ``LiteralString`` for the driver: every part comes
        from this module or from a whitelist).

    Raises:
        CypherNameError: a name outside its whitelist, or an unknown placeholder.
    """
    quoted: dict[str, str] = {}
    for slot, value in names.items():
        kind = _SLOTS.get(slot)
        if kind is None:
            raise CypherNameError(f"unknown placeholder {slot!r}")
        allowed = rel_types if slot == "rel_type" else labels
        quoted[slot] = f"`{check_name(kind, value, allowed)}`"
    return template.format(**quoted)


def constraint_statement(label: str, labels: Collection[str]) -> LiteralString:
    """``CREATE CONSTRAINT`` (unique ``id``) for one whitelisted label, idempotent.

    Raises:
        CypherNameError: ``label`` is not whitelisted.
    """
    name = f"sportsgpt_{check_name('label', label, labels).lower()}_id"
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.id IS UNIQUE"


# ------------------------------------------------------------------ server and schema

SERVER_COMPONENTS: Final = (
    "CALL dbms.components() YIELD name, versions, edition "
    "RETURN name, versions[0] AS version, edition")

SHOW_CONSTRAINTS: Final = (
    "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
    "RETURN name, type, labelsOrTypes, properties ORDER BY name")

SHOW_INDEXES: Final = (
    "SHOW INDEXES YIELD name, type, state, labelsOrTypes, properties, options "
    "RETURN name, type, state, labelsOrTypes, properties, options ORDER BY name")

SHOW_INDEX: Final = (
    "SHOW INDEXES YIELD name, type, state, options WHERE name = $name "
    "RETURN type, state, options")

CREATE_VECTOR_INDEX: Final = (
    "CREATE VECTOR INDEX sportsgpt_qa_embedding IF NOT EXISTS "
    "FOR (q:QAPair) ON q.embedding "
    "OPTIONS {indexConfig: {`vector.dimensions`: $dim, "
    "`vector.similarity_function`: 'cosine'}}")

DROP_VECTOR_INDEX: Final = "DROP INDEX sportsgpt_qa_embedding IF EXISTS"

CREATE_FULLTEXT_INDEX: Final = (
    "CREATE FULLTEXT INDEX sportsgpt_qa_text IF NOT EXISTS "
    "FOR (q:QAPair) ON EACH [q.question, q.answer]")

AWAIT_INDEXES: Final = "CALL db.awaitIndexes($timeout)"

# ------------------------------------------------------------------ graph (templates)

MERGE_NODES: Final = "UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n = row.props"
"""Template: insert or replace nodes of one label; ``row.props`` includes ``id``."""

EXISTING_IDS: Final = "MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id"
"""Template: which of ``$ids`` exist with this label."""

MERGE_RELATIONS: Final = (
    "UNWIND $rows AS row "
    "MATCH (a:{start_label} {{id: row.start}}) "
    "MATCH (b:{end_label} {{id: row.end}}) "
    "MERGE (a)-[r:{rel_type}]->(b) SET r = row.props")
"""Template: insert or replace relations of one type between two labels."""

GET_NODE: Final = (
    "MATCH (n:{label} {{id: $id}}) "
    "RETURN n.id AS id, labels(n) AS labels, "
    "CASE WHEN n._props IS NULL THEN properties(n) ELSE n._props END AS props")
"""Template: one node by id."""

NEIGHBOURS_OUT: Final = (
    "MATCH (:{label} {{id: $id}})-[:{rel_type}]->(m) WITH DISTINCT m "
    "RETURN m.id AS id, labels(m) AS labels, "
    "CASE WHEN m._props IS NULL THEN properties(m) ELSE m._props END AS props")
"""Template: nodes one outgoing typed hop away."""

NEIGHBOURS_IN: Final = (
    "MATCH (:{label} {{id: $id}})<-[:{rel_type}]-(m) WITH DISTINCT m "
    "RETURN m.id AS id, labels(m) AS labels, "
    "CASE WHEN m._props IS NULL THEN properties(m) ELSE m._props END AS props")
"""Template: nodes one incoming typed hop away."""

# ------------------------------------------------------------------ graph (fixed schema names)



def _fields(var: LiteralString) -> LiteralString:
    """Cypher map entries ``id, labels, props`` of node variable ``var``."""
    return ("id: " + var + ".id, labels: labels(" + var + "), props: CASE WHEN " + var
            + "._props IS NULL THEN properties(" + var + ") ELSE " + var + "._props END")


def _item(var: LiteralString) -> LiteralString:
    """Cypher map expression ``{id, labels, props}`` of node variable ``var``."""
    return "{" + _fields(var) + "}"


def _own_sources(var: LiteralString) -> LiteralString:
    """Cypher list of the ids of the Source nodes ``var`` is SUPPORTED_BY."""
    return "[(" + var + ")-[:SUPPORTED_BY]->(src:Source) | src.id]"


def _cited_item(var: LiteralString) -> LiteralString:
    """``{id, labels, props, source_ids}``: an item with the ids of its own sources."""
    return "{" + _fields(var) + ", source_ids: " + _own_sources(var) + "}"


def _drill_item(var: LiteralString) -> LiteralString:
    """:func:`_cited_item` plus the drills ``var`` progresses and regresses to."""
    return ("{" + _fields(var) + ", source_ids: " + _own_sources(var)
            + ", progresses_to: [(" + var + ")-[:PROGRESSES_TO]->(nxt:Drill) | "
            + _item("nxt") + "], regresses_to: [(" + var + ")-[:REGRESSES_TO]->(prv:Drill) | "
            + _item("prv") + "]}")


FAULT_KNOWLEDGE: Final = (
    "MATCH (f:Fault {id: $fault_id}) "
    "WITH f, "
    "COLLECT { MATCH (f)-[:DETECTED_BY]->(n) RETURN DISTINCT n } AS metrics, "
    "COLLECT { MATCH (f)-[:CAUSED_BY]->(n) RETURN DISTINCT n } AS causes, "
    "COLLECT { MATCH (n)-[:CORRECTS]->(f) RETURN DISTINCT n } AS drills, "
    "COLLECT { MATCH (n)-[:ADDRESSES]->(f) RETURN DISTINCT n } AS cues, "
    "COLLECT { MATCH (f)-[:RAISES]->(n) RETURN DISTINCT n } AS risks, "
    "COLLECT { MATCH (d)-[:CORRECTS]->(f) MATCH (d)-[:CONTRAINDICATED_FOR]->(n) "
    "RETURN DISTINCT n } AS contra "
    "WITH f, metrics, causes, drills, cues, risks, contra, "
    "COLLECT { UNWIND [f] + metrics + causes + drills + cues + risks + contra AS c "
    "MATCH (c)-[:SUPPORTED_BY]->(s:Source) RETURN DISTINCT s } AS sources "
    "RETURN " + _item("f") + " AS fault, "
    + _own_sources("f") + " AS fault_source_ids, "
    "[x IN metrics | " + _cited_item("x") + "] AS metrics, "
    "[x IN causes | " + _cited_item("x") + "] AS causes, "
    "[x IN drills | " + _drill_item("x") + "] AS drills, "
    "[x IN cues | " + _cited_item("x") + "] AS cues, "
    "[x IN risks | " + _cited_item("x") + "] AS risks, "
    "[x IN contra | " + _cited_item("x") + "] AS contraindications, "
    "[x IN sources | x.id] AS source_ids")
"""Everything linked to one fault in one round trip (same result as the embedded store's).

Every item map carries ``source_ids`` (its own SUPPORTED_BY sources); drill maps also
carry ``progresses_to`` and ``regresses_to`` (``{id, labels, props}`` of the linked
drills); ``fault_source_ids`` are the fault's own sources, ``source_ids`` those of the
fault and every item."""

FAULT_KNOWLEDGE_LABELS: Final = ("Fault", "Source", "Drill")
FAULT_KNOWLEDGE_TYPES: Final = ("DETECTED_BY", "CAUSED_BY", "CORRECTS", "ADDRESSES", "RAISES",
                                "CONTRAINDICATED_FOR", "SUPPORTED_BY", "PROGRESSES_TO",
                                "REGRESSES_TO")
"""Schema names written literally in :data:`FAULT_KNOWLEDGE` (a test checks the schema has them)."""

GET_SOURCES: Final = (
    "MATCH (s:Source) WHERE s.id IN $ids "
    "RETURN s.id AS id, "
    "CASE WHEN s._props IS NULL THEN properties(s) ELSE s._props END AS props")

COUNT_NODES: Final = (
    "MATCH (n) UNWIND labels(n) AS label WITH label WHERE label IN $labels "
    "RETURN label, count(*) AS count")

COUNT_RELATIONS: Final = (
    "MATCH ()-[r]->() WITH type(r) AS type WHERE type IN $types "
    "RETURN type, count(*) AS count")

DELETE_BATCH: Final = (
    "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) "
    "WITH n LIMIT $batch DETACH DELETE n RETURN count(*) AS deleted")
"""Delete up to ``$batch`` nodes carrying any of ``$labels`` (and their relations)."""

# ------------------------------------------------------------------ QA pairs

MERGE_QA: Final = (
    "UNWIND $rows AS row MERGE (q:QAPair {id: row.id}) "
    "SET q.question = row.question, q.answer = row.answer, q.movements = row.movements, "
    "q.faults = row.faults, q.source_ids = row.source_ids, q.tier = row.tier "
    "WITH q, row CALL db.create.setNodeVectorProperty(q, 'embedding', "
    "[x IN split(row.embedding, ',') | toFloat(x)])")
"""Insert or replace QA pairs; ``row.embedding`` is the vector as a comma-separated string."""

COUNT_QA: Final = "MATCH (q:QAPair) RETURN q.tier AS tier, count(*) AS count"

GET_QA: Final = (
    "MATCH (q:QAPair) WHERE q.id IN $ids "
    "RETURN q.id AS id, q.question AS question, q.answer AS answer, "
    "q.movements AS movements, q.faults AS faults, q.source_ids AS source_ids, q.tier AS tier")

_QA_FILTER: Final = (
    "($movement IS NULL OR $movement IN {v}.movements) "
    "AND ($fault IS NULL OR $fault IN {v}.faults) "
    "AND ($tier IS NULL OR {v}.tier = $tier)")

QA_DENSE_INDEX: Final = (
    "CALL db.index.vector.queryNodes('sportsgpt_qa_embedding', $candidates, $vector) "
    "YIELD node WITH node, vector.similarity.cosine(node.embedding, $vector) AS score "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $k")
"""Unfiltered k-NN: ``$candidates`` from the (approximate, possibly quantised) vector index,
rescored exactly (score = (1 + cos) / 2), best ``$k`` kept."""

QA_DENSE_EXACT: Final = (
    "MATCH (q:QAPair) WHERE " + _QA_FILTER.replace("{v}", "q") + " "
    "WITH q, vector.similarity.cosine(q.embedding, $vector) AS score "
    "RETURN q.id AS id, score ORDER BY score DESC, id LIMIT $k")
"""Filtered exact k-NN (Neo4j 5.26's vector index cannot pre-filter; score = (1 + cos) / 2)."""

QA_FULLTEXT: Final = (
    "CALL db.index.fulltext.queryNodes('sportsgpt_qa_text', $query) YIELD node, score "
    "WHERE " + _QA_FILTER.replace("{v}", "node") + " "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $k")
"""Filtered Lucene relevance over question + answer (every match is read, then filtered);
``$query`` is built from plain word tokens."""

QA_FULLTEXT_TOP: Final = (
    "CALL db.index.fulltext.queryNodes('sportsgpt_qa_text', $query, {limit: $limit}) "
    "YIELD node, score "
    "RETURN node.id AS id, score ORDER BY score DESC, id LIMIT $k")
"""Unfiltered Lucene relevance: Lucene keeps only its top ``$limit`` (>= ``$k``) hits."""
