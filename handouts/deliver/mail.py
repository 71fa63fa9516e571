"""Email delivery: one message to a family, with the handouts attached.

SMTP settings come from the environment (SMTP_HOST, SMTP_PORT, SMTP_USER,
SMTP_PASSWORD, SMTP_SECURITY = starttls, ssl or none, SMTP_FROM,
SMTP_CA_FILE to trust a private certificate authority, and SMTP_TIMEOUT, the
seconds the whole exchange may take). Without them, or for a dry run, the
message is written to a .eml file instead of being sent.

Everything that can be checked before connecting (the address, the size, the
clinic's phone number, the drafts) is checked here; the sending itself is
smtp.py. Names and addresses are never logged.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..problems import HandoutsError, UsageError

log = logging.getLogger("handouts.delivery")

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
TIMEOUT = 30.0  # seconds for the whole exchange, from the name lookup to QUIT (SMTP_TIMEOUT)
SERVER_TROUBLE = ("The email could not be sent: there is a problem with this computer's mail "
                  "settings or the mail server. Nothing was sent. Download the packet instead, "
                  "and tell whoever looks after this app.")


class DeliveryError(HandoutsError):
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
    timeout: float = TIMEOUT

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> SmtpSettings | None:
        """The settings in `environ`, or None when no mail server is set up."""
        host = environ.get("SMTP_HOST", "").strip()
        if not host:
            return None
        security = environ.get("SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITY:
            raise DeliveryError(f"SMTP_SECURITY must be starttls, ssl or none, not '{security}'")
        port = _port(environ.get("SMTP_PORT") or str(DEFAULT_PORTS[security]))
        sender = environ.get("SMTP_FROM", "").strip()
        if not sender:
            raise DeliveryError("SMTP_FROM must say which address the message comes from")
        return cls(host, port, security, sender, environ.get("SMTP_USER") or None,
                   environ.get("SMTP_PASSWORD") or None, environ.get("SMTP_CA_FILE") or None,
                   _seconds(environ.get("SMTP_TIMEOUT") or str(TIMEOUT)))


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 0 < port < 65536:  # socket raises OverflowError, not OSError, past 65535
        raise DeliveryError("SMTP_PORT must be a port number, from 1 to 65535")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise DeliveryError("SMTP_TIMEOUT must be a number of seconds, more than 0 (default 30)")
    return seconds


@dataclass(frozen=True)
class Attachment:
    filename: str  # generic: handouts.pdf, handout-2.pdf; never a name
    data: bytes


def check_address(address: str) -> str:
    """The address as it is sent, or DeliveryError saying what is wrong with it. Checked
    offline: no DNS lookups. The domain is in its IDNA (ASCII) form, which every mail server
    takes; a local part outside ASCII is kept, and needs a server that offers SMTPUTF8."""
    from email_validator import EmailNotValidError, validate_email

    try:
        found = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        # The validator's reason may quote what was typed: fine on the typist's own screen;
        # it is never logged.
        reason = str(exc).rstrip(".")
        reason = reason[:1].lower() + reason[1:]
        raise DeliveryError(f"the recipient's address is not a valid email address ({reason})",
                            f"That email address does not look right ({reason}). Check it and "
                            "try again.") from None
    return found.ascii_email or f"{found.local_part}@{found.ascii_domain}"


def size_limit(megabytes: str) -> int:
    """--max-size in bytes: a number of megabytes more than 0 (nan, inf and 0 are no limit)."""
    try:
        value = float(megabytes)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value * 1_000_000 >= 1):
        raise UsageError("--max-size takes a number of megabytes more than 0, such as 10")
    return int(value * 1_000_000)


def compose(to: str, sender: str, subject: str, text: str, html: str,
            attachments: list[Attachment]) -> EmailMessage:
    # A local part outside ASCII is written as UTF-8 (RFC 6532): an encoded word is not
    # allowed in an address, and a server that offers SMTPUTF8 expects it so.
    message = EmailMessage(policy=policy.default.clone(utf8=not to.isascii()))
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for attachment in attachments:
        message.add_attachment(attachment.data, maintype="application", subtype="pdf",
                               filename=attachment.filename)
    return message


def check_callable(brand, lang: str) -> None:
    """Nothing goes to a family who could not call the clinic back: the phone number, in
    English and in the packet's language, must be a real one, not a placeholder."""
    from ..content.brand_parts import PLACEHOLDER

    for texts in (brand.in_language("en"), brand.in_language(lang)):
        phone = texts.contact.phone
        if not phone or PLACEHOLDER.match(phone):
            shown = f"still says {phone}" if phone else "has none"
            raise DeliveryError(
                f"the clinic's phone number in {brand.path.name} {shown}: a family must be able "
                "to call back, so nothing is emailed until the real number is under defaults: "
                "handouts: contact: phone; nothing was sent",
                f"Email is off until the clinic's real phone number is in the handouts' brand "
                f"file (it {shown}): a family must be able to call back. Download the packet "
                "and print it, and tell whoever looks after the handouts.")


