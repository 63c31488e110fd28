"""Schema of the sports knowledge graph: node labels, relation types, data-file records.

The curated knowledge lives in two JSON files under ``graph_kb/data``:

* ``sources.json``: a list of :class:`sportsgpt.graph_kb.types.Source` records;
* ``graph.json``: one :class:`GraphData` object (sports, movements with their
  phases and keyframes, metrics, faults, causes, drills, cues, body regions,
  muscles, injury risks, contraindications).

The records below validate those files field by field;
:mod:`sportsgpt.graph_kb.content` checks the references between them and turns
them into :class:`~sportsgpt.graph_kb.types.Node` / ``Relation`` lists.
``schema.md`` documents the graph with a diagram.

Movement, fault and metric ids are KISMAM's: the movement registry
(:mod:`sportsgpt.graph_kb.movements`) derives them from each movement's folder, and
:mod:`sportsgpt.graph_kb.content` checks that ``graph.json`` describes exactly those.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from sportsgpt.core.errors import SportsGPTError

FORMAT_VERSION: Final = 1
"""Version of the ``graph.json`` layout this module reads."""


class KnowledgeDataError(SportsGPTError, ValueError):
    """A knowledge data file that is unreadable or inconsistent (names the file and the field)."""

    def __init__(self, path: str, reason: str, *, field: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.field = field
        where = path if field is None else f"{path}, field {field!r}"
        super().__init__(f"{where}: {reason}")


# --------------------------------------------------------------------------- labels and relations

NODE_LABELS: Final = ("Sport", "Movement", "Phase", "Keyframe", "Metric", "Fault", "Cause",
                      "Drill", "Cue", "BodyRegion", "Muscle", "InjuryRisk", "Contraindication",
                      "Source")
"""Every node label, in the order :meth:`Content.to_graph` emits nodes."""

RELATION_TYPES: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "INCLUDES": (frozenset({"Sport"}), frozenset({"Movement"})),
    "HAS_PHASE": (frozenset({"Movement"}), frozenset({"Phase"})),
    "HAS_KEYFRAME": (frozenset({"Movement"}), frozenset({"Keyframe"})),
    "STARTS_AT": (frozenset({"Phase"}), frozenset({"Keyframe"})),
    "ENDS_AT": (frozenset({"Phase"}), frozenset({"Keyframe"})),
    "MEASURED_AT": (frozenset({"Metric"}), frozenset({"Keyframe", "Phase"})),
    "OF_MOVEMENT": (frozenset({"Metric"}), frozenset({"Movement"})),
    "DETECTED_BY": (frozenset({"Fault"}), frozenset({"Metric"})),
    "OCCURS_IN": (frozenset({"Fault"}), frozenset({"Movement"})),
    "CAUSED_BY": (frozenset({"Fault"}), frozenset({"Cause"})),
    "INVOLVES": (frozenset({"Cause"}), frozenset({"BodyRegion", "Muscle"})),
    "CORRECTS": (frozenset({"Drill"}), frozenset({"Fault"})),
    "TARGETS": (frozenset({"Drill"}), frozenset({"Cause"})),
    "ADDRESSES": (frozenset({"Cue"}), frozenset({"Fault"})),
    "RAISES": (frozenset({"Fault"}), frozenset({"InjuryRisk"})),
    "CONTRAINDICATED_FOR": (frozenset({"Drill"}), frozenset({"Contraindication"})),
    "PROGRESSES_TO": (frozenset({"Drill"}), frozenset({"Drill"})),
    "REGRESSES_TO": (frozenset({"Drill"}), frozenset({"Drill"})),
    "PART_OF": (frozenset({"Muscle"}), frozenset({"BodyRegion"})),
    "SUPPORTED_BY": (frozenset({"Fault", "Cause", "Drill", "Cue", "InjuryRisk", "Metric",
                                "Contraindication"}), frozenset({"Source"})),
}
"""Relation type -> (allowed start labels, allowed end labels)."""

# --------------------------------------------------------------------------- records

Id = str
Level = Literal["beginner", "intermediate", "advanced"]
Focus = Literal["internal", "external"]
RiskEvidence = Literal["contested", "association", "mechanistic", "not_established"]
RepUnit = Literal["reps", "reps_per_side", "contacts", "seconds", "seconds_per_side"]


class _Record(BaseModel):
    """Strict base: unknown fields are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class _Cited(_Record):
    """A claim-bearing record: what the sources show, and their ids."""

    source_ids: list[Id] = Field(min_length=1)


