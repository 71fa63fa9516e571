"""End to end in real headless Chromium (Debian's, driven by Playwright): search, open a
document, build a packet, download it and read its cover back, email it to a loopback
mail server, sign in. Every page is photographed (kept in $HANDOUTS_SCREENSHOTS)."""

import datetime as dt
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from chromium import CHROMIUM, FLAGS, shot
from conftest import GOOD_SOURCE, REPO, Workspace, pdftotext, pilot_brand, untranslated
from ports import free_port

from handouts.library.build import build
from handouts.project import BuildRequest, Project
from handouts.web.app import create_app
from handouts.web.settings import Budget, Settings

PASSWORD = "correct horse"



def serve(app):
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server


def serving(project: Project, settings: Settings | None = None):
    """The app for `project` on a free loopback port, its address yielded, then stopped;
    with sessions and budgets of its own (many tests serve the same built library)."""
    settings = settings or Settings(workers=1)
    if settings.store is None:
        settings = replace(settings, store=str(Path(tempfile.mkdtemp()) / "store.sqlite3"))
    app = create_app(project, settings)
    server = serve(app)
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    app.extensions["handouts"].packets.close()


@pytest.fixture(scope="module")
def site(shipped_out):
    yield from serving(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"))


@pytest.fixture(scope="module")
def pilot_site(shipped_out, tmp_path_factory):
    """The shipped library with a brand that may email families: a phone number filled
    in, and drafts allowed for a pilot."""
    brand = pilot_brand(tmp_path_factory.mktemp("pilot"))
    yield from serving(Project(sources=REPO / "sources", out=shipped_out, brand=brand))


@pytest.fixture(scope="module")
def untranslated_site(shipped_out, tmp_path_factory):
    """The pilot site, but with one document in English only: every shipped one has its
    Spanish, and the pages must still say when a family's language is missing."""
    folder = tmp_path_factory.mktemp("untranslated")
    sources, out = untranslated(folder, "therapies-explained", shipped_out)
    yield from serving(Project(sources=sources, out=out, brand=pilot_brand(folder)))


@pytest.fixture(scope="module")
def guarded_site(shipped_out):
    """The app behind the staff password."""
    yield from serving(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"),
                       Settings(workers=1, password=PASSWORD))


@pytest.fixture
def mailbox(monkeypatch):
    """A mail server on loopback (aiosmtpd), and the app's settings pointing at it."""
    from aiosmtpd.controller import Controller

    received = []

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Box(), hostname="127.0.0.1", port=port)
    controller.start()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "SMTP_FROM": "care@clinic.example"}.items():
        monkeypatch.setenv(name, value)
    yield received
    controller.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def test_search_open_a_document_and_download_a_packet(page, site, tmp_path):
    page.goto(site)
    shot(page, "catalog", tmp_path)
    page.get_by_label("Search").fill("coping")
    page.get_by_role("button", name="Show handouts").click()
    # Every shipped handout in English, and the clinic's wallet card.
    cards = len([p for p in (REPO / "sources").glob("*.md") if p.name.count(".") == 1]) + 1
    found = page.get_by_role("status").inner_text()
    assert found.endswith(f" of {cards} handouts") and not found.startswith("0 ")
    first = page.locator(".card h3 a").first
    assert first.inner_text() == "Coping with panic and anxiety"  # the best match first
    first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Coping with panic and anxiety")
    assert page.get_by_role("img", name="Page 1 of ", exact=False).first.is_visible()
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
    context = browser.new_context(viewport={"width": 800, "height": 1024})
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
        # The filters are compact: the first cards show on the first screen.
        filters = page.locator(".filters").bounding_box()
        cards = page.locator(".card")
        first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
        assert filters["height"] < 250
        assert first["y"] + first["height"] < 1024 and second["y"] < 1024
        shot(page, "catalog-tablet", tmp_path)
    finally:
        context.close()


CONTROLS = ", ".join(["main button:not([hidden])", "main a.button", "main select", "main textarea",
                      "main input:not([type=hidden]):not([type=checkbox])", "main label.check",
                      ".top nav a", ".top nav button"])
TARGETS = f"""[...document.querySelectorAll('{CONTROLS}')]
    .map(e => [e.textContent.trim() || e.id || e.name, e.getBoundingClientRect().height])"""


