"""Small coaching documents written by the tests: a two-page PDF, Markdown, HTML, text.

The PDF is made with reportlab (outline entries "Takeoff" and "Landing") and
relabelled with pypdf so that its pages print as 111 and 112, as in a book.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.types import QAPair

PDF_TITLE = "Jump Coaching Handbook"
PDF_PAGES = (
    ("Takeoff", ["Drive the hips up at takeoff and extend the knees and ankles",
                 "together, arms swinging up hard, for a powerful vertical jump."]),
    ("Landing", ["The sticky-floor drill: land on the balls of the feet, let the",
                 "knees bend over the toes and freeze for two seconds, so the",
                 "landing force is absorbed over a longer time."]),
)
MARKDOWN = """---
title: Squat Notes
author: [C. Dee, E. Eff]
year: 2021
url: https://example.org/squat-notes
---
## Depth

Squat to a depth where the pelvis stays neutral; the **butt wink** starts where it tucks.

### Knees

Keep the knees tracking over the second toe during the whole descent of the squat.
"""
HTML = """<html><head><title>Drop Jump Primer</title>
<meta name="author" content="F. Gee"><meta name="citation_publication_date" content="2019/05/01">
</head><body><nav>Home | About</nav><script>var x = 1;</script>
<h2>Contact time</h2><p>Short ground contact times matter in drop jumps for reactive
strength; aim to leave the floor quickly.</p>
<ul><li>Cue: bounce off the floor as if it were hot to the touch.</li></ul>
</body></html>
"""
TEXT = """Warm-up routine for jumpers.

Five minutes of skipping, then leg swings and three build-up jumps before testing."""


def write_pdf(path: Path) -> Path:
    """The two-page handbook PDF, pages labelled 111 and 112 (skips without reportlab)."""
    canvas_mod = pytest.importorskip("reportlab.pdfgen.canvas")
    pypdf = pytest.importorskip("pypdf")
    raw = path.with_suffix(".raw.pdf")
    c = canvas_mod.Canvas(str(raw))
    c.setTitle(PDF_TITLE)
    c.setAuthor("Ann Coach; Bo Trainer")
    for i, (section, lines) in enumerate(PDF_PAGES):
        c.bookmarkPage(f"p{i}")
        c.addOutlineEntry(section, f"p{i}", level=0)
        y = 780
        for line in [section, *lines]:
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(str(raw)))
    writer.set_page_label(0, len(PDF_PAGES) - 1, "/D", start=111)
    writer.write(str(path))
    raw.unlink()
    return path


def write_folder(folder: Path, *, pdf: bool = True) -> Path:
    """A documents folder: handbook.pdf (optional), notes/squat.md, primer.html, warmup.txt."""
    (folder / "notes").mkdir(parents=True, exist_ok=True)
    if pdf:
        write_pdf(folder / "handbook.pdf")
    (folder / "notes" / "squat.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "primer.html").write_text(HTML, encoding="utf-8")
    (folder / "warmup.txt").write_text(TEXT, encoding="utf-8")
    (folder / "ignored.docx").write_bytes(b"not read")
    return folder


class VectorStore(EmbeddedStore):
    """An in-memory embedded store that also keeps every written vector by passage id."""

    def __init__(self) -> None:
        super().__init__(None)
        self.vectors: dict[str, np.ndarray] = {}

    def upsert_qa(self, pairs: list[QAPair], embeddings: Any) -> None:
        """Record the vectors, then store as usual."""
        for pair, vector in zip(pairs, np.asarray(embeddings), strict=True):
            self.vectors[pair.id] = vector
        super().upsert_qa(pairs, embeddings)


def assert_same_passages(one: VectorStore, two: VectorStore) -> None:
    """Same passages (ids, order, headings with page and section, sources) and vectors."""
    ids = one.qa_ids()
    assert ids and two.qa_ids() == ids
    assert two.get_qa(ids) == one.get_qa(ids)
    source_ids = sorted({s for p in one.get_qa(ids) for s in p.source_ids})
    assert two.sources(source_ids) == one.sources(source_ids)
    assert set(two.vectors) == set(one.vectors) == set(ids)
    for pid in ids:
        np.testing.assert_allclose(two.vectors[pid], one.vectors[pid], rtol=0, atol=1e-6)
