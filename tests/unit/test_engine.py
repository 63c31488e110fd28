"""The engine seam: in-process, a local process pool, per-item failures, option checks.

The Dask side starts a cluster and is tested in tests/integration/test_docs_engine.py.
"""

from __future__ import annotations

import os
import sys

import pytest

from sportsgpt.core.engine import EngineError, Outcome, map_unordered
from sportsgpt.core.errors import MissingDependencyError

_WARMED: list[int] = []


def _square_or_fail(x: int) -> tuple[int, int]:
    """x squared and the process id; 3 raises, so its item fails."""
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x * x, os.getpid()


def _warm() -> None:
    _WARMED.append(os.getpid())


def _warmed_here(_: int) -> bool:
    return os.getpid() in _WARMED


def _die_on_two(x: int) -> int:
    if x == 2:
        os._exit(17)  # a worker process that dies mid-task
    return x


def _by_index(outcomes: list[Outcome[int, tuple[int, int]]]) -> dict[int, object]:
    return {o.index: (o.value[0] if o.value is not None else type(o.error).__name__)
            for o in outcomes}


def test_in_process_keeps_the_order_and_a_failure_stays_with_its_item() -> None:
    outcomes = list(map_unordered(_square_or_fail, [1, 2, 3, 4]))
    assert [o.index for o in outcomes] == [0, 1, 2, 3]
    assert _by_index(outcomes) == {0: 1, 1: 4, 2: "ValueError", 3: 16}
    assert {o.value[1] for o in outcomes if o.value is not None} == {os.getpid()}
    failed = outcomes[2]
    assert (failed.ok, failed.item, str(failed.error)) == (False, 3, "bad item 3")
    with pytest.raises(ValueError, match="bad item 3"):
        failed.unwrap()
    assert outcomes[3].unwrap() == (16, os.getpid())


def test_a_local_pool_runs_in_other_processes_with_the_same_outcomes() -> None:
    outcomes = list(map_unordered(_square_or_fail, [1, 2, 3, 4, 5], workers=2))
    assert sorted(o.index for o in outcomes) == [0, 1, 2, 3, 4]
    assert _by_index(outcomes) == {0: 1, 1: 4, 2: "ValueError", 3: 16, 4: 25}
    pids = {o.value[1] for o in outcomes if o.value is not None}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_warm_runs_in_every_worker_process_not_in_process() -> None:
    pooled = list(map_unordered(_warmed_here, [1, 2, 3], workers=2, warm=_warm))
    assert [o.value for o in pooled] == [True, True, True]
    here = list(map_unordered(_warmed_here, [1], warm=_warm))
    assert here[0].value is False and _WARMED == []


def test_a_dead_worker_fails_items_not_the_run() -> None:
    outcomes = list(map_unordered(_die_on_two, [1, 2, 3], workers=2))
    assert sorted(o.index for o in outcomes) == [0, 1, 2]  # one outcome per item
    dead = next(o for o in outcomes if o.item == 2)
    assert type(dead.error).__name__ == "BrokenProcessPool"


def test_stopping_early_shuts_the_pool_down() -> None:
    import multiprocessing

    it = map_unordered(_square_or_fail, list(range(20)), workers=2)
    first = next(it)
    assert multiprocessing.active_children()
    it.close()  # type: ignore[attr-defined]  # a generator
    assert first.index in range(20)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"engine": "spark"}, "'spark'"),
    ({"workers": 0}, "workers=0"),
    ({"address": "tcp://10.0.0.1:8786"}, "tcp://10.0.0.1:8786"),
], ids=["unknown-engine", "no-workers", "address-without-dask"])
def test_bad_options_are_refused_by_value(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(EngineError, match=named):
        map_unordered(_square_or_fail, [1], **kwargs)  # type: ignore[arg-type]


def test_dask_missing_is_a_typed_error_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(MissingDependencyError, match="distributed"):
        map_unordered(_square_or_fail, [1], engine="dask")
