"""Sending one message over SMTP, within one deadline, and saying what happened.

One message, one SMTP transaction: the server takes the whole message or none of it,
so nothing is half-sent. Names and addresses are never logged: the log says how many
attachments went where, not to whom.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

from .mail import DeliveryError, SmtpSettings

log = logging.getLogger("handouts.delivery")


NOT_ANSWERING = ("The mail server is not answering. Nothing was sent. Try again later, or "
                 "download the packet and print it.")


MAYBE_SENT = ("The mail server did not confirm that it took the email, so it may or may not "
              "have been sent. Check with whoever looks after the mail server before sending "
              "it again, or download the packet and print it.")


@dataclass(frozen=True)
class Delivery:
    """One delivery as its log line names it: an id to find it by, the documents (each
    one's slug, code, version and language) and the message's language. Never a name,
    an address or a note: those stay in the message."""

    documents: tuple  # packet.Included, in order
    lang: str
    id: str = field(default_factory=lambda: secrets.token_hex(6))

    def described(self) -> str:
        return "; ".join(f"{d.slug} {d.code or '(no code)'} version {d.version} {d.lang}"
                         f"{' draft' if d.draft else ''}" for d in self.documents)


def send(message: EmailMessage, settings: SmtpSettings, delivery: Delivery | None = None) -> None:
    """Hand the message to the mail server in one transaction, within settings.timeout
    for the whole exchange, or raise DeliveryError. Either way one line is logged for
    `delivery`: what was sent, or why not."""
    parts = sum(1 for _ in message.iter_attachments())
    log.info("sending one message with %d attachment(s) to the mail server at %s:%d (%s)",
             parts, settings.host, settings.port, settings.security)
    context = _tls_context(settings)
    try:
        with Deadline(settings.timeout) as deadline:
            client: _Client | None = None
            try:
                client = _Client(deadline, context if settings.security == "ssl" else None,
                                 settings.host, settings.port)
                _exchange(client, message, settings, context)
            except Exception as exc:
                failure = _failure(exc, settings, deadline,
                                   client is not None and client.handed_over)
                if failure is None:
                    raise
                raise failure from None
    except DeliveryError as failure:
        if delivery:
            log.warning("delivery %s: failed: %s", delivery.id, failure)
        raise
    log.info("the mail server accepted the message")
    if delivery:
        log.info("delivery %s: sent, in %s: %s", delivery.id, delivery.lang, delivery.described())


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:  # ssl.SSLError first would be an OSError too
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or "unreadable"
        raise DeliveryError(f"SMTP_CA_FILE cannot be used as a certificate authority ({reason}); "
                            "nothing was sent") from None


def _exchange(client: _Client, message: EmailMessage, settings: SmtpSettings,
              context: ssl.SSLContext) -> None:
    try:
        if settings.security == "starttls":
            client.starttls(context=context)
        if settings.user:
            _login(client, settings)
        client.ehlo_or_helo_if_needed()
        if not str(message["To"]).isascii() and not client.has_extn("smtputf8"):
            raise DeliveryError(
                "the recipient's address has letters outside A-Z before the @, and the mail "
                "server cannot send to such an address (it does not offer SMTPUTF8); nothing "
                "was sent",
                "That email address has letters before the @ that the clinic's mail server "
                "cannot send to. Ask for another address, or download the packet and print "
                "it. Nothing was sent.")
        try:
            client.send_message(message)
        except smtplib.SMTPNotSupportedError:  # here, only SMTP_FROM can still be the cause
            raise DeliveryError("SMTP_FROM has letters outside A-Z before the @, and the mail "
                                "server does not offer SMTPUTF8; nothing was sent") from None
    finally:
        _close(client)


def _close(client: smtplib.SMTP) -> None:
    """QUIT, still within the deadline. The message's fate is already decided, so no answer
    to QUIT (or none at all) changes what is reported."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _failure(exc: Exception, settings: SmtpSettings, deadline: Deadline,
             handed_over: bool) -> DeliveryError | None:
    """What went wrong, as one line; None for an error that is not about delivery (a bug)."""
    where = f"the mail server at {settings.host}:{settings.port}"
    if isinstance(exc, DeliveryError):
        return exc
    if handed_over and isinstance(exc, (OSError, smtplib.SMTPServerDisconnected)):
        # The whole message went out; only the server's "250 accepted" is missing.
        return DeliveryError(f"{where} took the message but did not confirm it: it may or may "
                             "not have been sent; check before sending it again", MAYBE_SENT)
    if deadline.expired or isinstance(exc, TimeoutError):
        return DeliveryError(f"{where} did not finish answering within {settings.timeout:g} s "
                             "(SMTP_TIMEOUT); nothing was sent", NOT_ANSWERING)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryError("the mail server refused the recipient's address; nothing was sent",
                             "The mail server would not take that email address. Check it, or "
                             "download the packet and print it. Nothing was sent.")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryError("the mail server refused the sender address (SMTP_FROM); nothing "
                             "was sent")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError("the mail server refused SMTP_USER and SMTP_PASSWORD; nothing was "
                             "sent")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError("the mail server does not offer STARTTLS (or AUTH); set "
                             "SMTP_SECURITY to match it; nothing was sent")
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(f"the mail server refused the message ({exc.smtp_code}); nothing "
                             "was sent")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError("the mail server's certificate could not be verified (see "
                             "SMTP_CA_FILE); nothing was sent")
    if isinstance(exc, (OSError, smtplib.SMTPException, UnicodeError)):
        # UnicodeError: a host name that IDNA cannot encode (a label over 63 letters).
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return DeliveryError(f"could not reach {where} ({reason}); nothing was sent")
    return None


