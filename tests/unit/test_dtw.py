from __future__ import annotations

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from dtaidistance import dtw as dtai_dtw
from dtaidistance import dtw_ndim
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sportsgpt.core.errors import MotionDataError
from sportsgpt.tools.motiondtw import reference
from sportsgpt.tools.motiondtw.dtw import (
    Match,
    band_bounds,
    dtw,
    find_matches,
    match_path,
    subsequence_dtw,
)

FloatArray = np.ndarray

# Values on a coarse grid produce many exact ties, which exercises tie-breaking.
_values = st.one_of(
    st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False),
    st.integers(-3, 3).map(float),
)


@st.composite
def _pair(draw: st.DrawFn, max_len: int = 25) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    n = draw(st.integers(1, max_len))
    m = draw(st.integers(1, max_len))
    c = draw(st.integers(1, 4))
    x = draw(arrays(np.float64, (n, c), elements=_values))
    y = draw(arrays(np.float64, (m, c), elements=_values))
    w = draw(st.none() | arrays(np.float64, (c,), elements=st.floats(0.0, 10.0)))
    return x, y, w


@st.composite
def _band(draw: st.DrawFn) -> tuple[int | None, str]:
    band = draw(st.sampled_from(["diagonal", "slanted"]))
    smallest = 1 if band == "diagonal" else 0
    window = draw(st.none() | st.integers(smallest, 30))
    return window, band


def _ones_if_none(w: FloatArray | None, c: int) -> FloatArray:
    return np.ones(c) if w is None else w


# --- constrained DTW: kernel against the reference ---------------------------------------


@settings(max_examples=150, deadline=None)
@given(pair=_pair(), band=_band())
def test_dtw_kernel_equals_reference(pair: tuple[FloatArray, FloatArray, FloatArray | None],
                                     band: tuple[int | None, str]) -> None:
    x, y, w = pair
    window, mode = band
    ref_cost, ref_path = reference.dtw_reference(x, y, _ones_if_none(w, x.shape[1]),
                                                 window, mode)
    if ref_path is None:  # the band holds no path: the public function says so
        with pytest.raises(MotionDataError, match="too narrow"):
            dtw(x, y, weights=w, window=window, band=mode)  # type: ignore[arg-type]
        return
    res = dtw(x, y, weights=w, window=window, band=mode)  # type: ignore[arg-type]
    assert res.cost == pytest.approx(ref_cost, rel=1e-12, abs=0.0)
    assert res.distance == pytest.approx(math.sqrt(ref_cost), rel=1e-12, abs=0.0)
    assert res.path is not None
    np.testing.assert_array_equal(res.path, ref_path)
    no_path = dtw(x, y, weights=w, window=window, band=mode,  # type: ignore[arg-type]
                  return_path=False)
    assert no_path.path is None
    assert no_path.cost == res.cost


@settings(max_examples=100, deadline=None)
@given(pair=_pair(), band=_band())
def test_dtw_path_is_a_valid_warping_path(
        pair: tuple[FloatArray, FloatArray, FloatArray | None],
        band: tuple[int | None, str]) -> None:
    x, y, w = pair
    window, mode = band
    n, m = x.shape[0], y.shape[0]
    try:
        res = dtw(x, y, weights=w, window=window, band=mode)  # type: ignore[arg-type]
    except MotionDataError as exc:
        assert "too narrow" in str(exc)
        return
    path = res.path
    assert path is not None
    assert path.dtype == np.int64
    assert path.ndim == 2
    assert path.shape[1] == 2
    assert tuple(path[0]) == (0, 0)
    assert tuple(path[-1]) == (n - 1, m - 1)
    steps = {tuple(s) for s in np.diff(path, axis=0).tolist()}
    assert steps <= {(1, 0), (0, 1), (1, 1)}
    assert max(n, m) <= len(path) <= n + m - 1
    assert all(reference.in_band(int(i), int(j), n, m, window, mode) for i, j in path)
    wk = _ones_if_none(w, x.shape[1])
    along = sum(reference.local_cost(x, y, wk, int(i), int(j)) for i, j in path)
    assert res.cost == pytest.approx(along, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), m=st.integers(1, 40), band=_band())
