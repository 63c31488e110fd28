"""Documents benchmark: extraction, embedding and ingest throughput per worker (chunks/s).

Usage::

    .venv/bin/python benchmarks/kb_docs.py [--books 6] [--pages 40] [--qa 600]
                                           [--out benchmarks/results/kb_docs.md]

A seeded synthetic library is written to a temporary folder: ``--books`` PDFs of
``--pages`` pages (reportlab, about 2,900 characters of coaching prose per page,
a book-like density, with an outline entry per chapter) plus one Markdown and one
HTML file per book. Then, each timed on this machine:

1. **Extraction** (pypdf / markdown-it-py / beautifulsoup4 + splitting), all files,
   with 1 and 2 local worker processes: chunks/s and pages/s.
2. **Embedding** with the packaged all-MiniLM-L6-v2 (sentence-transformers, CPU),
   batches of 64: chunk texts (about 1,100 characters, truncated by the model at
   256 word pieces) and the curated QA pairs' texts (short), at 1 and 2 torch
   threads; texts/s.
3. **Store writes** of precomputed vectors into the embedded store in batches of
   64 (sources first, then passages): chunks/s.
4. **End to end**: ``add_documents`` with the real model into a fresh embedded store.
5. **Engines** (``kb add-docs --engine local|dask --workers 1|2``): extraction, embedding
   and ingest of the whole library into a fresh in-memory embedded store, chunks/s; the
   plain local run (one process, the caller embeds) against a local process pool and a
   local Dask cluster whose workers extract *and embed* whole files. The embedder is the
   packaged all-MiniLM-L6-v2 when it is installed (local files, never downloaded), else
   the hashing test embedder; the report says which. The load average is recorded
   before each run.

The projection for 200 books plus 50,000 QA pairs is computed from these rates
and written below the tables. The load average at the start of each run is recorded,
so a run that shared the cores with other jobs says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from sportsgpt.core.errors import MissingDependencyError
from sportsgpt.graph_kb.documents import (
    DocChunk,
    add_documents,
    find_documents,
    process_file,
    write_chunks,
)
from sportsgpt.graph_kb.embedded import EmbeddedStore
from sportsgpt.graph_kb.embeddings import (
    Embedder,
    EmbeddingError,
    HashingEmbedder,
    SentenceTransformerEmbedder,
    qa_text,
)

ENGINE_RUNS: tuple[tuple[str, int], ...] = (("local", 1), ("local", 2), ("dask", 1), ("dask", 2))
"""(engine, workers) of the engine rows; ("local", 1) is the plain local run."""

_WORD_TEXT = """athlete knee hip ankle landing takeoff squat jump force ground contact time
drill cue progression load tempo depth valgus trunk flexion extension power strength coach
session volume recovery tendon stiffness reactive elastic rate plyometric eccentric concentric
velocity technique error correction mobility stability balance posture alignment the a of
and to with in on for during after before while should must can keep avoid increase
reduce"""
WORDS = _WORD_TEXT.split()
PAGE_CHARS = 2900


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def _page(rng: random.Random) -> list[str]:
    text, lines = "", []
    while len(text) < PAGE_CHARS:
        text += _sentence(rng) + " "
    for i in range(0, len(text), 95):
        lines.append(text[i:i + 95])
    return lines


def write_library(folder: Path, books: int, pages: int, seed: int = 7) -> int:
    """Write the synthetic library; the number of PDF pages."""
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    for b in range(books):
        c = canvas.Canvas(str(folder / f"book{b:02d}.pdf"))
        c.setTitle(f"Coaching Book {b}")
        c.setAuthor("A. Author; B. Author")
        for p in range(pages):
            if p % 10 == 0:
                c.bookmarkPage(f"ch{p}")
                c.addOutlineEntry(f"Chapter {p // 10 + 1}", f"ch{p}", level=0)
            c.setFont("Helvetica", 7)
            y = 800
            for line in _page(rng):
                c.drawString(40, y, line)
                y -= 9
            c.showPage()
        c.save()
        body = "\n\n".join(" ".join(_page(rng)) for _ in range(3))
        (folder / f"notes{b:02d}.md").write_text(
            f"# Notes {b}\n\n## Landing\n\n{body}\n\n## Takeoff\n\n{body[::-1]}\n")
        (folder / f"page{b:02d}.html").write_text(
            f"<html><head><title>Page {b}</title></head><body><h2>Drills</h2>"
            f"<p>{body}</p></body></html>")
    return books * pages


def time_extraction(folder: Path, workers: int) -> tuple[float, list[DocChunk]]:
    """Seconds to extract and split every file with ``workers`` processes, and the chunks."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    files = find_documents(folder)
    started = time.perf_counter()
    if workers == 1:
        results = [process_file(p, r) for p, r in files]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(process_file, [p for p, _ in files], [r for _, r in files]))
    seconds = time.perf_counter() - started
    return seconds, [c for r in results for c in r.chunks]


