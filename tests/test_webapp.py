"""The staff app's routes and security, with Flask's test client."""

import datetime as dt
import logging
import re

import pytest

from handouts.build import BuildRequest, Project, build
from handouts.cli import main
from handouts.webapp import Settings, create_app

from conftest import REPO, Workspace, pdftotext, source_text

NAME = '<b>O\'Brien & "Sons"</b>'


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


def add(client, *slugs):
    csrf = token(client)
    for slug in slugs:
        response = client.post("/basket", data={"csrf_token": csrf, "slug": slug, "action": "add"})
        assert response.status_code == 302
    return csrf


# -- pages ---------------------------------------------------------------------------

def test_catalog_lists_every_document_as_a_card(client):
    page = client.get("/").get_data(as_text=True)
    assert page.count('<li class="card">') == 12  # 11 handouts and the clinic's wallet card
    assert "Klonopin (clonazepam)" in page and "Draft" in page
    assert '<main id="main"' in page and 'role="search"' in page  # landmarks
    assert '<label for="q">Search</label>' in page


@pytest.mark.parametrize("query, expected", [
    ("?q=naloxone", {"Benzos, opioids and alcohol"}),
    ("?q=NALOXONE", {"Benzos, opioids and alcohol"}),
    ("?lang=es&format=brochure", {"Klonopin (clonazepam)", "Líneas de crisis y de ayuda"}),
    ("?audience=families&topic=crisis", {"Crisis and help lines"}),
])
def test_search_and_filters(client, query, expected):
    page = client.get("/" + query).get_data(as_text=True)
    titles = set(re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', page))
    assert titles == expected


def test_document_page_has_pages_downloads_print_and_translation(client):
    page = client.get("/documents/klonopin-overview").get_data(as_text=True)
    assert page.count('alt="Page ') == 4
    for fmt in ("handout", "large-print", "brochure"):
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

def test_every_form_needs_its_csrf_token(client):
    assert client.post("/basket", data={"slug": "klonopin-overview", "action": "add"}).status_code == 400
    assert client.post("/packet/pdf", data={"for_name": "Ana"}).status_code == 400
    page = client.get("/").get_data(as_text=True)
    forms = page.count("<form method=\"post\"")
    assert forms >= 12 and page.count('name="csrf_token"') == forms


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
    assert too_long.status_code == 400 and "at most 200 characters" in too_long.get_data(as_text=True)


def test_email_needs_consent_and_a_mail_server(client, monkeypatch):
    csrf = add(client, "crisis-help-lines")
    form = {"csrf_token": csrf, "for_name": "Ana", "to": "ana@example.org"}
    response = client.post("/packet/email", data=form)
    assert response.status_code == 422
    assert "Nothing is sent without the date" in response.get_data(as_text=True)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    response = client.post("/packet/email", data={**form, "consent_on": "2026-11-20"})
    assert "Email is not set up on this computer" in response.get_data(as_text=True)
    bad = client.post("/packet/email", data={**form, "to": "ana@@x", "consent_on": "2026-11-20"})
    assert "not a valid email address" in bad.get_data(as_text=True)


def test_email_through_a_real_smtp_server(client, monkeypatch):
    import socket

    from aiosmtpd.controller import Controller

    received = []

    class Box:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Box(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                            "SMTP_FROM": "care@clinic.example"}.items():
            monkeypatch.setenv(name, value)
        csrf = add(client, "crisis-help-lines")
        response = client.post("/packet/email", data={
            "csrf_token": csrf, "for_name": "Ana Ruiz", "to": "ana@example.org",
            "consent_on": dt.date.today().isoformat()})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "The packet was emailed" in response.get_data(as_text=True)
        assert "ana@example.org" not in response.get_data(as_text=True)
        [(recipients, content)] = received
        assert recipients == ["ana@example.org"] and b"handouts.pdf" in content
    finally:
        controller.stop()


# -- signing in ---------------------------------------------------------------------------

def test_a_password_guards_everything_but_the_sign_in_page(shipped_out):
    app = create_app(Project(sources=REPO / "sources", out=shipped_out, brand=REPO / "_brand.yml"),
                     Settings(password="correct horse", workers=1))
    try:
        client = app.test_client()
        response = client.get("/documents/klonopin-overview")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert client.get("/files/handout/klonopin-overview/en").status_code == 302
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        wrong = client.post("/login", data={"csrf_token": csrf, "password": "guess"})
        assert "That password is not right" in wrong.get_data(as_text=True)
        right = client.post("/login", data={"csrf_token": csrf, "password": "correct horse",
                                            "next": "//evil.example/"})
        assert right.status_code == 302 and right.headers["Location"] == "/"
        cookie = right.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/documents/klonopin-overview").status_code == 200
    finally:
        app.extensions["handouts"]["renderer"].close()


def test_serving_beyond_this_computer_needs_a_password(monkeypatch, capsys):
    monkeypatch.delenv("HANDOUTS_STAFF_PASSWORD", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--sources", str(REPO / "sources")]) == 2
    assert "set a staff password in HANDOUTS_STAFF_PASSWORD" in capsys.readouterr().err


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
    from handouts.webapp import Renderer

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
    import os
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
    import socket
    import subprocess
    import sys
    import time
    import urllib.parse
    import urllib.request
    from pathlib import Path

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
    from pathlib import Path

    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            found += [int(child), *descendants(int(child))]
    return found


def running(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False