def _login(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    try:
        client.login(settings.user or "", settings.password or "")
    except smtplib.SMTPNotSupportedError:
        raise
    except smtplib.SMTPException:
        # Some servers answer a wrong password by hanging up: it is still the password.
        raise smtplib.SMTPAuthenticationError(535, b"authentication failed") from None


class Deadline:
    """A time limit for a whole exchange with the mail server, from the name lookup to QUIT.

    smtplib's own timeout is for each read, so a server that sends a byte every few seconds
    never trips it. When the time is up, this shuts the connection down through a duplicate
    of its socket (the duplicate survives TLS wrapping and STARTTLS, which keep the same
    connection under a new socket object): whatever smtplib is waiting for returns at once,
    and no new connection may start."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._fired = False
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            self._fired = True  # nothing new may be watched once the exchange is over
            for duplicate in self._watched:
                duplicate.close()
            self._watched.clear()

    @property
    def expired(self) -> bool:
        return self._fired or time.monotonic() >= self._end

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if self._fired or left <= 0:
            raise TimeoutError("the time for the mail server is up")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self._fired:
                raise TimeoutError("the time for the mail server is up")
            self._watched.append(sock.dup())

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            for duplicate in self._watched:
                with contextlib.suppress(OSError):  # already closed by the other end
                    duplicate.shutdown(socket.SHUT_RDWR)


class _Client(smtplib.SMTP):
    """smtplib.SMTP whose connection is made within a Deadline and watched by it; with `tls`,
    TLS from the first byte (SMTP_SECURITY=ssl), as smtplib.SMTP_SSL does."""

    def __init__(self, deadline: Deadline, tls: ssl.SSLContext | None, host: str, port: int):
        self._deadline = deadline
        self._tls = tls
        self.handed_over = False  # the whole message, up to its final dot, went out
        self._in_data = False
        super().__init__(host, port, timeout=deadline.seconds)

    def _get_socket(self, host, port, timeout):
        sock = _connect(host, port, self._deadline)
        sock.settimeout(timeout)  # each read, as smtplib has it; the deadline bounds them all
        if self._tls is None:
            return sock
        return self._tls.wrap_socket(sock, server_hostname=host)

    def data(self, msg):
        self._in_data = True
        return super().data(msg)

    def send(self, s):
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.handed_over = True  # the payload and its final dot; after it, only "250"


def _connect(host: str, port: int, deadline: Deadline) -> socket.socket:
    """A TCP connection to the first address of `host` that answers, watched by `deadline`."""
    last: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _, address in _addresses(host, port, deadline):
        sock = socket.socket(family, kind, proto)
        try:
            deadline.watch(sock)
            sock.settimeout(deadline.remaining())
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
            if deadline.expired:
                break
    raise last


def _addresses(host: str, port: int, deadline: Deadline) -> list:
    """getaddrinfo has no timeout of its own: it is asked in a thread, and waited for only as
    long as the deadline leaves (an abandoned lookup ends by itself, and connects nowhere)."""
    answers: queue.SimpleQueue = queue.SimpleQueue()

    def look_up() -> None:
        try:
            answers.put(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            answers.put(exc)

    threading.Thread(target=look_up, name="smtp-lookup", daemon=True).start()
    try:
        found = answers.get(timeout=deadline.remaining())
    except queue.Empty:
        raise TimeoutError("the mail server's name did not resolve in time") from None
    if isinstance(found, Exception):
        raise found
    return found
