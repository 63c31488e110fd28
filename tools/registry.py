"""The tool registry: what a language model (or any caller) may ask SportsGPT to do.

Plain typed Python, no LangChain: each tool is a function of typed arguments (a pydantic
model, whose JSON schema is what a model sees) and of the caller's dependencies
(:class:`ToolDeps`: the knowledge store, the query embedder, the recordings attached to
the conversation). It returns a :class:`ToolOutput`: a compact JSON text for the model,
the full artifact for the program, and the source ids the result makes citable. The
agent (``sportsgpt.agents``) binds these same specs to its chat model and tool node.

Three outcomes, as in the project's error rules:

* arguments a model can fix (unknown tool, a movement or fault id that does not exist,
  an empty query) raise :class:`ToolArgumentError`, whose message says what is allowed;
* failures the model is told about (no jump found in the recording, a store that was
  never built) come back as ``ToolOutput(ok=False)`` with the reason;
* anything else (a bug, a lost database) propagates.

The model never sees or passes a file path: recordings are attached by the user and
named by handle (``rec1``, ...); the handle's schema is an enum of the attached ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb.embeddings import Embedder
from sportsgpt.graph_kb.movements import all_fault_ids, metric_ids, movement_ids
from sportsgpt.graph_kb.types import KnowledgeStore, QAFilters, QAHit
from sportsgpt.tools.analysis import AUTO, Analysis
from sportsgpt.tools.knowledge import (
    KgLookupResult,
    KnowledgeArgumentError,
    UnknownKnowledgeIdError,
    kg_lookup,
    qa_search,
)

MAX_TEXT = 600
"""Longest answer text (characters) a QA hit sends to the model; the artifact keeps all."""
DOC_HITS_WITH_FILTERS = 2
"""Document passages ``search_knowledge`` adds to a movement- or fault-filtered search."""


class ToolArgumentError(SportsGPTError, ValueError):
    """Arguments a model can fix: the message says what is allowed."""


class ToolDeps(Protocol):
    """What tools need from their caller; the model cannot reach any of it directly."""

    @property
    def store(self) -> KnowledgeStore:
        """The knowledge store (graph and QA pairs)."""

    @property
    def embedder(self) -> Embedder:
        """The query embedder for QA search."""

    def recording_handles(self) -> tuple[str, ...]:
        """Handles of the recordings attached to this conversation."""

    def analyze_recording(self, handle: str, movement: str) -> Analysis:
        """Analyse an attached recording (cached per handle and movement)."""


@dataclass(frozen=True)
class ToolOutput:
    """A tool's result: compact text for the model, the full artifact, citable source ids."""

    tool: str
    ok: bool
    content: str
    artifact: Any = None
    source_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolSpec:
    """One tool: name, description (for the model), argument model and implementation."""

    name: str
    description: str
    args_model: type[BaseModel]
    run: Callable[[ToolDeps, BaseModel], ToolOutput]
    needs_recording: bool = False

    def json_schema(self) -> dict[str, Any]:
        """The OpenAI function-calling schema of this tool."""
        params = _enums(self.args_model.model_json_schema())
        params.pop("title", None)
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": params}}


def _enums(schema: Any) -> Any:
    """A one-value ``const`` (pydantic's schema of a one-value Literal) as an ``enum``."""
    if isinstance(schema, dict):
        out = {k: _enums(v) for k, v in schema.items() if k != "const"}
        if "const" in schema:
            out["enum"] = [schema["const"]]
        return out
    if isinstance(schema, list):
        return [_enums(v) for v in schema]
    return schema


def _compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)


def _literal(values: tuple[str, ...]) -> Any:
    return Literal[values]


# ------------------------------------------------------------------------- analyze_recording
def summarize_analysis(analysis: Analysis) -> dict[str, Any]:
    """The compact view of an analysis that a model reads (numbers rounded, ids kept)."""
    reps = []
    for r in analysis.reports:
        reps.append({
            "repetition": r.repetition,
            "findings": [{
                "fault_id": f.fault_id, "label": f.label, "severity": f.severity,
                "confidence": round(f.confidence, 2),
                "evidence": [{"metric_id": e.metric_id, "value": round(e.value, 2),
                              "unit": e.unit, "target_low": e.target_low,
                              "target_high": e.target_high, "keyframe": e.keyframe}
                             for e in f.evidence[:2]],
                "source_ids": f.source_ids} for f in r.findings],
            "not_assessable": sorted({m.id for m in r.metrics if m.status == "not_assessable"}),
            "keyframes": {k.name: round(k.time_s, 3) for k in r.keyframes}})
    first = analysis.reports[0]
    return {"movement": first.movement, "movement_confidence": first.movement_confidence,
            "view": first.quality.view, "repetitions": reps,
            "quality_notes": first.quality.notes[:4]}


