"""Reports a coach can send: the assessment and the guidance as one HTML page or a PDF.

:func:`render_coach_report` puts an analysis (``sportsgpt.api.analyze_file``) and a coach
answer (``sportsgpt.api.coach``) into one self-contained document:

* **HTML**: one page, no external assets and no scripts: the assessment as
  ``render_analysis(..., "html")`` draws it (inline CSS, plots as base64 PNG, metric bands as
  inline SVG), then the guidance (the answer's Markdown, raw HTML in it escaped), its
  citations as links to a reference list (authors, year, title, venue, DOI link), which
  backend answered, and a footer with the date and the SportsGPT version.
* **PDF**: the same page through xhtml2pdf (pure Python, offline; the ``web`` extra).
  xhtml2pdf draws no inline SVG, so the metric bands come as one PNG figure instead.

:func:`cli_report` is the command line's ``--format html|pdf --out FILE`` for
``sportsgpt analyze`` (assessment only) and ``sportsgpt coach`` (assessment and guidance).
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from pydantic import BaseModel

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.core.version import __version__

if TYPE_CHECKING:
    from sportsgpt.agents.coach import CoachAnswer
    from sportsgpt.api import SportsGPT
    from sportsgpt.tools.analysis import Analysis

CoachReportFormat = Literal["html", "pdf"]
FORMATS: Final = ("html", "pdf")

_CITE: Final = re.compile(r"\[([A-Za-z][A-Za-z0-9_.:-]*)\]")
"""A citation in the answer's Markdown, ``[hara2008]``."""

EXTRA_CSS: Final = """
section.guidance .status{background:#eef4ff;border-left:4px solid #3b82f6;padding:6px 12px}
section.guidance .status.fallback{background:#fff8e6;border-left-color:#f0b429}
a.cite{text-decoration:none;font-size:.9em}
ol.refs li{margin-bottom:6px}
footer{color:#6b7280;font-size:.85em;text-align:center;padding:0 0 24px}
"""

PDF_CSS: Final = """
@page{size:a4 portrait;margin:1.6cm 1.4cm}
body{font-family:DejaVuSans;font-size:9.5pt;color:#1d1d1f}
h1{font-size:16pt}h2{font-size:13pt}h3{font-size:11pt;border-bottom:1px solid #ddd}
table{border:0.5px solid #ccc}th,td{padding:2px 4px;font-size:8pt}
th{background-color:#f3f4f6}
.sev{color:#b42318;font-weight:bold}
ul.caveats{background-color:#fff8e6}
.status{background-color:#eef4ff;padding:4px}
footer{color:#6b7280;font-size:8pt;text-align:center}
"""


class ReportError(SportsGPTError, ValueError):
    """A coach report cannot be made (nothing to report, an unknown format, no output file)."""


class SourceCard(BaseModel):
    """What a reader needs to find a cited source: title, authors, year, venue, DOI link."""

    id: str
    title: str
    authors: list[str] = []
    year: int | None = None
    venue: str | None = None
    doi: str | None = None
    url: str | None = None

    @property
    def link(self) -> str | None:
        """The DOI link when there is a DOI, else the source's URL."""
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    def authors_text(self, most: int = 3) -> str:
        """``A, B and C`` or ``A, B, C et al.`` (empty when the source names none)."""
        if not self.authors:
            return ""
        if len(self.authors) > most:
            return ", ".join(self.authors[:most]) + " et al."
        if len(self.authors) == 1:
            return self.authors[0]
        return ", ".join(self.authors[:-1]) + " and " + self.authors[-1]


def source_cards(answer: CoachAnswer, ctx: SportsGPT | None = None) -> list[SourceCard]:
    """The answer's citations as cards, with authors and venue from the knowledge store.

    Without a context (or for an id the store does not hold) a card has what the citation
    carries (title, year, DOI, URL).
    """
    full = {}
    if ctx is not None and answer.citations:
        full = {s.id: s for s in ctx.store.sources([c.id for c in answer.citations])}
    cards = []
    for c in answer.citations:
        s = full.get(c.id)
        cards.append(SourceCard(id=c.id, title=c.title, year=c.year, doi=c.doi, url=c.url,
                                authors=list(s.authors) if s is not None else [],
                                venue=s.venue if s is not None else None))
    return cards


def backend_text(answer: CoachAnswer) -> str:
    """Who wrote the guidance, in words (and why the composer answered, when it did)."""
    b = answer.backend
    who = ("the deterministic composer (no language model configured)" if b.name == "none"
           else f"the {b.name} backend" + (f", model {b.model}" if b.model else ""))
    text = f"Guidance written by {who}."
    if answer.fallback.used:
        text += (" The deterministic composer answered instead of the model: "
                 f"{answer.fallback.reason or 'no reason given'}.")
    return text


