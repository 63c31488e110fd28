"""What a system under test returns for one case, and the measurements it is scored against."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["none", "mild", "moderate", "severe"]
DETECTED: tuple[Severity, ...] = ("moderate", "severe")
"""Structured findings at these severities count as named faults (as in the benchmark)."""


class NamedFault(BaseModel):
    """A structured finding of a system that has them."""

    model_config = ConfigDict(extra="ignore")

    fault_id: str
    severity: Severity = "moderate"
    confidence: float = 1.0


class Measurement(BaseModel):
    """One measured metric of the case's recording (from ``sportsgpt.api.analyze_file``)."""

    metric_id: str
    label: str
    value: float
    unit: str
    target_low: float | None = None
    target_high: float | None = None


class Response(BaseModel):
    """One system's answer to one case.

    ``findings`` is None for a system without structured findings (its faults are then
    extracted from the text). ``cited_ids`` is None when the system gives no structured
    citations (they are then parsed from the text). ``retrieved_ids``: the source ids the
    system's tools returned in this run, as far as the system reports them (None: it
    retrieved nothing or does not say).
    """

    model_config = ConfigDict(extra="forbid")

    case_id: str
    system: str
    runnable: bool = True
    error: str | None = None
    answer: str = ""
    findings: list[NamedFault] | None = None
    cited_ids: list[str] | None = None
    retrieved_ids: list[str] | None = None
    fallback: bool | None = Field(None, description="the coach's composer answered instead "
                                                     "of the model")
    seconds: float = 0.0
    meta: dict[str, Any] = Field(default_factory=dict)
