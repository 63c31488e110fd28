"""The deterministic composer: guidance from the assessment, the graph and QA hits, no model.

:func:`compose_guidance` leads with the most severe, most confident finding, states what
was measured against the target at the moment it was measured, says why it matters
(from the graph, cited), and gives 2-4 drills with a dose and a next step, 2-3 cues,
safety notes where the knowledge gives them, a re-test, and what could not be assessed.
A clean recording gets a short note on what was checked and held up. A question without
a recording is answered from QA hits and lookups only.

Citations: an item cites the source ids its knowledge item carries (``source_ids``,
when the store returns them) or, failing that, the ids its own text names; either way
only ids among the sources the tools returned in this run. Doses are labelled coaching
practice unless the knowledge item says a source gives the dose.

:func:`render_markdown` and :func:`render_text` write the answer with inline markers
such as ``[padua2009]`` and a reference list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sportsgpt.agents.guidance import (
    Cue,
    DrillAdvice,
    FindingExplanation,
    Guidance,
    KeyPoint,
    MeasuredEvidence,
    Retest,
    SafetyNote,
)
from sportsgpt.agents.verify import SEVERITY_RANK, dose_is_sourced
from sportsgpt.graph_kb.types import QAHit, SourceRef
from sportsgpt.tools.kismam.models import AssessmentReport, Finding, MetricResult
from sportsgpt.tools.knowledge import KgLookupResult

MAX_DRILLS = 4
MAX_CUES = 3
MAX_KEY_POINTS = 3
LOW_CONFIDENCE = 0.5
LEVEL_ORDER = {"beginner": 0, "intermediate": 1, "advanced": 2}
PROFESSIONAL_WORDS = ("clinician", "clearance", "cleared", "physio", "doctor", "medical")

KEYFRAME_PHRASES = {
    "movement_onset": "as you started the dip",
    "countermovement_bottom": "at the bottom of the dip",
    "takeoff": "at take-off",
    "apex": "at the top of the jump",
    "landing": "as your feet touched down",
    "landing_bottom": "at the deepest point of the landing",
    "descent_start": "as you started down",
    "bottom": "at the bottom of the squat",
    "ascent_end": "as you stood up",
}
RETEST_FOCUS = "re-record the same movement from the same camera position"


@dataclass(frozen=True)
class _Found:
    """A finding with the report it came from."""

    finding: Finding
    report: AssessmentReport
    repetitions: int


# ----------------------------------------------------------------------------- citations

def split_citations(text: str, known: Iterable[str]) -> tuple[str, list[str]]:
    """Remove source-id mentions (``(hara2008)``, ``; markovic2007``) from ``text``.

    Returns the cleaned text and the ids of ``known`` it named, in order. Ids that are
    not in ``known`` stay in the text untouched.
    """
    ids = sorted(set(known), key=len, reverse=True)
    if not ids:
        return text.strip(), []
    pattern = re.compile(r"\b(" + "|".join(re.escape(i) for i in ids) + r")\b")
    named = list(dict.fromkeys(pattern.findall(text)))

    def clean_group(match: re.Match[str]) -> str:
        inner = pattern.sub("", match.group(1))
        inner = re.sub(r"\s*[;,]\s*(?=[;,]|$)", "", inner)
        inner = re.sub(r"^\s*[;,]\s*", "", inner).strip()
        return f"({inner})" if inner else ""

    cleaned = re.sub(r"\(([^()]*)\)", clean_group, text)
    cleaned = pattern.sub("", cleaned)
    cleaned = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s{2,}", " ", cleaned))
    return cleaned.strip(), named


def _item_sources(item: Mapping[str, Any], known: set[str], *texts: str) -> list[str]:
    """The item's own source ids if the store returned them, else the ids its text names."""
    own = item.get("source_ids")
    if isinstance(own, list) and own:
        return [str(s) for s in own if s in known]
    named: list[str] = []
    for text in texts:
        named += split_citations(text, known)[1]
    return list(dict.fromkeys(named))


def _clean(text: str | None, known: set[str]) -> str:
    return split_citations(text or "", known)[0]


