"""Diagnosis accuracy of KISMAM on injected faults (CMU jumps) and UI-PRMD deep squats.

Usage::

    .venv/bin/python benchmarks/diagnosis.py [--quick] [--out benchmarks/results/diagnosis.md]

Protocol:

* **Injected faults (CMU jumps).** Every shared CMU jump is a test trial. Its
  template is built (``build_template``) from the *other* trials of its group,
  so a template never contains the recording under test: in-place jumps
  16_01-16_04 -> ``countermovement_jump``, forward jumps 16_05-16_10 and
  subject 118 -> ``standing_long_jump``. The template is built once per test
  trial and reused for its clean control and all its injected cases
  (:mod:`sportsgpt.evals.fault_injection`, magnitudes mild/moderate/severe).
  A fault is scored on a trial only when its id is in that movement's catalog
  (``graph_kb/movements/<movement>/catalog.json``) and, for faults with
  ``meaningful_trials`` (``limited_arm_swing``), only on those trials; every
  other combination is listed as skipped.
* **Detection.** A fault counts as detected when its ``fault_id`` is among the
  findings (any repetition) with severity ``moderate`` or ``severe``.
* **Recall** of fault f at magnitude m: share of f's injected cases at m that
  are detected. **Precision**: detections of f that are true, over the cases
  at m of every fault (and the clean controls) on trials whose catalog holds f.
  **Macro-F1**: mean of the per-fault F1 at that magnitude.
* **Clean controls.** Share of the unmodified expert recordings with any
  moderate or severe finding.
* **Splits.** Development = CMU subject 118 trials with odd numbers plus 16_01 and
  16_05, and UI-PRMD s01-s03; held-out = every other CMU trial and UI-PRMD s04-s05.
  KISMAM changes were made looking only at the development split; the held-out split
  is the headline. Every measure is also given per split and overall.
* **UI-PRMD deep squats.** Subjects s01-s05, episodes 1-10, correct and
  incorrect. Leave-one-subject-out: the ``deep_squat`` template is built from
  the other subjects' correct repetitions. ``assess(..., fallback_events=True)``.
  ROC AUC of ``squat_depth_knee_flexion`` (lower = incorrect; fixed direction,
  not flipped after the fact) and accuracy of "has a moderate or severe
  finding" (incorrect = has one).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.evals.fault_injection import FAULTS, MAGNITUDES, clean, inject
from sportsgpt.graph_kb.catalog import MovementCatalog, load_catalog
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.datasets import list_cmu_trials, load_cmu_trial, load_ui_prmd
from sportsgpt.tools.kismam.assess import assess, score_fault
from sportsgpt.tools.kismam.baseline import baseline_catalog, baseline_values
from sportsgpt.tools.kismam.models import AssessmentReport
from sportsgpt.tools.kismam.targets import ExpertValues, derive_catalog, expert_values
from sportsgpt.tools.motion import AngleSequence, MotionSequence
from sportsgpt.tools.motiondtw.features import motion_channels
from sportsgpt.tools.motiondtw.templates import Template, build_template

IN_PLACE = ("16_01", "16_02", "16_03", "16_04")
FLAG = ("moderate", "severe")
TARGETS = {"macro_f1": 0.90, "clean_flagged": 0.10, "auc": 0.90, "accuracy": 0.85}
SUBJECTS = (1, 2, 3, 4, 5)
EPISODES = tuple(range(1, 11))
QUICK_TRIALS = ["16_01", "16_03", "16_06", "118_04", "118_13", "118_22"]
QUICK_EPISODES = (1, 2, 3)
DEPTH = "squat_depth_knee_flexion"
DEV_TRIALS = (*(f"118_{i:02d}" for i in range(1, 30, 2)), "16_01", "16_05")
"""Development split of the CMU trials (subject 118 odd trial numbers, 16_01, 16_05): the
only jumps looked at while changing KISMAM; every other trial is held out."""
DEV_SUBJECTS = (1, 2, 3)
"""Development split of UI-PRMD (s01-s03); s04-s05 are held out."""
SPLITS = ("held-out", "development", "all")


def split_of(trial: str) -> str:
    """``development`` or ``held-out`` for a CMU trial."""
    return "development" if trial in DEV_TRIALS else "held-out"


def in_split(name: str, split: str) -> bool:
    """Whether a trial's split is ``split`` (``all`` holds every trial)."""
    return split == "all" or split_of(name) == split


def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Counts, most frequent first, ties by name (sets iterate in hash order)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def log(msg: str) -> None:
    """Progress line on stderr."""
    print(msg, file=sys.stderr, flush=True)


def group(trial: str) -> str:
    """The movement a CMU trial is assessed as."""
    return "countermovement_jump" if trial in IN_PLACE else "standing_long_jump"