class SportRecord(_Record):
    """A sport or training context that includes movements."""

    id: Id
    name: str
    description: str
    movements: list[Id] = Field(min_length=1)


class KeyframeRecord(_Record):
    """A named instant of a movement (names match the MotionDTW templates)."""

    name: str
    description: str


class PhaseRecord(_Record):
    """A named interval between two keyframes of the same movement."""

    name: str
    start: str
    end: str
    description: str


class MovementRecord(_Record):
    """A movement with its keyframes (in time order) and phases."""

    id: Id
    name: str
    description: str
    keyframes: list[KeyframeRecord] = Field(min_length=2)
    phases: list[PhaseRecord] = Field(min_length=1)


class MetricRecord(_Record):
    """An interpretable KISMAM metric; ``measured_at`` maps movement -> keyframe or phase name."""

    id: Id
    label: str
    unit: str
    description: str
    movements: list[Id] = Field(min_length=1)
    measured_at: dict[Id, str]
    target_note: str | None = None
    source_ids: list[Id] = Field(default_factory=list)


class FaultRecord(_Cited):
    """A named technique fault, how it is detected, why it happens and what it may raise."""

    id: Id
    label: str
    description: str
    coach_summary: str
    movements: list[Id] = Field(min_length=1)
    metrics: list[Id] = Field(min_length=1)
    causes: list[Id] = Field(min_length=1)
    risks: list[Id] = Field(default_factory=list)
    caveat: str | None = None


class CauseRecord(_Cited):
    """A likely cause of one or more faults and the body parts it involves."""

    id: Id
    label: str
    description: str
    body_regions: list[Id] = Field(default_factory=list)
    muscles: list[Id] = Field(default_factory=list)


DoseBasis = Literal["coaching_practice", "source"]


class Dosage(_Record):
    """A starting dose (sets x reps, rest, sessions per week) and where it comes from.

    ``dose_basis`` is ``"coaching_practice"`` unless a cited ``yes`` source gives
    the dose and the drill's ``basis`` names that source (see ``support.py``).
    """

    sets: int = Field(ge=1, le=10)
    reps: int = Field(ge=1, le=60)
    rep_unit: RepUnit = "reps"
    rest_s: int = Field(ge=0, le=600)
    per_week: int = Field(ge=1, le=7)
    dose_basis: DoseBasis


class DrillRecord(_Cited):
    """A corrective drill: dosage, equipment, level, faults it corrects, causes it targets."""

    id: Id
    name: str
    description: str
    dosage: Dosage
    equipment: list[str]
    level: Level
    corrects: list[Id] = Field(min_length=1)
    targets: list[Id] = Field(default_factory=list)
    progresses_to: list[Id] = Field(default_factory=list)
    contraindications: list[Id] = Field(default_factory=list)
    basis: str = Field(description="what the sources show, and what is coaching practice")


class CueRecord(_Cited):
    """A short coaching cue with its attentional focus."""

    id: Id
    text: str
    focus: Focus
    addresses: list[Id] = Field(min_length=1)
    note: str | None = None


class BodyRegionRecord(_Record):
    """A body region (ankle, knee, hip, trunk, shoulder)."""

    id: Id
    name: str


class MuscleRecord(_Record):
    """A muscle or muscle group, part of a body region."""

    id: Id
    name: str
    body_region: Id


class InjuryRiskRecord(_Cited):
    """An injury-risk statement, worded to match its sources' findings."""

    id: Id
    label: str
    statement: str
    evidence: RiskEvidence


class ContraindicationRecord(_Record):
    """A situation in which a drill should not be used (or only with clearance)."""

    id: Id
    label: str
    description: str
    action: str
    source_ids: list[Id] = Field(default_factory=list)


class GraphData(_Record):
    """The whole ``graph.json`` file."""

    format_version: Literal[1]
    sports: list[SportRecord]
    movements: list[MovementRecord]
    metrics: list[MetricRecord]
    faults: list[FaultRecord]
    causes: list[CauseRecord]
    drills: list[DrillRecord]
    cues: list[CueRecord]
    body_regions: list[BodyRegionRecord]
    muscles: list[MuscleRecord]
    injury_risks: list[InjuryRiskRecord]
    contraindications: list[ContraindicationRecord]


def keyframe_node_id(movement: str, name: str) -> str:
    """Node id of a movement's keyframe (keyframe names repeat across movements)."""
    return f"{movement}.{name}"


def phase_node_id(movement: str, name: str) -> str:
    """Node id of a movement's phase (phase names repeat across movements)."""
    return f"{movement}.{name}"
