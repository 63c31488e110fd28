"""The coach graph's state (persisted per thread) and its run-scoped context.

What lasts across the turns of a thread (the checkpointer keeps it): the messages, the
recordings attached and their analyses. Everything else is per run: the route, the tool
results of this run (the only things guidance may cite), the guidance and the verdict.
All values are plain JSON-ready data, so the SQLite checkpointer can store them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from sportsgpt.agents.llm import BackendInfo
from sportsgpt.tools.registry import ToolDeps, ToolRegistry

Route = Literal["analyze", "followup", "knowledge"]


class Step(TypedDict):
    """One tool call of a run: which tool, whether it succeeded, and a short note."""

    tool: str
    ok: bool
    note: str


def _replace(_old: Any, new: Any) -> Any:
    return new


def _merge(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    return {**(old or {}), **(new or {})}


class CoachState(TypedDict, total=False):
    """State of one conversation thread.

    Kept across turns: ``messages`` (the dialogue), ``recordings`` (handle -> file),
    ``analyses`` (handle -> list of assessment reports as JSON), ``movement`` (the user's
    movement override). Reset by every run: the rest.
    """

    messages: Annotated[list[AnyMessage], add_messages]
    recordings: Annotated[dict[str, str], _merge]
    analyses: Annotated[dict[str, list[dict[str, Any]]], _merge]
    movement: str
    use_model: bool
    question: str
    route: Route
    focus: list[str]
    run_reports: Annotated[list[dict[str, Any]], _replace]
    knowledge: Annotated[dict[str, dict[str, Any]], _replace]
    qa_hits: Annotated[list[dict[str, Any]], _replace]
    steps: Annotated[list[Step], _replace]
    draft: dict[str, Any] | None
    guidance: dict[str, Any] | None
    answer: str
    fallback: dict[str, Any]
    issues: list[dict[str, Any]]
    errors: list[str]
    model_error: str | None


@dataclass
class CoachContext:
    """Run-scoped dependencies the nodes use (never stored in the checkpoint)."""

    deps: ToolDeps
    registry: ToolRegistry
    llm: BaseChatModel | None
    backend: BackendInfo
    max_tool_rounds: int = 4
    system_vars: dict[str, Any] = field(default_factory=dict)
