"""Your own coaching documents in the knowledge base, cited by page or section.

``add_documents(store, folder, embedder)`` reads every PDF, Markdown, HTML and
plain-text file under ``folder``, splits it into passages that never cross a
page or a section, and stores each passage as a :class:`QAPair` of tier
``"document"`` whose one source is the page (PDF) or section (Markdown, HTML)
it came from, so a citation resolves to "Book title, p. 112".

Extraction (well-kept libraries, imported only when a file needs them):

- PDF: ``pypdf``, one block per page. The page is the printed page label
  (``/PageLabels``, e.g. "112" or "xii"; the physical page number when the
  file has none); the section is the deepest outline (bookmark) entry starting
  at or before the page. Title and authors from the document information
  (``/Title``, ``/Author`` split at ``;``), else the file name.
- Markdown: ``markdown-it-py`` tokens; headings give the section path; an
  optional YAML front matter (``title``, ``author``/``authors``, ``year``,
  ``url``) gives the metadata, else the first level-1 heading is the title.
- HTML: ``beautifulsoup4`` (stdlib ``html.parser``); ``<title>`` (else the first
  ``<h1>``), ``<meta name="author">``, a ``citation_publication_date`` or
  ``dc.date`` meta for the year, ``<link rel="canonical">`` for the URL; headings
  give sections; scripts, styles and navigation are dropped.
- Plain text (``.txt``): UTF-8, paragraphs, no sections.

Splitting (:func:`split_text`): paragraphs packed up to ``max_chars``; a longer
paragraph is cut at sentence ends, a longer sentence at word boundaries; each
passage after the first of a block repeats up to ``overlap`` characters of the
previous one's last sentences. Passages shorter than ``min_chars`` (page
numbers, running heads) are dropped and counted.

Identity and deduplication: a passage's id is ``doc-`` + 20 hex digits of the
SHA-256 of its whitespace-normalised, lower-cased text, so the same text in two
files (or twice in one) is stored once (the first place it was seen is cited).
A source id is ``doc:<slug>#p<page>`` for a PDF page, ``doc:<slug>#<section
slug>`` for a section and ``doc:<slug>`` otherwise; ``<slug>`` comes from the
file's path relative to ``folder``.

Resume: finished files are recorded (relative path and SHA-256) in a state
folder (:func:`~sportsgpt.graph_kb.ingest.default_state_dir` of ``folder``); a
rerun skips them, and passages of an interrupted file already in the store
are not embedded again. A file that cannot be read is recorded with its error
and never stops the run.

Parallelism (:func:`sportsgpt.core.engine.map_unordered`): with ``engine="local"``
and ``workers=1`` everything runs in the calling process, which embeds with the
caller's embedder (and its embedding cache). Otherwise each task extracts, splits
*and embeds* one file in a worker process: a local process pool (``workers > 1``), a
local Dask cluster of ``workers`` processes (``engine="dask"``), or a running Dask
cluster (``address``; its workers must see the same files and have the same model).
A worker builds its embedder once per process from a picklable
:class:`EmbedderSpec` (a sentence-transformers model name or path, loaded offline,
or the hashing test embedder) derived from the caller's embedder. The calling
process takes the results in file order (so passages, their first-seen citation and
the resume record are the same on every engine), deduplicates, writes batches to
the store (embedded or Neo4j) and records finished files. On the workers, passages
of a file interrupted in an earlier run are embedded again but not written twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sportsgpt.core.engine import ENGINES, Outcome, check_engine, map_unordered
from sportsgpt.core.errors import MissingDependencyError, SportsGPTError
from sportsgpt.graph_kb.common import SOURCE_LABEL
from sportsgpt.graph_kb.embeddings import (
    DEFAULT_MODEL_ID,
    CachedEmbedder,
    Embedder,
    EmbeddingError,
    FloatMatrix,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    cache_key,
    qa_text,
)
from sportsgpt.graph_kb.types import KnowledgeStore, Node, QAPair, Source

if TYPE_CHECKING:
    import argparse

DOC_TIER: Literal["document"] = "document"
SUFFIXES: dict[str, str] = {".pdf": "pdf", ".md": "markdown", ".markdown": "markdown",
                            ".html": "html", ".htm": "html", ".txt": "text"}
"""File suffixes read, and their format."""
MAX_CHARS = 1200
OVERLAP = 150
MIN_CHARS = 40
BATCH_SIZE = 64
MAX_FAILURES_LISTED = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SLUG = re.compile(r"[^a-z0-9]+")


class DocumentError(SportsGPTError):
    """A documents folder or option that cannot be used (the message names it)."""


class DocMeta(BaseModel):
    """What a citation needs about one document."""

    slug: str
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    url: str | None = None
    file: str = Field(description="path relative to the documents folder")
    format: str


class Block(BaseModel):
    """Extracted text of one page (PDF) or one section (Markdown, HTML)."""

    text: str
    page: str | None = Field(default=None, description="printed page label, e.g. '112'")
    page_index: int | None = Field(default=None, description="0-based physical page")
    section: str | None = None


class DocChunk(BaseModel):
    """One passage of a document with its title, authors, page and section."""

    id: str
    content_hash: str
    meta: DocMeta
    page: str | None
    page_index: int | None
    section: str | None
    text: str

    @property
    def source_id(self) -> str:
        """The citation id: ``doc:<slug>#p<page>``, ``doc:<slug>#<section>`` or ``doc:<slug>``."""
        base = f"doc:{self.meta.slug}"
        if self.page is not None:
            return f"{base}#p{slugify(self.page)}"
        if self.section:
            return f"{base}#{slugify(self.section.split(' › ')[-1])}"
        return base

    @property
    def citation(self) -> str:
        """How the source reads in a reference: "Title, p. 112" or "Title, § Section"."""
        if self.page is not None:
            return f"{self.meta.title}, p. {self.page}"
        if self.section:
            return f"{self.meta.title}, § {self.section.split(' › ')[-1]}"
        return self.meta.title

    def heading(self) -> str:
        """The passage's heading (stored as the QA pair's question): title, section, page."""
        parts = [self.meta.title] + ([self.section] if self.section else [])
        page = f" (p. {self.page})" if self.page is not None else ""
        return " › ".join(parts) + page

    def to_qa(self) -> QAPair:
        """The passage as a QA pair of tier ``document`` citing its page or section."""
        return QAPair(id=self.id, question=self.heading(), answer=self.text,
                      source_ids=[self.source_id], tier=DOC_TIER)

    def source(self) -> Source:
        """The page's (or section's) :class:`Source` record."""
        return Source(id=self.source_id, title=self.citation, authors=self.meta.authors,
                      year=self.meta.year, venue=self.meta.file, url=self.meta.url,
                      evidence_level="other",
                      verified=f"added by 'kb add-docs' from {self.meta.file}; "
                               "the text was not checked by a person")


