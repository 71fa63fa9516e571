"""Rendering on a real job queue: RQ on a real redis-server, with real worker processes
started from the command line, killed as a machine would lose them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO, Workspace

from handouts.library.build import build
from handouts.project import BuildRequest, Project

BRAND = REPO / "_brand.yml"


@contextmanager
def workers(url: str, sources: Path, count: int = 1, env: dict | None = None):
    """`count` render workers, as `make_docs.py worker` starts them (with `env` added to
    their environment); killed after."""
    started = [start_worker(url, sources, env) for _ in range(count)]
    try:
        wait_for(lambda: len(listening(url)) >= count, "the workers to listen")
        yield started
    finally:
        for process in started:
            stop(process)


def start_worker(url: str, sources: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "make_docs.py"), "worker", "--queue", url,
         "--sources", str(sources), "--brand", str(BRAND)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, **(env or {})})


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def listening(url: str) -> list:
    """The workers registered with the queue, alive or not (a killed one stays a while)."""
    from rq import Queue, Worker

    from handouts.library.queue.connection import QUEUE_NAME, connect

    return Worker.all(queue=Queue(QUEUE_NAME, connection=connect(url)))


def busy_with(url: str, alive: list[subprocess.Popen], job_description: str):
    """(the process, the job) of a worker rendering that job now, or None."""
    from rq.job import Job

    pids = {process.pid: process for process in alive if process.poll() is None}
    for worker in listening(url):
        job_id = worker.get_current_job_id()
        if worker.pid in pids and job_id and worker.get_state() == "busy":
            job = Job.fetch(job_id, connection=worker.connection)
            if job.description == job_description:
                return pids[worker.pid], job
    return None


def killed_mid_job(url: str, alive: list[subprocess.Popen], job_description: str,
                   lost_seconds: int) -> subprocess.Popen:
    """Kills the worker rendering the job `job_description` as soon as it is seen to,
    as a machine lost: no word to the queue. Returns the process. Its job was due to
    be taken as abandoned within `lost_seconds`, as the worker was told."""
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    process, job = wait_for(lambda: busy_with(url, alive, job_description),
                            f"a worker rendering {job_description}")
    # The queue holds each run of a job (`job id:run id`) with when it is to be taken
    # as abandoned, in whole seconds: at most `lost_seconds` after its last beat.
    registry = StartedJobRegistry(job.origin, connection=job.connection)
    due = [score for member, score in job.connection.zrange(registry.key, 0, -1, withscores=True)
           if member.decode().startswith(f"{job.id}:")]
    assert due and max(due) <= time.time() + lost_seconds + 1, (due, time.time())
    process.kill()
    process.wait()
    status = job.get_status(refresh=True)
    assert status == JobStatus.STARTED, (f"{job_description} ended ({status}) before its "
                                         "worker was killed")
    return process


def wait_for(condition, what: str, seconds: float = 240):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return found


class BuildInThread:
    """A build running as a user's would, its report once it ends."""

    def __init__(self, project: Project, request: BuildRequest):
        self.report = None
        self.thread = threading.Thread(target=self._run, args=(project, request))
        self.thread.start()

    def _run(self, project, request):
        self.report = build(project, request)

    def wait(self, seconds: float = 300):
        self.thread.join(seconds)
        assert not self.thread.is_alive(), "the build did not end"
        return self.report


