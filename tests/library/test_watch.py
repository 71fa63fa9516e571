"""`watch`: a save rebuilds what changed; a mistake is printed and watching goes on."""

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time

from conftest import GOOD_SOURCE, REPO, Workspace


def wait_for(condition, seconds: float = 60, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@contextlib.contextmanager
def watching(ws: Workspace, jobs: int):
    """`make_docs.py watch` on `ws`, in a session of its own (as a terminal runs it),
    its output and errors in files beside it; killed if still running at the end."""
    log_out, log_err = ws.root / "out.log", ws.root / "err.log"
    with open(log_out, "w") as out, open(log_err, "w") as err:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "make_docs.py"), "watch", "--sources", str(ws.sources),
             "--out", str(ws.out), "--brand", str(ws.brand), "--jobs", str(jobs)],
            stdout=out, stderr=err, start_new_session=True)
        try:
            yield process, log_out, log_err
        finally:
            if process.poll() is None:
                process.kill()


def first_build_then_a_save(ws: Workspace, log_out, log_err) -> tuple:
    """Once watch has built the workspace's one document, save an edit to it: its
    PDF, and the digest the PDF had before."""
    pdf = ws.pdf("doc.pdf")
    assert wait_for(lambda: "Built 3 PDFs" in log_out.read_text()), log_err.read_text()
    first = hashlib.sha256(pdf.read_bytes()).hexdigest()
    (ws.sources / "doc.md").write_text(GOOD_SOURCE.replace("Call us with questions.",
                                                           "Call us any time."))
    return pdf, first


def test_watch_rebuilds_on_save_and_survives_mistakes(tmp_path):
    ws = Workspace(tmp_path)
    path = ws.write("doc.md", GOOD_SOURCE)
    with watching(ws, jobs=1) as (process, log_out, log_err):
        pdf, first = first_build_then_a_save(ws, log_out, log_err)
        assert wait_for(lambda: hashlib.sha256(pdf.read_bytes()).hexdigest() != first)
        assert wait_for(lambda: "Built 2 PDFs (1 up to date)" in log_out.read_text())

        path.write_text(GOOD_SOURCE.replace("@medlineplus-clonazepam", "@nope"))
        assert wait_for(lambda: "unknown citation key 'nope'" in log_err.read_text())
        assert process.poll() is None  # still watching

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "Stopped watching." in log_err.read_text()


def test_ctrl_c_during_a_rebuild_lets_it_finish_then_stops(tmp_path):
    """Ctrl-C while a save is being built: the build finishes (the writer gets what
    they saved), then watching stops, with no traceback; the build's workers, told
    of Ctrl-C by the terminal too, leave it to the build."""
    ws = Workspace(tmp_path)
    ws.write("doc.md", GOOD_SOURCE)
    with watching(ws, jobs=2) as (process, log_out, log_err):
        pdf, first = first_build_then_a_save(ws, log_out, log_err)
        assert wait_for(lambda: "Changed: doc.md" in log_err.read_text(), step=0.01)
        os.killpg(process.pid, signal.SIGINT)  # as the terminal sends it: to them all
        assert process.wait(timeout=60) == 0, log_err.read_text()
    assert "Built 2 PDFs (1 up to date)" in log_out.read_text()
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() != first
    assert "Traceback" not in log_err.read_text() and "Stopped watching." in log_err.read_text()
