"""The staff app's routes and security, with Flask's test client."""

import contextlib
import datetime as dt
import http.client
import logging
import re
import os
import socket
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

from handouts.build import BuildRequest, Project, build
from handouts.cli import main
from handouts.problems import UsageError
from handouts.webapp import (IN_TOTAL, LIMITS, PER_ADDRESS, UNEXPECTED, Budget, Guesses, Settings,
                             client_of, create_app)

from conftest import GOOD_SOURCE, REPO, Workspace, pdftotext, source_text

NAME = '<b>O\'Brien & "Sons"</b>'
PASSWORD = "correct horse"


def shipped(shipped_out) -> Project:
    return Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml")


# The shipped library's handouts: one card each, in English.
HANDOUTS = len([p for p in (REPO / "sources").glob("*.md") if p.name.count(".") == 1])


@pytest.fixture(scope="module")
def app(shipped_out):
    application = create_app(Project(sources=REPO / "sources", out=shipped_out,
                                     brand=REPO / "_brand.yml"), Settings(workers=1))
    application.config["TESTING"] = True
    yield application
    application.extensions["handouts"]["renderer"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture(scope="module")
def guarded(shipped_out):
    """The app as served beyond this computer: behind the staff password."""
    # These tests guess wrong now and then; the budgets for guesses have tests of their own.
    roomy = Budget(burst=100, every=1.0)
    application = create_app(shipped(shipped_out), Settings(password=PASSWORD, workers=1,
                                                            host="0.0.0.0", per_address=roomy,
                                                            in_total=roomy))
    yield application
    application.extensions["handouts"]["renderer"].close()


def sign_in(client, next_: str = "") -> str:
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": csrf, "password": PASSWORD, "next": next_})
    assert response.status_code == 302
    return csrf_of(client.get("/").get_data(as_text=True))  # a new session, a new token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add(client, *slugs):
    csrf = token(client)
    for slug in slugs:
        response = client.post("/basket", data={"csrf_token": csrf, "slug": slug, "action": "add"})
        assert response.status_code == 302
    return csrf


# -- pages ---------------------------------------------------------------------------

def test_catalog_lists_every_document_as_a_card(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count('<li class="card">') == HANDOUTS + 1  # and the clinic's wallet card
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
    response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Ana"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


NALOXONE = {"Naloxone: how to save a life", "Benzos, opioids and alcohol",
            "Support groups and your aftercare plan", "Supporting a loved one in treatment",
            "What detox is like"}  # in its title, summary or topics


@pytest.mark.parametrize("query, expected", [
    ("?q=naloxone", NALOXONE),
    ("?q=NALOXONE", NALOXONE),
    ("?q=save+life", {"Naloxone: how to save a life"}),
    ("?lang=es&format=brochure", {"Líneas de crisis y de ayuda"}),
    ("?audience=families&topic=crisis", {"Crisis and help lines"}),
])
def test_search_and_filters(client, query, expected):
    page = client.get("/" + query).get_data(as_text=True)
    titles = set(re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', page))
    assert titles == expected


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
    "to": "/packet/email", "consent_on": "/packet/email", "step": "/packet/email",
    "password": "/login", "unknown_field": "/packet/pdf",
}


def test_every_field_has_a_limit_and_a_route():
    assert set(FIELD_ROUTES) - {"unknown_field"} == set(LIMITS) - {"csrf_token"}


@pytest.mark.parametrize("field", sorted(FIELD_ROUTES))
def test_the_length_limit_of_every_field(guarded, field):
    from handouts.webapp import OTHER_LIMIT

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


def test_the_forms_say_the_same_limits(client, monkeypatch):
    add(client, "crisis-help-lines")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    pages = client.get("/packet").get_data(as_text=True) + client.post("/packet/email", data={
        "csrf_token": token(client), "for_name": "Ana"}).get_data(as_text=True)
    found = dict(re.findall(r'<(?:input|textarea)[^>]*name="(\w+)"[^>]*maxlength="(\d+)"', pages))
    assert found == {name: str(LIMITS[name]) for name in ("for_name", "clinician", "note", "to")}


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
    csrf = add(client, "crisis-help-lines", "mixing-dangers")
    caplog.set_level(logging.DEBUG)
    response = client.post("/packet/pdf", data={
        "csrf_token": csrf, "for_name": NAME, "clinician": "Dr. Rivera", "date": "2026-11-24",
        "note": "See you Tuesday.", "lang": "en"})
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
    csrf = add(client, "crisis-help-lines")
    response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": ""})
    assert response.status_code == 422
    assert "Please give the name" in response.get_data(as_text=True)
    too_long = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "x" * 201})
    assert too_long.status_code == 400
    assert "That is too long: the name takes at most 200 characters." in too_long.get_data(as_text=True)


