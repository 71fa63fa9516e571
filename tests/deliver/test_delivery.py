"""Email to families, against a real SMTP server on loopback (aiosmtpd)."""

import asyncio
import datetime as dt
import email
import io
import itertools
import logging
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time
from email import policy

import pikepdf
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import REPO, pilot_brand, version_of
from ports import free_port

from handouts.cli import main
from handouts.deliver.mail import DeliveryError, SmtpSettings, check_address, compose
from handouts.deliver.smtp import send as deliver

NAME = "Maria Lopez"
ADDRESS = "maria.lopez@example.org"
CONSENT = "2026-11-20"


class Mailbox:
    """An SMTP handler that keeps what it receives, or refuses the recipient; with
    `data_delay`, it takes that long to say it has the message."""

    def __init__(self, refuse: bool = False, data_delay: float = 0):
        self.messages = []
        self.mail_options = []
        self.refuse = refuse
        self.data_delay = data_delay
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.mail_options.append(list(envelope.mail_options))
        await asyncio.sleep(self.data_delay)
        return "250 Message accepted"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca, cert, ca_file


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"clinic" \
        and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)  # a failure is answered 535 at once


@pytest.fixture
def server(request, certificates):
    """A loopback SMTP server: plain, STARTTLS with AUTH, implicit TLS, one that offers
    SMTPUTF8, or one slow to confirm a message."""
    mode = getattr(request, "param", "none")
    ca, cert, ca_file = certificates
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    box = Mailbox(refuse=mode == "refuse", data_delay=4 if mode == "slow-data" else 0)
    port = free_port()
    options = dict(enable_SMTPUTF8=mode == "smtputf8")  # the Controller offers it by default
    if mode == "starttls":
        options.update(tls_context=context, require_starttls=True, authenticator=authenticator,
                       auth_require_tls=True)
    elif mode == "ssl":
        options.update(ssl_context=context)
    controller = Controller(box, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1",
                            **options)
    controller.start()
    yield box, port, ca_file, mode
    controller.stop()


def environment(monkeypatch, port, ca_file, security="none", user=None):
    monkeypatch.delenv("SMTP_TIMEOUT", raising=False)
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_SECURITY", security)
    monkeypatch.setenv("SMTP_FROM", "Essence Healthcare <handouts@clinic.example>")
    monkeypatch.setenv("SMTP_CA_FILE", str(ca_file))
    if user:
        monkeypatch.setenv("SMTP_USER", user)
        monkeypatch.setenv("SMTP_PASSWORD", "s3cret")


PILOT: dict = {}  # the brand these tests send with (see `pilot`)


@pytest.fixture(scope="module", autouse=True)
def pilot(tmp_path_factory):
    """A brand that may email families: the phone number filled in, drafts allowed for a
    pilot (every shipped handout is a draft). The shipped brand's refusals have tests of
    their own."""
    PILOT["brand"] = pilot_brand(tmp_path_factory.mktemp("pilot"))
    yield PILOT["brand"]


def send(*extra, to=ADDRESS, brand=None):
    out, err = io.StringIO(), io.StringIO()
    args = ["email", "klonopin-overview", "crisis-help-lines", "--to", to, "--for", NAME,
            "--sources", str(REPO / "sources"), "--brand", str(brand or PILOT["brand"]), *extra]
    code = main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def nothing_personal_logged(caplog) -> bool:
    """Everything logged in this process but the test server's own log ("mail.log")
    is free of the name and the address."""
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail"))
    return NAME not in logged and ADDRESS not in logged and "maria" not in logged.lower()


def parsed(content: bytes):
    return email.message_from_bytes(content, policy=policy.default)


@pytest.fixture(scope="module")
def handout_pages(tmp_path_factory) -> list[int]:
    """The pages of each handout sent, rendered alone: a packet is a cover and these."""
    from handouts.deliver.packet import PacketRequest, Personalisation, build_documents
    from handouts.project import Project

    project = Project(sources=REPO / "sources", out=tmp_path_factory.mktemp("unused"),
                      brand=REPO / "_brand.yml")
    request = PacketRequest(("klonopin-overview", "crisis-help-lines"), Personalisation("x"))
    return [pdf_pages(data) for _, data in build_documents(project, request)]


