"""Every form the app takes, read and checked here and nowhere else.

Each posted form is checked once, before any view sees it (`check_posted`: its CSRF
token, and each field's length against FIELDS); each view then reads its fields through
one function of this module, which says what is wrong in words for the front desk."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping

from .access import local
from .catalog import LANGUAGE_NAMES, Catalog

# The longest each form field may be; a field not listed here takes at most OTHER_LIMIT.
LIMITS = {"csrf_token": 100, "slug": 100, "action": 10, "next": 500,
          # Looser than what a packet takes (PERSONAL_LIMITS), which the page says in words.
          "for_name": 1000, "clinician": 1000, "date": 10, "note": 10_000, "lang": 10,
          "large_print": 2, "to": 254, "consent_on": 10, "consent_checked": 2,
          "password": 200, "shown": 150}
OTHER_LIMIT = 100
FIELD_NAMES = {"for_name": "the name", "clinician": "\u201cPrepared by\u201d", "note": "the note",
               "to": "the email address", "password": "the password"}
EXPIRED = "This form has expired. Go back, reload the page and try again."

PACKET_FIELDS = ("for_name", "clinician", "date", "note", "lang", "to", "consent_on")
# What staff may type for a family, as the packet itself takes it (packet.LIMITS). The
# form's own limits (LIMITS) are looser, so that a name too long is said on the page,
# with what was typed kept, never cut mid-word by the browser.
PERSONAL_LIMITS = {"for_name": ("the name", 200), "clinician": ("\u201cPrepared by\u201d", 200),
                   "note": ("the note", 2000)}
EARLIEST_CONSENT = dt.date(1990, 1, 1)
CONSENT_YEARS = 3  # a consent recorded longer ago than this is asked to be checked
OLD_CONSENT = ("The consent date is more than three years ago. Check it in the patient's "
               "record: if it is right, tick \u201cThe consent date is right\u201d and send again.")
CATALOG_FILTERS = ("q", "topic", "audience", "lang", "format")
BASKET_ACTIONS = ("add", "remove", "up", "down")


def check_posted(form, expected_token: str) -> str | None:
    """What is wrong with any posted form, before a view reads it: a token that is not
    this session's (CSRF), or a field longer than it may be."""
    sent = form.get("csrf_token", "")
    if not expected_token or not hmac.compare_digest(sent, expected_token):
        return EXPIRED
    for field, value in form.items(multi=True):
        limit = LIMITS.get(field, OTHER_LIMIT)
        if len(value) > limit:
            return (f"That is too long: {FIELD_NAMES.get(field, field)} takes at most {limit} "
                    "characters.")
    return None


def catalog_filters(args: Mapping[str, str]) -> dict[str, str]:
    return {key: args.get(key, "")[:100] for key in CATALOG_FILTERS}


def basket_change(form) -> tuple[str, str]:
    """The document and what to do with it (one of BASKET_ACTIONS, or "")."""
    action = form.get("action", "")
    return form.get("slug", ""), action if action in BASKET_ACTIONS else ""


def packet_form(form) -> dict:
    """What was typed into the packet's form; it stays in this request."""
    typed: dict[str, str | bool] = {key: form.get(key, "").strip() for key in PACKET_FIELDS}
    typed["large_print"] = form.get("large_print") == "on"
    return typed


def email_form(held: dict, form) -> dict:
    """The packet's form as held, with what the email page adds to it."""
    return {**held, "to": form.get("to", "").strip(),
            "consent_on": form.get("consent_on", "").strip()}


def sign_in_form(form) -> tuple[str, str | None]:
    """The password typed, and the page to go back to (only ever a page of this site)."""
    return form.get("password", ""), local(form.get("next"))


def consent_checked(form) -> bool:
    return form.get("consent_checked") == "on"


def shown_cards(catalog: Catalog, shown: list[str], most: int):
    """The documents a page showed, each as `slug:stamp` in its form, if each is still
    what it showed; else what changed, in words. Never the basket: another tab may have
    changed it since."""
    slugs = [value.partition(":")[0] for value in shown]
    if len(shown) > most or len(set(slugs)) != len(slugs):
        return ("This page's list of documents is not one the app made (more than "
                f"{most}, or one twice). Nothing was sent or saved: open the Packet "
                "page again.")
    cards = []
    for value in shown:
        slug, _, stamp = value.partition(":")
        card = catalog.card(slug)
        if card is not None and not card.packetable:
            return (f"\u201c{card.title}\u201d is printed on its own and does not go in a "
                    "packet. Nothing was sent or saved: open the Packet page again.")
        if card is None:
            return ("A document this page showed has been taken out of the library since. "
                    "Nothing was sent or saved: look over the packet again, as it is now.")
        if card.stamp != stamp:
            return (f"\u201c{card.title}\u201d was rebuilt after this page was shown, so it may "
                    "have changed. Nothing was sent or saved: look at it again, then make the "
                    "packet.")
        cards.append(card)
    return cards


def checked_request(form: dict, cards: list):
    """The packet to make from the form, or what is wrong, in words for the front desk.
    It carries the digest of each source the shown copy was built from, so that a source
    edited since is refused rather than sent unseen (see packet.Changed)."""
    from ..deliver.packet import PacketRequest, Personalisation

    if not cards:
        return "Add at least one document to the packet first."
    if not form["for_name"]:
        return "Please give the name of the person the packet is for."
    problem = personal_problem(form)
    if problem:
        return problem
    try:
        date = dt.date.fromisoformat(form["date"]) if form["date"] else dt.date.today()
    except ValueError:
        return "The date is not a date."
    form["date"] = date.isoformat()
    lang = form["lang"] if form["lang"] in LANGUAGE_NAMES else "en"
    form["lang"] = lang
    person = Personalisation(form["for_name"], form["clinician"] or None, date,
                             form["note"] or None)
    files = {c.slug: c.packet_file(lang, form["large_print"]) for c in cards}
    expected = tuple((slug, f.source_sha256) for slug, f in files.items()
                     if f and f.source_sha256)
    return PacketRequest(tuple(c.slug for c in cards), person, lang, form["large_print"],
                         expected)


def personal_problem(form: dict) -> str | None:
    """A name, "Prepared by" or note longer than the packet takes, or with a character
    that cannot be printed."""
    from ..deliver.packet import unprintable

    for field, (name, limit) in PERSONAL_LIMITS.items():
        if len(form[field]) > limit:
            return (f"That is too long: {name} is {len(form[field])} characters, and the packet "
                    f"takes at most {limit}. Shorten it.")
        if unprintable(form[field], lines=field == "note"):
            return (f"{name[0].upper()}{name[1:]} has a character that cannot be printed (often "
                    "pasted from another program): type it again.")
    return None


def consent_problem(consent_on: str, checked: bool = False) -> str | None:
    if not consent_on:
        return ("Nothing is sent without the date the patient's written consent to share with "
                "this person was recorded.")
    try:
        consent = dt.date.fromisoformat(consent_on)
    except ValueError:
        return "The consent date is not a date."
    today = dt.date.today()
    if consent > today:
        return "The consent date is in the future: give the date the consent was recorded."
    if consent < EARLIEST_CONSENT:
        return ("The consent date is before 1990, earlier than any consent this clinic could "
                "have recorded: check the date in the patient's record.")
    if consent < today.replace(year=today.year - CONSENT_YEARS, day=min(today.day, 28)) \
            and not checked:
        return OLD_CONSENT
    return None
