"""Load on the staff app: eight staff building packets at once.

    .venv/bin/python bench/bench_web.py [--staff 8] [--packets 5]

Starts `make_docs.py serve` on a free port (it brings the catalog up to date
first), then has `--staff` clients, each with its own session, put three
handouts in their packet and download it `--packets` times with a different
name each time, all at once. A ninth client loads the catalog page every 0.2 s
meanwhile. Prints the packet and catalog latencies (median, 95th percentile)
and writes them to bench/RESULTS.md. A measurement, not a test: the machine is
shared and noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMBINATIONS = [
    ("klonopin-overview", "mixing-dangers", "crisis-help-lines"),
    ("benzodiazepine-withdrawal", "what-is-detox", "crisis-help-lines"),
    ("supporting-a-loved-one", "support-groups-aftercare", "crisis-help-lines"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=8)
    parser.add_argument("--packets", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port", str(port)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        idle = [timed_get(base + "/") for _ in range(20)]
        results = load(base, args.staff, args.packets)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(args, idle, *results)
    print(text)
    sys.path.insert(0, str(Path(__file__).parent))
    from results import update_section

    update_section("web", text)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the staff app did not start")


def timed_get(url: str, opener=None) -> float:
    started = time.perf_counter()
    (opener or urllib.request.build_opener()).open(url, timeout=60).read()
    return time.perf_counter() - started


class Staff:
    """One member of staff: their own session, their own packet."""

    def __init__(self, base: str, slugs: tuple[str, ...]):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(base + "/", timeout=60).read().decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        for slug in slugs:
            self.post("/basket", slug=slug, action="add")
        # What the packet page shows, as a browser sends it back with the form.
        packet = self.opener.open(base + "/packet", timeout=60).read().decode()
        self.shown = re.findall(r'name="shown" value="([^"]+)"', packet)

    def post(self, path: str, **fields) -> bytes:
        data = urllib.parse.urlencode({"csrf_token": self.csrf, **fields}, doseq=True).encode()
        return self.opener.open(self.base + path, data=data, timeout=120).read()

    def packet(self, name: str) -> float:
        started = time.perf_counter()
        pdf = self.post("/packet/pdf", for_name=name, clinician="Bench", lang="en",
                        date=dt.date.today().isoformat(), shown=self.shown)
        assert pdf.startswith(b"%PDF"), pdf[:200]
        return time.perf_counter() - started


def load(base: str, staff: int, packets: int) -> tuple[list[float], ...]:
    people = [Staff(base, COMBINATIONS[n % len(COMBINATIONS)]) for n in range(staff)]
    times: list[float] = []
    first: list[float] = []  # each member of staff's first packet: the workers lay out
    later: list[float] = []  # their handouts for it; the later ones find them written
    catalog: list[float] = []
    done = threading.Event()
    start = threading.Barrier(staff + 1)

    def work(person: Staff, number: int) -> None:
        start.wait()
        for round_ in range(packets):
            seconds = person.packet(f"Family {number}-{round_}")
            times.append(seconds)
            (first if round_ == 0 else later).append(seconds)

    def probe() -> None:
        start.wait()
        while not done.is_set():
            catalog.append(timed_get(base + "/"))
            time.sleep(0.2)

    workers = [threading.Thread(target=work, args=(p, n)) for n, p in enumerate(people)]
    prober = threading.Thread(target=probe)
    for thread in [*workers, prober]:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    prober.join()
    return times, first, later, catalog


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(args, idle: list[float], times: list[float], first: list[float], later: list[float],
           catalog: list[float]) -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    cpus = len(os.sched_getaffinity(0))
    return "\n".join([
        "## The staff app under load (bench/bench_web.py)",
        "",
        f"Measured {dt.date.today().isoformat()} on {model}, {cpus} CPUs: `make_docs.py serve` "
        f"(waitress, 16 threads; packets rendered by {cpus} warm worker processes), "
        f"{args.staff} staff at once, each downloading {args.packets} three-document packets "
        f"(three different sets of handouts among them), each with a different name on the cover.",
        "",
        "| what | count | median | 95th percentile | slowest |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| packet download, under load | {len(times)} | {statistics.median(times):.2f} s | "
        f"{percentile(times, 0.95):.2f} s | {max(times):.2f} s |",
        *(f"| {label} | {len(part)} | {statistics.median(part):.2f} s | "
          f"{percentile(part, 0.95):.2f} s | {max(part):.2f} s |"
          for label, part in (("of them, each one's first (the first wave)", first),
                              ("of them, the later ones", later)) if part),
        f"| catalog page, under that load | {len(catalog)} | {1000 * statistics.median(catalog):.0f} ms | "
        f"{1000 * percentile(catalog, 0.95):.0f} ms | {1000 * max(catalog):.0f} ms |",
        f"| catalog page, idle | {len(idle)} | {1000 * statistics.median(idle):.0f} ms | "
        f"{1000 * percentile(idle, 0.95):.0f} ms | {1000 * max(idle):.0f} ms |",
        "",
        "Targets: a three-document packet under 1 s at the 95th percentile with eight at once; "
        "the catalog page under 100 ms while they run.",
    ])


if __name__ == "__main__":
    main()