def packet_pages(handouts: list[int]) -> int:
    """A cover, then each handout as it prints alone, each from a front (odd) page."""
    pages = 1
    for count in handouts:
        pages += pages % 2 + count  # a side left blank after an odd number of pages
    return pages


def pdf_pages(data: bytes) -> int:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


@pytest.mark.parametrize("server", ["none", "starttls", "ssl"], indirect=True)
def test_delivers_one_message_with_the_packet(server, monkeypatch, caplog, handout_pages):
    box, port, ca_file, mode = server
    environment(monkeypatch, port, ca_file, mode, user="clinic" if mode == "starttls" else None)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 0, err
    assert out.startswith("Sent one message (1 attachment, ")
    [(sender, recipients, content)] = box.messages
    assert recipients == [ADDRESS]
    message = parsed(content)
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Information from your care team"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Call or text 988" in text and "Call or text 988" in html
    # One file holding two handouts: neither "the handout" nor "the PDF files".
    assert "sending you the information you talked about" in " ".join(text.split())
    assert "It is in the PDF file attached" in " ".join(text.split())
    assert "It is in the PDF file attached" in " ".join(html.split())
    assert "Essence Healthcare" in html and "#0e5a5f" in html  # in the clinic's brand
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "handouts.pdf"
    data = attachment.get_content()
    assert pdf_pages(data) == packet_pages(handout_pages)  # the cover, then each handout
    # The name is on the packet's cover, and nowhere else: not in the message, not in a log.
    for part in (content.decode("utf-8", "replace"), text, html, out, err):
        assert NAME not in part
    assert any("sending one message" in r.getMessage() for r in caplog.records)
    assert nothing_personal_logged(caplog)


def test_separate_attachments_carry_no_cover(server, monkeypatch, handout_pages):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, "--separate")
    assert code == 0, err
    message = parsed(box.messages[0][2])
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["handout-1.pdf", "handout-2.pdf"]
    assert [pdf_pages(a.get_content()) for a in attachments] == handout_pages
    assert b"Maria" not in b"".join(a.get_content() for a in attachments)
    text = " ".join(message.get_body(("plain",)).get_content().split())
    assert "sending you the handouts" in text and "They are in the PDF files attached" in text


def test_nothing_is_sent_without_consent(server, monkeypatch):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send()
    assert code == 2
    assert "nothing is sent without --consent-on" in err
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    code, out, err = send("--consent-on", future)
    assert code == 2 and "in the future" in err
    assert box.messages == [] and box.connections == 0


def test_an_invalid_address_is_one_line(server, monkeypatch, caplog):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT, to="maria.lopez@@example")
    assert code == 1
    assert err.strip().splitlines() == [  # what is wrong, in the validator's words
        "error: the recipient's address is not a valid email address (the part after the "
        "@-sign contains invalid characters: '@')"]
    assert box.connections == 0
    assert "maria" not in "\n".join(r.getMessage() for r in caplog.records).lower()


@pytest.mark.parametrize("server", ["refuse"], indirect=True)
def test_a_refusing_server_sends_nothing(server, monkeypatch, caplog):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    assert err.strip().splitlines() == [
        "error: the mail server refused the recipient's address; nothing was sent"]
    # The delivery's one log line gives the cause.
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert re.fullmatch(r"delivery [0-9a-f]{12}: failed: the mail server refused the "
                        r"recipient's address; nothing was sent", line), line
    assert box.messages == []
    assert ADDRESS not in err
    assert nothing_personal_logged(caplog)


def test_an_unreachable_server_is_one_line(monkeypatch, certificates, caplog):
    environment(monkeypatch, free_port(), certificates[2])  # nothing listens there
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: could not reach the mail server at 127.0.0.1:")
    assert line.endswith("nothing was sent")
    assert nothing_personal_logged(caplog)


@pytest.mark.parametrize("server", ["starttls"], indirect=True)
def test_wrong_password_is_one_line(server, monkeypatch, caplog):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file, "starttls", user="clinic")
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert "refused SMTP_USER and SMTP_PASSWORD" in err and box.messages == []
    assert nothing_personal_logged(caplog)


