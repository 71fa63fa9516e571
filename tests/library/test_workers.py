"""The process pool: the same files as a serial build, byte for byte, and each job
within its budget of time and memory, so that one can never stop the others."""

import json
import os
import signal
import time
from dataclasses import dataclass

import pytest
from conftest import REPO

from handouts.library.build import build
from handouts.library.workers import ENV_MEMORY, ENV_SECONDS, Budget, Workers
from handouts.problems import UsageError
from handouts.project import BuildRequest, Project


def test_parallel_build_is_identical_to_serial(pair_built, tmp_path):
    # A handful of documents, every format among them, built serially once for the
    # session (test_handout compares that build with the shipped library), here in parallel.
    sources = pair_built / "sources"
    serial = Project(sources=sources, out=pair_built / "serial", brand=REPO / "_brand.yml")
    parallel = Project(sources=sources, out=tmp_path / "parallel", brand=REPO / "_brand.yml")
    first = json.loads((pair_built / "serial.json").read_text())
    second = build(parallel, BuildRequest(jobs=2))
    assert first["exit_code"] == second.exit_code == 0
    assert len(second.written) == first["written"] >= 10
    assert second.peak_memory_kb > 0
    files = sorted(p.relative_to(serial.out) for p in serial.out.rglob("*.pdf"))
    assert files == sorted(p.relative_to(parallel.out) for p in parallel.out.rglob("*.pdf"))
    for relative in files:
        assert (serial.out / relative).read_bytes() == (parallel.out / relative).read_bytes(), relative
    assert (serial.out / "catalog.json").read_text() == (parallel.out / "catalog.json").read_text()


# -- the budget: one job can never stop the others ----------------------------


@dataclass(frozen=True)
class Job:
    """A stand-in for a document: what it does in its worker, and what its result is
    when it runs out of its budget (a document's is one line naming it)."""

    name: str
    sleep: float = 0.0
    allocate_gb: int = 0
    die: bool = False

    def over_budget(self, reason: str) -> tuple[str, str]:
        return ("over budget", self.name, reason)


def work(job: Job) -> tuple[str, str, int]:
    time.sleep(job.sleep)
    if job.allocate_gb:
        held = bytearray(job.allocate_gb << 30)  # far past the budget's address space
        return ("done", job.name, len(held))
    if job.die:
        os.kill(os.getpid(), signal.SIGKILL)  # as a crash in C, or the kernel, would
    return ("done", job.name, os.getpid())


def run_all(jobs: list[Job], budget: Budget, processes: int = 2) -> dict:
    with Workers(processes, len(jobs), budget=budget) as workers:
        assert workers.isolated  # each job in a worker process, within the budget
        for index, job in enumerate(jobs):
            workers.submit(index, work, job)
    return workers.results


def test_a_job_past_its_time_is_stopped_and_the_rest_run_on_new_workers():
    # Both workers are given a job that would take a minute; each is killed at the
    # budget, and the pool starts new workers for the two jobs left.
    jobs = [Job("slow", sleep=60), Job("slower", sleep=60), Job("quick"), Job("quicker")]
    started = time.monotonic()
    results = run_all(jobs, Budget(seconds=1.5))
    assert time.monotonic() - started < 30
    reason = f"took longer than 1.5 s (the budget; {ENV_SECONDS} sets it)"
    assert results[0] == ("over budget", "slow", reason)
    assert results[1] == ("over budget", "slower", reason)
    assert [results[i][:2] for i in (2, 3)] == [("done", "quick"), ("done", "quicker")]


def test_a_job_past_its_memory_fails_alone_in_a_replaced_worker():
    results = run_all([Job("greedy", allocate_gb=8), Job("modest"), Job("modest too")],
                      Budget(memory_mb=1536))
    assert results[0] == ("over budget", "greedy",
                          f"needed more than its 1536 MB of memory ({ENV_MEMORY})")
    assert [results[i][:2] for i in (1, 2)] == [("done", "modest"), ("done", "modest too")]


def test_workers_that_die_are_reported_and_replaced():
    results = run_all([Job("crash", die=True), Job("crash too", die=True), Job("after"),
                       Job("after that")], Budget())
    for index, name in enumerate(("crash", "crash too")):
        assert results[index][:2] == ("over budget", name)
        assert results[index][2].startswith("ended the renderer (SIGKILL), most likely past "
                                            "its 1536 MB of memory")
    assert [results[i][:2] for i in (2, 3)] == [("done", "after"), ("done", "after that")]
    assert os.getpid() not in (results[2][2], results[3][2])  # run in workers, not here


def divide(number: int) -> float:
    return 1 / number


def test_a_job_that_fails_raises_here_as_before():
    with pytest.raises(ZeroDivisionError), Workers(2, 2, budget=Budget()) as workers:
        workers.submit(0, work, Job("fine"))
        workers.submit(1, divide, 0)


def test_the_budget_can_be_set_for_a_slow_machine():
    assert Budget.from_environment({}) == Budget(60.0, 1536)
    assert Budget.from_environment({ENV_SECONDS: "120", ENV_MEMORY: "3000"}) == Budget(120.0, 3000)
    for bad in ("soon", "0", "-5"):
        with pytest.raises(UsageError, match=f"{ENV_SECONDS} must be a positive number"):
            Budget.from_environment({ENV_SECONDS: bad})
