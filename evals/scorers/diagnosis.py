"""Diagnostic accuracy: which faults each answer names, against the case's labels.

Per answer, the named faults are the system's structured findings at severity
``moderate`` or ``severe`` (most severe, then most confident, first) where it has them,
otherwise the faults extracted from its text (:mod:`.extract`, order of first mention).

Over a set of cases with recordings:

* per fault: TP (labelled and named), FP (named, not labelled: clean recordings
  included), FN (labelled, not named); precision, recall, F1;
* macro-F1: mean F1 over the faults that some case is labelled with;
* top-1: share of single-fault cases whose first named fault is the label;
* clean false alarms: share of clean recordings with any named fault;
* any-fault detection: share of ``labels.any_fault`` cases (faulty, fault unknown) with
  any named fault; these cases never enter the per-fault counts;
* confusion: true label (``clean`` for clean recordings) against the first named fault
  (``none`` when nothing is named), single-fault and clean cases only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from sportsgpt.evals.cases import EvalCase
from sportsgpt.evals.records import DETECTED, Response
from sportsgpt.evals.scorers.extract import extract_faults

_RANK = {"severe": 3, "moderate": 2, "mild": 1, "none": 0}


def named_faults(response: Response, movement: str | None) -> list[str]:
    """The faults an answer names, most important first."""
    if response.findings is not None:
        kept = sorted((f for f in response.findings if f.severity in DETECTED),
                      key=lambda f: (-_RANK[f.severity], -f.confidence))
        return list(dict.fromkeys(f.fault_id for f in kept))
    return extract_faults(response.answer, movement)


class CaseDiagnosis(BaseModel):
    """The diagnosis score of one answer."""

    labels: list[str]
    any_fault: bool
    named: list[str]
    source: str
    tp: list[str]
    fp: list[str]
    fn: list[str]
    top1_correct: bool | None


def score_case(case: EvalCase, response: Response) -> CaseDiagnosis:
    """What the answer named against the labels."""
    named = named_faults(response, case.movement)
    labels = set(case.labels.faults)
    top1 = None
    if len(labels) == 1:
        top1 = bool(named) and named[0] in labels
    return CaseDiagnosis(
        labels=sorted(labels), any_fault=case.labels.any_fault, named=named,
        source="findings" if response.findings is not None else "text",
        tp=sorted(labels & set(named)),
        fp=[] if case.labels.any_fault else sorted(set(named) - labels),
        fn=sorted(labels - set(named)), top1_correct=top1)


class FaultScore(BaseModel):
    """Counts and rates of one fault."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None


class DiagnosisSummary(BaseModel):
    """Diagnosis over a set of cases (see the module docstring)."""

    n_cases: int
    n_labelled: int
    n_clean: int
    n_any_fault: int
    per_fault: dict[str, FaultScore]
    macro_f1: float | None
    top1: float | None
    clean_false_alarms: float | None
    any_fault_detection: float | None
    confusion: dict[str, dict[str, int]]


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def summarise(scores: Sequence[CaseDiagnosis]) -> DiagnosisSummary:
    """Aggregate the per-case scores."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    labelled: set[str] = set()
    clean = alarms = anyf = detected = 0
    top = [s.top1_correct for s in scores if s.top1_correct is not None]
    confusion: dict[str, dict[str, int]] = {}
    for s in scores:
        tp.update(s.tp)
        fp.update(s.fp)
        fn.update(s.fn)
        labelled.update(s.labels)
        if s.any_fault:
            anyf += 1
            detected += bool(s.named)
            continue
        if not s.labels:
            clean += 1
            alarms += bool(s.named)
        if len(s.labels) <= 1:
            row = s.labels[0] if s.labels else "clean"
            col = s.named[0] if s.named else "none"
            confusion.setdefault(row, {})
            confusion[row][col] = confusion[row].get(col, 0) + 1
    per: dict[str, FaultScore] = {}
    for f in sorted(set(tp) | set(fp) | set(fn)):
        p, r = _ratio(tp[f], tp[f] + fp[f]), _ratio(tp[f], tp[f] + fn[f])
        f1 = (round(2 * p * r / (p + r), 4) if p and r else 0.0) \
            if p is not None and r is not None else None
        per[f] = FaultScore(tp=tp[f], fp=fp[f], fn=fn[f], precision=p, recall=r, f1=f1)
    f1s = [per[f].f1 or 0.0 for f in sorted(labelled)]
    return DiagnosisSummary(
        n_cases=len(scores), n_labelled=sum(bool(s.labels) for s in scores), n_clean=clean,
        n_any_fault=anyf, per_fault=per,
        macro_f1=round(sum(f1s) / len(f1s), 4) if f1s else None,
        top1=_ratio(sum(top), len(top)), clean_false_alarms=_ratio(alarms, clean),
        any_fault_detection=_ratio(detected, anyf), confusion=confusion)
