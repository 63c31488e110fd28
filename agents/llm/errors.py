"""Errors of the language-model backends (pure Python: safe to import anywhere).

Two kinds, one base (:class:`LLMError`, a :class:`~sportsgpt.core.errors.SportsGPTError`):

* :class:`LLMConfigError`: the settings cannot make a backend (no base URL, no
  checkpoint folder); the user fixes the settings.
* :class:`LLMCallError` and its subclasses: a model call failed at run time
  (server down, too slow, answered with an error status). The agent graph catches
  :class:`LLMCallError` and answers with the deterministic composer instead.
"""

from __future__ import annotations

from sportsgpt.core.errors import SportsGPTError


class LLMError(SportsGPTError):
    """Base class of every language-model backend error."""


class LLMConfigError(LLMError, ValueError):
    """The LLM settings cannot build a backend; the message names the setting and its value."""


class LLMCallError(LLMError):
    """A model call failed after the configured retries: the caller falls back.

    Attributes:
        base_url: the server that was called (None for in-process backends).
        model: the model id that was requested.
    """

    def __init__(self, message: str, *, base_url: str | None, model: str) -> None:
        self.base_url = base_url
        self.model = model
        super().__init__(message)


class LLMUnavailableError(LLMCallError):
    """The server could not be reached (connection refused, unknown host, reset)."""


class LLMTimeoutError(LLMCallError):
    """The server did not answer within the configured timeout, on every try."""


class LLMServerError(LLMCallError):
    """The server answered with an HTTP error status (unknown model, bad request, 5xx)."""

    def __init__(self, message: str, *, base_url: str | None, model: str,
                 status_code: int | None) -> None:
        self.status_code = status_code
        super().__init__(message, base_url=base_url, model=model)