# --- HTML -----------------------------------------------------------------------------------
def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _strip_references(markdown: str) -> str:
    """The answer without its own "References" section (the report lists them in full)."""
    out: list[str] = []
    skipping = False
    for line in markdown.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            skipping = heading.group(2).strip().lower() == "references"
        if not skipping:
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def cite_link(sid: str, anchor: str = "ref-") -> str:
    """A citation as a link to its entry in the reference list."""
    return f'<a class="cite" href="#{anchor}{_e(sid)}">[{_e(sid)}]</a>'


def markdown_html(markdown: str, cards: Sequence[SourceCard],
                  link: Callable[[str], str] = cite_link) -> str:
    """The answer's Markdown as HTML: raw HTML escaped, each ``[id]`` made by ``link(id)``.

    Only ids that are among ``cards`` are replaced; anything else stays as written.
    """
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).render(markdown)
    known = {c.id for c in cards}

    def replace(m: re.Match[str]) -> str:
        return link(m.group(1)) if m.group(1) in known else m.group(0)

    return _CITE.sub(replace, html)


def reference_items(cards: Sequence[SourceCard], *, anchor: str = "ref-") -> list[str]:
    """``<li>`` items of the reference list, one per source, each with its anchor id."""
    items = []
    for c in cards:
        parts = [f"<strong>[{_e(c.id)}]</strong>"]
        if c.authors:
            parts.append(_e(c.authors_text()))
        if c.year is not None:
            parts.append(f"({c.year}).")
        parts.append(f"<em>{_e(c.title)}</em>.")
        if c.venue:
            parts.append(_e(c.venue) + ".")
        if c.link:
            label = f"doi:{c.doi}" if c.doi else c.link
            parts.append(f'<a href="{_e(c.link)}">{_e(label)}</a>')
        items.append(f'<li id="{anchor}{_e(c.id)}">' + " ".join(parts) + "</li>")
    return items


def guidance_section(answer: CoachAnswer, cards: Sequence[SourceCard]) -> str:
    """The guidance as an HTML section: status line, answer, reference list."""
    status_cls = "status fallback" if answer.fallback.used else "status"
    out = ['<section class="report guidance" id="guidance">', "<h2>Training guidance</h2>",
           f'<p class="{status_cls}">{_e(backend_text(answer))}</p>',
           markdown_html(_strip_references(answer.answer), cards)]
    if cards:
        out += ["<h3>References</h3>", '<ol class="refs">', *reference_items(cards), "</ol>"]
    out.append("</section>")
    return "\n".join(out)


def _footer(today: date) -> str:
    return (f"<footer>Made on {today.isoformat()} by SportsGPT {_e(__version__)}: measured "
            "findings from the recording, guidance citing only the sources listed.</footer>")


def _assessment_parts(analysis: Analysis) -> tuple[str, str, str]:
    """Title, CSS and body of the assessment page ``render_analysis`` makes."""
    from sportsgpt.api import render_analysis

    page = render_analysis(analysis, "html")
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    css = re.search(r"<style>(.*?)</style>", page, re.S)
    body = re.search(r"<main>\n?(.*?)</main>", page, re.S)
    if title is None or css is None or body is None:
        raise ReportError("the assessment page has no <title>, <style> or <main> to build on")
    return title.group(1), css.group(1), body.group(1)


def _html_page(analysis: Analysis | None, answer: CoachAnswer | None,
               cards: Sequence[SourceCard], today: date) -> str:
    title, css, body = "Coaching report", "", ""
    if analysis is not None:
        title, css, body = _assessment_parts(analysis)
        title = f"{title} and guidance" if answer is not None else title
    else:
        from sportsgpt.tools.kismam.render import CSS

        css = CSS
        body = f"<h1>{_e(title)}</h1>\n"
    if answer is not None:
        body += guidance_section(answer, cards) + "\n"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{css}{EXTRA_CSS}</style>\n</head>\n<body>\n"
            f"<main>\n{body}</main>\n{_footer(today)}\n</body>\n</html>\n")


# --- PDF ------------------------------------------------------------------------------------
_SVG: Final = re.compile(r"<svg\b.*?</svg>", re.S)
_IMG: Final = re.compile(r'<img src="(data:image/png;base64,[A-Za-z0-9+/=]+)"')


def _metric_band_figure(analysis: Analysis) -> str:
    from sportsgpt.tools.kismam.plots import plot_metric_bands

    out = []
    for r in analysis.reports:
        if r.metrics:
            png = base64.b64encode(plot_metric_bands(r.metrics)).decode("ascii")
            out.append(f'<img src="data:image/png;base64,{png}" width="500" '
                       'alt="Metrics against their targets">')
    return "".join(out)


