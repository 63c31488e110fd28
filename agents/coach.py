"""Running the coach graph for one question: input, thread memory, streaming, the answer.

The front door (``sportsgpt.api.coach``) supplies the tool dependencies (the attached
recordings and the knowledge store) and the chat model; this module runs the graph with a
thread's memory (a LangGraph checkpointer, SQLite under the user cache) and turns the
final state into a :class:`CoachAnswer`.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, Field

from sportsgpt.agents.graph import build_graph
from sportsgpt.agents.guidance import Guidance
from sportsgpt.agents.llm import BackendInfo
from sportsgpt.agents.state import CoachContext, CoachState
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.graph_kb.types import QAHit
from sportsgpt.tools.knowledge import KgLookupResult
from sportsgpt.tools.registry import ToolDeps, ToolRegistry


class Citation(BaseModel):
    """A source the answer cites (every one was returned by a tool in this run)."""

    id: str
    title: str
    year: int | None = None
    doi: str | None = None
    url: str | None = None


class StepOut(BaseModel):
    """One tool call of the run."""

    tool: str
    ok: bool
    note: str = ""


class FallbackOut(BaseModel):
    """Whether the deterministic composer answered instead of the model, and why."""

    used: bool = False
    reason: str | None = None


class CoachAnswer(BaseModel):
    """What ``sportsgpt coach`` returns (the JSON names are stable)."""

    answer: str = Field(description="the guidance as Markdown, with a reference list")
    findings: list[dict[str, Any]] = Field(
        description="the assessment's findings this answer rests on, as analyze gives them")
    guidance: dict[str, Any] | None = Field(description="the structured guidance")
    citations: list[Citation]
    steps: list[StepOut]
    backend: BackendInfo
    thread_id: str
    route: str
    fallback: FallbackOut


def open_checkpointer(path: Path) -> BaseCheckpointSaver[Any]:
    """A SQLite checkpointer at ``path`` (conversation threads survive the process)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    return SqliteSaver(conn)


def new_thread_id() -> str:
    """A fresh thread id."""
    return uuid.uuid4().hex[:12]


class Coach:
    """The compiled coach graph with its thread memory; one per process is enough."""

    def __init__(self, checkpointer: BaseCheckpointSaver[Any] | None = None) -> None:
        if checkpointer is None:  # threads then live as long as this object
            from langgraph.checkpoint.memory import InMemorySaver

            checkpointer = InMemorySaver()
        self.checkpointer = checkpointer
        self.graph = build_graph(checkpointer)

    def thread_recordings(self, thread_id: str) -> dict[str, str]:
        """The recordings a thread attached earlier (handle -> path), in order."""
        snap = self.graph.get_state({"configurable": {"thread_id": thread_id}})
        recs: dict[str, str] = dict((snap.values or {}).get("recordings", {}))
        return recs

    def _input(self, question: str, recordings: dict[str, str], movement: str | None,
               llm: BaseChatModel | None) -> CoachState:
        state: CoachState = {
            "messages": [HumanMessage(question)], "question": question,
            "recordings": recordings, "use_model": llm is not None, "run_reports": [],
            "knowledge": {}, "qa_hits": [], "steps": [], "draft": None, "guidance": None,
            "answer": "", "fallback": {"used": False, "reason": None}, "issues": [],
            "errors": [], "focus": [], "model_error": None}
        if movement:
            state["movement"] = movement
        return state

    def _context(self, deps: ToolDeps, registry: ToolRegistry, llm: BaseChatModel | None,
                 backend: BackendInfo) -> CoachContext:
        return CoachContext(deps=deps, registry=registry, llm=llm, backend=backend,
                            system_vars={"movements": list(movement_ids()),
                                         "today": date.today().isoformat()})

    def ask(self, question: str, *, deps: ToolDeps, registry: ToolRegistry,
            llm: BaseChatModel | None, backend: BackendInfo, recordings: dict[str, str],
            thread_id: str, movement: str | None = None) -> CoachAnswer:
        """Answer one question in a thread."""
        final: CoachAnswer | None = None
        for kind, payload in self.stream(question, deps=deps, registry=registry, llm=llm,
                                         backend=backend, recordings=recordings,
                                         thread_id=thread_id, movement=movement):
            if kind == "answer":
                assert isinstance(payload, CoachAnswer)
                final = payload
        assert final is not None
        return final

    def stream(self, question: str, *, deps: ToolDeps, registry: ToolRegistry,
               llm: BaseChatModel | None, backend: BackendInfo, recordings: dict[str, str],
               thread_id: str, movement: str | None = None
               ) -> Iterator[tuple[Literal["step", "token", "answer"], Any]]:
        """Run the graph for one question, streaming what happens.

        Yields ``("step", node name)`` and ``("token", text)`` as they happen, and
        ``("answer", CoachAnswer)`` last.
        """
        config = {"configurable": {"thread_id": thread_id}}
        context = self._context(deps, registry, llm, backend)
        state = self._input(question, recordings, movement, llm)
        for mode, data in self.graph.stream(state, config, context=context,
                                            stream_mode=["updates", "messages"]):
            if mode == "updates":
                for node in data:
                    yield "step", node
            elif mode == "messages":
                chunk, _meta = data
                if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) \
                        and chunk.content:
                    yield "token", chunk.content
        values = self.graph.get_state(config).values
        yield "answer", answer_from_state(values, backend, thread_id)


def answer_from_state(values: dict[str, Any], backend: BackendInfo,
                      thread_id: str) -> CoachAnswer:
    """The :class:`CoachAnswer` of a finished run."""
    guidance = Guidance.model_validate(values["guidance"]) if values.get("guidance") else None
    refs: dict[str, Citation] = {}
    for data in (values.get("knowledge") or {}).values():
        for s in KgLookupResult.model_validate(data).sources:
            refs[s.id] = Citation(**s.model_dump())
    for data in values.get("qa_hits") or []:
        for s in QAHit.model_validate(data).sources:
            refs[s.id] = Citation(**s.model_dump())
    cited = sorted(guidance.cited_ids()) if guidance else []
    findings = [{**f, "repetition": r.get("repetition", 1), "movement": r.get("movement")}
                for r in values.get("run_reports") or [] for f in r.get("findings", [])]
    return CoachAnswer(
        answer=values.get("answer", ""), findings=findings,
        guidance=values.get("guidance"),
        citations=[refs[i] for i in cited if i in refs],
        steps=[StepOut(**s) for s in values.get("steps") or []],
        backend=backend, thread_id=thread_id, route=values.get("route", ""),
        fallback=FallbackOut(**(values.get("fallback") or {})))
