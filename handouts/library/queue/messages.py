"""What travels on the queue between a build and its workers: a job naming a document
and carrying the build's fingerprint, never files; a worker's refusal; and the word
that a job has ended (`announce`). A worker finds the files from its own copy of the
project (`Here`)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from ...project import BuildRequest, Project
from .fingerprint import Fingerprint


@dataclass(frozen=True)
class QueuedDocument:
    """One document to render: by its portable name (None: the clinic's own card)."""

    source: Path | None
    source_digest: str | None
    only: frozenset[str] | None  # only these formats are stale
    request: BuildRequest  # its formats, strictness and print profile
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Refused:
    """A job a worker would not render: its copy of the project is not the build's."""

    worker: str
    differs: tuple[str, ...]  # in words: "the stylesheets", "its copy of naloxone.md"


class Here:
    """The project this worker renders from, set once as it starts (see worker.py): a
    job names its files, and each worker reads them from its own copy."""

    project: Project | None = None


def here() -> Project:
    if Here.project is None:
        raise RuntimeError("this process is not a render worker (make_docs.py worker)")
    return Here.project


def worker_name() -> str:
    return socket.gethostname()


ANNOUNCE = "announce"  # a job's meta: the list its worker tells when the job has ended
ANNOUNCED_SECONDS = 3600  # a list no build reads any longer goes


def announce(connection, job) -> None:
    """Tell whoever waits for `job` (the build that sent it) that it has ended: its id on
    the list its meta names, once its outcome is stored. Then the build reads the jobs
    that have ended, not every job it waits for."""
    key = (job.meta or {}).get(ANNOUNCE)
    if key:
        with connection.pipeline() as pipe:
            pipe.rpush(key, job.id)
            pipe.expire(key, ANNOUNCED_SECONDS)
            pipe.execute()