def test_band_bounds_match_the_cell_predicate(n: int, m: int,
                                              band: tuple[int | None, str]) -> None:
    window, mode = band
    try:
        lo, hi = band_bounds(n, m, window, mode)  # type: ignore[arg-type]
    except MotionDataError:
        ref_cost, _ = reference.dtw_reference(np.zeros((n, 1)), np.zeros((m, 1)), np.ones(1),
                                              window, mode)
        assert ref_cost == math.inf
        return
    for i in range(n):
        allowed = [j for j in range(m) if reference.in_band(i, j, n, m, window, mode)]
        assert (int(lo[i]), int(hi[i])) == (allowed[0], allowed[-1])
        assert allowed == list(range(allowed[0], allowed[-1] + 1))
    assert (np.diff(lo) >= 0).all()
    assert (np.diff(hi) >= 0).all()


@pytest.mark.parametrize(("m", "expected"), [
    (3, [(0, 0), (1, 1), (2, 2)]),
    (2, [(0, 0), (1, 0), (2, 1)]),
    (4, [(0, 0), (0, 1), (1, 2), (2, 3)]),
], ids=["square", "tall", "wide"])
def test_ties_prefer_diagonal_then_vertical_then_horizontal(
        m: int, expected: list[tuple[int, int]]) -> None:
    # all local costs are 0, so every predecessor ties everywhere
    res = dtw(np.zeros((3, 2)), np.zeros((m, 2)))
    assert res.cost == 0.0
    assert res.path is not None
    assert [tuple(p) for p in res.path.tolist()] == expected


def test_weights_scale_channels(rng: np.random.Generator) -> None:
    x = rng.normal(size=(30, 3))
    y = rng.normal(size=(25, 3))
    only_first = dtw(x, y, weights=np.array([1.0, 0.0, 0.0]))
    first_channel = dtw(x[:, 0], y[:, 0])
    assert only_first.cost == pytest.approx(first_channel.cost, rel=1e-12)
    assert dtw(x, y, weights=np.full(3, 2.0)).cost == pytest.approx(2 * dtw(x, y).cost,
                                                                    rel=1e-12)


def test_result_path_is_read_only(rng: np.random.Generator) -> None:
    res = dtw(rng.normal(size=(5, 2)), rng.normal(size=(6, 2)))
    assert res.path is not None
    with pytest.raises(ValueError, match="read-only"):
        res.path[0, 0] = 3


# --- against dtaidistance ----------------------------------------------------------------


def test_dtaidistance_c_library_is_available() -> None:
    # the comparisons below must run the C code, never dtaidistance's Python fallback
    from dtaidistance import dtw_cc  # noqa: F401 (an ImportError fails the test)

    assert dtai_dtw.try_import_c() is True


_DTAI_CASES = [
    pytest.param(1, 40, 40, 3, None, id="seed1-equal-noband"),
    pytest.param(2, 57, 43, 4, 5, id="seed2-longer-x-window5"),
    pytest.param(3, 31, 66, 6, 3, id="seed3-longer-y-window3"),
    pytest.param(4, 50, 50, 24, 1, id="seed4-24ch-window1"),
    pytest.param(5, 80, 72, 2, 12, id="seed5-window12"),
    pytest.param(6, 1, 9, 3, 2, id="seed6-one-frame"),
]


@pytest.mark.parametrize(("seed", "n", "m", "c", "window"), _DTAI_CASES)
def test_distance_and_path_equal_dtaidistance_ndim(seed: int, n: int, m: int, c: int,
                                                   window: int | None) -> None:
    gen = np.random.default_rng(seed)
    x = gen.normal(size=(n, c))
    y = gen.normal(size=(m, c))
    ours = dtw(x, y, window=window)
    theirs = dtw_ndim.distance_fast(x, y, window=window, use_pruning=False, psi=None)
    assert ours.distance == pytest.approx(theirs, rel=1e-9, abs=1e-9)
    their_path = dtw_ndim.warping_path(x, y, window=window, psi=None, use_c=True)
    assert ours.path is not None
    np.testing.assert_array_equal(ours.path, np.array(their_path, dtype=np.int64))


@pytest.mark.parametrize(("seed", "n", "m", "window"), [
    pytest.param(11, 60, 60, None, id="seed11-noband"),
    pytest.param(12, 45, 70, 4, id="seed12-window4"),
    pytest.param(13, 90, 33, 10, id="seed13-window10"),
])
def test_distance_equals_dtaidistance_univariate(seed: int, n: int, m: int,
                                                 window: int | None) -> None:
    gen = np.random.default_rng(seed)
    x = np.cumsum(gen.normal(size=n))
    y = np.cumsum(gen.normal(size=m))
    theirs = dtai_dtw.distance_fast(x, y, window=window, use_pruning=False, psi=None)
    assert dtw(x, y, window=window).distance == pytest.approx(theirs, rel=1e-9, abs=1e-9)