@dataclass
class Case:
    """One assessed recording and what was flagged."""

    trial: str
    movement: str
    fault: str | None
    magnitude: str | None
    flagged: set[str] = field(default_factory=set)
    confidence: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    from_events: bool = False
    arm_skipped: bool = False
    arms_still: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    units: dict[str, tuple[float, str, float]] = field(default_factory=dict)
    seconds: float = 0.0


def flagged_of(reports: list[AssessmentReport]) -> tuple[set[str], dict[str, float]]:
    """Fault ids with a moderate or severe finding in any repetition, and their confidence."""
    out: dict[str, float] = {}
    for rep in reports:
        for f in rep.findings:
            if f.severity in FLAG:
                out[f.fault_id] = max(out.get(f.fault_id, 0.0), f.confidence)
    return set(out), out


def fault_scores(reports: list[AssessmentReport], catalog: MovementCatalog
                 ) -> tuple[dict[str, float], dict[str, tuple[float, str, float]]]:
    """Each fault's score (SMC beyond the bound of its deciding metric), the highest over the
    repetitions, and that metric's distance beyond its bound in its own unit and its z."""
    out: dict[str, float] = {}
    units: dict[str, tuple[float, str, float]] = {}
    for rep in reports:
        results = {m.id: m for m in rep.metrics}
        for fault in catalog.faults:
            score, _, evidence, _ = score_fault(fault, catalog, results)
            if not np.isnan(score) and score > out.get(fault.id, -np.inf):
                out[fault.id] = score
                top = evidence[0]
                units[fault.id] = (top.beyond if top.beyond is not None else float("nan"),
                                   top.unit, top.z)
    return out, units


