"""One analysis of one prepared recording: movement choice, alignment, KISMAM reports.

The front door (``sportsgpt.api``) and the tool registry (:mod:`sportsgpt.tools.registry`)
both call :func:`analyze_prepared`, so a recording is assessed the same way whoever asks,
and it is preprocessed once (:func:`~sportsgpt.tools.prepare.prepare`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from sportsgpt.graph_kb.catalog import MovementCatalog
from sportsgpt.tools.kismam.assess import assess, choose_movement
from sportsgpt.tools.kismam.models import AssessmentReport
from sportsgpt.tools.motiondtw.templates import Template, load_template
from sportsgpt.tools.prepare import Prepared

AUTO = "auto"
"""The movement id that asks for the movement to be recognised."""


class Analysis(BaseModel):
    """Everything one analysis produced: a report per repetition, and what it was made from.

    ``movement_ratios`` holds, for ``auto``, each shipped movement's match cost over its
    threshold (the evidence behind the choice); empty when the movement was named.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reports: list[AssessmentReport]
    prepared: Prepared
    template: Template
    movement_ratios: dict[str, float] = {}

    @property
    def movement(self) -> str:
        """The movement assessed."""
        return self.reports[0].movement


def analyze_prepared(prep: Prepared, movement: str = AUTO, *, template: Template | None = None,
                     catalog: MovementCatalog | None = None, arm_swing: bool | None = None,
                     fallback_events: bool | None = None,
                     extra_notes: tuple[str, ...] = ()) -> Analysis:
    """KISMAM on one prepared recording: one assessment per repetition found.

    ``fallback_events=None`` (default) takes keyframes from the event rules when MotionDTW
    finds no match only if ``movement`` was named: the caller vouches for the movement, and
    an execution far from the template (a squat to 50°) is exactly what needs assessing.
    With ``auto`` a recording no template matches is not assessed as anything
    (``MovementNotFoundError``). ``catalog`` replaces the shipped targets (a per-athlete
    baseline); ``extra_notes`` are added to every report's notes and quality notes.

    Raises:
        MovementNotFoundError: no repetition of the movement was found.
        CatalogError, TemplateError, MotionDataError: unknown movement or unusable data.
    """
    if fallback_events is None:
        fallback_events = movement != AUTO
    ratios: dict[str, float] = {}
    confidence: float | None = None
    if movement == AUTO:
        movement, confidence, ratios = choose_movement(prep)
    template = template or load_template(movement)
    reports = assess(prep, movement, template=template, arm_swing=arm_swing,
                     fallback_events=fallback_events, catalog=catalog)
    updates: list[AssessmentReport] = []
    for r in reports:
        notes = list(extra_notes)
        r = r.model_copy(update={
            "notes": [*r.notes, *notes],
            "quality": r.quality.model_copy(update={"notes": [*r.quality.notes, *notes]}),
            "movement_confidence": confidence if confidence is not None
            else r.movement_confidence})
        updates.append(r)
    return Analysis(reports=updates, prepared=prep, template=template, movement_ratios=ratios)
