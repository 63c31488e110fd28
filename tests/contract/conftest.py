"""The ``store`` fixture: a fresh, empty KnowledgeStore of every registered backend.

Backends register a factory in :data:`BACKENDS` (name -> generator taking
``tmp_path`` and yielding an empty store, cleaning up after). The Neo4j factory
skips only when ``SPORTSGPT_NEO4J_URI`` is unset; CI sets it (after starting
Neo4j with ``scripts/neo4j-dev.sh``), so there the contract runs against both
backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.types import KnowledgeStore
from tests.contract.neo4j_backend import neo4j_backend

Factory = Callable[[Path], Iterator[KnowledgeStore]]


def _embedded_disk(tmp_path: Path) -> Iterator[KnowledgeStore]:
    yield EmbeddedStore(tmp_path / "kb")


def _embedded_memory(tmp_path: Path) -> Iterator[KnowledgeStore]:
    yield EmbeddedStore(None)


def _embedded_hnsw(tmp_path: Path) -> Iterator[KnowledgeStore]:
    # threshold 0: every dense search goes through the HNSW index
    yield EmbeddedStore(tmp_path / "kb", hnsw_threshold=0)


BACKENDS: dict[str, Factory] = {
    "embedded": _embedded_disk,
    "embedded-memory": _embedded_memory,
    "embedded-hnsw": _embedded_hnsw,
    "neo4j": neo4j_backend,
}


@pytest.fixture(params=sorted(BACKENDS), ids=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KnowledgeStore]:
    """A fresh, empty store of each registered backend."""
    yield from BACKENDS[request.param](tmp_path)
