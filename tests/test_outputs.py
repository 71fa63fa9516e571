"""Safe under faults: killed builds leave no partial file, and two builds never mix."""

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf

from conftest import GOOD_SOURCE, REPO, Workspace


def library(ws: Workspace, count: int = 4) -> None:
    for n in range(count):
        ws.write(f"doc-{n}.md", GOOD_SOURCE.replace("Staying safe with benzos", f"Handout {n}"))


def command(ws: Workspace, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "make_docs.py"), "build", "--sources", str(ws.sources),
            "--out", str(ws.out), "--brand", str(ws.brand), "--jobs", "2", *extra]


def assert_consistent(ws: Workspace, complete: bool) -> None:
    """Every PDF on disk is whole; the catalog and manifest, if there, are valid and true."""
    for pdf in ws.out.rglob("*.pdf"):
        with pikepdf.open(pdf) as doc:  # a truncated PDF does not open
            assert len(doc.pages) >= 1, pdf
    for name in ("catalog.json", ".manifest.json"):
        path = ws.out / name
        if path.exists():
            json.loads(path.read_text())
    if complete:
        assert not (ws.out / ".tmp").exists()
        manifest = json.loads((ws.out / ".manifest.json").read_text())["manifest"]
        import hashlib
        for record in manifest["records"]:
            data = (ws.out / record["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == record["sha256"], record["path"]
        catalog = json.loads((ws.out / "catalog.json").read_text())
        assert len(catalog["files"]) == len(manifest["records"]) == 4 * 2 + 1


def assert_no_worker_left(ws: Workspace) -> None:
    """A killed build's workers go with it; none is left holding the pool's pipes."""
    deadline = time.monotonic() + 10
    while (left := processes_naming(ws.out)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left


def processes_naming(path) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(path).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            pass  # it ended while we looked
    return found


def test_a_build_killed_at_any_moment_leaves_no_partial_file(tmp_path):
    ws = Workspace(tmp_path)
    library(ws)
    rng = random.Random(7)
    for attempt in range(5):
        process = subprocess.Popen(command(ws, "--force"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_consistent(ws, complete=False)
        assert_no_worker_left(ws)
    finished = subprocess.run(command(ws), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert_consistent(ws, complete=True)


def test_killed_while_writing(tmp_path):
    """Kill the moment the first new file lands, in the middle of the writes."""
    ws = Workspace(tmp_path)
    library(ws)
    assert subprocess.run(command(ws), capture_output=True).returncode == 0
    before = {p: p.stat().st_mtime_ns for p in ws.out.rglob("*.pdf")}
    process = subprocess.Popen(command(ws, "--force"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if any(p.stat().st_mtime_ns != t for p, t in before.items() if p.exists()):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    process.wait()
    assert_consistent(ws, complete=False)
    assert subprocess.run(command(ws), capture_output=True).returncode == 0
    assert_consistent(ws, complete=True)


def test_two_builds_at_once_take_turns(tmp_path):
    ws = Workspace(tmp_path)
    library(ws)
    first = subprocess.Popen(command(ws, "--force"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    time.sleep(0.3)
    second = subprocess.Popen(command(ws, "--force"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == second.returncode == 0, err1 + err2
    assert "Waiting for another build of this output folder to finish" in err2
    assert_consistent(ws, complete=True)
