"""Gunicorn's threaded worker, with each request handed to the thread that went idle last.

Gunicorn's ``gthread`` worker runs requests on a ``ThreadPoolExecutor``, whose idle threads
take turns: one client's keep-alive requests, one after another, went to each of a worker's
threads in rotation, and each thread has a database connection of its own (Django's are
per thread). Every request so met a connection, a PostgreSQL backend and a thread that had
been idle since the last round, colder in every cache. Here the thread that finished last
takes the next request, so a worker under light load keeps one thread and one connection
busy and hot; the other threads start only when requests overlap, as before. Measured with
two workers on PostgreSQL, one client each: every write 10-23% faster, the floor unchanged
(CHANGELOG).

A thread counts as idle as soon as its request's work is done, before the request's future
is settled: the future's callback hands the connection back to gunicorn's main thread,
which may read the client's next request and submit it at once.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

_Job = tuple["Future[Any]", Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class _Slot:
    """One thread's mailbox: the job it is given, and the event that wakes it."""

    def __init__(self, job: _Job | None) -> None:
        self.job = job
        self.ready = threading.Event()


class LastIdleThreadPool(Executor):
    """At most ``max_workers`` threads; a job goes to the thread that went idle last.

    Threads start as jobs overlap and stay for the pool's life; a job that finds every
    thread busy waits in order for the first one free. They are daemon threads: gunicorn
    waits ``graceful_timeout`` for the requests in flight at a stop, and a request still
    running after that ends with its process, as the master would kill it anyway.
    """

    def __init__(self, max_workers: int, name: str = "plughost-request") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._name = name
        self._lock = threading.Lock()
        self._idle: list[_Slot] = []  # a stack: the last one in goes first
        self._waiting: deque[_Job] = deque()
        self._threads: list[threading.Thread] = []
        self._shutdown = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` on a pool thread; return its future."""
        future: Future[Any] = Future()
        job: _Job = (future, fn, args, kwargs)
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._idle:
                slot = self._idle.pop()
                slot.job = job
                slot.ready.set()
            elif len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._work,
                    args=(_Slot(job),),
                    name=f"{self._name}-{len(self._threads)}",
                    daemon=True,
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._waiting.append(job)
        return future

    def _work(self, slot: _Slot) -> None:
        job = slot.job
        while job is not None:
            future, fn, args, kwargs = job
            job = None
            ran = future.set_running_or_notify_cancel()
            result: Any = None
            error: BaseException | None = None
            if ran:
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # noqa: BLE001 - the future's to raise
                    error = exc
            went_idle = False
            with self._lock:  # idle first: settling the future may submit the next job
                if self._waiting:
                    job = self._waiting.popleft()
                elif not self._shutdown:
                    slot.job = None
                    slot.ready.clear()
                    self._idle.append(slot)
                    went_idle = True
            if ran:
                if error is None:
                    future.set_result(result)
                else:
                    future.set_exception(error)
            del future, fn, args, kwargs, result, error
            if went_idle:  # until a job comes, or the shutdown (a job of None)
                slot.ready.wait()
                job = slot.job

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Let the threads end once no job waits; ``cancel_futures``: drop waiting jobs."""
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._waiting:
                    self._waiting.popleft()[0].cancel()
            for slot in self._idle:
                slot.job = None
                slot.ready.set()
            self._idle.clear()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()


class LastIdleThreadWorker(ThreadWorker):  # type: ignore[misc]
    """Gunicorn's ``gthread`` worker on a ``LastIdleThreadPool``."""

    def get_thread_pool(self) -> Executor:
        """Return the pool the worker runs requests on (``threads`` of them at most)."""
        return LastIdleThreadPool(int(self.cfg.threads))
