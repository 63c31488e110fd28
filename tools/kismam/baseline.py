"""Per-athlete baselines: template targets from the athlete's own recordings.

The shipped template targets describe the expert recordings (few athletes). A coach who
monitors one athlete compares a jump with that athlete's own earlier, good jumps; CMJ
monitoring works that way (claudino2017). Here every template-derived target of the
movement's catalog is derived again, by the same rule
(:func:`~sportsgpt.tools.kismam.targets.derive_target`), from the baseline recordings
instead of the experts. Literature targets stay. A conditioned target keeps the experts'
slope and takes its level and spread from the baseline. A metric the baseline recordings
cannot show keeps its shipped target, and the caller is told which.

Example:
    >>> from sportsgpt.tools.kismam.baseline import baseline_catalog, baseline_values
    >>> values = baseline_values("deep_squat", {"mon": m1, "tue": m2})  # doctest: +SKIP
    >>> catalog, kept = baseline_catalog("deep_squat", values)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sportsgpt.graph_kb.catalog import MetricSpec, MovementCatalog, load_catalog
from sportsgpt.tools.kismam.targets import (
    ExpertValues,
    TargetDerivationError,
    derive_target,
    metric_values,
    raw_catalog,
)
from sportsgpt.tools.motion import AngleSequence, MotionSequence


def _template_specs(catalog: MovementCatalog) -> list[MetricSpec]:
    """The template-target metrics and their covariates."""
    specs: dict[str, MetricSpec] = {}
    for m in catalog.metrics:
        if m.target is not None and m.target.experts is not None:
            if m.target.given is not None:
                specs.setdefault(m.target.given.metric, catalog.metric(m.target.given.metric))
            specs.setdefault(m.id, m)
    return list(specs.values())


def baseline_values(movement: str,
                    recordings: Mapping[str, MotionSequence | AngleSequence]) -> ExpertValues:
    """Values of the template-target metrics (and covariates) on each baseline recording.

    Each recording's best-matching repetition of ``movement`` is used, keyframes from the
    shipped template as in ``assess``.

    Raises:
        TargetDerivationError: a recording holds no repetition of the movement (named).
    """
    if not recordings:
        raise TargetDerivationError("a baseline needs at least one recording")
    specs = _template_specs(load_catalog(movement))
    return {name: metric_values(motion, movement, specs) for name, motion in recordings.items()}


def baseline_catalog(movement: str, values: ExpertValues, exclude: Iterable[str] = ()
                     ) -> tuple[MovementCatalog, list[str]]:
    """The catalog with template targets from the baseline ``values``, and the kept ids.

    ``exclude`` leaves recordings out (the benchmark's leave-one-out). The second item
    lists the metrics whose targets stayed the shipped ones (no baseline value).
    """
    names = [n for n in values if n not in set(exclude)]
    if not names:
        raise TargetDerivationError("a baseline needs at least one recording")
    raw = raw_catalog(movement)
    kept = []
    for metric in raw["metrics"]:
        target = metric.get("target")
        if target is None or target.get("experts") is None:
            continue
        own = {**target, "experts": {**target["experts"], "recordings": names,
                                     "kind": "own_baseline"}}
        try:
            new = derive_target(own, metric["id"], values,
                                fixed_slope=target.get("given") is not None)
        except TargetDerivationError:
            kept.append(metric["id"])
            continue
        new["note"] = ((target.get("note") + "; ") if target.get("note") else "") + (
            f"this analysis: from the athlete's own baseline ({len(names)} recording"
            f"{'s' if len(names) != 1 else ''})")
        metric["target"] = new
    return MovementCatalog.model_validate(raw), kept