def test_a_server_without_starttls_is_one_line(server, monkeypatch, caplog):
    """SMTP_SECURITY says starttls, but the server offers only plain text: never send in clear."""
    box, port, ca_file, mode = server
    assert mode == "none"
    environment(monkeypatch, port, ca_file, "starttls")
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    assert err.strip().splitlines() == [
        "error: the mail server does not offer STARTTLS (or AUTH); set SMTP_SECURITY to match "
        "it; nothing was sent"]
    assert box.messages == []
    assert nothing_personal_logged(caplog)


@pytest.mark.parametrize("server", ["starttls", "ssl"], indirect=True)
def test_a_certificate_that_cannot_be_verified_is_one_line(server, monkeypatch, tmp_path, caplog):
    """The server's certificate is signed by an authority this computer does not trust."""
    box, port, _, mode = server
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    environment(monkeypatch, port, stranger, mode, user="clinic" if mode == "starttls" else None)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    assert err.strip().splitlines() == [
        "error: the mail server's certificate could not be verified (see SMTP_CA_FILE); "
        "nothing was sent"]
    assert box.messages == []
    assert nothing_personal_logged(caplog)


def test_attachments_over_the_limit_are_refused_before_connecting(server, monkeypatch, caplog):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT, "--max-size", "0.01")
    assert code == 1
    [line] = err.strip().splitlines()
    assert "more than the 0.01 MB limit" in line
    # --separate sends one message too: the advice is to send some in a second message.
    assert "--separate" not in line and "send them in a second message" in line
    assert box.connections == 0 and box.messages == []
    assert nothing_personal_logged(caplog)


def test_dry_run_and_no_settings_write_a_message_file(tmp_path, monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 0 and "no SMTP settings: nothing was sent" in out
    [eml] = list(tmp_path.glob("*.eml"))
    assert NAME.split()[0] not in eml.name
    message = parsed(eml.read_bytes())
    assert [a.get_filename() for a in message.iter_attachments()] == ["handouts.pdf"]
    assert eml.stat().st_mode & 0o777 == 0o600  # like a packet: its owner's alone
    folder = tmp_path / "drafts"
    code, out, err = send("--consent-on", CONSENT, "--dry-run", str(folder))
    assert code == 0 and "dry run" in out
    [eml] = list(folder.glob("*.eml"))
    assert eml.stat().st_mode & 0o777 == 0o600
    assert list(folder.glob(".*")) == []  # no temporary file left behind


def test_a_message_is_never_written_into_the_shared_output_folder(tmp_path, monkeypatch):
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_FROM"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "output"
    (out / "handout").mkdir(parents=True)
    code, _, err = send("--consent-on", CONSENT, "--out", str(out), "--dry-run", str(out / "handout"))
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: a message holds personal details: write it outside the shared output folder ({out})"]
    # Without mail settings the message would go to the current folder: not if that is output/.
    monkeypatch.chdir(out)
    code, _, err = send("--consent-on", CONSENT, "--out", str(out))
    assert code == 2
    [line] = err.strip().splitlines()
    assert line.startswith("error: no SMTP settings, so the message would be written here, in "
                           "the shared output folder")
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_spanish_message(server, monkeypatch):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, "--lang", "es")
    assert code == 0, err
    message = parsed(box.messages[0][2])
    assert message["Subject"] == "Información de su equipo de atención"
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Hola:")
    from handouts.content.brand import read_brand

    spanish = read_brand(REPO / "_brand.yml").in_language("es")
    assert all(line.action in text for line in spanish.crisis_lines)


# -- addresses outside ASCII ----------------------------------------------------------------

def test_an_international_domain_is_sent_in_its_idna_form(server, monkeypatch):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, to="maria.lopez@exämple.org")
    assert code == 0, err
    [(_, recipients, content)] = box.messages
    assert recipients == ["maria.lopez@xn--exmple-cua.org"]  # any server takes this form
    assert parsed(content)["To"] == "maria.lopez@xn--exmple-cua.org"
    assert "SMTPUTF8" not in box.mail_options[0]  # none needed for it


