"""The movement registry: every movement is a folder of shipped data.

``graph_kb/movements/<movement_id>/`` holds

* ``movement.json``: a :class:`MovementSpec` (label, kind, keyframe and phase
  names, MotionDTW weights and parameters, the calibrated stage-1 threshold, and
  the movement's behaviour: arm-swing faults, flight, forward travel);
* ``catalog.json``: the KISMAM metric catalog and fault matrix
  (:mod:`sportsgpt.graph_kb.catalog`);
* ``template.json``: the expert MotionDTW template
  (:mod:`sportsgpt.tools.motiondtw.templates`).

Every list of movements, keyframes, phases, faults and metrics in the code is
derived from these folders (:func:`movement_ids`, :func:`movement_spec`,
:func:`fault_ids`, :func:`metric_ids`); ``docs/adding_a_movement.md`` says how to
add one. Only core and the rest of ``graph_kb`` are imported here (never ``tools``).

>>> movement_ids()
('countermovement_jump', 'deep_squat', 'standing_long_jump')
>>> movement_spec("deep_squat").keyframes
('descent_start', 'bottom', 'ascent_end')
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sportsgpt.core.errors import SportsGPTError

SPEC_FILE: Final = "movement.json"
CATALOG_FILE: Final = "catalog.json"
TEMPLATE_FILE: Final = "template.json"
CALIBRATION_FILE: Final = "CALIBRATION.md"
"""The stage-1 calibration report, beside the movement folders (one for all of them)."""


class UnknownMovementError(SportsGPTError, LookupError):
    """A movement id with no folder in the registry; the message lists the known ids."""

    def __init__(self, movement: str, known: tuple[str, ...]) -> None:
        self.movement = movement
        self.known = known
        super().__init__(f"unknown movement {movement!r}; known: {', '.join(known)}")


class MovementDataError(SportsGPTError, ValueError):
    """A movement folder whose ``movement.json`` is unreadable or inconsistent."""


class PhaseSpec(BaseModel):
    """A named phase between two keyframes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    start: str
    end: str


class MovementSpec(BaseModel):
    """What the code needs to know about one movement (``movement.json``).

    MotionDTW: the channel weights of stage 2 (``weights``) and stage 1
    (``find_weights``), the derivative scales (``alpha``/``beta`` and
    ``find_alpha``/``find_beta``), the amplitudes stage 1 searches over and the
    calibrated match threshold (``docs/motiondtw.md``, ``CALIBRATION.md``).
    KISMAM and the movement chooser: ``arm_swing_faults``, ``flight`` and
    ``min_flight_travel``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    kind: Literal["jump", "squat", "drop_jump"]
    keyframes: tuple[str, ...] = Field(min_length=2)
    phases: tuple[PhaseSpec, ...]
    weights: dict[str, float]
    alpha: float = 2.0
    beta: float = 0.5
    find_alpha: float = 0.5
    find_beta: float = 0.25
    min_channels: int = 3
    find_weights: dict[str, float] | None = None
    """Stage-1 (finding) weights; ``None``: the same as :attr:`weights`."""
    amplitude_scales: tuple[float, ...] = (1.0,)
    """Amplitudes, relative to the experts', at which stage 1 looks for the movement."""
    match_threshold: float | None = None
    """Calibrated stage-1 threshold (``None``: derived from the experts' costs)."""
    arm_swing_faults: tuple[str, ...] = ()
    """Faults that need an arm swing: not scored for a repetition done without one
    (``arm_swing=False``). Empty: arm swing is not part of the movement."""
    flight: bool = False
    """The movement has a flight (takeoff to landing)."""
    min_flight_travel: float | None = Field(None, gt=0.0)
    """A forward jump: the least horizontal pelvis travel in flight, in leg lengths, that
    tells it from a jump in place (``None``: in place, or no flight)."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        known = set(self.keyframes)
        if len(known) != len(self.keyframes):
            raise ValueError(f"duplicate keyframe names in {list(self.keyframes)}")
        for p in self.phases:
            if p.start not in known or p.end not in known:
                raise ValueError(f"phase {p.name!r}: {p.start!r}/{p.end!r} are not keyframes "
                                 f"of the movement ({', '.join(self.keyframes)})")
        if self.find_weights is not None and set(self.find_weights) != set(self.weights):
            raise ValueError("find_weights must weigh the same channels as weights")
        if self.min_flight_travel is not None and not self.flight:
            raise ValueError("min_flight_travel is set but the movement has no flight")
        if self.flight and not {"takeoff", "landing"} <= known:
            raise ValueError("a movement with a flight needs 'takeoff' and 'landing' keyframes")
        return self

    @property
    def travels_forward(self) -> bool:
        """A forward jump (the chooser tells it from jumps in place by flight travel)."""
        return self.min_flight_travel is not None

    @property
    def instants(self) -> tuple[str, ...]:
        """Keyframe and phase names: where a metric can be measured."""
        return (*self.keyframes, *(p.name for p in self.phases))

    def stage1_weights(self) -> dict[str, float]:
        """The weights stage 1 uses (:attr:`find_weights` or :attr:`weights`)."""
        return dict(self.find_weights if self.find_weights is not None else self.weights)


def movements_root() -> Path:
    """The folder holding one subfolder per movement."""
    return Path(str(resources.files("sportsgpt.graph_kb") / "movements"))


@cache
def movement_ids() -> tuple[str, ...]:
    """Ids of the shipped movements: the sorted names of the folders with a ``movement.json``."""
    root = movements_root()
    return tuple(sorted(p.name for p in root.iterdir() if (p / SPEC_FILE).is_file()))


def movement_dir(movement: str) -> Path:
    """The data folder of a movement (:class:`UnknownMovementError` for an unknown id)."""
    known = movement_ids()
    if movement not in known:
        raise UnknownMovementError(movement, known)
    return movements_root() / movement


def catalog_path(movement: str) -> Path:
    """The movement's KISMAM catalog file (it may not exist yet for a new movement)."""
    return movement_dir(movement) / CATALOG_FILE