def analysis_source_ids(analysis: Analysis) -> tuple[str, ...]:
    """Every source id an analysis cites (findings' and metric targets')."""
    ids: dict[str, None] = {}
    for r in analysis.reports:
        for f in r.findings:
            ids.update(dict.fromkeys(f.source_ids))
        for m in r.metrics:
            ids.update(dict.fromkeys(m.target_source))
    return tuple(ids)


def _analyze(deps: ToolDeps, args: BaseModel) -> ToolOutput:
    handle, movement = args.recording, args.movement  # type: ignore[attr-defined]
    analysis = deps.analyze_recording(handle, movement)
    return ToolOutput(tool="analyze_recording", ok=True,
                      content=_compact(summarize_analysis(analysis)), artifact=analysis,
                      source_ids=analysis_source_ids(analysis))


# ------------------------------------------------------------------------- knowledge
class _LookupArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _lookup_model() -> type[BaseModel]:
    return create_model(
        "LookupFaultKnowledgeArgs", __base__=_LookupArgs,
        fault_id=(_literal(tuple(sorted(all_fault_ids()))) | None,
                  Field(None, description="a KISMAM fault id, e.g. from analyze_recording")),
        metric_id=(_literal(tuple(sorted(metric_ids()))) | None,
                   Field(None, description="a metric id: returns the faults it detects")),
        movement=(_literal(movement_ids()) | None,
                  Field(None, description="restrict to one movement's faults")))


def summarize_lookup(result: KgLookupResult) -> dict[str, Any]:
    """The compact view of a graph lookup: names, short texts and source ids."""
    def items(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{k: row[k] for k in ("id", *keys, "source_ids", "fault_ids") if k in row}
                for row in rows]
    return {
        "faults": [{"id": f["id"], "label": f["label"]} for f in result.faults],
        "causes": items(result.causes, ("label", "description")),
        "drills": items(result.drills, ("name", "description", "dosage", "level")),
        "cues": items(result.cues, ("text",)),
        "risks": items(result.risks, ("label", "statement", "evidence")),
        "contraindications": items(result.contraindications, ("label", "action")),
        "sources": [{"id": s.id, "title": s.title, "year": s.year} for s in result.sources]}


def _lookup(deps: ToolDeps, args: BaseModel) -> ToolOutput:
    data = args.model_dump()
    result = kg_lookup(data["fault_id"], data["metric_id"], data["movement"], store=deps.store)
    return ToolOutput(tool="lookup_fault_knowledge", ok=True,
                      content=_compact(summarize_lookup(result)), artifact=result,
                      source_ids=tuple(s.id for s in result.sources))


def _search_model() -> type[BaseModel]:
    return create_model(
        "SearchKnowledgeArgs", __base__=_LookupArgs,
        query=(str, Field(min_length=1, max_length=500,
                          description="the question in plain words")),
        movement=(_literal(movement_ids()) | None, Field(None)),
        fault_id=(_literal(tuple(sorted(all_fault_ids()))) | None, Field(None)),
        k=(int, Field(5, ge=1, le=10, description="number of answers")))


def summarize_hits(hits: list[QAHit]) -> list[dict[str, Any]]:
    """The compact view of QA hits: question, shortened answer, source ids."""
    out = []
    for h in hits:
        answer = h.qa.answer if len(h.qa.answer) <= MAX_TEXT else h.qa.answer[:MAX_TEXT] + "…"
        out.append({"id": h.qa.id, "question": h.qa.question, "answer": answer,
                    "source_ids": [s.id for s in h.sources]})
    return out