def test_a_local_part_outside_ascii_needs_a_server_with_smtputf8(server, monkeypatch, caplog):
    box, port, ca_file, mode = server
    assert mode == "none"  # offers no SMTPUTF8
    environment(monkeypatch, port, ca_file)
    caplog.set_level(logging.DEBUG)
    code, out, err = send("--consent-on", CONSENT, to="josé.lopez@example.org")
    assert code == 1
    assert err.strip().splitlines() == [
        "error: the recipient's address has letters outside A-Z before the @, and the mail "
        "server cannot send to such an address (it does not offer SMTPUTF8); nothing was sent"]
    assert box.messages == [] and out == ""
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail"))
    assert "jos" not in logged and nothing_personal_logged(caplog)


def test_the_front_desk_is_told_what_is_wrong_with_an_address_not_the_mail_settings(server):
    """What the staff app shows (DeliveryError.staff) for the address's own problems."""
    box, port, _, _ = server
    settings = SmtpSettings("127.0.0.1", port, "none", "handouts@clinic.example")
    message = compose(check_address("josé@example.org"), settings.sender, "Subject", "Text",
                      "<p>Text</p>", [])
    with pytest.raises(DeliveryError) as refused:
        deliver(message, settings)
    assert "letters before the @" in refused.value.staff
    with pytest.raises(DeliveryError) as invalid:
        check_address("maria@example")
    assert invalid.value.staff.startswith("That email address does not look right (the part "
                                          "after the @-sign is not valid. It should have a period)")
    for staff in (refused.value.staff, invalid.value.staff):
        assert "mail settings" not in staff
    assert box.messages == []


@pytest.mark.parametrize("server", ["smtputf8"], indirect=True)
def test_a_local_part_outside_ascii_goes_by_smtputf8_when_offered(server, monkeypatch):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, to="josé.lopez@exämple.org")
    assert code == 0, err
    [(_, recipients, content)] = box.messages
    assert recipients == ["josé.lopez@xn--exmple-cua.org"]
    assert "SMTPUTF8" in box.mail_options[0]
    assert b"To: jos\xc3\xa9.lopez@xn--exmple-cua.org" in content  # UTF-8, not an encoded word


# -- a deadline for the whole exchange ----------------------------------------------------

class SlowPeer:
    """A loopback SMTP peer that answers a byte at a time, one every PAUSE s, for ever: it is
    never quiet long enough for a timeout on each read, so only a limit on the whole
    exchange ends it. `phase` is where it turns slow: its greeting, or its answer to EHLO."""

    PAUSE = 0.25

    def __init__(self, phase: str):
        self.phase = phase
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(120)  # the thread ends even if no one ever connects
        self.port = self.listener.getsockname()[1]
        self.received = b""
        self.connected_at = self.closed_at = None
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        try:
            connection, _ = self.listener.accept()
        except OSError:
            return
        self.connected_at = time.monotonic()
        with connection:
            if self.phase == "ehlo":
                connection.sendall(b"220 slow.example ESMTP\r\n")
                while b"\r\n" not in self.received and self.read(connection):
                    pass
            code = b"220-" if self.phase == "greeting" else b"250-"
            self.dribble(connection, itertools.cycle(code + b"slow.example\r\n"))
        self.closed_at = time.monotonic()

    def read(self, connection) -> bool:
        chunk = connection.recv(1024)
        self.received += chunk
        return bool(chunk)

    def dribble(self, connection, data) -> None:
        try:
            for byte in data:
                readable, _, _ = select.select([connection], [], [], self.PAUSE)
                if readable and not self.read(connection):
                    return  # the client hung up
                if not readable:
                    connection.send(bytes([byte]))
        except OSError:
            return

    def close(self) -> None:
        self.listener.close()


