"""The general-LLM baseline: one capped call, its configuration recorded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sportsgpt.evals.cases import EvalCase
from sportsgpt.evals.systems import BASELINE_MAX_TOKENS, BaselineSystem


class _Reply:
    content = "Land softer."


class _Model:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, prompt: str, **kwargs: Any) -> _Reply:
        self.calls.append(kwargs)
        return _Reply()


class _Info:
    def model_dump(self, mode: str) -> dict[str, str]:
        return {"backend": "fake"}


class _Ctx:
    def __init__(self) -> None:
        self.model = _Model()

    def chat_model(self, backend: str) -> tuple[_Model, _Info]:
        return self.model, _Info()


@dataclass
class _Inputs:
    case: EvalCase
    recording: Path | None = None
    summary: str = "Peak knee flexion at landing: 41.9 deg"


@pytest.mark.parametrize(("backend", "kwarg"), [("openai", "max_tokens"),
                                                 ("transformers", "max_new_tokens")])
def test_baseline_answer_is_capped_in_the_backends_own_words(backend: str, kwarg: str) -> None:
    ctx = _Ctx()
    system = BaselineSystem(backend)
    case = EvalCase.model_validate({"id": "q1", "question": "How do I land?"})
    response = system.run(ctx, _Inputs(case))  # type: ignore[arg-type]
    assert response.answer == "Land softer."
    assert ctx.model.calls == [{kwarg: BASELINE_MAX_TOKENS}]
    assert system.config()["max_answer_tokens"] == BASELINE_MAX_TOKENS