def _font_css() -> str:
    """@font-face rules for DejaVu Sans, the font matplotlib ships (covers ≥, −, č...)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    rules = []
    for file, weight in (("DejaVuSans.ttf", "normal"), ("DejaVuSans-Bold.ttf", "bold")):
        rules.append(f"@font-face{{font-family:DejaVuSans;font-weight:{weight};"
                     f'src:url("{(folder / file).as_posix()}")}}')
    return "\n".join(rules)


def _pdf_html(html: str, analysis: Analysis | None) -> str:
    """The page reshaped for xhtml2pdf: no SVG, sized images, print CSS, a Unicode font."""
    html = _SVG.sub("", html).replace("<th>Band</th>", "").replace("<td></td>", "")
    html = _IMG.sub(r'<img width="500" src="\1"', html)
    if analysis is not None:
        bands = _metric_band_figure(analysis)
        html = html.replace("<h3>Metrics</h3>", "<h3>Metrics</h3>" + bands, 1)
    css = _font_css() + PDF_CSS
    return re.sub(r"<style>.*?</style>", lambda _: f"<style>{css}</style>", html, count=1,
                  flags=re.S)


def html_to_pdf(html: str) -> bytes:
    """A PDF of an HTML page with inline images (xhtml2pdf; no network is used).

    Raises:
        ReportError: xhtml2pdf is not installed (the ``web`` extra) or reports errors.
    """
    try:
        from xhtml2pdf import pisa  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ReportError("PDF reports need xhtml2pdf: pip install 'sportsgpt[web]'") from exc
    buf = io.BytesIO()
    status = pisa.CreatePDF(html, dest=buf, encoding="utf-8")
    if status.err:
        raise ReportError(f"xhtml2pdf could not lay out the report ({status.err} errors)")
    return buf.getvalue()


def render_coach_report(analysis: Analysis | None, answer: CoachAnswer | None,
                        fmt: CoachReportFormat | str, *,
                        sources: Sequence[SourceCard] | None = None,
                        today: date | None = None) -> bytes:
    """The assessment and the guidance as one HTML page or PDF (see the module docstring).

    Args:
        analysis: the analysis (``sportsgpt.api.analyze_file``), or None for guidance only.
        answer: the coach's answer (``sportsgpt.api.coach``), or None for the assessment only.
        fmt: ``html`` or ``pdf``.
        sources: cards for the answer's citations (:func:`source_cards`, with authors);
            default: cards from the citations alone.
        today: the date printed on the report (default: today).

    Raises:
        ReportError: neither an analysis nor an answer, or an unknown format.
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
    if analysis is None and answer is None:
        raise ReportError("a report needs an analysis, an answer or both; neither was given")
    cards = list(sources) if sources is not None else (
        source_cards(answer) if answer is not None else [])
    html = _html_page(analysis, answer, cards, today or date.today())
    if fmt == "html":
        return html.encode("utf-8")
    return html_to_pdf(_pdf_html(html, analysis))


# --- command line ---------------------------------------------------------------------------
def cli_report(args: argparse.Namespace) -> int:
    """``sportsgpt analyze|coach FILE --format html|pdf --out FILE``: write the report.

    ``analyze`` writes the assessment; ``coach`` the assessment of its recording (when one
    is given) and the guidance. HTML goes to standard output without ``--out``; a PDF needs
    ``--out``.

    Raises:
        ReportError: a PDF without ``--out``, or a format this function does not write.
    """
    from sportsgpt import api
    from sportsgpt.cli import _context, _reader_options

    if args.format not in FORMATS:
        raise ReportError(f"cli_report writes {', '.join(FORMATS)}, not {args.format!r}")
    out = Path(args.out) if getattr(args, "out", None) else None
    if out is None and args.format == "pdf":
        raise ReportError("--format pdf needs --out FILE (a PDF is not written to a terminal)")
    opts = _reader_options(args)
    file = getattr(args, "file", None)
    with _context(args) as ctx:
        analysis = None
        if file:
            analysis = api.analyze_file(
                file, args.movement, template_path=getattr(args, "template", None),
                arm_swing=getattr(args, "arm_swing", None),
                fallback_events=getattr(args, "fallback_events", None),
                format=getattr(args, "reader", None), baseline=getattr(args, "baseline", ()),
                ctx=ctx, **opts)
        answer, cards = None, None
        if args.command == "coach":
            answer = api.coach(ctx, args.question, recordings=[file] if file else [],
                               thread_id=args.thread, movement=args.movement,
                               backend=args.backend, **opts)
            cards = source_cards(answer, ctx)
        data = render_coach_report(analysis, answer, args.format, sources=cards)
    if out is None:
        sys.stdout.write(data.decode("utf-8"))
        return 0
    out.write_bytes(data)
    what = "assessment" + (" and guidance" if answer is not None else "")
    print(f"wrote {out} ({what}, {args.format}, {len(data)} bytes)", file=sys.stderr)
    if answer is not None:
        print(f"[thread {answer.thread_id}]", file=sys.stderr)
    return 0

