"""The Gradio demo: a recording in, the assessment, cited guidance and a chat out.

``sportsgpt demo`` (or :func:`launch`) serves :func:`build_app` on 127.0.0.1. Everything the
app computes goes through :mod:`sportsgpt.api` (analysis, coach) and the front-door helpers
beside it (:mod:`sportsgpt.reports`, :mod:`sportsgpt.figures`, :mod:`sportsgpt.samples`);
gradio is imported only inside the functions that build or serve the app (the ``web``
extra), so importing this module is cheap.

The page: an input column (upload or sample, movement, athlete height and camera view for
2D keypoint files, the question), a status line (LLM backend, knowledge backend, whether
the deterministic composer answered instead of the model), findings, guidance with
citations that open a source card, the keyframe timeline, the skeleton beside the template
expert's (a frame slider), joint-angle curves against the template envelope, the metric
table with target bands, HTML and PDF reports to download, and a chat tab continuing the
same coach thread. Two named endpoints serve ``gradio_client``: ``/analyze`` (file,
movement) returns the assessment JSON, ``/coach`` (file or none, question, thread id) the
coach's answer JSON.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import json
import tempfile
import uuid
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sportsgpt.core.errors import SportsGPTError

if TYPE_CHECKING:
    import gradio as gr
    from matplotlib.figure import Figure

    from sportsgpt.agents.coach import CoachAnswer
    from sportsgpt.api import SportsGPT
    from sportsgpt.figures import SkeletonViewer
    from sportsgpt.reports import SourceCard
    from sportsgpt.tools.analysis import Analysis

DEFAULT_QUESTION: Final = "What's wrong with my movement, and how do I train it?"
QUEUE_SIZE: Final = 16
"""Requests waiting at most; more are refused with a 'queue full' message."""
CONCURRENCY: Final = 2
"""Analyses or coach answers running at once (each uses a CPU core or more)."""
VIEWS: Final = (("not given", ""), ("side (sagittal)", "sagittal"), ("front (frontal)", "frontal"))
FILE_TYPES: Final = [".amc", ".bvh", ".c3d", ".trc", ".mot", ".sto", ".json", ".csv", ".txt",
                     ".gz", ".npy", ".npz"]

CSS: Final = """
.cite{background:none;border:0;color:#1d4ed8;cursor:pointer;padding:0 1px;font:inherit;
text-decoration:underline}
.cite:focus-visible{outline:2px solid #1d4ed8;outline-offset:1px}
.source-card{max-width:32em;padding:12px 16px;border:1px solid #94a3b8;border-radius:8px;
box-shadow:0 4px 16px rgba(0,0,0,.2);background:#fff;color:#111}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:.85em;color:#fff}
.sev-severe{background:#b42318}.sev-moderate{background:#dc6803}.sev-mild{background:#a16207}
.status-low td.st,.status-high td.st{color:#b42318;font-weight:600}
.status-ok td.st{color:#15803d}.status-not_assessable td{color:#6b7280}
table.metrics td,table.metrics th{padding:3px 6px;border-bottom:1px solid #e5e7eb}
"""


class WebError(SportsGPTError, ValueError):
    """A request the demo cannot serve (no recording chosen, an unknown sample...)."""


# --- one analysis, as the page shows it -----------------------------------------------------
@dataclass
class Session:
    """What one analysis produced, kept in the page's ``gr.State``."""

    path: Path
    analysis: Analysis
    answer: CoachAnswer
    cards: list[SourceCard]
    viewer: SkeletonViewer | None
    reports: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _accepted_options(path: Path, ctx: SportsGPT) -> set[str]:
    """Reader options the recording's format accepts (height and view apply to 2D keypoints)."""
    from sportsgpt.tools.io import detect_format

    spec = detect_format(path, limits=ctx.settings.limits)
    reader = getattr(importlib.import_module(f"sportsgpt.tools.io.{spec.module}"), spec.reader)
    return set(inspect.signature(reader).parameters)


def reader_options(path: Path, ctx: SportsGPT, height: float | None,
                   view: str | None) -> tuple[dict[str, Any], list[str]]:
    """The height and view the user gave, for a format that takes them, and notes on the rest."""
    given: dict[str, Any] = {}
    if height:
        given["subject_height_m"] = float(height)
    if view:
        given["view"] = view
    if not given:
        return {}, []
    accepted = _accepted_options(path, ctx)
    kept = {k: v for k, v in given.items() if k in accepted}
    notes = [f"{k.replace('_', ' ')} ignored: {path.suffix or path.name} files carry their own "
             "scale and view" for k in given if k not in accepted]
    return kept, notes


def recording_path(upload: str | list[str] | None, sample_id: str | None,
                   ctx: SportsGPT) -> tuple[Path, dict[str, Any]]:
    """The uploaded recording (an AMC with its ASF skeleton, when both came), else the sample's.

    Returns the path and the reader options the upload implies (``asf=``).

    Raises:
        WebError: neither was given, or only a skeleton file was uploaded.
    """
    files = [Path(f) for f in ([upload] if isinstance(upload, str) else upload or [])]
    if files:
        skeletons = [f for f in files if f.suffix.lower() == ".asf"]
        motions = [f for f in files if f.suffix.lower() != ".asf"]
        if len(motions) != 1:
            raise WebError(f"upload one recording (and, for an AMC file, its ASF skeleton); "
                           f"got {', '.join(f.name for f in files)}")
        return motions[0], ({"asf": skeletons[0]} if skeletons else {})
    if sample_id:
        from sportsgpt.samples import sample_path

        return sample_path(sample_id, ctx.settings), {}
    raise WebError("choose a recording: upload a file or pick a sample")


def run_session(ctx: SportsGPT, path: Path, movement: str, question: str,
                height: float | None = None, view: str | None = None,
                options: dict[str, Any] | None = None) -> Session:
    """Analyse the recording, ask the coach about it, and prepare the skeleton viewer."""
    from sportsgpt import api
    from sportsgpt.figures import skeleton_viewer
    from sportsgpt.reports import source_cards
    from sportsgpt.samples import template_expert_motion

    opts, notes = reader_options(path, ctx, height, view)
    opts.update(options or {})
    analysis = api.analyze_file(path, movement or api.AUTO, ctx=ctx, **opts)
    answer = api.coach(ctx, question.strip() or DEFAULT_QUESTION, recordings=[path],
                       movement=analysis.movement, analysis=analysis, **opts)
    expert = template_expert_motion(analysis, ctx)
    if expert is None:
        notes.append("template expert's recording not in the data home: athlete drawn alone")
    return Session(path, analysis, answer, source_cards(answer, ctx),
                   skeleton_viewer(analysis, expert), notes=notes)


# --- HTML pieces ----------------------------------------------------------------------------
def _e(text: object) -> str:
    return escape(str(text), quote=True)


def status_markdown(ctx: SportsGPT, answer: CoachAnswer | None, notes: list[str]) -> str:
    """Which LLM and knowledge backends answered, and whether the composer stood in."""
    kb = (f"Neo4j ({ctx.settings.neo4j.uri})" if ctx.settings.neo4j.uri
          else "embedded store (in-process)")
    lines = [f"**Knowledge:** {kb}"]
    if answer is not None:
        b = answer.backend
        llm = ("none: the deterministic composer wrote the guidance" if b.name == "none"
               else f"{b.name}" + (f" ({b.model})" if b.model else ""))
        lines.insert(0, f"**Language model:** {llm}")
        if answer.fallback.used:
            lines.append(f"**The deterministic composer answered instead of the model:** "
                         f"{answer.fallback.reason or 'no reason given'}")
        lines.append(f"**Thread:** `{answer.thread_id}`")
    lines += [f"*Note:* {n}" for n in notes]
    return "  \n".join(lines)


def findings_html(analysis: Analysis) -> str:
    """Findings of every repetition, most severe first, with severity and confidence."""
    from sportsgpt.tools.kismam.render import ranked_findings

    out = ['<div id="findings-list" role="region" aria-label="Findings">']
    for r in analysis.reports:
        head = f"{r.movement.replace('_', ' ')}, repetition {r.repetition}"
        out.append(f"<h3>Findings: {_e(head)}</h3>")
        found = ranked_findings(r)
        if not found:
            out.append("<p>No fault found in the metrics that could be assessed.</p>")
            continue
        out.append("<ol>")
        for f in found:
            out.append(f'<li class="finding"><strong>{_e(f.label)}</strong> '
                       f'<span class="sev sev-{_e(f.severity)}">{_e(f.severity)}</span> '
                       f"confidence {f.confidence:.0%}<br>{_e(f.rationale)}</li>")
        out.append("</ol>")
    out.append("</div>")
    return "".join(out)


def metrics_html(analysis: Analysis) -> str:
    """The metric table of the first repetition, each row with its coloured target band."""
    from sportsgpt.tools.kismam.plots import format_number, metric_band_svg, target_text
    from sportsgpt.tools.kismam.render import measured_at

    r = analysis.reports[0]
    out = ['<table class="metrics"><caption>Metrics against their targets (green band: '
           "target; dot: value)</caption><thead><tr><th scope=\"col\">Metric</th>"
           '<th scope="col">Value</th><th scope="col">Target</th><th scope="col">Band</th>'
           '<th scope="col">Status</th><th scope="col">Measured at</th></tr></thead><tbody>']
    for m in r.metrics:
        value = "—" if m.value is None else f"{format_number(m.value)} {m.unit}"
        status = f"not assessable: {m.reason}" if m.status == "not_assessable" and m.reason \
            else m.status.replace("_", " ")
        out.append(f'<tr class="status-{_e(m.status)}"><td>{_e(m.label)}</td><td>{_e(value)}'
                   f"</td><td>{_e(target_text(m))}</td><td>{metric_band_svg(m)}</td>"
                   f'<td class="st">{_e(status)}</td><td>{_e(measured_at(m))}</td></tr>')
    out.append("</tbody></table>")
    return "".join(out)


def source_card_html(card: SourceCard) -> str:
    """A popover card: title, authors, year, venue and the DOI (or URL) link."""
    parts = [f"<strong>{_e(card.title)}</strong>"]
    if card.authors:
        parts.append(_e(", ".join(card.authors)))
    meta = " · ".join(x for x in (str(card.year) if card.year else "", card.venue or "") if x)
    if meta:
        parts.append(_e(meta))
    if card.link:
        label = f"doi:{card.doi}" if card.doi else card.link
        parts.append(f'<a href="{_e(card.link)}" target="_blank" rel="noopener">{_e(label)}</a>')
    return (f'<div class="source-card" id="card-{_e(card.id)}" popover role="dialog" '
            f'aria-label="Source {_e(card.id)}">' + "<br>".join(parts) + "</div>")


def guidance_html(answer: CoachAnswer, cards: list[SourceCard]) -> str:
    """The answer's Markdown as HTML; each citation a button that opens its source card."""
    from sportsgpt.reports import markdown_html

    def button(sid: str) -> str:
        return (f'<button type="button" class="cite" popovertarget="card-{_e(sid)}" '
                f'aria-label="source {_e(sid)}">[{_e(sid)}]</button>')

    body = markdown_html(answer.answer, cards, link=button)
    return (f'<div id="guidance-text">{body}</div>'
            + "".join(source_card_html(c) for c in cards))


# --- figures as the page shows them ---------------------------------------------------------
def _png_image(png: bytes) -> Any:
    from PIL import Image

    return Image.open(io.BytesIO(png))


def timeline_image(analysis: Analysis) -> Any:
    """The keyframe timeline (phases and keyframes) of the first repetition."""
    from sportsgpt.tools.kismam.plots import plot_phase_timeline

    r = analysis.reports[0]
    return _png_image(plot_phase_timeline(r.phases, r.keyframes, r.fps,
                                          title="Keyframes and phases"))


def angles_image(analysis: Analysis) -> Any:
    """Joint-angle curves against the template envelope, keyframes marked."""
    from sportsgpt.tools.kismam.plots import plot_angle_curves

    return _png_image(plot_angle_curves(analysis.prepared.kin, analysis.reports[0].keyframes,
                                        template=analysis.template,
                                        title="Joint angles against the template"))


def skeleton_figure(session: Session | None, frame: float | int) -> Figure | None:
    """The skeleton viewer's figure at ``frame`` (None without positions)."""
    if session is None or session.viewer is None:
        return None
    return session.viewer.figure(int(frame))


def write_reports(session: Session, folder: Path) -> dict[str, Path]:
    """The coach report as HTML and PDF files in ``folder``."""
    from sportsgpt.reports import render_coach_report

    folder.mkdir(parents=True, exist_ok=True)
    stem = f"sportsgpt_{session.analysis.movement}_{session.answer.thread_id}"
    out = {}
    for fmt in ("html", "pdf"):
        path = folder / f"{stem}.{fmt}"
        path.write_bytes(render_coach_report(session.analysis, session.answer, fmt,
                                             sources=session.cards))
        out[fmt] = path
    return out


# --- the app --------------------------------------------------------------------------------
def _movement_choices() -> list[tuple[str, str]]:
    from sportsgpt.api import AUTO, movements

    return [("detect automatically", AUTO)] + [(m.label, m.id) for m in movements()]


def build_app(ctx: SportsGPT) -> gr.Blocks:
    """The demo's page (see the module docstring); serve it with :func:`launch`."""
    import gradio as gr

    from sportsgpt.samples import list_samples

    samples = list_samples(ctx.settings)
    workdir = tempfile.TemporaryDirectory(prefix="sportsgpt-web-")

    def analyse(upload: list[str] | None, sample_id: str | None, movement: str,
                height: float | None, view: str | None, question: str
                ) -> tuple[Any, ...]:
        try:
            path, options = recording_path(upload, sample_id, ctx)
            session = run_session(ctx, path, movement, question, height, view, options)
            session.reports = write_reports(session, Path(workdir.name) / uuid.uuid4().hex)
        except SportsGPTError as exc:
            raise gr.Error(str(exc)) from None
        viewer = session.viewer
        first = viewer.athlete_kf[0] if viewer is not None and viewer.athlete_kf else 0
        frames = viewer.n_frames if viewer is not None else 1
        chat = [{"role": "user", "content": question.strip() or DEFAULT_QUESTION},
                {"role": "assistant", "content": session.answer.answer}]
        return (status_markdown(ctx, session.answer, session.notes),
                findings_html(session.analysis), guidance_html(session.answer, session.cards),
                timeline_image(session.analysis),
                gr.Slider(minimum=0, maximum=frames - 1, value=first, step=1,
                          interactive=viewer is not None),
                skeleton_figure(session, first), angles_image(session.analysis),
                metrics_html(session.analysis),
                gr.DownloadButton(value=str(session.reports["html"]), interactive=True),
                gr.DownloadButton(value=str(session.reports["pdf"]), interactive=True),
                session, session.answer.thread_id, chat)

    def chat(message: str, history: list[dict[str, Any]], thread: str | None,
             session: Session | None) -> tuple[Any, ...]:
        from sportsgpt import api

        if not message.strip():
            raise gr.Error("type a question first")
        recordings = [session.path] if session is not None and thread is None else []
        try:
            answer = api.coach(ctx, message, recordings=recordings, thread_id=thread)
        except SportsGPTError as exc:
            raise gr.Error(str(exc)) from None
        history = [*history, {"role": "user", "content": message},
                   {"role": "assistant", "content": answer.answer}]
        return history, "", answer.thread_id, status_markdown(ctx, answer, [])

    def api_analyze(file: str | None, movement: str | None) -> dict[str, Any]:
        from sportsgpt import api

        if not file:
            raise gr.Error("analyze needs a recording file")
        try:
            analysis = api.analyze_file(Path(file), movement or api.AUTO, ctx=ctx)
            data: dict[str, Any] = json.loads(api.render_analysis(analysis, "json"))
        except SportsGPTError as exc:
            raise gr.Error(str(exc)) from None
        return data

    def api_coach(file: str | None, question: str, thread: str | None) -> dict[str, Any]:
        from sportsgpt import api

        try:
            answer = api.coach(ctx, question or DEFAULT_QUESTION,
                               recordings=[Path(file)] if file else [],
                               thread_id=thread or None)
        except SportsGPTError as exc:
            raise gr.Error(str(exc)) from None
        data: dict[str, Any] = answer.model_dump(mode="json")
        return data

    with gr.Blocks(title="SportsGPT coach", delete_cache=(3600, 3600)) as demo:
        gr.Markdown("# SportsGPT coach\nUpload a recording or pick a sample, then press "
                    "**Analyse and coach**: measured findings, cited training guidance, and "
                    "a chat about the same analysis.")
        session_state = gr.State(None)
        thread_state = gr.State(None)
        with gr.Row():
            with gr.Column(scale=1, min_width=280):
                upload = gr.File(label="Upload a recording (an AMC with its ASF skeleton)",
                                 file_types=[*FILE_TYPES, ".asf"], file_count="multiple",
                                 type="filepath", elem_id="upload")
                sample = gr.Dropdown(choices=[(s.label, s.id) for s in samples], value=None,
                                     label="…or pick a sample recording", elem_id="sample",
                                     info=None if samples else "no sample data set in the "
                                     "data home")
                movement = gr.Dropdown(choices=_movement_choices(), value="auto",
                                       label="Movement", elem_id="movement")
                height = gr.Number(label="Athlete height in metres (2D keypoint files; "
                                         "0: not given)", value=0, elem_id="height")
                view = gr.Dropdown(choices=list(VIEWS), value="",
                                   label="Camera view (2D keypoint files)", elem_id="view")
                question = gr.Textbox(label="Question for the coach", value=DEFAULT_QUESTION,
                                      lines=2, elem_id="question")
                run = gr.Button("Analyse and coach", variant="primary", elem_id="analyse")
                html_dl = gr.DownloadButton("Download report (HTML)", interactive=False,
                                            elem_id="report-html")
                pdf_dl = gr.DownloadButton("Download report (PDF)", interactive=False,
                                           elem_id="report-pdf")
            with gr.Column(scale=3):
                status = gr.Markdown(status_markdown(ctx, None, []), elem_id="status")
                with gr.Tabs():
                    with gr.Tab("Results", elem_id="tab-results"):
                        with gr.Row():
                            findings = gr.HTML(label="Findings", elem_id="findings")
                            guidance = gr.HTML(label="Guidance", elem_id="guidance")
                        timeline = gr.Image(label="Keyframe timeline", type="pil",
                                            interactive=False, elem_id="timeline")
                        skeleton = gr.Plot(label="Skeleton: athlete beside the template "
                                                 "expert", elem_id="skeleton")
                        frame = gr.Slider(0, 1, value=0, step=1, label="Frame",
                                          interactive=False, elem_id="frame")
                        angles = gr.Image(label="Joint angles against the template envelope",
                                          type="pil", interactive=False, elem_id="angles")
                        metrics = gr.HTML(label="Metrics", elem_id="metrics")
                    with gr.Tab("Chat", elem_id="tab-chat"):
                        chatbot = gr.Chatbot(label="Coach chat", elem_id="chatbot",
                                             height=420)
                        message = gr.Textbox(label="Ask the coach a follow-up",
                                             placeholder="and my landing?", elem_id="message")
                        send = gr.Button("Send", elem_id="send")
        with gr.Row(visible=False):  # inputs and outputs of the two named endpoints
            api_file = gr.File(label="recording")
            api_movement = gr.Textbox(label="movement")
            api_question = gr.Textbox(label="question")
            api_thread = gr.Textbox(label="thread id")
            api_out = gr.JSON(label="result")
            api_analyze_btn = gr.Button("analyze")
            api_coach_btn = gr.Button("coach")

        run.click(analyse, [upload, sample, movement, height, view, question],
                  [status, findings, guidance, timeline, frame, skeleton, angles, metrics,
                   html_dl, pdf_dl, session_state, thread_state, chatbot],
                  api_visibility="private")
        frame.change(skeleton_figure, [session_state, frame], [skeleton],
                     api_visibility="private", show_progress="hidden")
        for trigger in (send.click, message.submit):
            trigger(chat, [message, chatbot, thread_state, session_state],
                    [chatbot, message, thread_state, status], api_visibility="private")
        api_analyze_btn.click(api_analyze, [api_file, api_movement], [api_out],
                              api_name="analyze")
        api_coach_btn.click(api_coach, [api_file, api_question, api_thread], [api_out],
                            api_name="coach")
    app: gr.Blocks = demo  # the handlers hold ``workdir``: it lives as long as the app
    return app


def launch(host: str = "127.0.0.1", port: int = 7860, share: bool = False, *,
           ctx: SportsGPT | None = None, prevent_thread_lock: bool = False,
           queue_size: int = QUEUE_SIZE, concurrency: int = CONCURRENCY) -> gr.Blocks:
    """Serve the demo (blocks until stopped unless ``prevent_thread_lock``).

    Uploads larger than the settings' input limit are refused; at most ``concurrency``
    requests run at once and ``queue_size`` wait.

    Raises:
        WebError: gradio is not installed (the ``web`` extra).
    """
    try:
        import gradio  # noqa: F401
    except ImportError as exc:
        raise WebError("the demo needs gradio: pip install 'sportsgpt[web]'") from exc
    from sportsgpt.api import SportsGPT

    ctx = ctx or SportsGPT()
    demo = build_app(ctx)
    demo.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    demo.launch(server_name=host, server_port=port, share=share, css=CSS,
                max_file_size=ctx.settings.limits.max_file_bytes,
                prevent_thread_lock=prevent_thread_lock, footer_links=["api"],
                quiet=prevent_thread_lock)
    return demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from sportsgpt.api import SportsGPT

    with SportsGPT() as ctx:
        launch(args.host, args.port, args.share, ctx=ctx)
    return 0


def add_demo_parser(sub: Any) -> None:
    """Add ``sportsgpt demo [--host H] [--port N] [--share]`` to the CLI's subparsers."""
    p = sub.add_parser("demo", help="serve the web demo (Gradio; the web extra)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--share", action="store_true",
                   help="also open a public gradio.live link (sends traffic through Gradio's "
                        "servers)")
    p.set_defaults(func=_cmd_demo)
