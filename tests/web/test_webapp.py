"""The staff app's routes and security, with Flask's test client."""

import contextlib
import datetime as dt
import http.client
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from conftest import (
    GOOD_SOURCE,
    REPO,
    Workspace,
    built_workspace,
    pdftotext,
    pilot_brand,
    put_back,
    source_text,
)
from ports import free_port

from handouts.cli import main
from handouts.library.build import build
from handouts.problems import UsageError
from handouts.project import BuildRequest, Project
from handouts.web.access import Guesses, client_of
from handouts.web.app import create_app
from handouts.web.forms import LIMITS
from handouts.web.settings import IN_TOTAL, PER_ADDRESS, Budget, Settings
from handouts.web.store import STORE_NAME, RedisStore, SQLiteStore

NAME = '<b>O\'Brien & "Sons"</b>'
PASSWORD = "correct horse"


def shipped(shipped_out) -> Project:
    return Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml")


# The shipped library's handouts: one card each, in English.
HANDOUTS = len([p for p in (REPO / "sources").glob("*.md") if p.name.count(".") == 1])


@pytest.fixture(scope="module")
def app_store(tmp_path_factory) -> Path:
    """The app's sessions, in a folder of their own: the shipped output's default store
    is written meanwhile by the apps that other test workers serve on it."""
    return tmp_path_factory.mktemp("app-store") / "store.sqlite3"


@pytest.fixture(scope="module")
def app(shipped_out, app_store):
    application = create_app(Project(sources=REPO / "sources", out=shipped_out,
                                     brand=REPO / "_brand.yml"),
                             Settings(workers=1, store=str(app_store)))
    application.config["TESTING"] = True
    yield application
    application.extensions["handouts"].packets.close()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def guarded(shipped_out, tmp_path_factory):
    """The app as served beyond this computer: behind the staff password."""
    # These tests guess wrong now and then; the budgets for guesses have tests of their own,
    # and each test its own store for them (the library is shared by many tests).
    roomy = Budget(burst=100, every=1.0)
    application = create_app(shipped(shipped_out), Settings(
        password=PASSWORD, workers=1, host="0.0.0.0", per_address=roomy, in_total=roomy,
        store=str(tmp_path_factory.mktemp("guarded") / "store.sqlite3")))
    yield application
    application.extensions["handouts"].packets.close()


def sign_in(client, next_: str = "") -> str:
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD, "next": next_})
    assert response.status_code == 302
    return csrf_of(client.get("/").get_data(as_text=True))  # a new session, a new token


@pytest.fixture(scope="module")
def pilot(shipped_out, tmp_path_factory):
    """The shipped library with a brand that may email families: a phone number filled in,
    drafts allowed for a pilot."""
    folder = tmp_path_factory.mktemp("pilot")
    brand = pilot_brand(folder)
    application = create_app(Project(sources=REPO / "sources", out=shipped_out, brand=brand),
                             Settings(workers=1, store=str(folder / "store.sqlite3")))
    application.config["TESTING"] = True
    yield application
    application.extensions["handouts"].packets.close()


def shown_on(page: str) -> list[str]:
    return re.findall(r'name="shown" value="([^"]+)"', page)


def packet_fields(client, **fields) -> dict:
    """The packet page's form as a browser sends it: its token, the documents the page
    shows (slug:stamp), and `fields` as typed."""
    page = client.get("/packet").get_data(as_text=True)
    return {"csrf_token": csrf_of(page), "shown": shown_on(page), **fields}


def email_page(client, **fields):
    """From the packet page to the email page: (its address, its text)."""
    response = client.post("/packet/email", data=packet_fields(client, **fields))
    assert response.status_code == 303, problem_on(response)
    address = response.headers["Location"]
    assert re.fullmatch(r"/packet/email/[\w-]{20,}", address)
    return address, client.get(address).get_data(as_text=True)


def send_from(client, address: str, **fields):
    page = client.get(address).get_data(as_text=True)
    return client.post(address, data={"csrf_token": csrf_of(page), **fields})


def add(client, *slugs):
    csrf = token(client)
    for slug in slugs:
        response = client.post("/basket", data={"csrf_token": csrf, "slug": slug, "action": "add"})
        assert response.status_code == 302
    return csrf


# -- pages ---------------------------------------------------------------------------

def test_catalog_lists_every_document_as_a_card(client):
    page = client.get("/").get_data(as_text=True)
    assert len(re.findall(r'<li class="card" id="card-[\w-]+">', page)) == HANDOUTS + 1  # and the wallet card
    assert "Klonopin (clonazepam)" in page and "Draft" in page
    assert '<main id="main"' in page and 'role="search"' in page  # landmarks
    assert '<label for="q">Search</label>' in page