# ----------------------------------------------------------------------------- numbers


def fmt_value(value: float, unit: str) -> str:
    """A measurement in words-friendly form: ``11°``, ``21.8% of leg length``, ``0.45 s``."""
    if unit == "deg":
        return f"{value:.0f}°"
    if unit.startswith("%"):
        rest = unit[1:].strip()
        return f"{value:.1f}%" + (f" of {rest}" if rest else "")
    if unit == "m":
        return f"{value * 100:.0f} cm" if abs(value) < 1 else f"{value:.2f} m"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.0f} ms"
    return f"{value:g} {unit}"


def target_phrase(low: float | None, high: float | None, unit: str) -> str | None:
    """``170–180°``, ``at least 28°``, ``at most 20°``; None without a target."""
    if low is not None and high is not None:
        if unit == "deg":
            return f"{low:.0f}–{high:.0f}°"
        return f"{fmt_value(low, unit)} to {fmt_value(high, unit)}"
    if low is not None:
        return f"at least {fmt_value(low, unit)}"
    if high is not None:
        return f"at most {fmt_value(high, unit)}"
    return None


def _metric_name(label: str) -> str:
    name = re.sub(r"\s+(at|on|in|during)\s+(the\s+)?(take-?off|bottom|initial contact|"
                  r"landing)\b.*$", "", label, flags=re.IGNORECASE)
    return name[:1].lower() + name[1:]


WINDOW_NOUNS = {
    "movement_onset": "the start of the dip", "countermovement_bottom": "the bottom of the dip",
    "takeoff": "take-off", "apex": "the top of the jump", "landing": "touch-down",
    "landing_bottom": "the deepest point of the landing", "descent_start": "the start of the "
    "descent", "bottom": "the bottom of the squat", "ascent_end": "standing up",
    "pelvis still": "standing still again", "first foot contact": "the first foot's contact",
    "second foot contact": "the second foot's contact"}
"""Window ends (keyframes, or events a metric names) as nouns for "from ... to ..."."""
_OFFSET = re.compile(r"^(?P<base>.+?)\s*(?P<sign>[+-])\s*(?P<s>[\d.]+)\s*s$")


def _offset_words(seconds: float, sign: str, base: str) -> str:
    """A window offset in words, so no timing number reads like a measurement."""
    side = "before" if sign == "-" else "after"
    if seconds <= 0.25:
        return f"just {side} {base}"
    if abs(seconds - 1.0) < 1e-9:
        return f"the second {side} {base}"
    return f"shortly {side} {base}"


def _noun(end: str) -> str:
    m = _OFFSET.match(end)
    if m is None:
        return WINDOW_NOUNS.get(end, end.replace("_", " "))
    base = WINDOW_NOUNS.get(m["base"], m["base"].replace("_", " "))
    return _offset_words(float(m["s"]), m["sign"], base)


def _when(keyframe: str | None, window: Sequence[str] | None = None) -> str:
    """When a metric was measured: at a keyframe, or over a window ("in the 1 s before ...")."""
    if keyframe is not None:
        return KEYFRAME_PHRASES.get(keyframe, f"at {keyframe.replace('_', ' ')}")
    if window and len(window) == 2:
        start, end = window
        m = _OFFSET.match(start)
        if m is not None and m["sign"] == "-" and m["base"] == end:
            words = _offset_words(float(m["s"]), "-", _noun(end))
            return words if words.startswith("just") else f"in {words}"
        return f"from {_noun(start)} to {_noun(end)}"
    return "during the movement"


def measured_sentence(metric: MetricResult, value: float) -> str:
    """One plain sentence: measured value, moment, target (``At take-off your ... was 11°``)."""
    when = _when(metric.keyframe, metric.window)
    said = f"{when[:1].upper()}{when[1:]} your {_metric_name(metric.label)} was " \
           f"{fmt_value(value, metric.unit)}"
    target = target_phrase(metric.target_low, metric.target_high, metric.unit)
    if target is None:
        return said + "."
    if metric.target_source:
        sentence = f"{said}; the published target is {target}"
    else:
        low, high, unit = metric.target_low, metric.target_high, metric.unit
        if high is None:
            reach = f"reach {target}"
        elif low is None:
            reach = f"stay at or below {fmt_value(high, unit)}"
        else:
            reach = f"are at {target}"
        sentence = f"{said}; skilled athletes in the reference recordings {reach}"
    if metric.target_given:
        sentence += f" ({metric.target_given})"
    return sentence + "."