class FileResult(BaseModel):
    """What extraction made of one file: its chunks, or the error that stopped it.

    When a worker embedded the chunks, ``vectors`` holds one unit float32 row per chunk
    (in order) and ``model_id`` the worker's model.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: str
    sha256: str
    chunks: list[DocChunk] = Field(default_factory=list)
    short_dropped: int = 0
    error: str | None = None
    vectors: np.ndarray | None = None
    model_id: str | None = None
    embed_seconds: float = 0.0


class FailedFile(BaseModel):
    """A file that could not be read, and why."""

    file: str
    error: str


class DocsReport(BaseModel):
    """Counts and timings of one ``add_documents`` run."""

    folder: str
    files: int = 0
    files_done_before: int = Field(0, description="skipped: finished in an earlier run")
    files_failed: list[FailedFile] = Field(default_factory=list)
    chunks: int = Field(0, description="passages extracted (after dropping short ones)")
    short_dropped: int = 0
    duplicate_chunks: int = Field(0, description="same text seen earlier in this run")
    already_stored: int = Field(0, description="same text already in the store")
    stored: int = 0
    sources: int = Field(0, description="page or section sources written")
    engine: str = "local"
    workers: int = 1
    extract_seconds: float = Field(0.0, description="waiting for files from the engine "
                                   "(extraction; with worker embedding, embedding too)")
    embed_seconds: float = Field(0.0, description="embedding in the calling process")
    worker_embed_seconds: float = Field(0.0, description="embedding on workers, summed")
    store_seconds: float = 0.0
    seconds: float = 0.0


# ------------------------------------------------------------------------------ text
def slugify(text: str) -> str:
    """Lower-case ASCII letters and digits joined by ``-`` (empty text gives ``x``)."""
    return _SLUG.sub("-", text.lower()).strip("-") or "x"


def content_hash(text: str) -> str:
    """SHA-256 hex of the whitespace-normalised, lower-cased text."""
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()


def _clean_pdf_text(text: str) -> str:
    """Join hyphenated line breaks and wrapped lines; keep blank-line paragraph breaks."""
    text = re.sub(r"(\w)-\n(?=[a-z])", r"\1", text.replace("\r", ""))
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _pieces(paragraph: str, max_chars: int) -> list[str]:
    if len(paragraph) <= max_chars:
        return [paragraph]
    out: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        if len(sentence) <= max_chars:
            out.append(sentence)
            continue
        words, line = sentence.split(), ""
        for word in words:
            if line and len(line) + 1 + len(word) > max_chars:
                out.append(line)
                line = ""
            line = f"{line} {word}" if line else word[:max_chars]
        if line:
            out.append(line)
    return out


def _tail(text: str, overlap: int) -> str:
    """The last whole sentences of ``text`` fitting in ``overlap`` characters."""
    kept: list[str] = []
    for sentence in reversed(_SENTENCE_END.split(text)):
        if sum(len(s) + 1 for s in kept) + len(sentence) > overlap:
            break
        kept.insert(0, sentence)
    return " ".join(kept)


def split_text(text: str, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[str]:
    r"""Passages of at most ``max_chars`` characters, cut at paragraph, sentence, word ends.

    >>> split_text("First point here. Second point.\n\nThird one.", max_chars=30,
    ...            overlap=0)
    ['First point here.', 'Second point. Third one.']

    Raises:
        DocumentError: ``max_chars`` < 20 or ``overlap`` not below ``max_chars / 2``.
    """
    if max_chars < 20 or not 0 <= overlap < max_chars // 2:
        raise DocumentError(f"need max_chars >= 20 and 0 <= overlap < max_chars/2, got "
                            f"max_chars={max_chars}, overlap={overlap}")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    pieces = [piece for p in paragraphs if p for piece in _pieces(p, max_chars)]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + 1 + len(piece) > max_chars:
            chunks.append(current)
            carry = _tail(current, overlap) if overlap else ""
            current = carry if carry and len(carry) + 1 + len(piece) <= max_chars else ""
        current = f"{current} {piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


# ------------------------------------------------------------------------ extraction
def _need(module: str, package: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(package, "docs", "reading your documents") from exc


def _authors(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(a).strip() for a in value if str(a).strip()]
    if isinstance(value, str):
        return [a.strip() for a in value.split(";") if a.strip()]
    return []


def _year(value: Any) -> int | None:
    match = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", str(value)) if value is not None else None
    return int(match.group(1)) if match else None


def _pdf_sections(reader: Any) -> dict[int, str]:
    """Page index -> the title of the outline entry starting there (deepest, last wins)."""
    starts: dict[int, str] = {}

    def walk(items: Iterable[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except Exception:  # a broken bookmark only loses its section
                continue
            if page is not None and page >= 0 and str(item.title).strip():
                starts[int(page)] = " ".join(str(item.title).split())

    try:
        walk(reader.outline)
    except Exception:  # an unreadable outline only loses the sections
        return {}
    return starts


def _read_pdf(path: Path) -> tuple[dict[str, Any], list[Block]]:
    pypdf = _need("pypdf", "pypdf")
    reader = pypdf.PdfReader(str(path))
    if reader.is_encrypted:
        raise DocumentError(f"{path.name}: the PDF is encrypted")
    info = reader.metadata or {}
    meta = {"title": info.get("/Title"), "authors": _authors(info.get("/Author"))}
    labels = list(reader.page_labels)
    starts = _pdf_sections(reader)
    blocks, section = [], None
    for index, page in enumerate(reader.pages):
        section = starts.get(index, section)
        text = _clean_pdf_text(page.extract_text() or "")
        label = labels[index] if index < len(labels) and labels[index] else str(index + 1)
        blocks.append(Block(text=text, page=label, page_index=index, section=section))
    return meta, blocks


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n", text, flags=re.S)
    if not match:
        return {}, text
    yaml = _need("yaml", "pyyaml")
    data = yaml.safe_load(match.group(1))
    if not isinstance(data, dict):
        raise DocumentError("the YAML front matter is not a mapping")
    return data, text[match.end():]


def _read_markdown(path: Path) -> tuple[dict[str, Any], list[Block]]:
    markdown_it = _need("markdown_it", "markdown-it-py")
    front, body = _front_matter(_read_utf8(path))
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(body)
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    texts: list[str] = []
    title = front.get("title")

    def flush() -> None:
        if texts:
            section = " › ".join(h for _, h in headings) or None
            blocks.append(Block(text="\n\n".join(texts), section=section))
            texts.clear()

    level = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            flush()
            level = int(token.tag[1])
            text = _inline_text(tokens[i + 1])
            if level == 1 and title is None:
                title = text
                headings.clear()
                continue
            headings[:] = [h for h in headings if h[0] < level] + [(level, text)]
        elif token.type == "inline" and tokens[i - 1].type != "heading_open":
            texts.append(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            texts.append(token.content.strip())
    flush()
    authors = _authors(front.get("authors", front.get("author")))
    meta = {"title": title, "authors": authors, "year": _year(front.get("year")),
            "url": front.get("url")}
    return meta, blocks


def _inline_text(token: Any) -> str:
    parts = [c.content if c.type in ("text", "code_inline") else " "
             for c in (token.children or []) if c.type in ("text", "code_inline", "softbreak",
                                                           "hardbreak")]
    return " ".join("".join(parts).split())


_HTML_BLOCKS = ("p", "li", "pre", "blockquote", "dd", "dt", "td", "th", "figcaption")
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _read_html(path: Path) -> tuple[dict[str, Any], list[Block]]:
    bs4 = _need("bs4", "beautifulsoup4")
    soup = bs4.BeautifulSoup(_read_utf8(path), "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "header", "footer"]):
        tag.decompose()

    def meta_content(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"name": name}) or soup.find(
                "meta", attrs={"property": name})
            if tag is not None and tag.get("content"):
                return str(tag["content"])
        return None

    title = soup.title.get_text(" ", strip=True) if soup.title else None
    canonical = soup.find("link", rel="canonical")
    meta = {"title": title or None, "authors": _authors(meta_content("author",
                                                                     "citation_author")),
            "year": _year(meta_content("citation_publication_date", "citation_date", "dc.date",
                                       "article:published_time")),
            "url": str(canonical["href"]) if canonical is not None and canonical.get("href")
            else None}
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    texts: list[str] = []
    body = soup.body or soup
    for el in body.find_all([*_HTML_HEADINGS, *_HTML_BLOCKS]):
        if el.find_parent([*_HTML_BLOCKS, *_HTML_HEADINGS]) is not None:
            continue
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text:
            continue
        if el.name in _HTML_HEADINGS:
            if texts:
                blocks.append(Block(text="\n\n".join(texts),
                                    section=" › ".join(h for _, h in headings) or None))
                texts = []
            level = int(el.name[1])
            if level == 1 and meta["title"] is None:
                meta["title"] = text
                continue
            headings[:] = [h for h in headings if h[0] < level] + [(level, text)]
        else:
            texts.append(text)
    if texts:
        blocks.append(Block(text="\n\n".join(texts),
                            section=" › ".join(h for _, h in headings) or None))
    return meta, blocks


def _read_utf8(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path.name}: not UTF-8 text ({exc.reason} at byte "
                            f"{exc.start})") from exc


def _read_text(path: Path) -> tuple[dict[str, Any], list[Block]]:
    return {}, [Block(text=_read_utf8(path))]


_READERS: dict[str, Callable[[Path], tuple[dict[str, Any], list[Block]]]] = {
    "pdf": _read_pdf, "markdown": _read_markdown, "html": _read_html, "text": _read_text}


def extract(path: Path, relative: str) -> tuple[DocMeta, list[Block]]:
    """Metadata and text blocks of one file (``relative``: its path inside the folder).

    Raises:
        DocumentError: an unknown suffix, an encrypted PDF, text that is not UTF-8.
        MissingDependencyError: the library for the format is not installed.
    """
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DocumentError(f"{path.name}: unknown document type {path.suffix!r} "
                            f"(read: {', '.join(sorted(SUFFIXES))})")
    data, blocks = _READERS[fmt](path)
    stem = re.sub(r"[_\s]+", " ", path.stem).strip()
    meta = DocMeta(slug=slugify(str(Path(relative).with_suffix(""))),
                   title=str(data.get("title") or "").strip() or stem,
                   authors=data.get("authors") or [], year=data.get("year"),
                   url=data.get("url"), file=relative, format=fmt)
    return meta, blocks


def chunk_document(meta: DocMeta, blocks: list[Block], *, max_chars: int = MAX_CHARS,
                   overlap: int = OVERLAP, min_chars: int = MIN_CHARS
                   ) -> tuple[list[DocChunk], int]:
    """The document's passages (each within one block) and the number dropped as short."""
    chunks: list[DocChunk] = []
    dropped = 0
    for block in blocks:
        for text in split_text(block.text, max_chars, overlap):
            if len(text) < min_chars:
                dropped += 1
                continue
            digest = content_hash(text)
            chunks.append(DocChunk(id=f"doc-{digest[:20]}", content_hash=digest, meta=meta,
                                   page=block.page, page_index=block.page_index,
                                   section=block.section, text=text))
    return chunks, dropped