@pytest.mark.parametrize("phase", ["greeting", "ehlo"])
def test_a_slow_server_is_given_up_on_as_a_whole(phase, tmp_path):
    peer = SlowPeer(phase)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    env.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(peer.port), SMTP_SECURITY="none",
               SMTP_FROM="handouts@clinic.example", SMTP_TIMEOUT="2")
    try:
        run = subprocess.run(
            [sys.executable, str(REPO / "make_docs.py"), "email", "crisis-help-lines", "--to",
             ADDRESS, "--for", NAME, "--consent-on", CONSENT, "--sources", str(REPO / "sources"),
             "--brand", str(PILOT["brand"])],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90)
        peer.thread.join(10)
    finally:
        peer.close()
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"error: the mail server at 127.0.0.1:{peer.port} did not finish answering within 2 s "
        "(SMTP_TIMEOUT); nothing was sent"]
    assert run.stdout == ""
    took = peer.closed_at - peer.connected_at  # from its first byte to the client hanging up
    assert 1.9 <= took < 3.5, took
    assert b"MAIL FROM" not in peer.received.upper() and b"DATA" not in peer.received.upper()


@pytest.mark.parametrize("server", ["slow-data"], indirect=True)
def test_a_server_slow_to_confirm_a_message_may_have_it(server, monkeypatch):
    """The whole message went out, but the server's "250" came after the time limit: the
    message may well have been delivered, so the line must not say "nothing was sent"."""
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    monkeypatch.setenv("SMTP_TIMEOUT", "1.5")
    started = time.monotonic()
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"error: the mail server at 127.0.0.1:{port} took the message but did not confirm it: "
        "it may or may not have been sent; check before sending it again"]
    assert len(box.messages) == 1  # and indeed the server has it
    assert time.monotonic() - started < 30  # the packet's rendering, then 1.5 s at the server


def test_the_time_limit_is_thirty_seconds_unless_set():
    base = {"SMTP_HOST": "mail.example", "SMTP_FROM": "care@clinic.example"}
    assert SmtpSettings.from_environment(base).timeout == 30
    assert SmtpSettings.from_environment({**base, "SMTP_TIMEOUT": "2.5"}).timeout == 2.5


# -- no traceback, whatever is typed -----------------------------------------------------

@pytest.mark.parametrize("size", ["nan", "inf", "-1", "0", "1e-9", "ten"])
def test_a_size_limit_that_is_not_a_size_is_one_line(server, monkeypatch, size):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, f"--max-size={size}")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: --max-size takes a number of megabytes more than 0, such as 10"]
    assert box.connections == 0


@pytest.mark.parametrize("name, value, line", [
    ("SMTP_PORT", "70000", "error: SMTP_PORT must be a port number, from 1 to 65535"),
    ("SMTP_PORT", "smtp", "error: SMTP_PORT must be a port number, from 1 to 65535"),
    ("SMTP_TIMEOUT", "0", "error: SMTP_TIMEOUT must be a number of seconds, more than 0 "
                          "(default 30)"),
    ("SMTP_TIMEOUT", "nan", "error: SMTP_TIMEOUT must be a number of seconds, more than 0 "
                            "(default 30)"),
    ("SMTP_TIMEOUT", "soon", "error: SMTP_TIMEOUT must be a number of seconds, more than 0 "
                             "(default 30)"),
    ("SMTP_CA_FILE", "/nonexistent/ca.pem", "error: SMTP_CA_FILE cannot be used as a "
                                            "certificate authority (No such file or directory); "
                                            "nothing was sent"),
])
def test_mail_settings_that_cannot_work_are_one_line(server, monkeypatch, name, value, line):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    monkeypatch.setenv(name, value)
    code, out, err = send("--consent-on", CONSENT)
    assert (code, err.strip().splitlines()) == (1, [line])
    assert box.messages == []


def test_a_language_with_nothing_in_it_is_one_line(server, monkeypatch):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    code, out, err = send("--consent-on", CONSENT, "--lang", "zz")
    assert code == 2
    assert err.strip().splitlines() == [
        "error: nothing is written in 'zz' (no handout, no translation of the cover): the "
        "packet's language can be ar, en, es, ru, vi, zh"]
    assert box.connections == 0


def test_a_dry_run_into_a_file_is_one_line(tmp_path):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    code, out, err = send("--consent-on", CONSENT, "--dry-run", str(taken))
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: --dry-run {taken} is not a folder: give the folder to write the message file in"]
    assert taken.read_text() == "mine" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# -- only approved material, to a family who can call back ----------------------------------

