"""Systems under test: the coach, its ablations, the general-LLM baseline, outside answers.

Every system goes through the public API (:mod:`sportsgpt.api`) and reports its full
configuration (:meth:`System.config`).

* ``sportsgpt``: :func:`sportsgpt.api.coach` with the recording attached: KISMAM
  findings, graph lookups and QA retrieval, the model (or the composer on ``none``).
* ``no_kismam``: the coach without the assessment: no recording is attached; the
  question carries the plain numeric summary of the recording (:func:`plain_summary`:
  keyframe times, phase durations and metric values, no targets and no findings), and
  its faults are extracted from the text.
* ``no_retrieval``: the coach without QA search (``withhold=("search_knowledge",)``).
* ``no_graph``: the coach without knowledge-graph lookups
  (``withhold=("lookup_fault_knowledge",)``).
* ``baseline``: the same chat model, the same question and plain numeric summary, one
  direct call (``prompts/baseline_chat.yaml``), no tools, no knowledge. On the ``none``
  backend there is no model: the baseline is reported as not runnable.
* ``responses``: answers produced elsewhere, read from a JSONL keyed by case id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.evals.cases import EvalCase, EvalCaseError
from sportsgpt.evals.records import Measurement, NamedFault, Response

if TYPE_CHECKING:
    from sportsgpt.api import SportsGPT
    from sportsgpt.tools.analysis import Analysis

SYSTEMS = ("sportsgpt", "no_kismam", "no_retrieval", "no_graph", "baseline")
CITING_ITEMS = ("findings", "key_points", "drills", "cues", "safety")


def measurements(analysis: Analysis) -> list[Measurement]:
    """Every assessable metric of every repetition, with its targets."""
    return [Measurement(metric_id=m.id, label=m.label, value=m.value, unit=m.unit,
                        target_low=m.target_low, target_high=m.target_high)
            for r in analysis.reports for m in r.metrics if m.value is not None]


def plain_summary(analysis: Analysis) -> str:
    """The recording as plain numbers: keyframe times, phase durations, metric values.

    No target ranges, z-scores, statuses or findings: what a general model would be
    given by a motion-capture lab without SportsGPT's assessment.
    """
    lines: list[str] = []
    for r in analysis.reports:
        lines.append(f"Repetition {r.repetition} ({r.movement.replace('_', ' ')}, "
                     f"{r.n_frames} frames at {r.fps:g} Hz)")
        if r.keyframes:
            lines.append("  key moments: " + ", ".join(
                f"{k.name.replace('_', ' ')} {k.time_s:.2f} s" for k in r.keyframes))
        if r.phases:
            lines.append("  phase durations: " + ", ".join(
                f"{p.name.replace('_', ' ')} {p.duration_s:.2f} s" for p in r.phases))
        for m in r.metrics:
            if m.value is None:
                continue
            where = f" at {m.keyframe.replace('_', ' ')}" if m.keyframe else ""
            lines.append(f"  {m.label}{where}: {m.value:.3g} {m.unit}")
    return "\n".join(lines)


class Inputs(Protocol):
    """What a system is given for one case."""

    case: EvalCase
    recording: Path | None
    summary: str


class System(Protocol):
    """A system under test."""

    name: str

    def config(self) -> dict[str, Any]:
        """Everything that defines the system's answers (recorded with the run)."""

    def run(self, ctx: SportsGPT, inputs: Inputs) -> Response:
        """Answer one case."""


def _cited(guidance: dict[str, Any] | None) -> list[str]:
    if not guidance:
        return []
    ids = [sid for key in CITING_ITEMS for item in guidance.get(key) or []
           for sid in item.get("source_ids") or []]
    return list(dict.fromkeys(ids))


class CoachSystem:
    """The coach through :func:`sportsgpt.api.coach`, optionally ablated."""

    def __init__(self, name: str, backend: str, *, withhold: Sequence[str] = (),
                 summary_only: bool = False) -> None:
        self.name = name
        self.backend = backend
        self.withhold = tuple(withhold)
        self.summary_only = summary_only

    def config(self) -> dict[str, Any]:
        """The coach's switches and backend."""
        return {"kind": "coach", "backend": self.backend, "withhold": list(self.withhold),
                "recording": "plain numeric summary in the question" if self.summary_only
                else "attached (KISMAM)"}

    def run(self, ctx: SportsGPT, inputs: Inputs) -> Response:
        """Ask the coach."""
        from sportsgpt.api import coach

        case = inputs.case
        question = case.question
        recordings: list[Path] = []
        if self.summary_only and inputs.summary:
            question += f"\n\nMeasurements of my recording:\n{inputs.summary}"
        elif inputs.recording is not None and not self.summary_only:
            recordings = [inputs.recording]
        t0 = time.perf_counter()
        out = coach(ctx, question, recordings=recordings, movement=case.movement,
                    backend=self.backend, withhold=self.withhold)
        seconds = time.perf_counter() - t0
        findings = None if self.summary_only else [
            NamedFault.model_validate(f) for f in out.findings]
        return Response(
            case_id=case.id, system=self.name, answer=out.answer, findings=findings,
            cited_ids=_cited(out.guidance), retrieved_ids=[c.id for c in out.citations],
            fallback=out.fallback.used, seconds=round(seconds, 3),
            meta={"route": out.route, "backend": out.backend.model_dump(mode="json"),
                  "steps": [s.model_dump() for s in out.steps],
                  "fallback_reason": out.fallback.reason})


