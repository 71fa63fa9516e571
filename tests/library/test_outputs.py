"""Safe under faults: killed builds leave no partial file and a true catalog, two never mix."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import GOOD_SOURCE, REPO, Workspace, listed_files, pdftotext

from handouts.library.outputs import Change, apply, commit, locked


def library(ws: Workspace, count: int = 4, version: int = 0) -> None:
    """`count` documents; each `version` changes every PDF's size and digest."""
    for n in range(count):
        title = f"Handout {n}" + f" version {version}" * bool(version) + "." * version
        ws.write(f"doc-{n}.md", GOOD_SOURCE.replace("Staying safe with benzos", title))


def command(ws: Workspace, *extra: str, out: Path | None = None) -> list[str]:
    return [sys.executable, str(REPO / "make_docs.py"), "build", "--sources", str(ws.sources),
            "--out", str(out or ws.out), "--brand", str(ws.brand), "--jobs", "2", *extra]


def on_disk(out: Path) -> dict[str, tuple[int, str]]:
    """Every PDF in the output folder: its size and sha256, by path."""
    found = {}
    for pdf in out.rglob("*.pdf"):
        data = pdf.read_bytes()
        found[pdf.relative_to(out).as_posix()] = (len(data), hashlib.sha256(data).hexdigest())
    return found


def assert_catalog_true(out: Path) -> None:
    """The catalog, if there is one, lists exactly the PDFs beside it, as they are."""
    path = out / "catalog.json"
    if path.exists():
        entries = listed_files(out)
        assert {e["path"]: (e["bytes"], e["sha256"]) for e in entries} == on_disk(out)


def assert_consistent(ws: Workspace, complete: bool) -> None:
    """Every PDF on disk is whole; the catalog and manifest, if there, are valid and true."""
    for pdf in ws.out.rglob("*.pdf"):
        with pikepdf.open(pdf) as doc:  # a truncated PDF does not open
            assert len(doc.pages) >= 1, pdf
    for name in ("catalog.json", ".manifest.json"):
        path = ws.out / name
        if path.exists():
            json.loads(path.read_text())
    assert_catalog_true(ws.out)
    if complete:
        assert not (ws.out / ".tmp").exists()
        assert not [p for p in ws.out.rglob("*.part")]
        manifest = json.loads((ws.out / ".manifest.json").read_text())["manifest"]
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


def listing(out: Path) -> frozenset:
    """Every file and folder in the output folder, hidden ones too, with what tells a
    change: its inode (a rename), size and modification time. Read while the build
    may be changing it: what goes while we look is left out."""
    found = set()
    for folder, folders, files in os.walk(out):  # os.walk skips a folder that went
        for name in folders + files:
            path = Path(folder) / name
            try:
                stat = path.lstat()
            except FileNotFoundError:
                continue
            found.add((path.relative_to(out).as_posix(), stat.st_ino, stat.st_size,
                       stat.st_mtime_ns))
    return frozenset(found)


def stopped(pid: int) -> bool:
    """Wait until the process is stopped (True) or has ended (False)."""
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state in "tT":
            return True
        if state in "ZX":
            return False


def frozen_instants(process: subprocess.Popen, out: Path, last: frozenset, quiet: float = 0.2):
    """While the build changes its output folder, freeze it with SIGSTOP again and again,
    letting it run a few microseconds in between, and yield the folder's listing at each
    freeze. A stopped process is between two system calls, so the folder then is what
    a SIGKILL then leaves: each freeze is a kill point, checked without a build each.
    After `quiet` seconds with no change (it is rendering, or exiting) it runs free
    again until the next change. `last`: the folder as the build began."""
    while process.poll() is None:
        if listing(out) == last:
            time.sleep(0.001)  # rendering: leave the CPUs to it
            continue
        changed = time.monotonic()
        while time.monotonic() - changed < quiet:
            process.send_signal(signal.SIGSTOP)
            if not stopped(process.pid):
                return
            now = listing(out)
            if now != last:
                changed, last = time.monotonic(), now
            yield now
            process.send_signal(signal.SIGCONT)


def test_a_build_with_nothing_to_do_reads_each_pdf_once(tmp_path, monkeypatch):
    """It checks each PDF is still as built, and lists each in the catalog by its size and
    digest, from one reading; a PDF changed since is still found out."""
    ws = Workspace(tmp_path)
    library(ws, 2)
    assert ws.run("build", "--format", "handout").code == 0
    reads: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real(self))
    run = ws.run("build", "--format", "handout")
    assert run.summary.startswith("Built 0 PDFs (2 up to date)")
    assert sorted(name for name in reads if name.endswith(".pdf")) == ["doc-0.pdf", "doc-1.pdf"]
    assert_catalog_true(ws.out)
    ws.pdf("doc-1.pdf").write_bytes(ws.pdf("doc-0.pdf").read_bytes())  # a copy, not as built
    assert ws.run("build", "--format", "handout").summary.startswith("Built 1 PDF")
    assert_catalog_true(ws.out)


