"""KISMAM assessment: z, severity, confidence (real recordings: tests/integration)."""

from __future__ import annotations

import math

import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.tools.kismam.assess import (
    NOISE_REF_DEG,
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
    (1.99, "none"), (2.0, "mild"), (3.0, "moderate"), (4.5, "severe")],
    ids=["none", "mild", "moderate", "severe"])
def test_default_severity_thresholds(score: float, expected: str) -> None:
    fault = load_catalog("deep_squat").faults[0]
    assert severity_of(fault, score) == expected


def _result(metric_id: str, z: float | None) -> MetricResult:
    return MetricResult(id=metric_id, label=metric_id, value=None if z is None else 1.0,
                        unit="deg", target_low=None, target_high=None, z=z, status="ok")


@pytest.mark.parametrize(("z_bottom", "z_takeoff", "score", "coverage"), [
    (0.0, 3.5, 3.5, 1.0),     # one clear sign is not diluted by an unaffected one
    (-2.0, 3.5, 3.5, 1.0),    # a deviation against the fault direction counts 0
    (2.5, 1.0, 2.5, 1.0),
    (None, 3.5, 3.5, 0.5),    # one sign not assessable: same score, half the coverage
], ids=["one-sign", "opposite-sign", "bottom-sign", "half-coverage"])
def test_fault_score_is_the_largest_directed_deviation(
        z_bottom: float | None, z_takeoff: float, score: float, coverage: float) -> None:
    catalog = load_catalog("countermovement_jump")
    fault = next(f for f in catalog.faults if f.id == "excessive_trunk_lean")
    results = {"trunk_lean_at_bottom": _result("trunk_lean_at_bottom", z_bottom),
               "trunk_lean_at_takeoff": _result("trunk_lean_at_takeoff", z_takeoff)}
    got, cov, evidence, clause = score_fault(fault, catalog, results)
    assert got == pytest.approx(score)
    assert cov == pytest.approx(coverage)
    assert evidence[0].metric_id == ("trunk_lean_at_bottom" if score == z_bottom
                                     else "trunk_lean_at_takeoff")
    assert clause is not None


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
