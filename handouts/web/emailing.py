"""What stands between a packet and a family's inbox, said for the front desk; and the
sending itself, through the pipeline's own delivery (deliver/mail.py, deliver/smtp.py)."""

from __future__ import annotations

import os
from pathlib import Path

from ..project import Project

MAIL_LIMIT = 10_000_000
NO_MAIL = "Email is not set up on this computer. Download the packet and print it instead."
SENDING = ("This email is already being sent (Send was pressed twice). Nothing more was sent: "
           "wait a moment, then look at the Packet page.")


def mail_problem() -> str | None:
    from ..deliver.mail import DeliveryError, SmtpSettings

    try:
        mail = SmtpSettings.from_environment(os.environ)
    except DeliveryError as exc:
        return exc.staff
    return NO_MAIL if mail is None else None


def callable_problem(brand, lang: str) -> str | None:
    """Why nothing can be emailed while the clinic's phone number is a placeholder."""
    from ..deliver.mail import check_callable

    return _said(check_callable, brand, lang)


def drafts_problem(brand, cards: list, packet_request) -> str | None:
    """Drafts, as the catalog lists them, are not emailed unless the brand allows it
    (the packet as built is checked again before sending)."""
    from ..deliver.mail import check_approved
    from ..deliver.packet import Included

    files = [(c, c.packet_file(packet_request.lang, packet_request.large_print)) for c in cards]
    documents = [Included(c.slug, f.lang, c.title_in(f.lang), f.code, f.version,
                          f.status == "draft", Path(f.source)) for c, f in files if f]
    return _said(check_approved, brand, documents)


def _said(check, *args) -> str | None:
    """What one of delivery's checks says to the front desk, or None if it passes."""
    from ..deliver.mail import DeliveryError

    try:
        check(*args)
    except DeliveryError as exc:
        return exc.staff
    return None


def sending_problem(brand, cards: list, packet_request) -> str | None:
    """Whatever would stop this packet being emailed, checked before the email page."""
    return mail_problem() or callable_problem(brand, packet_request.lang) \
        or drafts_problem(brand, cards, packet_request)


def send_packet(project: Project, brand, packet, address: str, settings, lang: str,
                delivery=None) -> None:
    from ..deliver.mail import Attachment, check_size, compose
    from ..deliver.smtp import send
    from ..render.layout import email_text

    attachments = [Attachment("handouts.pdf", packet.data)]
    check_size(attachments, MAIL_LIMIT)
    words = email_text(brand, project.layouts, lang, len(attachments))
    send(compose(address, settings.sender, words.subject, words.text, words.html, attachments),
         settings, delivery)
