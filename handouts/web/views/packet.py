"""The packet: its basket of documents, its form, and the PDF made from them in memory
and streamed, never stored or logged."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from ..access import local
from ..catalog import Catalog
from ..emailing import callable_problem
from ..forms import basket_change, checked_request, packet_form, shown_cards
from ..packet_pool import Unmade
from ..state import basket, owner, state

packet = Blueprint("packet", __name__)

# What the page showed has changed since (a document rebuilt or withdrawn): the request
# conflicts with the library as it is now (409), and is not carried out.
CHANGED_STATUS = 409
# The packet asked for cannot be made from the documents as they are now: the request was
# understood, and sending it again unchanged will not help (422, as for the form's problems).
UNMADE_STATUS = 422


@packet.post("/basket")
def change_basket():
    slug, action = basket_change(request.form)
    card = state().catalog.card(slug)
    if card is None:
        abort(400, "There is no such document.")
    items = basket()
    if action == "add" and not card.packetable:
        abort(400, f"\u201c{card.title}\u201d is printed on its own: it cannot go in a packet. "
                   "Print it from its page.")
    if action == "add" and slug not in items:
        most = state().settings.basket_limit
        if len(items) < most:
            items.append(slug)
            session["added"] = slug  # said beside its button on the page it came from
        else:
            flash(f"The packet already holds {most} documents, the most it can take: "
                  f"\u201c{card.title}\u201d was not added. Remove a document from the packet "
                  "to make room.")
    elif action == "remove" and slug in items:
        items.remove(slug)
    elif action in ("up", "down") and slug in items:
        index = items.index(slug)
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
    session["basket"] = items
    return redirect(local(request.form.get("next")) or url_for("packet.page"))


@packet.route("/packet", methods=["GET", "POST"])
def page():
    # Back from the email step: what was typed, held by the server (see HeldForms).
    kept = state().held.get(request.args.get("held", ""), owner())
    if kept:
        return packet_page(dict(kept.form))
    return packet_page(packet_form(request.form) if request.method == "POST" else {})


@packet.post("/packet/pdf")
def pdf():
    asked = asked_for()
    if not isinstance(asked, Asked):
        return asked  # the packet page, saying what is wrong
    made = state().packets.packet(state().project, asked.request)
    if isinstance(made, Unmade):
        return unmade_page(made)
    return send_file(io.BytesIO(made.data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"packet-{asked.form['date']}.pdf")


@packet.post("/packet/next")
def next_family():
    """Start the next family: the basket emptied, and what was typed for the last one
    let go."""
    state().held.drop_all(owner())
    session.pop("basket", None)
    session.pop("sent", None)
    flash("The packet is empty, ready for the next family.", "done")
    return redirect(url_for("catalog.index"))


@dataclass(frozen=True)
class Asked:
    """A packet the packet page's form asks for, checked."""

    form: dict  # as typed, with the date and language as the packet takes them
    cards: list  # the documents the page showed, each still as shown
    request: Any  # deliver.packet.PacketRequest


def asked_for():
    """The packet the posted packet form asks for, or the packet page again, saying
    what is wrong (for the download and for the email step alike)."""
    form = packet_form(request.form)
    shown = shown_now(request.form.getlist("shown"))
    if isinstance(shown, str):
        return packet_page(form, shown, CHANGED_STATUS)
    outcome = checked_request(form, shown)
    if isinstance(outcome, str):
        return packet_page(form, outcome, 422)
    return Asked(form, shown, outcome)


def packet_page(form: dict, problem: str | None = None, status: int = 200):
    """The packet page, with what was typed and, if any, what is wrong with it."""
    catalog = state().catalog
    cards = [c for c in (catalog.card(s) for s in basket()) if c and c.packetable]
    kept = state().brand.get()
    languages = catalog.choices()["languages"]
    return render_template("packet.html.j2", cards=cards, form=form, problem=problem,
                           today=dt.date.today().isoformat(), languages=languages,
                           not_translated=not_translated(cards, languages),
                           email_off=callable_problem(kept, form.get("lang") or "en"),
                           drafts=[c for c in cards if c.status == "draft"],
                           drafts_allowed=kept.allow_draft_delivery), status


def unmade_page(unmade: Unmade):
    """A packet that cannot be made, said for the front desk; the slugs (nothing
    personal) are logged for whoever looks after the handouts."""
    current_app.logger.warning("a packet could not be made; at fault: %s%s",
                               ", ".join(unmade.slugs) or "not known",
                               " (edited since built)" if unmade.changed else "")
    return render_template("problem.html.j2", message=unmade_message(unmade, state().catalog),
                           back_to_packet=True), UNMADE_STATUS


def shown_now(values: list[str]):
    """The documents a page showed, if each is still as shown (see forms.shown_cards)."""
    return shown_cards(state().catalog, values, state().settings.basket_limit)


def not_translated(cards: list, languages: list[str]) -> dict[str, list]:
    """For each language a packet can be in, the documents that have no copy in it (they
    go in English): said on the page before anything is made or sent."""
    missing = {lang: [c for c in cards if lang not in c.languages] for lang in languages}
    return {lang: found for lang, found in missing.items() if found}


def unmade_message(unmade: Unmade, catalog: Catalog) -> str:
    from ...deliver.mail import quoted_titles

    titles = [card.title for card in map(catalog.card, unmade.slugs) if card]
    if not titles:
        return ("This packet could not be made. Try again; if it happens again, tell whoever "
                "looks after the handouts.")
    which = quoted_titles(titles)
    one = len(titles) == 1
    if unmade.changed:
        return (f"Nothing was sent or saved: {which} {'was' if one else 'were'} edited after "
                f"the copy on this page was built, so the packet would not be what you saw. "
                f"{'It' if one else 'They'} can go in a packet again once the library is "
                "rebuilt; tell whoever looks after the handouts.")
    return (f"This packet could not be made: {which} cannot go in a packet right now (whoever "
            "looks after the handouts needs to fix "
            f"{'it' if one else 'them'}). Take "
            f"{'it' if one else 'them'} out of the packet and try again.")
