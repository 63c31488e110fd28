"""The citation and number verifier: checks guidance against what the tools returned.

:func:`verify_guidance` takes a :class:`~sportsgpt.agents.guidance.Guidance` (from the
composer or from a model) and the :class:`RunEvidence` of the run (every source id a
tool returned, every measurement, every finding, every number in a tool result) and
returns a cleaned copy with a record of what it dropped and flagged.

Rules:

* **Findings come from the assessment.** A finding whose ``fault_id`` the assessment did
  not report is dropped (``unknown_finding``). A wrong severity or confidence is
  replaced by the assessment's and flagged.
* **Sources come from this run.** An item citing any id that no tool returned is
  dropped (``invented_source``): its wording may rest on the invented source.
* **Numbers come from measurements or tool text.** Every number with a unit (degrees,
  cm, m, ms, s, %) in the text, and every value of ``MeasuredEvidence``, must match, at
  the precision written (``11°`` matches 10.63°, ``10.62`` does not), a measured value
  or target of the assessment, or a number a tool returned (a dose's rest time, a
  percentage in a QA answer). A finding's headline may quote only that finding's own
  measurements and targets. An item with a wrong number is dropped
  (``number_mismatch``).
* **Drills come from the knowledge base**: a drill name no lookup returned is dropped
  (``unknown_drill``), and a drill for a fault neither found nor looked up is dropped
  (``unknown_fault``). ``dosage_basis="source"`` stands only where the knowledge item
  says its dose is sourced; otherwise it is set to coaching practice and flagged.
* Findings, drills and key points without any source id are flagged (``uncited``); cues,
  safety notes, ``not_assessed`` and ``limitations`` may be uncited.

**What "does not verify" means** (``ok=False``; the agent graph then falls back to the
deterministic composer): a finding the assessment did not make, a moderate or severe
finding left out, a wrong measured number anywhere (summary, headline or evidence),
an empty summary, or more than :data:`MAX_DROPPED_SHARE` of the claim-bearing items
(findings, key points, drills, cues, safety notes) dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from sportsgpt.agents.guidance import (
    Cue,
    DrillAdvice,
    FindingExplanation,
    Guidance,
    KeyPoint,
    MeasuredEvidence,
    SafetyNote,
)
from sportsgpt.graph_kb.types import QAHit, SourceRef
from sportsgpt.tools.kismam.models import AssessmentReport, Severity
from sportsgpt.tools.knowledge import KgLookupResult

MAX_DROPPED_SHARE = 0.25
"""More dropped claim-bearing items than this share and the guidance does not verify."""

IssueKind = Literal["invented_source", "unknown_finding", "missing_finding",
                    "severity_mismatch", "number_mismatch", "unknown_metric", "unknown_drill",
                    "unknown_fault", "dosage_basis", "uncited", "empty_summary"]

# ----------------------------------------------------------------------------- numbers

_UNIT_ALIASES: dict[str, tuple[str, float]] = {
    "°": ("deg", 1.0), "deg": ("deg", 1.0), "degree": ("deg", 1.0), "degrees": ("deg", 1.0),
    "cm": ("m", 0.01), "m": ("m", 1.0), "metre": ("m", 1.0), "metres": ("m", 1.0),
    "meter": ("m", 1.0), "meters": ("m", 1.0),
    "ms": ("s", 0.001), "s": ("s", 1.0), "sec": ("s", 1.0), "second": ("s", 1.0),
    "seconds": ("s", 1.0),
    "%": ("%", 1.0), "percent": ("%", 1.0),
}
_UNIT = (r"(°|%|degrees?\b|deg\b|percent\b|cm\b|ms\b|metres?\b|meters?\b|m\b(?!/)|"
         r"seconds?\b|sec\b|s\b)")
_NUM = r"(\d+(?:\.\d+)?)"
_RANGE_RE = re.compile(rf"(?<![\w.]){_NUM}\s*(?:–|—|-|to)\s*{_NUM}\s*{_UNIT}")
_SINGLE_RE = re.compile(rf"(?<![\w.]){_NUM}\s*{_UNIT}")


class Quantity(BaseModel):
    """A number with a unit dimension, in base units (deg, m, s, %)."""

    value: float
    dim: str
    tol: float = Field(0.0, description="half the last written digit, in base units")


def unit_of(unit: str) -> tuple[str, float] | None:
    """Dimension and factor to base units of a unit string (``"% leg length"`` is %)."""
    text = unit.strip().lower()
    if text.startswith("%"):
        return "%", 1.0
    return _UNIT_ALIASES.get(text)


def _decimals(number: str) -> int:
    exponent = Decimal(number).normalize().as_tuple().exponent
    return max(0, -int(exponent))


def quantities_in(text: str) -> list[Quantity]:
    """Numbers with a unit in ``text`` (ranges such as ``170–180°`` give both ends)."""
    found: list[Quantity] = []
    taken: list[tuple[int, int]] = []
    for match in _RANGE_RE.finditer(text):
        unit = unit_of(match.group(3))
        if unit is None:
            continue
        taken.append(match.span())
        found += [_quantity(match.group(i), unit) for i in (1, 2)]
    for match in _SINGLE_RE.finditer(text):
        unit = unit_of(match.group(2))
        if unit is None or any(a <= match.start() < b for a, b in taken):
            continue
        found.append(_quantity(match.group(1), unit))
    return found


def _quantity(number: str, unit: tuple[str, float]) -> Quantity:
    dim, factor = unit
    tol = 0.5 * 10.0 ** -_decimals(number) * factor
    return Quantity(value=float(number) * factor, dim=dim, tol=tol)


def _matches(said: Quantity, known: Iterable[Quantity]) -> bool:
    """True when some known quantity rounds to what was said (sign ignored)."""
    eps = 1e-9
    return any(k.dim == said.dim and (abs(abs(k.value) - said.value) <= said.tol + k.tol + eps)
               for k in known)


def _value_decimals(value: float) -> int:
    return _decimals(repr(float(value)))


def _evidence_matches(said: float, true: float) -> bool:
    tol = 0.5 * 10.0 ** -_value_decimals(said) + 1e-9
    return abs(said - true) <= tol


# ----------------------------------------------------------------------------- run evidence

class Measurement(BaseModel):
    """A measured metric of the run: value, unit and target range."""

    metric_id: str
    value: float
    unit: str
    target_low: float | None = None
    target_high: float | None = None

    def quantities(self) -> list[Quantity]:
        """Value and targets as quantities (empty when the unit is not a checked one)."""
        unit = unit_of(self.unit)
        if unit is None:
            return []
        dim, factor = unit
        return [Quantity(value=v * factor, dim=dim) for v in
                (self.value, self.target_low, self.target_high) if v is not None]


class RunEvidence(BaseModel):
    """What the tools of one run returned: the only ground guidance may stand on."""

    sources: dict[str, SourceRef] = Field(default_factory=dict,
                                          description="every source a tool returned, by id")
    extra_source_ids: list[str] = Field(
        default_factory=list, description="ids a tool named without details (e.g. the "
                                          "assessment's finding sources)")
    measurements: dict[str, Measurement] = Field(default_factory=dict)
    findings: dict[str, Severity] = Field(default_factory=dict,
                                          description="fault id -> worst severity found")
    confidences: dict[str, float] = Field(default_factory=dict)
    finding_metrics: dict[str, list[str]] = Field(default_factory=dict)
    looked_up_faults: list[str] = Field(default_factory=list)
    drills: dict[str, bool] = Field(default_factory=dict,
                                    description="drill name (lower case) -> dose is sourced")
    numbers: list[Quantity] = Field(default_factory=list,
                                    description="every number with a unit a tool returned")

    @property
    def source_ids(self) -> set[str]:
        """Every source id returned in the run."""
        return set(self.sources) | set(self.extra_source_ids)

    @classmethod
    def from_run(cls, reports: Sequence[AssessmentReport],
                 knowledge: Mapping[str, KgLookupResult],
                 qa_hits: Sequence[QAHit]) -> RunEvidence:
        """Collect the evidence from the tool results of one run."""
        run = cls()
        for report in reports:
            run._add_report(report)
        for result in knowledge.values():
            run._add_knowledge(result)
        for hit in qa_hits:
            run.sources.update((s.id, s) for s in hit.sources)
            run.numbers += quantities_in(f"{hit.qa.question} {hit.qa.answer}")
        return run

    def _add_report(self, report: AssessmentReport) -> None:
        for metric in report.metrics:
            if metric.value is not None:
                self.measurements.setdefault(metric.id, Measurement(
                    metric_id=metric.id, value=metric.value, unit=metric.unit,
                    target_low=metric.target_low, target_high=metric.target_high))
            self.extra_source_ids += metric.target_source
            self.numbers += quantities_in(f"{metric.reason or ''} {metric.target_given or ''}")
        for finding in report.findings:
            old = self.findings.get(finding.fault_id)
            if old is None or SEVERITY_RANK[finding.severity] > SEVERITY_RANK[old]:
                self.findings[finding.fault_id] = finding.severity
                self.confidences[finding.fault_id] = finding.confidence
            self.finding_metrics.setdefault(finding.fault_id, []).extend(
                e.metric_id for e in finding.evidence)
            self.extra_source_ids += finding.source_ids
            self.numbers += quantities_in(finding.rationale)
        quality = report.quality
        self.numbers.append(Quantity(value=quality.missing_pct, dim="%"))
        if quality.angle_noise_deg is not None:
            self.numbers.append(Quantity(value=quality.angle_noise_deg, dim="deg"))
        self.numbers += [Quantity(value=k.time_s, dim="s") for k in report.keyframes]
        self.numbers += [Quantity(value=p.duration_s, dim="s") for p in report.phases]
        self.numbers += quantities_in(" ".join([*quality.notes, *report.notes]))

    def _add_knowledge(self, result: KgLookupResult) -> None:
        self.sources.update((s.id, s) for s in result.sources)
        self.looked_up_faults += [str(f["id"]) for f in result.faults]
        for drill in result.drills:
            self.drills[str(drill.get("name", drill["id"])).lower()] = dose_is_sourced(drill)
        for group in (result.faults, result.metrics, result.causes, result.drills,
                      result.cues, result.risks, result.contraindications):
            for item in group:
                self.numbers += _item_numbers(item)

    def allowed_numbers(self) -> list[Quantity]:
        """Measurements, targets and tool-returned numbers."""
        return [q for m in self.measurements.values() for q in m.quantities()] + self.numbers


def dose_is_sourced(item: Mapping[str, Any]) -> bool:
    """True only when a knowledge item states that a source gives its dose.

    Reads the graph's ``dose_basis`` (flattened from the drill's dosage, or nested in it)
    and accepts ``dosage_basis``/``dosage_source_ids`` spellings; anything else is
    coaching practice.
    """
    dosage = item.get("dosage")
    nested = dosage.get("dose_basis") if isinstance(dosage, Mapping) else None
    basis = item.get("dose_basis", item.get("dosage_basis", nested))
    return basis == "source" or bool(item.get("dosage_source_ids"))


def _item_numbers(item: Mapping[str, Any]) -> list[Quantity]:
    out: list[Quantity] = []
    for key, value in item.items():
        if isinstance(value, str):
            out += quantities_in(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if key.endswith("_s"):
                out.append(Quantity(value=float(value), dim="s"))
            elif key.endswith("_deg"):
                out.append(Quantity(value=float(value), dim="deg"))
    return out


SEVERITY_RANK: dict[str, int] = {"none": 0, "mild": 1, "moderate": 2, "severe": 3}

# ----------------------------------------------------------------------------- verification


class Issue(BaseModel):
    """One thing the verifier dropped or flagged."""

    kind: IssueKind
    where: str = Field(description="e.g. 'findings[0]', 'drills[2]', 'summary'")
    detail: str


class Verification(BaseModel):
    """The verdict: ``ok`` (usable), the cleaned guidance, and what was dropped or flagged."""

    ok: bool
    guidance: Guidance
    dropped: list[Issue]
    flagged: list[Issue]
    reasons: list[str] = Field(default_factory=list,
                               description="why it does not verify (empty when ok)")


class _Checker:
    """One verification pass (keeps the issues; no state beyond one call)."""

    def __init__(self, run: RunEvidence) -> None:
        self.run = run
        self.allowed = run.allowed_numbers()
        self.dropped: list[Issue] = []
        self.flagged: list[Issue] = []
        self.reasons: list[str] = []

    def wrong_numbers(self, text: str, allowed: list[Quantity] | None = None) -> list[str]:
        pool = self.allowed if allowed is None else allowed
        return [_show(q) for q in quantities_in(text) if not _matches(q, pool)]

    def sources_ok(self, where: str, ids: list[str]) -> bool:
        invented = [i for i in ids if i not in self.run.source_ids]
        if invented:
            self.dropped.append(Issue(kind="invented_source", where=where,
                                      detail=f"cites {', '.join(invented)}, not returned "
                                             "by any tool in this run"))
        return not invented

    def text_ok(self, where: str, texts: Iterable[str | None],
                allowed: list[Quantity] | None = None) -> bool:
        wrong = [w for t in texts if t for w in self.wrong_numbers(t, allowed)]
        if wrong:
            self.dropped.append(Issue(kind="number_mismatch", where=where,
                                      detail=f"{', '.join(wrong)} matches no measurement "
                                             "or tool result"))
        return not wrong

    def finding(self, where: str, item: FindingExplanation) -> FindingExplanation | None:
        run = self.run
        if item.fault_id not in run.findings:
            self.dropped.append(Issue(kind="unknown_finding", where=where,
                                      detail=f"{item.fault_id!r} is not among the "
                                             f"assessment's findings {sorted(run.findings)}"))
            self.reasons.append(f"invented finding {item.fault_id!r}")
            return None
        if not self.sources_ok(where, item.source_ids):
            return None
        evidence = [e for i, e in enumerate(item.evidence)
                    if self.evidence(f"{where}.evidence[{i}]", e)]
        own = [q for mid in run.finding_metrics.get(item.fault_id, [])
               if mid in run.measurements for q in run.measurements[mid].quantities()]
        own += [q for e in evidence if e.metric_id in run.measurements
                for q in run.measurements[e.metric_id].quantities()]
        if len(evidence) < len(item.evidence) or not self.text_ok(
                where, [item.headline], own + self.run.numbers):
            self.reasons.append(f"wrong measured number in {where}")
            return None
        if not self.text_ok(where, [item.why_it_matters]):
            return None
        fixed = item
        severity, confidence = run.findings[item.fault_id], run.confidences[item.fault_id]
        if item.severity != severity or abs(item.confidence - confidence) > 0.005:
            self.flagged.append(Issue(
                kind="severity_mismatch", where=where,
                detail=f"said {item.severity} ({item.confidence:.2f}); the assessment says "
                       f"{severity} ({confidence:.2f}); corrected"))
            fixed = item.model_copy(update={"severity": severity, "confidence": confidence})
        if not item.source_ids:
            self.flagged.append(Issue(kind="uncited", where=where, detail="no source ids"))
        return fixed

    def evidence(self, where: str, item: MeasuredEvidence) -> bool:
        true = self.run.measurements.get(item.metric_id)
        if true is None:
            self.dropped.append(Issue(kind="unknown_metric", where=where,
                                      detail=f"{item.metric_id!r} was not measured"))
            return False
        pairs = [("value", item.value, true.value), ("target_low", item.target_low,
                                                      true.target_low),
                 ("target_high", item.target_high, true.target_high)]
        wrong = [f"{name} {said} (measured {real})" for name, said, real in pairs
                 if said is not None and (real is None or not _evidence_matches(said, real))]
        if unit_of(item.unit) != unit_of(true.unit) and item.unit != true.unit:
            wrong.append(f"unit {item.unit!r} (measured in {true.unit!r})")
        if wrong:
            self.dropped.append(Issue(kind="number_mismatch", where=where,
                                      detail=f"{item.metric_id}: {'; '.join(wrong)}"))
        return not wrong

    def drill(self, where: str, item: DrillAdvice) -> DrillAdvice | None:
        known_faults = set(self.run.findings) | set(self.run.looked_up_faults)
        name = item.name.lower()
        if name not in self.run.drills:
            self.dropped.append(Issue(kind="unknown_drill", where=where,
                                      detail=f"{item.name!r} was not returned by a lookup"))
            return None
        unknown = [f for f in item.fault_ids if f not in known_faults]
        if unknown:
            self.dropped.append(Issue(kind="unknown_fault", where=where,
                                      detail=f"for {', '.join(unknown)}: neither found nor "
                                             "looked up"))
            return None
        if not self.sources_ok(where, item.source_ids) or not self.text_ok(
                where, [item.purpose, item.instructions, item.dosage, item.progression]):
            return None
        if not item.source_ids:
            self.flagged.append(Issue(kind="uncited", where=where, detail="no source ids"))
        if item.dosage_basis == "source" and not self.run.drills[name]:
            self.flagged.append(Issue(kind="dosage_basis", where=where,
                                      detail="no returned source gives this dose; labelled "
                                             "coaching practice"))
            return item.model_copy(update={"dosage_basis": "coaching_practice"})
        return item

    def simple(self, where: str, item: Cue | SafetyNote | KeyPoint) -> bool:
        if not self.sources_ok(where, item.source_ids) or not self.text_ok(where, [item.text]):
            return False
        if isinstance(item, KeyPoint) and not item.source_ids:
            self.flagged.append(Issue(kind="uncited", where=where, detail="no source ids"))
        return True

    def lines(self, name: str, lines: list[str]) -> list[str]:
        return [line for i, line in enumerate(lines) if self.text_ok(f"{name}[{i}]", [line])]


def verify_guidance(guidance: Guidance, evidence: RunEvidence) -> Verification:
    """Check ``guidance`` against the run; return the cleaned guidance and the verdict.

    See the module docstring for the rules and for what makes ``ok`` false.
    """
    check = _Checker(evidence)
    findings = [f for i, item in enumerate(guidance.findings)
                if (f := check.finding(f"findings[{i}]", item)) is not None]
    held_up = [e for i, e in enumerate(guidance.held_up)
               if check.evidence(f"held_up[{i}]", e)]
    if len(held_up) < len(guidance.held_up):
        check.reasons.append("wrong measured number in held_up")
    drills = [d for i, item in enumerate(guidance.drills)
              if (d := check.drill(f"drills[{i}]", item)) is not None]
    key_points = [k for i, k in enumerate(guidance.key_points)
                  if check.simple(f"key_points[{i}]", k)]
    cues = [c for i, c in enumerate(guidance.cues) if check.simple(f"cues[{i}]", c)]
    safety = [s for i, s in enumerate(guidance.safety) if check.simple(f"safety[{i}]", s)]
    summary = guidance.summary
    if not summary.strip():
        check.dropped.append(Issue(kind="empty_summary", where="summary", detail="no summary"))
        check.reasons.append("empty summary")
    elif not check.text_ok("summary", [summary]):
        check.reasons.append("wrong number in the summary")
        summary = ""
    retest = guidance.retest
    if retest is not None and not check.text_ok("retest", [retest.test, retest.when]):
        retest = None
    said = {f.fault_id for f in findings}
    for fault_id, severity in sorted(evidence.findings.items()):
        if fault_id not in said:
            kind_issue = Issue(kind="missing_finding", where="findings",
                               detail=f"the assessment found {fault_id!r} ({severity})")
            check.flagged.append(kind_issue)
            if SEVERITY_RANK[severity] >= SEVERITY_RANK["moderate"]:
                check.reasons.append(f"left out the {severity} finding {fault_id!r}")
    total = sum(len(x) for x in (guidance.findings, guidance.key_points, guidance.drills,
                                 guidance.cues, guidance.safety))
    kept = len(findings) + len(key_points) + len(drills) + len(cues) + len(safety)
    if total and (total - kept) / total > MAX_DROPPED_SHARE:
        check.reasons.append(f"{total - kept} of {total} claim-bearing items dropped "
                             f"(more than {MAX_DROPPED_SHARE:.0%})")
    cleaned = guidance.model_copy(update={
        "summary": summary, "findings": findings, "held_up": held_up, "drills": drills,
        "key_points": key_points, "cues": cues, "safety": safety, "retest": retest,
        "not_assessed": check.lines("not_assessed", guidance.not_assessed),
        "limitations": check.lines("limitations", guidance.limitations)})
    return Verification(ok=not check.reasons, guidance=cleaned, dropped=check.dropped,
                        flagged=check.flagged, reasons=check.reasons)


def _show(q: Quantity) -> str:
    unit = {"deg": "°", "m": " m", "s": " s", "%": "%"}.get(q.dim, q.dim)
    return f"{q.value:g}{unit}"
