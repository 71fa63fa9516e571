"""`worker`: a render worker for builds and packets sent through a job queue."""

from __future__ import annotations

import logging
from typing import TextIO

from ..project import Project
from .options import project_options, queue_option


def add_worker(commands) -> None:
    worker_cmd = commands.add_parser(
        "worker", help="render documents and packets for builds and apps that use --queue")
    queue_option(worker_cmd, "the job queue to take jobs from (a Redis URL, redis://HOST:PORT/N)")
    project_options(worker_cmd)
    worker_cmd.add_argument("--burst", action="store_true",
                            help="stop once the queue is empty, not wait for more")
    worker_cmd.set_defaults(command=run_worker_command)


def run_worker_command(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..library.queue.worker import run_worker
    from ..problems import UsageError

    if not args.queue:
        raise UsageError("a worker needs the queue to take jobs from: --queue redis://HOST:PORT/N")
    # One line a job, on standard error, with nothing personal in it (queue/worker.py).
    logging.basicConfig(level=logging.WARNING, stream=stderr,
                        format="%(asctime)s %(name)s: %(message)s")
    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    return run_worker(args.queue, project, burst=args.burst,
                      say=lambda line: print(line, file=stdout, flush=True))
