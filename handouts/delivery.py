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
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Mapping

log = logging.getLogger("handouts.delivery")

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT = 20  # seconds to wait for the mail server


class DeliveryError(Exception):
    """Why nothing was sent, in one line a member of staff can act on."""


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
        raise DeliveryError("the recipient's address is not a valid email address") from None


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
        raise DeliveryError(f"the attachments come to {total / 1e6:.1f} MB, more than the "
                            f"{limit_bytes / 1e6:g} MB limit: send fewer documents, or --separate "
                            "in several messages")


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
        raise DeliveryError("the mail server refused the recipient's address; nothing was sent") from None
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
    """The message as a .eml file, named by the time only."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"message-{stamp}.eml"
    counter = 1
    while path.exists():
        counter += 1
        path = folder / f"message-{stamp}-{counter}.eml"
    path.write_bytes(bytes(message))
    log.info("wrote the message to a .eml file instead of sending it")
    return path
