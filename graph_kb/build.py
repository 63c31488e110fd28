"""Open the configured knowledge store and build the curated knowledge into it.

* :func:`open_store` returns the configured backend: Neo4j when the settings name a
  Neo4j URI (``sportsgpt.graph_kb.neo4j_store``, imported lazily), otherwise the
  embedded store at ``<cache>/kb``.
* :func:`build_curated` upserts the curated graph and QA pairs; :func:`curated_fingerprint`
  identifies the curated content, so a store can tell whether it holds the shipped
  version (:func:`needs_curated_build`).

The front door (``sportsgpt.api``) owns the long-lived store and embedder and calls these.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from sportsgpt.core.settings import Settings, get_settings
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    qa_text,
)
from sportsgpt.graph_kb.errors import KnowledgeStoreError
from sportsgpt.graph_kb.types import KnowledgeStore, QAPair

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
    """The configured knowledge store (Neo4j if the settings name a URI, else embedded)."""
    settings = settings or get_settings()
    if settings.neo4j.uri:
        # Another module owns the Neo4j backend; imported only when configured.
        module = importlib.import_module("sportsgpt.graph_kb.neo4j_store")
        store: KnowledgeStore = module.Neo4jStore.from_settings(settings.neo4j)
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


FINGERPRINT_FILE = "curated.sha256"


def curated_fingerprint(embedder_id: str) -> str:
    """SHA-256 of the curated graph, QA pairs and sources, and of the embedding model id."""
    from sportsgpt.graph_kb.content import DATA_DIR

    h = hashlib.sha256(embedder_id.encode())
    for name in sorted(p.name for p in DATA_DIR.iterdir() if p.suffix in (".json", ".jsonl")):
        h.update(name.encode())
        h.update((DATA_DIR / name).read_bytes())
    return h.hexdigest()


def needs_curated_build(store: KnowledgeStore, embedder_id: str) -> bool:
    """Whether ``store`` lacks the shipped curated knowledge (or holds an older version).

    The embedded store keeps the fingerprint of the content it was built from beside its
    files; a store without it is built when it holds no QA pairs. Neo4j is the user's
    database: it is never rebuilt behind their back, only checked for QA pairs.
    """
    path = getattr(store, "path", None)
    if isinstance(store, EmbeddedStore) and path is not None:
        marker = Path(path) / FINGERPRINT_FILE
        return not marker.is_file() or marker.read_text().strip() != curated_fingerprint(
            embedder_id)
    return store.stats().get("qa_pairs", 0) == 0


def mark_curated_built(store: KnowledgeStore, embedder_id: str) -> None:
    """Record in an embedded store folder which curated content it now holds."""
    path = getattr(store, "path", None)
    if isinstance(store, EmbeddedStore) and path is not None:
        (Path(path) / FINGERPRINT_FILE).write_text(curated_fingerprint(embedder_id) + "\n")
