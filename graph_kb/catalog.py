"""KISMAM's metric catalog and fault matrix as data: schema and loader.

One JSON file per movement, ``graph_kb/movements/<movement>/catalog.json`` (the movement
registry, :mod:`sportsgpt.graph_kb.movements`), holds

* ``metrics``: what each metric measures (a named function of
  ``sportsgpt.tools.kismam.metrics``, its channels and keyframe or phase), its
  unit, the view it needs, its target range with where the range comes from,
  and which deviation direction counts as a fault;
* ``faults``: the deviation-to-fault weight matrix, one row per named fault:
  weighted metric terms, each with its fault direction, and the score
  thresholds of the severities;
* ``sources``: every source id the file cites: its citation and DOI and/or URL (how each
  was checked is recorded in ``docs/kismam.md`` and ``tests/unit/test_kismam_catalog.py``).

Only core and the movement registry are imported here (never tools); the
loader validates references inside a file (fault terms name metrics of the
file, every cited source id is listed in ``sources``). ``docs/kismam.md``
explains the numbers.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sportsgpt.core.errors import SportsGPTError
from sportsgpt.graph_kb import movements

Direction = Literal["low", "high", "both"]
View = Literal["3d", "sagittal", "frontal", "any"]
"""The view a metric needs: 3D data, a 2D side (sagittal) or front (frontal) view, or any
view (timing and vertical measures from events, which a camera's direction does not change)."""
BOUND_Z = 2.0
"""A two-sided target ``[low, high]`` is read as ``centre ± BOUND_Z·sd``."""


class CatalogError(SportsGPTError):
    """A catalog file is missing, unreadable or inconsistent."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Definition(_Frozen):
    """How a metric is computed."""

    computation: str = Field(description="function name in sportsgpt.tools.kismam.metrics")
    channels: list[str] = Field(min_length=1)
    at: str = Field(description="keyframe or phase the metric is measured at")
    description: str


class ExpertSpread(_Frozen):
    """Expert values behind a template-derived target.

    ``sd`` is the spread of the recordings: with one athlete (``athletes`` 1) it is that
    athlete's trial-to-trial variation plus measurement noise, **not** the between-athlete
    spread of a population. ``sd_floor`` is half the metric's smallest meaningful change
    (:class:`Smc`), so a bound never sits closer than one SMC to the experts' mean.
    """

    recordings: list[str] = Field(min_length=1)
    n: int = Field(ge=1)
    athletes: int = Field(1, ge=1, description="distinct athletes among the recordings")
    kind: Literal["experts", "own_baseline"] = Field(
        "experts", description="template experts, or the athlete's own earlier recordings")
    mean: float
    sd: float = Field(ge=0.0)
    sd_floor: float = Field(gt=0.0, description="smallest sd used for the range "
                                                "(half the metric's SMC)")

    def label(self) -> str:
        """Where the numbers come from, for a report's Target source column."""
        if self.kind == "own_baseline":
            return f"own baseline ({self.n} recording{'s' if self.n != 1 else ''})"
        k = self.athletes
        text = (f"template experts ({self.n} recording{'s' if self.n != 1 else ''} of "
                f"{k} athlete{'s' if k != 1 else ''})")
        return text + ("; compared with one expert" if self.one_expert else "")

    @property
    def one_expert(self) -> bool:
        """The spread is one expert athlete's repetitions (not a population)."""
        return self.kind == "experts" and self.athletes == 1


class Smc(_Frozen):
    """A metric's smallest meaningful change (SMC), in the metric's own unit.

    Measurement noise, kept apart from between-athlete spread: a difference smaller than
    this cannot be told from noise or is too small to coach. Severity counts how many SMC
    a value lies beyond its target bound; template bounds sit at least one SMC from the
    experts' mean (``ExpertSpread.sd_floor = value / 2``).
    """

    value: float = Field(gt=0.0)
    basis: str = Field(min_length=1, description="why this size (measured noise, source)")
    source_ids: list[str] = Field(default_factory=list)


class GroupRange(_Frozen):
    """A published range for one population group (e.g. by sex), shown beside the target."""

    group: str
    low: float | None = None
    high: float | None = None
    source_ids: list[str] = Field(min_length=1)


class Given(_Frozen):
    """A covariate that a template target is conditioned on (another metric of the recording).

    The stored bounds hold at ``x_mean``; for a recording whose covariate is ``x`` the
    band moves by ``slope · (clip(x, x_low, x_high) - x_mean)`` and the sd is the
    experts' residual sd around that line (see :meth:`Target.given_at`). Everything but
    ``metric`` and ``slope_recordings`` is derived by ``sportsgpt.tools.kismam.targets``.
    """

    metric: str = Field(description="covariate metric id, in the same catalog")
    slope: float = Field(description="target units per covariate unit")
    x_mean: float = Field(description="the experts' mean covariate value")
    x_low: float = Field(description="lowest covariate value the slope was fitted on")
    x_high: float = Field(description="highest covariate value the slope was fitted on")
    r: float = Field(ge=-1.0, le=1.0, description="correlation on the slope recordings")
    n_slope: int = Field(ge=3, description="recordings the slope was fitted on")
    slope_recordings: list[str] | None = Field(
        None, description="recordings the slope is fitted on when not the experts "
                          "(a slope shared with another movement's experts)")

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.x_low > self.x_high:
            raise ValueError(f"given {self.metric}: x_low {self.x_low} > x_high {self.x_high}")
        return self

    def shift(self, x: float) -> float:
        """How far the band moves for covariate value ``x`` (clipped to the fitted range)."""
        return self.slope * (min(max(x, self.x_low), self.x_high) - self.x_mean)


def range_text(low: float | None, high: float | None, unit: str) -> str:
    """Human-readable range, e.g. ``"≥ 150°"`` or ``"15–31 % leg length"``."""
    u = "°" if unit == "deg" else f" {unit}"

    def f(x: float) -> str:
        return f"{x:.2f}" if abs(x) < 1 else f"{x:.0f}"

    if low is not None and high is not None:
        return f"{f(low)}–{f(high)}{u}"
    if low is not None:
        return f"≥ {f(low)}{u}"
    assert high is not None
    return f"≤ {f(high)}{u}"


class Target(_Frozen):
    """A target range: ``low``/``high`` (one may be open) and the sd that scales z."""

    low: float | None = None
    high: float | None = None
    sd: float | None = Field(None, gt=0.0, description="required for one-sided targets; "
                                                        "default (high - low) / 4")
    origin: Literal["template", "literature", "both"] = Field(alias="from")
    source_ids: list[str] = Field(default_factory=list)
    experts: ExpertSpread | None = None
    given: Given | None = Field(None, description="covariate the band is conditioned on")
    population: list[GroupRange] = Field(
        default_factory=list, description="published between-athlete ranges by group "
                                          "(e.g. female, male) the bound was chosen from")
    note: str | None = None

    def basis(self) -> str:
        """Where the target comes from, never blank: literature ids, experts, own baseline."""
        lit = ", ".join(self.source_ids)
        if self.origin == "literature":
            return f"literature: {lit}"
        assert self.experts is not None
        who = self.experts.label()
        if self.given is not None:
            who += f"; moved along the regression on {self.given.metric}"
        return who if self.origin == "template" else f"direction: {lit}; number: {who}"

    @property
    def one_expert(self) -> bool:
        """The bound's number comes from one expert athlete's repetitions only."""
        return self.experts is not None and self.experts.one_expert

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("a target needs low, high or both")
        if (self.low is None or self.high is None) and self.sd is None:
            raise ValueError("a one-sided target needs an explicit sd")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"target low {self.low} >= high {self.high}")
        if self.origin in ("literature", "both") and not self.source_ids:
            raise ValueError("a literature target must cite source_ids")
        if self.origin in ("template", "both") and self.experts is None:
            raise ValueError("a template target must give its expert spread")
        if self.given is not None and self.experts is None:
            raise ValueError("only a template target can be conditioned on a covariate")
        return self

    def given_at(self, x: float) -> Target:
        """The target for a recording whose covariate (``given.metric``) is ``x``.

        Both bounds move along the experts' regression line; the sd stays (it is the
        residual sd). Without ``given`` the target itself.
        """
        if self.given is None:
            return self
        d = self.given.shift(x)
        return self.model_copy(update={"low": None if self.low is None else self.low + d,
                                       "high": None if self.high is None else self.high + d})

    @property
    def scale(self) -> float:
        """The sd that turns a deviation into z."""
        if self.sd is not None:
            return self.sd
        assert self.low is not None and self.high is not None
        return (self.high - self.low) / (2 * BOUND_Z)

    @property
    def centre(self) -> float:
        """Mid-range, or ``BOUND_Z`` sd inside the single bound of a one-sided target."""
        if self.low is not None and self.high is not None:
            return 0.5 * (self.low + self.high)
        if self.low is not None:
            return self.low + BOUND_Z * self.scale
        assert self.high is not None
        return self.high - BOUND_Z * self.scale

    def text(self, unit: str) -> str:
        """Human-readable range, e.g. ``"≥ 150°"`` or ``"15–31 % leg length"``."""
        return range_text(self.low, self.high, unit)