# --- subsequence DTW ---------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(pair=_pair())
def test_subsequence_kernel_equals_reference(
        pair: tuple[FloatArray, FloatArray, FloatArray | None]) -> None:
    q, s, w = pair
    ref_cost, ref_start = reference.subsequence_reference(q, s, _ones_if_none(w, q.shape[1]))
    prof = subsequence_dtw(q, s, weights=w)
    np.testing.assert_allclose(prof.cost, ref_cost, rtol=1e-12, atol=0.0)
    np.testing.assert_array_equal(prof.start, ref_start)
    span = np.arange(s.shape[0]) - ref_start + 1
    np.testing.assert_allclose(prof.normalized_cost, ref_cost / (q.shape[0] + span),
                               rtol=1e-12, atol=0.0)
    assert prof.query_length == q.shape[0]
    assert prof.series_length == s.shape[0]


@settings(max_examples=60, deadline=None)
@given(pair=_pair())
def test_match_path_cost_equals_profile_cost(
        pair: tuple[FloatArray, FloatArray, FloatArray | None]) -> None:
    q, s, w = pair
    prof = subsequence_dtw(q, s, weights=w)
    end = int(np.argmin(prof.cost))
    match = Match(start=int(prof.start[end]), end=end, cost=float(prof.cost[end]),
                  normalized_cost=float(prof.normalized_cost[end]))
    res = match_path(q, s, match, weights=w)
    assert res.cost == pytest.approx(match.cost, rel=1e-9, abs=1e-9)
    assert res.path is not None
    assert tuple(res.path[0]) == (0, match.start)
    assert tuple(res.path[-1]) == (q.shape[0] - 1, match.end)


def _stretch(seq: FloatArray, length: int) -> FloatArray:
    src = np.linspace(0.0, seq.shape[0] - 1.0, length)
    grid = np.arange(seq.shape[0])
    return np.stack([np.interp(src, grid, seq[:, k]) for k in range(seq.shape[1])], axis=1)


def _template(rng: np.random.Generator, n: int = 40, c: int = 3) -> FloatArray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    freq = rng.uniform(1.0, 2.5, size=(1, c))
    phase = rng.uniform(0.0, 2 * np.pi, size=(1, c))
    return 2.0 * np.sin(2 * np.pi * freq * t + phase) + 3.0 * t


def test_embedded_query_is_found_twice(rng: np.random.Generator) -> None:
    query = _template(rng)
    series = np.cumsum(rng.normal(scale=0.3, size=(600, 3)), axis=0)
    placed = [(120, 48), (400, 34)]  # start frame, stretched length
    for start, length in placed:
        piece = _stretch(query, length) + rng.normal(scale=0.02, size=(length, 3))
        series[start:start + length] = piece
    prof = subsequence_dtw(query, series)
    matches = find_matches(prof, max_matches=5, threshold=0.05)
    assert len(matches) == 2
    found = sorted((m.start, m.end) for m in matches)
    for (start, length), (got_start, got_end) in zip(placed, found, strict=True):
        assert abs(got_start - start) <= 2
        assert abs(got_end - (start + length - 1)) <= 2
    for m in matches:
        assert m.normalized_cost <= 0.05
        path = match_path(query, series, m).path
        assert path is not None
        assert tuple(path[0]) == (0, m.start)
        assert tuple(path[-1]) == (query.shape[0] - 1, m.end)


def test_nothing_found_in_an_unrelated_series(rng: np.random.Generator) -> None:
    query = _template(rng)
    series = np.cumsum(rng.normal(scale=0.3, size=(600, 3)), axis=0)
    prof = subsequence_dtw(query, series)
    assert find_matches(prof, max_matches=5, threshold=0.05) == []
    assert len(find_matches(prof, max_matches=5)) == 5  # without a threshold: the 5 least bad


def test_find_matches_suppresses_overlap_and_close_ends(rng: np.random.Generator) -> None:
    prof = subsequence_dtw(rng.normal(size=(10, 2)), rng.normal(size=(200, 2)))
    disjoint = find_matches(prof, max_matches=50)
    spans = sorted((m.start, m.end) for m in disjoint)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    costs = [m.normalized_cost for m in disjoint]
    assert costs == sorted(costs)
    assert disjoint[0].end == int(np.argmin(prof.normalized_cost))
    spaced = find_matches(prof, max_matches=50, min_separation=30, max_overlap=1.0)
    ends = sorted(m.end for m in spaced)
    assert all(b - a >= 30 for a, b in itertools.pairwise(ends))
    assert len(find_matches(prof, max_matches=3, max_overlap=1.0)) == 3


