"""The build on a job queue (RQ on Redis) against the build's own pool, on one machine.

    .venv/bin/python bench/bench_queue.py [--count 1000] [--workers 1,2,4]

Generates a library of --count one-page handouts (bench_scaling's generator: the
shipped handouts' words, one source in five a Spanish translation), starts Debian's
redis-server on loopback, and times, each as a fresh command-line process into an
empty output folder, `make_docs.py build --format handout`:

- with the build's own pool (one worker process per CPU);
- with `--queue`, on 1, 2 and 4 render workers (`make_docs.py worker`), started and
  warm before the build starts, as they are when they run as services.

Every queued build's PDFs are compared with the pool's, byte for byte. The queue's
cost a document is the difference between the pool and the queue with as many
workers as the pool has processes, over the documents. Writes a section of
bench/RESULTS.md. Measurements, not tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_scaling import cpu_model, make_library, run, shipped_words  # noqa: E402
from results import update_section  # noqa: E402

PYTHON = sys.executable


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port",
                               str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return server, f"redis://127.0.0.1:{port}/0"


def start_workers(url: str, sources: Path, count: int) -> list[subprocess.Popen]:
    from rq import Queue, Worker

    from handouts.library.queue.connection import QUEUE_NAME, connect

    workers = [subprocess.Popen([PYTHON, str(REPO / "make_docs.py"), "worker", "--queue", url,
                                 "--sources", str(sources), "--brand", str(REPO / "_brand.yml")],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(count)]
    queue = Queue(QUEUE_NAME, connection=connect(url))
    while len([w for w in Worker.all(queue=queue) if w.get_state() == "idle"]) < count:
        time.sleep(0.1)
    return workers


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=60)


def same_pdfs(first: Path, second: Path) -> int:
    files = sorted(p.relative_to(first) for p in first.rglob("*.pdf"))
    if files != sorted(p.relative_to(second) for p in second.rglob("*.pdf")):
        raise RuntimeError(f"{second} does not hold the files of {first}")
    for relative in files:
        if (first / relative).read_bytes() != (second / relative).read_bytes():
            raise RuntimeError(f"{relative} differs from the pool's")
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="documents (default: 1000)")
    parser.add_argument("--workers", default="1,2,4", help="queue workers to time, comma-separated")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    cpus = len(os.sched_getaffinity(0))
    before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="handouts-queue-") as folder:
        work = Path(folder)
        sources = work / "sources"
        make_library(sources, args.count, shipped_words())
        build = ["build", "--sources", str(sources), "--brand", str(REPO / "_brand.yml"),
                 "--format", "handout"]
        pool_seconds, pool_cpu = run([*build, "--out", str(work / "pool")])
        rows.append((f"the build's own pool, {cpus} processes", cpus, pool_seconds, pool_cpu))
        print(f"pool: {pool_seconds:.1f} s", flush=True)
        server, url = start_redis(work)
        try:
            for count in counts:
                workers = start_workers(url, sources, count)
                try:
                    # CPU time: the build's process alone (the workers are not its own)
                    seconds, cpu = run([*build, "--out", str(work / f"queue-{count}"),
                                        "--queue", url])
                finally:
                    stop(workers)
                files = same_pdfs(work / "pool", work / f"queue-{count}")
                rows.append((f"`--queue`, {count} render worker{'s' * (count > 1)}", count,
                             seconds, cpu))
                print(f"{count} workers: {seconds:.1f} s ({files} PDFs, the same)", flush=True)
        finally:
            server.terminate()
            server.wait()
    text = report(args.count, rows, cpus, pool_seconds, (before, os.getloadavg()))
    print(text)
    update_section("queue", text)


def report(count: int, rows, cpus: int, pool: float, load) -> str:
    lines = [
        "## The build on a job queue (bench/bench_queue.py)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {cpu_model()}, {cpus} CPUs; Python "
        f"{platform.python_version()}, RQ on Debian's redis-server on loopback. "
        f"{count:,} generated one-page handouts (one in five a Spanish translation), "
        "`build --format handout` into an empty folder, each a fresh process; the render "
        "workers started and warm first, as services are. Load average (1, 5, 15 minutes) "
        f"before {', '.join(f'{x:.2f}' for x in load[0])}, after "
        f"{', '.join(f'{x:.2f}' for x in load[1])}. Every queued build's PDFs are the "
        "pool's, byte for byte.",
        "",
        "| how | render processes | seconds | documents/s | against the pool | CPU of the "
        "build's own process, s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, processes, seconds, cpu in rows:
        own = f"{cpu:.1f}" if name.startswith("`") else f"{cpu:.1f} (with its workers)"
        lines.append(f"| {name} | {processes} | {seconds:.1f} | {count / seconds:.2f} | "
                     f"{pool / seconds:.2f}x | {own} |")
    same = [(seconds, cpu) for name, processes, seconds, cpu in rows[1:] if processes == cpus]
    if same:
        seconds, cpu = same[0]
        lines += ["", f"The queue's cost, against the pool with as many processes ({cpus}): "
                      f"**{(seconds - pool) / count * 1000:.1f} ms** a document of wall-clock "
                      f"time ({seconds:.1f} s against {pool:.1f} s). The build's own process, "
                      f"which plans, sends the jobs, reads the PDFs back and writes them and "
                      f"the catalog, spent {cpu / count * 1000:.1f} ms of CPU a document."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
