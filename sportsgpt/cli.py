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


def _cmd_inspect(args: argparse.Namespace) -> int:
    from sportsgpt.api import inspect_file

    rep = inspect_file(args.file, format=args.reader, **_reader_options(args))
    if args.format == "json":
        print(json.dumps(rep.model_dump(mode="json"), indent=2))
    else:
        print(_format_inspection_text(rep))
    return 0


def _add_reader_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="motion file (or folder of OpenPose per-frame JSON)")
    p.add_argument("--reader", help="force a reader instead of detecting the format")
    p.add_argument("--fps", type=float, help="frame rate, for files that do not carry one")
    p.add_argument("--asf", help="ASF skeleton for an AMC file (default: <subject>.asf beside it)")
    p.add_argument("--subject-height", type=float, metavar="M",
                   help="athlete's standing height in metres (scales pixel keypoints)")
    p.add_argument("--image-size", type=int, nargs=2, metavar=("W", "H"),
                   help="video frame size in pixels (for normalised keypoints)")


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
        print(f"sportsgpt: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
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