def effect_table(cases: list[Case]) -> list[str]:
    """Median fault score on the clean control vs the injected case, per fault/magnitude."""
    clean_of = {c.trial: c for c in cases if c.fault is None}
    lines = ["| fault | clean control: median score | mild | moderate | severe | "
             "median shift at moderate (injected - clean) | moderate: median beyond the bound "
             "(metric unit) and z of the deciding metric |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for fault in sorted({c.fault for c in cases if c.fault}):
        row, shift = [], float("nan")
        base = [clean_of[c.trial].scores[fault] for c in cases if c.fault == fault
                and c.magnitude == "moderate" and fault in clean_of[c.trial].scores]
        for mag in MAGNITUDES:
            vals = [c.scores[fault] for c in cases if c.fault == fault and c.magnitude == mag
                    and fault in c.scores]
            row.append(fmt(float(np.median(vals))) if vals else "–")
            if mag == "moderate":
                d = [c.scores[fault] - clean_of[c.trial].scores[fault] for c in cases
                     if c.fault == fault and c.magnitude == mag and fault in c.scores
                     and fault in clean_of[c.trial].scores]
                shift = float(np.median(d)) if d else float("nan")
        mod = [c.units[fault] for c in cases if c.fault == fault
               and c.magnitude == "moderate" and fault in c.units]
        size = (f"{fmt(float(np.median([u[0] for u in mod])), 1)} {mod[0][1]}, "
                f"z {fmt(float(np.median([u[2] for u in mod])), 1)}") if mod else "–"
        lines.append(f"| `{fault}` | {fmt(float(np.median(base))) if base else '–'} | "
                     f"{' | '.join(row)} | {fmt(shift)} | {size} |")
    return lines


def run_case(case: Case, motion: MotionSequence, template: Template,
             catalog: MovementCatalog, arm_swing: bool | None = None) -> Case:
    """Assess one recording, filling ``case`` in place."""
    t0 = time.perf_counter()
    try:
        reports = assess(motion, case.movement, template=template, catalog=catalog,
                         arm_swing=arm_swing, fallback_events=True)
    except SportsGPTError as exc:
        case.error = f"{type(exc).__name__}: {exc}"
    else:
        case.from_events = any(k.method == "events" for r in reports for k in r.keyframes)
        case.flagged, case.confidence = flagged_of(reports)
        case.arm_skipped = any("arm-swing faults not scored" in n
                               for r in reports for n in r.notes)
        case.arms_still = any(n.startswith("arms almost still") for r in reports
                              for n in r.notes)
        case.scores, case.units = fault_scores(reports, catalog)
    case.seconds = time.perf_counter() - t0
    return case


def scored_faults(trial: str) -> tuple[list[str], list[str]]:
    """Injectable faults scored on a trial, and the skipped ones with the reason."""
    catalog = {f.id for f in load_catalog(group(trial)).faults}
    keep, skip = [], []
    for fault, spec in FAULTS.items():
        if fault not in catalog:
            skip.append(f"{fault} (not in {group(trial)} catalog)")
        elif spec.meaningful_trials and trial not in spec.meaningful_trials:
            skip.append(f"{fault} (not a meaningful trial)")
        else:
            keep.append(fault)
    return keep, skip


def loo_template(test: str, chans: dict[str, AngleSequence]) -> Template:
    """Template of the test trial's group built from the other trials of that group."""
    others: list[MotionSequence | AngleSequence] = [
        k for n, k in chans.items() if n != test and group(n) == group(test)]
    return build_template(others, group(test))


def run_jumps(tests: list[str], chans: dict[str, AngleSequence], values: ExpertValues
              ) -> tuple[list[Case], dict[str, list[str]]]:
    """Clean control and every scored injected case of each test trial.

    Targets are derived without the test trial (``derive_catalog(..., exclude=[trial])``).
    When the clean recording's arms are almost still (the assess note), the trial is a jump
    without arm swing by protocol and all its cases run with ``arm_swing=False``, as a
    caller who knows the protocol would (``sportsgpt analyze --no-arm-swing``).
    """
    out: list[Case] = []
    skipped: dict[str, list[str]] = {}
    for i, trial in enumerate(tests, 1):
        t0 = time.perf_counter()
        tpl = loo_template(trial, chans)
        mov = group(trial)
        cat = derive_catalog(mov, values, exclude=[trial])
        control = run_case(Case(trial, mov, None, None), clean(trial).motion, tpl, cat)
        arm_swing = False if control.arms_still else None
        if control.arms_still:
            control = run_case(Case(trial, mov, None, None), clean(trial).motion, tpl, cat,
                               arm_swing)
            control.arms_still = True
        out.append(control)
        faults, skipped[trial] = scored_faults(trial)
        for fault in faults:
            for mag in MAGNITUDES:
                motion = inject(trial, fault, mag).motion
                out.append(run_case(Case(trial, mov, fault, mag), motion, tpl, cat,
                                    arm_swing))
        log(f"[jumps {i}/{len(tests)}] {trial} ({mov}): {1 + 3 * len(faults)} cases "
            f"in {time.perf_counter() - t0:.1f} s")
    return out, skipped


@dataclass
class PerFault:
    """Counts of one fault at one magnitude."""

    n: int = 0
    tp: int = 0
    fp: int = 0
    conf: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        """Detected share of the injected cases."""
        return self.tp / self.n if self.n else float("nan")

    @property
    def precision(self) -> float:
        """True share of the detections (NaN when nothing was flagged)."""
        d = self.tp + self.fp
        return self.tp / d if d else float("nan")

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when either is 0 or undefined)."""
        p, r = self.precision, self.recall
        if not (p > 0 and r > 0):
            return 0.0
        return 2 * p * r / (p + r)


def score_jumps(cases: list[Case]) -> dict[tuple[str, str], PerFault]:
    """Per (fault, magnitude) counts; negatives are cases on trials whose catalog has it."""
    faults = sorted({c.fault for c in cases if c.fault})
    catalogs = {m: {f.id for f in load_catalog(m).faults}
                for m in {c.movement for c in cases}}
    out: dict[tuple[str, str], PerFault] = {}
    for fault in faults:
        for mag in MAGNITUDES:
            s = PerFault()
            for c in cases:
                if fault not in catalogs[c.movement] or c.magnitude not in (mag, None):
                    continue
                hit = fault in c.flagged
                if c.fault == fault:
                    s.n += 1
                    s.tp += hit
                    if hit:
                        s.conf.append(c.confidence[fault])
                elif hit:
                    s.fp += 1
            out[(fault, mag)] = s
    return out


def rank_auc(pos: list[float], neg: list[float]) -> float:
    """ROC AUC = P(pos score > neg score) + 0.5 P(tie), from average ranks (Mann-Whitney)."""
    allv = np.asarray(pos + neg, dtype=np.float64)
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_p, n_n = len(pos), len(neg)
    return float((ranks[:n_p].sum() - n_p * (n_p + 1) / 2) / (n_p * n_n))


@dataclass
class Squat:
    """One UI-PRMD deep-squat repetition's assessment."""

    subject: int
    episode: int
    correct: bool
    depth: float | None = None
    flagged: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    n_reports: int = 0
    error: str | None = None
    flagged_baseline: set[str] | None = None


def _baseline_flags(motion: MotionSequence, tpl: Template, values: ExpertValues,
                    own: str | None) -> set[str] | None:
    """Flags with targets from the subject's own correct repetitions (without ``own``)."""
    try:
        cat = baseline_catalog("deep_squat", values, exclude=[own] if own else [])[0]
        return flagged_of(assess(motion, "deep_squat", template=tpl, fallback_events=True,
                                 catalog=cat))[0]
    except SportsGPTError:
        return None


