"""`watch`: a save rebuilds what changed; a mistake is printed and watching goes on."""

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


def test_watch_rebuilds_on_save_and_survives_mistakes(tmp_path):
    ws = Workspace(tmp_path)
    path = ws.write("doc.md", GOOD_SOURCE)
    log_out, log_err = tmp_path / "out.log", tmp_path / "err.log"
    with open(log_out, "w") as out, open(log_err, "w") as err:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "make_docs.py"), "watch", "--sources", str(ws.sources),
             "--out", str(ws.out), "--brand", str(ws.brand), "--jobs", "1"],
            stdout=out, stderr=err)
        try:
            pdf = ws.pdf("doc.pdf")
            assert wait_for(lambda: "Built 3 PDFs" in log_out.read_text()), log_err.read_text()
            first = hashlib.sha256(pdf.read_bytes()).hexdigest()

            path.write_text(GOOD_SOURCE.replace("Call us with questions.", "Call us any time."))
            assert wait_for(lambda: hashlib.sha256(pdf.read_bytes()).hexdigest() != first)
            assert wait_for(lambda: "Built 2 PDFs (1 up to date)" in log_out.read_text())

            path.write_text(GOOD_SOURCE.replace("@medlineplus-clonazepam", "@nope"))
            assert wait_for(lambda: "unknown citation key 'nope'" in log_err.read_text())
            assert process.poll() is None  # still watching

            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0
            assert "Stopped watching." in log_err.read_text()
        finally:
            if process.poll() is None:
                process.kill()


def test_ctrl_c_during_a_rebuild_lets_it_finish_then_stops(tmp_path):
    """Ctrl-C while a save is being built: the build finishes (the writer gets what
    they saved), then watching stops, with no traceback; the build's workers, told
    of Ctrl-C by the terminal too, leave it to the build."""
    ws = Workspace(tmp_path)
    path = ws.write("doc.md", GOOD_SOURCE)
    log_out, log_err = tmp_path / "out.log", tmp_path / "err.log"
    with open(log_out, "w") as out, open(log_err, "w") as err:
        process = subprocess.Popen(
            [sys.executable, str(REPO / "make_docs.py"), "watch", "--sources", str(ws.sources),
             "--out", str(ws.out), "--brand", str(ws.brand), "--jobs", "2"],
            stdout=out, stderr=err, start_new_session=True)
        try:
            pdf = ws.pdf("doc.pdf")
            assert wait_for(lambda: "Built 3 PDFs" in log_out.read_text()), log_err.read_text()
            first = hashlib.sha256(pdf.read_bytes()).hexdigest()
            path.write_text(GOOD_SOURCE.replace("Call us with questions.", "Call us any time."))
            assert wait_for(lambda: "Changed: doc.md" in log_err.read_text(), step=0.01)
            os.killpg(process.pid, signal.SIGINT)  # as the terminal sends it: to them all
            assert process.wait(timeout=60) == 0, log_err.read_text()
        finally:
            if process.poll() is None:
                process.kill()
    assert "Built 2 PDFs (1 up to date)" in log_out.read_text()
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() != first
    assert "Traceback" not in log_err.read_text() and "Stopped watching." in log_err.read_text()
