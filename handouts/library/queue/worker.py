"""`make_docs.py worker --queue URL`: a render worker, on any machine that holds a copy
of the project.

It is RQ's SimpleWorker, which runs each job in its own process: WeasyPrint, the
fonts and the parsed stylesheets stay loaded from one job to the next, as in the
build's own pool. Because nothing forks to watch it, a thread beats for it while it
renders (BEATS times in the time a job's worker may be silent, 10 s unless
HANDOUTS_WORKER_LOST_SECONDS says otherwise), so a worker that dies mid-job is known
within that time and its job is given to another (dispatch.py). Once a job's
outcome is stored, the worker tells the build that sent it (messages.announce).

A worker logs one line a job: what it was (a document's file name; a packet is
"a packet", never whose), how long it took, and how it ended. A job that fails is
logged by its kind and place, never its message, which may quote what staff typed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ...project import Project
from .connection import QUEUE_NAME, connect, shown
from .messages import Here, announce, worker_name

ENV_LOST_SECONDS = "HANDOUTS_WORKER_LOST_SECONDS"
LOST_SECONDS = 10  # a job whose worker is silent this long is taken as abandoned
BEATS = 5  # in that time: a beat or two that does not reach the queue loses nothing

log = logging.getLogger("handouts.worker")


def run_worker(url: str, project: Project, burst: bool = False,
               say: Callable[[str], None] = print) -> int:
    """Render jobs from the queue at `url` until stopped (Ctrl-C, SIGTERM: the job in
    hand is finished first); with `burst`, until the queue is empty."""
    from rq import Queue

    from ...render import pdf
    from ..worker_process import limit_memory
    from ..workers import Budget, setting

    lost_seconds = setting(os.environ, ENV_LOST_SECONDS, LOST_SECONDS, int)
    connection = connect(url)
    Here.project = _absolute(project)
    limit_memory(Budget.from_environment().memory_mb)
    pdf.warm()
    worker = _worker_class(lost_seconds)(
        [Queue(QUEUE_NAME, connection=connection)], connection=connection,
        name=f"{worker_name()}.{os.getpid()}", log_job_description=False,
        disable_default_exception_handler=True, exception_handlers=[_failed])
    say(f"Render worker {worker.name}: taking jobs from {shown(url)} for "
        f"{Here.project.sources} (Ctrl-C stops it once its job is done)")
    worker.work(burst=burst, logging_level="WARNING", with_scheduler=False)
    return 0


def _absolute(project: Project) -> Project:
    """The project with every path absolute: a job's files are found from it, whatever
    folder the worker was started in."""
    return replace(project, sources=Path(os.path.abspath(project.sources)),
                   out=Path(os.path.abspath(project.out)),
                   brand=Path(os.path.abspath(project.brand)))


def _worker_class(lost_seconds: int):
    from rq import SimpleWorker

    class RenderWorker(SimpleWorker):
        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            return lost_seconds

        def execute_job(self, job, queue):
            from rq.worker import WorkerStatus

            execution = self.prepare_execution(job)
            started = time.monotonic()
            with _beating(self, job, execution, every=lost_seconds / BEATS):
                self.perform_job(job, queue, execution)
            self.set_state(WorkerStatus.IDLE)
            status = job.get_status(refresh=False)
            log.warning("%s: %s in %.2f s", job.description, getattr(status, "value", status),
                        time.monotonic() - started)

        # Once RQ has stored how a job ended (its result, its failure, or its return to
        # the queue for a second try), the build that waits for it is told.
        def handle_job_success(self, job, *args, **kwargs):
            super().handle_job_success(job, *args, **kwargs)
            announce(self.connection, job)

        def handle_job_failure(self, job, *args, **kwargs):
            super().handle_job_failure(job, *args, **kwargs)
            announce(self.connection, job)

    return RenderWorker


class _beating:
    """A thread that keeps a job's heartbeat while this process renders it."""

    def __init__(self, worker, job, execution, every: float):
        self.worker, self.job, self.execution = worker, job, execution
        self.every = every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self.thread.start()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.every):
            try:
                self.worker.maintain_heartbeats(self.job, self.execution)
            except Exception:  # noqa: BLE001 - a missed beat; the next may reach Redis
                log.warning("a heartbeat did not reach the queue")


def _failed(job, kind, value, trace) -> bool:
    """Log a failed job by its kind and where it failed; never its message."""
    frames = "".join(f"\n  {frame.filename}:{frame.lineno} in {frame.name}"
                     for frame in traceback.extract_tb(trace)[-4:])
    log.warning("%s: failed, %s (message withheld)%s", job.description,
                getattr(kind, "__name__", kind), frames)
    return False