# ----------------------------------------------------------------------------- composer


def compose_guidance(reports: Sequence[AssessmentReport],
                     knowledge: Mapping[str, KgLookupResult],
                     qa_hits: Sequence[QAHit], question: str | None = None) -> Guidance:
    """Compose cited guidance from tool results only (deterministic, no model).

    Args:
        reports: assessments of this run (several repetitions or files; may be empty for
            a knowledge question).
        knowledge: ``kg_lookup`` results by fault id (or any key) from this run.
        qa_hits: ``qa_search`` hits of this run, best first.
        question: the athlete's question, if any.

    Returns:
        Guidance whose every source id is among the sources the tools returned.
    """
    refs = run_sources(knowledge, qa_hits)
    known = set(refs)
    found = _ranked_findings(reports)
    findings = [_explain(f, knowledge, known) for f in found]
    fault_order = [f.finding.fault_id for f in found] or _looked_up(knowledge)
    drills = _drills(fault_order, knowledge, known)
    cues = _cues(fault_order, knowledge, known)
    safety = _safety(fault_order, knowledge, known, {d.name for d in drills})
    key_points = _key_points(qa_hits, known, limit=1 if reports else MAX_KEY_POINTS)
    held_up = _held_up(reports) if not found and reports else []
    return Guidance(
        summary=_summary(reports, found, held_up, key_points, question),
        findings=findings, held_up=held_up, key_points=key_points, drills=drills,
        cues=cues, safety=safety, retest=_retest(reports, found),
        not_assessed=_not_assessed(reports), limitations=_limitations(reports, found))


def run_sources(knowledge: Mapping[str, KgLookupResult],
                qa_hits: Sequence[QAHit]) -> dict[str, SourceRef]:
    """Every source the knowledge tools returned in this run, by id."""
    refs: dict[str, SourceRef] = {}
    for result in knowledge.values():
        refs.update((s.id, s) for s in result.sources)
    for hit in qa_hits:
        refs.update((s.id, s) for s in hit.sources)
    return refs


def _ranked_findings(reports: Sequence[AssessmentReport]) -> list[_Found]:
    worst: dict[str, _Found] = {}
    counts: dict[str, int] = {}
    for report in reports:
        for finding in report.findings:
            if finding.severity == "none":
                continue
            counts[finding.fault_id] = counts.get(finding.fault_id, 0) + 1
            old = worst.get(finding.fault_id)
            if old is None or _rank(finding) > _rank(old.finding):
                worst[finding.fault_id] = _Found(finding, report, 0)
    ranked = sorted(worst.values(), key=lambda f: _rank(f.finding), reverse=True)
    return [_Found(f.finding, f.report, counts[f.finding.fault_id]) for f in ranked]


def _rank(finding: Finding) -> tuple[int, float, float]:
    return SEVERITY_RANK[finding.severity], finding.confidence, finding.score


def _looked_up(knowledge: Mapping[str, KgLookupResult]) -> list[str]:
    return list(dict.fromkeys(str(f["id"]) for r in knowledge.values() for f in r.faults))


def _items(knowledge: Mapping[str, KgLookupResult], group: str,
           fault_id: str) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for result in knowledge.values():
        for item in getattr(result, group):
            if fault_id in item.get("fault_ids", [fault_id]):
                seen.setdefault(str(item["id"]), item)
    return list(seen.values())


