"""One typed settings object, read from the environment in one place.

:meth:`Settings.from_env` is the only code in SportsGPT that reads environment variables;
library code never writes them. Every variable is listed in :data:`ENV_VARS` (and in the
README), so ``sportsgpt config`` and the docs can show what is configurable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from sportsgpt.core.errors import SettingsError

DATA_ENV = "SPORTSGPT_DATA"
CACHE_ENV = "SPORTSGPT_CACHE"
NEO4J_URI_ENV = "SPORTSGPT_NEO4J_URI"
NEO4J_USER_ENV = "SPORTSGPT_NEO4J_USER"
NEO4J_PASSWORD_ENV = "SPORTSGPT_NEO4J_PASSWORD"
NEO4J_DATABASE_ENV = "SPORTSGPT_NEO4J_DATABASE"
EMBED_MODEL_ENV = "SPORTSGPT_EMBED_MODEL"
LLM_BACKEND_ENV = "SPORTSGPT_LLM_BACKEND"
LLM_BASE_URL_ENV = "SPORTSGPT_LLM_BASE_URL"
LLM_MODEL_ENV = "SPORTSGPT_LLM_MODEL"
LLM_API_KEY_ENV = "SPORTSGPT_LLM_API_KEY"
LLM_MODEL_PATH_ENV = "SPORTSGPT_LLM_MODEL_PATH"
LLM_TIMEOUT_ENV = "SPORTSGPT_LLM_TIMEOUT"
LLM_RETRIES_ENV = "SPORTSGPT_LLM_RETRIES"
LLM_CONTEXT_ENV = "SPORTSGPT_LLM_CONTEXT_TOKENS"
LLM_MAX_TOKENS_ENV = "SPORTSGPT_LLM_MAX_TOKENS"
LLM_THINKING_ENV = "SPORTSGPT_LLM_SHOW_THINKING"
MAX_FILE_MB_ENV = "SPORTSGPT_MAX_FILE_MB"
MAX_SAMPLES_ENV = "SPORTSGPT_MAX_SAMPLES"

ENV_VARS: Final[dict[str, str]] = {
    DATA_ENV: "data home: a folder with one sub-folder per sample data set",
    CACHE_ENV: "user cache (embedded knowledge store, chat threads, embedding cache)",
    NEO4J_URI_ENV: "Bolt URI of a Neo4j 5 server; when set, the knowledge graph lives there",
    NEO4J_USER_ENV: "Neo4j user",
    NEO4J_PASSWORD_ENV: "Neo4j password",
    NEO4J_DATABASE_ENV: "Neo4j database (default neo4j)",
    EMBED_MODEL_ENV: "sentence-transformers model name or folder already on disk",
    LLM_BACKEND_ENV: "none (default), openai (any OpenAI-compatible server) or transformers",
    LLM_BASE_URL_ENV: "base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1",
    LLM_MODEL_ENV: "model id the server serves (default Qwen/Qwen3-8B)",
    LLM_API_KEY_ENV: "API key for the server (local servers accept any)",
    LLM_MODEL_PATH_ENV: "local Qwen3 checkpoint folder for the transformers backend",
    LLM_TIMEOUT_ENV: "seconds one model call may take (default 120)",
    LLM_RETRIES_ENV: "retries with backoff after a failed model call (default 2)",
    LLM_CONTEXT_ENV: "the model's context length in tokens (default 32768)",
    LLM_MAX_TOKENS_ENV: "most tokens one model answer may have (default 4096)",
    LLM_THINKING_ENV: "1 shows Qwen3's <think> text (hidden by default)",
    MAX_FILE_MB_ENV: "largest input file, in MB, after decompression (default 512)",
    MAX_SAMPLES_ENV: "largest motion array, in float64 values (default 200 million)",
}
"""Every environment variable SportsGPT reads, with what it means."""

LLMBackendName = Literal["none", "openai", "transformers"]
DEFAULT_LLM_MODEL: Final = "Qwen/Qwen3-8B"


class LLMSettings(BaseModel):
    """Which language model writes the guidance (``none``: the deterministic composer)."""

    model_config = ConfigDict(frozen=True)

    backend: LLMBackendName = "none"
    base_url: str | None = None
    model: str = DEFAULT_LLM_MODEL
    api_key: SecretStr | None = None
    model_path: Path | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    context_tokens: int = Field(default=32768, ge=512)
    max_tokens: int = Field(default=4096, ge=16)
    """Most tokens one model answer may have (sent as ``max_tokens``; local checkpoints:
    ``max_new_tokens``). The compose step's JSON guidance measured 1,050-1,813 tokens on
    three CMU jumps (Qwen3 tokenizer), so the default leaves room for a longer answer."""
    show_thinking: bool = False


class Neo4jSettings(BaseModel):
    """Connection to a Neo4j server; ``uri=None`` means the embedded store is used."""

    model_config = ConfigDict(frozen=True)

    uri: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    database: str = "neo4j"


class InputLimits(BaseModel):
    """Bounds checked before a recording is read into memory."""

    model_config = ConfigDict(frozen=True)

    max_file_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    """Largest input, counted after decompression (gzip stream, declared array size)."""
    max_samples: int = Field(default=200_000_000, gt=0)
    """Largest number of float values in one motion array (T x J x D)."""


class Settings(BaseModel):
    """Process-wide configuration.

    Attributes:
        data_home: explicit data home (``$SPORTSGPT_DATA``), or None to search.
        cache_dir: user cache for derived artefacts (``$SPORTSGPT_CACHE``).
        neo4j: the Neo4j connection (``uri=None``: embedded knowledge store).
        embed_model: sentence-transformers model name or path (None: the packaged one).
        llm: the language-model backend.
        limits: input size limits.
    """

    model_config = ConfigDict(frozen=True)

    data_home: Path | None = None
    cache_dir: Path
    neo4j: Neo4jSettings = Neo4jSettings()
    embed_model: str | None = None
    llm: LLMSettings = LLMSettings()
    limits: InputLimits = InputLimits()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from an environment mapping (``os.environ`` by default).

        Raises:
            SettingsError: a variable holds a value that is not allowed (names it).
        """
        env = os.environ if env is None else env
        try:
            return cls._from_mapping(env)
        except (ValidationError, ValueError) as exc:
            raise SettingsError(f"invalid SportsGPT setting in the environment: {exc}") from exc

    @classmethod
    def _from_mapping(cls, env: Mapping[str, str]) -> Settings:

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value else None

        data = get(DATA_ENV)
        cache = get(CACHE_ENV) or platformdirs.user_cache_dir("sportsgpt")
        password = get(NEO4J_PASSWORD_ENV)
        key = get(LLM_API_KEY_ENV)
        path = get(LLM_MODEL_PATH_ENV)
        llm: dict[str, object] = {
            "backend": get(LLM_BACKEND_ENV) or "none", "base_url": get(LLM_BASE_URL_ENV),
            "model": get(LLM_MODEL_ENV) or DEFAULT_LLM_MODEL,
            "api_key": SecretStr(key) if key else None,
            "model_path": Path(path).expanduser() if path else None,
            "show_thinking": (get(LLM_THINKING_ENV) or "0").lower() in ("1", "true", "yes")}
        for name, field in ((LLM_TIMEOUT_ENV, "timeout_s"), (LLM_RETRIES_ENV, "max_retries"),
                            (LLM_CONTEXT_ENV, "context_tokens"),
                            (LLM_MAX_TOKENS_ENV, "max_tokens")):
            if get(name) is not None:
                llm[field] = get(name)
        limits: dict[str, object] = {}
        if get(MAX_FILE_MB_ENV) is not None:
            limits["max_file_bytes"] = int(float(get(MAX_FILE_MB_ENV) or 0) * 1024 * 1024)
        if get(MAX_SAMPLES_ENV) is not None:
            limits["max_samples"] = get(MAX_SAMPLES_ENV)
        return cls(
            data_home=Path(data).expanduser() if data else None,
            cache_dir=Path(cache).expanduser(),
            neo4j=Neo4jSettings(uri=get(NEO4J_URI_ENV), user=get(NEO4J_USER_ENV),
                                password=SecretStr(password) if password else None,
                                database=get(NEO4J_DATABASE_ENV) or "neo4j"),
            embed_model=get(EMBED_MODEL_ENV),
            llm=LLMSettings.model_validate(llm),
            limits=InputLimits.model_validate(limits))


def get_settings() -> Settings:
    """Read the settings from the current environment."""
    return Settings.from_env()
