"""Packets made by the render workers of a job queue (`serve --queue`), for an app that
runs as several processes or beside other machines' workers.

A packet job carries the family's details for its life only: the app deletes the
job, its arguments and its result from Redis as soon as it has read how it ended,
whether it succeeded or failed, and a job no one reads expires within a minute
(`KEPT_SECONDS`). Its description is "a packet", never whose, and workers log
nothing else of it (library/queue/worker.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..library.queue.connection import QUEUE_NAME
from ..library.queue.fingerprint import Fingerprint
from ..library.queue.messages import Refused
from ..project import Project

if TYPE_CHECKING:
    from ..deliver.packet import PacketRequest

KEPT_SECONDS = 60  # a result or failure no one came for
WAITING_SECONDS = 120  # in the queue, before it is dropped unmade
MAKE = "handouts.web.queued_packets.make_packet"  # run by the workers

log = logging.getLogger("handouts.app")


@dataclass(frozen=True)
class QueuedPacket:
    request: PacketRequest
    fingerprint: Fingerprint
    sources: tuple[tuple[str, str], ...]  # each of its documents' files: (name, sha256)


class QueuedPackets:
    """Packets sent to the queue at `url`, each waited for by the request that asked."""

    def __init__(self, url: str):
        from rq import Queue

        from ..library.queue.connection import connect

        self.queue = Queue(QUEUE_NAME, connection=connect(url))
        self._looked = 0.0

    def packet(self, project: Project, packet_request):
        """The Packet or Unmade, made by a worker; RuntimeError if none would make it."""
        from rq import Retry

        from ..library.workers import Budget

        seconds = Budget.from_environment().seconds  # as for every render

        job = self.queue.enqueue(
            MAKE, QueuedPacket(packet_request, _fingerprint(project),
                               _sources(project, packet_request.slugs)),
            job_timeout=max(1, round(seconds)), result_ttl=KEPT_SECONDS,
            failure_ttl=KEPT_SECONDS, ttl=WAITING_SECONDS, retry=Retry(max=1),
            description="a packet")
        try:
            made = self._outcome(job, seconds * 2 + WAITING_SECONDS)
        finally:
            from ..library.queue.dispatch import forget

            forget(job)  # its arguments, its result, its failure: all go now
        if isinstance(made, Refused):
            log.error("a render worker on %s refused a packet: %s differ from this app's",
                      made.worker, ", ".join(made.differs))
            raise RuntimeError("a render worker refused the packet")
        return made

    def _outcome(self, job, seconds: float):
        from rq.exceptions import InvalidJobOperation
        from rq.job import JobStatus
        from rq.registry import StartedJobRegistry

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                status = job.get_status(refresh=True)
            except InvalidJobOperation:  # dropped unmade: no worker took it in time
                raise RuntimeError("no render worker took the packet in time") from None
            if status == JobStatus.FINISHED:
                return job.return_value()
            if status in (JobStatus.FAILED, JobStatus.CANCELED):
                raise RuntimeError("the packet's job failed in its render worker")
            if time.monotonic() - self._looked > 1.0:  # a worker that died: tried once more
                self._looked = time.monotonic()
                StartedJobRegistry(self.queue.name, connection=self.queue.connection).cleanup()
            time.sleep(0.02)
        raise RuntimeError("no render worker made the packet in time")

    def wait_until_warm(self, timeout: float | None = None) -> None:
        """The workers lay out what they need as they make packets."""

    def close(self) -> None:
        self.queue.connection.close()


def _fingerprint(project: Project) -> Fingerprint:
    from ..content.brand import read_brand
    from ..library.queue.fingerprint import fingerprint

    return fingerprint(project, read_brand(project.brand))


def _sources(project: Project, slugs) -> tuple[tuple[str, str], ...]:
    """The files of the packet's documents, in every language, by name and digest."""
    from ..content.filecache import file_digest

    names = sorted({p for slug in slugs for pattern in (f"{slug}.md", f"{slug}.*.md")
                    for p in project.sources.glob(pattern)})
    return tuple((p.name, file_digest(p)) for p in names)


def make_packet(job: QueuedPacket):
    """In a render worker: the packet from its own copy of the project; or Refused."""
    from ..library.queue.fingerprint import differences_here
    from ..library.queue.messages import here, worker_name
    from .packet_pool import render_packet

    project = here()
    differs = differences_here(project, job.fingerprint)
    if _sources(project, job.request.slugs) != job.sources:
        differs.append("its copies of the packet's documents")
    if differs:
        return Refused(worker_name(), tuple(differs))
    return render_packet(project, job.request)
