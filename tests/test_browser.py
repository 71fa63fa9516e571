"""End to end in real headless Chromium (Debian's, driven by Playwright): search, open a
document, build a packet, download it and read its cover back."""

import os
import shutil
import threading
from pathlib import Path

import pytest

from handouts.build import Project
from handouts.webapp import Settings, create_app

from conftest import REPO, pdftotext

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes advise: no background networking, no GPU, a fresh profile.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(shipped_out):
    import waitress

    app = create_app(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"),
                     Settings(workers=1))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    app.extensions["handouts"]["renderer"].close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str, tmp_path: Path) -> None:
    """Screenshots for looking at; kept in $HANDOUTS_SCREENSHOTS when it is set."""
    folder = Path(os.environ.get("HANDOUTS_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_search_open_a_document_and_download_a_packet(page, site, tmp_path):
    page.goto(site)
    shot(page, "catalog", tmp_path)
    page.get_by_label("Search").fill("coping")
    page.get_by_role("button", name="Show handouts").click()
    assert page.get_by_role("status").inner_text() == "1 of 12 handouts"
    page.get_by_role("link", name="Coping with panic and anxiety").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Coping with panic and anxiety")
    assert page.get_by_role("img", name="Page 1 of 2").is_visible()
    shot(page, "document", tmp_path)
    page.get_by_role("button", name="Add Coping with panic and anxiety to the packet").click()

    page.goto(site + "/?q=crisis")
    page.get_by_role("button", name="Add Crisis and help lines to the packet").click()
    page.get_by_role("link", name="Packet").click()
    assert page.locator(".chosen li").count() == 2
    page.get_by_label("Name of the patient or family").fill("Rosa & Family <test>")
    page.get_by_label("Prepared by").fill("Dr. Rivera")
    page.get_by_label("A note for the cover").fill("See you Tuesday.")
    shot(page, "packet", tmp_path)
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download the packet").click()
    download = waiting.value
    assert download.suggested_filename.startswith("packet-") and "Rosa" not in download.suggested_filename
    path = tmp_path / "packet.pdf"
    download.save_as(path)
    cover = " ".join(pdftotext(path).split("\f")[0].split())
    assert "Prepared for Rosa & Family <test> by Dr. Rivera on" in cover
    assert "Coping with panic and anxiety" in cover and "Crisis and help lines" in cover


def test_keyboard_first_and_tablet_sized(browser, site, tmp_path):
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    try:
        page.goto(site)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        assert focused == "q"  # straight to the search box after skipping the header
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1]  # nothing runs off a tablet's screen
        shot(page, "catalog-tablet", tmp_path)
    finally:
        context.close()


def test_a_missing_name_is_said_plainly(page, site):
    page.goto(site + "/?q=crisis")
    page.get_by_role("button", name="Add Crisis and help lines to the packet").click()
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill(" ")
    page.get_by_role("button", name="Download the packet").click()
    assert "Please give the name" in page.get_by_role("alert").inner_text()
