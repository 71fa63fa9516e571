"""Inside one render worker: take jobs from the pool, run them within the memory
budget, send back results or the error, and leave when the process that started the
pool is gone."""

from __future__ import annotations

import os
import pickle
import resource
import select
import threading
import traceback
from collections.abc import Callable
from typing import Any


def serve(connection, owner: int, memory_mb: int) -> None:
    """A worker's life: within its memory, warm, then each job it is sent, until told to stop."""
    limit_memory(memory_mb)
    warm_worker(owner)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a job that cannot be unpickled here
            connection.send(("error", (RuntimeError(f"a job could not be read: {exc}"), "")))
            continue
        if message is None:
            return
        index, function, job = message
        connection.send(("started", index))
        connection.send(_run_one(function, job))


def _run_one(function: Callable, job: Any) -> tuple[str, Any]:
    try:
        return "done", function(job)
    except MemoryError:
        return "memory", None  # what it held is freed as the exception unwinds
    except Exception as exc:  # noqa: BLE001 - the build's own process raises it
        trace = traceback.format_exc()
        try:
            pickle.dumps(exc)
        except Exception:  # noqa: BLE001 - not every exception can travel
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return "error", (exc, trace)


class _RemoteTraceback(Exception):
    """Where a job failed in its worker, shown under the exception raised here."""

    def __str__(self) -> str:
        return self.args[0]


def raised(exc: BaseException, trace: str) -> BaseException:
    exc.__cause__ = _RemoteTraceback(f"\n{trace}") if trace else None
    return exc


def limit_memory(memory_mb: int) -> None:
    """At most `memory_mb` of address space: past it, allocation fails in this
    process alone (a MemoryError, or an abort in C), not in the machine. A worker
    forked from a large process (the web app) keeps room to work beyond what it
    was born with."""
    limit = max(memory_mb << 20, _address_space() + (256 << 20))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """This process's address space now, in bytes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0


def peak_memory_kb() -> int:
    """This process's peak resident memory."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def warm_worker(owner: int | None = None) -> None:
    """Pay WeasyPrint's import and font set-up once per worker, before the first job.

    `owner` is the process that started the pool (a build, the web app): the
    worker must not outlive it, however it ends. Ctrl-C, which the terminal sends
    to every process of the command, is the owner's to act on: a worker dying of it
    mid-job would be reported as a document that failed."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if owner is not None:
        _leave_with(owner)
    from ..render import pdf

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
