from __future__ import annotations

import numpy as np
import pytest

from sportsgpt.graph_kb.movements import movement_spec
from sportsgpt.tools.derivatives import savgol_derivative, savgol_derivative_columns
from sportsgpt.tools.motiondtw.features import (
    column_weights,
    normalise_features,
    raw_features,
    scale_amplitude,
    std_floor,
)


@pytest.mark.parametrize("order", [1, 2], ids=["velocity", "acceleration"])
@pytest.mark.parametrize("n", [3, 7, 50, 301], ids=lambda n: f"T{n}")
def test_column_derivative_equals_the_per_column_reference(rng: np.random.Generator,
                                                           order: int, n: int) -> None:
    x = np.cumsum(rng.normal(size=(n, 5)), axis=0)
    x[n // 2, 1] = np.nan  # NaN propagates the same way
    fast = savgol_derivative_columns(x, 120.0, order)
    slow = np.column_stack([savgol_derivative(x[:, k], 120.0, order) for k in range(5)])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9, equal_nan=True)


def test_raw_features_layout(rng: np.random.Generator) -> None:
    t = np.arange(200) / 100.0
    values = np.column_stack([np.sin(2 * np.pi * t), t**2])
    raw = raw_features(values, 100.0)
    assert raw.shape == (200, 6)
    np.testing.assert_allclose(raw[20:-20, 3], 2 * t[20:-20], atol=1e-6)  # d(t^2)/dt
    np.testing.assert_allclose(raw[20:-20, 5], 2.0, atol=1e-6)            # second derivative


def test_std_floor_and_derivative_scaling() -> None:
    floor = std_floor(("knee_flexion_left", "pelvis_rel_height"))
    assert floor.tolist() == [10.0, 0.05, 100.0, 0.5, 1000.0, 5.0]
    raw = np.ones((4, 6))
    out = normalise_features(raw, np.zeros(6), np.ones(6), alpha=2.0, beta=0.5)
    assert out[0].tolist() == [1.0, 1.0, 2.0, 2.0, 0.5, 0.5]


def test_scale_amplitude_keeps_the_first_frame(rng: np.random.Generator) -> None:
    x = rng.normal(size=(20, 3))
    half = scale_amplitude(x, 0.5)
    np.testing.assert_allclose(half[0], x[0])
    np.testing.assert_allclose(half - x[0], 0.5 * (x - x[0]))


def test_finding_weights_leave_out_arms_and_trunk_for_jumps() -> None:
    spec = movement_spec("countermovement_jump")
    chans = ("knee_flexion_left", "shoulder_flexion_left", "trunk_inclination")
    assert column_weights(spec, chans, stage=1).tolist() == [1.0, 0.0, 0.0] * 3
    assert column_weights(spec, chans).tolist() == [1.0, 0.25, 0.5] * 3
