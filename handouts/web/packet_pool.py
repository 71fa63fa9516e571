"""Packets for the staff app, made by warm worker processes.

One worker per CPU, each making one packet at a time, so the web server's
threads stay free to answer everyone else. Each worker keeps the handouts it
has laid out (see packet.build_packet); a packet goes to the worker that will
finish it soonest, counting that. A worker that dies is replaced.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..content.sources import slug_of
from ..problems import ContentError, UsageError
from ..project import Project


class PacketPool:
    """A worker process per CPU, each with its own one-process pool (so that a
    packet can be sent to a chosen worker).

    A packet costs about fifteen times as much on a worker that has not laid out
    and written its handouts yet (about 2.5 s against 0.17 s: then only the cover is
    made, and put in front of them): each goes to the worker that will finish it
    soonest, counting that, so the same handouts for the next family go where they
    are already written, and a busy worker's queue is never made longer."""

    COST_NEW, COST_KEPT = 15, 1  # a packet's handouts laid out anew, or already kept

    def __init__(self, workers: int | None, warm_with: Project | None = None):
        from ..library.workers import default_jobs

        self.warm_with = warm_with  # the library each new worker makes a first packet of
        self.pools = [self._new_pool() for _ in range(workers or default_jobs())]
        self.queued = [0] * len(self.pools)  # the cost of what each worker has still to do
        self.kept: list[OrderedDict] = [OrderedDict() for _ in self.pools]
        self.lock = threading.Lock()

    def packet(self, project: Project, packet_request):
        index, cost = self.choose((packet_request.slugs, packet_request.lang,
                                   packet_request.large_print))
        try:
            return self._render(index, project, packet_request)
        finally:
            with self.lock:
                self.queued[index] -= cost

    def _render(self, index: int, project: Project, packet_request):
        pool = self.pools[index]
        try:
            return pool.submit(render_packet, project, packet_request).result()
        except BrokenProcessPool:
            # The worker died (killed, out of memory): start another and try once more.
            with self.lock:
                if self.pools[index] is pool:
                    self.pools[index] = self._new_pool()
                    self.kept[index].clear()
            return self.pools[index].submit(render_packet, project, packet_request).result()

    def _new_pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        from ..library.worker_process import warm_worker

        # A fork server's clean process: the app's own has run Pango in threads.
        pool = ProcessPoolExecutor(1, initializer=warm_worker, initargs=(os.getpid(),),
                                   mp_context=multiprocessing.get_context("forkserver"))
        # Start and warm the worker now, not for the first packet.
        if self.warm_with is not None:
            pool.submit(warm_packets, self.warm_with)
        else:
            pool.submit(os.getpid)
        return pool

    def choose(self, handouts: tuple) -> tuple[int, int]:
        """The worker to render a packet of `handouts`, and what it is counted to cost."""
        with self.lock:
            index = min(range(len(self.pools)),
                        key=lambda i: self.queued[i] + self._cost(i, handouts))
            cost = self._cost(index, handouts)
            self.queued[index] += cost
            self._keep(index, handouts)
        return index, cost

    def _cost(self, index: int, handouts: tuple) -> int:
        return self.COST_KEPT if handouts in self.kept[index] else self.COST_NEW

    def _keep(self, index: int, handouts: tuple) -> None:
        """Mirror what the worker keeps: its most recent sets of handouts."""
        from ..deliver.packet import DOCUMENTS_KEPT

        kept = self.kept[index]
        kept[handouts] = True
        kept.move_to_end(handouts)
        while len(kept) > DOCUMENTS_KEPT:
            kept.popitem(last=False)

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)


@dataclass(frozen=True)
class Unmade:
    """Why a packet could not be made: the documents at fault, if it was one of them.
    The app says it in its own words; the pipeline's wording is for the command line."""

    slugs: tuple[str, ...] = ()
    changed: bool = False  # edited since the copy staff were shown was built


def warm_packets(project: Project) -> None:
    """In a new worker: one packet of the library's first handout, for no one and
    thrown away, so that the fonts, stylesheets and templates a packet needs are
    loaded before a family's (the first packet costs about half a second more
    without). A library that cannot make it leaves the worker as it was: the first
    family's packet says what is wrong."""
    from ..content.sources import DEFAULT_LANG, discover
    from ..deliver.packet import PacketRequest, Personalisation

    english = [s for s in discover(project.sources).sources if s.lang == DEFAULT_LANG]
    if english:
        render_packet(project, PacketRequest((english[0].slug,), Personalisation("warm-up")))


def render_packet(project: Project, packet_request):
    """In a worker: the packet, or Unmade."""
    from ..deliver.packet import Changed, build_packet

    try:
        return build_packet(project, packet_request)
    except Changed as exc:
        return Unmade(exc.slugs, changed=True)
    except ContentError as exc:
        at_fault = {slug_of(p.path) for p in exc.problems if p.path}
        return Unmade(tuple(s for s in packet_request.slugs if s in at_fault))
    except UsageError:  # a source gone since the catalog was built
        return Unmade(tuple(s for s in packet_request.slugs
                            if not any(project.sources.glob(f"{s}.*md"))))