def _search(deps: ToolDeps, args: BaseModel) -> ToolOutput:
    data = args.model_dump()
    filters = QAFilters(movement=data["movement"], fault=data["fault_id"])
    hits = qa_search(data["query"], filters, data["k"], store=deps.store,
                     embedder=deps.embedder)
    if data["movement"] is not None or data["fault_id"] is not None:
        # passages of the user's documents carry no movement or fault tags, so a filtered
        # search never finds them: their best passages for the query are added after
        docs = qa_search(data["query"], QAFilters(tier="document"),
                         min(DOC_HITS_WITH_FILTERS, data["k"]), store=deps.store,
                         embedder=deps.embedder)
        have = {h.qa.id for h in hits}
        hits += [h for h in docs if h.qa.id not in have]
    ids = tuple(dict.fromkeys(s.id for h in hits for s in h.sources))
    return ToolOutput(tool="search_knowledge", ok=True, content=_compact(summarize_hits(hits)),
                      artifact=hits, source_ids=ids)


class _NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _movements(deps: ToolDeps, args: BaseModel) -> ToolOutput:
    from sportsgpt.graph_kb.movements import fault_ids, movement_spec

    data = [{"id": m, "label": movement_spec(m).label, "keyframes": movement_spec(m).keyframes,
             "faults": fault_ids(m)} for m in movement_ids()]
    return ToolOutput(tool="list_movements", ok=True, content=_compact(data), artifact=data)


# ------------------------------------------------------------------------- the registry
@dataclass
class ToolRegistry:
    """The tools, with argument schemas bound to the recordings of one conversation."""

    handles: tuple[str, ...] = ()
    specs: dict[str, ToolSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.specs:
            self.specs = {s.name: s for s in _build_specs(self.handles)}

    def names(self) -> tuple[str, ...]:
        """Tool names, in registry order."""
        return tuple(self.specs)

    def json_schemas(self) -> list[dict[str, Any]]:
        """Every tool's OpenAI function schema (what ``bind_tools`` sends)."""
        return [s.json_schema() for s in self.specs.values()]

    def validate(self, name: str, raw_args: Mapping[str, Any]) -> BaseModel:
        """Validated arguments of a call, or :class:`ToolArgumentError` saying what is wrong."""
        spec = self.specs.get(name)
        if spec is None:
            raise ToolArgumentError(f"unknown tool {name!r}; tools: {', '.join(self.specs)}")
        try:
            return spec.args_model.model_validate(dict(raw_args))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: "
                                 f"{e['msg']}" for e in exc.errors(include_url=False))
            raise ToolArgumentError(f"invalid arguments for {name}: {problems}") from None

    def call(self, name: str, raw_args: Mapping[str, Any], deps: ToolDeps) -> ToolOutput:
        """Validate and run one tool call (see the module docstring for the outcomes)."""
        args = self.validate(name, raw_args)
        try:
            return self.specs[name].run(deps, args)
        except (UnknownKnowledgeIdError, KnowledgeArgumentError) as exc:
            raise ToolArgumentError(str(exc)) from exc
        except SportsGPTError as exc:
            return ToolOutput(tool=name, ok=False, content=_compact({"error": str(exc)}))


def _build_specs(handles: tuple[str, ...]) -> list[ToolSpec]:
    specs = []
    if handles:
        args = create_model(
            "AnalyzeRecordingArgs", __base__=_LookupArgs,
            recording=(_literal(handles), Field(description="handle of an attached recording")),
            movement=(_literal((AUTO, *movement_ids())),
                      Field(AUTO, description="movement performed, or auto to recognise it")))
        specs.append(ToolSpec(
            "analyze_recording",
            "Measure an attached recording: find the movement and its keyframes (MotionDTW), "
            "compute the KISMAM metrics at them against target ranges, and name the faults "
            "with evidence, severity and confidence. The only source of diagnoses.",
            args, _analyze, needs_recording=True))
    specs += [
        ToolSpec("lookup_fault_knowledge",
                 "Knowledge graph: causes, corrective drills (with dosage), coaching cues, "
                 "injury risks, contraindications and sources for a fault, a metric or a "
                 "movement. Cite the returned source ids.", _lookup_model(), _lookup),
        ToolSpec("search_knowledge",
                 "Search expert question-answer pairs and passages of the user's coaching "
                 "documents (hybrid keyword + meaning search), optionally for one movement "
                 "or fault. Cite the returned source ids (a document's id names its page).",
                 _search_model(), _search),
        ToolSpec("list_movements", "The movements SportsGPT can assess, with their faults.",
                 _NoArgs, _movements),
    ]
    return specs
