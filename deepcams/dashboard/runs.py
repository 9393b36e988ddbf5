"""The server's runs: a few worker threads shared by every session, taken in order of arrival.

Each waiting run knows its place in line, so its page can say so. The workers run at a lower CPU priority
than the server's event loop, so page loads and taps stay interactive while they compute, and after each
run the memory it worked in goes back to the system (a closed page's run leaves nothing behind).
"""

from __future__ import annotations

import ctypes
import gc
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
WORKER_NICENESS = 10  # added to the workers' nice value: the event loop comes first when both want a core


class RunQueue:
    """`workers` runs at a time; the others wait in line (`place`) and may leave it (`Future.cancel`)."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="deepcams-run", initializer=_lower_priority
        )
        self._waiting: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, work: Callable[[], T]) -> Future:
        """Queue `work`; its future says when it is done and `place` where it waits."""
        holder: list[Future] = []

        def start() -> T:
            with self._lock:
                self._waiting.remove(holder[0])
            try:
                return work()
            finally:
                release_memory()

        with self._lock:  # `start` cannot look for its future before it is in line
            future = self._executor.submit(start)
            holder.append(future)
            self._waiting.append(future)
        future.add_done_callback(self._forget)
        return future

    def place(self, future: Future) -> int:
        """1 for the next run to start, 2 for the one after it, ...; 0 once started or finished."""
        with self._lock:
            return next((k + 1 for k, f in enumerate(self._waiting) if f is future), 0)

    def _forget(self, future: Future) -> None:
        """A run cancelled while it waited never starts: it leaves the line."""
        with self._lock:
            self._waiting = [f for f in self._waiting if f is not future]


def _lower_priority() -> None:
    try:  # on Linux the nice value is per thread
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)
    except (OSError, AttributeError):  # not permitted or not supported here: run at normal priority
        pass


try:
    _LIBC = ctypes.CDLL(None)  # the C library the process already uses
except OSError:
    _LIBC = None


def freeze_startup_objects() -> None:
    """Take every object alive now (the imported libraries, once per process) out of the collector's
    sight (`gc.freeze`): each run's full collection then walks only what was made since. A served page's
    run spent 0.3-0.5 s in `release_memory` without it, 0.04-0.14 s with it (docs/benchmarks.md)."""
    global _FROZEN
    if not _FROZEN:
        gc.collect()  # garbage frozen now would never be collected
        gc.freeze()
        _FROZEN = True


_FROZEN = False


def release_memory() -> None:
    """Collect what a run left and hand glibc's free heap back to the system (its arenas keep freed
    memory of large runs otherwise, and the server's RSS never comes down)."""
    gc.collect()
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