def _explain(found: _Found, knowledge: Mapping[str, KgLookupResult],
             known: set[str]) -> FindingExplanation:
    finding, report = found.finding, found.report
    metrics = {m.id: m for m in report.metrics}
    sentences = [measured_sentence(metrics[e.metric_id], e.value) for e in finding.evidence
                 if e.metric_id in metrics]
    if found.repetitions > 1:
        sentences.append(f"It showed in {found.repetitions} of the repetitions; this is "
                         f"the worst (repetition {report.repetition}).")
    why, why_ids = _why(finding, knowledge, known)
    ids = [s for s in finding.source_ids if s in known]
    for e in finding.evidence:
        ids += [s for s in metrics[e.metric_id].target_source if s in known] \
            if e.metric_id in metrics else []
    return FindingExplanation(
        fault_id=finding.fault_id, label=_fault_label(finding, knowledge),
        severity=finding.severity, confidence=finding.confidence,
        headline=" ".join(sentences) or finding.rationale,
        evidence=[MeasuredEvidence(metric_id=e.metric_id, value=e.value, unit=e.unit,
                                   target_low=e.target_low, target_high=e.target_high,
                                   keyframe=e.keyframe) for e in finding.evidence],
        why_it_matters=why, source_ids=list(dict.fromkeys(ids + why_ids)))


def _fault_label(finding: Finding, knowledge: Mapping[str, KgLookupResult]) -> str:
    for result in knowledge.values():
        for fault in result.faults:
            if fault["id"] == finding.fault_id:
                return str(fault.get("label", finding.label))
    return finding.label[:1].upper() + finding.label[1:]


def _why(finding: Finding, knowledge: Mapping[str, KgLookupResult],
         known: set[str]) -> tuple[str, list[str]]:
    """Why it matters: the metric's target note, a risk, the likeliest cause."""
    parts: list[str] = []
    ids: list[str] = []
    metric_ids = {e.metric_id for e in finding.evidence}
    for metric in _items(knowledge, "metrics", finding.fault_id):
        if metric["id"] in metric_ids and metric.get("target_note"):
            parts.append(_clean(metric["target_note"], known))
            ids += _item_sources(metric, known, metric["target_note"])
    for risk in _items(knowledge, "risks", finding.fault_id)[:1]:
        parts.append(_clean(risk.get("statement"), known))
        ids += _item_sources(risk, known, str(risk.get("statement", "")))
    causes = _items(knowledge, "causes", finding.fault_id)
    if causes:
        cause = causes[0]
        parts.append(f"A common cause: {str(cause.get('label', '')).lower()}. "
                     f"{_clean(cause.get('description'), known)}")
        ids += _item_sources(cause, known, str(cause.get("description", "")))
    if not parts:
        parts.append(_clean(finding.rationale, known))
    return " ".join(parts), list(dict.fromkeys(ids))


def _dosage(item: Mapping[str, Any]) -> str:
    unit = {"reps": "reps", "reps_per_side": "reps per side", "contacts": "contacts",
            "seconds": "s", "seconds_per_side": "s per side"}.get(
        str(item.get("rep_unit", "reps")), str(item.get("rep_unit", "")))
    nested = item.get("dosage")
    dose: Mapping[str, Any] = nested if isinstance(nested, Mapping) else item
    sets, reps = dose.get("sets"), dose.get("reps")
    text = f"{sets} × {reps} {unit}" if sets and reps else "as the knowledge base gives it"
    if dose.get("rest_s") is not None:
        text += f", {dose['rest_s']} s rest"
    if dose.get("per_week"):
        text += f", {dose['per_week']} sessions a week"
    return text


def _purpose(item: Mapping[str, Any], known: set[str]) -> str:
    basis = _clean(item.get("basis"), known)
    keep = [s for s in re.split(r"(?<=[.!?])\s+", basis)
            if s and not re.search(r"dosage|coaching|sets, reps|not taken from", s, re.I)]
    return " ".join(keep) or _clean(item.get("description"), known)