def test_every_control_is_large_enough_to_touch(browser, site, tmp_path):
    context = browser.new_context(viewport={"width": 800, "height": 1024})
    page = context.new_page()
    try:
        for slug in ("crisis-help-lines", "mixing-dangers"):
            page.goto(f"{site}/documents/{slug}")
            page.get_by_role("button", name="to the packet").click()
        page.goto(site + "/packet")
        targets = page.evaluate(TARGETS)
        assert len(targets) >= 14
        small = [(name, height) for name, height in targets if height < 44]
        assert small == []
        box = page.get_by_role("checkbox", name="Large print").bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24
        page.get_by_text("Large print").click()  # the label is the target: a tap on the words works
        assert page.get_by_role("checkbox", name="Large print").is_checked()
        shot(page, "packet-tablet", tmp_path)
    finally:
        context.close()


def test_email_a_packet_with_enter_in_the_address(page, pilot_site, mailbox, tmp_path):
    site = pilot_site
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(site + "/documents/crisis-help-lines")
    page.get_by_role("button", name="Add Crisis and help lines to the packet").click()
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill("Rosa & Family <test>")
    page.get_by_role("button", name="Email it to the family").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Email the packet"
    assert "Rosa & Family <test>" in page.locator(".summary-box").inner_text()
    shot(page, "email", tmp_path)
    # A wrong address: said plainly, on the same page.
    page.get_by_label("Their email address").fill("rosa@example")
    page.get_by_label("Date their written consent").fill(dt.date.today().isoformat())
    page.get_by_label("Their email address").press("Enter")
    assert "That email address does not look right" in page.get_by_role("alert").inner_text()
    shot(page, "email-problem", tmp_path)
    page.get_by_label("Their email address").fill("rosa@example.org")
    page.get_by_label("Their email address").press("Enter")  # Enter sends; it never downloads
    page.wait_for_url("**/packet/sent")
    assert "The packet was emailed" in page.get_by_role("status").inner_text()
    shot(page, "sent", tmp_path)
    [(recipients, content)] = mailbox
    assert recipients == ["rosa@example.org"] and b"handouts.pdf" in content
    page.reload()
    assert "The packet was emailed" in page.get_by_role("status").inner_text()
    assert "Rosa" not in page.content() and "rosa@" not in page.content()
    assert len(mailbox) == 1  # a reload sends nothing
    assert downloads == []


def test_problem_page(page, site, tmp_path):
    page.goto(site + "/documents/no-such-handout")
    assert page.get_by_role("alert").inner_text() == "There is no such page."
    shot(page, "problem", tmp_path)