def file_sha256(path: Path) -> str:
    """SHA-256 hex of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for part in iter(lambda: fh.read(1 << 20), b""):
            digest.update(part)
    return digest.hexdigest()


def process_file(path: Path, relative: str, max_chars: int = MAX_CHARS,
                 overlap: int = OVERLAP, min_chars: int = MIN_CHARS) -> FileResult:
    """Extract and split one file; any failure to read it becomes the result's ``error``."""
    sha = file_sha256(path)
    try:
        meta, blocks = extract(path, relative)
        chunks, dropped = chunk_document(meta, blocks, max_chars=max_chars, overlap=overlap,
                                         min_chars=min_chars)
    except MissingDependencyError:
        raise
    except Exception as exc:  # recorded per file, never stops the run
        return FileResult(file=relative, sha256=sha, error=f"{type(exc).__name__}: {exc}")
    return FileResult(file=relative, sha256=sha, chunks=chunks, short_dropped=dropped)


class EmbedderSpec(BaseModel):
    """How a worker process builds its embedder: picklable, and never a download.

    ``kind="sentence-transformers"``: ``model`` is a model folder or a name already in
    the local Hugging Face cache (None: the packaged all-MiniLM-L6-v2), loaded with
    ``local_files_only``. ``kind="hashing"``: the deterministic test embedder of
    ``dim`` dimensions. ``torch_threads`` caps torch's threads in the worker.
    """

    kind: Literal["sentence-transformers", "hashing"]
    model: str | None = None
    dim: int | None = None
    device: str = "cpu"
    batch_size: int = Field(64, ge=1)
    torch_threads: int | None = Field(None, ge=1)

    def build(self) -> Embedder:
        """The embedder this spec names (loaded offline).

        Raises:
            EmbeddingError: a hashing spec without ``dim``, or a model not available locally.
            MissingDependencyError: sentence-transformers is not installed.
        """
        if self.kind == "hashing":
            if self.dim is None:
                raise EmbeddingError("a hashing embedder spec needs dim")
            return HashingEmbedder(self.dim)
        if self.torch_threads is not None:
            import torch

            torch.set_num_threads(self.torch_threads)
        return SentenceTransformerEmbedder(self.model, device=self.device,
                                           batch_size=self.batch_size)


