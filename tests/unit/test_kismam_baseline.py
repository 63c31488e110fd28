"""Per-athlete baselines: template targets from the athlete's own recordings."""

from __future__ import annotations

import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.tools.kismam.baseline import baseline_catalog, baseline_values
from sportsgpt.tools.kismam.targets import TargetDerivationError

SHIPPED = load_catalog("standing_long_jump")


def _values(knee: list[float], lean: list[float]) -> dict[str, dict[str, float]]:
    """Baseline values of two template metrics and the trunk-lean covariate."""
    return {f"jump{i}": {"knee_angle_at_takeoff": 150.0 + i, "knee_flexion_at_bottom": k,
                         "trunk_lean_at_bottom": t}
            for i, (k, t) in enumerate(zip(knee, lean, strict=True))}


def test_template_targets_come_from_the_baseline() -> None:
    values = _values([80.0, 90.0, 100.0], [40.0, 52.0, 60.0])
    catalog, kept = baseline_catalog("standing_long_jump", values)
    knee = catalog.metric("knee_angle_at_takeoff").target
    assert knee is not None and knee.experts is not None
    assert knee.experts.recordings == ["jump0", "jump1", "jump2"]
    assert knee.experts.mean == pytest.approx(151.0)
    assert knee.scale == pytest.approx(knee.experts.sd_floor)  # sd 1 < floor 2.5 (SMC/2)
    assert knee.basis() == "own baseline (3 recordings)" and not knee.one_expert
    assert "own baseline (3 recordings)" in (knee.note or "")
    # a literature target is the shipped one
    lit = "knee_flexion_at_initial_contact"
    assert catalog.metric(lit).target == SHIPPED.metric(lit).target
    # metrics the baseline cannot show keep the shipped target, and are named
    assert "peak_knee_flexion_landing" in kept
    assert catalog.metric("peak_knee_flexion_landing").target == \
        SHIPPED.metric("peak_knee_flexion_landing").target


def test_conditioned_target_keeps_the_experts_slope() -> None:
    values = _values([80.0, 90.0, 100.0], [40.0, 52.0, 60.0])
    lean = baseline_catalog("standing_long_jump", values)[0].metric("trunk_lean_at_bottom")
    shipped = SHIPPED.metric("trunk_lean_at_bottom").target
    assert lean.target is not None and lean.target.given is not None
    assert shipped is not None and shipped.given is not None
    assert lean.target.given.slope == shipped.given.slope
    assert lean.target.given.x_mean == pytest.approx(90.0)
    assert lean.target.experts is not None
    assert lean.target.experts.mean == pytest.approx(152.0 / 3, abs=1e-3)


def test_leave_one_out_and_empty_baselines() -> None:
    values = _values([80.0, 90.0, 100.0], [40.0, 52.0, 60.0])
    catalog, _ = baseline_catalog("standing_long_jump", values, exclude=["jump2"])
    knee = catalog.metric("knee_angle_at_takeoff").target
    assert knee is not None and knee.experts is not None
    assert knee.experts.recordings == ["jump0", "jump1"]
    with pytest.raises(TargetDerivationError, match="at least one"):
        baseline_catalog("standing_long_jump", values, exclude=list(values))
    with pytest.raises(TargetDerivationError, match="at least one"):
        baseline_values("deep_squat", {})
