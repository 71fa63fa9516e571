"""Running the build's jobs in a pool of warm worker processes.

Each worker imports WeasyPrint once and keeps one font configuration and one
parsed copy of each stylesheet for every job it is given. Jobs start as soon
as they are submitted and the workers warm up meanwhile. Results are kept by
job index, so what is written is the same whatever order the workers finish
in, and the same as a serial build's.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import select
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class Workers:
    """Runs `function(job)` for each job submitted, in worker processes when there are enough.

        with Workers(processes, expected, progress) as workers:
            workers.submit(index, function, job)
        workers.results               # {index: function(job)}, once the block ends

    `progress(result, done, total)` is called as each job finishes.

    Starting a worker costs about what rendering three files does, so with few
    jobs they run here, one after another, in a process that stays warm."""

    def __init__(self, processes: int | None, expected: int,
                 progress: Callable[[Any, int, int], None] | None = None):
        self.processes = min(processes or default_jobs(), max(expected, 1))
        self.expected = expected
        self.progress = progress
        self.results: dict[int, Any] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[int, Callable, Any]] = []
        self._futures: dict = {}

    def __enter__(self) -> Workers:
        if self.processes > 1 and self.expected >= self.processes:
            # Forking is quickest, but a process that has already run Pango (a
            # long `watch`, the web app) must not be forked mid-flight: then
            # workers start from a fork server's clean process instead.
            method = "forkserver" if "weasyprint" in sys.modules else "fork"
            self._pool = ProcessPoolExecutor(self.processes, initializer=warm_worker,
                                             initargs=(os.getpid(),),
                                             mp_context=multiprocessing.get_context(method))
        return self

    def submit(self, index: int, function: Callable, job: Any) -> None:
        if self._pool is None:
            self._pending.append((index, function, job))
        else:
            self._futures[self._pool.submit(function, job)] = index

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            return
        total = len(self._pending) + len(self._futures)
        for index, function, job in self._pending:
            self._done(index, function(job), total)
        if self._pool is not None:
            with self._pool:
                for future in as_completed(self._futures):
                    self._done(self._futures[future], future.result(), total)

    def _done(self, index: int, result: Any, total: int) -> None:
        self.results[index] = result
        if self.progress:
            self.progress(result, len(self.results), total)


def peak_memory_kb() -> int:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def warm_worker(owner: int | None = None) -> None:
    """Pay WeasyPrint's import and font set-up once per worker, before the first job.

    `owner` is the process that started the pool (a build, the web app): the
    worker must not outlive it, however it ends."""
    if owner is not None:
        _leave_with(owner)
    from . import pdf

    pdf.warm()


def _leave_with(owner: int) -> None:
    if os.getppid() == owner:
        _die_with_parent()
        # A build killed between our fork and the line above sends no signal, and
        # a forked worker holds both ends of the pool's pipes, so it would wait
        # forever. If the build is no longer our parent, leave now.
        if os.getppid() != owner:
            os._exit(1)
    else:
        # Started by a fork server, which outlives the owner while we hold its
        # pipe open: watch the owner ourselves.
        threading.Thread(target=_exit_when_gone, args=(owner,), daemon=True).start()


def _die_with_parent() -> None:
    """On Linux, ask to be killed when our parent is: a killed build leaves no workers behind."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere, workers end when they find the build's pipe closed


def _exit_when_gone(owner: int) -> None:
    try:
        handle = os.pidfd_open(owner)
    except ProcessLookupError:
        os._exit(1)  # already gone
    except (AttributeError, OSError):
        return  # no pidfd here (not Linux 5.3+): the pool's pipes end us instead
    select.select([handle], [], [])  # readable once the owner has ended
    os._exit(1)
