"""parallel.Workers: this process and forked workers share the units; results come in order."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dateline import parallel
from dateline.parallel import Workers

LOG: list[Path] = []  # where `_logged` notes each unit it starts (set before forking)


def _noop() -> None:
    pass


def _square(unit: int) -> tuple[int, int]:
    return unit, unit * unit


def _slow(unit: int) -> tuple[int, int]:
    time.sleep(0.004)
    return unit, os.getpid()


def _fails_at_13(unit: int) -> int:
    if unit == 13:
        raise ValueError(f"unit {unit}")
    return unit


def _logged(unit: int) -> int:
    with LOG[0].open("a", encoding="utf-8") as stream:
        stream.write(f"{unit}\n")
    return unit


@pytest.fixture(autouse=True)
def small_sites_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_UNITS_PER_JOB", 1)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    count=st.integers(0, 300), jobs=st.integers(1, 3), window=st.integers(1, 80),
    chunk=st.integers(1, 20),
)  # fmt: skip
def test_results_are_those_of_the_serial_path_in_order(
    count: int, jobs: int, window: int, chunk: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "WINDOW", window)
        patch.setattr(parallel, "CHUNK", chunk)
        with Workers(jobs=jobs, total=count, setup=_noop) as workers:
            assert list(workers.map(_square, range(count))) == [_square(u) for u in range(count)]


def test_this_process_and_the_worker_both_do_shares() -> None:
    with Workers(jobs=2, total=120, setup=_noop) as workers:
        assert workers.jobs == 2
        results = list(workers.map(_slow, range(120)))
    assert [unit for unit, _ in results] == list(range(120))
    doers = {pid for _, pid in results}
    assert os.getpid() in doers  # the parent took shares no worker had begun
    assert len(doers) == 2  # and one forked worker did the others


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_comes_after_the_results_before_it(jobs: int) -> None:
    got: list[int] = []

    def take_all() -> None:
        with Workers(jobs=jobs, total=60, setup=_noop) as workers:
            got.extend(workers.map(_fails_at_13, range(60)))

    with pytest.raises(ValueError, match="unit 13"):
        take_all()
    assert got == list(range(13))


@pytest.mark.parametrize(("default", "asked"), [(24, None), (2048, 24)])
def test_units_are_handed_out_at_most_a_window_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default: int, asked: int | None
) -> None:
    """A slow consumer (the writer) holds back the work: results never pile up. The
    window is the pool's default, or the one the caller asks for (big results)."""
    monkeypatch.setattr(parallel, "WINDOW", default)
    monkeypatch.setattr(parallel, "CHUNK", 4)
    LOG[:] = [tmp_path / "started.log"]
    LOG[0].write_text("", encoding="utf-8")
    with Workers(jobs=2, total=200, setup=_noop) as workers:
        results: Iterator[int] = workers.map(_logged, range(200), window=asked)
        for consumed, unit in enumerate(results, start=1):
            assert unit == consumed - 1
            if consumed % 50 == 0:
                time.sleep(0.2)  # the worker could run far ahead now, if it were let
                started = len(LOG[0].read_text(encoding="utf-8").split())
                assert started <= consumed + 24 + 4, (consumed, started)


# --- parallel.beside: one piece of work in a forked child --------------------------------------


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fork even though earlier tests left threads behind (Playwright's, a server's): the
    children here run only the work given, which takes none of their locks."""
    monkeypatch.setattr(parallel, "_single_threaded", lambda: True)


def noting_pid(noted: Path, then: Callable[[], bytes]) -> Callable[[], bytes]:
    """`then`, once the process running it (the child) has written its id to `noted`."""

    def work() -> bytes:
        noted.write_text(str(os.getpid()), encoding="utf-8")
        return then()

    return work


def _raises() -> bytes:
    raise ValueError("in the child")


def _sleeps() -> bytes:
    time.sleep(60)
    return b"too late"


def gone(pid: int) -> bool:
    """True once the process has exited and been reaped (a zombie still answers kill 0)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_beside_runs_the_work_in_a_child_and_hands_over_its_bytes(forking: None) -> None:
    with parallel.beside(lambda: str(os.getpid()).encode()) as result:
        here = os.getpid()
        found = result()
    assert found is not None
    assert int(found) != here
    assert result() == found  # waited for once
    assert gone(int(found))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_beside_gives_none_when_the_child_fails_or_is_not_wanted(
    forking: None, tmp_path: Path
) -> None:
    noted = tmp_path / "pid"
    with parallel.beside(noting_pid(noted, _raises)) as result:
        assert result() is None
    assert gone(int(noted.read_text(encoding="utf-8")))
    with parallel.beside(lambda: b"never forked", enabled=False) as result:
        assert result() is None


def test_beside_does_not_fork_beside_other_threads() -> None:
    """`serve` builds beside its server threads: a forked child could inherit a held lock."""
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        with parallel.beside(lambda: b"forked") as result:
            assert result() is None
    finally:
        release.set()
        thread.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_child_not_waited_for_is_stopped_when_the_block_ends(
    forking: None, tmp_path: Path
) -> None:
    noted = tmp_path / "pid"

    def fails_beside() -> None:
        with parallel.beside(noting_pid(noted, _sleeps)):
            while not noted.exists() or not noted.read_text(encoding="utf-8"):
                time.sleep(0.01)
            raise RuntimeError("the parent's own part failed")

    started = time.monotonic()
    with pytest.raises(RuntimeError):
        fails_beside()
    assert time.monotonic() - started < 10
    assert gone(int(noted.read_text(encoding="utf-8")))
