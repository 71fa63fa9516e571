"""From saving a source to its new page images being served by `make_docs.py preview`.

    .venv/bin/python bench/bench_preview.py [--saves 15]

Starts the preview as a writer would, on a copy of the shipped sources, showing
the naloxone handout (two pages). Then, again and again, once the preview has
finished with the last save (its other formats and its check too, as when a
writer reads the page before the next edit): changes one word of the source,
and times from the save to the moment both page images of the new version
have been fetched from the preview, as the page's own script fetches them. It
prints the median and the spread and writes them to bench/RESULTS.md.
Measurements, not tests: compare figures from one run only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from results import update_section  # noqa: E402

DOCUMENT = "naloxone"
SHOWN = "handout"
EDIT = ("grab it fast, not", "grab it quickly, not")  # one word, back and forth


class Preview:
    def __init__(self, sources: Path, out: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "make_docs.py"), "preview", DOCUMENT, "--sources",
             str(sources), "--out", str(out), "--brand", str(REPO / "_brand.yml"), "--port",
             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.version = 0

    def state(self, after: int) -> dict:
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/state?after={after}", timeout=60) as r:
                    view = json.load(r)
                self.version = view["version"]
                return view
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    raise SystemExit(f"the preview ended: {self.process.stderr.read()}") from None
                time.sleep(0.05)

    def idle(self) -> dict:
        view = self.state(0)
        while view["busy"] or SHOWN not in view["pages"]:
            view = self.state(view["version"])
        return view

    def images(self, view: dict) -> None:
        for number in range(1, view["pages"][SHOWN] + 1):
            with urllib.request.urlopen(f"{self.url}/page/{SHOWN}/{number}.png?v={view['version']}") as r:
                r.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def measure(saves: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="handouts-preview-bench-"))
    try:
        shutil.copytree(REPO / "sources", work / "sources")
        source = work / "sources" / f"{DOCUMENT}.md"
        assert EDIT[0] in source.read_text(), "the benchmark's edit is no longer in the source"
        started = time.perf_counter()
        preview = Preview(work / "sources", work / "out")
        try:
            view = preview.idle()
            ready = time.perf_counter() - started
            seconds, settled = [], []
            for n in range(saves):
                before = view["drawn"][SHOWN]
                old, new = EDIT if n % 2 == 0 else EDIT[::-1]
                text = source.read_text().replace(old, new, 1)
                saved = time.perf_counter()
                source.write_text(text)
                view = preview.state(preview.version)
                while view["drawn"].get(SHOWN, 0) <= before:
                    view = preview.state(view["version"])
                preview.images(view)
                seconds.append(time.perf_counter() - saved)
                view = preview.idle()
                settled.append(time.perf_counter() - saved)
            pages = view["pages"][SHOWN]
        finally:
            preview.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "settled": settled, "ready": ready, "pages": pages,
            "formats": view["formats"], "load": os.getloadavg()}


def report(r: dict) -> str:
    s = sorted(r["seconds"])
    p90 = s[min(len(s) - 1, round(0.9 * (len(s) - 1)))]
    cpus = len(os.sched_getaffinity(0))
    load = ", ".join(f"{x:.1f}" for x in r["load"])
    return "\n".join([
        "## The live preview (bench/bench_preview.py)",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {cpus} CPUs "
        f"(load average at the end {load}); Python {platform.python_version()}. "
        f"`make_docs.py preview {DOCUMENT}` on a copy of the shipped sources, its {SHOWN} on "
        f"screen ({r['pages']} pages; its formats: {', '.join(r['formats'])}). Each save "
        "changes one word, once the preview has finished with the last one; timed from "
        "the save to both new page images fetched from the preview.",
        "",
        "| saves | median | 90th percentile | fastest | slowest | all formats and check done, median |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(s)} | **{statistics.median(s):.2f} s** | {p90:.2f} s | {s[0]:.2f} s | {s[-1]:.2f} s | "
        f"{statistics.median(r['settled']):.2f} s |",
        "",
        f"Target: a median of 0.5 s or less. Starting the preview until its first pages: "
        f"{r['ready']:.1f} s.",
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=15)
    args = parser.parse_args()
    text = report(measure(args.saves))
    print(text)
    update_section("preview", text)


if __name__ == "__main__":
    main()