def template_path(movement: str) -> Path:
    """The movement's shipped MotionDTW template file (it may not be built yet)."""
    return movement_dir(movement) / TEMPLATE_FILE


def spec_path(movement: str) -> Path:
    """The movement's ``movement.json``."""
    return movement_dir(movement) / SPEC_FILE


def calibration_path() -> Path:
    """The stage-1 calibration report (``python -m sportsgpt.tools.motiondtw.calibrate``)."""
    return movements_root() / CALIBRATION_FILE


def read_spec(path: str | Path) -> MovementSpec:
    """Read and validate a ``movement.json`` (:class:`MovementDataError` on any problem)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise MovementDataError(f"{path}: not a readable movement file ({exc})") from None
    try:
        return MovementSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise MovementDataError(f"{path}: invalid movement at {loc or 'top level'}: "
                                f"{first.get('msg')}") from None


@cache
def movement_spec(movement: str) -> MovementSpec:
    """The validated spec of a movement (cached); its ``id`` must be its folder's name."""
    path = spec_path(movement)
    spec = read_spec(path)
    if spec.id != movement:
        raise MovementDataError(f"{path}: id {spec.id!r} is not the folder name {movement!r}")
    return spec


@cache
def fault_ids(movement: str) -> tuple[str, ...]:
    """The movement's fault ids, in catalog order."""
    # The catalog module imports this one (for its paths); import it when first needed.
    from sportsgpt.graph_kb.catalog import load_catalog

    movement_dir(movement)  # an unknown id raises UnknownMovementError, not CatalogError
    return tuple(f.id for f in load_catalog(movement).faults)


def all_fault_ids() -> frozenset[str]:
    """Every fault id of every movement."""
    return frozenset(f for m in movement_ids() for f in fault_ids(m))


def movement_metric_ids(movement: str) -> tuple[str, ...]:
    """The movement's metric ids, in catalog order."""
    from sportsgpt.graph_kb.catalog import load_catalog

    movement_dir(movement)
    return tuple(m.id for m in load_catalog(movement).metrics)


@cache
def metric_ids() -> frozenset[str]:
    """Every metric id of every movement's catalog."""
    return frozenset(m for mv in movement_ids() for m in movement_metric_ids(mv))


def flight_movements() -> tuple[str, ...]:
    """Ids of the movements with a flight (the jumps)."""
    return tuple(m for m in movement_ids() if movement_spec(m).flight)


def clear_caches() -> None:
    """Forget every cached spec and list (after a tool rewrote a movement's files)."""
    for fn in (movement_ids, movement_spec, fault_ids, metric_ids):
        fn.cache_clear()