def _drills(faults: list[str], knowledge: Mapping[str, KgLookupResult],
            known: set[str]) -> list[DrillAdvice]:
    chosen: list[DrillAdvice] = []
    names: set[str] = set()
    for rank, fault_id in enumerate(faults):
        pool = sorted(_items(knowledge, "drills", fault_id),
                      key=lambda d: (LEVEL_ORDER.get(str(d.get("level")), 3), str(d["id"])))
        take = 2 if rank == 0 else 1
        for item in pool:
            if len(chosen) >= MAX_DRILLS or take == 0:
                break
            name = str(item.get("name", item["id"]))
            if name in names:
                continue
            names.add(name)
            take -= 1
            chosen.append(_drill(item, pool, fault_id, known))
    return chosen


def _drill(item: Mapping[str, Any], pool: list[dict[str, Any]], fault_id: str,
           known: set[str]) -> DrillAdvice:
    level = LEVEL_ORDER.get(str(item.get("level")), 3)
    explicit = [p for p in pool if p["id"] in (item.get("progresses_to") or [])]
    harder = explicit or [p for p in pool if LEVEL_ORDER.get(str(p.get("level")), 3) > level]
    progression = (f"When it feels easy and clean, move on to: {harder[0].get('name')}."
                   if harder else "When it feels easy, add a rep per set before adding load "
                                  "or height.")
    basis = str(item.get("basis", ""))
    return DrillAdvice(
        name=str(item.get("name", item["id"])), purpose=_purpose(item, known),
        instructions=_clean(item.get("description"), known), dosage=_dosage(item),
        dosage_basis="source" if dose_is_sourced(item) else "coaching_practice",
        progression=progression, fault_ids=[fault_id],
        source_ids=_item_sources(item, known, basis, str(item.get("description", ""))))


def _cues(faults: list[str], knowledge: Mapping[str, KgLookupResult],
          known: set[str]) -> list[Cue]:
    out: list[Cue] = []
    for rank, fault_id in enumerate(faults):
        pool = sorted(_items(knowledge, "cues", fault_id),
                      key=lambda c: (c.get("focus") != "external", str(c["id"])))
        for item in pool[:2 if rank == 0 else 1]:
            if len(out) >= MAX_CUES or any(c.text == item.get("text") for c in out):
                continue
            out.append(Cue(text=str(item.get("text", "")),
                           source_ids=_item_sources(item, known, str(item.get("note") or ""))))
    return out


def _safety(faults: list[str], knowledge: Mapping[str, KgLookupResult], known: set[str],
            drill_names: set[str]) -> list[SafetyNote]:
    notes: dict[str, SafetyNote] = {}
    for fault_id in faults:
        for risk in _items(knowledge, "risks", fault_id):
            text = _clean(risk.get("statement"), known)
            notes.setdefault(str(risk["id"]), SafetyNote(
                text=f"{risk.get('label', '')}: {text}", see_professional=_professional(text),
                source_ids=_item_sources(risk, known, str(risk.get("statement", "")))))
        if not drill_names:
            continue
        for contra in _items(knowledge, "contraindications", fault_id):
            action = _clean(contra.get("action"), known)
            notes.setdefault(str(contra["id"]), SafetyNote(
                text=f"{contra.get('label', '')}: {action}",
                see_professional=_professional(action),
                source_ids=_item_sources(contra, known, str(contra.get("action", "")))))
    return list(notes.values())


def _professional(text: str) -> bool:
    return any(w in text.lower() for w in PROFESSIONAL_WORDS)


def _key_points(hits: Sequence[QAHit], known: set[str], limit: int) -> list[KeyPoint]:
    out: list[KeyPoint] = []
    for hit in hits[:limit]:
        ids = [s for s in hit.qa.source_ids if s in known]
        if ids:
            out.append(KeyPoint(text=_clean(hit.qa.answer, known), source_ids=ids))
    return out


def _held_up(reports: Sequence[AssessmentReport]) -> list[MeasuredEvidence]:
    report = reports[0]
    return [MeasuredEvidence(metric_id=m.id, value=m.value, unit=m.unit,
                             target_low=m.target_low, target_high=m.target_high,
                             keyframe=m.keyframe)
            for m in report.metrics if m.status == "ok" and m.value is not None
            and (m.target_low is not None or m.target_high is not None)]