def worker_spec(embedder: Embedder, *, batch_size: int = 64,
                  torch_threads: int | None = None) -> EmbedderSpec:
    """The spec that rebuilds ``embedder`` (a cached one: its wrapped model) in a worker.

    Raises:
        DocumentError: an embedder of another type (pass an :class:`EmbedderSpec`).
    """
    inner = embedder.inner if isinstance(embedder, CachedEmbedder) else embedder
    if isinstance(inner, HashingEmbedder):
        return EmbedderSpec(kind="hashing", dim=inner.dim)
    if isinstance(inner, SentenceTransformerEmbedder):
        model_id = inner.model_id
        model = None if model_id == DEFAULT_MODEL_ID else model_id.removeprefix("path:")
        return EmbedderSpec(kind="sentence-transformers", model=model, batch_size=batch_size,
                            torch_threads=torch_threads)
    raise DocumentError(f"the embedder {type(inner).__name__} ({inner.model_id}) cannot be "
                        "rebuilt in a worker process; give embedder_spec, or run with "
                        "engine 'local' and workers=1")


class DocJob(BaseModel):
    """One file for a worker: where it is, how to split it, and how to embed it (or not)."""

    path: str
    relative: str
    max_chars: int = MAX_CHARS
    overlap: int = OVERLAP
    min_chars: int = MIN_CHARS
    embed: EmbedderSpec | None = Field(None, description="None: the caller embeds")


