"""Structured guidance: what SportsGPT tells an athlete, as typed data.

The deterministic composer (:mod:`sportsgpt.agents.composer`) fills these models, an
LLM may fill them through structured output, and the citation verifier
(:mod:`sportsgpt.agents.verify`) checks either against what the tools returned. Every
claim-bearing item carries ``source_ids``: ids of sources a tool returned in the same
run. Measured numbers live in :class:`MeasuredEvidence`; free text may quote them, and
the verifier checks every number with a unit against the run's measurements.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["none", "mild", "moderate", "severe"]
DosageBasis = Literal["source", "coaching_practice"]

SourceIds = list[str]


class MeasuredEvidence(BaseModel):
    """One measurement of the assessment, with the target range it was judged against."""

    metric_id: str = Field(description="KISMAM metric id, as in the assessment")
    value: float = Field(description="measured value, as in the assessment")
    unit: str = Field(description="unit, as in the assessment")
    target_low: float | None = Field(None, description="lower end of the target range")
    target_high: float | None = Field(None, description="upper end of the target range")
    keyframe: str | None = Field(None, description="keyframe or phase it is measured at")


class FindingExplanation(BaseModel):
    """A fault the assessment found, explained for the athlete."""

    fault_id: str = Field(description="fault id from the assessment's findings (never new)")
    label: str = Field(description="the fault's name in plain words")
    severity: Severity = Field(description="severity as the assessment states it")
    confidence: float = Field(ge=0.0, le=1.0,
                              description="the assessment's confidence in the finding")
    headline: str = Field(description="what was measured vs the target, at which moment")
    evidence: list[MeasuredEvidence] = Field(description="the measurements behind it")
    why_it_matters: str = Field(description="consequence or likely cause, from the sources")
    source_ids: SourceIds = Field(description="ids of tool-returned sources it rests on")


class DrillAdvice(BaseModel):
    """A corrective drill with a dose and a next step."""

    name: str = Field(description="drill name as the knowledge base gives it")
    purpose: str = Field(description="what it trains and why, from the sources")
    instructions: str = Field(description="how to do it")
    dosage: str = Field(description="sets x reps, rest, sessions a week")
    dosage_basis: DosageBasis = Field(
        description="'source' only when a cited source gives this dose; otherwise "
                    "'coaching_practice'")
    progression: str | None = Field(None, description="what to move on to, and when")
    fault_ids: list[str] = Field(description="the findings it addresses")
    source_ids: SourceIds = Field(description="ids of tool-returned sources it rests on")


class Cue(BaseModel):
    """A short coaching cue."""

    text: str = Field(description="the cue, a few words")
    source_ids: SourceIds = Field(default_factory=list,
                                  description="ids of tool-returned sources, if any")


class SafetyNote(BaseModel):
    """A precaution, or a sign that the athlete should see a professional."""

    text: str = Field(description="the precaution in plain words")
    see_professional: bool = Field(
        description="true only where the knowledge says to see a clinician or get clearance")
    source_ids: SourceIds = Field(default_factory=list,
                                  description="ids of tool-returned sources, if any")


class KeyPoint(BaseModel):
    """A cited point of general knowledge (the answer to a knowledge question)."""

    text: str = Field(description="the point in plain words")
    source_ids: SourceIds = Field(description="ids of tool-returned sources it rests on")


class Retest(BaseModel):
    """How and when to check progress."""

    test: str = Field(description="what to record again")
    when: str = Field(description="when to record it")
    metric_ids: list[str] = Field(description="the metrics to compare")


class Guidance(BaseModel):
    """The whole answer: findings first, then what to train, how to check progress."""

    summary: str = Field(description="two or three sentences: the most important point first")
    findings: list[FindingExplanation] = Field(
        default_factory=list, description="most severe and most confident first")
    held_up: list[MeasuredEvidence] = Field(
        default_factory=list, description="measurements within their target range worth "
                                          "naming (mainly for a clean recording)")
    key_points: list[KeyPoint] = Field(default_factory=list,
                                       description="cited general knowledge")
    drills: list[DrillAdvice] = Field(default_factory=list,
                                      description="2-4, for the most important finding first")
    cues: list[Cue] = Field(default_factory=list, description="2-3 cues")
    safety: list[SafetyNote] = Field(default_factory=list)
    retest: Retest | None = None
    not_assessed: list[str] = Field(default_factory=list,
                                    description="what could not be measured, and why")
    limitations: list[str] = Field(default_factory=list,
                                   description="what limits this assessment")

    def cited_ids(self) -> set[str]:
        """Every source id any item cites."""
        items: list[FindingExplanation | DrillAdvice | Cue | SafetyNote | KeyPoint] = [
            *self.findings, *self.key_points, *self.drills, *self.cues, *self.safety]
        return {sid for item in items for sid in item.source_ids}