def _margin(metric: MetricResult) -> float:
    value = metric.value or 0.0
    gaps = [abs(value - b) / max(abs(b), 1e-9) for b in (metric.target_low, metric.target_high)
            if b is not None]
    return min(gaps) if gaps else float("inf")


def _movement(report: AssessmentReport) -> str:
    return report.movement.replace("_", " ")


def _asked(question: str | None) -> str:
    """The question quoted when short and free of numbers, else "your question".

    A number the athlete typed (pasted measurements, a weight) is not a measurement of this
    run, so the summary must not repeat it (the verifier rejects unmeasured numbers).
    """
    first = (question or "").strip().splitlines()[0] if (question or "").strip() else ""
    if not first or len(first) > 120 or re.search(r"\d", first):
        return "your question"
    return f"the question {first!r}"


def _summary(reports: Sequence[AssessmentReport], found: list[_Found],
             held_up: list[MeasuredEvidence], key_points: list[KeyPoint],
             question: str | None) -> str:
    if not reports:
        if key_points:
            first = re.split(r"(?<=[.!?])\s+", key_points[0].text)[0]
            return f"{first} (General guidance: no recording was analysed.)"
        return f"I found nothing in the knowledge base to answer {_asked(question)}."
    report = reports[0]
    reps = f" across {len(reports)} repetitions" if len(reports) > 1 else ""
    if not found:
        assessed = [m for m in report.metrics if m.status != "not_assessable"]
        close = min((m for m in report.metrics if m.status == "ok" and m.value is not None),
                    key=_margin, default=None)
        text = (f"A clean {_movement(report)}{reps}: all {len(assessed)} metrics I could "
                f"measure are within their target ranges ({len(held_up)} of them have one).")
        if close is not None and _margin(close) != float("inf"):
            when = _when(close.keyframe, close.window)
            text += (f" Closest to its limit: {_metric_name(close.label)} "
                     f"{when} ({fmt_value(close.value or 0.0, close.unit)}; "
                     f"target {target_phrase(close.target_low, close.target_high, close.unit)})"
                     " - keep it there as you train.")
        return text
    top = found[0].finding
    others = len(found) - 1
    text = (f"The main thing to work on in this {_movement(report)}{reps} is "
            f"{top.label.lower()} ({top.severity}).")
    if others:
        names = ", ".join(f.finding.label.lower() for f in found[1:])
        text += f" Also worth attention: {names}."
    text += " The drills below start with it."
    return text


def _retest(reports: Sequence[AssessmentReport], found: list[_Found]) -> Retest | None:
    if not reports:
        return None
    report = reports[0]
    if found:
        metric_ids = list(dict.fromkeys(e.metric_id for f in found for e in f.finding.evidence))
        labels = {m.id: m for m in report.metrics}
        watch = "; ".join(
            f"{_metric_name(labels[m].label)} {_when(labels[m].keyframe, labels[m].window)}"
            for m in metric_ids if m in labels)
        return Retest(test=f"Record another {_movement(report)} the same way (same camera "
                           f"position and set-up) and compare: {watch}.",
                      when="After 4-6 weeks of the drills (coaching practice).",
                      metric_ids=metric_ids)
    return Retest(test=f"Record another {_movement(report)} the same way to check the "
                       "technique holds as you train harder.",
                  when="After your next training block.",
                  metric_ids=[m.metric_id for m in _held_up(reports)][:3])


def _not_assessed(reports: Sequence[AssessmentReport]) -> list[str]:
    out: dict[str, str] = {}
    for report in reports:
        for m in report.metrics:
            if m.status == "not_assessable":
                out.setdefault(m.id, f"{m.label}: {m.reason or 'not measurable here'}.")
    return list(out.values())


def _limitations(reports: Sequence[AssessmentReport], found: list[_Found]) -> list[str]:
    if not reports:
        return ["No recording was analysed: this is general guidance, not a judgement of "
                "your technique."]
    out: list[str] = []
    for f in found:
        if f.finding.confidence < LOW_CONFIDENCE:
            out.append(f"The {f.finding.label.lower()} finding is uncertain (low confidence): "
                       "treat it as a hint and check it on the next recording.")
    for report in reports:
        out += [n for n in dict.fromkeys([*report.quality.notes, *report.notes])
                if n not in out]
        if report.quality.dim == 2 or report.quality.view not in (None, "3d"):
            note = (f"The recording is {report.quality.view or '2D'}: angles out of that "
                    "plane are not measured.")
            if note not in out:
                out.append(note)
    return out