def test_the_wallet_card_is_not_offered_for_packets(client):
    """It is made from the brand alone: there is no handout to put in a packet."""
    page = client.get("/").get_data(as_text=True)
    assert page.count("to the packet</button>") == HANDOUTS
    assert "Add <span class=\"visually-hidden\">Essence Healthcare wallet card" not in page
    card_page = client.get("/documents/wallet-card").get_data(as_text=True)
    assert "to the packet</button>" not in card_page and "does not go in a packet" in card_page
    csrf = token(client)
    refused = client.post("/basket", data={"csrf_token": csrf, "slug": "wallet-card", "action": "add"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "cannot go in a packet" in text and "make_docs" not in text and "No source" not in text
    # One already in a basket (from before) is left out of the packet, not an error.
    with client.session_transaction() as session:
        session["basket"] = ["wallet-card", "crisis-help-lines"]
    packet = client.get("/packet").get_data(as_text=True)
    assert "wallet card" not in packet.split("<main")[1] and "Crisis and help lines" in packet
    response = client.post("/packet/pdf", data=packet_fields(client, for_name="Ana"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def titles_on(page: str) -> list[str]:
    return re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', page)


@pytest.mark.parametrize("query, expected", [
    ("?lang=es&format=brochure", {"Líneas de crisis y de ayuda", "Naloxona: cómo salvar una vida",
                                  "El fentanilo y las pastillas falsas",
                                  "Cómo apoyar a su ser querido",
                                  "Cómo guardar y desechar sus medicinas sin peligro"}),
    ("?audience=families&topic=crisis", {"Crisis and help lines"}),
])
def test_filters(client, query, expected):
    assert set(titles_on(client.get("/" + query).get_data(as_text=True))) == expected


@pytest.mark.parametrize("query, first, also", [
    # What staff type, and the handout that must come first (and others that must be found).
    ("naloxone", "Naloxone: how to save a life", {"What detox is like", "Benzos, opioids and alcohol"}),
    ("NALOXONE", "Naloxone: how to save a life", set()),
    ("Narcan", "Naloxone: how to save a life", {"Supporting a loved one in treatment"}),  # a brand name
    ("Xanax", None, {"Benzo withdrawal and tapering"}),
    ("Suboxone", "Buprenorphine", {"Medicines for opioid use disorder"}),  # its brand name
    ("methadone", "Methadone", {"Medicines for opioid use disorder"}),
    ("Valium", "Valium (diazepam)", set()),
    ("fake pills", "Fentanyl and fake pills", set()),
    ("fentanyl", None, {"Benzos, opioids and alcohol"}),  # in the body only
    ("988", "Crisis and help lines", set()),
    ("suicide", "Crisis and help lines", set()),  # printed from the brand's crisis lines
    ("family", None, {"Supporting a loved one in treatment"}),
    ("families", None, {"Supporting a loved one in treatment"}),  # stemmed
    ("sobredosis", None, {"Naloxone: how to save a life"}),  # the Spanish copy
    ("save life", "Naloxone: how to save a life", set()),
    ("nalox", "Naloxone: how to save a life", set()),  # as typed so far
])
def test_search_finds_what_staff_type(client, query, first, also):
    page = client.get("/?" + urllib.parse.urlencode({"q": query})).get_data(as_text=True)
    titles = titles_on(page)
    assert titles, query
    if first:
        assert titles[0] == first, titles
    assert also <= set(titles), titles
    assert "Did you mean" not in page


def test_a_misspelt_medicine_finds_it_and_offers_the_title(client):
    page = client.get("/?q=Klonipin").get_data(as_text=True)
    assert titles_on(page)[0] == "Klonopin (clonazepam)"
    assert "No handout has \u201cKlonipin\u201d as written; these have \u201cklonopin\u201d." in page
    assert 'Did you mean <a href="/documents/klonopin-overview">Klonopin (clonazepam)</a>?' in page


@pytest.mark.parametrize("query", ['"; DROP TABLE documents; --', "NEAR(a b)", "a OR", "*", "^x",
                                   "title:x", "zzzzqqq", "x" * 100])
def test_search_syntax_is_words_only(client, query):
    response = client.get("/?" + urllib.parse.urlencode({"q": query}))
    assert response.status_code == 200
    assert "Something is not right" not in response.get_data(as_text=True)


def test_document_page_has_pages_downloads_print_and_translation(client, shipped_out):
    import pikepdf

    page = client.get("/documents/klonopin-overview").get_data(as_text=True)
    with pikepdf.open(shipped_out / "handout" / "klonopin-overview.pdf") as pdf:
        assert page.count('alt="Page ') == len(pdf.pages)
    for fmt in ("handout", "large-print"):
        for lang in ("en", "es"):
            assert f'/files/{fmt}/klonopin-overview/{lang}?download=1' in page
    assert 'target="_blank"' in page and "Print the handout" in page
    assert 'href="/documents/klonopin-overview?lang=es"' in page


def test_thumbnails_and_files(client):
    image = client.get("/thumbnails/handout/klonopin-overview/en/1.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get("/thumbnails/handout/klonopin-overview/en/9.png").status_code == 404
    pdf = client.get("/files/handout/klonopin-overview/es")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("path", [
    "/files/handout/..%2F..%2F_brand.yml/en",
    "/files/handout/../../_brand.yml/en",
    "/files/..%2F..%2Fetc/passwd/en",
    "/files/handout/klonopin-overview/..%2F..%2Fcatalog.json",
    "/thumbnails/handout/%2e%2e%2fsecret/en/1.png",
    "/documents/..%2F_brand.yml",
    "/fonts/..%2F..%2F_brand.yml",
])
def test_no_path_from_a_request_reaches_the_disk(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"Essence Healthcare" not in response.data or b"There is no such page" in response.data


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


# -- forms: CSRF, limits, the basket ----------------------------------------------------------

POST_ROUTES = ["/basket", "/packet", "/packet/pdf", "/packet/email", "/login", "/logout"]


@pytest.mark.parametrize("route", POST_ROUTES)
@pytest.mark.parametrize("sent", ["missing", "wrong", "another session's"])
def test_every_post_needs_its_own_csrf_token(guarded, route, sent):
    """Signed in, with a basket: the one thing missing is the right token."""
    client = guarded.test_client()
    csrf = sign_in(client)
    client.post("/basket", data={"csrf_token": csrf, "slug": "crisis-help-lines", "action": "add"})
    other = guarded.test_client()
    tokens = {"missing": None, "wrong": "x" * len(csrf), "another session's": sign_in(other)}
    form = {"slug": "crisis-help-lines", "action": "remove", "for_name": "Ana", "to": "a@b.org",
            "consent_on": "2026-11-20", "step": "send", "password": PASSWORD}
    if tokens[sent]:
        form["csrf_token"] = tokens[sent]
    response = client.post(route, data=form)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert client.get("/packet").status_code == 200  # still signed in: logout did not happen
    assert "Crisis and help lines" in client.get("/packet").get_data(as_text=True)


def test_every_form_on_every_page_carries_the_token(client):
    add(client, "crisis-help-lines")
    for path in ("/", "/documents/klonopin-overview", "/packet"):
        page = client.get(path).get_data(as_text=True)
        forms = page.count('<form method="post"')
        assert forms >= 1 and page.count('name="csrf_token"') == forms, path


# Each field, the route it is posted to, and something valid for the other fields.
FIELD_ROUTES = {
    "slug": "/basket", "action": "/basket", "next": "/basket",
    "for_name": "/packet/pdf", "clinician": "/packet/pdf", "date": "/packet/pdf",
    "note": "/packet/pdf", "lang": "/packet/pdf", "large_print": "/packet/pdf",
    "to": "/packet/email", "consent_on": "/packet/email",
    "consent_checked": "/packet/email", "shown": "/packet/pdf",
    "password": "/login", "unknown_field": "/packet/pdf",
}


def test_every_field_has_a_limit_and_a_route():
    assert set(FIELD_ROUTES) - {"unknown_field"} == set(LIMITS) - {"csrf_token"}


@pytest.mark.parametrize("field", sorted(FIELD_ROUTES))
def test_the_length_limit_of_every_field(guarded, field):
    from handouts.web.forms import OTHER_LIMIT

    limit = LIMITS.get(field, OTHER_LIMIT)
    client = guarded.test_client()
    csrf = sign_in(client)
    route = FIELD_ROUTES[field]
    if route == "/login":
        client.post("/logout", data={"csrf_token": csrf})
        csrf = csrf_of(client.get("/login").get_data(as_text=True))
    too_long = client.post(route, data={"csrf_token": csrf, field: "x" * (limit + 1)})
    assert too_long.status_code == 400
    assert f"at most {limit} characters" in too_long.get_data(as_text=True)
    just_right = client.post(route, data={"csrf_token": csrf, field: "x" * limit})
    assert "characters." not in just_right.get_data(as_text=True)


def test_the_forms_say_the_same_limits(pilot, monkeypatch):
    """The packet page says each personal field's limit in words, and sets no maxlength
    (which would cut a long name mid-word, unsaid); the address keeps its maxlength."""
    from handouts.web.forms import PERSONAL_LIMITS

    client = pilot.test_client()
    add(client, "crisis-help-lines")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    packet = client.get("/packet").get_data(as_text=True)
    _, email = email_page(client, for_name="Ana")
    found = dict(re.findall(r'<(?:input|textarea)[^>]*name="(\w+)"[^>]*maxlength="(\d+)"',
                            packet + email))
    assert found == {"to": str(LIMITS["to"])}
    for name, (_, limit) in PERSONAL_LIMITS.items():
        assert LIMITS[name] > limit  # the form takes it, so the page can say it is too long
    assert "At most 200 characters." in packet and "At most 2,000 characters." in packet


def test_basket_add_move_remove_and_unknown_documents(client):
    csrf = add(client, "klonopin-overview", "crisis-help-lines")
    page = client.get("/packet").get_data(as_text=True)
    assert page.index("Klonopin (clonazepam)") < page.index("Crisis and help lines")
    client.post("/basket", data={"csrf_token": csrf, "slug": "crisis-help-lines", "action": "up"})
    page = client.get("/packet").get_data(as_text=True)
    assert page.index("Crisis and help lines") < page.index("Klonopin (clonazepam)")
    assert client.post("/basket", data={"csrf_token": csrf, "slug": "../_brand",
                                        "action": "add"}).status_code == 400
    response = client.post("/basket", data={"csrf_token": csrf, "slug": "klonopin-overview",
                                            "action": "remove", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/packet"  # never a redirect off the site


def test_packet_download_streams_the_pdf_with_the_name_as_typed(client, tmp_path, caplog):
    add(client, "crisis-help-lines", "mixing-dangers")
    caplog.set_level(logging.DEBUG)
    response = client.post("/packet/pdf", data=packet_fields(
        client, for_name=NAME, clinician="Dr. Rivera", date="2026-11-24",
        note="See you Tuesday.", lang="en"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename=packet-2026-11-24.pdf' in response.headers["Content-Disposition"]
    path = tmp_path / "packet.pdf"
    path.write_bytes(response.data)
    cover = " ".join(pdftotext(path).split("\f")[0].split())
    assert f"Prepared for {NAME} by Dr. Rivera on November 24, 2026" in cover
    assert not any("Brien" in r.getMessage() or "Rivera" in r.getMessage() for r in caplog.records)
    assert "Brien" not in str(dict(response.headers))


def test_packet_form_problems_are_shown_not_crashed(client):
    add(client, "crisis-help-lines")
    response = client.post("/packet/pdf", data=packet_fields(client, for_name=""))
    assert response.status_code == 422
    assert "Please give the name" in response.get_data(as_text=True)
    # Too long: said on the page, with what was typed kept whole, never cut mid-word.
    name = "Ana María " * 20 + "Ruiz-Domínguez"
    too_long = client.post("/packet/pdf", data=packet_fields(client, for_name=name))
    assert too_long.status_code == 422
    assert problem_on(too_long) == (f"That is too long: the name is {len(name)} characters, and "
                                    "the packet takes at most 200. Shorten it.")
    assert f'value="{name}"' in too_long.get_data(as_text=True)


def test_enter_in_a_field_never_downloads_at_once(client):
    """A form's first submit button is the one Enter presses: on the packet page it is a
    disabled one, so Enter in the name does nothing; the buttons staff see come after."""
    add(client, "crisis-help-lines")
    packet = client.get("/packet").get_data(as_text=True)
    form = packet.split('id="packet-form"')[1].split("</form>")[0]
    buttons = re.findall(r"<button([^>]*)>([^<]*)", form)
    assert "disabled" in buttons[0][0] and buttons[0][1] == ""
    assert [text for _, text in buttons[1:]] == ["Download the packet", "Email it to the family…"]


def test_email_needs_consent_and_a_mail_server(pilot, monkeypatch, caplog):
    caplog.set_level(logging.INFO)
    client = pilot.test_client()
    add(client, "crisis-help-lines")
    monkeypatch.delenv("SMTP_HOST", raising=False)
    response = client.post("/packet/email", data=packet_fields(client, for_name="Ana"))
    assert response.status_code == 422
    assert "Email is not set up on this computer" in problem_on(response)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens: nothing may connect
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    address, _ = email_page(client, for_name="Ana")
    form = {"to": "ana@example.org"}
    response = send_from(client, address, **form)
    assert response.status_code == 422
    assert "Nothing is sent without the date" in problem_on(response)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = send_from(client, address, **form, consent_on=future)
    assert "The consent date is in the future" in problem_on(response)
    response = send_from(client, address, **form, consent_on="1989-12-31")
    assert "before 1990" in problem_on(response)
    bad = send_from(client, address, to="ana@@x", consent_on=dt.date.today().isoformat())
    assert "That email address does not look right" in problem_on(bad)
    # The mail server cannot be reached: said for the front desk, not as settings.
    down = send_from(client, address, **form, consent_on=dt.date.today().isoformat())
    text = down.get_data(as_text=True)
    assert down.status_code == 422 and "Nothing was sent" in text and "Reference: " in text
    assert "SMTP" not in text and "127.0.0.1" not in text
    # The log has the cause, and the same reference as the page; nothing personal.
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert line.startswith("delivery ") and ": failed: could not reach the mail server at " in line
    assert f"Reference: {line.split()[1].rstrip(':')}." in text
    assert "ana" not in "\n".join(r.getMessage() for r in caplog.records).lower()


def test_the_email_step_has_an_address_of_its_own(pilot, monkeypatch):
    """From the packet page, Email goes to a page of its own (GET), so that Back after
    sending lands on a page, never on "Confirm Form Resubmission". What was typed is held
    by the server for this browser, not carried in hidden fields; Back to the packet
    brings it all back."""
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    client = pilot.test_client()
    add(client, "crisis-help-lines")
    packet = client.get("/packet").get_data(as_text=True)
    packet_form = packet.split('id="packet-form"')[1].split("</form>")[0]
    assert 'name="to"' not in packet_form and 'name="consent_on"' not in packet_form
    address, text = email_page(client, for_name=NAME, clinician="Dr. Rivera", date="2026-11-24",
                               note="Line one\nLine two", lang="es", large_print="on")
    [form] = re.findall(rf'<form method="post" action="{address}" id="email-form">(.*?)</form>',
                        text, re.S)
    assert re.findall(r"<button[^>]*>([^<]+)", form)[0] == "Send the drafts"  # Enter sends
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert set(hidden) == {"csrf_token"}  # nothing personal in the page's fields
    assert "&lt;b&gt;O&#39;Brien &amp; &#34;Sons&#34;&lt;/b&gt;" in text  # shown, escaped
    assert "in Español, large print" in text
    assert pilot.test_client().get(address).status_code == 302  # not for another browser
    back = client.get(f"/packet?held={address.rsplit('/', 1)[1]}").get_data(as_text=True)
    assert 'value="Dr. Rivera"' in back and "Line one\nLine two</textarea>" in back
    assert '<option value="es" selected>' in back


def test_a_consent_long_ago_is_asked_to_be_checked(pilot, mailbox):
    received = mailbox
    client = pilot.test_client()
    add(client, "crisis-help-lines")
    address, _ = email_page(client, for_name="Ana")
    long_ago = (dt.date.today() - dt.timedelta(days=4 * 366)).isoformat()
    asked = send_from(client, address, to="ana@example.org", consent_on=long_ago)
    assert asked.status_code == 422 and "more than three years ago" in problem_on(asked)
    assert 'name="consent_checked"' in asked.get_data(as_text=True)
    assert received == []
    sent = send_from(client, address, to="ana@example.org", consent_on=long_ago,
                     consent_checked="on")
    assert sent.status_code == 303 and len(received) == 1


def smtp_server(received: list):
    from aiosmtpd.controller import Controller

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Box(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@pytest.fixture
def mailbox(monkeypatch):
    """A mail server on loopback, and the app's settings pointing at it: what it received."""
    received: list = []
    controller, port = smtp_server(received)
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "SMTP_FROM": "care@clinic.example"}.items():
        monkeypatch.setenv(name, value)
    yield received
    controller.stop()


def test_email_through_a_real_smtp_server_then_a_page_that_sends_nothing(pilot, mailbox, caplog):
    received = mailbox
    caplog.set_level(logging.INFO)
    client = pilot.test_client()
    add(client, "crisis-help-lines", "mixing-dangers")
    address, _ = email_page(client, for_name="Ana Ruiz", note="A private note")
    response = send_from(client, address, to="ana@example.org",
                         consent_on=dt.date.today().isoformat())
    # Post/Redirect/Get: the browser lands on a page that a reload cannot resend.
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"] == "/packet/sent"
    [(recipients, content)] = received
    assert recipients == ["ana@example.org"] and b"handouts.pdf" in content
    for _ in range(3):  # reloading the confirmation
        page = client.get("/packet/sent")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "The packet was emailed" in text
        assert "ana@example.org" not in text and "Ana" not in text
    # Back, to the email page: let go once sent, it leads to the sent page.
    back = client.get(address)
    assert back.status_code == 302 and back.headers["Location"] == "/packet/sent"
    assert len(received) == 1
    # One line for the delivery: its id, the documents with their codes and versions,
    # the language; nothing personal.
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert re.fullmatch(r"delivery [0-9a-f]{12}: sent, in en: crisis-help-lines EHC-ED-011 "
                        r"version \d+ en draft; mixing-dangers EHC-ED-003 version \d+ en draft",
                        line), line
    assert f"Reference: {line.split()[1].rstrip(':')}" in text  # the page gives the same one
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail"))
    assert "Ana" not in logged and "ana@" not in logged and "private note" not in logged


def test_the_sent_page_says_nothing_unless_something_was_sent(app):
    response = app.test_client().get("/packet/sent")
    assert response.status_code == 302 and response.headers["Location"] == "/packet"


def test_a_full_packet_says_so(shipped_out):
    app = create_app(shipped(shipped_out), Settings(workers=1, basket_limit=2))
    try:
        says_the_packet_is_full(app.test_client())
    finally:
        app.extensions["handouts"].packets.close()


def says_the_packet_is_full(client):
    csrf = add(client, "crisis-help-lines", "mixing-dangers")
    response = client.post("/basket", data={"csrf_token": csrf, "slug": "what-is-detox",
                                            "action": "add", "next": "/?q=detox"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "The packet already holds 2 documents, the most it can take" in text
    assert "\u201cWhat detox is like\u201d was not added" in text
    packet = client.get("/packet").get_data(as_text=True)
    assert packet.count('<span class="chosen-title">') == 2 and "What detox is like" not in packet
    assert "2 of at most 2 documents" in packet
    assert "already holds" not in packet  # said once


def problem_on(response) -> str:
    [message] = re.findall(r'<div class="problem"[^>]*><p>(.*?)</p>', response.get_data(as_text=True))
    return message


CLI_WORDING = ("make_docs", "No source", "no source", "error:", ".md", "citation", "--")


def test_packet_problems_are_in_words_for_the_front_desk(tmp_path):
    """A handout whose source went away, or went wrong, since it was built."""
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", GOOD_SOURCE)
    ws.write("gone-soon.md", source_text("title: Gone soon\nsummary: A short one."))
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    ws.write("staying-safe.md", GOOD_SOURCE.replace("@medlineplus-clonazepam", "@no-such-key"))
    (ws.sources / "gone-soon.md").unlink()
    app = create_app(ws.project, Settings(workers=1))
    try:
        client = app.test_client()
        csrf = add(client, "staying-safe", "gone-soon")
        response = client.post("/packet/pdf", data=packet_fields(client, for_name="Ana"))
        assert response.status_code == 422
        assert "<h1>Something is not right</h1>" in response.get_data(as_text=True)
        message = problem_on(response)
        assert message.startswith("This packet could not be made: \u201cGone soon\u201d cannot go "
                                  "in a packet right now")
        assert "Take it out of the packet and try again." in message
        assert not any(words in message for words in CLI_WORDING)
        client.post("/basket", data={"csrf_token": csrf, "slug": "gone-soon", "action": "remove"})
        message = problem_on(client.post("/packet/pdf", data=packet_fields(client, for_name="Ana")))
        assert message.startswith("Nothing was sent or saved: \u201cStaying safe with benzos\u201d "
                                  "was edited after the copy on this page was built")
        assert not any(words in message for words in CLI_WORDING)
    finally:
        app.extensions["handouts"].packets.close()


SECRETS = ("Ana Ruiz", "ana@example.org", "A private note")


def is_problem_page(response, status: int) -> bool:
    text = response.get_data(as_text=True)
    return (response.status_code == status and response.mimetype == "text/html"
            and "<h1>Something is not right</h1>" in text and 'role="alert"' in text
            and '<footer class="bottom">' in text and "Internal Server Error" not in text)


def test_a_packet_with_a_document_that_no_longer_builds_gets_the_problem_page(
        tmp_path, mailbox, caplog):
    """Built, and in the basket; then its source went wrong. Download and email both say
    so on the problem page, send nothing, and log the document, never the family. A
    source edited since it was built is never printed: the page showed the old one."""
    ws = Workspace(tmp_path)
    pilot_brand(ws.root)
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    received = mailbox
    app = create_app(ws.project, Settings(workers=1))
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        add(client, "staying-safe")
        address, _ = email_page(client, for_name="Ana Ruiz", note="A private note")
        download_form = packet_fields(client, for_name="Ana Ruiz", note="A private note")
        ws.write("staying-safe.md", GOOD_SOURCE.replace("@medlineplus-clonazepam", "@no-such-key"))
        download = client.post("/packet/pdf", data=download_form)
        sent = send_from(client, address, to="ana@example.org",
                         consent_on=dt.date.today().isoformat())
        for response in (download, sent):
            assert is_problem_page(response, 422)
            assert problem_on(response) == (
                "Nothing was sent or saved: \u201cStaying safe with benzos\u201d was edited after "
                "the copy on this page was built, so the packet would not be what you saw. It can "
                "go in a packet again once the library is rebuilt; tell whoever looks after the "
                "handouts.")
            assert 'href="/packet">Back to the packet</a>' in response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-store"
            assert not any(words in response.get_data(as_text=True) for words in SECRETS)
        assert received == []
        # Rebuilt, it fails to build: the catalog keeps the last good copy, and the packet
        # still cannot be made from the source as it is now.
        build(ws.project, BuildRequest(formats=("handout",), jobs=1))
        message = problem_on(client.post("/packet/pdf", data=packet_fields(client, for_name="Ana Ruiz")))
        assert "edited after the copy on this page was built" in message
    finally:
        app.extensions["handouts"].packets.close()
    logged = [record.getMessage() for record in caplog.records]
    assert any("staying-safe" in line for line in logged)  # for whoever fixes it
    assert not any(words in line for line in logged for words in SECRETS)


def test_a_packet_of_a_source_nested_too_deep_is_refused_in_words(tmp_path, caplog):
    """Quotes nested thousands deep once overflowed WeasyPrint's stack in the packet's
    worker (a 500); now the document is refused where its body is read, and the app's
    page names it, as for any document that does not build."""
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", GOOD_SOURCE + ">" * 5000 + " Too deep.\n")
    ws.write("other.md", source_text("title: Other\nsummary: Another one."))
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))  # other.md builds
    ws.write("other.md", source_text("title: Other\nsummary: Another one.",
                                     ">" * 5000 + " Too deep.\n"))
    app = create_app(ws.project, Settings(workers=1))
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        add(client, "other")
        response = client.post("/packet/pdf", data=packet_fields(client, for_name="Ana Ruiz"))
        assert is_problem_page(response, 422), response.get_data(as_text=True)[:300]
        assert "\u201cOther\u201d" in problem_on(response)
        assert client.get("/packet").status_code == 200  # the app is still there
    finally:
        app.extensions["handouts"].packets.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_unexpected_failure_logs_no_words_of_its_message(shipped_out, caplog):
    app = create_app(shipped(shipped_out), Settings(workers=1))

    def fails():
        raise ValueError("no such address: ana@example.org")  # as a library's message may

    app.add_url_rule("/fails", view_func=fails)
    caplog.set_level(logging.DEBUG)
    try:
        response = app.test_client().get("/fails")
    finally:
        app.extensions["handouts"].packets.close()
    assert is_problem_page(response, 500)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ValueError on fails [GET]" in logged and "in fails\n" in logged  # what, and where
    assert "ana@" not in logged and "no such address" not in logged


def test_a_brand_file_broken_while_serving_takes_no_page_down(tmp_path):
    """The build says what is wrong with it; meanwhile every page keeps the clinic's name
    and crisis lines, and a packet (which needs the brand) says it cannot be made."""
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    app = create_app(ws.project, Settings(workers=1))
    try:
        client = app.test_client()
        add(client, "staying-safe")
        ws.brand.write_text(ws.brand.read_text().replace("meta:", "meta: [", 1))
        for path in ("/", "/packet", "/documents/staying-safe", "/no-such-page"):
            response = client.get(path)
            assert response.status_code in (200, 404), path
            assert "Essence Healthcare" in response.get_data(as_text=True) and "988" in \
                response.get_data(as_text=True), path
        response = client.post("/packet/pdf", data=packet_fields(client, for_name="Ana Ruiz"))
        assert is_problem_page(response, 422)
        assert problem_on(response).startswith("This packet could not be made.")
    finally:
        app.extensions["handouts"].packets.close()


def files_under(path: Path) -> list[Path]:
    try:
        return [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    except OSError:  # gone already, or not ours to read
        return []


def holds_a_packet(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return data.startswith(b"%PDF") or b"Zelda" in data or b"Private note" in data


def test_nothing_is_written_to_disk_for_a_packet(client, app, app_store):
    """The packet is made in memory and streamed: the output folder, the app's store and
    the temporary folder hold the same files after as before, and this process opens
    nothing to write."""
    out = app.extensions["handouts"].project.out
    add(client, "crisis-help-lines")
    client.post("/packet/pdf", data=packet_fields(client, for_name="Warm-up"))  # caches, fonts

    def listing():
        # The thumbnail cache is left out: the shipped output is shared by every test
        # worker, and another may be drawing thumbnails into it now. This process's
        # own writes, there or anywhere, are caught by the audit hook below.
        # The shared store's files too: sessions of the apps other workers serve.
        files = {(str(p), p.stat().st_size) for p in out.rglob("*")
                 if p.is_file() and ".cache" not in p.relative_to(out).parts
                 and not p.name.startswith(STORE_NAME)}
        files |= {(str(p), p.stat().st_size) for p in app_store.parent.iterdir()}
        temporary = {p.name for p in Path(tempfile.gettempdir()).iterdir()}
        return files, temporary

    writes = []
    watching = threading.Event()

    def audit(event, args):
        if watching.is_set() and event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR))
            if writing and not isinstance(path, int):
                writes.append(path)

    sys.addaudithook(audit)
    before = listing()
    watching.set()
    try:
        response = client.post("/packet/pdf", data=packet_fields(client, for_name="Zelda Quist",
                                                                 note="Private note"))
    finally:
        watching.clear()
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    after = listing()
    assert after[0] == before[0]
    # Other programs may use the temporary folder meanwhile: what is new must not be a packet.
    temporary = Path(tempfile.gettempdir())
    assert [path for name in after[1] - before[1] for path in files_under(temporary / name)
            if holds_a_packet(path)] == []
    assert writes == []


# -- signing in ---------------------------------------------------------------------------

def test_a_password_guards_everything_but_the_sign_in_page_and_its_look(guarded):
    client = guarded.test_client()
    for path in ("/", "/documents/klonopin-overview", "/files/handout/klonopin-overview/en",
                 "/thumbnails/handout/klonopin-overview/en/1.png", "/packet", "/packet/sent"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    page = client.get("/login").get_data(as_text=True)
    # The sign-in page in the clinic's look: its stylesheet and typeface load signed out.
    assert 'href="/static/web.css"' in page
    css = client.get("/static/web.css")
    assert css.status_code == 200 and b"/fonts/AtkinsonHyperlegible-Regular.ttf" in css.data
    for face in re.findall(rb"url\((/fonts/[^)]+)\)", css.data):
        assert client.get(face.decode()).status_code == 200
    assert 'aria-label="Main"' not in page  # no menu of pages that would only ask to sign in
    csrf = csrf_of(page)
    wrong = client.post("/login", data={"csrf_token": csrf, "password": "guess"})
    assert wrong.status_code == 401 and "That password is not right" in wrong.get_data(as_text=True)
    right = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD,
                                        "next": "//evil.example/"})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    cookie = right.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/documents/klonopin-overview").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_sign_in_never_leads_off_the_site(guarded, target):
    client = guarded.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    right = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD, "next": target})
    assert right.headers["Location"] == "/"


def test_a_wrong_password_keeps_where_you_were_going(guarded):
    client = guarded.test_client()
    first = client.get("/documents/klonopin-overview?lang=es")
    assert first.headers["Location"] == "/login?next=/documents/klonopin-overview?lang%3Des"
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/documents/klonopin-overview?lang=es"' in page
    wrong = client.post("/login", data={"csrf_token": csrf_of(page), "password": "guess",
                                        "next": "/documents/klonopin-overview?lang=es"})
    page = wrong.get_data(as_text=True)
    assert 'name="next" value="/documents/klonopin-overview?lang=es"' in page
    right = client.post("/login", data={"csrf_token": csrf_of(page), "password": PASSWORD,
                                        "next": "/documents/klonopin-overview?lang=es"})
    assert right.headers["Location"] == "/documents/klonopin-overview?lang=es"


def test_signing_out_ends_the_sign_in_even_for_a_copied_cookie(guarded):
    mine, copy = guarded.test_client(), guarded.test_client()
    csrf = sign_in(mine)
    copy.set_cookie("session", mine.get_cookie("session").value)
    assert copy.get("/packet").status_code == 200  # the copy works while I am signed in
    assert mine.post("/logout", data={"csrf_token": csrf}).status_code == 302
    response = copy.get("/packet")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert mine.get("/packet").status_code == 302


@pytest.mark.parametrize("kept_in", ["sqlite", "redis"])
def test_every_process_of_the_app_shares_a_sign_in_and_signing_out_ends_it_in_all(
        shipped_out, kept_in, request, tmp_path):
    # Two apps on one output folder (or one Redis), each with its own key, as two
    # processes behind a proxy (or one restarted) are: either serves the same browser.
    url = request.getfixturevalue("redis_url") if kept_in == "redis" else None
    store = url or str(tmp_path / "store.sqlite3")
    apps = [create_app(shipped(shipped_out), Settings(password=PASSWORD, workers=1,
                                                      host="0.0.0.0", store=store))
            for _ in range(2)]
    try:
        first, second = (app.test_client() for app in apps)
        csrf = sign_in(first)
        second.set_cookie("session", first.get_cookie("session").value)
        assert second.get("/packet").status_code == 200
        assert second.post("/logout", data={"csrf_token": csrf}).status_code == 302
        response = first.get("/packet")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    finally:
        for app in apps:
            app.extensions["handouts"].packets.close()


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    """Each store the app can share between its processes: SQLite, and a real Redis."""
    if request.param == "redis":
        return RedisStore(request.getfixturevalue("redis_url"))
    return SQLiteStore(tmp_path / "store.sqlite3")


def test_the_sqlite_store_is_write_ahead_for_every_connection_and_thread(tmp_path):
    """Set once, on the file: a connection that never asks for it reads without waiting
    for a writer too, and threads opening their first connections at once all get one."""
    import sqlite3

    store = SQLiteStore(tmp_path / "store.sqlite3")
    other = sqlite3.connect(tmp_path / "store.sqlite3")
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    other.close()
    start, failed = threading.Barrier(8), []

    def first_request(n: int) -> None:
        start.wait()
        try:
            store.put(f"k{n}", {"n": n}, 60)
            assert store.get(f"k{n}") == {"n": n}
        except Exception as exc:  # noqa: BLE001 - each thread's failure, said by the test
            failed.append(repr(exc))

    threads = [threading.Thread(target=first_request, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []


@dataclass
class Clock:
    """Time for a budget, moved on by the test."""
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_address_has_its_own_budget_of_guesses(store):
    clock = Clock()
    guesses = Guesses(store, Budget(burst=3, every=10.0), Budget(burst=100, every=1.0), clock)
    assert [guesses.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert guesses.take("10.0.0.1") == pytest.approx(10.0)  # spent: refused, with the wait
    assert guesses.take("10.0.0.1") == pytest.approx(10.0)  # a refused guess costs nothing more
    assert guesses.take("10.0.0.2") == 0.0  # another address is not locked out
    clock.now += 4
    assert guesses.take("10.0.0.1") == pytest.approx(6.0)
    clock.now += 6
    assert guesses.take("10.0.0.1") == 0.0  # one earned back
    assert guesses.take("10.0.0.1") == pytest.approx(10.0)
    clock.now += 30
    assert [guesses.take("10.0.0.1") for _ in range(4)][-1] > 0  # whole again: three, not more


def test_every_address_together_has_a_budget_too(store):
    clock = Clock()
    guesses = Guesses(store, Budget(burst=3, every=10.0), Budget(burst=5, every=2.0), clock)
    allowed = [guesses.take(f"10.0.0.{n}") == 0.0 for n in range(1, 9)]
    assert allowed == [True] * 5 + [False] * 3  # one guess each, but eight addresses
    assert guesses.take("10.0.0.9") == pytest.approx(2.0)
    clock.now += 2
    assert guesses.take("10.0.0.9") == 0.0


@pytest.mark.parametrize("burst", [1, 2, 5])
def test_a_fresh_budget_allows_its_first_guess_whatever_the_clock_says(burst, tmp_path):
    """At any time of day: the clock's value is large, and sums with it round."""
    for number, now in enumerate([0.1, 1000.0, 4711.3, 86_399.7, 123_456.789, 987_654.321,
                                  3.3e6 + 0.1]):
        store = SQLiteStore(tmp_path / f"{number}.sqlite3")
        guesses = Guesses(store, Budget(burst, every=3600.0), Budget(burst, every=3600.0), Clock(now))
        assert [guesses.take("10.0.0.1") for _ in range(burst)] == [0.0] * burst, now
        assert guesses.take("10.0.0.1") == pytest.approx(3600.0), now


def test_a_right_password_costs_no_guess(store):
    clock = Clock()
    guesses = Guesses(store, Budget(burst=2, every=60.0), Budget(burst=2, every=60.0), clock)
    for _ in range(10):  # signing in (and out) all day spends nothing
        assert guesses.take("10.0.0.1") == 0.0
        guesses.give_back("10.0.0.1")
    assert [guesses.take("10.0.0.1") for _ in range(3)] == [0.0, 0.0, pytest.approx(60.0)]


@pytest.mark.parametrize("one, other, same", [
    ("10.0.0.1", "10.0.0.1", True),
    ("10.0.0.1", "10.0.0.2", False),
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", True),  # one network's /64
    ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
    ("::ffff:10.0.0.1", "10.0.0.1", True),  # IPv4 on an IPv6 socket
])
def test_whose_guess_it_is(one, other, same):
    assert (client_of(one) == client_of(other)) is same
    assert client_of(None) == client_of("not an address") == "unknown"


def test_the_budgets_are_small_enough():
    """A day of guessing, flat out: under 5,000 from one address and 18,000 from any
    number (before, one a second in turn: 86,400), and never a long wait for staff."""
    day = 24 * 3600
    assert PER_ADDRESS.burst + day / PER_ADDRESS.every < 5000
    assert IN_TOTAL.burst + day / IN_TOTAL.every < 18000
    assert PER_ADDRESS.burst >= 3 and max(PER_ADDRESS.every, IN_TOTAL.every) <= 30


def test_signed_in_staff_never_meet_the_budget(shipped_out, tmp_path):
    """Whatever guessers have spent, a signed-in member of staff is never refused: their
    requests do not go near it, a visit to the sign-in page included."""
    none_left = Budget(burst=1, every=3600.0)
    app = create_app(shipped(shipped_out), Settings(password=PASSWORD, workers=1, host="0.0.0.0",
                                                    per_address=none_left, in_total=none_left,
                                                    store=str(tmp_path / "store.sqlite3")))
    try:
        staff, guesser = app.test_client(), app.test_client()
        sign_in(staff)  # spends the one guess, and gives it back
        csrf = csrf_of(guesser.get("/login").get_data(as_text=True))
        assert guesser.post("/login", data={"csrf_token": csrf, "password": "x"}).status_code == 401
        refused = guesser.post("/login", data={"csrf_token": csrf, "password": PASSWORD})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
        assert "Too many wrong passwords" in refused.get_data(as_text=True)
        for path in ("/", "/packet", "/documents/klonopin-overview", "/login"):
            assert staff.get(path).status_code in (200, 302), path
        assert staff.get("/login").headers["Location"] == "/"
        assert app.extensions["handouts"].guesses.take("127.0.0.1") > 0  # still spent
    finally:
        app.extensions["handouts"].packets.close()


# -- guesses against the app as served -----------------------------------------------------

@dataclass
class Browser:
    """A plain HTTP client with a cookie, from a chosen loopback address: Linux answers
    to all of 127.0.0.0/8, so one machine can be many clients, each as the app sees it."""
    port: int
    source: str = "127.0.0.1"
    cookie: str = ""
    headers: dict = field(default_factory=dict)

    def request(self, method: str, path: str, fields: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120,
                                                source_address=(self.source, 0))
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urllib.parse.urlencode(fields).encode() if fields is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.getheader("Set-Cookie"):
            self.cookie = response.getheader("Set-Cookie").split(";")[0]
        self.headers = dict(response.getheaders())
        return response.status, data

    def csrf(self, path: str = "/login") -> str:
        return csrf_of(self.request("GET", path)[1].decode())

    def guess(self, password: str, csrf: str) -> int:
        return self.request("POST", "/login", {"csrf_token": csrf, "password": password})[0]


def answering(port: int, server: subprocess.Popen, deadline: float) -> None:
    """Once the app on `port` answers: the catalog built, then each handout laid out for
    packets."""
    while True:
        try:
            Browser(port).request("GET", "/login")
            return
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)


@contextlib.contextmanager
def serving(shipped_out, **env):
    """`make_docs.py serve` on a free port, as staff start it, until the block ends."""
    port = free_port()
    # Sessions and budgets of its own: other tests' guesses were made on the same library.
    store = Path(tempfile.mkdtemp()) / "store.sqlite3"
    server = subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port",
                               str(port), "--sources", str(REPO / "sources"), "--out",
                               str(shipped_out), "--store", str(store)], cwd=REPO,
                              env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        answering(port, server, time.monotonic() + 300)
        yield port, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


def signed_in_browser(port: int) -> Browser:
    staff = Browser(port)
    assert staff.guess(PASSWORD, staff.csrf()) == 302
    assert staff.request("GET", "/")[0] == 200
    return staff


@pytest.mark.parametrize("addresses, budget", [(1, PER_ADDRESS), (40, IN_TOTAL)])
def test_forty_guesses_at_once_never_hold_up_a_signed_in_page(shipped_out, addresses, budget):
    """The outside test: forty wrong passwords at once, from one address or from forty,
    while a member of staff is signed in. Their pages still answer at once; the guesses
    beyond the budget are refused at once, with a Retry-After."""
    with serving(shipped_out, HANDOUTS_STAFF_PASSWORD=PASSWORD) as (port, _):
        staff = signed_in_browser(port)
        guessers = [Browser(port, f"127.0.0.{2 + n % addresses}") for n in range(40)]
        tokens = [guesser.csrf() for guesser in guessers]  # each its own session, as a script's
        answers: list[tuple[int, str]] = []
        start = threading.Barrier(len(guessers) + 1)

        def guess(guesser, csrf):
            start.wait()
            code = guesser.guess("a guess", csrf)
            answers.append((code, guesser.headers.get("Retry-After", "")))

        threads = [threading.Thread(target=guess, args=pair) for pair in zip(guessers, tokens, strict=True)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        waits = []
        while any(thread.is_alive() for thread in threads) or len(waits) < 5:
            asked = time.monotonic()
            assert staff.request("GET", "/")[0] == 200
            waits.append(time.monotonic() - asked)
        for thread in threads:
            thread.join()
        took = time.monotonic() - began
    assert max(waits) < 1.0, f"signed-in page: median {statistics.median(waits):.3f} s"
    codes = [code for code, _ in answers]
    assert set(codes) == {401, 429} and len(codes) == 40
    # The budget's burst, and what it earned back while the test ran.
    assert budget.burst <= codes.count(401) <= budget.burst + took // budget.every
    assert all(1 <= int(after) <= budget.every for code, after in answers if code == 429)
    assert took < 10  # every guess answered at once, none held


def test_one_address_guessing_does_not_lock_out_another(shipped_out):
    with serving(shipped_out, HANDOUTS_STAFF_PASSWORD=PASSWORD) as (port, _):
        guesser, staff = Browser(port, "127.0.0.2"), Browser(port, "127.0.0.3")
        csrf = guesser.csrf()
        codes = [guesser.guess("a guess", csrf) for _ in range(PER_ADDRESS.burst + 1)]
        assert codes == [401] * PER_ADDRESS.burst + [429]
        assert guesser.guess(PASSWORD, csrf) == 429  # spent: even the right one waits
        assert staff.guess("a typo", staff.csrf()) == 401  # checked, not refused
        assert staff.guess(PASSWORD, staff.csrf()) == 302
        assert staff.request("GET", "/packet")[0] == 200


@pytest.fixture(scope="module")
def on_port_8000(shipped_out):
    """The app as served on this computer's port 8000: one for every Host below (it
    starts a packet worker of its own)."""
    application = create_app(shipped(shipped_out), Settings(workers=1, port=8000))
    yield application
    application.extensions["handouts"].packets.close()


@pytest.mark.parametrize("host, answered", [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("LOCALHOST:8000", True),
    ("evil.example:8000", False), ("127.0.0.1.evil.example:8000", False), ("127.0.0.1:9999", False),
    ("localhost", False), ("", False),
])
def test_on_this_computer_only_requests_addressed_to_it_are_answered(on_port_8000, host, answered):
    """DNS rebinding: a web page elsewhere points its name at 127.0.0.1 to read the app.
    Its requests carry its own name in Host: refused, static files and all."""
    client = on_port_8000.test_client()
    for path in ("/", "/static/web.css", "/packet"):
        response = client.get(path, headers={"Host": host})
        assert (response.status_code == 200) == answered, (host, path)
        if not answered:
            assert response.status_code == 400 and b"Essence" not in response.data


def test_serving_beyond_this_computer_needs_a_password(monkeypatch, capsys, shipped_out):
    monkeypatch.delenv("HANDOUTS_STAFF_PASSWORD", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--sources", str(REPO / "sources")]) == 2
    assert "set a staff password in HANDOUTS_STAFF_PASSWORD" in capsys.readouterr().err
    with pytest.raises(UsageError, match="set a staff password in HANDOUTS_STAFF_PASSWORD"):
        create_app(shipped(shipped_out), Settings(host="0.0.0.0", workers=1))


def test_on_0_0_0_0_with_a_password_it_starts(monkeypatch, shipped_out):
    """The command line hands over to the server, and the app answers every name the
    clinic's computers may use for it, behind the sign-in page."""
    import handouts.web.app

    served = []
    monkeypatch.setenv("HANDOUTS_STAFF_PASSWORD", PASSWORD)
    monkeypatch.setattr(handouts.web.app, "serve", lambda *args, **kwargs: served.append(args))
    code = main(["serve", "--host", "0.0.0.0", "--port", "8123", "--sources", str(REPO / "sources"),
                 "--out", str(shipped_out), "--brand", str(REPO / "_brand.yml")])
    assert code == 0
    [(project, settings)] = served
    assert (settings.host, settings.port, settings.password) == ("0.0.0.0", 8123, PASSWORD)
    app = create_app(project, replace(settings, workers=1))
    try:
        client = app.test_client()
        response = client.get("/", headers={"Host": "frontdesk-pc.clinic.lan:8123"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert client.get("/login", headers={"Host": "10.0.0.7:8123"}).status_code == 200
    finally:
        app.extensions["handouts"].packets.close()


def test_every_value_is_escaped(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("odd.md", source_text('title: "<script>alert(1)</script> & more"\n'
                                   'summary: "<img src=x onerror=alert(2)>"'))
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    app = create_app(ws.project, Settings(workers=1))
    try:
        page = app.test_client().get("/").get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
        assert "<img src=x" not in page
    finally:
        app.extensions["handouts"].packets.close()


def test_a_packet_goes_to_the_least_busy_worker_counting_what_it_must_lay_out():
    """A packet costs a cover, and more for each handout no worker has laid out yet:
    laid out once, a handout is kept for every worker (deliver/packet_parts.py)."""
    from handouts.web.packet_pool import PacketPool

    renderer = PacketPool(workers=2)
    new, kept = PacketPool.COST_PACKET + PacketPool.COST_HANDOUT, PacketPool.COST_PACKET
    try:
        first, cost = renderer.choose(("klonopin-overview",), "en", False)
        assert cost == new
        other, cost = renderer.choose(("klonopin-overview", "what-is-detox"), "en", False)
        assert other != first and cost == new  # the Klonopin handout is laid out by then
        renderer.queued[first] -= PacketPool.COST_HANDOUT  # the first is further on
        assert renderer.choose(("klonopin-overview",), "en", False) == (first, kept)
        assert renderer.choose(("klonopin-overview",), "es", False)[1] == new
        assert renderer.choose(("klonopin-overview",), "en", True)[1] == new  # large print
    finally:
        renderer.close()


def test_warm_workers_lay_out_the_library_between_them(tmp_path):
    """`serve` has its packet workers share out the library's handouts at start, each
    laying out its part for every worker to find; so the first family's packet is
    made of handouts already laid out. What older inputs made is removed."""
    from handouts.deliver.packet import PacketRequest, Personalisation
    from handouts.deliver.packet_parts import PARTS_FOLDER
    from handouts.web.packet_pool import PacketPool

    ws = Workspace(tmp_path)
    for name, code in (("a", 91), ("b", 92), ("c", 93)):
        ws.write(f"{name}.md", source_text(f"title: {name.upper()}\nsummary: S\ncode: EHC-ED-0{code}"))
    parts = ws.project.out / PARTS_FOLDER
    parts.mkdir(parents=True)
    (parts / "0123.pdf").write_bytes(b"made from what is gone")
    renderer = PacketPool(workers=2, warm_with=ws.project)
    try:
        renderer.wait_until_warm(timeout=240)
        shares = [set(share) for share in renderer.laid_out_by]
        assert all(shares) and not shares[0] & shares[1]
        assert shares[0] | shares[1] == {("a", "en"), ("b", "en"), ("c", "en")}
        assert renderer.made == {("a", "en", False), ("b", "en", False), ("c", "en", False)}
        laid_out = {path.name: path.stat().st_ino for path in parts.iterdir()}
        assert len(laid_out) == 2 * 3 and "0123.pdf" not in laid_out  # a PDF and a record each
        packet = renderer.packet(ws.project, PacketRequest(("c", "a"), Personalisation("Ana")))
        assert packet.contents == (("c", "en"), ("a", "en"))
        assert {path.name: path.stat().st_ino for path in parts.iterdir()} == laid_out
    finally:
        renderer.close()


def test_closing_during_the_warm_up_waits_for_the_handout_in_hand_not_the_rest(tmp_path):
    """Ctrl-C while the app lays out the library for packets stops it within one
    handout's layout, not a worker's whole share, and leaves no part half written."""
    from handouts.deliver.packet_parts import PARTS_FOLDER
    from handouts.web.packet_pool import PacketPool

    ws = Workspace(tmp_path)
    for number in range(6):
        ws.write(f"d{number}.md", source_text(f"title: D{number}\nsummary: S\n"
                                              f"code: EHC-ED-05{number}"))
    renderer = PacketPool(workers=1, warm_with=ws.project)
    renderer.close()  # while the worker is still starting
    assert not any(warming.is_alive() for warming in renderer.warming)
    [laid_out] = renderer.laid_out_by
    assert len(laid_out) <= 1
    parts = ws.project.out / PARTS_FOLDER
    pdfs = {path.stem for path in parts.glob("*.pdf")}
    assert pdfs == {path.stem for path in parts.glob("*.json")} and len(pdfs) <= 1


def test_a_worker_that_dies_is_replaced(client, app):
    import signal

    add(client, "crisis-help-lines")
    form = packet_fields(client, for_name="Ana Ruiz")
    assert client.post("/packet/pdf", data=form).status_code == 200
    renderer = app.extensions["handouts"].packets
    [worker] = renderer.pools[0]._processes  # the one warm worker of this app
    os.kill(worker, signal.SIGKILL)
    response = client.post("/packet/pdf", data=form)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_stopping_the_app_stops_its_workers(shipped_out, stop):
    """However the app ends, its render workers (and their fork server) end with it."""
    import http.cookiejar
    import signal
    import subprocess
    import urllib.parse
    import urllib.request

    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port", str(port),
                               "--sources", str(REPO / "sources"), "--out", str(shipped_out)],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    deadline = time.monotonic() + 300  # the catalog built, then each handout laid out for packets
    while True:
        try:
            page = opener.open(base + "/", timeout=10).read().decode()
            break
        except OSError:
            assert time.monotonic() < deadline and server.poll() is None
            time.sleep(0.2)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(path, **fields):
        data = urllib.parse.urlencode({"csrf_token": csrf, **fields}).encode()
        return opener.open(base + path, data=data, timeout=60).read()

    post("/basket", slug="crisis-help-lines", action="add")
    [shown] = re.findall(r'name="shown" value="([^"]+)"',
                         opener.open(base + "/packet", timeout=10).read().decode())
    assert post("/packet/pdf", for_name="Ana Ruiz", shown=shown).startswith(b"%PDF")
    helpers = descendants(server.pid)
    assert helpers  # the fork server and a warm worker at least
    server.send_signal(getattr(signal, stop))
    server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (alive := [p for p in helpers if running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive == []


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


# -- what an outside test of the delivery found -------------------------------------------

def test_two_sends_of_one_email_page_at_once_send_one_email(pilot, mailbox):
    """A double click on Send: two requests with the same held form, at the same moment."""
    received = mailbox
    client = pilot.test_client()
    add(client, "crisis-help-lines")
    address, page = email_page(client, for_name="Ana")
    form = {"csrf_token": csrf_of(page), "to": "ana@example.org",
            "consent_on": dt.date.today().isoformat()}
    cookie = client.get_cookie("session").value
    answers = []

    def press():
        other = pilot.test_client()
        other.set_cookie("session", cookie)
        answers.append(other.post(address, data=form).status_code)

    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join()
    assert len(received) == 1, answers
    assert sorted(answers) in ([303, 409], [302, 303])  # the second: said, or the sent page


@pytest.mark.parametrize("forged", ["thirteen", "twice", "the wallet card"])
def test_a_list_of_documents_the_page_never_showed_is_refused(client, forged):
    add(client, "crisis-help-lines", "mixing-dangers")
    fields = packet_fields(client, for_name="Ana")
    shown = fields["shown"]
    if forged == "thirteen":
        shown = shown + [f"no-such-{n}:x" for n in range(11)]
    elif forged == "twice":
        shown = [shown[0], shown[0]]
    else:
        card = client.application.extensions["handouts"].catalog.card("wallet-card")
        shown = [f"wallet-card:{card.stamp}"]
    response = client.post("/packet/pdf", data={**fields, "shown": shown})
    assert response.status_code == 409 and not response.data.startswith(b"%PDF")
    message = problem_on(response)
    assert "Nothing was sent or saved" in message
    if forged == "the wallet card":
        assert "is printed on its own and does not go in a packet" in message


def build_one_handout(ws: Workspace) -> None:
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))


@pytest.fixture(scope="module")
def one_handout(tmp_path_factory) -> tuple[Path, Path]:
    return built_workspace(tmp_path_factory, "one-handout", build_one_handout)


@pytest.mark.parametrize("damage", [b"", b"garbage" * 100, None])
def test_search_without_a_readable_index_still_finds_titles_and_says_so(one_handout, damage):
    ws = put_back(one_handout)
    index = ws.out / "search.sqlite"
    if damage is None:
        index.unlink()
    else:
        index.write_bytes(damage)
    app = create_app(ws.project, Settings(workers=1))
    try:
        response = app.test_client().get("/?q=staying+safe")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert titles_on(page) == ["Staying safe with benzos"]
        assert "Full search is not available until the handouts are built again" in page
    finally:
        app.extensions["handouts"].packets.close()


def test_a_control_character_in_the_name_is_said_on_the_page(client):
    add(client, "crisis-help-lines")
    response = client.post("/packet/pdf", data=packet_fields(client, for_name="Ana\x07 Ruiz"))
    assert response.status_code == 422
    assert problem_on(response) == ("The name has a character that cannot be printed (often "
                                    "pasted from another program): type it again.")


# -- the app as several processes ---------------------------------------------------


@contextlib.contextmanager
def app_processes(shipped_out, *options: str, count: int = 2):
    """`count` processes of `make_docs.py serve` on one library, each on its own port, as
    behind a proxy; stopped when the block ends."""
    ports = [free_port() for _ in range(count)]
    servers = [subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port",
                                 str(port), "--sources", str(REPO / "sources"), "--out",
                                 str(shipped_out), *options], cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for port in ports]
    try:
        deadline = time.monotonic() + 300
        for port, server in zip(ports, servers, strict=True):
            answering(port, server, deadline)
        yield ports, servers
    finally:
        for server in servers:
            if server.poll() is None:
                server.terminate()
            server.wait(timeout=30)


def every_value(client) -> bytes:
    """Everything a Redis database holds, keys and values, as one run of bytes."""
    found = []
    for key in client.keys("*"):
        kind = client.type(key)
        found.append(key)
        if kind == b"string":
            found.append(client.get(key))
        elif kind == b"hash":
            found += [b for pair in client.hgetall(key).items() for b in pair]
        elif kind == b"list":
            found += client.lrange(key, 0, -1)
        elif kind in (b"set", b"zset"):
            found += list(client.smembers(key)) if kind == b"set" else client.zrange(key, 0, -1)
        elif kind == b"stream":
            found += [repr(entry).encode() for entry in client.xrange(key)]
    return b"\n".join(v for v in found if v)


@pytest.mark.parametrize("kept_in", ["sqlite", "redis"])
def test_two_app_processes_serve_one_member_of_staff_interchangeably(shipped_out, tmp_path,
                                                                      kept_in, request):
    """What staff put in a basket on one process is there on the other, which makes
    the packet; with a queue, a render worker makes it, and Redis forgets the family."""
    repo = REPO
    if kept_in == "redis":
        url = request.getfixturevalue("redis_url")
        options = ("--queue", url)  # sessions in Redis; packets by the queue's worker
        worker = subprocess.Popen(
            [sys.executable, str(repo / "make_docs.py"), "worker", "--queue", url, "--sources",
             str(repo / "sources"), "--out", str(shipped_out)], cwd=repo,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    else:
        options = ("--store", str(tmp_path / "shared.sqlite3"))  # as in the output folder
    try:
        with app_processes(shipped_out, *options) as (ports, _):
            staff = Browser(ports[0])
            csrf = csrf_of(staff.request("GET", "/")[1].decode())
            assert staff.request("POST", "/basket", {"csrf_token": csrf, "slug": "naloxone",
                                                     "action": "add"})[0] == 302
            staff.port = ports[1]  # the proxy sends the next request to the other process
            status, page = staff.request("GET", "/packet")
            assert status == 200 and "naloxone:" in page.decode()  # the basket came along
            status, pdf = staff.request("POST", "/packet/pdf", {
                "csrf_token": csrf, "shown": shown_on(page.decode())[0],
                "for_name": "Rosalind Quayle"})
            assert status == 200 and pdf.startswith(b"%PDF"), pdf[:300]
            packet = tmp_path / "packet.pdf"
            packet.write_bytes(pdf)
            text = " ".join(pdftotext(packet).split())
            assert "Rosalind Quayle" in text and "Naloxone" in text
    finally:
        if kept_in == "redis":
            worker.kill()
            _, logged = worker.communicate(timeout=30)
    if kept_in == "sqlite":
        kept = b"".join(p.read_bytes() for p in tmp_path.glob("shared.sqlite3*"))
        assert b"naloxone" in kept and b"Quayle" not in kept  # the basket, never the family
    if kept_in == "redis":
        held = every_value(request.getfixturevalue("redis_server").client)
        assert b"Quayle" not in held and b"rq:job:" not in held  # the job went as it ended
        assert "a packet: finished" in logged and "Quayle" not in logged


def test_a_packet_a_worker_refuses_leaves_nothing_of_the_family_in_redis(
        shipped_out, tmp_path, redis_url, redis_server, caplog):
    """A packet that fails on the queue (here, its worker's copy of the library is not
    the app's) is a page in words; its job, with the family's name, is gone from Redis
    at once, and the log says why without the name."""
    copy = tmp_path / "stale-sources"
    shutil.copytree(REPO / "sources", copy)
    (copy / "naloxone.md").write_text((copy / "naloxone.md").read_text() + "\nOne more line.\n")
    worker = subprocess.Popen(
        [sys.executable, str(REPO / "make_docs.py"), "worker", "--queue", redis_url,
         "--sources", str(copy), "--brand", str(REPO / "_brand.yml"), "--out", str(tmp_path)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    caplog.set_level(logging.INFO)
    app = create_app(shipped(shipped_out), Settings(workers=1, queue=redis_url))
    try:
        client = app.test_client()
        add(client, "naloxone")
        response = client.post("/packet/pdf", data=packet_fields(client,
                                                                 for_name="Rosalind Quayle"))
        assert response.status_code == 500
        assert "That did not work" in response.get_data(as_text=True)
    finally:
        app.extensions["handouts"].packets.close()
        worker.kill()
        _, logged = worker.communicate(timeout=30)
    assert b"Quayle" not in every_value(redis_server.client)
    assert not [k for k in redis_server.key_names() if k.startswith(("rq:job:", "rq:results:"))]
    refused = [r.getMessage() for r in caplog.records if "refused a packet" in r.getMessage()]
    assert refused == [f"a render worker on {os.uname().nodename} refused a packet: its copies "
                       "of the packet's documents differ from this app's"]
    assert not any("Quayle" in r.getMessage() for r in caplog.records) and "Quayle" not in logged
