"""Hand-built assessments and knowledge for the composer and verifier tests."""

from __future__ import annotations

from typing import Any

from sportsgpt.graph_kb.types import QAHit, QAPair, SourceRef
from sportsgpt.tools.kismam.models import (
    AssessmentReport,
    Evidence,
    Finding,
    KeyframeOut,
    MetricResult,
    QualityOut,
    Severity,
)
from sportsgpt.tools.knowledge import KgLookupResult

SOURCES = {
    "padua2009": SourceRef(id="padua2009", title="The Landing Error Scoring System",
                           url=None, doi="10.1177/0363546509343200", year=2009),
    "markovic2007": SourceRef(id="markovic2007", title="Does plyometric training improve "
                              "vertical jump height?", url=None, doi="10.1136/bjsm.2007.035113",
                              year=2007),
    "hara2008": SourceRef(id="hara2008", title="Arm swing and countermovement",
                          url="https://example.org/hara", doi=None, year=2008),
}


def metric(metric_id: str, value: float | None, *, low: float | None = None,
           high: float | None = None, unit: str = "deg", status: str = "ok",
           keyframe: str = "takeoff", reason: str | None = None,
           target_source: list[str] | None = None) -> MetricResult:
    """One metric result."""
    return MetricResult(id=metric_id, label=metric_id.replace("_", " ").capitalize(),
                        value=value, unit=unit, target_low=low, target_high=high,
                        z=None if value is None else 0.0, status=status,  # type: ignore[arg-type]
                        keyframe=keyframe, frame=None if value is None else 100,
                        target_source=target_source or [], reason=reason)


def finding(fault_id: str, severity: Severity, confidence: float, m: MetricResult,
            z: float, source_ids: list[str] | None = None) -> Finding:
    """A finding resting on one metric."""
    assert m.value is not None
    return Finding(fault_id=fault_id, label=fault_id.replace("_", " "), severity=severity,
                   score=abs(z), confidence=confidence,
                   evidence=[Evidence(metric_id=m.id, value=m.value, unit=m.unit,
                                      target_low=m.target_low, target_high=m.target_high,
                                      z=z, frame=m.frame, keyframe=m.keyframe)],
                   rationale=f"{fault_id}: {m.id} {m.value:.0f}°",
                   source_ids=source_ids or [])


def report(metrics: list[MetricResult], findings: list[Finding],
           notes: list[str] | None = None) -> AssessmentReport:
    """A countermovement-jump report."""
    return AssessmentReport(
        movement="countermovement_jump", source=None, fps=100.0, n_frames=300,
        keyframes=[KeyframeOut(name="takeoff", frame=100, time_s=1.0)], phases=[],
        metrics=metrics, findings=findings,
        quality=QualityOut(dim=3, view="3d", missing_pct=0.0, match_quality=0.9),
        notes=notes or [])


KNEE = metric("knee_angle_at_takeoff", 151.2, low=170.0, high=180.0)
TRUNK = metric("trunk_lean_at_takeoff", 12.0, high=20.0)
LANDING = metric("knee_flexion_at_initial_contact", 24.0, low=30.0, keyframe="landing",
                 target_source=["padua2009"])
TIMING = metric("arm_swing_timing", None, unit="s", status="not_assessable",
                reason="arm swing of 11° is too small to time (needs 30°)")

SEVERE_KNEE = finding("insufficient_knee_extension_at_takeoff", "severe", 0.9, KNEE, -4.1)
MILD_LANDING = finding("stiff_landing", "mild", 0.95, LANDING, -1.2, ["padua2009"])


def severe_report() -> AssessmentReport:
    """A severe knee-extension fault (listed second) and a mild stiff landing."""
    return report([KNEE, TRUNK, LANDING, TIMING], [MILD_LANDING, SEVERE_KNEE])


def clean_report() -> AssessmentReport:
    """Every assessed metric within its target."""
    knee = metric("knee_angle_at_takeoff", 172.4, low=170.0, high=180.0)
    return report([knee, TRUNK, TIMING], [])


def _drill(drill_id: str, fault_id: str, level: str, basis: str, **dose: Any
           ) -> dict[str, Any]:
    return {"id": drill_id, "name": drill_id.replace("_", " ").capitalize(),
            "description": "Do it well.", "level": level, "basis": basis, "sets": 3,
            "reps": 5, "rep_unit": "reps", "rest_s": 90, "per_week": 2,
            "fault_ids": [fault_id], **dose}


def knowledge_for(fault_id: str, source_ids: list[str] | None = None) -> KgLookupResult:
    """A lookup result for any fault: causes, three drills, cues, a risk, a caution."""
    ids = source_ids or ["markovic2007", "hara2008"]
    first, second = ids[0], ids[-1]
    return KgLookupResult(
        query={"fault_id": fault_id, "metric_id": None, "movement": None},
        faults=[{"id": fault_id, "label": fault_id.replace("_", " ").capitalize(),
                 "description": "A fault."}],
        metrics=[],
        causes=[{"id": f"cause_{fault_id}", "label": "Weak finish",
                 "description": f"The push stops early ({first}).", "fault_ids": [fault_id]}],
        drills=[_drill(f"{fault_id}_basic", fault_id, "beginner",
                       f"Jump training raised CMJ height by about 8.7% ({first}). "
                       "Sets, reps and rest are a coaching starting dose."),
                _drill(f"{fault_id}_hard", fault_id, "advanced", f"Harder ({second})."),
                _drill(f"{fault_id}_mid", fault_id, "intermediate",
                       f"Sourced dose ({second}).", dose_basis="source")],
        cues=[{"id": f"cue_{fault_id}_in", "text": "Squeeze the legs straight.",
               "focus": "internal", "note": None, "fault_ids": [fault_id]},
              {"id": f"cue_{fault_id}_out", "text": "Push the floor away.",
               "focus": "external", "note": f"External focus helps ({second}).",
               "fault_ids": [fault_id]}],
        risks=[],
        contraindications=[{"id": "acute_pain", "label": "Acute pain",
                            "description": "Pain now.", "action": "No jumping until cleared "
                            "by a clinician.", "fault_ids": [fault_id]}],
        sources=[SOURCES[i] for i in sorted(set(ids))])


def qa_hit(answer: str, source_ids: list[str]) -> QAHit:
    """A QA hit citing known sources."""
    pair = QAPair(id="qa1", question="How do I jump higher?", answer=answer,
                  source_ids=source_ids)
    return QAHit(qa=pair, score=1.0, sources=[SOURCES[i] for i in source_ids])