def time_embedding(model: SentenceTransformerEmbedder, texts: Sequence[str],
                   threads: int) -> tuple[float, float]:
    """Texts per wall second and per CPU second at ``threads`` torch threads (batches of 64)."""
    import torch

    torch.set_num_threads(threads)
    model.embed(list(texts[:64]))  # warm-up
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 64):
        model.embed(list(texts[i:i + 64]))
    return (len(texts) / (time.perf_counter() - started),
            len(texts) / (time.process_time() - cpu))


def time_store(chunks: list[DocChunk], folder: Path) -> float:
    """Chunks per second written to a fresh on-disk embedded store (vectors precomputed)."""
    from sportsgpt.graph_kb.documents import DocsReport

    emb = HashingEmbedder(384)
    vectors = emb.embed([qa_text(c.heading(), c.text) for c in chunks])

    class Precomputed:
        model_id, dim = emb.model_id, 384

        def __init__(self) -> None:
            self.at = 0

        def embed(self, texts: Sequence[str]) -> object:
            out = vectors[self.at:self.at + len(texts)]
            self.at += len(texts)
            return out

    store, report, pre = EmbeddedStore(folder / "store"), DocsReport(folder="-"), Precomputed()
    started = time.perf_counter()
    for i in range(0, len(chunks), 64):
        write_chunks(store, pre, chunks[i:i + 64], report)  # type: ignore[arg-type]
    return len(chunks) / (time.perf_counter() - started)