# --- validation --------------------------------------------------------------------------


_GOOD = np.zeros((4, 2))


@pytest.mark.parametrize(("x", "y", "kwargs", "message"), [
    pytest.param(np.array([[0.0, np.nan]]), _GOOD, {}, "non-finite", id="nan"),
    pytest.param(_GOOD, np.array([[np.inf, 0.0]]), {}, "non-finite", id="inf"),
    pytest.param(np.zeros((0, 2)), _GOOD, {}, "empty", id="empty"),
    pytest.param(np.zeros((3, 3)), _GOOD, {}, "channels", id="channel-mismatch"),
    pytest.param(np.zeros((2, 2, 2)), _GOOD, {}, "shape", id="3d"),
    pytest.param(np.array(["a", "b"]), _GOOD, {}, "real numbers", id="strings"),
    pytest.param(np.zeros(3, dtype=complex), _GOOD, {}, "real numbers", id="complex"),
    pytest.param([[1.0, 2.0], [3.0]], _GOOD, {}, "numeric", id="ragged"),
    pytest.param(_GOOD, _GOOD, {"weights": np.ones(3)}, "shape", id="weights-shape"),
    pytest.param(_GOOD, _GOOD, {"weights": np.array([1.0, -1.0])}, ">= 0", id="weights-neg"),
    pytest.param(_GOOD, _GOOD, {"weights": np.array([1.0, np.nan])}, "finite",
                 id="weights-nan"),
    pytest.param(_GOOD, _GOOD, {"window": 0}, ">= 1", id="window-0-diagonal"),
    pytest.param(_GOOD, _GOOD, {"window": -1, "band": "slanted"}, ">= 0",
                 id="window-negative-slanted"),
    pytest.param(_GOOD, _GOOD, {"window": True}, "int", id="window-bool"),
    pytest.param(_GOOD, _GOOD, {"window": 2.5}, "int", id="window-float"),
    pytest.param(_GOOD, _GOOD, {"band": "itakura"}, "band", id="unknown-band"),
    pytest.param(np.zeros((3, 2)), np.zeros((30, 2)), {"window": 2, "band": "slanted"},
                 "too narrow", id="infeasible-slanted"),
    pytest.param(np.array([[1e200]]), np.array([[-1e200]]), {}, "overflow", id="overflow"),
])
def test_bad_input_raises_motion_data_error(x: object, y: object, kwargs: dict[str, object],
                                            message: str) -> None:
    with pytest.raises(MotionDataError, match=message):
        dtw(x, y, **kwargs)  # type: ignore[arg-type]


def test_subsequence_rejects_nan() -> None:
    with pytest.raises(MotionDataError, match="series has a non-finite value"):
        subsequence_dtw(_GOOD, np.array([[0.0, np.nan]]))


@pytest.mark.parametrize("kwargs", [
    pytest.param({"max_matches": 0}, id="max-matches-0"),
    pytest.param({"max_matches": 1, "min_separation": -1}, id="negative-separation"),
    pytest.param({"max_matches": 1, "threshold": math.nan}, id="nan-threshold"),
    pytest.param({"max_matches": 1, "max_overlap": 1.5}, id="overlap-above-1"),
])
def test_find_matches_rejects_bad_arguments(kwargs: dict[str, object]) -> None:
    prof = subsequence_dtw(_GOOD, np.ones((9, 2)))
    with pytest.raises(MotionDataError):
        find_matches(prof, **kwargs)  # type: ignore[arg-type]


def test_match_path_rejects_a_match_outside_the_series() -> None:
    with pytest.raises(MotionDataError, match="outside"):
        match_path(_GOOD, np.ones((9, 2)), Match(start=5, end=12, cost=0.0,
                                                 normalized_cost=0.0))


def test_missing_numba_fails_loudly() -> None:
    code = ("import sys; sys.modules['numba'] = None\n"
            "from sportsgpt.core.errors import MissingDependencyError\n"
            "try:\n"
            "    import sportsgpt.tools.motiondtw.dtw\n"
            "except MissingDependencyError as exc:\n"
            "    print('raised:', exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert "raised:" in out.stdout
    assert "numba" in out.stdout
