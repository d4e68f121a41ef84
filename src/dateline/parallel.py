"""Run one function over many picklable work units: in this process and a pool beside it.

`jobs` processes share the work, this one included: it takes units the pool has not
started whenever the result it needs next is not back yet, so on two CPUs one forked
worker and this process do the work of two, with one process less holding memory.
Every path calls the same function on the same units and yields the results in order,
so they give the same results; the pool only pays off when there is enough work
(starting a worker costs more than converting a handful of articles).
Workers are forked, so the state they share (config, archive) is inherited, not
pickled; where fork is missing the serial path runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

Unit = TypeVar("Unit")
Result = TypeVar("Result")

MIN_UNITS_PER_JOB = 100  # per extra process: below, forking and setting one up costs more
CHUNK = 64  # units per hand-out: small enough to share the tail of the work evenly
WINDOW = 2048  # units handed out ahead of the result needed next: bounds results held
SWITCH_INTERVAL = 0.001  # seconds between this process's threads while it shares the work


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Workers:
    """`jobs` processes (this one and `jobs - 1` forked), each set up once for every `map`.

    Whether to fork at all is decided once, from the `total` number of units all calls
    will bring; a page-rendering job also hands the pool one side job (`submit`).
    """

    def __init__(
        self, *, jobs: int, total: int, setup: Callable[..., None], setup_args: tuple[Any, ...] = ()
    ) -> None:
        self.jobs = max(1, min(jobs, total // MIN_UNITS_PER_JOB))
        if self.jobs > 1:  # imported only then: an incremental build seldom needs a pool
            import multiprocessing

            if "fork" not in multiprocessing.get_all_start_methods():
                self.jobs = 1
        self._setup = setup
        self._setup_args = setup_args
        self._pool: ProcessPoolExecutor | None = None
        self._ready = False

    def map(
        self, function: Callable[[Unit], Result], units: Sequence[Unit], *,
        window: int | None = None,
    ) -> Iterator[Result]:  # fmt: skip
        """`function(u) for u in units`, in order, shared between this process and the pool.

        Lazy: the caller takes each result as it comes (a page is written while the next
        ones render), and at most `window` units (default `WINDOW`) are handed out ahead
        of it: a caller whose results are big asks for fewer. `function` must be a
        module's own: it is sent to the workers by name."""
        if self.jobs <= 1:
            self._set_up_here()
            return map(function, units)
        return self._shared(function, units, WINDOW if window is None else window)

    def submit(self, function: Callable[[], Result]) -> Future[Result] | None:
        """Run `function()` in a worker, before any unit handed out later; None without
        workers (the caller runs it itself). `function` is sent by name, like `map`'s."""
        return self._start().submit(function) if self.jobs > 1 else None

    def _shared(
        self, function: Callable[[Unit], Result], units: Sequence[Unit], ahead: int
    ) -> Iterator[Result]:
        pool = self._start()
        size = max(1, min(CHUNK, len(units) // (self.jobs * 8)))
        waiting = deque(units[start : start + size] for start in range(0, len(units), size))
        window: deque[_Share[Unit, Result]] = deque()
        # The pool's threads here (results in, units out) wait for the interpreter lock
        # while this thread works: at the default 5 ms per hand-over a worker starves.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            while waiting or window:
                while waiting and (not window or len(window) * size < ahead):
                    chunk = waiting.popleft()
                    window.append(_Share(chunk, pool.submit(_run_chunk, function, chunk)))
                head = window[0]
                if not head.ready() and self._take_one(window, function):
                    continue  # did one share here; the head may be back meanwhile
                window.popleft()
                yield from head.results()
        finally:
            sys.setswitchinterval(interval)

    def _take_one(
        self, window: deque[_Share[Unit, Result]], function: Callable[[Unit], Result]
    ) -> bool:
        """Do here the first share no worker has started; False when every share has been.

        The first, not the last: the results done here then wait least for the ones before
        them, and the window refills as fast as both sides work."""
        for share in window:
            if share.take():
                self._set_up_here()
                share.run_here(function)
                return True
        return False

    def _set_up_here(self) -> None:
        if not self._ready:
            self._setup(*self._setup_args)
            self._ready = True

    def _start(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(
                self.jobs - 1, mp_context=context, initializer=self._setup,
                initargs=self._setup_args,
            )  # fmt: skip
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)  # after an error, start nothing new
            self._pool = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Share(Generic[Unit, Result]):
    """One chunk of units, handed to the pool; taken back to run here if no worker began it."""

    def __init__(self, chunk: Sequence[Unit], future: Future[_Done[Result]]) -> None:
        self.chunk = chunk
        self.future = future
        self._here: _Done[Result] | None = None

    def ready(self) -> bool:
        return self._here is not None or self.future.done()

    def take(self) -> bool:
        return self._here is None and self.future.cancel()

    def run_here(self, function: Callable[[Unit], Result]) -> None:
        self._here = _run_chunk(function, self.chunk)

    def results(self) -> Iterator[Result]:
        """Its results, then the error that stopped it (in its turn, after those before it)."""
        done, error = self._here if self._here is not None else self.future.result()
        yield from done
        if error is not None:
            raise error


_Done = tuple[list[Result], Exception | None]


def _run_chunk(function: Callable[[Unit], Result], chunk: Sequence[Unit]) -> _Done[Result]:
    done: list[Result] = []
    try:
        done.extend(function(unit) for unit in chunk)
    except Exception as exc:  # raised where the caller takes the results
        return done, exc
    return done, None


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


def _single_threaded() -> bool:
    return threading.active_count() == 1


@contextmanager
def beside(
    work: Callable[[], bytes], *, enabled: bool = True
) -> Iterator[Callable[[], bytes | None]]:
    """Run `work` in a forked child while this process goes on with its own part.

    Gives a function that waits for the child's bytes: None when there was no child or it
    failed, and the caller does the work itself. Forked only on Linux while this process
    has a single thread (a `dateline build`): fork copies the calling thread alone, and a
    lock another thread held would stay locked in the child (`serve` goes without).
    A child not waited for is killed when the block ends.
    """
    if not (enabled and sys.platform == "linux" and _single_threaded()):
        yield lambda: None
        return
    reading, writing = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reading)
        os.close(writing)
        yield lambda: None
        return
    if pid == 0:  # the child: its bytes into the pipe, then out, running nothing of ours
        code = 1
        try:
            os.close(reading)
            with open(writing, "wb") as stream:  # noqa: PTH123 - a file descriptor
                stream.write(work())
            code = 0
        finally:
            os._exit(code)
    os.close(writing)
    waited: list[bytes | None] = []

    def result() -> bytes | None:
        if not waited:
            with open(reading, "rb") as stream:  # noqa: PTH123 - a file descriptor
                data = stream.read()
            status = os.waitpid(pid, 0)[1]
            waited.append(data if os.waitstatus_to_exitcode(status) == 0 else None)
        return waited[0]

    try:
        yield result
    finally:
        if not waited:
            os.close(reading)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
