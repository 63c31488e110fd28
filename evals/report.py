"""Summaries and reports of an eval run: ``summary.json``, Markdown, HTML, plots.

Everything is computed again from ``cases.jsonl`` (the audit trail), so a resumed run
reports on every case it holds. Systems are compared on identical cases: the summary of
each system covers the case ids that every runnable system answered.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sportsgpt.evals.scorers import citations, content, diagnosis, likert, numbers

PLUMBING_NOTE = ("tiny random model: a plumbing check (the pipeline runs end to end), "
                 "not a quality claim")


def load_records(out: Path) -> list[dict[str, Any]]:
    """Every record of ``out/cases.jsonl``."""
    path = out / "cases.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def summarise_system(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One system's scores over its rows (each scorer on its own)."""
    if rows and not all(r["response"]["runnable"] for r in rows):
        return {"runnable": False, "n_cases": len(rows),
                "reason": next(r["response"]["error"] for r in rows
                               if not r["response"]["runnable"])}
    diag = [diagnosis.CaseDiagnosis.model_validate(r["scores"]["diagnosis"])
            for r in rows if "diagnosis" in r["scores"]]
    cites = [citations.CaseCitations.model_validate(r["scores"]["citations"]) for r in rows]
    nums = [numbers.CaseNumbers.model_validate(r["scores"]["numbers"])
            for r in rows if "numbers" in r["scores"]]
    cont = [content.CaseContent.model_validate(r["scores"]["content"]) for r in rows]
    prox = [likert.Proxies.model_validate(r["scores"]["proxies"]) for r in rows]
    out: dict[str, Any] = {
        "runnable": True, "n_cases": len(rows),
        "fallback_share": _share([r["response"].get("fallback") for r in rows]),
        "diagnosis": diagnosis.summarise(diag).model_dump(),
        "citations": citations.summarise(cites).model_dump(),
        "numbers": numbers.summarise(nums).model_dump(),
        "content": content.summarise(cont).model_dump(),
        "proxies": likert.summarise_proxies(prox).model_dump(),
    }
    judged = [likert.LikertScore.model_validate(r["scores"]["likert"])
              for r in rows if "likert" in r["scores"]]
    if judged:
        out["likert"] = likert.summarise_judge(judged).model_dump()
    return out


