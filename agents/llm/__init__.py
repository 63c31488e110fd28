"""Language-model backends for the coach agent, chosen by :class:`LLMSettings`.

``none`` (the default) means no model: the agent answers with the deterministic
composer. ``openai`` talks to any OpenAI-compatible server (see
``docs/llm_backends.md``); ``transformers`` runs a local Qwen3 checkpoint in process.

Importing this package is cheap: LangChain, the OpenAI client, torch and
transformers are imported only by :func:`make_chat_model`, for the backend chosen.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from sportsgpt.agents.llm.errors import (
    LLMCallError,
    LLMConfigError,
    LLMError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from sportsgpt.core.errors import MissingDependencyError
from sportsgpt.core.settings import (
    LLM_BACKEND_ENV,
    LLM_BASE_URL_ENV,
    LLM_MODEL_PATH_ENV,
    LLMSettings,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "BackendInfo",
    "LLMCallError",
    "LLMConfigError",
    "LLMError",
    "LLMServerError",
    "LLMTimeoutError",
    "LLMUnavailableError",
    "make_chat_model",
]


class BackendInfo(BaseModel):
    """Which backend answers, for logs, ``sportsgpt config`` and reports.

    Attributes:
        name: ``none``, ``openai`` or ``transformers``.
        model: the model id (served name, or checkpoint folder); None for ``none``.
        base_url: the server's base URL (``openai`` only).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    model: str | None = None
    base_url: str | None = None


def _require(package: str, module: str, purpose: str) -> None:
    """Raise :class:`MissingDependencyError` (extra ``agents``) when a module is absent."""
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(package, "agents", purpose)


def _check_base_url(url: str | None) -> str:
    if not url:
        raise LLMConfigError(
            f"{LLM_BACKEND_ENV}=openai needs {LLM_BASE_URL_ENV}, the server's base URL "
            "(e.g. http://127.0.0.1:8000/v1 for vLLM, http://127.0.0.1:11434/v1 for Ollama)")
    if not url.startswith(("http://", "https://")):
        raise LLMConfigError(f"{LLM_BASE_URL_ENV}={url!r} is not an http(s) URL "
                             "(expected e.g. http://127.0.0.1:8000/v1)")
    return url


def make_chat_model(settings: LLMSettings) -> tuple[BaseChatModel | None, BackendInfo]:
    """Build the chat model the settings name, and say which it is.

    Returns:
        ``(None, info)`` for ``none``; otherwise a LangChain chat model whose
        content never holds ``<think>`` text, and its description.

    Raises:
        LLMConfigError: ``openai`` without a (valid) base URL; ``transformers``
            without a checkpoint folder, or with one that does not exist.
        MissingDependencyError: the backend's packages are not installed
            (``pip install 'sportsgpt[agents]'``).
    """
    if settings.backend == "none":
        return None, BackendInfo(name="none")
    if settings.backend == "openai":
        url = _check_base_url(settings.base_url)
        _require("langchain-openai", "langchain_openai", "the openai LLM backend")
        from sportsgpt.agents.llm.openai_backend import make_openai_chat

        return make_openai_chat(settings), BackendInfo(name="openai", model=settings.model,
                                                       base_url=url)
    if settings.backend == "transformers":
        path = settings.model_path
        if path is None:
            raise LLMConfigError(f"{LLM_BACKEND_ENV}=transformers needs {LLM_MODEL_PATH_ENV}, "
                                 "a local Qwen3 checkpoint folder")
        if not path.is_dir():
            raise LLMConfigError(f"{LLM_MODEL_PATH_ENV}={str(path)!r} is not a folder "
                                 "(expected a Qwen3 checkpoint: config.json, tokenizer, weights)")
        _require("transformers", "transformers", "the transformers LLM backend")
        _require("torch", "torch", "the transformers LLM backend")
        _require("langchain-core", "langchain_core", "the transformers LLM backend")
        from sportsgpt.agents.llm.qwen_transformers import QwenTransformersChat

        # Same thinking rule as the openai backend: off unless asked for, never with tools.
        model = QwenTransformersChat(model_path=path, context_length=settings.context_tokens,
                                     max_new_tokens=settings.max_tokens,
                                     thinking="auto" if settings.show_thinking else "off")
        return model, BackendInfo(name="transformers", model=str(path))
    raise LLMConfigError(f"{LLM_BACKEND_ENV}={settings.backend!r} is not a known backend "
                         "(none, openai, transformers)")