def test_email_needs_consent_and_a_mail_server(client, monkeypatch):
    csrf = add(client, "crisis-help-lines")
    form = {"csrf_token": csrf, "for_name": "Ana", "to": "ana@example.org", "step": "send"}
    monkeypatch.delenv("SMTP_HOST", raising=False)
    response = client.post("/packet/email", data={**form, "consent_on": "2026-11-20"})
    assert response.status_code == 422
    assert "Email is not set up on this computer" in response.get_data(as_text=True)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens: nothing may connect
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    response = client.post("/packet/email", data=form)
    assert response.status_code == 422
    assert "Nothing is sent without the date" in response.get_data(as_text=True)
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = client.post("/packet/email", data={**form, "consent_on": future})
    assert "The consent date is in the future" in response.get_data(as_text=True)
    bad = client.post("/packet/email", data={**form, "to": "ana@@x", "consent_on": "2026-11-20"})
    assert "That email address does not look right" in bad.get_data(as_text=True)
    # The mail server cannot be reached: said for the front desk, not as settings.
    down = client.post("/packet/email", data={**form, "consent_on": "2026-11-20"})
    text = down.get_data(as_text=True)
    assert down.status_code == 422 and "Nothing was sent" in text
    assert "SMTP" not in text and "127.0.0.1" not in text