_WORKER_EMBEDDERS: dict[str, Embedder] = {}
"""Embedders built in this process, by spec (each worker loads its model once)."""


def worker_embedder(spec: EmbedderSpec) -> Embedder:
    """The embedder of ``spec``, built once per process."""
    key = spec.model_dump_json()
    if key not in _WORKER_EMBEDDERS:
        _WORKER_EMBEDDERS[key] = spec.build()
    return _WORKER_EMBEDDERS[key]


def process_job(job: DocJob) -> FileResult:
    """The task an engine runs: extract and split one file, and embed it if the job says so.

    Raises:
        MissingDependencyError, EmbeddingError: a missing library or model (not a
            problem of this file; the caller stops).
    """
    result = process_file(Path(job.path), job.relative, job.max_chars, job.overlap,
                          job.min_chars)
    if job.embed is None or result.error is not None or not result.chunks:
        return result
    embedder = worker_embedder(job.embed)
    started = time.perf_counter()
    vectors = embedder.embed([qa_text(c.heading(), c.text) for c in result.chunks])
    return result.model_copy(update={"vectors": vectors, "model_id": embedder.model_id,
                                     "embed_seconds": time.perf_counter() - started})


def find_documents(folder: Path) -> list[tuple[Path, str]]:
    """Readable documents under ``folder`` (recursively, sorted), with relative paths.

    Raises:
        DocumentError: ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise DocumentError(f"{folder}: not a folder")
    return [(p, p.relative_to(folder).as_posix()) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")]


# ---------------------------------------------------------------------------- storing
class _Done:
    """The record of finished files (``done.jsonl`` in the state folder)."""

    def __init__(self, folder: Path, restart: bool) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "done.jsonl"
        if restart:
            self.file.write_bytes(b"")
        self.done: set[tuple[str, str]] = set()
        if self.file.exists():
            for line in self.file.read_text().splitlines():
                try:
                    row = json.loads(line)
                    self.done.add((str(row["file"]), str(row["sha256"])))
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a crash: that file is simply read again

    def add(self, result: FileResult) -> None:
        import os

        with open(self.file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"file": result.file, "sha256": result.sha256,
                                 "chunks": len(result.chunks)}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.done.add((result.file, result.sha256))


def write_chunks(store: KnowledgeStore, embedder: Embedder, chunks: list[DocChunk],
                 report: DocsReport, vectors: FloatMatrix | None = None) -> None:
    """Write one batch: its page/section sources, then the passages with their vectors.

    ``vectors`` (one row per chunk) were made by a worker with ``embedder``'s model;
    without them ``embedder`` embeds the passages not yet stored. Worker vectors are
    also put in ``embedder``'s cache when it has one.
    """
    if not chunks:
        return
    existing = {p.id for p in store.get_qa([c.id for c in chunks])}
    keep = [i for i, c in enumerate(chunks) if c.id not in existing]
    fresh = [chunks[i] for i in keep]
    report.already_stored += len(chunks) - len(fresh)
    if not fresh:
        return
    started = time.perf_counter()
    sources = {c.source_id: c.source() for c in fresh}
    store.upsert_graph([Node(id=s.id, label=SOURCE_LABEL,
                             props=s.model_dump(mode="json", exclude={"id"}, exclude_none=True))
                        for s in sources.values()], [])
    report.store_seconds += time.perf_counter() - started
    pairs = [c.to_qa() for c in fresh]
    texts = [qa_text(p.question, p.answer) for p in pairs]
    if vectors is None:
        started = time.perf_counter()
        fresh_vectors = embedder.embed(texts)
        report.embed_seconds += time.perf_counter() - started
    else:
        fresh_vectors = np.ascontiguousarray(vectors[keep], dtype=np.float32)
        if isinstance(embedder, CachedEmbedder):
            embedder.cache.put_many([(cache_key(embedder.model_id, t), v)
                                     for t, v in zip(texts, fresh_vectors, strict=True)])
    started = time.perf_counter()
    store.upsert_qa(pairs, fresh_vectors)
    report.store_seconds += time.perf_counter() - started
    report.stored += len(pairs)
    report.sources += len(sources)


def _file_result(outcome: Outcome[DocJob, FileResult]) -> FileResult:
    """The task's result; a missing library or model stops the run, other errors fail the file."""
    if outcome.error is None:
        return outcome.unwrap()
    if isinstance(outcome.error, MissingDependencyError | EmbeddingError):
        raise outcome.error
    job = outcome.item
    return FileResult(file=job.relative, sha256=file_sha256(Path(job.path)),
                      error=f"{type(outcome.error).__name__}: {outcome.error}")