BASELINE_MAX_TOKENS = 512
"""Longest baseline answer in tokens (the transformers backend's default per call)."""

_LENGTH_KWARG = {"openai": "max_tokens", "transformers": "max_new_tokens"}


class BaselineSystem:
    """The general LLM: same model, question and numeric summary; no tools, no knowledge.

    The answer is capped at :data:`BASELINE_MAX_TOKENS` tokens, so a small model that never
    stops cannot run into the client's timeout (a server keeps generating after it).
    """

    name = "baseline"

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def config(self) -> dict[str, Any]:
        """The backend and the prompt's version."""
        from sportsgpt.prompts import load

        return {"kind": "direct chat-model call", "backend": self.backend,
                "prompt": f"baseline_chat v{load('baseline_chat').version}",
                "tools": [], "knowledge": "none", "max_answer_tokens": BASELINE_MAX_TOKENS}

    def run(self, ctx: SportsGPT, inputs: Inputs) -> Response:
        """One direct call to the chat model; not runnable without one."""
        from sportsgpt.prompts import render

        llm, info = ctx.chat_model(self.backend)
        if llm is None:
            return Response(case_id=inputs.case.id, system=self.name, runnable=False,
                            error=f"backend {self.backend!r} has no language model: the "
                                  "general-LLM baseline is not runnable (never faked)")
        prompt = render("baseline_chat", question=inputs.case.question,
                        summary=inputs.summary)
        t0 = time.perf_counter()
        cap = {_LENGTH_KWARG[self.backend]: BASELINE_MAX_TOKENS} \
            if self.backend in _LENGTH_KWARG else {}
        reply = llm.invoke(prompt, **cap)
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        return Response(case_id=inputs.case.id, system=self.name, answer=text,
                        seconds=round(time.perf_counter() - t0, 3),
                        meta={"backend": info.model_dump(mode="json")})


class ResponsesSystem:
    """Answers produced elsewhere: a JSONL of ``{"case_id", "answer", ...}`` lines.

    Optional fields: ``findings`` (``[{"fault_id", "severity"}]``), ``cited_ids``,
    ``retrieved_ids``; a case without a line is an error (the cases must be identical).
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self.name = name or f"responses:{path.stem}"
        self.answers: dict[str, dict[str, Any]] = {}
        if not path.is_file():
            raise EvalCaseError(f"{path}: no such responses file")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = str(row["case_id"])
                str(row["answer"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvalCaseError(f"{path}, line {n}: a response needs case_id and "
                                    f"answer ({exc})") from None
            self.answers[key] = row

    def config(self) -> dict[str, Any]:
        """Where the answers came from."""
        return {"kind": "responses file", "path": str(self.path), "n": len(self.answers)}

    def run(self, ctx: SportsGPT, inputs: Inputs) -> Response:
        """The stored answer of the case."""
        row = self.answers.get(inputs.case.id)
        if row is None:
            raise EvalCaseError(f"{self.path}: no answer for case {inputs.case.id!r}")
        return Response(
            case_id=inputs.case.id, system=self.name, answer=str(row["answer"]),
            findings=[NamedFault.model_validate(f) for f in row["findings"]]
            if row.get("findings") is not None else None,
            cited_ids=row.get("cited_ids"), retrieved_ids=row.get("retrieved_ids"))


def make_system(name: str, backend: str) -> System:
    """A named system on a backend."""
    systems: dict[str, System] = {
        "sportsgpt": CoachSystem("sportsgpt", backend),
        "no_kismam": CoachSystem("no_kismam", backend, summary_only=True),
        "no_retrieval": CoachSystem("no_retrieval", backend, withhold=("search_knowledge",)),
        "no_graph": CoachSystem("no_graph", backend, withhold=("lookup_fault_knowledge",)),
        "baseline": BaselineSystem(backend),
    }
    if name not in systems:
        raise SportsGPTError(f"unknown system {name!r}; systems: {', '.join(SYSTEMS)} "
                             "(answers from elsewhere: --responses FILE)")
    return systems[name]
