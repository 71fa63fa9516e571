"""`make_docs.py preview`, run as a writer runs it: a real server on loopback, real saves
to the source, the pages read back as images and the PDFs from the output folder; and
the page itself in real headless Chromium."""

import hashlib
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import GOOD_SOURCE, REPO, Workspace, pdftotext
from PIL import Image
from ports import free_port

SOURCE = GOOD_SOURCE.replace("code: TEST-001", "code: TEST-001\nformats: [handout, card]")
RULE = "Benzos slow your breathing"


class Previewing:
    """`make_docs.py preview` on a free port, for one workspace."""

    def __init__(self, ws: Workspace, *first: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "make_docs.py"), "preview", *first,
             "--sources", str(ws.sources), "--out", str(ws.out), "--brand", str(ws.brand),
             "--port", str(self.port)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ws.root)
        self.version = 0

    def state(self, after: int = 0) -> dict:
        with urllib.request.urlopen(f"{self.url}/state?after={after}", timeout=30) as response:
            return json.load(response)

    def settled(self, until=lambda view: True, seconds: float = 60) -> dict:
        """The view once the preview has finished with the last save and `until` holds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                view = self.state(self.version)
            except (urllib.error.URLError, ConnectionError):
                assert self.process.poll() is None, self.process.communicate()
                time.sleep(0.1)
                continue
            self.version = view["version"]
            if not view["busy"] and until(view):
                return view
        raise AssertionError(f"the preview did not settle: {view}")

    def image(self, fmt: str, number: int) -> bytes:
        with urllib.request.urlopen(f"{self.url}/page/{fmt}/{number}.png") as response:
            return response.read()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def previewing(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", SOURCE)
    running = Previewing(ws, "staying-safe")
    yield ws, running
    running.stop()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_save_redraws_the_pages_and_a_broken_source_keeps_the_last_good_ones(previewing):
    ws, preview = previewing
    view = preview.settled(lambda v: {"handout", "card"} <= set(v["pages"]))
    assert view["source"] == "staying-safe.md" and view["format"] == "handout"
    assert view["formats"] == ["handout", "large-print", "card"]  # large print comes with a handout
    first = preview.image("handout", 1)
    page = Image.open(io.BytesIO(first))
    assert page.size == (816, 1056)  # a Letter page at 96 dots an inch
    pdf = ws.pdf("staying-safe.pdf")
    assert "Staying safe with benzos" in pdftotext(pdf)  # written where `build` puts it
    assert view["reading"].startswith("grade ")

    path = ws.sources / "staying-safe.md"
    path.write_text(SOURCE.replace(RULE, "Benzos slow down your breathing, an addict's or not"))
    drawn = view["drawn"]["handout"]
    view = preview.settled(lambda v: v["drawn"]["handout"] > drawn and v["reading"])
    assert preview.image("handout", 1) != first
    assert "slow down your breathing" in pdftotext(pdf)
    assert view["errors"] == []
    assert any("warning[" in note and "addict" in note for note in view["notes"]), view["notes"]
    good = digest(pdf)

    path.write_text(SOURCE.replace(RULE, f"{RULE} [@no-such-resource]"))
    view = preview.settled(lambda v: v["errors"])
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "no-such" in text)
    # One line as `build` prints it (its path as the writer gave it), then the place.
    assert view["errors"][0].startswith(f"sources/staying-safe.md:{line}:")
    assert ": error: unknown citation key" in view["errors"][0]
    assert "no-such-resource" in view["errors"][0]
    assert view["pages"]["handout"] >= 1 and preview.image("handout", 1)  # the last good pages
    assert digest(pdf) == good  # and the last good PDF

    path.write_text(SOURCE)
    view = preview.settled(lambda v: not v["errors"] and v["drawn"]["handout"] > drawn)
    assert "Benzos slow your breathing" in pdftotext(pdf)


def test_it_follows_the_writer_to_another_source_and_format(previewing):
    ws, preview = previewing
    preview.settled(lambda v: "handout" in v["pages"])
    other = ws.write("other.md", SOURCE.replace("Staying safe with benzos", "Another handout")
                     .replace("TEST-001", "TEST-002"))
    view = preview.settled(lambda v: v["source"] == "other.md" and "handout" in v["pages"])
    assert "Another handout" in pdftotext(ws.pdf("other.pdf"))
    assert other.name in view["documents"]
    with urllib.request.urlopen(f"{preview.url}/state?after=0&format=card") as response:
        json.load(response)
    view = preview.settled(lambda v: v["format"] == "card" and "card" in v["pages"])
    assert preview.image("card", 1) != preview.image("handout", 1)
    info = subprocess.run(["pdfinfo", str(ws.pdf("other.pdf", "card"))], capture_output=True,
                          text=True, check=True).stdout
    pages = next(int(line.split()[1]) for line in info.splitlines() if line.startswith("Pages:"))
    assert view["pages"]["card"] == pages  # the sheet of cards, each of its pages


def test_only_requests_addressed_to_this_computer_are_answered(previewing):
    _, preview = previewing
    preview.settled()
    request = urllib.request.Request(f"{preview.url}/state", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as missing:
        preview.image("handout", 99)
    assert missing.value.code == 404


def test_the_page_shows_the_pages_then_the_error_in_their_place(previewing, tmp_path):
    from chromium import CHROMIUM, FLAGS, shot
    from playwright.sync_api import expect, sync_playwright

    ws, preview = previewing
    preview.settled(lambda v: "handout" in v["pages"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(preview.url)
        first = page.get_by_role("img", name="handout, page 1 of", exact=False)
        expect(first).to_be_visible()
        assert page.evaluate("document.querySelector('#pages img').naturalWidth") == 816
        expect(page.get_by_role("button", name="handout")).to_have_attribute("aria-pressed", "true")
        expect(page.get_by_role("status")).to_contain_text("up to date")
        shot(page, "preview", tmp_path)

        (ws.sources / "staying-safe.md").write_text(SOURCE.replace(RULE, f"{RULE} [@no-such-resource]"))
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("no-such-resource", timeout=30_000)
        expect(page.get_by_role("heading", name="The last good pages")).to_be_visible()
        expect(first).to_be_visible()
        shot(page, "preview-error", tmp_path)

        page.get_by_role("button", name="card").click()
        expect(page.get_by_role("img", name="card, page 1 of", exact=False)).to_be_visible(timeout=30_000)
        browser.close()
