"""Neo4j backend factory for the store contract tests.

Register it in ``tests/contract/conftest.py``'s ``BACKENDS`` (one line)::

    from tests.contract.neo4j_backend import neo4j_backend   # then: "neo4j": neo4j_backend

It skips only when ``SPORTSGPT_NEO4J_URI`` is unset (start a server with
``eval "$(scripts/neo4j-dev.sh start)"``, or run tests through
``scripts/ci-neo4j.sh``). With the variable set, an unreachable server is an
error, not a skip. Each test gets a store whose data was cleared before it
runs; the store is cleared again and its driver closed afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sportsgpt.graph_kb.types import KnowledgeStore

URI_ENV = "SPORTSGPT_NEO4J_URI"


def neo4j_backend(tmp_path: Path) -> Iterator[KnowledgeStore]:
    """Yield an empty :class:`Neo4jStore` on ``$SPORTSGPT_NEO4J_URI`` (skip when unset)."""
    if not os.environ.get(URI_ENV):
        pytest.skip(f"{URI_ENV} is not set (scripts/ci-neo4j.sh sets it)")
    from sportsgpt.graph_kb.neo4j_store import Neo4jStore

    store = Neo4jStore.from_env()
    try:
        store.clear()
        yield store
        store.clear()
    finally:
        store.close()