def run_squats(episodes: tuple[int, ...], values: ExpertValues) -> list[Squat]:
    """Leave-one-subject-out assessment of every correct and incorrect repetition.

    Template and template-derived targets both leave the test subject out.
    """
    motions = {(s, e, c): load_ui_prmd("deep_squat", s, e, correct=c)
               for s in SUBJECTS for e in EPISODES for c in (True, False)}
    log(f"[squats] loaded {len(motions)} files")
    chans = {k: motion_channels(m) for k, m in motions.items() if k[2]}
    out = []
    for s in SUBJECTS:
        t0 = time.perf_counter()
        experts: list[MotionSequence | AngleSequence] = [
            k for (subj, _, _), k in chans.items() if subj != s]
        tpl = build_template(experts, "deep_squat")
        cat = derive_catalog("deep_squat", values,
                             exclude=[f"m01_s{s:02d}_e{e:02d}" for e in EPISODES])
        own = baseline_values("deep_squat", {f"e{e:02d}": motions[(s, e, True)]
                                             for e in EPISODES})
        for e in episodes:
            for c in (True, False):
                sq = Squat(s, e, c)
                try:
                    reports = assess(motions[(s, e, c)], "deep_squat", template=tpl,
                                     fallback_events=True, catalog=cat)
                except SportsGPTError as exc:
                    sq.error = f"{type(exc).__name__}: {exc}"
                else:
                    sq.n_reports = len(reports)
                    sq.flagged = flagged_of(reports)[0]
                    sq.methods = {k.method for r in reports for k in r.keyframes}
                    depths = [m.value for r in reports for m in r.metrics
                              if m.id == DEPTH and m.value is not None]
                    sq.depth = max(depths) if depths else None
                sq.flagged_baseline = _baseline_flags(motions[(s, e, c)], tpl, own,
                                                      f"e{e:02d}" if c else None)
                out.append(sq)
        log(f"[squats] subject s{s:02d}: template from {len(experts)} correct reps, "
            f"{2 * len(episodes)} reps assessed in {time.perf_counter() - t0:.1f} s")
    return out


def squat_summary(squats: list[Squat]) -> tuple[float, int, int, int]:
    """AUC of the depth metric, correct-decision count, total, and flagged correct reps."""
    pos = [-sq.depth for sq in squats if not sq.correct and sq.depth is not None]
    neg = [-sq.depth for sq in squats if sq.correct and sq.depth is not None]
    auc = rank_auc(pos, neg) if pos and neg else float("nan")
    right = sum((bool(sq.flagged) != sq.correct) and sq.error is None for sq in squats)
    fp = sum(bool(sq.flagged) for sq in squats if sq.correct)
    return auc, right, len(squats), fp


def baseline_lines(squats: list[Squat]) -> list[str]:
    """Markdown of the per-athlete-baseline variant of the squat protocol."""
    lines = ["### With a per-athlete baseline (`sportsgpt analyze --baseline`)", "",
             "Same repetitions and templates; template targets from the test subject's own "
             "correct repetitions instead of the other subjects' (`tools/kismam/baseline.py`), "
             "leaving the test repetition out when it is a correct one. This is the "
             "monitoring use (an athlete against their own good repetitions), not the "
             "issue's protocol, so it is reported beside the headline, not in it.", "",
             "| subjects | accuracy | correct reps flagged | incorrect reps flagged | "
             "not assessed (counted wrong) |", "|---|---|---|---|---|"]
    for name, subs in (("held-out s04, s05", (4, 5)), ("development s01-s03", DEV_SUBJECTS),
                       ("all", SUBJECTS)):
        sq = [q for q in squats if q.subject in subs]
        right = sum(q.flagged_baseline is not None and bool(q.flagged_baseline) != q.correct
                    for q in sq)
        fp = sum(bool(q.flagged_baseline) for q in sq if q.correct)
        tp = sum(bool(q.flagged_baseline) for q in sq if not q.correct)
        n_ok = sum(q.correct for q in sq)
        lost = sum(q.flagged_baseline is None for q in sq)
        lines.append(f"| {name} | {right}/{len(sq)} = {fmt(right / len(sq), 3)} | "
                     f"{fp}/{n_ok} | {tp}/{len(sq) - n_ok} | {lost} |")
    return [*lines, ""]


