"""Run plugin code with a time limit, so a plugin that hangs cannot stall the host.

Python cannot stop a thread, so the code runs on a worker thread that the caller waits
for; when the limit passes, the caller records a timeout and goes on, and the stuck
worker is abandoned (a daemon thread) and replaced for the next call. The cost of a
call that finishes is one hand-over between two threads. A runner is meant to be kept:
its worker thread lives as long as the runner (make one per process, not per build).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

from plughost.core.errors import PluginTimeoutError

T = TypeVar("T")

_Outcome = tuple[bool, object]


class BoundedRunner:
    """Runs callables one at a time on a worker thread, each within ``seconds``."""

    def __init__(self, seconds: float) -> None:
        if seconds <= 0:
            raise ValueError("the time limit must be positive")
        self.seconds = seconds
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], queue.SimpleQueue[_Outcome]]]
        self._jobs = queue.SimpleQueue()
        # One call at a time: a call must not wait behind another's (its limit would run
        # out there), nor be queued to a worker that another call's timeout abandoned.
        self._calling = threading.Lock()
        self._pid = os.getpid()
        self._start_worker()

    def _start_worker(self) -> None:
        jobs = self._jobs = queue.SimpleQueue()
        thread = threading.Thread(
            target=_work, args=(jobs,), name="plughost-plugin-code", daemon=True
        )
        thread.start()

    def call(self, function: Callable[[], T], *, what: str, key: str | None = None) -> T:
        """Return ``function()``; re-raise what it raised; raise PluginTimeoutError when late."""
        if self._pid != os.getpid():
            # A forked child (the task worker's processes) has this object but not its
            # thread, and maybe a lock a parent's thread held: start over in this process.
            self._pid = os.getpid()
            self._calling = threading.Lock()
            self._start_worker()
        answer: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        with self._calling:
            self._jobs.put((function, answer))
            try:
                ok, value = answer.get(timeout=self.seconds)
            except queue.Empty:
                self._start_worker()  # the old worker is stuck in plugin code; leave it behind
                timed_out = True
            else:
                timed_out = False
        if timed_out:
            raise PluginTimeoutError(
                f"{what} did not finish within {self.seconds:g} s; the plugin was skipped "
                "(it may hang at import or in ready())",
                seconds=self.seconds,
                key=key,
            ) from None
        if ok:
            return value  # type: ignore[return-value]
        assert isinstance(value, BaseException)
        raise _as_exception(value)


def _work(
    jobs: queue.SimpleQueue[tuple[Callable[[], object], queue.SimpleQueue[_Outcome]]],
) -> None:
    while True:
        function, answer = jobs.get()
        try:
            answer.put((True, function()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, who decides
            answer.put((False, exc))


def _as_exception(error: BaseException) -> BaseException:
    """Turn a plugin's ``sys.exit()`` into an ordinary error: it must not stop the host."""
    if isinstance(error, SystemExit):
        converted = RuntimeError(f"plugin code called sys.exit({error.code!r})")
        converted.__cause__ = error
        return converted
    return error


def run(
    runner: BoundedRunner | None, function: Callable[[], T], *, what: str, key: str | None = None
) -> T:
    """Call ``function`` through ``runner``, or directly (no limit) when there is none."""
    if runner is not None:
        return runner.call(function, what=what, key=key)
    try:
        return function()
    except SystemExit as exc:
        raise _as_exception(exc) from exc
