"""The coach on real (tiny) models: the transformers backend and an OpenAI-compatible server.

"What's wrong with my jump?" on CMU 16_01 through each backend. The models are too small
(a random 2-layer Qwen3; SmolLM2-135M) to write guidance that validates, so the
deterministic composer answers with ``fallback.used`` true: that is the plumbing check
(the graph reaches the model, survives its answer, and still answers with cited
guidance naming the backend), with every run bounded in time. The knowledge store is
built with :class:`HashingEmbedder`, so no embedding model is needed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sportsgpt import api
from sportsgpt.agents.coach import CoachAnswer
from sportsgpt.core.settings import Settings
from sportsgpt.graph_kb.embeddings import HashingEmbedder
from tests.integration.llm_fixtures import SMOLLM2_ALIAS, build_tiny_qwen, llama_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]
pytest.importorskip("langgraph", reason="the coach graph needs langgraph (extra agents)")

QUESTION = "what's wrong with my jump?"
TRANSFORMERS_BOUND_S = 420.0
OPENAI_BOUND_S = 420.0
"""Whole answer, model calls included: a hang or a runaway generation fails the test.

Generous: on a shared 2-core machine the tiny Qwen3 answer took 26 s alone and 242 s
under load (three calls of up to 512 new tokens on a ~7k-token prompt)."""


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch", reason="torch is not installed (extra agents)")
    pytest.importorskip("transformers", reason="transformers is not installed (extra agents)")
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen3"))


@pytest.fixture(scope="module")
def smollm2_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("langchain_openai", reason="langchain-openai is not installed "
                                                   "(extra agents)")
    with llama_server(tmp_path_factory.mktemp("llama-server"), n_ctx=8192) as url:
        yield url


def _coach(tmp_path: Path, env: dict[str, str], recording: Path) -> tuple[CoachAnswer, float]:
    """One answer and its time; a known bug (seen 2026-12-03) xfails, and only that one.

    When the compose prompt (~7k tokens, more with the repair attempt) overflows the
    server's context, llama.cpp streams nothing, LangChain raises ValueError("No
    generations found in stream"), which is no LLMCallError, and the graph crashes
    instead of falling back to the composer.
    """
    settings = Settings.from_env({"SPORTSGPT_CACHE": str(tmp_path / "cache"), **env})
    with api.SportsGPT(settings, embedder=HashingEmbedder(64), progress=None) as ctx:
        _ = ctx.store  # built before the clock starts
        start = time.monotonic()
        try:
            answer = api.coach(ctx, QUESTION, recordings=[recording])
        except ValueError as exc:
            if "No generations found in stream" not in str(exc):
                raise
            pytest.xfail(f"known bug: an empty model stream crashes the coach ({exc}) "
                         f"after {time.monotonic() - start:.0f} s")
        return answer, time.monotonic() - start


def _assert_cited_fallback(answer: CoachAnswer) -> None:
    assert answer.route == "analyze"
    assert answer.findings and answer.citations
    assert answer.guidance is not None
    cited = {i for f in answer.guidance["findings"] for i in f["source_ids"]}
    assert cited, "the composer's findings cite their sources"
    assert answer.fallback.used and answer.fallback.reason
    assert f"deterministic composer: {answer.fallback.reason}" in answer.answer
    for c in answer.citations:
        assert f"[{c.id}]" in answer.answer


def test_the_transformers_backend_answers_with_cited_guidance(
        tiny_qwen: Path, cmu_dir: Path, tmp_path: Path) -> None:
    answer, elapsed = _coach(tmp_path, {"SPORTSGPT_LLM_BACKEND": "transformers",
                                        "SPORTSGPT_LLM_MODEL_PATH": str(tiny_qwen)},
                             cmu_dir / "16_01.amc")
    assert answer.backend.name == "transformers"
    assert answer.backend.model == str(tiny_qwen)
    _assert_cited_fallback(answer)
    assert elapsed < TRANSFORMERS_BOUND_S


def test_the_openai_backend_answers_with_cited_guidance(
        smollm2_url: str, cmu_dir: Path, tmp_path: Path) -> None:
    answer, elapsed = _coach(tmp_path, {"SPORTSGPT_LLM_BACKEND": "openai",
                                        "SPORTSGPT_LLM_BASE_URL": smollm2_url,
                                        "SPORTSGPT_LLM_MODEL": SMOLLM2_ALIAS,
                                        "SPORTSGPT_LLM_TIMEOUT": "60",
                                        "SPORTSGPT_LLM_RETRIES": "0"},
                             cmu_dir / "16_01.amc")
    assert answer.backend.name == "openai"
    assert answer.backend.model == SMOLLM2_ALIAS
    assert answer.backend.base_url == smollm2_url
    _assert_cited_fallback(answer)
    assert elapsed < OPENAI_BOUND_S
