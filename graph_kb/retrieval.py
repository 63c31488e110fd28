"""Hybrid QA retrieval: BM25 and dense rankings fused by reciprocal rank fusion.

Reciprocal rank fusion (RRF) scores a document ``d`` as
``sum over rankings r of 1 / (k + rank_r(d))`` with 1-based ranks and
``k = 60``, the constant of Cormack, Clarke and Buettcher, "Reciprocal rank
fusion outperforms Condorcet and individual rank learning methods", SIGIR 2009,
pp. 758-759, doi:10.1145/1571941.1572114. RRF needs no score calibration
between BM25 (unbounded) and cosine similarity (-1..1), which is why it is
used here. Each ranking contributes its top ``candidates`` (default 50)
results after the filters; ties in the fused score are broken by dense rank,
then BM25 rank, then id.

An optional cross-encoder (``sentence_transformers.CrossEncoder``, loaded
lazily and offline from a local path) re-scores the fused candidates; the
final order is then by re-ranker score.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sportsgpt.core.errors import MissingDependencyError, SportsGPTError
from sportsgpt.graph_kb.embeddings import Embedder
from sportsgpt.graph_kb.types import KnowledgeStore, QAFilters, QAHit, QAPair, SourceRef

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

RRF_K = 60
DEFAULT_CANDIDATES = 50


class RetrievalError(SportsGPTError):
    """A retrieval request that cannot be served (bad arguments, unknown model...)."""


def rrf_fuse(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists (best first): ``id -> sum 1/(k + rank)``."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc_id in enumerate(ranking, start=1):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (k + rank)
    return fused


class CrossEncoderReranker:
    """A sentence-transformers cross-encoder loaded offline from a local folder.

    Raises:
        RetrievalError: the folder does not exist or is not a loadable model.
        MissingDependencyError: sentence-transformers is not installed.
    """

    def __init__(self, model_path: str | Path, device: str = "cpu") -> None:
        path = Path(model_path).expanduser()
        if not path.is_dir():
            raise RetrievalError(f"cross-encoder folder {path} does not exist (models are "
                                 "never downloaded at run time)")
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise MissingDependencyError("sentence-transformers", "kb", "re-ranking") from exc
        try:
            self._model: CrossEncoder = CrossEncoder(str(path), device=device,
                                                     local_files_only=True)
        except (OSError, ValueError) as exc:
            raise RetrievalError(f"cannot load cross-encoder from {path}: {exc}") from exc

    def score(self, query: str, pairs: Sequence[QAPair]) -> list[float]:
        """Relevance of each pair's question + answer to ``query`` (higher is better)."""
        if not pairs:
            return []
        inputs = [(query, f"{p.question}\n{p.answer}") for p in pairs]
        scores = self._model.predict(inputs, show_progress_bar=False, convert_to_numpy=True)
        return [float(s) for s in np.asarray(scores).reshape(-1)]


def hybrid_search(store: KnowledgeStore, query: str, embedder: Embedder, *, k: int = 5,
                  filters: QAFilters | None = None, candidates: int = DEFAULT_CANDIDATES,
                  rrf_k: int = RRF_K, reranker: CrossEncoderReranker | None = None,
                  ) -> list[QAHit]:
    """Top ``k`` QA pairs for ``query`` by BM25 + dense RRF (optionally re-ranked).

    Every hit carries its fused ``score``, both ranks (None where a ranking
    missed it), the cosine ``dense_score``, the ``rerank_score`` when a
    re-ranker ran, and :class:`SourceRef` entries (title, URL, DOI) for each of
    its source ids that the store knows.

    Raises:
        RetrievalError: empty query, ``k`` < 1 or ``candidates`` < ``k``.
    """
    if not query.strip():
        raise RetrievalError("the query is empty")
    if k < 1 or candidates < k:
        raise RetrievalError(f"need 1 <= k <= candidates, got k={k}, candidates={candidates}")
    vector = embedder.embed([query])[0]
    dense = store.qa_dense(vector, candidates, filters)
    sparse = store.qa_fulltext(query, candidates, filters)
    dense_rank = {doc_id: r for r, (doc_id, _) in enumerate(dense, start=1)}
    dense_score = dict(dense)
    bm25_rank = {doc_id: r for r, (doc_id, _) in enumerate(sparse, start=1)}
    fused = rrf_fuse([[d for d, _ in dense], [d for d, _ in sparse]], rrf_k)
    big = len(fused) + candidates + 1
    order = sorted(fused, key=lambda d: (-fused[d], dense_rank.get(d, big),
                                         bm25_rank.get(d, big), d))
    pool = order if reranker is not None else order[:k]
    pairs = {p.id: p for p in store.get_qa(pool)}
    pool = [d for d in pool if d in pairs]
    rerank: dict[str, float] = {}
    if reranker is not None:
        rerank = dict(zip(pool, reranker.score(query, [pairs[d] for d in pool]), strict=True))
        pool = sorted(pool, key=lambda d: (-rerank[d], -fused[d], d))
    chosen = pool[:k]
    refs = _source_refs(store, [pairs[d] for d in chosen])
    return [QAHit(qa=pairs[d], score=rerank.get(d, fused[d]), bm25_rank=bm25_rank.get(d),
                  dense_rank=dense_rank.get(d), dense_score=dense_score.get(d),
                  rerank_score=rerank.get(d),
                  sources=[refs[s] for s in pairs[d].source_ids if s in refs])
            for d in chosen]


def _source_refs(store: KnowledgeStore, pairs: Sequence[QAPair]) -> dict[str, SourceRef]:
    wanted = sorted({s for p in pairs for s in p.source_ids})
    return {s.id: SourceRef(id=s.id, title=s.title, url=s.url, doi=s.doi, year=s.year)
            for s in store.sources(wanted)}