def split_tables(cases: list[Case], squats: list[Squat]) -> tuple[list[str], dict[str, float]]:
    """Markdown lines of the per-split jump and squat measures, and held-out headline values."""
    faults = sorted({c.fault for c in cases if c.fault})
    lines = ["| split | test trials | macro-F1 mild / moderate / severe | F1 moderate per fault "
             "| clean recordings flagged |", "|---|---|---|---|---|"]
    head: dict[str, float] = {}
    for sp in SPLITS:
        cs = [c for c in cases if in_split(c.trial, sp)]
        st = score_jumps(cs)
        fs = [f for f in faults if any(c.fault == f for c in cs)]
        macro = {m: float(np.mean([st[(f, m)].f1 for f in fs])) if fs else float("nan")
                 for m in MAGNITUDES}
        ctrl = [c for c in cs if c.fault is None and c.error is None]
        flagged = sum(bool(c.flagged) for c in ctrl)
        share = flagged / len(ctrl) if ctrl else float("nan")
        if sp == "held-out":
            head = {"macro_f1": macro["moderate"], "clean": share,
                    "clean_n": len(ctrl), "clean_flagged": flagged}
        lines.append(
            f"| {sp} | {len({c.trial for c in cs})} | "
            + " / ".join(fmt(macro[m]) for m in MAGNITUDES) + " | "
            + ", ".join(f"{f} {fmt(st[(f, 'moderate')].f1)}" for f in fs) + " | "
            + f"{flagged}/{len(ctrl)} = {fmt(100 * share, 0)}% |")
    lines += ["", "| split | UI-PRMD subjects | AUC of depth | accuracy | correct reps "
              "flagged |", "|---|---|---|---|---|"]
    for sp, subs in (("held-out", (4, 5)), ("development", DEV_SUBJECTS),
                     ("all", SUBJECTS)):
        sq = [q for q in squats if q.subject in subs]
        auc, right, n, fp = squat_summary(sq)
        n_ok = sum(q.correct for q in sq)
        if sp == "held-out":
            head |= {"auc": auc, "acc": right / n if n else float("nan"),
                     "right": right, "n": n}
        lines.append(f"| {sp} | {', '.join(f's{x:02d}' for x in subs)} | {fmt(auc, 3)} | "
                     f"{right}/{n} = {fmt(right / n if n else float('nan'), 3)} | "
                     f"{fp}/{n_ok} |")
    return lines, head


def fmt(x: float, digits: int = 2) -> str:
    """Number or an en dash for NaN."""
    return "–" if x != x else f"{x:.{digits}f}"


def ok(value: float, target: float, higher: bool) -> str:
    """'met' / 'not met' against a target."""
    if value != value:
        return "n/a"
    return "met" if (value >= target if higher else value <= target) else "**not met**"


def jump_tables(cases: list[Case], stats: dict[tuple[str, str], PerFault]
                ) -> tuple[list[str], dict[str, float]]:
    """Markdown lines of the per-fault table and the macro-F1 per magnitude."""
    faults = sorted({f for f, _ in stats})
    macro: dict[str, float] = {m: float(np.mean([stats[(f, m)].f1 for f in faults]))
                               for m in MAGNITUDES}
    lines = [
        "| fault | movements (trials) | n per magnitude | recall mild / moderate / severe | "
        "precision mild / moderate / severe | F1 moderate | mean confidence of "
        "moderate detections | not assessed (all magnitudes) |",
        "|---|---|---|---|---|---|---|---|"]
    for f in faults:
        trials = sorted({c.trial for c in cases if c.fault == f})
        movs = sorted({group(t) for t in trials})
        s = {m: stats[(f, m)] for m in MAGNITUDES}
        conf = s["moderate"].conf
        lines.append(
            f"| `{f}` | {', '.join(movs)} ({len(trials)}) | {s['moderate'].n} | "
            + " / ".join(fmt(s[m].recall) for m in MAGNITUDES) + " | "
            + " / ".join(fmt(s[m].precision) for m in MAGNITUDES) + " | "
            + f"{fmt(s['moderate'].f1)} | {fmt(float(np.mean(conf))) if conf else '–'} | "
            + f"{sum(c.error is not None for c in cases if c.fault == f)}/{3 * len(trials)} |")
    lines.append("| **macro-F1** | | | | | " + " / ".join(
        f"{m} {fmt(macro[m])}" for m in MAGNITUDES) + " | | |")
    return lines, macro


def confusion(cases: list[Case], mag: str) -> list[str]:
    """What was flagged (moderate or severe) on each injected fault's cases at ``mag``."""
    lines = ["| injected fault | cases | flagged fault ids (count of cases) |", "|---|---|---|"]
    for f in sorted({c.fault for c in cases if c.fault}):
        cs = [c for c in cases if c.fault == f and c.magnitude == mag]
        cnt = Counter(x for c in cs for x in c.flagged)
        errs = sum(c.error is not None for c in cs)
        txt = ", ".join(f"{k} ({v})" for k, v in ranked(cnt)) or "none"
        lines.append(f"| `{f}` | {len(cs)} | {txt}{f'; {errs} not assessed' if errs else ''} |")
    return lines


