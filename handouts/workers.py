"""Rendering PDFs in a pool of warm worker processes.

Each worker imports WeasyPrint once, keeps one font configuration and one
parsed copy of each stylesheet, and renders the jobs it is given. The
results come back in job order, so the files written are the same whatever
order the workers finish in, and the same as a serial build's.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .layout import RenderedHtml


@dataclass(frozen=True)
class RenderJob:
    index: int
    label: str  # what progress shows: handout/klonopin-overview.pdf
    html: RenderedHtml
    folders: tuple[Path, ...]  # what the fetcher may read
    files: tuple[Path, ...]


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render_jobs(jobs: list[RenderJob], processes: int | None,
                progress: Callable[[str, int, int], None] | None = None) -> tuple[dict, int]:
    """{job index: PdfResult}, and the peak memory of the largest worker in KB."""
    processes = min(processes or default_jobs(), len(jobs))
    # Starting a worker costs about what rendering three files does: a few files
    # render sooner here than in a pool.
    if processes <= 1 or len(jobs) < 2 * processes:
        results = {}
        for job in jobs:
            results[job.index] = render(job)
            if progress:
                progress(job.label, len(results), len(jobs))
        return results, _peak_kb()
    results, peak = {}, 0
    # Forking is quickest, but a process that has already run Pango (a long
    # `watch`, the web app) must not be forked mid-flight: then workers start
    # from a fork server's clean process instead.
    method = "forkserver" if "weasyprint" in sys.modules else "fork"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_warm) as pool:
        futures = {pool.submit(_render_in_worker, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            results[job.index], worker_peak = future.result()
            peak = max(peak, worker_peak)
            if progress:
                progress(job.label, len(results), len(jobs))
    return results, peak


def render(job: RenderJob):
    from .fetcher import LockedFetcher  # WeasyPrint: only in the process that renders
    from .pdf import render_pdf

    return render_pdf(job.html, LockedFetcher(job.folders, job.files))


def _render_in_worker(job: RenderJob):
    return render(job), _peak_kb()


def _warm() -> None:
    """Pay WeasyPrint's import and font set-up once per worker, before the first job."""
    _die_with_parent()
    from . import pdf

    pdf.warm()


def _die_with_parent() -> None:
    """On Linux, ask to be killed when the build is: a killed build leaves no workers behind."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere, workers end when they find the build's pipe closed


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
