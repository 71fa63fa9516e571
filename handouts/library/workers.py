"""Running the build's jobs in a pool of warm worker processes, each job within a budget.

Each worker imports WeasyPrint once and keeps one font configuration and one
parsed copy of each stylesheet for every job it is given. Jobs start as soon
as they are submitted and the workers warm up meanwhile. Results are kept by
job index, so what is written is the same whatever order the workers finish
in, and the same as a serial build's.

One document must never stop the others, however it was written: each job
runs within a `Budget` of wall-clock time and memory. A worker whose job runs
past its time is killed; one whose job needs more memory than its address
space allows fails that job (Python's MemoryError, or the process ends) and is
replaced. Either way the job's own `over_budget(reason)` gives its result (for
a document: one line naming it), a new worker takes the jobs left, and the
others go on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from ..problems import HandoutsError, UsageError
from .worker_process import raised, serve

ENV_SECONDS = "HANDOUTS_RENDER_SECONDS"
ENV_MEMORY = "HANDOUTS_RENDER_MEMORY_MB"
WARM_UP_SECONDS = 120  # a new worker's imports and fonts take about a second


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Budget:
    """What one job may take in a worker. The longest shipped document renders in
    about 2 s with some 350 MB of address space; a source at its size limit (100 KB)
    in some 6 s a format."""

    seconds: float = 60.0  # wall-clock, from when the worker starts the job
    memory_mb: int = 1536  # the worker's whole address space (RLIMIT_AS)

    @classmethod
    def from_environment(cls, environ=os.environ) -> Budget:
        """The default, or as HANDOUTS_RENDER_SECONDS and HANDOUTS_RENDER_MEMORY_MB say
        (a slow machine, a library of long documents)."""
        default = cls()
        return cls(setting(environ, ENV_SECONDS, default.seconds, float),
                   setting(environ, ENV_MEMORY, default.memory_mb, int))


def setting(environ, name: str, default, kind):
    """The positive number the environment variable `name` sets, or `default`."""
    text = environ.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise UsageError(f"{name} must be a positive number, not '{text}'")
    return value


class OverBudget(HandoutsError):
    """A job ran out of its budget and has no `over_budget(reason)` to say what that means."""


class Workers:
    """Runs `function(job)` for each job submitted, in worker processes when there are enough.

        with Workers(processes, expected, progress, budget) as workers:
            workers.submit(index, function, job)
        workers.results               # {index: function(job)}, once the block ends

    `progress(result, done, total)` is called as each job finishes. A job that
    runs out of its budget gets `job.over_budget(reason)` as its result.

    Starting a worker costs about what rendering three files does, so with few
    jobs a process that is already warm (a long `watch`, the web app) or was
    told `--jobs 1` runs them itself, one after another, without a budget. A
    cold process gains nothing by rendering itself: even one job goes to a
    worker, and to its budget."""

    def __init__(self, processes: int | None, expected: int,
                 progress: Callable[[Any, int, int], None] | None = None,
                 budget: Budget | None = None):
        self.requested = processes
        self.processes = min(processes or default_jobs(), max(expected, 1))
        self.expected = expected
        self.progress = progress
        self.budget = budget or Budget.from_environment()
        self.results: dict[int, Any] = {}
        self._pool: _Pool | None = None
        self._pending: list[tuple[int, Callable, Any]] = []

    @property
    def isolated(self) -> bool:
        """Whether the jobs run in worker processes, each within the budget."""
        if self.expected == 0:
            return False
        if self.processes > 1 and self.expected >= self.processes:
            return True
        return self.requested != 1 and "weasyprint" not in sys.modules

    def __enter__(self) -> Workers:
        if self.isolated:
            self._pool = _Pool(self.processes, self.budget)
        return self

    def submit(self, index: int, function: Callable, job: Any) -> None:
        if self._pool is None:
            self._pending.append((index, function, job))
        else:
            self._pool.submit(index, function, job)

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._run()
        finally:
            if self._pool is not None:
                self._pool.close()

    def _run(self) -> None:
        total = len(self._pending) + (self._pool.submitted if self._pool else 0)
        for index, function, job in self._pending:
            self._done(index, function(job), total)
        for index, outcome in self._pool.outcomes() if self._pool else ():
            self._done(index, outcome.result(), total)

    def _done(self, index: int, result: Any, total: int) -> None:
        self.results[index] = result
        if self.progress:
            self.progress(result, len(self.results), total)


@dataclass(frozen=True)
class _Outcome:
    """What became of one job in a worker: its result, its exception, or its overrun."""

    job: Any
    value: Any = None
    exception: BaseException | None = None
    over: str | None = None  # why it ran out of its budget

    def result(self) -> Any:
        if self.exception is not None:
            raise self.exception
        if self.over is not None:
            if not hasattr(self.job, "over_budget"):
                raise OverBudget(self.over)
            return self.job.over_budget(self.over)
        return self.value


class _Worker:
    """One worker process, the pipe to it, and the job it holds."""

    def __init__(self, context, budget: Budget):
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(theirs, os.getpid(), budget.memory_mb),
                                       daemon=True)
        self.process.start()
        theirs.close()
        self.job: tuple[int, Any] | None = None  # (index, job)
        self.since = 0.0  # when it was given the job, then when it started it
        self.started = False

    def give(self, index: int, function: Callable, job: Any) -> None:
        self.job, self.since, self.started = (index, job), time.monotonic(), False
        self.connection.send((index, function, job))

    def deadline(self, seconds: float) -> float:
        """When its job must be done: a job's time starts when the worker starts it,
        not while a new worker warms up (which is the pipeline's, not the document's)."""
        return self.since + (seconds if self.started else max(seconds, WARM_UP_SECONDS))

    def overdue(self, seconds: float) -> bool:
        return self.job is not None and time.monotonic() > self.deadline(seconds)

    def stop(self) -> None:
        """Kill the worker and wait for it: it holds no job worth keeping."""
        self.process.kill()
        self.process.join()
        self.connection.close()


class _Pool:
    """Worker processes started at once, given jobs as they come, each job timed."""

    def __init__(self, size: int, budget: Budget):
        # Forking is quickest, but a process that has already run Pango (a long
        # `watch`, the web app) must not be forked mid-flight: then workers
        # start from a fork server's clean process instead.
        method = "forkserver" if "weasyprint" in sys.modules else "fork"
        self.context = multiprocessing.get_context(method)
        self.size, self.budget = size, budget
        self.queue: deque[tuple[int, Callable, Any]] = deque()
        self.workers = [_Worker(self.context, budget) for _ in range(size)]
        self.submitted = 0

    def submit(self, index: int, function: Callable, job: Any) -> None:
        self.queue.append((index, function, job))
        self.submitted += 1
        self._dispatch()

    def _dispatch(self) -> None:
        for worker in self.workers:
            if worker.job is None and self.queue:
                worker.give(*self.queue.popleft())
        while self.queue and len(self.workers) < self.size:  # replacing one that was stopped
            self.workers.append(_Worker(self.context, self.budget))
            self.workers[-1].give(*self.queue.popleft())

    def outcomes(self) -> Iterator[tuple[int, _Outcome]]:
        """(index, outcome) of every job submitted, as each ends."""
        while busy := [w for w in self.workers if w.job is not None]:
            deadline = min(w.deadline(self.budget.seconds) for w in busy)
            ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                             timeout=max(0.0, deadline - time.monotonic())))
            for worker in busy:
                if worker.connection in ready or worker.process.sentinel in ready:
                    yield from self._hear(worker)
                elif worker.overdue(self.budget.seconds) and not worker.started:
                    raise RuntimeError(f"a render worker did not start in {WARM_UP_SECONDS} s")
                elif worker.overdue(self.budget.seconds):
                    yield self._retire(worker, f"took longer than {self.budget.seconds:g} s "
                                               f"(the budget; {ENV_SECONDS} sets it)")
            self._dispatch()

    def _hear(self, worker: _Worker) -> Iterator[tuple[int, _Outcome]]:
        """Read what `worker` has said; a worker that ended mid-job is replaced."""
        assert worker.job is not None  # only busy workers are heard
        index, job = worker.job
        try:
            while worker.job is not None and worker.connection.poll():
                kind, value = worker.connection.recv()
                if kind == "started":
                    worker.since, worker.started = time.monotonic(), True
                    continue
                worker.job = None
                if kind == "memory":  # it may hold on to some: a new one takes the next
                    yield self._retire(worker, self._memory_reason(), (index, job))
                    return
                yield index, (_Outcome(job, exception=raised(*value)) if kind == "error"
                              else _Outcome(job, value))
        except (EOFError, OSError):
            pass  # it ended mid-message: below
        if worker.job is not None and not worker.process.is_alive():
            yield self._ended(worker)

    def _ended(self, worker: _Worker) -> tuple[int, _Outcome]:
        """A worker that ended while it held a job: killed by the kernel, or a crash in
        C, as running out of address space makes either likely."""
        code = worker.process.exitcode
        if not worker.started:  # it died warming up: not the job's doing
            self._drop(worker)
            raise RuntimeError(f"a render worker could not start (exit code {code})")
        name = signal.Signals(-code).name if code and code < 0 else f"exit code {code}"
        return self._retire(worker, f"ended the renderer ({name}), most likely past its "
                                    f"{self.budget.memory_mb} MB of memory ({ENV_MEMORY})")

    def _memory_reason(self) -> str:
        return f"needed more than its {self.budget.memory_mb} MB of memory ({ENV_MEMORY})"

    def _retire(self, worker: _Worker, reason: str, held=None) -> tuple[int, _Outcome]:
        """Stop `worker` (a new one takes the jobs left) and say why its job ended."""
        held = held or worker.job
        assert held is not None  # a worker is retired from its job
        index, job = held
        self._drop(worker)
        return index, _Outcome(job, over=reason)

    def _drop(self, worker: _Worker) -> None:
        worker.job = None
        worker.stop()
        self.workers.remove(worker)

    def close(self) -> None:
        for worker in self.workers:
            if worker.job is None and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.connection.send(None)  # leave when done
        for worker in self.workers:
            worker.process.join(timeout=1 if worker.job is None else 0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.connection.close()
        self.workers = []


