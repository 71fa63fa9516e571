"""Packets for the staff app, made by warm worker processes.

One worker per CPU, each making one packet at a time, so the web server's
threads stay free to answer everyone else. A packet's handouts are laid out once,
by whichever worker first needs them, and kept on disk for every worker (see
deliver/packet_parts.py); at start the workers share out the library's handouts
and lay out each one, so that the first families wait for their covers alone. A
packet goes to the worker that will finish it soonest. A worker that dies is
replaced.

The warm-up is a job a handout, each sent when the last is done: closing the app
during it waits for one handout, not for a worker's whole share.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from ..content.sources import SourceFile, slug_of
from ..problems import ContentError, UsageError
from ..project import Project


class PacketPool:
    """A worker process per CPU, each with its own one-process pool (so that a
    packet can be sent to a chosen worker).

    A packet costs its cover and its putting together (about 0.2 s), and about four
    times that again for each of its handouts that no worker has laid out yet: each
    goes to the worker that will finish it soonest, counting that, so a busy
    worker's queue is never made longer."""

    COST_PACKET, COST_HANDOUT = 1, 4  # a packet made of handouts laid out; one more to lay out

    def __init__(self, workers: int | None, warm_with: Project | None = None):
        from ..library.workers import default_jobs

        self.warm_with = warm_with  # the library whose handouts the workers lay out at start
        count = workers or default_jobs()
        self.queued = [0] * count  # the cost of what each worker has still to do
        self.made: set[tuple] = set()  # (slug, language, large print) laid out by a worker
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.warming: list[threading.Thread] = []  # one a worker, sending it its share
        self.laid_out_by: list[list[tuple[str, str]]] = [[] for _ in range(count)]
        self.pools = [self._new_pool(index, count) for index in range(count)]

    def packet(self, project: Project, packet_request):
        index, cost = self.choose(packet_request.slugs, packet_request.lang,
                                  packet_request.large_print)
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
                    self.pools[index] = self._new_pool(index, len(self.pools))
            return self.pools[index].submit(render_packet, project, packet_request).result()

    def _new_pool(self, index: int, count: int) -> ProcessPoolExecutor:
        import multiprocessing

        from ..library.worker_process import warm_worker

        # A fork server's clean process: the app's own has run Pango in threads.
        pool = ProcessPoolExecutor(1, initializer=warm_worker, initargs=(os.getpid(),),
                                   mp_context=multiprocessing.get_context("forkserver"))
        # Start and warm the worker now, not for the first packet.
        if self.warm_with is not None:
            warming = threading.Thread(target=self._warm,
                                       args=(self.warm_with, pool, index, count),
                                       name=f"warming packet worker {index}", daemon=True)
            warming.start()
            self.warming.append(warming)
        else:
            pool.submit(os.getpid)
        return pool

    def _warm(self, project: Project, pool: ProcessPoolExecutor, index: int,
              count: int) -> None:
        """Send the worker its share of `project`'s handouts, one at a time: a packet
        asked for meanwhile waits for one handout at most, and so does closing."""
        try:
            share = pool.submit(warm_up, project, index, count).result()
            for source in share:
                if self.closing.is_set():
                    return
                if pool.submit(lay_out_for_packets, project, source).result():
                    with self.lock:
                        self.made.add((source.slug, source.lang, False))
                        self.laid_out_by[index].append((source.slug, source.lang))
        except (BrokenProcessPool, CancelledError, RuntimeError):
            # The worker died (its replacement warms itself) or the pool is closing
            # (RuntimeError: no new jobs after shutdown).
            return

    def wait_until_warm(self, timeout: float | None = None) -> None:
        """Until every worker has laid out its share of the library's handouts."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for warming in list(self.warming):
            warming.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def choose(self, slugs: tuple[str, ...], lang: str, large_print: bool) -> tuple[int, int]:
        """The worker to render a packet of `slugs`, and what it is counted to cost."""
        with self.lock:
            handouts = {(slug, lang, large_print) for slug in slugs}
            cost = self.COST_PACKET + self.COST_HANDOUT * len(handouts - self.made)
            index = min(range(len(self.pools)), key=lambda i: self.queued[i])
            self.queued[index] += cost
            self.made |= handouts  # laid out by then, for every worker
        return index, cost

    def close(self) -> None:
        """Stop the workers once their jobs in hand are done: a packet being made, or
        the one handout of the warm-up being laid out."""
        self.closing.set()  # no worker is sent more while another's job is waited for
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)
        for warming in self.warming:
            warming.join()


@dataclass(frozen=True)
class Unmade:
    """Why a packet could not be made: the documents at fault, if it was one of them.
    The app says it in its own words; the pipeline's wording is for the command line."""

    slugs: tuple[str, ...] = ()
    changed: bool = False  # edited since the copy staff were shown was built


def warm_up(project: Project, share: int, workers: int) -> list[SourceFile]:
    """In a new worker: one packet for no one, thrown away, so that the fonts,
    stylesheets and templates a packet needs are loaded before a family's. Returns this
    worker's share of the library's sources to lay out (every `workers`th, from the
    `share`th). The first worker also removes the parts on disk that no source of the
    library makes now (made from older sources, styles or code)."""
    from ..content.brand import read_brand
    from ..content.formats import FORMATS
    from ..content.sources import DEFAULT_LANG, discover
    from ..deliver.packet import PacketRequest, Personalisation, resolved_documents
    from ..deliver.packet_parts import forget_others, part_key

    sources = sorted(discover(project.sources).sources, key=lambda s: (s.slug, s.lang))
    english = [s for s in sources if s.lang == DEFAULT_LANG]
    if not english:
        return []
    try:
        render_packet(project, PacketRequest((english[0].slug,), Personalisation("warm-up")))
        brand = read_brand(project.brand)
    except ContentError:
        return []
    if share == 0:
        keys: set[str] = set()  # of every part the library's sources make, in either format
        for source in sources:
            try:
                [document] = resolved_documents(project, [source], brand)
            except ContentError:
                continue
            keys.update(part_key(project, document, FORMATS[name])
                        for name in ("handout", "large-print"))
        forget_others(project, keys)
    return sources[share::workers]


def lay_out_for_packets(project: Project, source: SourceFile) -> bool:
    """In a worker: `source`'s handout laid out as packets print it, kept on disk for
    every worker. False if it cannot be: the family's packet will say what is wrong."""
    from ..content.brand import read_brand
    from ..content.formats import FORMATS
    from ..deliver.packet import resolved_documents
    from ..deliver.packet_parts import part_of

    try:
        brand = read_brand(project.brand)
        [document] = resolved_documents(project, [source], brand)
        part_of(project, document, FORMATS["handout"], brand)
    except ContentError:
        return False
    return True


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