def test_the_email_step_is_its_own_form(client, monkeypatch):
    """Enter in the address sends the email: the email page's form has one field set and
    "Send the email" as its first button; the packet page's form has no email fields."""
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_FROM", "care@clinic.example")
    csrf = add(client, "crisis-help-lines")
    packet = client.get("/packet").get_data(as_text=True)
    packet_form = packet.split('id="packet-form"')[1].split("</form>")[0]
    assert 'name="to"' not in packet_form and 'name="consent_on"' not in packet_form
    assert re.findall(r"<button[^>]*>([^<]+)", packet_form)[0] == "Download the packet"
    page = client.post("/packet/email", data={
        "csrf_token": csrf, "for_name": NAME, "clinician": "Dr. Rivera", "date": "2026-11-24",
        "note": "Line one\nLine two", "lang": "es", "large_print": "on"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    [form] = re.findall(r'<form method="post" action="/packet/email" id="email-form">(.*?)</form>',
                        text, re.S)
    assert re.findall(r"<button[^>]*>([^<]+)", form)[0] == "Send the email"
    # What was typed on the packet page goes along, entered once, escaped.
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert hidden["for_name"] == "&lt;b&gt;O&#39;Brien &amp; &#34;Sons&#34;&lt;/b&gt;"
    assert hidden["note"] == "Line one\nLine two" and hidden["large_print"] == "on"
    assert hidden["lang"] == "es" and hidden["date"] == "2026-11-24" and hidden["step"] == "send"
    # "Back to the packet" brings it all back to the packet page.
    back = client.post("/packet", data={**{k: v for k, v in hidden.items() if k != "step"},
                                        "csrf_token": csrf, "for_name": NAME, "note": "Line one"})
    assert back.status_code == 200 and 'value="Dr. Rivera"' in back.get_data(as_text=True)


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


def test_email_through_a_real_smtp_server_then_a_page_that_sends_nothing(client, monkeypatch):
    received = []
    controller, port = smtp_server(received)
    try:
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                            "SMTP_FROM": "care@clinic.example"}.items():
            monkeypatch.setenv(name, value)
        csrf = add(client, "crisis-help-lines", "mixing-dangers")
        response = client.post("/packet/email", data={
            "csrf_token": csrf, "step": "send", "for_name": "Ana Ruiz", "to": "ana@example.org",
            "consent_on": dt.date.today().isoformat()})
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
        assert len(received) == 1
    finally:
        controller.stop()


def test_the_sent_page_says_nothing_unless_something_was_sent(app):
    response = app.test_client().get("/packet/sent")
    assert response.status_code == 302 and response.headers["Location"] == "/packet"


def test_a_full_packet_says_so(client, monkeypatch):
    import handouts.webapp

    monkeypatch.setattr(handouts.webapp, "BASKET_LIMIT", 2)
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
        response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Ana"})
        assert response.status_code == 422
        assert "<h1>Something is not right</h1>" in response.get_data(as_text=True)
        message = problem_on(response)
        assert message.startswith("This packet could not be made: \u201cGone soon\u201d cannot go "
                                  "in a packet right now")
        assert "Take it out of the packet and try again." in message
        assert not any(words in message for words in CLI_WORDING)
        client.post("/basket", data={"csrf_token": csrf, "slug": "gone-soon", "action": "remove"})
        message = problem_on(client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Ana"}))
        assert "\u201cStaying safe with benzos\u201d cannot go in a packet right now" in message
        assert not any(words in message for words in CLI_WORDING)
    finally:
        app.extensions["handouts"]["renderer"].close()


SECRETS = ("Ana Ruiz", "ana@example.org", "A private note")


def is_problem_page(response, status: int) -> bool:
    text = response.get_data(as_text=True)
    return (response.status_code == status and response.mimetype == "text/html"
            and "<h1>Something is not right</h1>" in text and 'role="alert"' in text
            and '<footer class="bottom">' in text and "Internal Server Error" not in text)


def test_a_packet_with_a_document_that_no_longer_builds_gets_the_problem_page(
        tmp_path, monkeypatch, caplog):
    """In the basket while it built; then its source went wrong. Download and email both
    say so on the problem page, send nothing, and log the document, never the family."""
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    received = []
    controller, port = smtp_server(received)
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "SMTP_FROM": "care@clinic.example"}.items():
        monkeypatch.setenv(name, value)
    app = create_app(ws.project, Settings(workers=1))
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        csrf = add(client, "staying-safe")
        ws.write("staying-safe.md", GOOD_SOURCE.replace("@medlineplus-clonazepam", "@no-such-key"))
        form = {"csrf_token": csrf, "for_name": "Ana Ruiz", "note": "A private note",
                "to": "ana@example.org", "consent_on": dt.date.today().isoformat()}
        download = client.post("/packet/pdf", data=form)
        sent = client.post("/packet/email", data={**form, "step": "send"})
        for response in (download, sent):
            assert is_problem_page(response, 422)
            message = problem_on(response)
            assert message == ("This packet could not be made: \u201cStaying safe with "
                               "benzos\u201d cannot go in a packet right now (whoever looks after "
                               "the handouts needs to fix it). Take it out of the packet and try "
                               "again.")
            assert 'href="/packet">Back to the packet</a>' in response.get_data(as_text=True)
            assert response.headers["Cache-Control"] == "no-store"
            assert not any(words in response.get_data(as_text=True) for words in SECRETS)
        assert received == []
    finally:
        app.extensions["handouts"]["renderer"].close()
        controller.stop()
    logged = [record.getMessage() for record in caplog.records]
    assert any("staying-safe" in line for line in logged)  # for whoever fixes it
    assert not any(words in line for line in logged for words in SECRETS)


def test_a_packet_that_fails_in_another_way_gets_a_page_in_words(tmp_path, caplog):
    """A source that the pipeline does not refuse but cannot lay out (quotes nested
    thousands deep overflow WeasyPrint's stack): not a content problem the app knows
    of, so a 500, but the problem page, and a log line without the exception's words."""
    ws = Workspace(tmp_path)
    ws.write("staying-safe.md", GOOD_SOURCE)
    build(ws.project, BuildRequest(formats=("handout",), jobs=1))
    app = create_app(ws.project, Settings(workers=1))
    caplog.set_level(logging.DEBUG)
    try:
        client = app.test_client()
        csrf = add(client, "staying-safe")
        ws.write("staying-safe.md", GOOD_SOURCE + ">" * 5000 + " Too deep.\n")
        response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Ana Ruiz"})
        assert is_problem_page(response, 500), response.get_data(as_text=True)[:300]
        assert problem_on(response) == UNEXPECTED
        assert client.get("/packet").status_code == 200  # the app is still there
    finally:
        app.extensions["handouts"]["renderer"].close()
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.startswith("RecursionError on packet_pdf [POST] (message withheld)")
    assert "Ana" not in line and "maximum recursion" not in line


def test_an_unexpected_failure_logs_no_words_of_its_message(shipped_out, caplog):
    app = create_app(shipped(shipped_out), Settings(workers=1))

    def fails():
        raise ValueError("no such address: ana@example.org")  # as a library's message may

    app.add_url_rule("/fails", view_func=fails)
    caplog.set_level(logging.DEBUG)
    try:
        response = app.test_client().get("/fails")
    finally:
        app.extensions["handouts"]["renderer"].close()
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
        csrf = add(client, "staying-safe")
        ws.brand.write_text(ws.brand.read_text().replace("meta:", "meta: [", 1))
        for path in ("/", "/packet", "/documents/staying-safe", "/no-such-page"):
            response = client.get(path)
            assert response.status_code in (200, 404), path
            assert "Essence Healthcare" in response.get_data(as_text=True) and "988" in \
                response.get_data(as_text=True), path
        response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Ana Ruiz"})
        assert is_problem_page(response, 422)
        assert problem_on(response).startswith("This packet could not be made.")
    finally:
        app.extensions["handouts"]["renderer"].close()


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


def test_nothing_is_written_to_disk_for_a_packet(client, app):
    """The packet is made in memory and streamed: the output folder and the temporary
    folder hold the same files after as before, and this process opens nothing to write."""
    out = app.extensions["handouts"]["project"].out
    csrf = add(client, "crisis-help-lines")
    client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Warm-up"})  # caches, fonts

    def listing():
        files = {(str(p), p.stat().st_size) for p in out.rglob("*") if p.is_file()}
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
        response = client.post("/packet/pdf", data={"csrf_token": csrf, "for_name": "Zelda Quist",
                                                    "note": "Private note"})
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


def test_a_restart_signs_everyone_out(shipped_out):
    key = b"k" * 32
    settings = Settings(password=PASSWORD, workers=1, secret_key=key, host="0.0.0.0")
    first = create_app(shipped(shipped_out), settings)
    try:
        client = first.test_client()
        sign_in(client)
        cookie = client.get_cookie("session").value
    finally:
        first.extensions["handouts"]["renderer"].close()
    second = create_app(shipped(shipped_out), settings)  # the same key: the cookie is still valid
    try:
        client = second.test_client()
        client.set_cookie("session", cookie)
        assert client.get("/packet").status_code == 302
    finally:
        second.extensions["handouts"]["renderer"].close()


@dataclass
class Clock:
    """Time for a budget, moved on by the test."""
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_address_has_its_own_budget_of_guesses():
    clock = Clock()
    guesses = Guesses(Budget(burst=3, every=10.0), Budget(burst=100, every=1.0), clock)
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


def test_every_address_together_has_a_budget_too():
    clock = Clock()
    guesses = Guesses(Budget(burst=3, every=10.0), Budget(burst=5, every=2.0), clock)
    allowed = [guesses.take(f"10.0.0.{n}") == 0.0 for n in range(1, 9)]
    assert allowed == [True] * 5 + [False] * 3  # one guess each, but eight addresses
    assert guesses.take("10.0.0.9") == pytest.approx(2.0)
    clock.now += 2
    assert guesses.take("10.0.0.9") == 0.0


@pytest.mark.parametrize("burst", [1, 2, 5])
def test_a_fresh_budget_allows_its_first_guess_whatever_the_clock_says(burst):
    """At any time of day: the clock's value is large, and sums with it round."""
    for now in [0.1, 1000.0, 4711.3, 86_399.7, 123_456.789, 987_654.321, 3.3e6 + 0.1]:
        guesses = Guesses(Budget(burst, every=3600.0), Budget(burst, every=3600.0), Clock(now))
        assert [guesses.take("10.0.0.1") for _ in range(burst)] == [0.0] * burst, now
        assert guesses.take("10.0.0.1") == pytest.approx(3600.0), now


def test_a_right_password_costs_no_guess():
    clock = Clock()
    guesses = Guesses(Budget(burst=2, every=60.0), Budget(burst=2, every=60.0), clock)
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


def test_signed_in_staff_never_meet_the_budget(shipped_out):
    """Whatever guessers have spent, a signed-in member of staff is never refused: their
    requests do not go near it, a visit to the sign-in page included."""
    none_left = Budget(burst=1, every=3600.0)
    app = create_app(shipped(shipped_out), Settings(password=PASSWORD, workers=1, host="0.0.0.0",
                                                    per_address=none_left, in_total=none_left))
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
        assert app.extensions["handouts"]["guesses"].take("127.0.0.1") > 0  # still spent
    finally:
        app.extensions["handouts"]["renderer"].close()


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


@contextlib.contextmanager
def serving(shipped_out, **env):
    """`make_docs.py serve` on a free port, as staff start it, until the block ends."""
    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port",
                               str(port), "--sources", str(REPO / "sources"), "--out",
                               str(shipped_out)], cwd=REPO, env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                Browser(port).request("GET", "/login")
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
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

        threads = [threading.Thread(target=guess, args=pair) for pair in zip(guessers, tokens)]
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


