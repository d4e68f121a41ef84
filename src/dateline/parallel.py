"""Run one function over many picklable work units: in a process pool, or in this process.

Both paths call the same function on the same units in the same order, so they
give the same results; the pool only pays off when there is enough work
(starting workers costs more than converting a handful of articles).
Workers are forked, so the state they share (config, archive) is inherited, not
pickled; where fork is missing the serial path runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

Unit = TypeVar("Unit")
Result = TypeVar("Result")

MIN_UNITS_PER_JOB = 200  # below this much work per extra process, the serial path is faster


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Workers:
    """Up to `jobs` forked processes, set up once and reused for every batch given to `map`.

    A build renders in batches (bounded memory); starting a pool per batch made every
    worker set up its templates and listing cards again. Whether to fork at all is
    decided once, from the `total` number of units all batches will bring.
    """

    def __init__(
        self, *, jobs: int, total: int, setup: Callable[..., None], setup_args: tuple[Any, ...] = ()
    ) -> None:
        self.jobs = min(jobs, total // MIN_UNITS_PER_JOB)
        if self.jobs > 1:  # imported only then: an incremental build seldom needs a pool
            import multiprocessing

            if "fork" not in multiprocessing.get_all_start_methods():
                self.jobs = 1
        self._setup = setup
        self._setup_args = setup_args
        self._pool: ProcessPoolExecutor | None = None
        self._ready = False

    def map(self, function: Callable[[Unit], Result], units: Sequence[Unit]) -> Iterator[Result]:
        """`function(u) for u in units`, in order, in the workers or (one job) in this process.

        Lazy: the caller takes each result as it comes (a page is written while the next
        ones render). In the pool every unit is handed out at once."""
        if self.jobs <= 1:
            if not self._ready:
                self._setup(*self._setup_args)
                self._ready = True
            return map(function, units)
        chunk = max(1, min(64, len(units) // (self.jobs * 8)))
        return self._start().map(function, units, chunksize=chunk)

    def submit(self, function: Callable[[], Result]) -> Future[Result] | None:
        """Run `function()` in a worker, beside the units; None without workers (the caller
        runs it itself). `function` must be a module's own: it is sent by name."""
        return self._start().submit(function) if self.jobs > 1 else None

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=self._setup, initargs=self._setup_args
            )
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)  # after an error, start nothing new
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_all(
    function: Callable[[Unit], Result],
    units: Sequence[Unit],
    *,
    jobs: int,
    setup: Callable[..., None],
    setup_args: tuple[Any, ...] = (),
) -> list[Result]:
    """`[function(u) for u in units]` after `setup(*setup_args)`, in up to `jobs` processes."""
    with Workers(jobs=jobs, total=len(units), setup=setup, setup_args=setup_args) as workers:
        return list(workers.map(function, units))
