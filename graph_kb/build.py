"""Build and open the knowledge store; plain functions behind ``sportsgpt kb ...``.

* :func:`open_store` returns the configured backend: Neo4j when
  ``SPORTSGPT_NEO4J_URI`` is set (``sportsgpt.graph_kb.neo4j_store``, imported
  lazily), otherwise the embedded store at ``<user cache>/sportsgpt/kb``
  (``$SPORTSGPT_CACHE/kb``).
* :func:`build_curated` upserts the curated graph and QA pairs.
* ``kb_build``, ``kb_ingest``, ``kb_stats``, ``kb_search`` are what the CLI wires.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from sportsgpt.core.settings import Settings, get_settings
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    qa_text,
)
from sportsgpt.graph_kb.errors import KnowledgeStoreError
from sportsgpt.graph_kb.ingest import IngestReport, ingest_jsonl
from sportsgpt.graph_kb.retrieval import CrossEncoderReranker, hybrid_search
from sportsgpt.graph_kb.types import KnowledgeStore, QAFilters, QAHit, QAPair

NEO4J_URI_ENV = "SPORTSGPT_NEO4J_URI"
QA_FILE = "qa_pairs.jsonl"


@dataclass
class BuildReport:
    """What :func:`build_curated` wrote."""

    nodes: int
    relations: int
    qa_pairs: int
    notes: list[str] = field(default_factory=list)


def store_dir(settings: Settings | None = None) -> Path:
    """Folder of the embedded store: ``<cache>/kb``."""
    return (settings or get_settings()).cache_dir / "kb"


def open_store(settings: Settings | None = None) -> KnowledgeStore:
    """The configured knowledge store (Neo4j if ``SPORTSGPT_NEO4J_URI`` is set, else embedded)."""
    uri = os.environ.get(NEO4J_URI_ENV)
    if uri:
        # Another module owns the Neo4j backend; imported only when configured.
        module = importlib.import_module("sportsgpt.graph_kb.neo4j_store")
        store: KnowledgeStore = module.Neo4jStore.from_env()
        return store
    return EmbeddedStore(store_dir(settings))


def cached_embedder(store: KnowledgeStore, embedder: Embedder) -> Embedder:
    """Wrap ``embedder`` with the store folder's embedding cache (embedded store on disk)."""
    if isinstance(store, EmbeddedStore) and store.path is not None:
        return CachedEmbedder(embedder, EmbeddingCache(store.path / "embcache.sqlite"))
    return embedder


def load_curated_qa(path: Path | None = None) -> list[QAPair]:
    """Curated QA pairs from ``graph_kb/data/qa_pairs.jsonl`` (every line must be valid).

    Raises:
        KnowledgeStoreError: a line is not a valid QA pair (names the line), or
            the file is missing.
    """
    from sportsgpt.graph_kb.content import DATA_DIR

    path = path or DATA_DIR / QA_FILE
    if not path.is_file():
        raise KnowledgeStoreError(f"{path}: curated QA file not found")
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                pairs.append(QAPair.model_validate(json.loads(line)))
            except (ValueError, ValidationError) as exc:
                raise KnowledgeStoreError(f"{path}, line {lineno}: {exc}") from exc
    return pairs


def build_curated(store: KnowledgeStore, embedder: Embedder, *,
                  qa_path: Path | None = None, batch_size: int = 256) -> BuildReport:
    """Upsert the curated graph (``load_content().to_graph()``) and curated QA pairs.

    Idempotent: re-running changes nothing (unchanged QA pairs are skipped).
    A missing curated QA file is reported in ``notes``, not an error.
    """
    from sportsgpt.graph_kb.content import DATA_DIR, load_content

    nodes, relations = load_content().to_graph()
    store.upsert_graph(nodes, relations)
    report = BuildReport(nodes=len(nodes), relations=len(relations), qa_pairs=0)
    path = qa_path or DATA_DIR / QA_FILE
    if not path.is_file():
        report.notes.append(f"no curated QA pairs: {path} does not exist")
        return report
    pairs = load_curated_qa(path)
    embedder = cached_embedder(store, embedder)
    for start in range(0, len(pairs), batch_size):
        batch = pairs[start:start + batch_size]
        store.upsert_qa(batch, embedder.embed([qa_text(p.question, p.answer) for p in batch]))
    report.qa_pairs = len(pairs)
    return report


def kb_build(settings: Settings | None = None, *, model: str | None = None,
             rebuild: bool = False) -> tuple[BuildReport, dict[str, int]]:
    """``sportsgpt kb build``: build the store from curated content; report and stats."""
    store = open_store(settings)
    if rebuild:
        store.clear()
    report = build_curated(store, SentenceTransformerEmbedder(model))
    return report, store.stats()


def kb_ingest(path: Path, settings: Settings | None = None, *, model: str | None = None,
              batch_size: int = 256, progress: bool = True, restart: bool = False
              ) -> IngestReport:
    """``sportsgpt kb ingest FILE``: resumable JSONL ingest into the configured store."""
    store = open_store(settings)
    embedder = cached_embedder(store, SentenceTransformerEmbedder(model))
    return ingest_jsonl(store, path, embedder, batch_size=batch_size, progress=progress,
                        restart=restart)


def kb_stats(settings: Settings | None = None) -> dict[str, int]:
    """``sportsgpt kb stats``: counts per node label, relation type and QA tier."""
    return open_store(settings).stats()


def kb_search(query: str, settings: Settings | None = None, *, k: int = 5,
              movement: str | None = None, fault: str | None = None,
              tier: Literal["curated", "ingested"] | None = None, model: str | None = None,
              reranker: Path | None = None) -> list[QAHit]:
    """``sportsgpt kb search QUERY``: hybrid BM25 + dense search with optional filters.

    Raises:
        KnowledgeStoreError: the store holds no QA pairs (it was never built), so that an
            empty result is never mistaken for "nothing relevant".
    """
    store = open_store(settings)
    if store.stats().get("qa_pairs", 0) == 0:
        where = getattr(store, "path", None) or "the configured Neo4j database"
        raise KnowledgeStoreError(f"the knowledge store ({where}) holds no QA pairs: run "
                                  "`sportsgpt kb build` first")
    filters = QAFilters(movement=movement, fault=fault, tier=tier)
    embedder = cached_embedder(store, SentenceTransformerEmbedder(model))
    rerank = CrossEncoderReranker(reranker) if reranker is not None else None
    return hybrid_search(store, query, embedder, k=k, filters=filters, reranker=rerank)
