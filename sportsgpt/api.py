"""The one entry point the CLI, the agent, the web app and the evals go through.

A :class:`SportsGPT` context holds what is expensive or shared: the settings (the one
reader of the environment), the knowledge store and the query embedder, each opened
once, on first use, and closed by :meth:`SportsGPT.close` (or a ``with`` block). The
functions below take it as ``ctx`` where they need it; without one they make a
short-lived context from the environment.

>>> from sportsgpt.api import movements
>>> "countermovement_jump" in [m.id for m in movements()]
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.core.settings import Settings, get_settings

if TYPE_CHECKING:
    from sportsgpt.agents.coach import CoachAnswer
    from sportsgpt.graph_kb.build import BuildReport
    from sportsgpt.graph_kb.documents import DocsReport
    from sportsgpt.graph_kb.embeddings import Embedder
    from sportsgpt.graph_kb.ingest import IngestReport
    from sportsgpt.graph_kb.types import KnowledgeStore, QAHit
    from sportsgpt.tools.analysis import Analysis
    from sportsgpt.tools.io import Motion
    from sportsgpt.tools.knowledge import KgLookupResult
    from sportsgpt.tools.motion import AngleSequence
    from sportsgpt.tools.motiondtw.align import Alignment
    from sportsgpt.tools.motiondtw.templates import Template
    from sportsgpt.tools.preprocess import QualityReport
    from sportsgpt.tools.registry import ToolRegistry

AUTO = "auto"
Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class SportsGPT:
    """The long-lived context: settings, knowledge store and embedder, opened once.

    Args:
        settings: configuration (default: read from the environment).
        store: a knowledge store to use instead of the configured one (tests, benchmarks).
        embedder: an embedder to use instead of the configured model.
        progress: where one-line progress messages go (default: standard error).

    The embedded store is built from the shipped curated knowledge on first use (and
    rebuilt when the shipped content changes), so search works without a separate
    ``kb build``; a Neo4j database is the user's and is never built implicitly.
    """

    def __init__(self, settings: Settings | None = None, *,
                 store: KnowledgeStore | None = None, embedder: Embedder | None = None,
                 progress: Progress | None = _stderr) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._owns_store = store is None
        self._embedder = embedder
        self._progress = progress
        self._checked = store is not None
        self._llms: dict[str, tuple[Any, Any]] = {}
        self._coach: Any = None

    # ------------------------------------------------------------------ resources
    def say(self, message: str) -> None:
        """Report progress (a no-op when the context was made with ``progress=None``)."""
        if self._progress is not None:
            self._progress(message)

    @property
    def embedder(self) -> Embedder:
        """The query/document embedder, loaded once (offline; cached per store folder)."""
        if self._embedder is None:
            from sportsgpt.graph_kb.build import cached_embedder
            from sportsgpt.graph_kb.embeddings import SentenceTransformerEmbedder

            base = SentenceTransformerEmbedder(self.settings.embed_model)
            self._embedder = cached_embedder(self.raw_store, base)
        return self._embedder

    @property
    def raw_store(self) -> KnowledgeStore:
        """The configured store as it is, without the curated-content check."""
        if self._store is None:
            from sportsgpt.graph_kb.build import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def store(self) -> KnowledgeStore:
        """The knowledge store, holding the shipped curated knowledge (built on first use)."""
        store = self.raw_store
        if not self._checked:
            self._ensure_curated(store)
            self._checked = True
        return store

    def _ensure_curated(self, store: KnowledgeStore) -> None:
        from sportsgpt.graph_kb.build import (
            build_curated,
            mark_curated_built,
            needs_curated_build,
        )
        from sportsgpt.graph_kb.errors import KnowledgeStoreError

        if not needs_curated_build(store, self.embedder.model_id):
            return
        if self.settings.neo4j.uri:
            raise KnowledgeStoreError(
                f"the Neo4j database at {self.settings.neo4j.uri} holds no QA pairs: run "
                "`sportsgpt kb build` to load the curated knowledge into it")
        self.say("sportsgpt: building the knowledge base from the shipped curated content "
                 "(first use; a few seconds)...")
        report = build_curated(store, self.embedder)
        mark_curated_built(store, self.embedder.model_id)
        self.say(f"sportsgpt: knowledge base ready ({report.nodes} nodes, "
                 f"{report.qa_pairs} QA pairs)")

    def chat_model(self, backend: str | None = None) -> tuple[Any, Any]:
        """The chat model of the settings (or of ``backend``), built once, and its description.

        Returns ``(None, info)`` for the ``none`` backend (the deterministic composer).
        """
        from sportsgpt.agents.llm import make_chat_model

        llm = self.settings.llm if backend is None else \
            self.settings.llm.model_copy(update={"backend": backend})
        if llm.backend not in self._llms:
            self._llms[llm.backend] = make_chat_model(llm)
        return self._llms[llm.backend]

    @property
    def coach(self) -> Any:
        """The coach graph with its thread memory (SQLite under the cache), built once."""
        if self._coach is None:
            from sportsgpt.agents.coach import Coach, open_checkpointer

            self._coach = Coach(open_checkpointer(self.settings.cache_dir / "threads.sqlite"))
        return self._coach

    def close(self) -> None:
        """Close the knowledge store (a Neo4j driver's connections) if this context opened it."""
        if self._store is not None and self._owns_store:
            close = getattr(self._store, "close", None)
            if callable(close):
                close()
        self._store = None

    def __enter__(self) -> SportsGPT:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _settings(ctx: SportsGPT | None) -> Settings:
    return ctx.settings if ctx is not None else get_settings()


# ====================================================================== movements
class MovementInfo(BaseModel):
    """A movement SportsGPT can assess, as the registry defines it."""

    id: str
    label: str
    kind: str
    keyframes: list[str]
    faults: list[str]


def movements() -> list[MovementInfo]:
    """Every movement in the registry (read from the shipped movement folders)."""
    from sportsgpt.graph_kb.movements import fault_ids, movement_ids, movement_spec

    return [MovementInfo(id=m, label=movement_spec(m).label, kind=movement_spec(m).kind,
                         keyframes=list(movement_spec(m).keyframes), faults=list(fault_ids(m)))
            for m in movement_ids()]


def data_home(name: str, *, ctx: SportsGPT | None = None) -> Path:
    """Folder of a sample data set (``cmu-mocap-jumps``, ``ui-prmd``...) in the data home."""
    from sportsgpt.tools.datasets import data_home as find

    return find(name, _settings(ctx))


# ====================================================================== recordings
class ChannelQuality(BaseModel):
    """Quality of an angles-only recording: how much of each channel is missing."""

    n_frames: int
    fps: float
    duration_s: float
    missing_pct: float
    missing_pct_by_channel: dict[str, float]


class InspectionReport(BaseModel):
    """What ``sportsgpt inspect`` prints about one recording."""

    path: str
    format: str
    kind: str
    fps: float
    n_frames: int
    duration_s: float
    dim: int | None
    units: str
    up_axis: str
    facing: str | None
    view: str | None
    joints: list[str]
    channels: list[str]
    original_units: str | None
    notes: list[str]
    quality: QualityReport | ChannelQuality


def _channel_quality(seq: AngleSequence) -> ChannelQuality:
    nan = np.isnan(seq.values)
    by = {c: round(100.0 * float(nan[:, i].mean()), 3) for i, c in enumerate(seq.channels)}
    total = 100.0 * float(nan.mean()) if nan.size else 0.0
    return ChannelQuality(n_frames=seq.n_frames, fps=seq.fps, duration_s=seq.duration_s,
                          missing_pct=round(total, 3), missing_pct_by_channel=by)


def load_motion(path: str | Path, format: str | None = None, *, ctx: SportsGPT | None = None,
                **options: Any) -> Motion:
    """Read any supported recording within the configured input limits."""
    from sportsgpt.tools.io import read_motion

    return read_motion(path, format=format, limits=_settings(ctx).limits, **options)


def inspect_file(path: str | Path, format: str | None = None, *, ctx: SportsGPT | None = None,
                 **options: Any) -> InspectionReport:
    """Read a recording and summarise it (format, timing, joints, units, quality)."""
    from sportsgpt.tools.io import detect_format
    from sportsgpt.tools.motion import MotionSequence
    from sportsgpt.tools.preprocess import QualityReport, quality_summary

    InspectionReport.model_rebuild(_types_namespace={"QualityReport": QualityReport})
    path = Path(path)
    limits = _settings(ctx).limits
    fmt = format or detect_format(path, limits=limits).name
    motion = load_motion(path, format=fmt, ctx=ctx, **options)
    common: dict[str, Any] = {"path": str(path), "format": fmt, "fps": motion.fps,
                              "n_frames": motion.n_frames, "duration_s": motion.duration_s,
                              "original_units": motion.source.original_units,
                              "notes": list(motion.source.notes), "up_axis": "y"}
    if isinstance(motion, MotionSequence):
        return InspectionReport(
            **common, kind="positions", dim=motion.dim, units=motion.units,
            facing=motion.facing, view=motion.view, joints=list(motion.joints), channels=[],
            quality=quality_summary(motion))
    units = sorted(set(motion.units))
    return InspectionReport(
        **common, kind="angles", dim=None, units=",".join(units), facing=None, view=None,
        joints=[], channels=list(motion.channels), quality=_channel_quality(motion))


def get_template(movement: str, template_path: str | Path | None = None) -> Template:
    """A template from a file, or the one shipped for the movement."""
    from sportsgpt.tools.motiondtw.templates import Template, load_template

    return Template.load(template_path) if template_path else load_template(movement)


def align_file(path: str | Path, movement: str = AUTO, *,
               template_path: str | Path | None = None, threshold: float | None = None,
               refine: bool = True, format: str | None = None, ctx: SportsGPT | None = None,
               **options: Any) -> Alignment:
    """MotionDTW on one recording: every occurrence of the movement, with keyframes.

    ``auto`` aligns to the movement the chooser recognises (the same choice as
    :func:`analyze_file`). The recording is prepared once.
    """
    from sportsgpt.tools.kismam.assess import choose_movement
    from sportsgpt.tools.motiondtw.align import align_channels
    from sportsgpt.tools.prepare import prepare

    prep = prepare(load_motion(path, format=format, ctx=ctx, **options))
    if movement == AUTO:
        movement = choose_movement(prep)[0]
    template = get_template(movement, template_path)
    return align_channels(prep.kin_events, template, threshold=threshold, refine=refine)


def build_template_from_files(paths: list[str | Path], movement: str, *, version: str = "1",
                              command: str | None = None, format: str | None = None,
                              ctx: SportsGPT | None = None, **options: Any) -> Template:
    """Build an expert template from recordings (keyframes by the event rules)."""
    from sportsgpt.tools.motiondtw.templates import build_template

    motions = [load_motion(p, format=format, ctx=ctx, **options) for p in paths]
    return build_template(motions, movement, version=version, command=command)


def baseline_for(movement: str, paths: Sequence[str | Path], format: str | None = None, *,
                 ctx: SportsGPT | None = None, **options: Any) -> tuple[Any, str]:
    """The movement's catalog with template targets from the athlete's own recordings.

    Returns the catalog and the note the reports carry about it.
    """
    from sportsgpt.tools.kismam.baseline import baseline_catalog, baseline_values

    motions = {}
    for i, p in enumerate(paths, 1):
        name = Path(p).name
        motions[name if name not in motions else f"{name} (#{i})"] = load_motion(
            p, format=format, ctx=ctx, **options)
    catalog, kept = baseline_catalog(movement, baseline_values(movement, motions))
    note = (f"template targets from the athlete's own baseline ({len(motions)} recording"
            f"{'s' if len(motions) != 1 else ''}: {', '.join(motions)}); literature targets "
            "unchanged")
    if kept:
        note += f"; shipped targets kept for {', '.join(kept)} (not measurable on the baseline)"
    return catalog, note


def analyze_motion(motion: Motion, movement: str = AUTO, *,
                   template_path: str | Path | None = None, arm_swing: bool | None = None,
                   fallback_events: bool | None = None, catalog: Any = None,
                   notes: Sequence[str] = ()) -> Analysis:
    """KISMAM on a recording already read: prepared once, one report per repetition."""
    from sportsgpt.tools.analysis import analyze_prepared
    from sportsgpt.tools.prepare import prepare

    prep = prepare(motion)
    template = get_template(movement, template_path) \
        if template_path is not None and movement != AUTO else None
    return analyze_prepared(prep, movement, template=template, catalog=catalog,
                            arm_swing=arm_swing, fallback_events=fallback_events,
                            extra_notes=tuple(notes))


def analyze_file(path: str | Path, movement: str = AUTO, *,
                 template_path: str | Path | None = None, arm_swing: bool | None = None,
                 fallback_events: bool | None = None, format: str | None = None,
                 baseline: Sequence[str | Path] = (), ctx: SportsGPT | None = None,
                 **options: Any) -> Analysis:
    """KISMAM on one recording: one assessment per repetition found.

    ``fallback_events=None`` (default) takes keyframes from the event rules when MotionDTW
    finds no match only if ``movement`` was named (see
    :func:`~sportsgpt.tools.analysis.analyze_prepared`). ``baseline``: recordings of the
    same athlete whose spread replaces the experts' in every template target
    (:func:`baseline_for`; needs a named movement).
    """
    from sportsgpt.tools.analysis import analyze_prepared
    from sportsgpt.tools.prepare import prepare

    prep = prepare(load_motion(path, format=format, ctx=ctx, **options))
    catalog, note = None, None
    if baseline:
        if movement == AUTO:
            from sportsgpt.tools.kismam.assess import choose_movement

            movement = choose_movement(prep)[0]
        catalog, note = baseline_for(movement, baseline, format, ctx=ctx, **options)
    template = get_template(movement, template_path) \
        if template_path is not None and movement != AUTO else None
    return analyze_prepared(prep, movement, template=template, catalog=catalog,
                            arm_swing=arm_swing, fallback_events=fallback_events,
                            extra_notes=(note,) if note else ())


ReportFormat = Literal["json", "md", "html"]


def render_analysis(analysis: Analysis, fmt: str, *, plots_dir: Path | None = None) -> str:
    """The analysis as ``json``, ``md`` or ``html`` text."""
    from sportsgpt.tools.kismam.render import render_html, render_json, render_markdown

    if fmt == "json":
        return render_json(analysis.reports)
    kin, motion = analysis.prepared.kin, analysis.prepared.motion
    if fmt == "md":
        return render_markdown(analysis.reports, plots_dir=plots_dir, kinematics=kin,
                               template=analysis.template, motion=motion)
    if fmt == "html":
        return render_html(analysis.reports, kinematics=kin, template=analysis.template,
                           motion=motion)
    raise SportsGPTError(f"unknown report format {fmt!r}; formats: json, md, html")


# ====================================================================== knowledge
def kb_build(ctx: SportsGPT, *, rebuild: bool = False) -> tuple[BuildReport, dict[str, int]]:
    """Build the configured store from the curated content; the report and the store's stats."""
    from sportsgpt.graph_kb.build import build_curated, mark_curated_built

    store = ctx.raw_store
    if rebuild:
        store.clear()
    report = build_curated(store, ctx.embedder)
    mark_curated_built(store, ctx.embedder.model_id)
    return report, store.stats()


def kb_ingest(ctx: SportsGPT, path: str | Path, *, batch_size: int = 256,
              progress: bool = True, restart: bool = False) -> IngestReport:
    """Stream QA pairs from a JSONL file into the store (resumable, deduplicated)."""
    from sportsgpt.graph_kb.ingest import ingest_jsonl

    return ingest_jsonl(ctx.store, Path(path), ctx.embedder, batch_size=batch_size,
                        progress=progress, restart=restart)


def kb_stats(ctx: SportsGPT) -> dict[str, int]:
    """Counts per node label, relation type and QA tier."""
    return ctx.store.stats()


def kb_search(ctx: SportsGPT, query: str, *, k: int = 5, movement: str | None = None,
              fault: str | None = None,
              tier: Literal["curated", "ingested", "document"] | None = None,
              reranker: str | Path | None = None) -> list[QAHit]:
    """Hybrid BM25 + dense search over the QA pairs, with sources (arguments validated)."""
    from sportsgpt.graph_kb.retrieval import CrossEncoderReranker
    from sportsgpt.graph_kb.types import QAFilters
    from sportsgpt.tools.knowledge import qa_search

    rerank = CrossEncoderReranker(reranker) if reranker is not None else None
    return qa_search(query, QAFilters(movement=movement, fault=fault, tier=tier), k,
                     store=ctx.store, embedder=ctx.embedder, reranker=rerank)


def kg_lookup(ctx: SportsGPT, *, fault_id: str | None = None, metric_id: str | None = None,
              movement: str | None = None) -> KgLookupResult:
    """Causes, drills, cues, risks and sources of faults from the knowledge graph."""
    from sportsgpt.tools.knowledge import kg_lookup as lookup

    return lookup(fault_id, metric_id, movement, store=ctx.store)


# ====================================================================== tools for a model
class Conversation:
    """The recordings one conversation attached, and their analyses (the tools' deps).

    Recordings are named by handle (``rec1``, ``rec2``...): a model can only analyse what
    the user attached, never an arbitrary path.
    """

    def __init__(self, ctx: SportsGPT, recordings: Sequence[str | Path] = (),
                 **reader_options: Any) -> None:
        self.ctx = ctx
        self.recordings: dict[str, Path] = {}
        self.reader_options = reader_options
        self._analyses: dict[tuple[str, str], Analysis] = {}
        for p in recordings:
            self.attach(p)

    def attach(self, path: str | Path) -> str:
        """Attach a recording; returns its handle."""
        path = Path(path)
        if not path.exists():
            raise SportsGPTError(f"{path}: no such file or folder")
        handle = f"rec{len(self.recordings) + 1}"
        self.recordings[handle] = path
        return handle

    @property
    def store(self) -> KnowledgeStore:
        """The context's knowledge store."""
        return self.ctx.store

    @property
    def embedder(self) -> Embedder:
        """The context's embedder."""
        return self.ctx.embedder

    def recording_handles(self) -> tuple[str, ...]:
        """Handles of the attached recordings, in attachment order."""
        return tuple(self.recordings)

    def preload(self, handle: str, analysis: Analysis, movement: str | None = None) -> None:
        """Use an analysis already made of an attached recording (no second analysis)."""
        self._analyses[(handle, movement or AUTO)] = analysis
        self._analyses[(handle, analysis.movement)] = analysis

    def analyze_recording(self, handle: str, movement: str = AUTO) -> Analysis:
        """The analysis of an attached recording (computed once per handle and movement)."""
        if handle not in self.recordings:
            raise SportsGPTError(f"no recording {handle!r} is attached; attached: "
                                 f"{', '.join(self.recordings) or 'none'}")
        key = (handle, movement)
        if key not in self._analyses:
            found = analyze_file(self.recordings[handle], movement, ctx=self.ctx,
                                 **self.reader_options)
            self._analyses[key] = found
            self._analyses[(handle, found.movement)] = found
        return self._analyses[key]

    def registry(self, withhold: Sequence[str] = ()) -> ToolRegistry:
        """The tool registry with the handle enum bound to this conversation's recordings.

        ``withhold``: tool names left out (ablations: the coach then runs without them).
        """
        from sportsgpt.tools.registry import ToolRegistry

        full = ToolRegistry(handles=self.recording_handles())
        unknown = sorted(set(withhold) - set(full.names()) - {"analyze_recording"})
        if unknown:
            raise SportsGPTError(f"cannot withhold unknown tool(s) {', '.join(unknown)}; "
                                 f"tools: {', '.join(full.names())}")
        if not withhold:
            return full
        kept = {n: s for n, s in full.specs.items() if n not in set(withhold)}
        return ToolRegistry(handles=full.handles, specs=kept)


# ====================================================================== the coach
def _conversation(ctx: SportsGPT, thread_id: str, recordings: Sequence[str | Path],
                  reader_options: dict[str, Any]) -> tuple[Conversation, dict[str, str]]:
    """The thread's earlier recordings (same handles) plus the new ones."""
    earlier = ctx.coach.thread_recordings(thread_id)
    conv = Conversation(ctx, **reader_options)
    for path in earlier.values():
        conv.recordings[f"rec{len(conv.recordings) + 1}"] = Path(path)
    for path in recordings:
        conv.attach(Path(path).resolve())
    return conv, {h: str(p) for h, p in conv.recordings.items()}


def coach_stream(ctx: SportsGPT, question: str, *, recordings: Sequence[str | Path] = (),
                 thread_id: str | None = None, movement: str | None = None,
                 backend: str | None = None, withhold: Sequence[str] = (),
                 analysis: Analysis | None = None, **reader_options: Any
                 ) -> Iterator[tuple[str, Any]]:
    """:func:`coach`, streamed: ``("step", node)``, ``("token", text)``, ``("answer", ...)``."""
    from sportsgpt.agents.coach import new_thread_id

    thread = thread_id or new_thread_id()
    llm, info = ctx.chat_model(backend)
    conv, recs = _conversation(ctx, thread, recordings, reader_options)
    if analysis is not None:
        if len(recordings) != 1:
            raise SportsGPTError("an analysis can be handed over with exactly one recording")
        conv.preload(list(conv.recordings)[-1], analysis,
                     None if movement in (None, AUTO) else movement)
    registry = conv.registry(withhold)
    yield from ctx.coach.stream(question, deps=conv, registry=registry, llm=llm,
                                backend=info, recordings=recs, thread_id=thread,
                                movement=None if movement in (None, AUTO) else movement)


def coach(ctx: SportsGPT, question: str, *, recordings: Sequence[str | Path] = (),
          thread_id: str | None = None, movement: str | None = None,
          backend: str | None = None, withhold: Sequence[str] = (),
          analysis: Analysis | None = None, **reader_options: Any) -> CoachAnswer:
    """Ask the coach: measured findings and cited guidance, in a thread with memory.

    Args:
        ctx: the context (its settings choose the LLM backend; ``none`` by default).
        question: what the athlete or coach asks ("what's wrong with my jump?").
        recordings: files to attach to the thread (analysed once; later questions in the
            same thread reuse the analysis).
        thread_id: continue a conversation (default: a new thread).
        movement: the movement performed, or ``auto``/None to recognise it.
        backend: override the settings' LLM backend (``none``, ``openai``, ``transformers``).
        withhold: tool names the run goes without (``search_knowledge``,
            ``lookup_fault_knowledge``...): the ablations of the eval suite.
        analysis: an analysis already made of the (single) new recording, with the same
            reader options: the coach uses it instead of analysing the file again.
        **reader_options: reader options for the recordings (``fps=``...).
    """
    from sportsgpt.agents.coach import CoachAnswer

    for kind, payload in coach_stream(ctx, question, recordings=recordings,
                                      thread_id=thread_id, movement=movement,
                                      backend=backend, withhold=withhold, analysis=analysis,
                                      **reader_options):
        if kind == "answer" and isinstance(payload, CoachAnswer):
            return payload
    raise SportsGPTError("the coach finished without an answer")


def kb_add_docs(ctx: SportsGPT, folder: str | Path, *, batch_size: int = 64, workers: int = 1,
                engine: str = "local", address: str | None = None,
                max_chars: int | None = None, restart: bool = False,
                progress: bool = True) -> DocsReport:
    """Add a folder of PDF, Markdown, HTML and text documents to the store, cited by page.

    Passages are stored as QA pairs of tier ``document`` citing their page (PDF) or
    section; search, ``search_knowledge`` and the coach find them beside the curated
    knowledge. Resumable (finished files are skipped) and deduplicated by content hash;
    a file that cannot be read is listed in the report's ``files_failed``.

    With ``workers > 1`` or ``engine="dask"`` each worker process extracts, splits and
    embeds whole files (the context's model, rebuilt offline once per worker); this
    process writes them in file order. ``address``: a running Dask scheduler (its
    workers must see ``folder`` and the model); without it a local cluster of
    ``workers`` processes is started and closed.
    """
    from sportsgpt.graph_kb.documents import MAX_CHARS, add_documents

    return add_documents(ctx.store, Path(folder), ctx.embedder, batch_size=batch_size,
                         workers=workers, engine=engine, address=address,
                         max_chars=max_chars or MAX_CHARS, restart=restart,
                         progress=progress)