def check_approved(brand, documents) -> None:
    """Only what a clinician approved goes to a family, unless the brand allows drafts
    for a pilot (delivery: allow_drafts). `documents` are packet.Included."""
    drafts = [d for d in documents if d.draft]
    if not drafts or brand.allow_draft_delivery:
        return
    titles = quoted_titles([d.title for d in drafts])
    are = "is a draft" if len(drafts) == 1 else "are drafts"
    raise DeliveryError(
        f"{titles} {are}, not yet approved by a clinician, and drafts are not emailed to "
        f"families: print with `packet` instead (drafts print with a DRAFT mark), or for a "
        f"pilot set defaults: handouts: delivery: allow_drafts: true in {brand.path.name}; "
        "nothing was sent",
        f"{titles} {are}, not yet approved by a clinician, "
        f"so {'it' if len(drafts) == 1 else 'they'} "
        "cannot be emailed to a family. Download the packet and print it (drafts print with a "
        "DRAFT mark), or take "
        f"{'it' if len(drafts) == 1 else 'them'} out of the packet.")


def quoted_titles(titles: list[str]) -> str:
    """“A”, “B” and “C”: documents named in a sentence."""
    quoted = [f"\u201c{t}\u201d" for t in titles]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def check_size(attachments: list[Attachment], limit_bytes: int) -> None:
    total = sum(len(a.data) for a in attachments)
    if total > limit_bytes:
        size = f"{total / 1e6:.1f} MB, more than the {limit_bytes / 1e6:g} MB limit"
        raise DeliveryError(f"the attachments come to {size}: leave some documents out and send "
                            "them in a second message; nothing was sent",
                            f"The packet is too large to email ({size}). Take a document out of "
                            "the packet and send it separately, or download the packet and "
                            "print it.")


def write_eml(message: EmailMessage, folder: Path) -> Path:
    """The message as a .eml file, named by the time only, readable by its owner alone
    (mode 0600, like a packet): it holds a family's address and their handouts.

    Written whole under a temporary name, then linked to its name, which never
    replaces an existing file: a message file is complete or absent."""
    try:
        path = _write_new(bytes(message), folder)
    except OSError as exc:
        raise DeliveryError(f"could not write the message file in {folder} "
                            f"({exc.strerror or type(exc).__name__}); nothing was sent") from None
    log.info("wrote the message to a .eml file instead of sending it")
    return path


def _write_new(data: bytes, folder: Path) -> Path:
    from ..library.outputs import write_temporary

    folder.mkdir(parents=True, exist_ok=True)
    temporary = write_temporary(folder, data, prefix=".message-")
    try:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        names = (f"message-{stamp}.eml" if n == 1 else f"message-{stamp}-{n}.eml"
                 for n in itertools.count(1))
        while True:
            path = folder / next(names)
            try:
                os.link(temporary, path)
                return path
            except FileExistsError:
                continue
    finally:
        temporary.unlink(missing_ok=True)
