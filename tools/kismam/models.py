"""The assessment report: KISMAM's output contract (JSON names are stable).

``AssessmentReport.model_json_schema()`` is the published JSON schema
(``docs/assessment.schema.json``, written by ``render.write_schema``; a unit test keeps
the file equal to the model).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["none", "mild", "moderate", "severe"]
MetricStatus = Literal["ok", "low", "high", "not_assessable"]
ViewNeed = Literal["3d", "sagittal", "frontal"]


class KeyframeOut(BaseModel):
    """A keyframe on the input recording (frame: 0-based index into the input file)."""

    name: str
    frame: int
    time_s: float
    method: Literal["refined", "transferred", "given", "events"] = Field(
        "transferred", description="refined/transferred: MotionDTW; events: the rule-based "
        "event routine (when MotionDTW found no match and the caller allowed it); given: "
        "by the user")


class PhaseOut(BaseModel):
    """A phase between two keyframes."""

    name: str
    start_frame: int
    end_frame: int
    duration_s: float


class MetricResult(BaseModel):
    """One interpretable metric against its target range."""

    id: str
    label: str
    value: float | None = Field(description="None when not assessable")
    unit: str
    target_low: float | None
    target_high: float | None
    z: float | None = Field(description="deviation in target standard deviations; "
                                        "None when not assessable")
    status: MetricStatus
    keyframe: str | None = Field(None, description="the keyframe a point metric is read at; "
                                                    "None for a window metric")
    frame: int | None = Field(None, description="frame the value comes from: the keyframe's "
                                                "frame, or the peak's in a window; None when "
                                                "no single frame gives it (a duration)")
    window: list[str] | None = Field(
        None, min_length=2, max_length=2,
        description="for a metric measured over a stretch of the recording: its two ends, "
                    "as keyframe names or offsets from one (e.g. ['takeoff - 1 s', 'takeoff'])")
    window_frames: list[int] | None = Field(
        None, min_length=2, max_length=2, description="the window's first and last frame")
    target_source: list[str] = Field(default_factory=list,
                                     description="source ids of the target range")
    target_basis: str = Field(
        "reported only (no target)",
        description="where the target comes from, never blank: 'literature: <ids>', "
                    "'template experts (n recordings of k athletes)' (with 'compared with "
                    "one expert' when k = 1), 'own baseline (n recordings)', or "
                    "'reported only (no target)'")
    beyond: float | None = Field(
        None, description="distance beyond the target bound in the fault direction, in the "
                          "metric's unit (negative: inside); None for reported-only metrics")
    smc: float | None = Field(None, description="the metric's smallest meaningful change "
                                                "(its unit): severity counts SMC beyond the "
                                                "bound")
    target_given: str | None = Field(
        None, description="what the target band was moved to, when it is conditioned on "
                          "another metric of the recording (e.g. 'for knee flexion at the "
                          "bottom 100°')")
    reason: str | None = Field(None, description="why not assessable, if so")


class Evidence(BaseModel):
    """One measurement behind a finding."""

    metric_id: str
    value: float
    unit: str
    target_low: float | None
    target_high: float | None
    z: float
    beyond: float | None = Field(None, description="distance beyond the bound in the term's "
                                                   "direction, metric unit (negative inside)")
    smc: float | None = Field(None, description="smallest meaningful change, metric unit")
    target_basis: str | None = Field(None, description="where the target comes from")
    frame: int | None
    keyframe: str | None


class Finding(BaseModel):
    """A named fault with severity, confidence, evidence and a one-line rationale."""

    fault_id: str
    label: str
    severity: Severity
    score: float = Field(description="SMC beyond the target bound of the deciding metric "
                                     "(the severity: > 0 mild, >= 1 moderate, >= 2 severe)")
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence]
    rationale: str
    magnitude: str | None = Field(None, description="the deciding metric's distance beyond "
                                                    "its bound in its unit, in SMC, and its z")
    reference: str | None = Field(None, description="where the deciding target comes from")
    one_expert: bool = Field(False, description="the deciding target is one expert "
                                                "athlete's ('compared with one expert'); "
                                                "the confidence is lowered")
    source_ids: list[str] = Field(default_factory=list)


class QualityOut(BaseModel):
    """Data quality as it bears on the assessment."""

    dim: int | None
    view: str | None
    missing_pct: float
    match_quality: float | None
    angle_noise_deg: float | None = Field(
        None, description="joint-angle noise the input's position jitter leaves after the "
                          "low-pass (deg); lowers every finding's confidence; None when "
                          "unknown (angles-only input)")
    notes: list[str] = Field(default_factory=list)


class AssessmentReport(BaseModel):
    """KISMAM's assessment of one repetition of one movement."""

    schema_version: int = 1
    movement: str
    movement_confidence: float | None = Field(
        None, description="with --movement auto: how sure the movement choice is")
    repetition: int = Field(1, description="1-based index when a file holds several")
    source: str | None
    fps: float
    n_frames: int
    keyframes: list[KeyframeOut]
    phases: list[PhaseOut]
    metrics: list[MetricResult]
    findings: list[Finding]
    quality: QualityOut
    template_version: str | None = None
    notes: list[str] = Field(default_factory=list)
