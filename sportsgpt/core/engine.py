"""One engine seam: map a picklable function over items, results as they complete.

:func:`map_unordered` is the only place SportsGPT starts worker processes or talks to
a cluster; ``sportsgpt batch`` and ``kb add-docs`` both go through it.

- ``engine="local"``: ``workers=1`` runs every item in this process (nothing is
  pickled); more workers use a :class:`~concurrent.futures.ProcessPoolExecutor` of
  *spawned* processes (no inherited threads, torch or numba state).
- ``engine="dask"``: a ``LocalCluster(n_workers=workers, threads_per_worker=1,
  processes=True)`` started and closed here, or ``Client(address)`` when an address
  is given (the cluster's own worker count then applies). Dask is imported only here,
  when asked for.

Every item yields exactly one :class:`Outcome`, in completion order: its value, or
the exception that stopped it (raised by the function, a worker process that died,
an argument that could not be pickled). A failed item never ends the run; the caller
decides what a failure means. ``KeyboardInterrupt`` and other non-``Exception``
errors still propagate. A dead worker costs different amounts on the two engines.
Dask replaces the worker and retries its task elsewhere; only a task that keeps killing
workers fails, with ``KilledWorker``. A local pool breaks instead: every item still
pending fails with ``BrokenProcessPool``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sportsgpt.core.errors import MissingDependencyError, SportsGPTError

T = TypeVar("T")
R = TypeVar("R")

ENGINES: tuple[str, ...] = ("local", "dask")
"""Engines :func:`map_unordered` runs on."""


class EngineError(SportsGPTError, ValueError):
    """An engine option that cannot be used (the message names the offending value)."""


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What became of one item: its ``value``, or the ``error`` that stopped it."""

    index: int
    item: T
    value: R | None
    error: Exception | None

    @property
    def ok(self) -> bool:
        """True when the function returned (``value`` holds its result)."""
        return self.error is None

    def unwrap(self) -> R:
        """The value; the item's error is raised again if it failed."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # R may itself admit None


def check_engine(engine: str, workers: int, address: str | None) -> None:
    """Validate the options of :func:`map_unordered`.

    Raises:
        EngineError: an unknown engine, fewer than one worker, or an address for the
            local engine.
    """
    if engine not in ENGINES:
        raise EngineError(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}")
    if workers < 1:
        raise EngineError(f"workers={workers}: give at least 1")
    if engine == "local" and address:
        raise EngineError(f"address {address!r} needs engine 'dask' (local runs here)")


def map_unordered(fn: Callable[[T], R], items: Sequence[T], *, engine: str = "local",
                  workers: int = 1, address: str | None = None,
                  warm: Callable[[], object] | None = None) -> Iterator[Outcome[T, R]]:
    """``fn`` over ``items`` on the chosen engine; one :class:`Outcome` per item as it ends.

    Args:
        fn: a module-level (picklable) function of one item.
        items: picklable items.
        engine: ``local`` or ``dask``.
        workers: worker processes (a local pool, or the local Dask cluster); 1 with
            ``local`` runs in this process.
        address: a running Dask scheduler (``tcp://host:8786``) to use instead of
            starting a local cluster.
        warm: called once in every worker process before its tasks (not in this
            process when ``local`` runs in-process): imports, compiled kernels.

    Options are checked (and Dask is imported) when the function is called, before the
    first result is asked for.

    Raises:
        EngineError: see :func:`check_engine`.
        MissingDependencyError: ``dask`` chosen and ``distributed`` not installed.
    """
    check_engine(engine, workers, address)
    indexed = list(items)
    if engine == "dask":
        return _run_dask(fn, indexed, workers, address, warm, _dask_modules())
    if workers == 1:
        return _run_here(fn, indexed)
    return _run_pool(fn, indexed, workers, warm)


def _run_here(fn: Callable[[T], R], items: list[T]) -> Iterator[Outcome[T, R]]:
    for index, item in enumerate(items):
        try:
            value = fn(item)
        except Exception as exc:  # per item: the caller decides what a failure means
            yield Outcome(index, item, None, exc)
        else:
            yield Outcome(index, item, value, None)


def _run_pool(fn: Callable[[T], R], items: list[T], workers: int,
              warm: Callable[[], object] | None) -> Iterator[Outcome[T, R]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers, initializer=warm,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(fn, item): index for index, item in enumerate(items)}
        for fut in as_completed(futures):
            index = futures.pop(fut)
            try:
                value = fut.result()
            except Exception as exc:  # fn's error, a dead worker (BrokenProcessPool), pickling
                yield Outcome(index, items[index], None, exc)
            else:
                yield Outcome(index, items[index], value, None)
    finally:  # also when the caller stops early: queued items are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_modules() -> tuple[Any, Any, Any]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError("distributed", "engine", "engine 'dask'") from None
    return Client, LocalCluster, as_completed


def _run_dask(fn: Callable[[T], R], items: list[T], workers: int, address: str | None,
              warm: Callable[[], object] | None,
              modules: tuple[Any, Any, Any]) -> Iterator[Outcome[T, R]]:
    client_cls, cluster_cls, as_completed = modules
    cluster = None
    if address:
        client = client_cls(address)
    else:
        cluster = cluster_cls(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None)
        client = client_cls(cluster)
    try:
        if warm is not None:
            client.run(warm)
        futures = {}
        for index, item in enumerate(items):
            futures[client.submit(fn, item, pure=False)] = index
        for fut in as_completed(list(futures)):
            index = futures.pop(fut)
            try:
                value = fut.result()
            except Exception as exc:  # fn's error, KilledWorker, a cancelled task
                yield Outcome(index, items[index], None, exc)
            else:
                yield Outcome(index, items[index], value, None)
            fut.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["ENGINES", "EngineError", "Outcome", "check_engine", "map_unordered"]
