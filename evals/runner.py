r"""``sportsgpt eval``: run systems on a case file, score every answer, write the reports.

::

    sportsgpt eval --cases evals/data/ci_subset.jsonl --systems sportsgpt,baseline \\
        --backend openai --judge openai --out runs/eval1

Writes into ``--out``: ``config.json`` (command, seeds, systems and their configuration,
backend, judge, versions), ``cases.jsonl`` (one line per case and system: the inputs, the
answer and every score, appended as they finish, so a rerun skips what is done),
``summary.json``, ``report.md``, ``report.html`` and ``plots/``. Each scorer is reported
on its own; nothing is blended into one number.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sportsgpt.core.errors import SportsGPTError

if TYPE_CHECKING:
    from sportsgpt.api import SportsGPT
    from sportsgpt.evals.cases import EvalCase
    from sportsgpt.evals.records import Measurement, Response
    from sportsgpt.evals.systems import System

CASES_FILE = "cases.jsonl"
REMOTE_BACKENDS = ("openai",)


def add_eval_parser(sub: Any) -> None:
    """Add the ``eval`` command to the CLI's subparsers."""
    p = sub.add_parser("eval", help="run the eval suite: diagnosis, citations, numbers and "
                                    "professionalism of systems on a case file")
    p.add_argument("--cases", required=True, help="JSONL case file (evals/data/*.jsonl)")
    p.add_argument("--systems", default="sportsgpt,baseline",
                   help="comma-separated: sportsgpt, no_kismam, no_retrieval, no_graph, "
                        "baseline (default: sportsgpt,baseline)")
    p.add_argument("--backend", choices=("none", "openai", "transformers"),
                   help="LLM backend of every system (default: SPORTSGPT_LLM_BACKEND)")
    p.add_argument("--judge", choices=("none", "openai", "transformers"), default="none",
                   help="LLM judge backend for the Likert rubric and citation support "
                        "(default none: proxies only)")
    p.add_argument("--judge-model", help="judge model name (default: SPORTSGPT_LLM_MODEL)")
    p.add_argument("--judge-base-url", help="judge endpoint (default: SPORTSGPT_LLM_BASE_URL)")
    p.add_argument("--judge-repeats", type=int, default=2,
                   help="judgments per answer and presentation order (default 2)")
    p.add_argument("--responses", action="append", default=[],
                   help="JSONL of answers produced elsewhere, keyed by case_id (repeatable)")
    p.add_argument("--out", required=True, help="output folder (reruns resume in it)")
    p.add_argument("--limit", type=int, help="only the first N cases")
    p.add_argument("--concurrency", type=int, default=1,
                   help="parallel answers for a remote (openai) backend (default 1)")
    p.add_argument("--seed", type=int, default=0, help="recorded with the run")
    p.add_argument("--label", help="what the run is, printed at the top of the report and "
                                   "recorded in config.json (e.g. 'plumbing check: tiny "
                                   "random model, not a quality claim')")
    p.add_argument("--hashing-embedder", type=int, metavar="DIM",
                   help="use the offline hashing embedder of DIM dimensions (with its own "
                        "knowledge store in the cache's hashing-DIM folder) instead of the "
                        "configured model (fast, reproducible CI runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run_eval)


@dataclass
class CaseInputs:
    """What the systems are given for one case, and what it is scored against."""

    case: EvalCase
    recording: Path | None
    summary: str
    measurements: list[Measurement]
    analysis_error: str | None = None


def _prepare(ctx: SportsGPT, case: EvalCase, case_file: Path, out: Path) -> CaseInputs:
    from sportsgpt.api import analyze_file
    from sportsgpt.evals.cases import materialise
    from sportsgpt.evals.systems import measurements, plain_summary

    path = materialise(case, case_file, out)
    if path is None:
        return CaseInputs(case, None, "", [])
    try:
        analysis = analyze_file(path, case.movement or "auto", ctx=ctx)
    except SportsGPTError as exc:  # the systems still answer; the record says why
        return CaseInputs(case, path, "", [], analysis_error=str(exc))
    return CaseInputs(case, path, plain_summary(analysis), measurements(analysis))


def _config(args: argparse.Namespace, ctx: SportsGPT, systems: Sequence[System],
            case_file: Path) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        pkg = version("sportsgpt")
    except PackageNotFoundError:
        pkg = "unknown"
    llm = ctx.settings.llm
    return {
        "cases": str(args.cases), "cases_sha256": hashlib.sha256(
            case_file.read_bytes()).hexdigest(),
        "systems": {s.name: s.config() for s in systems},
        "backend": args.backend or llm.backend, "model": llm.model,
        "base_url": llm.base_url, "model_path": str(llm.model_path or ""),
        "judge": _judge_config(args, ctx),
        "seed": args.seed, "limit": args.limit, "label": getattr(args, "label", None),
        "sportsgpt_version": pkg,
        "embedder": getattr(ctx.embedder, "model_id", type(ctx.embedder).__name__),
        "command": "sportsgpt eval " + " ".join(_argv(args)),
    }


def _argv(args: argparse.Namespace) -> list[str]:
    out = [f"--cases {args.cases}", f"--systems {args.systems}"]
    for flag in ("backend", "judge", "judge_model", "judge_base_url", "limit",
                 "hashing_embedder"):
        value = getattr(args, flag, None)
        if value is not None and not (flag == "judge" and value == "none"):
            out.append(f"--{flag.replace('_', '-')} {value}")
    out += [f"--responses {r}" for r in args.responses]
    if getattr(args, "label", None):
        out.append(f"--label {shlex.quote(args.label)}")
    return [*out, f"--out {args.out}"]


def _judge_config(args: argparse.Namespace, ctx: SportsGPT) -> dict[str, Any] | None:
    if args.judge == "none":
        return None
    llm = ctx.settings.llm
    return {"backend": args.judge, "model": args.judge_model or llm.model,
            "base_url": args.judge_base_url or llm.base_url, "repeats": args.judge_repeats,
            "rubric": "prompts/judge_likert.yaml"}


class Judge:
    """The judge model (its own context: a model that may differ from the systems')."""

    def __init__(self, ctx: SportsGPT, args: argparse.Namespace) -> None:
        from sportsgpt.api import SportsGPT

        update: dict[str, Any] = {"backend": args.judge}
        if args.judge_model:
            update["model"] = args.judge_model
        if args.judge_base_url:
            update["base_url"] = args.judge_base_url
        settings = ctx.settings.model_copy(
            update={"llm": ctx.settings.llm.model_copy(update=update)})
        self.ctx = SportsGPT(settings, store=ctx.raw_store, embedder=ctx.embedder,
                             progress=None)
        self.repeats = args.judge_repeats
        llm, _info = self.ctx.chat_model()
        if llm is None:
            raise SportsGPTError(f"judge backend {args.judge!r} has no model")
        self.llm = llm

    def invoke(self, prompt: str) -> str:
        """One judge call; its reply text."""
        reply = self.llm.invoke(prompt)
        return reply.content if isinstance(reply.content, str) else str(reply.content)


def _support(judge: Judge | None, ctx: SportsGPT, response: Response,
             known: dict[str, Any]) -> tuple[float | None, str]:
    """Share of (claim, cited source) pairs the judge finds supported."""
    import re

    from sportsgpt.evals.scorers.likert import judge_support

    if judge is None:
        return None, "not scored: no judge configured and no offline NLI model installed"
    verdicts: list[bool] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", response.answer):
        for sid in re.findall(r"\[([^\]]+)\]", sentence):
            source = known.get(sid)
            if source is None or not source.supports:
                continue
            claim = re.sub(r"\[[^\]]+\]", "", sentence).strip()
            verdict = judge_support(judge.invoke, claim, source.title, source.supports)
            if verdict is not None:
                verdicts.append(verdict)
    if not verdicts:
        return None, "not scored: no judged claim-source pair"
    return sum(verdicts) / len(verdicts), "judged"


def score(ctx: SportsGPT, inputs: CaseInputs, response: Response,
          judge: Judge | None = None) -> dict[str, Any]:
    """Every score of one answer (each scorer separately)."""
    from sportsgpt.evals.scorers import citations, content, diagnosis, likert, numbers

    if not response.runnable:
        return {}
    cited = citations.cited_ids(response)
    real = [c for c in cited if not c.startswith("ref:")]
    known = {s.id: s for s in ctx.store.sources(real)} if real else {}
    cit = citations.score_case(response, known)
    cit.supported, cit.support_note = _support(judge, ctx, response, known)
    out: dict[str, Any] = {"citations": cit.model_dump()}
    if inputs.case.has_recording:
        out["diagnosis"] = diagnosis.score_case(inputs.case, response).model_dump()
        out["numbers"] = numbers.score_case(response.answer, inputs.measurements).model_dump()
    out["content"] = content.score_case(inputs.case, response).model_dump()
    out["proxies"] = likert.proxies(response.answer, inputs.measurements).model_dump()
    if judge is not None:
        reference = inputs.summary or "(no recording: a general question)"
        if inputs.case.must_mention:
            reference += "\nA good answer mentions: " + "; ".join(inputs.case.must_mention)
        out["likert"] = likert.judge_likert(judge.invoke, inputs.case.question, reference,
                                            response.answer,
                                            repeats=judge.repeats).model_dump()
    return out


def _done(path: Path) -> set[tuple[str, str]]:
    if not path.is_file():
        return set()
    done = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            done.add((row["system"], row["case"]["id"]))
    return done


def _systems(args: argparse.Namespace, backend: str) -> list[System]:
    from sportsgpt.evals.systems import ResponsesSystem, make_system

    names = [n.strip() for n in args.systems.split(",") if n.strip()]
    systems: list[System] = [make_system(n, backend) for n in names]
    systems += [ResponsesSystem(Path(r)) for r in args.responses]
    if not systems:
        raise SportsGPTError("no systems to evaluate: give --systems or --responses")
    return systems


def run_eval(args: argparse.Namespace, ctx: SportsGPT | None = None) -> int:
    """Run the eval described by ``args`` (see :func:`add_eval_parser`); 0 when done."""
    from sportsgpt.api import SportsGPT
    from sportsgpt.evals.cases import load_cases
    from sportsgpt.evals.report import write_reports

    case_file = Path(args.cases)
    cases = load_cases(case_file)[:args.limit] if args.limit else load_cases(case_file)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    own = ctx is None
    if ctx is None:
        embedder = None
        settings = None
        if args.hashing_embedder:
            from sportsgpt.core.settings import Settings
            from sportsgpt.graph_kb.embeddings import HashingEmbedder

            embedder = HashingEmbedder(args.hashing_embedder)
            # the user's store holds the real model's vectors: the hashing run gets its own
            base = Settings.from_env()
            settings = base.model_copy(update={
                "cache_dir": base.cache_dir / f"hashing-{args.hashing_embedder}"})
        ctx = SportsGPT(settings, embedder=embedder, progress=None)
    try:
        backend = args.backend or ctx.settings.llm.backend
        systems = _systems(args, backend)
        config = _config(args, ctx, systems, case_file)
        _check_resume(out / "config.json", config)
        (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        judge = Judge(ctx, args) if args.judge != "none" else None
        _run(ctx, cases, case_file, systems, out, judge, args, backend)
        write_reports(out, config)
    finally:
        if own:
            ctx.close()
    print(f"sportsgpt eval: wrote {out / 'summary.json'}, {out / 'report.md'} and "
          f"{out / 'report.html'}")
    return 0


def _check_resume(path: Path, config: dict[str, Any]) -> None:
    if not path.is_file():
        return
    old = json.loads(path.read_text(encoding="utf-8"))
    for key in ("cases_sha256", "backend", "model", "judge"):
        if old.get(key) != config.get(key):
            raise SportsGPTError(f"{path.parent} holds a run with a different {key} "
                                 f"({old.get(key)!r}, now {config.get(key)!r}): use a new "
                                 "--out folder")


def _run(ctx: SportsGPT, cases: Sequence[EvalCase], case_file: Path,
         systems: Sequence[System], out: Path, judge: Judge | None,
         args: argparse.Namespace, backend: str) -> None:
    from tqdm import tqdm

    records = out / CASES_FILE
    done = _done(records)
    todo = [(c, s) for c in cases for s in systems if (s.name, c.id) not in done]
    lock = threading.Lock()
    prepared: dict[str, CaseInputs] = {}
    bar = tqdm(total=len(todo), desc="eval", unit="answer", disable=args.no_progress)

    def one(case: EvalCase, system: System) -> None:
        with lock:
            if case.id not in prepared:
                prepared[case.id] = _prepare(ctx, case, case_file, out)
        inputs = prepared[case.id]
        response = system.run(ctx, inputs)
        row = {"case": case.model_dump(mode="json", exclude_defaults=True),
               "system": system.name,
               "recording_used": inputs.recording.name if inputs.recording else None,
               "summary": inputs.summary, "analysis_error": inputs.analysis_error,
               "measurements": [m.model_dump() for m in inputs.measurements],
               "response": response.model_dump(mode="json"),
               "scores": score(ctx, inputs, response, judge)}
        with lock:
            with records.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row) + "\n")
            bar.update(1)

    workers = max(1, args.concurrency) if backend in REMOTE_BACKENDS else 1
    try:
        if workers == 1:
            for case, system in todo:
                one(case, system)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for future in [pool.submit(one, c, s) for c, s in todo]:
                    future.result()
    finally:
        bar.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sportsgpt.evals.runner`` (the same options as ``sportsgpt eval``)."""
    parser = argparse.ArgumentParser(prog="sportsgpt eval")
    add_eval_parser(parser.add_subparsers())
    return run_eval(parser.parse_args(["eval", *(argv or [])]))


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