def _share(values: Sequence[bool | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(sum(got) / len(got), 4) if got else None


def summarise(records: Sequence[dict[str, Any]], config: dict[str, Any]) -> dict[str, Any]:
    """The run's summary: per system, on the cases every runnable system answered."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by.setdefault(r["system"], []).append(r)
    runnable = [s for s, rows in by.items() if all(r["response"]["runnable"] for r in rows)]
    common = set.intersection(*({r["case"]["id"] for r in by[s]} for s in runnable)) \
        if runnable else set()
    systems = {s: summarise_system([r for r in rows if r["case"]["id"] in common]
                                   if s in runnable else rows) for s, rows in by.items()}
    return {"config": config, "n_cases": len(common), "case_ids": sorted(common),
            "systems": systems}


def write_reports(out: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Write ``summary.json``, ``report.md``, ``report.html`` and the plots."""
    records = load_records(out)
    summary = summarise(records, config)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    plots = _plots(out, summary)
    (out / "report.md").write_text(render_markdown(summary, plots), encoding="utf-8")
    (out / "report.html").write_text(render_html(summary, plots), encoding="utf-8")
    return summary


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _get(data: dict[str, Any], dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


ROWS = (
    ("diagnosis.macro_f1", "diagnosis: macro-F1"),
    ("diagnosis.top1", "diagnosis: top-1"),
    ("diagnosis.clean_false_alarms", "diagnosis: clean false alarms (lower is better)"),
    ("diagnosis.any_fault_detection", "diagnosis: any-fault detection (UI-PRMD incorrect)"),
    ("citations.precision", "citations: precision (exist and retrieved)"),
    ("citations.invented", "citations: invented references"),
    ("citations.supported", "citations: claims supported (judge)"),
    ("numbers.faithful", "numbers: athlete numbers matching measurements"),
    ("numbers.checked", "numbers: athlete numbers checked"),
    ("content.mention_recall", "content: required facts mentioned"),
    ("content.source_recall", "content: required sources cited"),
    ("content.probe_accuracy", "content: SportQA probe accuracy"),
    ("proxies.domain_terms", "proxy: domain terms"),
    ("proxies.dosage", "proxy: dosage specificity"),
    ("proxies.safety", "proxy: safety notes"),
    ("proxies.own_numbers", "proxy: athlete's own numbers"),
    *((f"likert.mean.{d}", f"judge Likert: {d} (1-5)") for d in likert.DIMENSIONS),
    *((f"likert.mean_sd.{d}", f"judge SD: {d}") for d in likert.DIMENSIONS),
    ("fallback_share", "coach: composer answered instead of the model"),
)


def _table(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    systems = summary["systems"]
    head = ["measure", *systems]
    rows = []
    for key, label in ROWS:
        values = [_get(s, key) if s.get("runnable") else None for s in systems.values()]
        if all(v is None for v in values):
            continue
        rows.append([label, *(_fmt(v) for v in values)])
    return head, rows


def _notes(summary: dict[str, Any]) -> list[str]:
    notes = []
    for name, s in summary["systems"].items():
        if not s.get("runnable"):
            notes.append(f"{name}: not runnable: {s.get('reason')}")
    cfg = summary["config"]
    if "tiny" in f"{cfg.get('model')} {cfg.get('model_path')}".lower():
        notes.append(PLUMBING_NOTE)
    notes.append("Proxies are deterministic text counts, not the Likert scale; the Likert "
                 "rows appear only when a judge was configured.")
    sup = [s.get("citations", {}).get("supported_note") for s in summary["systems"].values()
           if s.get("runnable")]
    if sup:
        notes.append(f"Citation support: {sup[0]}.")
    return notes


def render_markdown(summary: dict[str, Any], plots: Sequence[Path] = ()) -> str:
    """The report as Markdown: side-by-side table, per-fault tables, confusion matrices."""
    cfg = summary["config"]
    head, rows = _table(summary)
    lines = ["# SportsGPT eval report", ""]
    if cfg.get("label"):
        lines += [f"> **{cfg['label']}**", ""]
    lines += [f"Command: `{cfg.get('command')}`", "",
             f"Cases: {summary['n_cases']} identical cases per system (`{cfg.get('cases')}`, "
             f"sha256 {str(cfg.get('cases_sha256'))[:12]}); backend `{cfg.get('backend')}`; "
             f"judge `{(cfg.get('judge') or {}).get('model', 'none')}`; seed {cfg.get('seed')}.",
             "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines += ["", *(f"- {n}" for n in _notes(summary))]
    for name, s in summary["systems"].items():
        if not s.get("runnable"):
            continue
        per = s["diagnosis"]["per_fault"]
        if per:
            lines += ["", f"## {name}: per fault", "",
                      "| fault | TP | FP | FN | precision | recall | F1 |",
                      "|---|---|---|---|---|---|---|"]
            lines += [f"| {f} | {v['tp']} | {v['fp']} | {v['fn']} | {_fmt(v['precision'])} "
                      f"| {_fmt(v['recall'])} | {_fmt(v['f1'])} |" for f, v in per.items()]
        conf = s["diagnosis"]["confusion"]
        if conf:
            cols = sorted({c for row in conf.values() for c in row})
            lines += ["", f"### {name}: confusion (true label → first named fault)", "",
                      "| true \\ named | " + " | ".join(cols) + " |",
                      "|" + "---|" * (len(cols) + 1)]
            lines += [f"| {t} | " + " | ".join(str(conf[t].get(c, "")) for c in cols) + " |"
                      for t in sorted(conf)]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p.stem}](plots/{p.name})" for p in plots]
    return "\n".join(lines) + "\n"


def render_html(summary: dict[str, Any], plots: Sequence[Path] = ()) -> str:
    """The same report as a standalone HTML page."""
    head, rows = _table(summary)
    e = html.escape
    cfg = summary["config"]
    parts = ["<!doctype html><meta charset='utf-8'><title>SportsGPT eval report</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px}"
             "</style>", "<h1>SportsGPT eval report</h1>",
             *([f"<p><strong>{e(str(cfg['label']))}</strong></p>"] if cfg.get("label") else []),
             f"<p>Command: <code>{e(str(cfg.get('command')))}</code></p>",
             f"<p>{summary['n_cases']} identical cases per system; backend "
             f"<code>{e(str(cfg.get('backend')))}</code>.</p>",
             "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>"]
    parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
    parts += ["</table><ul>"] + [f"<li>{e(n)}</li>" for n in _notes(summary)] + ["</ul>"]
    for name, s in summary["systems"].items():
        if not s.get("runnable") or not s["diagnosis"]["per_fault"]:
            continue
        parts.append(f"<h2>{e(name)}: per fault</h2><table><tr><th>fault</th><th>TP</th>"
                     "<th>FP</th><th>FN</th><th>precision</th><th>recall</th><th>F1</th></tr>")
        parts += [f"<tr><td>{e(f)}</td><td>{v['tp']}</td><td>{v['fp']}</td><td>{v['fn']}</td>"
                  f"<td>{_fmt(v['precision'])}</td><td>{_fmt(v['recall'])}</td>"
                  f"<td>{_fmt(v['f1'])}</td></tr>"
                  for f, v in s["diagnosis"]["per_fault"].items()]
        parts.append("</table>")
    parts += [f"<h3>{e(p.stem)}</h3><img src='plots/{e(p.name)}' style='max-width:100%'>"
              for p in plots]
    return "\n".join(parts) + "\n"


def _plots(out: Path, summary: dict[str, Any]) -> list[Path]:
    """Confusion matrices per system and a bar chart of macro-F1 (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    folder = out / "plots"
    folder.mkdir(exist_ok=True)
    made: list[Path] = []
    runnable = {n: s for n, s in summary["systems"].items() if s.get("runnable")}
    for name, s in runnable.items():
        conf = s["diagnosis"]["confusion"]
        if not conf:
            continue
        rows = sorted(conf)
        cols = sorted({c for r in conf.values() for c in r})
        grid = np.array([[conf[r].get(c, 0) for c in cols] for r in rows], dtype=float)
        fig, ax = plt.subplots(figsize=(1.2 + 0.6 * len(cols), 1.0 + 0.45 * len(rows)))
        ax.imshow(grid, cmap="Blues")
        ax.set_xticks(range(len(cols)), cols, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(len(rows)), rows, fontsize=7)
        for (i, j), v in np.ndenumerate(grid):
            if v:
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=7)
        ax.set_title(f"{name}: true label vs first named fault", fontsize=8)
        fig.tight_layout()
        path = folder / f"confusion_{name.replace(':', '_')}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    f1 = {n: s["diagnosis"]["macro_f1"] for n, s in runnable.items()
          if s["diagnosis"]["macro_f1"] is not None}
    if f1:
        fig, ax = plt.subplots(figsize=(1.5 + 0.8 * len(f1), 2.6))
        ax.bar(list(f1), list(f1.values()), color="#4477aa")
        ax.set_ylim(0, 1)
        ax.set_ylabel("macro-F1")
        ax.tick_params(axis="x", labelsize=7, rotation=30)
        fig.tight_layout()
        path = folder / "macro_f1.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        made.append(path)
    return made