def test_nothing_is_emailed_while_the_phone_number_is_a_placeholder(server, monkeypatch):
    """The shipped brand: its phone number is still "[Clinic phone number]". Refused
    before anything is rendered, in one line that says what to do."""
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    for extra in ((), ("--dry-run", ".")):
        code, out, err = send("--consent-on", CONSENT, *extra, brand=REPO / "_brand.yml")
        assert code == 1 and out == ""
        assert err.strip().splitlines() == [
            "error: the clinic's phone number in _brand.yml still says [Clinic phone number]: a "
            "family must be able to call back, so nothing is emailed until the real number is "
            "under defaults: handouts: contact: phone; nothing was sent"]
    assert box.messages == [] and box.connections == 0


@pytest.mark.parametrize("separate", [False, True])
def test_drafts_are_not_emailed_unless_the_brand_allows_them_for_a_pilot(server, monkeypatch,
                                                                         tmp_path, separate):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    careful = pilot_brand(tmp_path / "careful", allow_drafts=False)
    extra = ("--separate",) if separate else ()
    code, out, err = send("--consent-on", CONSENT, *extra, brand=careful)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: \u201cKlonopin (clonazepam)\u201d and \u201cCrisis and help lines\u201d are drafts, "
        "not yet approved by a clinician, and drafts are not emailed to families: print with "
        "`packet` instead (drafts print with a DRAFT mark), or for a pilot set defaults: "
        "handouts: delivery: allow_drafts: true in _brand.yml; nothing was sent"]
    assert box.messages == [] and box.connections == 0
    code, out, err = send("--consent-on", CONSENT, *extra)  # the pilot's brand allows them
    assert code == 0, err
    assert len(box.messages) == 1


def test_an_approved_handout_goes_out_with_drafts_refused(server, monkeypatch, tmp_path):
    from conftest import Workspace, source_text

    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    ws = Workspace(tmp_path)
    pilot_brand(ws.root, allow_drafts=False)
    ws.write("reviewed.md", source_text(
        "title: Reviewed\nsummary: A handout a clinician approved.\ncode: T-1\nversion: 3\n"
        "review:\n  status: approved\n  reviewed_by: Dr. A. Clinician\n"
        "  reviewed_on: 2026-11-01\n  next_review: 2027-11-01",
        "Call us if the medicine runs low.\n"))
    err = io.StringIO()
    code = main(["email", "reviewed", "--to", ADDRESS, "--for", NAME, "--consent-on", CONSENT,
                 "--sources", str(ws.sources), "--brand", str(ws.brand)],
                stdout=io.StringIO(), stderr=err)
    assert code == 0, err.getvalue()
    assert len(box.messages) == 1


def test_each_delivery_leaves_one_log_line_and_nothing_personal(server, monkeypatch, caplog):
    box, port, ca_file, _ = server
    environment(monkeypatch, port, ca_file)
    caplog.set_level(logging.INFO)
    code, out, err = send("--consent-on", CONSENT, "--lang", "es")
    assert code == 0, err
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    reference = line.split()[1].rstrip(":")
    klonopin, crisis = version_of("klonopin-overview", "es"), version_of("crisis-help-lines", "es")
    assert line == (f"delivery {reference}: sent, in es: klonopin-overview EHC-ED-001 version "
                    f"{klonopin} es draft; crisis-help-lines EHC-ED-011 version {crisis} es draft")
    assert out.strip().endswith(f"; delivery {reference}")  # the same reference, for staff
    assert nothing_personal_logged(caplog)


def test_an_unreachable_server_leaves_its_cause_in_the_log(monkeypatch, certificates, caplog):
    _, _, ca_file = certificates
    environment(monkeypatch, free_port(), ca_file)
    caplog.set_level(logging.INFO)
    code, out, err = send("--consent-on", CONSENT)
    assert code == 1
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert re.fullmatch(r"delivery [0-9a-f]{12}: failed: could not reach the mail server at "
                        r"127\.0\.0\.1:\d+ \(.+\); nothing was sent", line), line