# ----------------------------------------------------------------------------- rendering


def _markers(ids: Sequence[str]) -> str:
    return "".join(f" [{i}]" for i in ids)


def _reference(ref: SourceRef) -> str:
    year = f" ({ref.year})" if ref.year else ""
    link = f" https://doi.org/{ref.doi}" if ref.doi else (f" {ref.url}" if ref.url else "")
    return f"[{ref.id}] {ref.title}{year}.{link}"


def render_markdown(guidance: Guidance, sources: Mapping[str, SourceRef]) -> str:
    """The answer as Markdown: sections, inline ``[id]`` markers and a reference list."""
    return "\n".join(_render(guidance, sources, markdown=True)).strip() + "\n"


def render_text(guidance: Guidance, sources: Mapping[str, SourceRef]) -> str:
    """The same answer as plain text (no Markdown markup)."""
    return "\n".join(_render(guidance, sources, markdown=False)).strip() + "\n"


def _render(g: Guidance, sources: Mapping[str, SourceRef], *, markdown: bool) -> list[str]:
    def head(title: str) -> list[str]:
        return ["", f"### {title}" if markdown else title.upper(), ""]

    def bold(text: str) -> str:
        return f"**{text}**" if markdown else text

    lines = [g.summary]
    if g.findings:
        lines += head("What I found")
        for i, f in enumerate(g.findings, 1):
            lines.append(f"{i}. {bold(f.label)} ({f.severity}, confidence "
                         f"{f.confidence:.2f}). {f.headline}")
            lines.append(f"   Why it matters: {f.why_it_matters}{_markers(f.source_ids)}")
    if g.held_up:
        lines += head("What held up")
        lines += [f"- {e.metric_id.replace('_', ' ')}: {fmt_value(e.value, e.unit)}"
                  f" (target {target_phrase(e.target_low, e.target_high, e.unit)})"
                  for e in g.held_up]
    if g.key_points:
        lines += head("What the evidence says")
        lines += [f"- {k.text}{_markers(k.source_ids)}" for k in g.key_points]
    if g.drills:
        lines += head("What to train")
        for i, d in enumerate(g.drills, 1):
            basis = "a sourced dose" if d.dosage_basis == "source" else "coaching practice"
            lines.append(f"{i}. {bold(d.name)}: {d.dosage} ({basis}).")
            lines.append(f"   How: {d.instructions}")
            lines.append(f"   Why: {d.purpose}{_markers(d.source_ids)}")
            if d.progression:
                lines.append(f"   Next: {d.progression}")
    if g.cues:
        lines += head("Cues")
        lines += [f"- \"{c.text}\"{_markers(c.source_ids)}" for c in g.cues]
    if g.safety:
        lines += head("Safety")
        lines += [f"- {s.text}{_markers(s.source_ids)}" for s in g.safety]
    if g.retest:
        lines += head("Re-test")
        lines.append(f"{g.retest.when} {g.retest.test}")
    if g.not_assessed:
        lines += head("Not assessed")
        lines += [f"- {n}" for n in g.not_assessed]
    if g.limitations:
        lines += head("Limitations")
        lines += [f"- {n}" for n in g.limitations]
    cited = [i for i in dict.fromkeys(_all_ids(g))]
    if cited:
        lines += head("References")
        lines += [f"- {_reference(sources[i])}" if i in sources else f"- [{i}]"
                  for i in cited]
    return lines


def _all_ids(g: Guidance) -> list[str]:
    items: list[FindingExplanation | KeyPoint | DrillAdvice | Cue | SafetyNote] = [
        *g.findings, *g.key_points, *g.drills, *g.cues, *g.safety]
    return [i for item in items for i in item.source_ids]