class EngineRow(BaseModel):
    """One ``add_documents`` run on an engine."""

    engine: str
    workers: int
    seconds: float
    chunks: int
    stored: int
    load: float
    embed_seconds: float
    worker_embed_seconds: float
    slowest_seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Chunks stored per wall second."""
        return self.stored / self.seconds


def bench_embedder() -> tuple[Embedder, str]:
    """The packaged all-MiniLM-L6-v2 when installed (never downloaded), else the hashing one."""
    try:
        return SentenceTransformerEmbedder(), "all-MiniLM-L6-v2 (packaged model, local files)"
    except (MissingDependencyError, EmbeddingError) as exc:
        return HashingEmbedder(384), f"hashing embedder (test double: {exc})"


def time_engines(library: Path, embedder: Embedder, tmp: Path,
                 repeats: int) -> list[EngineRow]:
    """Extraction + embedding + ingest of ``library`` on each of :data:`ENGINE_RUNS`.

    Each configuration runs ``repeats`` times in turn (all configurations, then again);
    the fastest run of each is kept, with the load average at its start.
    """
    best: dict[tuple[str, int], EngineRow] = {}
    for attempt in range(repeats):
        for engine, workers in ENGINE_RUNS:
            load = os.getloadavg()[0]
            started = time.perf_counter()
            report = add_documents(EmbeddedStore(None), library, embedder, engine=engine,
                                   workers=workers,
                                   state_dir=tmp / f"state-{engine}-{workers}-{attempt}")
            row = EngineRow(engine=engine, workers=workers,
                            seconds=time.perf_counter() - started, chunks=report.chunks,
                            stored=report.stored, load=load,
                            embed_seconds=report.embed_seconds,
                            worker_embed_seconds=report.worker_embed_seconds)
            old = best.get((engine, workers))
            slowest = max(row.seconds, old.slowest_seconds if old else 0.0)
            if old is None or row.seconds < old.seconds:
                best[engine, workers] = row
            best[engine, workers].slowest_seconds = slowest
    return [best[run] for run in ENGINE_RUNS]


def curated_qa_texts() -> list[str]:
    """The curated QA pairs' embedded texts (question + answer)."""
    from sportsgpt.graph_kb import build

    path = Path(build.__file__).parent / "data" / "qa_pairs.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [qa_text(r["question"], r["answer"]) for r in rows]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=6)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--qa", type=int, default=600, help="QA texts embedded")
    parser.add_argument("--embed-chunks", type=int, default=512, help="chunk texts embedded")
    parser.add_argument("--engine-repeats", type=int, default=2,
                        help="runs per engine row (the fastest is kept)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/kb_docs.md"))
    args = parser.parse_args(argv)
    command = "python benchmarks/kb_docs.py " + " ".join(argv or sys.argv[1:])
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "library"
        library.mkdir()
        pdf_pages = write_library(library, args.books, args.pages)
        n_files = len(find_documents(library))
        extract: dict[int, float] = {}
        chunks: list[DocChunk] = []
        for workers in (1, 2):
            extract[workers], chunks = time_extraction(library, workers)
        pdf_chunks = sum(1 for c in chunks if c.meta.format == "pdf")
        model = SentenceTransformerEmbedder()
        chunk_texts = [qa_text(c.heading(), c.text) for c in chunks[:args.embed_chunks]]
        qa_texts = (curated_qa_texts() * (args.qa // 300 + 1))[:args.qa]
        embed = {(kind, th): time_embedding(model, texts, th)
                 for kind, texts in (("chunks", chunk_texts), ("qa", qa_texts))
                 for th in (1, 2)}
        store_rate = time_store(chunks, Path(tmp))
        e2e_lib = Path(tmp) / "e2e"
        e2e_lib.mkdir()
        write_library(e2e_lib, 1, args.pages, seed=11)
        import torch

        torch.set_num_threads(2)
        report = add_documents(EmbeddedStore(Path(tmp) / "e2e-store"), e2e_lib, model,
                               state_dir=Path(tmp) / "state")
        engine_embedder, engine_model = bench_embedder()
        engines = time_engines(library, engine_embedder, Path(tmp), args.engine_repeats)
    total = time.perf_counter() - t0
    text = render(args, command, load, total, n_files, pdf_pages, pdf_chunks, len(chunks),
                  extract, embed, store_rate, report.stored, report.seconds)
    text += render_engines(engines, engine_model, os.getloadavg()[0], book_chunks(
        pdf_chunks / pdf_pages), store_rate, args.engine_repeats)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


def render(args: argparse.Namespace, command: str, load: float, total: float, n_files: int,
           pdf_pages: int, pdf_chunks: int, n_chunks: int, extract: dict[int, float],
           embed: dict[tuple[str, int], tuple[float, float]], store_rate: float, e2e_chunks: int,
           e2e_seconds: float) -> str:
    """The Markdown report with its projection."""
    import sentence_transformers
    import torch

    per_page = pdf_chunks / pdf_pages
    ext1 = n_chunks / extract[1]
    # per CPU second at 1 thread, times 2 cores: an idle 2-core machine (wall-clock rates
    # include whatever else runs on it; see the load average)
    emb_chunks, emb_qa = 2 * embed[("chunks", 1)][1], 2 * embed[("qa", 1)][1]
    e2e = e2e_chunks / e2e_seconds
    book_chunks = 200 * 300 * per_page
    qa = 50_000
    embed_hours = (book_chunks / emb_chunks + qa / emb_qa) / 3600
    extract_hours = book_chunks / ext1 / 3600
    store_hours = (book_chunks + qa) / store_rate / 3600
    lines = [
        "# Documents in the knowledge base: extraction, embedding and ingest throughput",
        "",
        f"Made by: `{command.strip()}` in {total:.0f} s on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}, torch "
        f"{torch.__version__}, sentence-transformers {sentence_transformers.__version__}); "
        f"load average at start {load:.2f}.",
        "",
        f"Library: {args.books} synthetic PDFs of {args.pages} pages ({pdf_pages} pages, "
        f"about {PAGE_CHARS} characters each) plus {2 * args.books} Markdown/HTML files: "
        f"{n_files} files, {n_chunks} chunks ({pdf_chunks} from PDFs: {per_page:.2f} per "
        "page at the default 1,200-character passages).",
        "",
        "## Extraction and splitting (pypdf, markdown-it-py, beautifulsoup4)",
        "",
        "| worker processes | seconds | chunks/s | PDF pages/s | chunks/s per worker |",
        "|---:|---:|---:|---:|---:|",
    ]
    for w in (1, 2):
        rate = n_chunks / extract[w]
        lines.append(f"| {w} | {extract[w]:.1f} | {rate:.0f} | {pdf_pages / extract[w]:.0f} "
                     f"| {rate / w:.0f} |")
    lines += [
        "",
        "2 workers include spawning the processes (imports) once per run.",
        "",
        "## Embedding (all-MiniLM-L6-v2, CPU, batches of 64)",
        "",
        "| texts | torch threads | texts/s (wall) | texts per CPU second |",
        "|---|---:|---:|---:|",
    ]
    for (kind, th), (rate, cpu_rate) in embed.items():
        label = ("document chunks (~1,100 chars)" if kind == "chunks"
                 else "QA pairs (question + answer)")
        lines.append(f"| {label} | {th} | {rate:.1f} | {cpu_rate:.1f} |")
    lines += [
        "",
        "## Store writes and end to end",
        "",
        "| step | chunks/s |",
        "|---|---:|",
        f"| embedded store writes, precomputed vectors, batches of 64 | {store_rate:.0f} |",
        f"| `add_documents` end to end (1 book, {e2e_chunks} chunks, real model, 2 threads) "
        f"| {e2e:.1f} |",
        "",
        "## Projection: 200 books plus 50,000 QA pairs",
        "",
        "Embedding rates for an idle 2-core machine are taken as twice the texts per CPU "
        f"second at one thread ({emb_chunks:.1f} chunks/s, {emb_qa:.1f} QA texts/s): the "
        "wall-clock rates above include whatever else ran (see the load average). The issue's "
        "figure for all-MiniLM-L6-v2 is about 60 (short) texts/s per 2-core machine.",
        "",
        f"Assumptions: 300 pages per book at {per_page:.2f} chunks per page (the density "
        f"measured above) gives {book_chunks:,.0f} chunks; 50,000 QA pairs embed at the QA "
        "rate. Embedding dominates: extraction is "
        f"{ext1 / emb_chunks:.0f}x faster than embedding per worker and store writes "
        f"{store_rate / emb_chunks:.0f}x faster.",
        "",
        f"- Extraction on one 2-core machine, one process: {extract_hours:.2f} h "
        f"({extract_hours / 2:.2f} h with 2 worker processes if it scales).",
        "- Embedding on one idle 2-core machine (from the per-CPU-second rate): "
        f"{embed_hours:.1f} h "
        f"({book_chunks / emb_chunks / 3600:.1f} h for the books, "
        f"{qa / emb_qa / 3600:.1f} h for the QA pairs).",
        f"- Store writes (embedded store, one writer): {store_hours:.2f} h.",
        f"- On N such machines embedding in parallel (the writes stay on one writer, which "
        f"keeps up): about {embed_hours:.1f}/N h, e.g. {embed_hours / 4:.1f} h on 4 "
        f"machines, {embed_hours / 8:.1f} h on 8; {max(1, round(embed_hours))} machines "
        "finish in about an hour.",
        "- One GPU embeds MiniLM at thousands of texts/s, which would make the whole "
        "ingest an extraction-bound job of well under an hour on one machine (not measured "
        "here).",
        "",
        "The QA pairs go in through `kb ingest`, which embeds in the calling process (not "
        "on the engine); the books go through `kb add-docs`, whose workers extract and "
        "embed (measured below).",
    ]
    return "\n".join(lines) + "\n"


def book_chunks(per_page: float) -> float:
    """Chunks of 200 books of 300 pages at the measured density."""
    return 200 * 300 * per_page


def render_engines(rows: list[EngineRow], model: str, load_end: float, books: float,
                   store_rate: float, repeats: int) -> str:
    """The engine table, the overheads and the projection they give for the books."""
    by = {(r.engine, r.workers): r for r in rows}
    plain = by[("local", 1)]
    lines = [
        "",
        "## Engines: extraction + embedding + ingest (`kb add-docs --engine ... --workers ...`)",
        "",
        f"Whole library ({plain.chunks} chunks, {plain.stored} stored after deduplication) "
        f"into a fresh in-memory embedded store; embedder: {model}. The plain local run "
        "is one process that extracts and embeds with the caller's (already loaded) "
        "model; every other row starts its workers, loads the model once in each, and "
        "moves chunks and vectors back to the caller, all inside the timed run. Torch "
        f"threads per worker: {os.cpu_count()} cores / workers. Fastest of {repeats} runs "
        "per row (the rows take turns); 'embedding s' is the time spent embedding, in the "
        "caller or summed over the workers.",
        "",
        "| engine | workers | seconds | slowest run s | chunks/s | speed vs plain local "
        "| embedding s | chunks/s per embedding s | load average at start |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        label = "local (plain, in-process)" if (r.engine, r.workers) == ("local", 1) \
            else r.engine
        embed_s = r.embed_seconds + r.worker_embed_seconds
        lines.append(f"| {label} | {r.workers} | {r.seconds:.1f} | {r.slowest_seconds:.1f} "
                     f"| {r.rate:.1f} | "
                     f"{plain.seconds / r.seconds:.2f}x | {embed_s:.1f} | "
                     f"{r.chunks / embed_s:.1f} | {r.load:.2f} |")
    d1, d2 = by[("dask", 1)], by[("dask", 2)]
    l2 = by[("local", 2)]
    best2 = max(d2.rate, l2.rate)
    per_worker = d2.chunks / d2.worker_embed_seconds
    lines += [
        "",
        f"Load average (1 min) at the end: {load_end:.2f}. The benchmark's own workers count "
        "in the load column (about 1 per busy worker); a load well above the worker count "
        "means other jobs shared the cores, and then two workers cannot be expected to "
        "beat one. The 'slowest run' column shows how much runs of the same row varied.",
        "",
        f"- Engine overhead against the plain local run: Dask with one worker takes "
        f"{d1.seconds - plain.seconds:+.1f} s ({d1.seconds / plain.seconds - 1:+.0%}), a "
        f"local pool of two {l2.seconds - plain.seconds:+.1f} s, Dask with two "
        f"{d2.seconds - plain.seconds:+.1f} s: cluster start, the model loaded in each "
        "worker, results moved back.",
        f"- Two workers against one on Dask: {d2.rate / d1.rate:.2f}x the chunks/s.",
        "",
        "### Projection for the books from these rows",
        "",
        f"200 books of 300 pages are about {books:,.0f} chunks.",
        "",
        f"- As measured end to end on this machine (the best 2-worker row, "
        f"{best2:.1f} chunks/s, start-up included): {books / best2 / 3600:.1f} h on one "
        f"machine; N such machines on one Dask cluster about {books / best2 / 3600:.1f}/N h "
        f"(e.g. {books / best2 / 3600 / 8:.1f} h on 8).",
        f"- Steady state: each of the two Dask workers embedded {per_worker:.1f} chunks per "
        "second of its own embedding time (one torch thread per worker; see the "
        "per-CPU-second projection above). "
        f"At that rate two workers per 2-core machine give about {2 * per_worker:.1f} "
        "chunks/s per machine: "
        f"{books / (2 * per_worker) / 3600:.1f} h for the books on one machine, "
        f"{books / (2 * per_worker) / 3600 / 8:.1f} h on 8, "
        f"{max(1, round(books / (2 * per_worker) / 3600))} machines for about an hour.",
        f"- The one writer stores about {store_rate:,.0f} chunks/s (precomputed vectors, "
        f"above), so it keeps up with about {store_rate / (2 * per_worker):,.0f} such "
        "machines; the start-up cost (cluster, one model load per worker) is paid once per "
        "run, not per book.",
        "- The 50,000 QA pairs are not on the engine (`kb ingest` embeds in the calling "
        "process): about 0.4 h on one idle machine, as projected above.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
