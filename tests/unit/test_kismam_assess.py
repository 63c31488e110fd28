"""KISMAM assessment: z, severity, confidence (real recordings: tests/integration)."""

from __future__ import annotations

import math

import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.tools.kismam.assess import (
    NOISE_REF_DEG,
    ONE_EXPERT_FACTOR,
    beyond_bound,
    directed,
    finding_confidence,
    score_fault,
    severity_of,
    z_score,
)
from sportsgpt.tools.kismam.models import MetricResult
from sportsgpt.tools.prepare import angle_noise_deg


def test_z_uses_the_target_centre_and_sd() -> None:
    spec = load_catalog("countermovement_jump").metric("knee_flexion_at_initial_contact")
    assert z_score(spec, 40.0) == pytest.approx(0.0)  # one-sided: centre = low + 2 sd
    assert z_score(spec, 30.0) == pytest.approx(-2.0)  # the bound sits at -2 sd


@pytest.mark.parametrize(("z", "direction", "expected"), [
    (-3.0, "low", 3.0), (3.0, "low", 0.0), (3.0, "high", 3.0), (-3.0, "both", 3.0)],
    ids=["low-hit", "low-miss", "high-hit", "both"])
def test_directed_deviation(z: float, direction: str, expected: float) -> None:
    assert directed(z, direction) == expected


@pytest.mark.parametrize(("score", "expected"), [
    (-0.5, "none"), (0.0, "none"), (0.01, "mild"), (0.99, "mild"), (1.0, "moderate"),
    (2.0, "severe")],
    ids=["inside", "on-bound", "just-beyond", "under-1-smc", "1-smc", "2-smc"])
def test_default_severity_counts_smc_beyond_the_bound(score: float, expected: str) -> None:
    fault = load_catalog("deep_squat").faults[0]
    assert severity_of(fault, score) == expected


@pytest.mark.parametrize(("value", "low", "high", "direction", "expected"), [
    (20.0, 30.0, None, "low", 10.0), (35.0, 30.0, None, "low", -5.0),
    (50.0, None, 40.0, "high", 10.0), (10.0, 20.0, 60.0, "both", 10.0),
    (70.0, 20.0, 60.0, "both", 10.0)],
    ids=["below-low", "inside-low", "above-high", "both-low", "both-high"])
def test_beyond_bound_is_in_the_metric_unit(value: float, low: float | None,
                                            high: float | None, direction: str,
                                            expected: float) -> None:
    assert beyond_bound(value, low, high, direction) == pytest.approx(expected)


def test_beyond_bound_needs_the_bound_of_its_direction() -> None:
    with pytest.raises(ValueError, match="no high bound"):
        beyond_bound(1.0, 0.0, None, "high")


def _result(metric_id: str, value: float | None, high: float = 30.0) -> MetricResult:
    return MetricResult(id=metric_id, label=metric_id, value=value, unit="deg",
                        target_low=None, target_high=high,
                        z=None if value is None else 0.0, status="ok")


# trunk lean SMC is 5°: a value 17.5° above a 30° bound scores 3.5 SMC
@pytest.mark.parametrize(("bottom", "takeoff", "score", "coverage"), [
    (30.0, 47.5, 3.5, 1.0),     # one clear sign is not diluted by an unaffected one
    (10.0, 47.5, 3.5, 1.0),     # a deviation against the fault direction does not add
    (42.5, 35.0, 2.5, 1.0),
    (None, 47.5, 3.5, 0.5),     # one sign not assessable: same score, half the coverage
    (20.0, 25.0, -1.0, 1.0),    # both inside: negative (how far inside, in SMC)
], ids=["one-sign", "opposite-sign", "bottom-sign", "half-coverage", "inside"])
def test_fault_score_is_the_largest_smc_beyond_the_bound(
        bottom: float | None, takeoff: float, score: float, coverage: float) -> None:
    catalog = load_catalog("countermovement_jump")
    fault = next(f for f in catalog.faults if f.id == "excessive_trunk_lean")
    assert catalog.metric("trunk_lean_at_takeoff").smc.value == 5.0  # type: ignore[union-attr]
    results = {"trunk_lean_at_bottom": _result("trunk_lean_at_bottom", bottom),
               "trunk_lean_at_takeoff": _result("trunk_lean_at_takeoff", takeoff)}
    got, cov, evidence, clause = score_fault(fault, catalog, results)
    assert got == pytest.approx(score)
    assert cov == pytest.approx(coverage)
    assert evidence[0].beyond == pytest.approx(score * 5.0)
    assert evidence[0].metric_id == ("trunk_lean_at_bottom" if bottom == 42.5
                                     else "trunk_lean_at_takeoff")
    assert clause is not None
    if score > 0:
        assert "SMC of 5°" in clause and "above the bound" in clause


def test_one_expert_target_lowers_the_confidence() -> None:
    kw = {"missing_pct": 0.0, "view": "3d", "match_factor": 1.0, "fps": 120.0, "coverage": 1.0}
    assert finding_confidence(**kw, one_expert=True) == pytest.approx(  # type: ignore[arg-type]
        ONE_EXPERT_FACTOR * finding_confidence(**kw))  # type: ignore[arg-type]


def test_confidence_falls_with_poor_data() -> None:
    good = finding_confidence(missing_pct=0, view="3d", match_factor=1.0, fps=120, coverage=1)
    assert good == 1.0
    worse = [
        finding_confidence(missing_pct=20, view="3d", match_factor=1.0, fps=120, coverage=1),
        finding_confidence(missing_pct=0, view="sagittal", match_factor=1.0, fps=120,
                           coverage=1),
        finding_confidence(missing_pct=0, view="3d", match_factor=0.5, fps=120, coverage=1),
        finding_confidence(missing_pct=0, view="3d", match_factor=1.0, fps=30, coverage=1),
        finding_confidence(missing_pct=0, view="3d", match_factor=1.0, fps=120, coverage=0.5),
        finding_confidence(missing_pct=0, view="3d", match_factor=1.0, fps=120, coverage=1,
                           angle_noise=2.0),
    ]
    assert all(0 < c < good for c in worse)
    # angle noise equal to the reference spread: the factor is 1/sqrt(2)
    assert finding_confidence(missing_pct=0, view="3d", match_factor=1.0, fps=120, coverage=1,
                              angle_noise=NOISE_REF_DEG) == pytest.approx(0.707, abs=1e-3)


def test_angle_noise_from_jitter() -> None:
    # 10 mm white noise, half of it (in SD) below a 12.5 Hz cutoff at 100 fps, between two
    # points 0.45 m apart: sqrt(2) * 0.005 / 0.45 rad
    expected = math.degrees(math.sqrt(2) * 0.005 / 0.45)
    assert angle_noise_deg(0.01, 0.9, 100.0, 12.5) == pytest.approx(expected)
    assert angle_noise_deg(0.01, 0.9, 100.0, None) == pytest.approx(2 * expected)  # no filter
    assert angle_noise_deg(None, 0.9, 100.0, 12.5) is None
    assert angle_noise_deg(0.01, None, 100.0, 12.5) is None