def _check_vectors(result: FileResult, embedder: Embedder) -> None:
    if result.vectors is None:
        return
    if result.model_id != embedder.model_id:
        raise DocumentError(f"{result.file}: the worker embedded with {result.model_id!r}, "
                            f"this store uses {embedder.model_id!r}; give the workers the "
                            "same model")
    if result.vectors.shape != (len(result.chunks), embedder.dim):
        raise DocumentError(f"{result.file}: the worker returned vectors of shape "
                            f"{result.vectors.shape}, expected ({len(result.chunks)}, "
                            f"{embedder.dim})")


def add_documents(store: KnowledgeStore, folder: Path, embedder: Embedder, *,
                  batch_size: int = BATCH_SIZE, workers: int = 1, engine: str = "local",
                  address: str | None = None, embedder_spec: EmbedderSpec | None = None,
                  max_chars: int = MAX_CHARS, overlap: int = OVERLAP,
                  min_chars: int = MIN_CHARS, state_dir: Path | None = None,
                  restart: bool = False, progress: bool = False) -> DocsReport:
    """Add every document under ``folder`` to ``store``; resumable and deduplicated.

    Args:
        store: any knowledge store (embedded or Neo4j).
        folder: a folder of ``.pdf``, ``.md``, ``.html`` and ``.txt`` files (recursively).
        embedder: embeds each passage's heading and text (in this process, or rebuilt
            on each worker from its spec).
        batch_size: passages per write batch (and per embedding batch).
        workers: worker processes extracting, splitting and embedding files (local pool
            or local Dask cluster; 1 with ``engine="local"``: all in this process).
        engine: ``local`` or ``dask`` (:func:`sportsgpt.core.engine.map_unordered`).
        address: a running Dask scheduler to use instead of a local cluster.
        embedder_spec: how workers build the embedder (default: derived from
            ``embedder`` by :func:`worker_spec`).
        max_chars: longest passage, in characters.
        overlap: characters of the previous passage repeated at the start of the next.
        min_chars: shorter passages are dropped (and counted).
        state_dir: where finished files are recorded (default:
            :func:`~sportsgpt.graph_kb.ingest.default_state_dir` of ``folder``).
        restart: forget finished files and read everything again (stored passages
            are still not written twice).
        progress: show a tqdm progress bar (files) on stderr.

    Raises:
        DocumentError: ``folder`` is not a folder, a bad size option, an embedder that
            cannot be rebuilt on a worker, or worker vectors of another model.
        EngineError: an unknown engine, or an address with ``engine="local"``.
        MissingDependencyError: a format's library is missing (``pip install 'sportsgpt[docs]'``),
            or Dask for ``engine="dask"``.
    """
    from tqdm import tqdm

    from sportsgpt.graph_kb.ingest import default_state_dir

    folder = Path(folder)
    if batch_size < 1 or workers < 1 or min_chars < 0:
        raise DocumentError(f"need batch_size >= 1, workers >= 1, min_chars >= 0; got "
                            f"{batch_size}, {workers}, {min_chars}")
    check_engine(engine, workers, address)
    split_text("check the options", max_chars, overlap)
    in_process = engine == "local" and workers == 1
    spec = None
    if not in_process:
        threads = None if address else max(1, (os.cpu_count() or 1) // workers)
        spec = embedder_spec or worker_spec(embedder, batch_size=batch_size,
                                            torch_threads=threads)
    started = time.perf_counter()
    report = DocsReport(folder=str(folder), engine=engine, workers=workers)
    files = find_documents(folder)
    report.files = len(files)
    done = _Done(state_dir or default_state_dir(store, folder), restart)
    jobs = []
    for path, relative in files:
        if (relative, file_sha256(path)) in done.done:
            report.files_done_before += 1
        else:
            jobs.append(DocJob(path=str(path), relative=relative, max_chars=max_chars,
                               overlap=overlap, min_chars=min_chars, embed=spec))
    seen: set[str] = set()
    waiting: dict[int, FileResult] = {}  # finished out of order: stored in file order
    next_index = 0
    with tqdm(total=len(jobs), unit="file", disable=not progress, desc="add-docs") as bar:
        extract_started = time.perf_counter()
        outcomes = map_unordered(process_job, jobs, engine=engine, workers=workers,
                                 address=address) if jobs else iter(())
        for outcome in outcomes:
            report.extract_seconds += time.perf_counter() - extract_started
            waiting[outcome.index] = _file_result(outcome)
            while next_index in waiting:
                result = waiting.pop(next_index)
                next_index += 1
                _store_file(store, embedder, result, seen, batch_size, report)
                if result.error is None:
                    done.add(result)
                bar.update(1)
            extract_started = time.perf_counter()
    report.seconds = time.perf_counter() - started
    return report


def _store_file(store: KnowledgeStore, embedder: Embedder, result: FileResult,
                seen: set[str], batch_size: int, report: DocsReport) -> None:
    if result.error is not None:
        if len(report.files_failed) < MAX_FAILURES_LISTED:
            report.files_failed.append(FailedFile(file=result.file, error=result.error))
        return
    _check_vectors(result, embedder)
    report.chunks += len(result.chunks)
    report.short_dropped += result.short_dropped
    report.worker_embed_seconds += result.embed_seconds
    batch: list[DocChunk] = []
    rows: list[int] = []
    for row, chunk in enumerate(result.chunks):
        if chunk.id in seen:
            report.duplicate_chunks += 1
            continue
        seen.add(chunk.id)
        batch.append(chunk)
        rows.append(row)
        if len(batch) >= batch_size:
            write_chunks(store, embedder, batch, report, _rows(result.vectors, rows))
            batch, rows = [], []
    write_chunks(store, embedder, batch, report, _rows(result.vectors, rows))


def _rows(vectors: FloatMatrix | None, rows: list[int]) -> FloatMatrix | None:
    return None if vectors is None else vectors[rows]


# -------------------------------------------------------------------------------- CLI
def add_docs_parser(kb_subparsers: Any) -> argparse.ArgumentParser:
    """Add ``kb add-docs FOLDER`` to the ``kb`` sub-command's subparsers (the CLI sets ``func``)."""
    p: argparse.ArgumentParser = kb_subparsers.add_parser(
        "add-docs", help="add your PDF, Markdown, HTML and text documents (cited by page)")
    p.add_argument("folder", help="folder of .pdf, .md, .html and .txt files (recursive)")
    p.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                   help="passages per embedding batch")
    p.add_argument("--engine", choices=ENGINES, default="local",
                   help="local processes (default), or a Dask cluster")
    p.add_argument("--address", help="cluster address for --engine dask (default: start "
                                     "a local cluster)")
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes (local cluster); more than 1, or --engine dask: "
                        "each worker extracts and embeds whole files")
    p.add_argument("--max-chars", type=int, default=MAX_CHARS, help="longest passage")
    p.add_argument("--restart", action="store_true",
                   help="read every file again, also those finished before")
    p.add_argument("--model", help="sentence-transformers model name or path "
                                   "(default: the packaged all-MiniLM-L6-v2)")
    p.add_argument("--no-progress", action="store_true")
    return p