class MetricSpec(_Frozen):
    """One interpretable metric of a movement."""

    id: str
    label: str
    definition: Definition
    unit: str
    view: View
    target: Target | None = None
    fault_direction: Direction | None = Field(
        None, description="which deviation is a fault; None: reported only")
    smc: Smc | None = Field(None, description="smallest meaningful change; required for a "
                                              "metric with a fault direction")


class Thresholds(_Frozen):
    """Fault-score thresholds of the severities.

    The score is how far the deciding value lies beyond its target bound, in units of the
    metric's smallest meaningful change (SMC): any distance beyond the bound (score > 0) is
    mild, ``moderate`` SMC or more moderate, ``severe`` SMC or more severe.
    """

    moderate: float = Field(1.0, gt=0.0)
    severe: float = Field(2.0, gt=0.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.moderate < self.severe:
            raise ValueError("thresholds must rise: moderate < severe")
        return self


class FaultTerm(_Frozen):
    """One metric's weighted, directed contribution to a fault."""

    metric: str
    weight: float = Field(gt=0.0)
    direction: Direction


class FaultSpec(_Frozen):
    """A named fault: weighted sum of directed metric deviations, severity thresholds."""

    id: str
    label: str
    terms: list[FaultTerm] = Field(min_length=1)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    source_ids: list[str] = Field(default_factory=list)
    note: str | None = None


class SourceEntry(_Frozen):
    """A cited source: what it is (citation, and a DOI or URL to find it by)."""

    id: str
    citation: str
    doi: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _findable(self) -> Self:
        if not (self.doi or self.url):
            raise ValueError(f"source {self.id!r} needs a doi or a url")
        return self


class MovementCatalog(_Frozen):
    """The catalog of one movement."""

    movement: str
    label: str
    version: str
    template_experts: list[str]
    metrics: list[MetricSpec] = Field(min_length=1)
    faults: list[FaultSpec]
    sources: list[SourceEntry]

    @model_validator(mode="after")
    def _references(self) -> Self:
        ids = [m.id for m in self.metrics]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate metric ids")
        by_id = {m.id: m for m in self.metrics}
        src = {s.id for s in self.sources}
        for fault in self.faults:
            for term in fault.terms:
                m = by_id.get(term.metric)
                if m is None:
                    raise ValueError(f"fault {fault.id}: unknown metric {term.metric!r}")
                if m.target is None or m.fault_direction is None:
                    raise ValueError(f"fault {fault.id}: metric {m.id} has no target or "
                                     "fault direction")
                if m.fault_direction != "both" and term.direction != m.fault_direction:
                    raise ValueError(f"fault {fault.id}: direction {term.direction} of "
                                     f"{m.id} is not its fault direction")
            missing = set(fault.source_ids) - src
            if missing:
                raise ValueError(f"fault {fault.id}: sources {sorted(missing)} not listed")
        for m in self.metrics:
            given = m.target.given if m.target is not None else None
            if given is not None:
                cov = by_id.get(given.metric)
                if cov is None or cov.id == m.id:
                    raise ValueError(f"metric {m.id}: conditioned on unknown metric "
                                     f"{given.metric!r}")
                if cov.target is not None and cov.target.given is not None:
                    raise ValueError(f"metric {m.id}: its covariate {cov.id} is itself "
                                     "conditioned (chains are not supported)")
            if m.target is not None and set(m.target.source_ids) - src:
                raise ValueError(f"metric {m.id}: sources "
                                 f"{sorted(set(m.target.source_ids) - src)} not listed")
            self._check_smc(m, src)
        return self

    @staticmethod
    def _check_smc(m: MetricSpec, src: set[str]) -> None:
        if m.fault_direction is not None and m.smc is None:
            raise ValueError(f"metric {m.id}: a metric with a fault direction needs its "
                             "smallest meaningful change (smc)")
        if m.smc is None:
            return
        cited = set(m.smc.source_ids)
        if m.target is not None:
            cited |= {s for g in m.target.population for s in g.source_ids}
        if cited - src:
            raise ValueError(f"metric {m.id}: sources {sorted(cited - src)} not listed")
        t = m.target
        if t is not None and t.experts is not None and \
                abs(t.experts.sd_floor - m.smc.value / 2) > 1e-6:
            raise ValueError(f"metric {m.id}: sd_floor {t.experts.sd_floor} is not half its "
                             f"smc {m.smc.value}")
        if m.fault_direction in ("low", "both") and t is not None and t.low is None:
            raise ValueError(f"metric {m.id}: fault direction low needs a low bound")
        if m.fault_direction in ("high", "both") and t is not None and t.high is None:
            raise ValueError(f"metric {m.id}: fault direction high needs a high bound")

    def metric(self, metric_id: str) -> MetricSpec:
        """The spec of a metric id."""
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise CatalogError(f"{self.movement}: no metric {metric_id!r}")

    def cited_source_ids(self) -> set[str]:
        """Every source id the metrics and faults cite."""
        out = {s for f in self.faults for s in f.source_ids}
        out |= {s for m in self.metrics if m.target for s in m.target.source_ids}
        out |= {s for m in self.metrics if m.smc for s in m.smc.source_ids}
        out |= {s for m in self.metrics if m.target for g in m.target.population
                for s in g.source_ids}
        return out


def catalog_path(movement: str) -> Path:
    """Path of the packaged catalog file of a movement (in its registry folder)."""
    try:
        return movements.catalog_path(movement)
    except movements.UnknownMovementError as exc:
        raise CatalogError(f"no catalog for movement {movement!r}; known: "
                           f"{', '.join(exc.known)}") from None


def read_catalog(path: str | Path) -> MovementCatalog:
    """Read and validate a catalog file (:class:`CatalogError` on any problem)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise CatalogError(f"{path}: not a readable catalog ({exc})") from None
    try:
        return MovementCatalog.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        raise CatalogError(f"{path}: invalid catalog at {loc}: {first.get('msg')}") from None


@cache
def load_catalog(movement: str) -> MovementCatalog:
    """The packaged, validated catalog of a movement (cached); it must name its folder's id."""
    path = catalog_path(movement)
    catalog = read_catalog(path)
    if catalog.movement != movement:
        raise CatalogError(f"{path}: movement {catalog.movement!r} is not the folder name "
                           f"{movement!r}")
    return catalog