def main() -> None:
    """Run the protocol and write the Markdown report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"test trials {', '.join(QUICK_TRIALS)} and squat episodes "
                             f"{QUICK_EPISODES} only (templates still from all others)")
    parser.add_argument("--out", default="benchmarks/results/diagnosis.md")
    args = parser.parse_args()
    t0 = time.perf_counter()
    names = list_cmu_trials()
    tests = [n for n in names if n in QUICK_TRIALS] if args.quick else names
    episodes = QUICK_EPISODES if args.quick else EPISODES
    chans = {}
    for i, n in enumerate(names, 1):
        chans[n] = motion_channels(load_cmu_trial(n))
        log(f"[channels {i}/{len(names)}] {n}")
    log("[targets] assessing the catalogs' expert recordings")
    values = expert_values([load_catalog(m) for m in movement_ids()])
    cases, skipped = run_jumps(tests, chans, values)
    t_jumps = time.perf_counter() - t0
    squats = run_squats(episodes, values)
    took = time.perf_counter() - t0

    stats = score_jumps(cases)
    jt, macro = jump_tables(cases, stats)
    all_controls = [c for c in cases if c.fault is None]
    controls = [c for c in all_controls if c.error is None]
    lost = sorted(c.trial for c in all_controls if c.error is not None)
    flagged_clean = [c for c in controls if c.flagged]
    share_clean = len(flagged_clean) / len(controls) if controls else float("nan")
    clean_cnt = Counter(x for c in flagged_clean for x in c.flagged)
    errors = [c for c in cases if c.error]
    fell = [c for c in cases if c.from_events]
    arm = [c for c in cases if c.fault == "limited_arm_swing" and c.arm_skipped]

    pos = [-sq.depth for sq in squats if not sq.correct and sq.depth is not None]
    neg = [-sq.depth for sq in squats if sq.correct and sq.depth is not None]
    auc = rank_auc(pos, neg) if pos and neg else float("nan")
    right = sum((bool(sq.flagged) != sq.correct) and sq.error is None for sq in squats)
    acc = right / len(squats)
    sq_err = [sq for sq in squats if sq.error]
    sq_nodepth = [sq for sq in squats if sq.error is None and sq.depth is None]
    events_share = {c: sum("events" in sq.methods for sq in squats if sq.correct == c)
                    for c in (True, False)}
    n_class = {c: sum(sq.correct == c for sq in squats) for c in (True, False)}
    flagged_class = {c: sum(bool(sq.flagged) for sq in squats if sq.correct == c)
                     for c in (True, False)}
    sq_cnt = {c: Counter(x for sq in squats if sq.correct == c for x in sq.flagged)
              for c in (True, False)}
    multi = sum(sq.n_reports > 1 for sq in squats)
    med = {c: float(np.median([sq.depth for sq in squats
                               if sq.correct == c and sq.depth is not None]))
           for c in (True, False)}

    split_lines, head = split_tables(cases, squats)
    cmd = "python benchmarks/diagnosis.py" + (" --quick" if args.quick else "")
    if args.out != "benchmarks/results/diagnosis.md":
        cmd += f" --out {args.out}"
    n_inj = sum(c.fault is not None for c in cases)
    skip_lines = sorted({s for v in skipped.values() for s in v})
    skip_detail = []
    for s in skip_lines:
        who = [t for t, v in skipped.items() if s in v]
        skip_detail.append(f"* {s}: {len(who)} trials ({', '.join(who)})")
    parts = [
        "# KISMAM diagnosis: injected faults (CMU jumps) and UI-PRMD deep squats", "",
        f"Made by: `{cmd}` (run from the repository root with the project's `.venv`) in "
        f"{took:.0f} s (jumps {t_jumps:.0f} s, squats {took - t_jumps:.0f} s) on "
        f"{platform.node() or 'this machine'} ({platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"numpy {np.__version__}).", "",
        "## Headline vs targets (held-out split)", "",
        "Development split (the only data looked at while changing KISMAM): CMU "
        f"{', '.join(t for t in DEV_TRIALS if t in names)} and UI-PRMD s01-s03. "
        "Held-out: every other CMU trial and "
        "UI-PRMD s04-s05. Template-derived targets are re-derived for every test recording "
        "without it (CMU: without the test trial; UI-PRMD: without the test subject's "
        "repetitions), by `sportsgpt.tools.kismam.targets.derive_catalog`. Disclosure: while "
        "adding `knee_flexion_excursion_landing` (2026-11-26) the metric values of every "
        "clean and moderate case (both splits) were looked at, so the held-out split is "
        "no longer untouched for that change; the same holds for conditioning the trunk-lean "
        "target on knee flexion at the bottom (2026-11-26), whose effect was first estimated "
        "on the development split and then looked at on all trials.", "",
        "| measure (held-out) | measured | target | |", "|---|---|---|---|",
        f"| macro-F1, injected faults at moderate magnitude | {fmt(head['macro_f1'])} | "
        f">= {TARGETS['macro_f1']:.2f} | {ok(head['macro_f1'], TARGETS['macro_f1'], True)} |",
        f"| clean recordings with a moderate or severe finding | "
        f"{head['clean_flagged']:.0f}/{head['clean_n']:.0f} = {100 * head['clean']:.0f}% | "
        f"<= {100 * TARGETS['clean_flagged']:.0f}% | "
        f"{ok(head['clean'], TARGETS['clean_flagged'], False)} |",
        f"| UI-PRMD deep squat (s04-s05): ROC AUC of `{DEPTH}` | {fmt(head['auc'], 3)} | "
        f">= {TARGETS['auc']:.2f} | {ok(head['auc'], TARGETS['auc'], True)} |",
        f"| UI-PRMD deep squat (s04-s05): accuracy | {head['right']:.0f}/{head['n']:.0f} = "
        f"{fmt(head['acc'], 3)} | >= {TARGETS['accuracy']:.2f} | "
        f"{ok(head['acc'], TARGETS['accuracy'], True)} |", "",
        "## Per split", "", *split_lines, "",
        "## All trials and subjects (development + held-out)", "",
        "| measure | measured | target | |", "|---|---|---|---|",
        f"| macro-F1, injected faults at moderate magnitude | {fmt(macro['moderate'])} | "
        f">= {TARGETS['macro_f1']:.2f} | {ok(macro['moderate'], TARGETS['macro_f1'], True)} |",
        f"| (macro-F1 at mild / severe) | {fmt(macro['mild'])} / {fmt(macro['severe'])} | – | |",
        f"| clean expert recordings with a moderate or severe finding | "
        f"{len(flagged_clean)}/{len(controls)} assessed = {100 * share_clean:.0f}% | "
        f"<= {100 * TARGETS['clean_flagged']:.0f}% | "
        f"{ok(share_clean, TARGETS['clean_flagged'], False)} |",
        f"| UI-PRMD deep squat: ROC AUC of `{DEPTH}` (correct vs incorrect) | {fmt(auc, 3)} | "
        f">= {TARGETS['auc']:.2f} | {ok(auc, TARGETS['auc'], True)} |",
        f"| UI-PRMD deep squat: accuracy of 'has a moderate or severe finding' | "
        f"{right}/{len(squats)} = {fmt(acc, 3)} | >= {TARGETS['accuracy']:.2f} | "
        f"{ok(acc, TARGETS['accuracy'], True)} |", "",
        "Targets are the issue's. KISMAM changes were judged on the development split only; "
        "the held-out numbers above are the headline.", "",
        "## Injected faults (CMU jumps, leave-one-out templates)", "",
        f"Test trials: {len(tests)} ({', '.join(tests)}); {len(all_controls)} clean controls and "
        f"{n_inj} injected cases (each scored fault x mild/moderate/severe). For each test "
        "trial the template is built from channels (`motion_channels`) of the other trials of "
        "its group (in-place 16_01-16_04 -> `countermovement_jump`; 16_05-16_10 and 118_* -> "
        "`standing_long_jump`), once, and reused for all its cases, and so is a catalog whose "
        "template-derived targets leave the test trial out. `assess(motion, movement, "
        "template=..., catalog=...)` with `fallback_events=True` (what `sportsgpt analyze` "
        "does when the movement is named: keyframes from the event rules when MotionDTW finds "
        "no match, at half the match confidence) and `arm_swing=None`, "
        "except on trials whose clean recording has the arms almost still (shoulder-flexion "
        "range < 15°, assess's own note; here "
        f"{', '.join(sorted(c.trial for c in all_controls if c.arms_still)) or 'none'}): "
        "those are jumps without arm swing by protocol and all their cases run with "
        "`arm_swing=False`, as a caller who knows the protocol would "
        "(`sportsgpt analyze --no-arm-swing`).", "",
        "Detected = the fault id is among the findings (any repetition) with severity "
        "moderate or severe. Recall: over the fault's injected cases at that magnitude. "
        "Precision: over all cases at that magnitude (other faults' injected cases and the "
        "clean controls count as negatives) on trials whose movement catalog holds the "
        "fault; '–' = nothing flagged. F1 = 0 when recall or precision is 0 or undefined.",
        "", *jt, "",
        f"Not assessed (a SportsGPTError from `assess`; counted as nothing flagged, so a "
        f"miss for the injected fault): {len(errors)} of {len(cases)} cases"
        + (": " + "; ".join(f"{k} x{v}" for k, v in ranked(Counter(
            f"{c.trial} ({c.error})" for c in errors))) if errors else "")
        + ".", "",
        f"Keyframes from the event rules (MotionDTW found no match): {len(fell)} of "
        f"{len(cases)} cases"
        + (": " + "; ".join(f"{k} x{v}" for k, v in ranked(Counter(
            f"{c.trial} {c.fault or 'clean'}" for c in fell))) if fell else "")
        + ".", "",
        f"`limited_arm_swing` cases where the auto arm-swing check (range < 15°) skipped "
        f"arm-swing faults: {len(arm)}"
        + (f" ({', '.join(f'{c.trial} {c.magnitude}' for c in arm)})" if arm else "")
        + ". Those are counted as misses.", "",
        "### Effect size: how far each injection moves its fault's score", "",
        "Fault score = how far the deciding metric lies beyond its target bound, in units "
        "of that metric's smallest meaningful change (SMC; what the severity reads: > 0 "
        "mild, >= 1 moderate, >= 2 severe; negative = inside the range). The last column "
        "gives the same distance in the metric's own unit (negative = inside) and its z "
        "against the target's sd. Injected changes arrive in the metrics nearly 1:1 (20° "
        "of knee flexion at takeoff -> 19-20°); where the clean value sits inside the range "
        "and the SMC set what severity a given injection reaches.", "",
        *effect_table(cases), "",
        "### What was flagged on the injected cases (moderate magnitude)", "",
        *confusion(cases, "moderate"), "",
        "### Clean controls", "",
        f"Assessed: {len(controls)} of {len(all_controls)} (not assessed, so left out of the "
        f"share: {', '.join(lost) or 'none'}). "
        f"Flagged: {', '.join(sorted(c.trial for c in flagged_clean)) or 'none'}. "
        f"Fault ids (count of recordings): "
        f"{', '.join(f'{k} ({v})' for k, v in ranked(clean_cnt)) or 'none'}.", "",
        "### Skipped fault x trial combinations", "",
        "Injectable faults (`FAULTS`) not scored on a trial, because the id is not in that "
        "movement's catalog (`graph_kb/movements/<movement>/catalog.json`) or the fault is "
        "meaningful only on `ARM_SWING_TRIALS`:", "", *skip_detail, "",
        "## UI-PRMD deep squats (leave-one-subject-out templates)", "",
        f"Subjects s01-s05, episodes {episodes[0]}-{episodes[-1]}, correct and incorrect "
        f"({n_class[True]} + {n_class[False]} repetitions). For each test subject the "
        f"`deep_squat` template is built from the other 4 subjects' correct repetitions "
        f"(all {len(EPISODES)} episodes each). Assessed with `fallback_events=True`: shallow "
        "squats often miss the template gate, and then the keyframes come from the event "
        "rules (keyframe method 'events', lower confidence).", "",
        "| | correct | incorrect |", "|---|---|---|",
        f"| repetitions | {n_class[True]} | {n_class[False]} |",
        f"| median `{DEPTH}` (deg) | {fmt(med[True], 1)} | {fmt(med[False], 1)} |",
        f"| with a moderate or severe finding | {flagged_class[True]} | {flagged_class[False]} |",
        f"| keyframes from the event rules (fallback) | {events_share[True]} | "
        f"{events_share[False]} |",
        "| flagged fault ids (count) | "
        + (", ".join(f"{k} ({v})" for k, v in ranked(sq_cnt[True])) or "none") + " | "
        + (", ".join(f"{k} ({v})" for k, v in ranked(sq_cnt[False])) or "none") + " |",
        "",
        f"AUC: score = -{DEPTH} (shallower = incorrect), direction fixed in advance; "
        f"rank-based (Mann-Whitney, ties 0.5) over {len(pos)} incorrect and {len(neg)} "
        f"correct repetitions with a depth value. Accuracy: correct = no moderate or severe "
        f"finding, incorrect = at least one; a repetition that could not be assessed counts "
        f"as wrong. Not assessed: {len(sq_err)}"
        + (" (" + "; ".join(f"s{q.subject:02d} e{q.episode:02d} "
                            f"{'correct' if q.correct else 'incorrect'}: {q.error}"
                            for q in sq_err[:10]) + ")" if sq_err else "")
        + f"; assessed without a depth value: {len(sq_nodepth)}; files with more than one "
        f"repetition found: {multi} (depth = the deepest).", "",
        *baseline_lines(squats)]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(parts))
    log(f"wrote {args.out} in {took:.0f} s")


if __name__ == "__main__":
    main()
