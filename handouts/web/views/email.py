"""Emailing a packet: from the packet page to an email page of its own, where the
address and the consent are given, then sent once, however often Send is pressed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from ..emailing import NO_MAIL, SENDING, send_packet, sending_problem
from ..forms import (
    OLD_CONSENT,
    checked_request,
    consent_checked,
    consent_problem,
    email_form,
)
from ..held_forms import HeldView
from ..packet_pool import Unmade
from ..state import owner, state
from .packet import CHANGED_STATUS, Asked, asked_for, packet_page, shown_now, unmade_page

email = Blueprint("email", __name__)


@email.post("/packet/email")
def start():
    """From the packet page to the email page: checked, then held by the server and
    shown at an address of its own (GET), so that Back, after sending, lands on a
    page and never on "Confirm Form Resubmission"."""
    asked = asked_for()
    if not isinstance(asked, Asked):
        return asked  # the packet page, saying what is wrong
    problem = sending_problem(state().brand.get(), asked.cards, asked.request)
    if problem:
        return packet_page(asked.form, problem, 422)
    token = state().held.put(owner(), asked.form, tuple(request.form.getlist("shown")))
    return redirect(url_for("email.page", token=token), 303)


@email.get("/packet/email/<token>")
def page(token: str):
    kept = state().held.get(token, owner())
    if kept is None:
        return gone(token)
    return email_page(token, kept, dict(kept.form))


@email.post("/packet/email/<token>")
def send(token: str):
    from ...deliver.mail import DeliveryError, check_approved
    from ...deliver.smtp import Delivery

    held = state().held
    kept = held.get(token, owner())
    if kept is None:
        return gone(token)
    form = email_form(kept.form, request.form)
    ready = ready_to_send(token, kept, form)
    if not isinstance(ready, Sendable):
        return ready  # the email page, saying why not
    outcome, address, mail = ready.request, ready.address, ready.mail
    # Taken out of the held forms before the wait for rendering and sending, so that a
    # second click (or a second request at once) cannot send it again.
    if not held.take(token, owner()):
        return gone(token)
    try:
        made = state().packets.packet(state().project, outcome)
    except BaseException:
        held.give_back(token)  # not made, so not sent: it may be tried again
        raise
    if isinstance(made, Unmade):
        held.give_back(token)
        return unmade_page(made)
    delivery = Delivery(made.included, outcome.lang)
    try:
        brand = state().brand.get()
        check_approved(brand, made.included)  # as built: a block may be a draft
        send_packet(state().project, brand, made, address, mail, outcome.lang, delivery)
    except DeliveryError as exc:
        held.give_back(token)  # nothing was sent: it may be tried again
        return email_page(token, kept, form, f"{exc.staff} (Reference: {delivery.id}.)", 422)
    except BaseException:
        held.give_back(token)
        raise
    held.drop(token)
    # The page's address by its digest: the address carries the held form's key.
    session["sent"] = {"token": _named(token), "at": dt.datetime.now().strftime("%H:%M"),
                       "reference": delivery.id}
    return redirect(url_for("email.sent"), 303)  # a reload shows the page, never sends again


@email.get("/packet/sent")
def sent():
    done = session.get("sent")
    if not isinstance(done, dict) or not done.get("at"):
        return redirect(url_for("packet.page"))
    return render_template("sent.html.j2", sent_at=done["at"], reference=done.get("reference"))


@dataclass(frozen=True)
class Sendable:
    request: Any  # deliver.packet.PacketRequest
    address: str
    mail: Any  # deliver.mail.SmtpSettings


def ready_to_send(token: str, kept: HeldView, form: dict):
    """What to send, and where, or the email page saying what stops it being sent."""
    from ...deliver.mail import DeliveryError, SmtpSettings, check_address, check_callable

    shown = shown_now(list(kept.shown))
    if isinstance(shown, str):
        return email_page(token, kept, form, shown, CHANGED_STATUS)
    outcome = checked_request(dict(form), shown)
    if isinstance(outcome, str):
        return email_page(token, kept, form, outcome, 422)
    problem = consent_problem(form["consent_on"], consent_checked(request.form))
    if problem:
        return email_page(token, kept, form, problem, 422)
    try:
        address = check_address(form["to"])
        mail = SmtpSettings.from_environment(os.environ)
        if mail is None:
            return email_page(token, kept, form, NO_MAIL, 422)
        check_callable(state().brand.get(), outcome.lang)
    except DeliveryError as exc:
        return email_page(token, kept, form, exc.staff, 422)
    return Sendable(outcome, address, mail)


def email_page(token: str, kept: HeldView, form: dict, problem: str | None = None,
               status: int = 200):
    found = (state().catalog.card(value.partition(":")[0]) for value in kept.shown)
    cards = [c for c in found if c is not None]
    lang = form["lang"]
    return render_template(
        "packet-email.html.j2", cards=cards, form=form, problem=problem, token=token,
        today=dt.date.today().isoformat(), ask_consent_check=problem == OLD_CONSENT,
        untranslated=[c for c in cards if lang not in c.languages],
        drafts=[c for c in cards
                if (f := c.packet_file(lang, form["large_print"])) and f.status == "draft"],
    ), status


def gone(token: str):
    """An email page no longer held: being sent, sent (Back from the sent page), or
    expired."""
    if state().held.sending(token):
        return render_template("problem.html.j2", message=SENDING), 409
    if (session.get("sent") or {}).get("token") == _named(token):
        return redirect(url_for("email.sent"))
    flash("That email page has expired (after 30 minutes), and "
          "nothing was sent from it. Fill in the packet again.")
    return redirect(url_for("packet.page"))


def _named(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
