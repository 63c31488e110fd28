"""The eval report's label: what a run is (a plumbing check), shown before any number."""

from __future__ import annotations

import argparse
from pathlib import Path

from sportsgpt.evals.report import render_html, render_markdown, summarise
from sportsgpt.evals.runner import _argv, add_eval_parser

LABEL = "plumbing check: tiny random model <2 layers>, not a quality claim"


def _parse(*extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_eval_parser(parser.add_subparsers())
    return parser.parse_args(["eval", "--cases", "c.jsonl", "--out", "o", *extra])


def test_label_is_recorded_in_the_command_quoted() -> None:
    command = " ".join(_argv(_parse("--label", LABEL)))
    assert f"--label '{LABEL}'" in command
    assert "--label" not in " ".join(_argv(_parse()))


def test_label_heads_the_markdown_and_html_reports() -> None:
    summary = summarise([], {"label": LABEL, "command": "sportsgpt eval ...",
                             "cases": "c.jsonl", "backend": "openai"})
    markdown = render_markdown(summary)
    assert markdown.splitlines()[2] == f"> **{LABEL}**"
    assert markdown.index(LABEL) < markdown.index("Command:")
    page = render_html(summary)
    assert "<strong>plumbing check: tiny random model &lt;2 layers&gt;, not a quality claim" \
        "</strong>" in page


def test_no_label_no_label_line(tmp_path: Path) -> None:
    summary = summarise([], {"command": "sportsgpt eval ...", "cases": "c.jsonl"})
    assert "> **" not in render_markdown(summary)
