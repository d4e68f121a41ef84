"""Run one function over many picklable work units: in a process pool, or in this process.

Both paths call the same function on the same units in the same order, so they
give the same results; the pool only pays off when there is enough work
(starting workers costs more than converting a handful of articles).
Workers are forked, so the state they share (config, archive) is inherited, not
pickled; where fork is missing the serial path runs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

Unit = TypeVar("Unit")
Result = TypeVar("Result")

MIN_UNITS_PER_JOB = 200  # below this much work per extra process, the serial path is faster


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_all(
    function: Callable[[Unit], Result],
    units: Sequence[Unit],
    *,
    jobs: int,
    setup: Callable[..., None],
    setup_args: tuple[Any, ...] = (),
) -> list[Result]:
    """`[function(u) for u in units]` after `setup(*setup_args)`, in up to `jobs` processes."""
    jobs = min(jobs, len(units) // MIN_UNITS_PER_JOB)
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        setup(*setup_args)
        return [function(unit) for unit in units]
    chunk = max(1, min(64, len(units) // (jobs * 8)))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=setup, initargs=setup_args
    ) as pool:
        return list(pool.map(function, units, chunksize=chunk))
