"""The ``sportsgpt`` command line.

Errors go to stderr as one line with a non-zero exit status, never a
traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sportsgpt.core.errors import SportsGPTError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 70


def _reader_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if args.fps is not None:
        opts["fps"] = args.fps
    if args.asf is not None:
        opts["asf"] = Path(args.asf)
    if args.subject_height is not None:
        opts["subject_height_m"] = args.subject_height
    if args.image_size is not None:
        opts["image_size"] = tuple(args.image_size)
    if args.joints is not None:
        opts["joints"] = args.joints
    if getattr(args, "view", None) is not None:
        opts["view"] = args.view
    return opts


def _format_inspection_text(rep: Any) -> str:
    q = rep.quality
    lines = [
        f"file:        {rep.path}",
        f"format:      {rep.format}",
        f"kind:        {rep.kind}" + (f" ({rep.dim}D, view {rep.view})" if rep.dim else ""),
        f"frame rate:  {rep.fps:g} Hz",
        f"frames:      {rep.n_frames}",
        f"duration:    {rep.duration_s:.3f} s",
        f"units:       {rep.units}"
        + (f" (file: {rep.original_units})" if rep.original_units else ""),
        "axes:        Y up" + (f", facing {rep.facing}" if rep.facing else ""),
    ]
    if rep.joints:
        lines.append(f"joints ({len(rep.joints)}): {', '.join(rep.joints)}")
    if rep.channels:
        lines.append(f"channels ({len(rep.channels)}): {', '.join(rep.channels)}")
    lines.append("quality:")
    lines.append(f"  missing:      {q.missing_pct:.2f}% of samples")
    if hasattr(q, "usable_views"):
        if q.longest_gap_joint:
            lines.append(f"  longest gap:  {q.longest_gap_s:.3f} s ({q.longest_gap_joint})")
        lines.append(f"  long gaps:    {len(q.long_gaps)} (left missing, never invented)")
        lines.append(f"  swaps fixed:  {q.swaps_repaired}")
        if q.jitter_mm is not None:
            lines.append(f"  jitter:       {q.jitter_mm:.2f} mm")
        if q.jitter_px is not None:
            lines.append(f"  jitter:       {q.jitter_px:.2f} px")
        lines.append(f"  usable views: {', '.join(q.usable_views) or 'none'}")
    else:
        worst = sorted(q.missing_pct_by_channel.items(), key=lambda kv: -kv[1])[:3]
        lines.extend(f"  {name}: {pct:.2f}% missing" for name, pct in worst if pct > 0)
    for w in getattr(q, "warnings", []):
        lines.append(f"  warning: {w}")
    for n in rep.notes:
        lines.append(f"note: {n}")
    return "\n".join(lines)


def _context(args: argparse.Namespace) -> Any:
    """The API context for one command (settings from the environment, options applied)."""
    from sportsgpt.api import SportsGPT
    from sportsgpt.core.settings import get_settings

    settings = get_settings()
    model = getattr(args, "model", None)
    if model:
        settings = settings.model_copy(update={"embed_model": model})
    return SportsGPT(settings)


def _cmd_inspect(args: argparse.Namespace) -> int:
    from sportsgpt.api import inspect_file

    rep = inspect_file(args.file, format=args.reader, ctx=_context(args),
                       **_reader_options(args))
    if args.format == "json":
        print(json.dumps(rep.model_dump(mode="json"), indent=2))
    else:
        print(_format_inspection_text(rep))
    return 0


def _format_alignment_text(al: Any) -> str:
    lines = [f"{al.message} in {al.n_frames} frames at {al.fps:g} Hz "
             f"(template {al.movement} v{al.template_version})"]
    for i, span in enumerate(al.spans, 1):
        lines.append(f"span {i}: frames {span.start_frame}-{span.end_frame}, "
                     f"match quality {span.match_quality:.2f}")
        for k in span.keyframes:
            lines.append(f"  {k.name:<24} frame {k.frame:>5}  {k.time_s:7.3f} s  {k.method}"
                         f" ({k.rule})")
        for p in span.phases:
            lines.append(f"  phase {p.name:<24} {p.start_s:7.3f}-{p.end_s:.3f} s "
                         f"({p.duration_s * 1000:.0f} ms)")
    return "\n".join(lines)


def _cmd_align(args: argparse.Namespace) -> int:
    from sportsgpt.api import align_file

    al = align_file(args.file, args.movement, template_path=args.template,
                    threshold=args.threshold, refine=not args.no_refine, format=args.reader,
                    ctx=_context(args), **_reader_options(args))
    if args.format == "json":
        data = al.model_dump(mode="json")
        data["found"] = al.found
        print(json.dumps(data, indent=2))
    else:
        print(_format_alignment_text(al))
    if not al.found:  # the same exit status as analyze when the movement is not there
        print(f"sportsgpt: error: {al.message}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from sportsgpt.api import analyze_file, render_analysis

    if args.format == "pdf":
        from sportsgpt.reports import cli_report

        return cli_report(args)

    analysis = analyze_file(args.file, args.movement, template_path=args.template,
                            arm_swing=args.arm_swing, fallback_events=args.fallback_events,
                            format=args.reader, baseline=args.baseline, ctx=_context(args),
                            **_reader_options(args))
    out = Path(args.out) if args.out else None
    plots = None
    if args.format == "md" and out is not None:
        plots = out.parent / f"{out.stem}_plots"
        plots.mkdir(parents=True, exist_ok=True)
    text = render_analysis(analysis, args.format, plots_dir=plots)
    if out is None:
        print(text)
    else:
        out.write_text(text + ("\n" if not text.endswith("\n") else ""))
        n = len(analysis.reports)
        print(f"wrote {out} ({n} repetition{'s' if n != 1 else ''} of "
              f"{analysis.reports[0].movement})", file=sys.stderr)
    return 0


def _cmd_kb(args: argparse.Namespace) -> int:
    from sportsgpt import api

    with _context(args) as ctx:
        data: Any
        if args.kb_command == "build":
            report, stats = api.kb_build(ctx, rebuild=args.rebuild)
            data = {"nodes": report.nodes, "relations": report.relations,
                    "qa_pairs": report.qa_pairs, "notes": report.notes, "stats": stats}
        elif args.kb_command == "ingest":
            data = api.kb_ingest(ctx, args.path, batch_size=args.batch_size,
                                 progress=not args.no_progress,
                                 restart=args.restart).model_dump(mode="json")
        elif args.kb_command == "add-docs":
            data = api.kb_add_docs(ctx, args.folder, batch_size=args.batch_size,
                                   workers=args.workers, engine=args.engine,
                                   address=args.address, max_chars=args.max_chars,
                                   restart=args.restart,
                                   progress=not args.no_progress).model_dump(mode="json")
        elif args.kb_command == "stats":
            data = api.kb_stats(ctx)
        else:
            hits = api.kb_search(ctx, args.query, k=args.k, movement=args.movement,
                                 fault=args.fault, tier=args.tier, reranker=args.reranker)
            if args.format == "text":
                print(_format_hits(hits))
                return 0
            data = [h.model_dump(mode="json") for h in hits]
    print(json.dumps(data, indent=2))
    return 0


def _backend_line(answer: Any) -> str:
    b = answer.backend
    who = "deterministic composer (no language model)" if b.name == "none" \
        else f"{b.name} {b.model or ''}".strip()
    if answer.fallback.used:
        who += f"; the deterministic composer answered: {answer.fallback.reason}"
    return f"[answered by {who}; thread {answer.thread_id}]"


def _cmd_coach(args: argparse.Namespace) -> int:
    from sportsgpt import api

    if args.format in ("html", "pdf"):
        from sportsgpt.reports import cli_report

        return cli_report(args)

    files = [args.file] if args.file else []
    with _context(args) as ctx:
        answer = api.coach(ctx, args.question, recordings=files, thread_id=args.thread,
                           movement=args.movement, backend=args.backend,
                           **_reader_options(args))
    text = json.dumps(answer.model_dump(mode="json"), indent=2) if args.format == "json" \
        else answer.answer.rstrip()
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)
    if args.format != "json":
        print(_backend_line(answer), file=sys.stderr)
    return 0


def _chat_turn(ctx: Any, args: argparse.Namespace, question: str, files: list[str],
               thread: str | None) -> str:
    from sportsgpt import api

    final = None
    for kind, payload in api.coach_stream(ctx, question, recordings=files, thread_id=thread,
                                          movement=args.movement, backend=args.backend,
                                          **_reader_options(args)):
        if kind == "step":
            print(f"  · {payload}", file=sys.stderr, flush=True)
        elif kind == "answer":
            final = payload
    assert final is not None
    for step in final.steps:
        mark = "ok" if step.ok else "failed"
        note = f" ({step.note})" if step.note else ""
        print(f"  · {step.tool}: {mark}{note}", file=sys.stderr)
    print(final.answer.rstrip(), flush=True)
    print(_backend_line(final), file=sys.stderr, flush=True)
    return str(final.thread_id)


def _cmd_chat(args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    files = [args.motion] if args.motion else []
    thread: str | None = args.thread
    with _context(args) as ctx:
        if interactive:
            print("SportsGPT chat: ask about your movement (empty line or Ctrl-D to stop)."
                  + (f" Attached: {args.motion}" if args.motion else ""), file=sys.stderr)
        while True:
            try:
                line = input("you> " if interactive else "")
            except EOFError:
                break
            question = line.strip()
            if not question:
                if interactive:
                    break
                continue
            try:
                thread = _chat_turn(ctx, args, question, files, thread)
            except SportsGPTError as exc:
                if not interactive:
                    raise
                from sportsgpt.cli_errors import cli_message

                print(f"sportsgpt: error: {cli_message(exc)}", file=sys.stderr)
                continue
            files = []  # attached once: later turns reuse the thread's analysis
    return 0


def _cmd_movements(args: argparse.Namespace) -> int:
    from sportsgpt.api import movements

    found = movements()
    if args.format == "json":
        print(json.dumps([m.model_dump() for m in found], indent=2))
        return 0
    for m in found:
        print(f"{m.id} ({m.label}, {m.kind})")
        print(f"  keyframes: {', '.join(m.keyframes)}")
        print(f"  faults:    {', '.join(m.faults)}")
    return 0


def _format_hits(hits: list[Any]) -> str:
    if not hits:
        return "no answers found"
    lines = []
    for i, h in enumerate(hits, 1):
        lines.append(f"{i}. [{h.qa.id}] {h.qa.question}  (score {h.score:.4f})")
        lines.append(f"   {h.qa.answer}")
        for src in h.sources:
            where = f"https://doi.org/{src.doi}" if src.doi else (src.url or "")
            lines.append(f"   source {src.id}: {src.title} {where}".rstrip())
    return "\n".join(lines)


def _cmd_template_build(args: argparse.Namespace) -> int:
    from sportsgpt.api import build_template_from_files

    command = "sportsgpt template build " + " ".join(
        [f"--movement {args.movement}", f"--version {args.version}"]
        + [Path(f).name for f in args.files])
    tpl = build_template_from_files(list(args.files), args.movement, version=args.version,
                                    command=command, format=args.reader, ctx=_context(args),
                                    **_reader_options(args))
    tpl.save(args.out)
    print(f"wrote {args.out}: {tpl.movement} v{tpl.version}, {tpl.n_frames} frames at "
          f"{tpl.fps:g} Hz from {len(tpl.provenance.experts)} recording(s); keyframes "
          + ", ".join(f"{k}={v}" for k, v in tpl.keyframes.items()))
    return 0


def _add_reader_args(p: argparse.ArgumentParser, files: bool = False) -> None:
    if files:
        p.add_argument("files", nargs="+", help="expert recordings")
    else:
        p.add_argument("file", help="motion file (or folder of OpenPose per-frame JSON)")
    _add_reader_options(p)


def _add_reader_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reader", help="force a reader instead of detecting the format")
    p.add_argument("--fps", type=float, help="frame rate, for files that do not carry one")
    p.add_argument("--asf", help="ASF skeleton for an AMC file (default: <subject>.asf beside it)")
    p.add_argument("--subject-height", type=float, metavar="M",
                   help="athlete's standing height in metres (scales pixel keypoints)")
    p.add_argument("--image-size", type=int, nargs=2, metavar=("W", "H"),
                   help="video frame size in pixels (for normalised keypoints)")
    p.add_argument("--joints", help="comma-separated joint names (for a bare .npy array)")
    p.add_argument("--view", choices=("sagittal", "frontal", "oblique"),
                   help="camera view of 2D keypoints or video (default: detected from the "
                        "keypoints)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="sportsgpt", description="SportsGPT: motion in, cited coaching out.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="read a recording and summarise format, timing and quality")
    _add_reader_args(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_cmd_inspect)

    # Movement ids come from the shipped movement folders (JSON only: no numba, no scipy).
    from sportsgpt.graph_kb.movements import movement_ids

    ids = sorted(movement_ids())
    p = sub.add_parser("align", help="find the movement and its keyframes (MotionDTW)")
    _add_reader_args(p)
    p.add_argument("--movement", default="auto", choices=["auto", *ids],
                   help="movement to find (default: auto, the best-matching template)")
    p.add_argument("--template", help="template JSON (default: the shipped one)")
    p.add_argument("--threshold", type=float, default=None,
                   help="highest normalised match cost accepted (default: the template's)")
    p.add_argument("--no-refine", action="store_true",
                   help="keep keyframes as transferred through the warping path")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_cmd_align)

    p = sub.add_parser("analyze", help="assess the movement: metrics, faults, evidence (KISMAM)")
    _add_reader_args(p)
    p.add_argument("--movement", default="auto", choices=["auto", *ids],
                   help="movement to assess (default: auto, with a confidence)")
    p.add_argument("--format", choices=("json", "md", "html", "pdf"), default="md")
    p.add_argument("--out", help="write the report here instead of stdout "
                                 "(md: plots go to <out>_plots/; pdf needs --out)")
    p.add_argument("--template", help="template JSON (default: the shipped one)")
    p.add_argument("--arm-swing", dest="arm_swing", action="store_true", default=None,
                   help="score arm-swing faults even when the arms barely move")
    p.add_argument("--no-arm-swing", dest="arm_swing", action="store_false",
                   help="never score arm-swing faults (a jump done without arms by design)")
    p.add_argument("--fallback-events", dest="fallback_events", action="store_true",
                   default=None,
                   help="when MotionDTW finds no match, take keyframes from the rule-based "
                        "events instead of stopping (the report says so, at half the "
                        "confidence); default: on when --movement names the movement, "
                        "off with auto")
    p.add_argument("--no-fallback-events", dest="fallback_events", action="store_false",
                   help="stop with 'no <movement> found' when MotionDTW finds no match")
    p.add_argument("--baseline", nargs="+", default=[], metavar="FILE",
                   help="recordings of the same athlete (e.g. earlier good jumps): template "
                        "targets come from their spread instead of the experts'")
    p.set_defaults(func=_cmd_analyze)

    kb = sub.add_parser("kb", help="the knowledge graph and QA store").add_subparsers(
        dest="kb_command", required=True)
    p = kb.add_parser("build", help="build the store from the curated content")
    p.add_argument("--rebuild", action="store_true", help="clear the store first")
    p.add_argument("--model", help="sentence-transformers model name or path "
                                   "(default: the packaged all-MiniLM-L6-v2)")
    p.set_defaults(func=_cmd_kb)
    p = kb.add_parser("ingest", help="stream QA pairs from a JSONL file (resumable)")
    p.add_argument("path")
    p.add_argument("--model")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--restart", action="store_true", help="ignore a saved checkpoint")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_cmd_kb)
    from sportsgpt.graph_kb.documents import add_docs_parser

    add_docs_parser(kb).set_defaults(func=_cmd_kb)
    p = kb.add_parser("stats", help="counts of nodes, relations and QA pairs")
    p.set_defaults(func=_cmd_kb)
    p = kb.add_parser("search", help="hybrid search over the QA pairs, with sources")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--movement", help="only answers about this movement id")
    p.add_argument("--fault", help="only answers about this fault id")
    p.add_argument("--tier", choices=("curated", "ingested", "document"))
    p.add_argument("--model")
    p.add_argument("--reranker", help="cross-encoder model path (optional re-ranking)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_cmd_kb)

    p = sub.add_parser("movements", help="the movements SportsGPT assesses, with their faults")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=_cmd_movements)

    backends = ("none", "openai", "transformers")
    p = sub.add_parser("coach", help="ask the coach: measured findings and cited guidance")
    p.add_argument("file", nargs="?", help="a recording to analyse (optional)")
    p.add_argument("--question", "-q", default="What's wrong with my movement, and how do I "
                   "train it?", help="what you want to know")
    p.add_argument("--movement", default="auto", choices=["auto", *ids])
    p.add_argument("--thread", help="continue a conversation (its id is printed after "
                                    "each answer)")
    p.add_argument("--backend", choices=backends,
                   help="language model backend (default: SPORTSGPT_LLM_BACKEND, else none)")
    p.add_argument("--format", choices=("md", "json", "html", "pdf"), default="md",
                   help="html/pdf: one self-contained report (assessment, plots, guidance, "
                        "references) to send to the athlete")
    p.add_argument("--out", help="write the answer or report here")
    _add_reader_options(p)
    p.set_defaults(func=_cmd_coach)

    p = sub.add_parser("chat", help="talk with the coach (reads questions from the terminal "
                                    "or, one per line, from standard input)")
    p.add_argument("--motion", help="a recording to attach to the conversation")
    p.add_argument("--movement", default="auto", choices=["auto", *ids])
    p.add_argument("--thread", help="continue a conversation")
    p.add_argument("--backend", choices=backends)
    _add_reader_options(p)
    p.set_defaults(func=_cmd_chat)

    from sportsgpt.batch import add_batch_parser
    from sportsgpt.evals.runner import add_eval_parser
    from sportsgpt.web import add_demo_parser

    add_batch_parser(sub)
    add_eval_parser(sub)
    add_demo_parser(sub)

    tp = sub.add_parser("template", help="expert templates").add_subparsers(
        dest="template_command", required=True)
    p = tp.add_parser("build", help="build a template from expert recordings")
    _add_reader_args(p, files=True)
    p.add_argument("--movement", required=True, choices=ids)
    p.add_argument("--out", required=True, help="template JSON to write")
    p.add_argument("--version", default="1")
    p.set_defaults(func=_cmd_template_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
        return status
    except SportsGPTError as exc:
        if args.debug:
            raise
        from sportsgpt.cli_errors import cli_message

        print(f"sportsgpt: error: {cli_message(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # output piped into head/less that closed early
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("sportsgpt: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line, keep the traceback for --debug
        if args.debug:
            raise
        print(f"sportsgpt: internal error ({type(exc).__name__}: {exc}); "
              "rerun with --debug and report it", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
