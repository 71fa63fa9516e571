"""The build's side of the queue: each stale document a job, the results read back
as they come, every job deleted from Redis once read.

A job that raises, or runs past its budget, is tried once more; so is one whose
worker dies mid-job (killed, out of memory, its machine gone). Workers beat while
rendering (worker.py); a job whose beats stop for as long as its worker said it
might be silent (10 s unless set) is abandoned, and the build, which looks for
those as it waits, hands it back to the queue for another worker. A job that
fails twice is one line at its source path, and that document keeps its last
good PDFs.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from .connection import QUEUE_NAME, connect
from .messages import ANNOUNCE, QueuedDocument, Refused
from .places import Places, received

RESULT_SECONDS = 3600  # kept for a build that stopped reading; each is deleted once read
ABANDONED_EVERY = 1  # seconds between looks for jobs whose worker stopped beating
SWEEP_SECONDS = 10  # between looks at every job waited for: one lost says nothing
RENDER = "handouts.library.queue.tasks.render_queued"  # run by the workers, not here


def render_on_queue(url: str, jobs: list, budget, progress: Callable | None = None) -> list:
    """The DocumentResult of each DocumentJob in `jobs`, rendered by the queue's workers."""
    from rq import Queue, Retry

    connection = connect(url)
    queue = Queue(QUEUE_NAME, connection=connection)
    places = Places(jobs[0].context.project)
    stamp = _fingerprint(jobs[0].context)
    queued = [_queued(job, stamp, places) for job in jobs]
    told = f"handouts:ended:{uuid.uuid4().hex}"  # where workers say a job has ended
    specs = [Queue.prepare_data(RENDER, args=(item,), timeout=max(1, round(budget.seconds)),
                                result_ttl=RESULT_SECONDS, failure_ttl=RESULT_SECONDS,
                                retry=Retry(max=1), description=_description(item),
                                meta={ANNOUNCE: told})
             for item in queued]
    enqueued = queue.enqueue_many(specs)
    pending = {job.id: index for index, job in enumerate(enqueued)}
    results: dict[int, object] = {}
    try:
        for index, outcome in _outcomes(queue, pending, told):
            job = jobs[index]
            results[index] = _result(job, outcome, places)
            if progress:
                progress(results[index], len(results), len(jobs))
    finally:
        _delete(queue, pending)  # a build stopped midway leaves nothing for the workers
    return [results[index] for index in range(len(jobs))]


def _fingerprint(context):
    from .fingerprint import fingerprint

    return fingerprint(context.project, context.brand)


def _queued(job, stamp, places: Places) -> QueuedDocument:
    source = job.source
    return QueuedDocument(places.portable(source.path) if source else None,
                          source.digest if source else None, job.only,
                          job.context.request, stamp)


def _description(item: QueuedDocument) -> str:
    return f"render {item.source.as_posix() if item.source else 'the clinic card'}"


def _outcomes(queue, pending: dict[str, int], told: str):
    """(index, Job or None) of each pending job as it finishes, fails for good, or is lost;
    each taken out of `pending` and deleted from Redis once its outcome is read.

    The jobs looked at are those the workers said have ended (on the list `told`), so
    a build's cost stays the same for each document however many wait. Every
    ABANDONED_EVERY it looks for jobs whose worker died (one that fails for good there
    is read at once), and every SWEEP_SECONDS at every job it waits for, since a job
    lost from Redis says nothing."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    connection = queue.connection
    started = StartedJobRegistry(queue.name, connection=connection)
    looked = swept = time.monotonic()
    try:
        while pending:
            # A job tried twice is told twice: it is read once, when it has ended.
            ended = [i for i in dict.fromkeys(_told(connection, told)) if i in pending]
            if time.monotonic() - looked > ABANDONED_EVERY:
                # A worker that died: its job is tried again, or has failed for good here.
                abandoned = started.get_expired_job_ids()
                started.cleanup()
                looked, swept = time.monotonic(), 0 if abandoned else swept
            if time.monotonic() - swept > SWEEP_SECONDS:
                ended, swept = list(pending), time.monotonic()
            for job_id in _ended(connection, ended):
                try:
                    job = Job.fetch(job_id, connection=connection)
                except NoSuchJobError:
                    job = None  # lost: said as such
                index = pending.pop(job_id)
                yield index, job
                if job is not None:
                    forget(job)
    finally:
        connection.delete(told)


def _told(connection, told: str) -> list[str]:
    """The ids the workers have put on `told` since last asked: waits up to
    ABANDONED_EVERY for the first."""
    first = connection.blpop([told], timeout=ABANDONED_EVERY)
    if first is None:
        return []
    rest = connection.lpop(told, 1000) or []
    return [first[1].decode(), *(item.decode() for item in rest)]


def _ended(connection, ids: list[str]) -> list[str]:
    """Those of `ids` whose jobs have ended for good (finished, failed, or gone); not one
    its worker has given back to the queue for a second try."""
    from rq.job import Job, JobStatus

    over = {JobStatus.FINISHED.value, JobStatus.FAILED.value, JobStatus.CANCELED.value}
    with connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    return [job_id for job_id, status in zip(ids, statuses, strict=True)
            if status is None or status.decode() in over]


def _result(job, outcome, places: Places):
    """The DocumentResult a build reports for `job`, from what became of it on the queue."""
    from rq.job import JobStatus

    if outcome is None:
        return job.not_built("its job was lost from the queue (was Redis restarted or emptied?)")
    if outcome.get_status(refresh=False) == JobStatus.FINISHED:
        value = outcome.return_value()
        if isinstance(value, Refused):
            return job.not_built(f"the render worker on {value.worker} refused it: "
                                f"{_listed(value.differs)} differ from this build's; give "
                                "that worker the same files")
        return received(value, places)
    return job.not_built(_why(outcome))


def _why(outcome) -> str:
    """Why a job failed for good, in words, from the last line its worker recorded."""
    result = outcome.latest_result()
    text = (result.exc_string if result is not None else "") or ""
    last = text.strip().splitlines()[-1] if text.strip() else ""
    if "AbandonedJobError" in text:
        return ("its render worker ended mid-job, twice (killed, out of memory, or its "
                "machine gone)")
    if "JobTimeoutException" in last:
        return (f"rendering it took longer than {outcome.timeout} s, twice "
                "(HANDOUTS_RENDER_SECONDS sets it)")
    if "MemoryError" in last:
        return ("rendering it needed more memory than its worker allows, twice "
                "(HANDOUTS_RENDER_MEMORY_MB sets it)")
    return f"rendering it failed in its worker, twice ({last[:160] or 'no reason given'})"


def _listed(parts) -> str:
    parts = list(parts)
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _delete(queue, pending: dict[str, int]) -> None:
    from rq.job import Job

    for job in Job.fetch_many(list(pending), connection=queue.connection):
        if job is not None:
            forget(job)


def forget(job) -> None:
    """Delete `job` from Redis: its arguments, its result, its place in every registry."""
    try:
        job.delete()
    except ValueError:
        # RQ (3.0) lists an abandoned job's run for a minute after the run itself has
        # expired, and then cannot delete the job: drop that list first.
        job.connection.delete(job.execution_registry.key)
        job.delete()