@pytest.mark.parametrize("host, answered", [
    ("127.0.0.1:8000", True), ("localhost:8000", True), ("[::1]:8000", True), ("LOCALHOST:8000", True),
    ("evil.example:8000", False), ("127.0.0.1.evil.example:8000", False), ("127.0.0.1:9999", False),
    ("localhost", False), ("", False),
])
def test_on_this_computer_only_requests_addressed_to_it_are_answered(shipped_out, host, answered):
    """DNS rebinding: a web page elsewhere points its name at 127.0.0.1 to read the app.
    Its requests carry its own name in Host: refused, static files and all."""
    app = create_app(shipped(shipped_out), Settings(workers=1, port=8000))
    try:
        client = app.test_client()
        for path in ("/", "/static/web.css", "/packet"):
            response = client.get(path, headers={"Host": host})
            assert (response.status_code == 200) == answered, (host, path)
            if not answered:
                assert response.status_code == 400 and b"Essence" not in response.data
    finally:
        app.extensions["handouts"]["renderer"].close()


def test_serving_beyond_this_computer_needs_a_password(monkeypatch, capsys, shipped_out):
    monkeypatch.delenv("HANDOUTS_STAFF_PASSWORD", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--sources", str(REPO / "sources")]) == 2
    assert "set a staff password in HANDOUTS_STAFF_PASSWORD" in capsys.readouterr().err
    with pytest.raises(UsageError, match="set a staff password in HANDOUTS_STAFF_PASSWORD"):
        create_app(shipped(shipped_out), Settings(host="0.0.0.0", workers=1))


def test_on_0_0_0_0_with_a_password_it_starts(monkeypatch, shipped_out):
    """The command line hands over to the server, and the app answers every name the
    clinic's computers may use for it, behind the sign-in page."""
    import handouts.webapp

    served = []
    monkeypatch.setenv("HANDOUTS_STAFF_PASSWORD", PASSWORD)
    monkeypatch.setattr(handouts.webapp, "serve", lambda *args, **kwargs: served.append(args))
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
        app.extensions["handouts"]["renderer"].close()


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
        app.extensions["handouts"]["renderer"].close()


def test_packets_go_to_the_worker_that_has_their_handouts_unless_it_is_busier():
    from handouts.renderer import Renderer

    renderer = Renderer(workers=2)
    try:
        first, cost = renderer.choose(("klonopin-overview",))
        assert cost == Renderer.COST_NEW
        renderer.queued[first] -= cost  # that packet is done
        again, cost = renderer.choose(("klonopin-overview",))
        assert (again, cost) == (first, Renderer.COST_KEPT)
        other, cost = renderer.choose(("what-is-detox",))  # the first worker is busy
        assert other != first and cost == Renderer.COST_NEW
        # Both busy; the kept handouts are still cheaper where they are.
        assert renderer.choose(("klonopin-overview",))[0] == first
    finally:
        renderer.close()


def test_a_worker_that_dies_is_replaced(client, app):
    import signal

    csrf = add(client, "crisis-help-lines")
    form = {"csrf_token": csrf, "for_name": "Ana Ruiz"}
    assert client.post("/packet/pdf", data=form).status_code == 200
    renderer = app.extensions["handouts"]["renderer"]
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

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(REPO / "make_docs.py"), "serve", "--port", str(port),
                               "--sources", str(REPO / "sources"), "--out", str(shipped_out)],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    deadline = time.monotonic() + 120
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
    assert post("/packet/pdf", for_name="Ana Ruiz").startswith(b"%PDF")
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