def same_files(first: Path, second: Path) -> list[Path]:
    """The PDFs in both folders, checked identical byte for byte, and the catalogs."""
    files = sorted(p.relative_to(first) for p in first.rglob("*.pdf"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.pdf"))
    for relative in files:
        assert (first / relative).read_bytes() == (second / relative).read_bytes(), relative
    assert (first / "catalog.json").read_text() == (second / "catalog.json").read_text()
    return files


# What a job leaves in Redis: its hash, its results, its runs, its place in a queue or a
# registry, the list its workers tell the build on. Redis drops a list or set once it
# is empty, so any of these that is there holds something.
JOB_KEYS = ("rq:job:", "rq:results:", "rq:executions:", "rq:queue:", "rq:wip:", "rq:finished:",
            "rq:failed:", "handouts:ended:")


def job_keys(redis_server) -> list[str]:
    return [key for key in redis_server.key_names() if key.startswith(JOB_KEYS)]


def test_a_build_on_the_queue_is_the_build_in_process_byte_for_byte(pair_built, tmp_path,
                                                                     redis_url, redis_server):
    sources = pair_built / "sources"
    queued = Project(sources=sources, out=tmp_path / "queued", brand=BRAND)
    with workers(redis_url, sources, count=2):
        report = build(queued, BuildRequest(queue=redis_url))
    first = json.loads((pair_built / "serial.json").read_text())
    assert report.exit_code == first["exit_code"] == 0, [p.format() for p in report.problems]
    assert len(report.written) == first["written"] >= 10
    files = same_files(pair_built / "serial", queued.out)
    assert any(p.suffixes == [".ar", ".pdf"] for p in files)  # every language came back
    # The manifest names the build's own files, as a build in process does.
    serial = (pair_built / "serial" / ".manifest.json").read_text()
    assert (queued.out / ".manifest.json").read_text() == serial.replace(
        str(pair_built / "serial"), str(queued.out))
    assert job_keys(redis_server) == []  # every job and its result deleted once read


# The pair's longest job (16 pages in two formats): each kill lands mid-render even on a
# loaded machine, where a shorter job (crisis-help-lines.md) was once seen to end between
# the look at its worker and the kill.
LONGEST_JOB = "render @sources/klonopin-overview.es.md"
# How long these workers may be silent before their job is given to another: less
# than the 10 s a site gets unless it says otherwise, so that the test waits less.
LOST_SECONDS = 4


def test_a_worker_killed_mid_job_leaves_it_to_another_and_twice_is_reported(
        pair_built, tmp_path, redis_url, redis_server):
    sources = pair_built / "sources"
    queued = Project(sources=sources, out=tmp_path / "queued", brand=BRAND)
    quick = {"HANDOUTS_WORKER_LOST_SECONDS": str(LOST_SECONDS)}
    with workers(redis_url, sources, count=2, env=quick) as started:
        running = BuildInThread(queued, BuildRequest(queue=redis_url))
        first = killed_mid_job(redis_url, started, LONGEST_JOB, LOST_SECONDS)
        # Its job is taken up again once its heartbeat stops: by another worker, which
        # is killed in turn as it renders it.
        second = killed_mid_job(redis_url, started, LONGEST_JOB, LOST_SECONDS)
        assert second is not first
        with workers(redis_url, sources) as rest:  # the rest of the library
            report = running.wait()
        for process in rest:
            assert "failed" not in process.communicate()[1]
    name = LONGEST_JOB.removeprefix("render @sources/")
    lines = [p.format() for p in report.problems if p.is_error]
    assert lines == [f"{sources / name}: error: not built: its render worker ended mid-job, "
                     "twice (killed, out of memory, or its machine gone)"]
    assert report.exit_code == 1 and report.failed == (name,)
    # Every other document is built, and as in process, byte for byte.
    listed = json.loads((queued.out / "catalog.json").read_text())["files"]
    slug = name.split(".")[0]
    lang = name.split(".")[1] if name.count(".") == 2 else "en"
    assert not [f for f in listed if (f["slug"], f["lang"]) == (slug, lang)]
    serial = pair_built / "serial"
    for entry in listed:
        assert (queued.out / entry["path"]).read_bytes() == (serial / entry["path"]).read_bytes()
    assert len(listed) == len(json.loads((serial / "catalog.json").read_text())["files"]) - len(
        [f for f in json.loads((serial / "catalog.json").read_text())["files"]
         if (f["slug"], f["lang"]) == (slug, lang)])
    assert job_keys(redis_server) == []


def test_a_worker_with_other_files_refuses_its_jobs(tmp_path, redis_url):
    (tmp_path / "build").mkdir()
    work = Workspace(tmp_path / "build")
    shutil.copytree(REPO / "sources" / "blocks", work.sources / "blocks")
    shutil.copytree(REPO / "sources" / "images", work.sources / "images", dirs_exist_ok=True)
    for name in ("naloxone.md", "resources.yaml"):
        shutil.copy(REPO / "sources" / name, work.sources)
    copy = tmp_path / "worker-copy"
    shutil.copytree(work.sources, copy)
    block = copy / "blocks" / "overdose.yml"
    block.write_text(block.read_text().replace("911", "912", 1))  # a stale copy, on its disk
    with workers(redis_url, copy):
        run = work.run("build", "--queue", redis_url)
    assert run.code == 1
    refused = (f"error: not built: the render worker on {os.uname().nodename} refused it: "
               "the resources, safety blocks or pictures beside the sources differ from this "
               "build's; give that worker the same files")
    # The document, and the clinic's own card, made from the brand file.
    assert run.error_lines == [f"{work.sources / 'naloxone.md'}: {refused}",
                               f"{work.brand}: {refused}"]
    assert not list(work.out.rglob("*.pdf"))


def test_a_queue_that_cannot_be_reached_is_one_line(workspace):
    workspace.write("naloxone.md", (REPO / "sources" / "naloxone.md").read_text())
    run = workspace.run("build", "--queue", "redis://:secret@127.0.0.1:1/0")
    assert run.code == 2
    assert run.err.startswith("error: cannot reach the queue at redis://:***@127.0.0.1:1/0: ")
    assert len(run.err.strip().splitlines()) == 1 and "secret" not in run.err
    run = workspace.run("build", "--queue", "http://example.org/")
    assert run.err == ("error: 'http://example.org/' is not a queue's address: give one as "
                       "redis://HOST:PORT/N (a Redis server and database)\n")


def test_a_worker_told_a_silence_that_is_no_number_of_seconds_says_so(workspace, monkeypatch):
    monkeypatch.setenv("HANDOUTS_WORKER_LOST_SECONDS", "soon")
    run = workspace.run("worker", "--queue", "redis://127.0.0.1:1/0")
    assert (run.code, run.err) == (
        2, "error: HANDOUTS_WORKER_LOST_SECONDS must be a positive number, not 'soon'\n")
