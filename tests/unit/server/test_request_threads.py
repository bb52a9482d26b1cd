"""The request thread pool: the thread that went idle last takes the next job."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future

import pytest

from plughost.server.request_threads import LastIdleThreadPool, LastIdleThreadWorker

TIMEOUT = 10.0


@pytest.fixture
def pool() -> Iterator[LastIdleThreadPool]:
    pool = LastIdleThreadPool(4)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


def test_jobs_one_after_another_run_on_one_thread(pool: LastIdleThreadPool) -> None:
    threads = {pool.submit(threading.get_ident).result(TIMEOUT) for _ in range(50)}

    assert len(threads) == 1


def test_a_job_submitted_by_the_previous_ones_callback_takes_its_thread(
    pool: LastIdleThreadPool,
) -> None:
    # Gunicorn's pattern: the callback hands the connection back and its next request
    # comes at once, before the thread that ran the first has returned to its loop.
    done = threading.Event()
    seen: list[int] = []

    def chain(future: Future[int]) -> None:
        seen.append(future.result())
        if len(seen) < 20:
            pool.submit(threading.get_ident).add_done_callback(chain)
        else:
            done.set()

    pool.submit(threading.get_ident).add_done_callback(chain)

    assert done.wait(TIMEOUT)
    assert len(set(seen)) == 1


def test_overlapping_jobs_run_at_once_on_their_own_threads(pool: LastIdleThreadPool) -> None:
    barrier = threading.Barrier(4, timeout=TIMEOUT)

    def meet() -> int:
        barrier.wait()  # only returns once four jobs run at the same time
        return threading.get_ident()

    futures = [pool.submit(meet) for _ in range(4)]

    assert len({future.result(TIMEOUT) for future in futures}) == 4


def test_a_job_beyond_the_threads_waits_for_the_first_free_one(
    pool: LastIdleThreadPool,
) -> None:
    release = threading.Event()
    started = threading.Semaphore(0)

    def hold() -> str:
        started.release()
        assert release.wait(TIMEOUT)
        return "held"

    held = [pool.submit(hold) for _ in range(4)]
    for _ in range(4):
        assert started.acquire(timeout=TIMEOUT)
    waiting = pool.submit(lambda: "ran")

    assert not waiting.done()
    release.set()
    assert waiting.result(TIMEOUT) == "ran"
    assert [future.result(TIMEOUT) for future in held] == ["held"] * 4


def test_an_exception_goes_to_the_future_and_the_thread_goes_on(
    pool: LastIdleThreadPool,
) -> None:
    def fail() -> None:
        raise KeyboardInterrupt  # a BaseException too

    with pytest.raises(KeyboardInterrupt):
        pool.submit(fail).result(TIMEOUT)
    assert pool.submit(lambda: 7).result(TIMEOUT) == 7


def test_arguments_reach_the_job(pool: LastIdleThreadPool) -> None:
    assert pool.submit(divmod, 17, 5).result(TIMEOUT) == (3, 2)
    assert pool.submit(int, "ff", base=16).result(TIMEOUT) == 255


def test_shutdown_ends_the_threads_and_refuses_new_jobs() -> None:
    pool = LastIdleThreadPool(2, name="ending")
    pool.submit(lambda: None).result(TIMEOUT)
    assert [t for t in threading.enumerate() if t.name.startswith("ending-")]

    pool.shutdown(wait=True)

    assert not [t for t in threading.enumerate() if t.name.startswith("ending-")]
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)


def test_shutdown_with_cancel_drops_the_waiting_jobs() -> None:
    pool = LastIdleThreadPool(1)
    release = threading.Event()
    running = pool.submit(release.wait, TIMEOUT)
    waiting = pool.submit(lambda: "never")

    pool.shutdown(wait=False, cancel_futures=True)
    release.set()

    assert running.result(TIMEOUT) is True
    with pytest.raises(CancelledError):
        waiting.result(TIMEOUT)


def test_at_least_one_thread() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        LastIdleThreadPool(0)


def test_the_worker_runs_requests_on_this_pool() -> None:
    worker = LastIdleThreadWorker.__new__(LastIdleThreadWorker)
    worker.cfg = type("Config", (), {"threads": 3})()

    pool = worker.get_thread_pool()

    assert isinstance(pool, LastIdleThreadPool)
    pool.shutdown()