def test_a_build_killed_at_any_moment_leaves_no_partial_file(tmp_path):
    ws = Workspace(tmp_path)
    library(ws)
    rng = random.Random(7)
    for _ in range(5):
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


def test_the_catalog_matches_the_files_whenever_a_build_stops(tmp_path):
    """Real builds that change every PDF, each frozen at every instant of its writes we
    can catch and checked there: the catalog, when present, lists exactly the PDFs on
    disk with their true sizes and digests. The first build, into an empty folder,
    runs to its end and counts the changes it makes there; each of the next is killed
    at another point: its first change, a quarter and half of the way, as its first
    PDF is replaced, and (with the sources back as the first build had them) as the
    next replaces one, finishing the change the last one had begun. Then a build
    finishes the job, leaves no temporary file, and every PDF is of those sources: the
    manifest never kept a file that was out of date."""
    ws = Workspace(tmp_path)
    library(ws, version=1)
    checked, changes, killed = run_frozen(ws, lambda seen, start, now: False)
    # Each write is caught however loaded the machine is: usually 8 or more, never under 4.
    assert not killed and changes >= 4, changes
    kills = [after(1), after(changes // 4), after(changes // 2), replaced, replaced]
    for version, kill in zip([2, 3, 4, 5, 1], kills, strict=True):
        library(ws, version=version)
        instants, _, killed = run_frozen(ws, kill)
        assert killed, "the build ended first"
        checked += instants
        assert_consistent(ws, complete=False)
        assert_no_worker_left(ws)
    finished = subprocess.run(command(ws), capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert_consistent(ws, complete=True)
    for pdf in ws.out.glob("*/doc-*.pdf"):  # what the pipeline's code makes of them (it
        title = f"Handout {pdf.stem[4:]} version 1."  # may change as others edit it)
        assert title in " ".join(pdftotext(pdf, mode="-raw").split()), pdf
    print(f"{checked} frozen instants checked; a whole build's writes made {changes} changes")


def after(count: int):
    """Kill once the build has made `count` changes, or replaced a PDF (a build slowed
    by a busy machine may make fewer changes we can tell apart)."""
    return lambda seen, start, now: seen >= count or replaced(seen, start, now)


def replaced(seen: int, start: frozenset, now: frozenset) -> bool:
    """Kill as soon as a PDF that was there when the build began has been replaced."""
    before = {path: inode for path, inode, *_ in start if path.endswith(".pdf")}
    return any(before.get(path, inode) != inode for path, inode, *_ in now)


def run_frozen(ws: Workspace, kill) -> tuple[int, int, bool]:
    """Build, checking the catalog at each frozen instant, and kill the build at the
    first where `kill(changes so far, listing at the start, listing now)` holds. The
    instants checked, the changes seen, and whether it was killed (if not, it
    succeeded)."""
    start = listing(ws.out)
    process = subprocess.Popen(command(ws), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    instants, changes, last, killed = 0, 0, start, False
    try:
        for state in frozen_instants(process, ws.out, start):
            assert_catalog_true(ws.out)
            instants += 1
            changes, last = changes + (state != last), state
            if kill(changes, start, state):
                killed = True
                break
    finally:
        process.kill()  # a stopped process dies of SIGKILL too
        returncode = process.wait()
    assert killed or returncode == 0, f"the build failed after {changes} changes"
    return instants, changes, killed


@pytest.mark.parametrize("done", range(6))
def test_a_committed_change_is_finished_by_the_next_build(tmp_path, done):
    """A build killed after its journal, with `done` of its steps made (take the catalog
    away, two files in, one removed, the manifest in): the next build makes the rest,
    and the folder is as if the first had not been stopped."""
    change = Change({"handout/a.pdf": b"new a", "handout/b.pdf": b"new b"}, ("handout/gone.pdf",),
                    catalog="new catalog", manifest="new manifest")
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    for out in (whole, killed):
        (out / "handout").mkdir(parents=True)
        for name, text in [("handout/a.pdf", "old a"), ("handout/gone.pdf", "gone"),
                           ("catalog.json", "old catalog"), (".manifest.json", "old manifest")]:
            (out / name).write_text(text)
    apply(whole, change)
    steps = commit(killed, change)
    if done:
        (killed / "catalog.json").unlink()
    for step in steps[:max(done - 1, 0)]:
        if step[0] == "remove":
            (killed / step[1]).unlink()
        else:
            os.replace(killed / ".tmp" / step[1], killed / step[2])
    with locked(killed):
        pass
    assert files_in(killed) == files_in(whole)
    assert not (killed / ".tmp").exists()


def files_in(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name != ".lock"}


def test_stray_temporary_files_are_cleared_and_the_old_files_kept(tmp_path):
    """A build killed before its journal changed nothing; the next clears what it staged."""
    out = tmp_path / "output"
    (out / ".tmp").mkdir(parents=True)
    (out / ".tmp" / "tmpabc.part").write_bytes(b"half a PDF")
    (out / "catalog.json").write_text('{"files": []}\n')
    with locked(out):
        assert not (out / ".tmp").exists()
    assert (out / "catalog.json").read_text() == '{"files": []}\n'
