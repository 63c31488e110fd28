"""Template-derived targets: the rule on known numbers, and the shipped catalogs reproduced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sportsgpt.graph_kb.catalog import load_catalog
from sportsgpt.graph_kb.movements import movement_ids
from sportsgpt.tools.kismam.targets import (
    TargetDerivationError,
    derive_catalog,
    derive_target,
    differences,
    expert_values,
    load_expert,
    recording_movement,
)

VALUES = {"a": {"m": 10.0}, "b": {"m": 14.0}, "c": {"m": 18.0}, "d": {}}


def _target(**bounds: float) -> dict[str, Any]:
    return {**bounds, "from": "template",
            "experts": {"recordings": ["a", "b", "c", "d"], "n": 4, "mean": 0.0, "sd": 0.0,
                        "sd_floor": 1.0}}


def test_low_only_target_is_mean_minus_two_spreads() -> None:
    out = derive_target(_target(low=0.0, sd=1.0), "m", VALUES)
    assert out["experts"]["n"] == 3  # "d" has no value
    assert out["experts"]["mean"] == pytest.approx(14.0)
    assert out["experts"]["sd"] == pytest.approx(4.0)
    assert (out["low"], out["sd"]) == (pytest.approx(6.0), pytest.approx(4.0))
    assert "high" not in out


def test_two_sided_target_keeps_its_shape_and_implicit_sd() -> None:
    out = derive_target(_target(low=0.0, high=1.0), "m", VALUES)
    assert (out["low"], out["high"]) == (pytest.approx(6.0), pytest.approx(22.0))
    assert "sd" not in out


def test_floor_and_exclusion() -> None:
    out = derive_target(_target(high=0.0, sd=1.0), "m", VALUES, frozenset({"a", "c"}))
    assert out["experts"]["recordings"] == ["b", "d"]
    assert out["experts"]["sd"] == 0.0  # one value: no spread, the floor is used
    assert (out["high"], out["sd"]) == (pytest.approx(16.0), pytest.approx(1.0))


def test_no_expert_value_is_a_typed_error() -> None:
    with pytest.raises(TargetDerivationError, match="no expert value"):
        derive_target(_target(low=0.0, sd=1.0), "m", VALUES, frozenset({"a", "b", "c"}))


@pytest.mark.parametrize(("name", "movement"), [
    ("16_01", "countermovement_jump"), ("16_04.amc", "countermovement_jump"),
    ("16_05", "standing_long_jump"), ("118_04", "standing_long_jump"),
    ("m01_s03_e07", "deep_squat")], ids=lambda x: str(x))
def test_recording_movement(name: str, movement: str) -> None:
    assert recording_movement(name) == movement


@pytest.mark.parametrize("name", ["squat_01", "m03_s01_e01", ""], ids=repr)
def test_unknown_recording_names_are_typed_errors(name: str) -> None:
    with pytest.raises(TargetDerivationError, match="unknown expert recording"):
        recording_movement(name)
    with pytest.raises(TargetDerivationError):
        load_expert(name)


@pytest.mark.slow
def test_shipped_catalog_targets_are_reproduced(cmu_dir: Path, uiprmd_dir: Path) -> None:
    """The numbers in graph_kb/movements/*/catalog.json are what the rule gives today."""
    values = expert_values([load_catalog(m) for m in movement_ids()])
    assert [d for m in movement_ids() for d in differences(m, values)] == []
    # leaving one expert out changes that expert's targets, and only by its own influence
    loo = derive_catalog("standing_long_jump", values, exclude=["118_04"])
    knee = loo.metric("knee_angle_at_takeoff").target
    assert knee is not None and knee.experts is not None
    assert "118_04" not in knee.experts.recordings
    rest = [values[r]["knee_angle_at_takeoff"] for r in knee.experts.recordings]
    assert knee.experts.mean == pytest.approx(float(np.mean(rest)), abs=1e-3)


# --- conditioned targets (``given``) ------------------------------------------------------
def _line_values() -> dict[str, dict[str, float]]:
    """y = 2x + 5 with residuals +1, -1, +1, -1 on a..d; e, f only fit a shared slope."""
    xs = {"a": 10.0, "b": 20.0, "c": 30.0, "d": 40.0, "e": 0.0, "f": 100.0}
    res = {"a": 1.0, "b": -1.0, "c": 1.0, "d": -1.0, "e": 0.0, "f": 0.0}
    return {k: {"x": x, "y": 2.0 * x + 5.0 + res[k]} for k, x in xs.items()}


def _given_target(**given: object) -> dict[str, Any]:
    return {"high": 0.0, "sd": 1.0, "from": "template", "given": {"metric": "x", **given},
            "experts": {"recordings": ["a", "b", "c", "d"], "n": 4, "mean": 0.0, "sd": 0.0,
                        "sd_floor": 0.1}}


def test_conditioned_target_fits_the_experts_line() -> None:
    out = derive_target(_given_target(), "y", _line_values())
    g = out["given"]
    # least squares on a..d: slope 1.84 (the +-1 residual pattern tilts it a little)
    x = np.array([10.0, 20.0, 30.0, 40.0])
    y = 2.0 * x + 5.0 + np.array([1.0, -1.0, 1.0, -1.0])
    slope = np.polyfit(x, y, 1)[0]
    resid_sd = np.std(y - slope * x, ddof=2)
    assert g["slope"] == pytest.approx(slope, abs=1e-4)
    assert (g["x_mean"], g["x_low"], g["x_high"], g["n_slope"]) == (25.0, 10.0, 40.0, 4)
    assert out["experts"]["mean"] == pytest.approx(y.mean(), abs=1e-3)
    assert out["experts"]["sd"] == pytest.approx(resid_sd, abs=1e-3)
    assert out["high"] == pytest.approx(y.mean() + 2 * resid_sd, abs=0.01)
    assert out["sd"] == pytest.approx(resid_sd, abs=1e-3)


def test_conditioned_target_can_borrow_its_slope() -> None:
    out = derive_target(_given_target(slope_recordings=["e", "f", "b"]), "y", _line_values())
    g = out["given"]
    assert g["n_slope"] == 3 and (g["x_low"], g["x_high"]) == (0.0, 100.0)
    # residuals of a..d around the borrowed line, ddof 1 (the slope was not fitted on them)
    resid = np.array([2 * 10 + 6, 2 * 20 + 4, 2 * 30 + 6, 2 * 40 + 4]) - g["slope"] * np.array(
        [10.0, 20.0, 30.0, 40.0])
    assert out["experts"]["sd"] == pytest.approx(np.std(resid, ddof=1), abs=1e-3)


def test_conditioned_target_needs_three_distinct_covariate_values() -> None:
    with pytest.raises(TargetDerivationError, match="at least 3"):
        derive_target(_given_target(), "y", _line_values(), frozenset({"a", "b"}))


def test_shipped_trunk_lean_targets_are_conditioned_on_knee_flexion() -> None:
    for movement in ("countermovement_jump", "standing_long_jump"):
        t = load_catalog(movement).metric("trunk_lean_at_bottom").target
        assert t is not None and t.given is not None
        assert t.given.metric == "knee_flexion_at_bottom"
        assert 0.5 < t.given.slope < 1.5 and t.given.r > 0.7
