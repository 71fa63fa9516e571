"""Email delivery: one message to a family, with the handouts attached.

SMTP settings come from the environment (SMTP_HOST, SMTP_PORT, SMTP_USER,
SMTP_PASSWORD, SMTP_SECURITY = starttls, ssl or none, SMTP_FROM, and
SMTP_CA_FILE to trust a private certificate authority). Without them, or for
a dry run, the message is written to a .eml file instead of being sent.

One message, one SMTP transaction: the server takes the whole message or
none of it, so nothing is half-sent. Everything that can be checked before
connecting (the address, the size) is. Names and addresses are never logged:
the log says how many attachments went where, not to whom.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Mapping

log = logging.getLogger("handouts.delivery")

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT = 20  # seconds to wait for the mail server
SERVER_TROUBLE = ("The email could not be sent: there is a problem with this computer's mail "
                  "settings or the mail server. Nothing was sent. Download the packet instead, "
                  "and tell whoever looks after this app.")


class DeliveryError(Exception):
    """Why nothing was sent, in one line: the message for whoever runs the command (it may
    name settings), and `staff`, the same in words for the front desk (the app shows it)."""

    def __init__(self, message: str, staff: str = SERVER_TROUBLE):
        super().__init__(message)
        self.staff = staff


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """The settings in `environ`, or None when no mail server is set up."""
        host = environ.get("SMTP_HOST", "").strip()
        if not host:
            return None
        security = environ.get("SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITY:
            raise DeliveryError(f"SMTP_SECURITY must be starttls, ssl or none, not '{security}'")
        try:
            port = int(environ.get("SMTP_PORT") or DEFAULT_PORTS[security])
        except ValueError:
            raise DeliveryError("SMTP_PORT must be a number") from None
        sender = environ.get("SMTP_FROM", "").strip()
        if not sender:
            raise DeliveryError("SMTP_FROM must say which address the message comes from")
        return cls(host, port, security, sender, environ.get("SMTP_USER") or None,
                   environ.get("SMTP_PASSWORD") or None, environ.get("SMTP_CA_FILE") or None)


@dataclass(frozen=True)
class Attachment:
    filename: str  # generic: handouts.pdf, handout-2.pdf; never a name
    data: bytes


def check_address(address: str) -> str:
    """The address, normalised, or DeliveryError. Checked offline: no DNS lookups."""
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise DeliveryError("the recipient's address is not a valid email address",
                            "That email address does not look right. Check it and try again.") from None


def compose(to: str, sender: str, subject: str, text: str, html: str,
            attachments: list[Attachment]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(attachment.data, maintype="application", subtype="pdf",
                               filename=attachment.filename)
    return message


def check_size(attachments: list[Attachment], limit_bytes: int) -> None:
    total = sum(len(a.data) for a in attachments)
    if total > limit_bytes:
        size = f"{total / 1e6:.1f} MB, more than the {limit_bytes / 1e6:g} MB limit"
        raise DeliveryError(f"the attachments come to {size}: leave some documents out and send "
                            "them in a second message; nothing was sent",
                            f"The packet is too large to email ({size}). Take a document out of "
                            "the packet and send it separately, or download the packet and print it.")


def send(message: EmailMessage, settings: SmtpSettings) -> None:
    """Hand the message to the mail server in one transaction, or raise DeliveryError."""
    parts = sum(1 for _ in message.iter_attachments())
    log.info("sending one message with %d attachment(s) to the mail server at %s:%d (%s)",
             parts, settings.host, settings.port, settings.security)
    context = ssl.create_default_context(cafile=settings.ca_file)
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.user:
                _login(client, settings)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise DeliveryError("the mail server refused the recipient's address; nothing was sent",
                            "The mail server would not take that email address. Check it, or "
                            "download the packet and print it. Nothing was sent.") from None
    except smtplib.SMTPSenderRefused:
        raise DeliveryError("the mail server refused the sender address (SMTP_FROM); nothing was sent") from None
    except smtplib.SMTPAuthenticationError:
        raise DeliveryError("the mail server refused SMTP_USER and SMTP_PASSWORD; nothing was sent") from None
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError("the mail server does not offer STARTTLS (or AUTH); set SMTP_SECURITY "
                            "to match it; nothing was sent") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"the mail server refused the message ({exc.smtp_code}); nothing was "
                            "sent") from None
    except ssl.SSLError:
        raise DeliveryError("the mail server's certificate could not be verified (see SMTP_CA_FILE); "
                            "nothing was sent") from None
    except (OSError, socket.timeout, smtplib.SMTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise DeliveryError(f"could not reach the mail server at {settings.host}:{settings.port} "
                            f"({reason}); nothing was sent") from None
    log.info("the mail server accepted the message")


def _login(client: smtplib.SMTP, settings: SmtpSettings) -> None:
    try:
        client.login(settings.user, settings.password or "")
    except smtplib.SMTPNotSupportedError:
        raise
    except smtplib.SMTPException:
        # Some servers answer a wrong password by hanging up: it is still the password.
        raise smtplib.SMTPAuthenticationError(535, b"authentication failed") from None


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """The message as a .eml file, named by the time only, readable by its owner alone
    (mode 0600, like a packet): it holds a family's address and their handouts.

    Written whole under a temporary name, then linked to its name, which never
    replaces an existing file: a message file is complete or absent."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".message-", suffix=".part")  # 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(bytes(message))
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for counter in itertools.count(1):
            path = folder / (f"message-{stamp}.eml" if counter == 1 else
                             f"message-{stamp}-{counter}.eml")
            try:
                os.link(temporary, path)
                break
            except FileExistsError:
                continue
    finally:
        Path(temporary).unlink(missing_ok=True)
    log.info("wrote the message to a .eml file instead of sending it")
    return path
