"""Coach reports: Markdown to safe HTML, citations linked, one HTML page, a PDF that opens."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

pytest.importorskip("markdown_it", reason="reports need the web extra (markdown-it-py)")
coach = pytest.importorskip("sportsgpt.agents.coach", reason="CoachAnswer needs the agents extra")

from sportsgpt.core.version import __version__  # noqa: E402
from sportsgpt.reports import (  # noqa: E402
    ReportError,
    SourceCard,
    markdown_html,
    render_coach_report,
)

ANSWER = ("The main thing: limited arm swing (moderate).\n\n### What to train\n\n"
          "1. **Arm swings** <script>alert(1)</script> [hara2008] [nosuch2001]\n\n"
          "### References\n\n- [hara2008] A comparison (2008).\n")
CARD = SourceCard(id="hara2008", title="A comparison of arm swing and countermovement",
                  authors=["Hara M", "Shibayama A", "Arakawa H", "Fukashiro S"], year=2008,
                  venue="J Biomech", doi="10.1016/j.jbiomech.2008.06.017")


def _answer(fallback: bool = False) -> object:
    from sportsgpt.agents.llm import BackendInfo

    return coach.CoachAnswer(
        answer=ANSWER, findings=[], guidance=None,
        citations=[coach.Citation(id="hara2008", title=CARD.title, year=2008, doi=CARD.doi)],
        steps=[], backend=BackendInfo(name="none"), thread_id="abc123", route="knowledge",
        fallback=coach.FallbackOut(used=fallback, reason="model answer did not verify"
                                   if fallback else None))


def test_markdown_is_escaped_and_only_known_citations_are_linked() -> None:
    html = markdown_html(ANSWER, [CARD])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a class="cite" href="#ref-hara2008">[hara2008]</a>' in html
    assert "[nosuch2001]" in html and "#ref-nosuch2001" not in html


def test_html_report_has_guidance_references_date_and_version() -> None:
    page = render_coach_report(None, _answer(fallback=True), "html", sources=[CARD],
                               today=date(2026, 12, 1)).decode()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert page.count("A comparison (2008)") == 0  # the answer's own list is replaced
    assert 'id="ref-hara2008"' in page and "Hara M, Shibayama A, Arakawa H et al." in page
    assert "https://doi.org/10.1016/j.jbiomech.2008.06.017" in page
    assert "2026-12-01" in page and f"SportsGPT {__version__}" in page
    assert "model answer did not verify" in page


def test_pdf_report_opens(tmp_path: Path) -> None:
    pytest.importorskip("xhtml2pdf", reason="PDF reports need the web extra (xhtml2pdf)")
    pdf = render_coach_report(None, _answer(), "pdf", sources=[CARD])
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed: the PDF was not rendered")
    (tmp_path / "r.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(tmp_path / "r.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)
    assert sorted(p.name for p in tmp_path.glob("page*.png"))


@pytest.mark.parametrize(("analysis", "answer", "fmt", "match"), [
    (None, None, "html", "neither"), (None, "answer", "docx", "'docx'")],
    ids=["nothing", "format"])
def test_bad_requests_name_the_problem(analysis: None, answer: str | None, fmt: str,
                                       match: str) -> None:
    with pytest.raises(ReportError, match=match):
        render_coach_report(analysis, _answer() if answer else None, fmt)  # type: ignore[arg-type]