def test_sign_in_in_the_clinic_look_and_back_to_where_you_were(browser, guarded_site, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(guarded_site + "/documents/klonopin-overview")
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.fonts.check('18px \"Atkinson Hyperlegible\"')")
        assert page.evaluate("[...document.fonts].some(f => f.status == 'loaded')")
        colour = page.evaluate("getComputedStyle(document.querySelector('h1')).color")
        assert colour == "rgb(14, 90, 95)"  # the stylesheet loaded: the brand's primary colour
        shot(page, "login", tmp_path)
        page.get_by_label("Staff password").fill("a guess")
        page.get_by_role("button", name="Sign in").click()
        assert "That password is not right" in page.get_by_role("alert").inner_text()
        shot(page, "login-failed", tmp_path)
        page.get_by_label("Staff password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/documents/klonopin-overview")
        assert page.get_by_role("heading", level=1).inner_text().startswith("Klonopin")
    finally:
        context.close()


def test_enter_in_the_name_does_not_download(page, site):
    downloads, posts = [], []
    page.on("download", lambda download: downloads.append(download))
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    add_in(page, site, "crisis-help-lines", "Crisis and help lines")
    page.goto(site + "/packet")
    posts.clear()
    page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
    page.get_by_label("Name of the patient or family").press("Enter")
    page.wait_for_timeout(500)
    assert downloads == [] and posts == []
    assert page.locator("#packet-form button[disabled]").is_hidden()  # nothing to see


def test_a_missing_name_is_said_plainly(page, site):
    page.goto(site + "/?q=crisis")
    page.get_by_role("button", name="Add Crisis and help lines to the packet").click()
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill(" ")
    page.get_by_role("button", name="Download the packet").click()
    assert "Please give the name" in page.get_by_role("alert").inner_text()


@pytest.fixture
def served():
    """`served(project, settings)`: an app of its own, served until the test ends."""
    running = []

    def start(project: Project, settings: Settings) -> str:
        app = create_app(project, settings)
        running.append((app, serve(app)))
        return f"http://127.0.0.1:{running[-1][1].effective_port}"

    yield start
    for app, server in running:
        server.close()
        app.extensions["handouts"].packets.close()


def served_library(served, tmp_path):
    """A library of one handout, built and served by an app of its own."""
    (tmp_path / "library").mkdir()
    ws = Workspace(tmp_path / "library")
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    return ws, served(ws.project, Settings(workers=1))


def test_a_packet_that_cannot_be_made_says_so_and_leads_back(page, served, tmp_path):
    """In the basket while it built; then its source went wrong. The browser shows the
    problem page (a 422 is a page like any other), not a download, and leads back."""
    ws, site = served_library(served, tmp_path)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.goto(site + "/documents/staying-safe")
    page.get_by_role("button", name="Add Staying safe with benzos to the packet").click()
    ws.write("staying-safe.md", GOOD_SOURCE.replace("@medlineplus-clonazepam", "@no-such-key"))
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
    with page.expect_response("**/packet/pdf") as answer:
        page.get_by_role("button", name="Download the packet").click()
    assert answer.value.status == 422
    assert page.get_by_role("heading", level=1).inner_text() == "Something is not right"
    alert = page.get_by_role("alert").inner_text()
    assert "\u201cStaying safe with benzos\u201d was edited after the copy on this page" in alert
    assert "Nothing was sent or saved" in alert
    assert "Rosa" not in page.content()
    shot(page, "packet-unmade", tmp_path)
    page.get_by_role("link", name="Back to the packet").click()
    page.wait_for_url("**/packet")
    page.get_by_role("button", name="Remove").click()  # the one document there
    assert page.locator(".chosen li").count() == 0
    assert downloads == []


def test_too_many_wrong_passwords_says_how_long_to_wait(browser, served, shipped_out, tmp_path):
    two = Budget(burst=2, every=30.0)
    site = served(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"),
                  Settings(workers=1, password=PASSWORD, per_address=two))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(site + "/login")
        for _ in range(two.burst):
            page.get_by_label("Staff password").fill("a guess")
            page.get_by_role("button", name="Sign in").click()
            assert "That password is not right" in page.get_by_role("alert").inner_text()
        page.get_by_label("Staff password").fill(PASSWORD)  # right, but too late
        with page.expect_response("**/login") as answer:
            page.get_by_role("button", name="Sign in").click()
        # 30 s less the time the guesses took: a slow browser takes more than a second.
        wait = answer.value.headers["retry-after"]
        assert answer.value.status == 429 and 25 <= int(wait) <= 30, wait
        assert page.get_by_role("alert").inner_text() == (
            f"Too many wrong passwords have been tried. Wait {wait} seconds, then try again.")
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
        shot(page, "login-wait", tmp_path)
    finally:
        context.close()


# -- delivery a clinic can trust -------------------------------------------------------

def add_in(page, site: str, slug: str, title: str) -> None:
    page.goto(f"{site}/documents/{slug}")
    page.get_by_role("button", name=f"Add {title} to the packet").click()


def test_a_second_tab_cannot_change_what_a_family_receives(browser, pilot_site, mailbox, tmp_path):
    """The packet page open in one tab; in a second, the basket emptied and another
    handout added. The first tab's download and email carry what the first tab shows."""
    site = pilot_site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    first, second = context.new_page(), context.new_page()
    try:
        add_in(first, site, "mixing-dangers", "Benzos, opioids and alcohol")
        first.goto(site + "/packet")
        first.get_by_label("Name of the patient or family").fill("Rosa Diaz")
        second.goto(site + "/packet")
        second.locator(".chosen li", has_text="Benzos, opioids and alcohol").get_by_role(
            "button", name="Remove").click()
        add_in(second, site, "crisis-help-lines", "Crisis and help lines")
        with first.expect_download() as waiting:
            first.get_by_role("button", name="Download the packet").click()
        path = tmp_path / "packet.pdf"
        waiting.value.save_as(path)
        cover = " ".join(pdftotext(path).split("\f")[0].split())
        assert "Benzos, opioids and alcohol" in cover and "Crisis and help lines" not in cover
        first.get_by_role("button", name="Email it to the family").click()
        assert "Benzos, opioids and alcohol" in first.locator(".summary-box").inner_text()
        assert "Crisis and help lines" not in first.locator(".summary-box").inner_text()
        first.get_by_label("Their email address").fill("rosa@example.org")
        first.get_by_label("Date their written consent").fill(dt.date.today().isoformat())
        first.get_by_role("button", name="Send the drafts").click()
        first.wait_for_url("**/packet/sent")
        [(_, content)] = mailbox
        attached = tmp_path / "sent.pdf"
        import email
        from email import policy
        message = email.message_from_bytes(content, policy=policy.default)
        attached.write_bytes(next(message.iter_attachments()).get_content())
        cover = " ".join(pdftotext(attached).split("\f")[0].split())
        assert "Benzos, opioids and alcohol" in cover and "Crisis and help lines" not in cover
        shot(first, "two-tabs-sent", tmp_path)
    finally:
        context.close()


def test_a_document_rebuilt_after_the_page_was_shown_is_refused(page, served, tmp_path):
    ws, site = served_library(served, tmp_path)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    add_in(page, site, "staying-safe", "Staying safe with benzos")
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
    ws.write("staying-safe.md", GOOD_SOURCE.replace("Call us with questions.",
                                                    "Call us with any question."))
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    with page.expect_response("**/packet/pdf") as answer:
        page.get_by_role("button", name="Download the packet").click()
    assert answer.value.status == 409
    assert ("\u201cStaying safe with benzos\u201d was rebuilt after this page was shown"
            in page.get_by_role("alert").inner_text())
    assert page.get_by_label("Name of the patient or family").input_value() == "Rosa Diaz"
    shot(page, "packet-rebuilt", tmp_path)
    with page.expect_download() as waiting:  # the page now shows the new copy: it goes
        page.get_by_role("button", name="Download the packet").click()
    assert waiting.value.suggested_filename.startswith("packet-")


def test_placeholders_and_drafts_are_not_emailed_unless_the_clinic_allows_drafts(
        browser, served, shipped_out, mailbox, tmp_path):
    shipped = served(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"),
                     Settings(workers=1))
    careful = served(Project(sources=REPO / "sources", out=shipped_out,
                             brand=pilot_brand(tmp_path / "careful", allow_drafts=False)),
                     Settings(workers=1))
    pilot = served(Project(sources=REPO / "sources", out=shipped_out,
                           brand=pilot_brand(tmp_path / "pilot")), Settings(workers=1))
    contexts = []

    def packet_page(site):
        """A browser of its own for each app: the three share a host, and so cookies."""
        contexts.append(browser.new_context(viewport={"width": 1280, "height": 900}))
        page = contexts[-1].new_page()
        add_in(page, site, "naloxone", "Naloxone: how to save a life")
        page.goto(site + "/packet")
        return page

    try:
        # The shipped brand: its phone number is a placeholder.
        page = packet_page(shipped)
        assert "Email is off." in page.locator(".notice").last.inner_text()
        page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
        page.get_by_role("button", name="Email it to the family").click()
        assert "Email is off until the clinic's real phone number" in page.get_by_role("alert").inner_text()
        shot(page, "email-off", tmp_path)
        # A phone number, but drafts not allowed.
        page = packet_page(careful)
        assert "can be printed (with a DRAFT mark), but not emailed" in page.locator(".notice").last.inner_text()
        page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
        page.get_by_role("button", name="Email it to the family").click()
        assert ("\u201cNaloxone: how to save a life\u201d is a draft, not yet approved by a "
                "clinician" in page.get_by_role("alert").inner_text())
        shot(page, "email-draft-refused", tmp_path)
        # A pilot: drafts allowed, with a warning before sending.
        page = packet_page(pilot)
        page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
        page.get_by_role("button", name="Email it to the family").click()
        warning = page.get_by_role("note").inner_text()
        assert warning.startswith("This is a draft, not yet approved by a clinician:")
        assert "Send only if a clinician has agreed." in warning
        shot(page, "email-pilot-warning", tmp_path)
        page.get_by_label("Their email address").fill("rosa@example.org")
        page.get_by_label("Date their written consent").fill(dt.date.today().isoformat())
        page.get_by_role("button", name="Send the drafts").click()
        page.wait_for_url("**/packet/sent")
        assert len(mailbox) == 1
    finally:
        for context in contexts:
            context.close()


def test_the_pages_say_which_documents_are_not_in_the_familys_language(page, untranslated_site,
                                                                        mailbox, tmp_path):
    site = untranslated_site
    add_in(page, site, "klonopin-overview", "Klonopin (clonazepam)")
    add_in(page, site, "therapies-explained", "Talk therapy: CBT, MI, DBT and more")
    page.goto(site + "/packet")
    # One notice a language the library prints: Spanish is the one asked about here.
    notice = page.locator(".language-notice", has_text="Not in Español").inner_text()
    assert " ".join(notice.split()) == ("Not in Español: \u201cTalk therapy: CBT, MI, DBT and more\u201d. In a packet in "
            "Español, it is printed in English.")
    page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Email it to the family").click()
    notice = " ".join(page.locator(".language-notice", has_text="Not in Español")
                      .inner_text().split())
    assert notice.startswith("Not in Español: \u201cTalk therapy: CBT, MI, DBT and more\u201d goes "
                             "in English")
    assert "Tell the family before you send." in notice
    shot(page, "email-language-notice", tmp_path)


@pytest.mark.parametrize("typed, first", [
    ("Narcan", "Naloxone: how to save a life"),  # a brand name
    ("suicide", "Crisis and help lines"),  # a word it prints, from the brand's lines
    ("Klonipin", "Klonopin (clonazepam)"),  # a misspelling
])
def test_search_finds_brand_names_body_words_and_misspellings(page, site, tmp_path, typed, first):
    page.goto(site)
    page.get_by_label("Search").fill(typed)
    page.get_by_label("Search").press("Enter")
    assert page.locator(".card h3 a").first.inner_text() == first
    if typed == "Klonipin":
        assert "Did you mean Klonopin (clonazepam)?" in page.locator(".did-you-mean").inner_text()
        shot(page, "search-misspelt", tmp_path)


def test_start_the_next_family_after_sending_and_back_lands_on_a_page(page, pilot_site, mailbox,
                                                                        tmp_path):
    site = pilot_site
    add_in(page, site, "crisis-help-lines", "Crisis and help lines")
    page.goto(site + "/packet")
    page.get_by_label("Name of the patient or family").fill("Rosa Diaz")
    page.get_by_role("button", name="Email it to the family").click()
    page.get_by_label("Their email address").fill("rosa@example.org")
    page.get_by_label("Date their written consent").fill(dt.date.today().isoformat())
    page.get_by_role("button", name="Send the drafts").click()
    page.wait_for_url("**/packet/sent")
    page.go_back()  # to the email page's own address: it leads back to the sent page
    assert page.get_by_role("heading", level=1).inner_text() == "Email sent"
    assert "Rosa" not in page.content()
    page.get_by_role("button", name="Start the next family").click()
    page.wait_for_url(site + "/")
    assert page.get_by_role("status").first.inner_text() == "The packet is empty, ready for the next family."
    assert page.locator(".top .count").inner_text() == "0"
    assert len(mailbox) == 1


def test_adding_keeps_the_place_and_says_added(page, site, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(site + "/")
    card = page.locator("#card-what-is-detox")
    card.get_by_role("button", name="Add What detox is like to the packet").click()
    page.wait_for_load_state()
    assert page.url.endswith("/#card-what-is-detox")
    said = page.locator("#card-what-is-detox [role=status]")
    assert said.inner_text() == "Added to the packet (1 of 12)"
    page.wait_for_function("document.activeElement.matches('[data-focus]')")  # said first
    box = said.bounding_box()
    assert 0 <= box["y"] < 700  # on screen: the place in the catalog is kept
    shot(page, "catalog-added", tmp_path)


def test_downloads_are_named_for_their_format_and_language(page, site):
    page.goto(site + "/documents/klonopin-overview")
    for link, name in [("PDF, .*: Large print, Español", "klonopin-overview-large-print-es.pdf"),
                       ("PDF, .*: Handout, English", "klonopin-overview.pdf"),
                       ("PDF, .*: Handout, Español", "klonopin-overview-es.pdf")]:
        import re
        with page.expect_download() as waiting:
            page.get_by_role("link", name=re.compile(link)).click()
        assert waiting.value.suggested_filename == name


def test_sign_in_has_focus_the_ring_is_visible_and_nothing_is_missing(browser, guarded_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    try:
        page.goto(guarded_site + "/login")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.press("Tab")  # to the Sign in button
        ring = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); "
                             "return [s.outlineStyle, s.outlineWidth, s.outlineColor]; })()")
        assert ring == ["solid", "3px", "rgb(29, 43, 48)"]  # ink: 14:1 on white
        assert missing == []  # the favicon included
    finally:
        context.close()
