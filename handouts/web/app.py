"""`make_docs.py serve`: the staff app, for browsing, printing, packets and email.

Flask, served by waitress. The app calls the pipeline's own stages (build,
packet, delivery) and re-implements none of them. Packets are made by warm
worker processes, one per CPU (renderer.py), so the catalog stays quick while
they run.

Security, in brief: it listens on 127.0.0.1 unless told otherwise, and then
only with a staff password (HANDOUTS_STAFF_PASSWORD); on 127.0.0.1 it answers
only requests addressed to this computer by name (no DNS rebinding); sign-ins
are kept by the server, so signing out ends one for good; wrong passwords are
budgeted per client address and in total, and a guess beyond the budget is refused
at once (429), so guessers hold no thread and signed-in staff never wait behind
them; every form carries a CSRF token;
every field is length-limited; documents and files are looked up in the
catalog, never by a path from the request; every value is escaped;
personalised PDFs are made in memory and streamed, never stored or logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import ipaddress
import math
import os
import secrets
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)

from ..problems import ContentError, UsageError
from ..project import PROJECT_ROOT, Project
from .catalog import FORMAT_LABELS, LANGUAGE_NAMES, Catalog, Thumbnails
from .packet_pool import PacketPool, Unmade

PASSWORD_VARIABLE = "HANDOUTS_STAFF_PASSWORD"
# The longest each form field may be; a field not listed here takes at most OTHER_LIMIT.
LIMITS = {"csrf_token": 100, "slug": 100, "action": 10, "next": 500,
          # Looser than what a packet takes (PERSONAL_LIMITS), which the page says in words.
          "for_name": 1000, "clinician": 1000, "date": 10, "note": 10_000, "lang": 10,
          "large_print": 2, "to": 254, "consent_on": 10, "consent_checked": 2,
          "password": 200, "shown": 150}
OTHER_LIMIT = 100
FIELD_NAMES = {"for_name": "the name", "clinician": "\u201cPrepared by\u201d", "note": "the note",
               "to": "the email address", "password": "the password"}
BASKET_LIMIT = 12
CARD_WIDTH, PAGE_WIDTH = 150, 300
SIGN_IN_HOURS = 10
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# All the sign-in page needs, and nothing else.
OPEN_ENDPOINTS = ("login", "static", "font", "favicon")
MAIL_LIMIT = 10_000_000
UNEXPECTED = ("That did not work, because of a problem in this app. Try again; if it happens "
              "again, tell whoever looks after the handouts.")


@dataclass(frozen=True)
class Budget:
    """Wrong passwords allowed: `burst` at once, then one more each `every` seconds.

    Kept as one number, the time the budget is whole again (a token bucket written as
    GCRA): a guess moves that time `every` seconds on, and is refused if it would move
    it more than `burst` guesses ahead of now."""

    burst: int
    every: float

    def wait(self, whole_at: float, now: float) -> float:
        """Seconds until one more guess is allowed; 0.0: allowed now.

        Reckoned from how far ahead of now the budget is, never from the clock's own
        large value: (now + a) - a - now is not always 0.0 in floating point, and a
        fresh budget of one guess would then refuse its first."""
        ahead = max(0.0, whole_at - now)
        return max(0.0, ahead - (self.burst - 1) * self.every)

    def spend(self, whole_at: float, now: float) -> float:
        return max(whole_at, now) + self.every


# A staff member who mistypes a few times is not held up; a guesser gets three a minute.
PER_ADDRESS = Budget(burst=5, every=20.0)
# However many addresses a guesser uses: twelve a minute for everyone together, a fifth
# of what one guess a second in turn allowed before.
IN_TOTAL = Budget(burst=20, every=5.0)


@dataclass(frozen=True)
class Settings:
    password: str | None = None  # required on any address but loopback
    workers: int | None = None  # packet renders at once; None: one per CPU
    secret_key: bytes | None = None  # session signing; None: a new one each start
    host: str = "127.0.0.1"  # the address served on
    port: int | None = None  # the port served on; None: any (tests)
    per_address: Budget = PER_ADDRESS  # wrong passwords from one client address
    in_total: Budget = IN_TOTAL  # wrong passwords from every address together

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def check_reach(settings: Settings) -> None:
    """Beyond this computer, only with a staff password."""
    if not settings.loopback and not settings.password:
        raise UsageError(f"to serve on {settings.host}, where others can reach it, set a staff "
                         f"password in {PASSWORD_VARIABLE}")


def create_app(project: Project, settings: Settings = Settings()) -> Flask:
    check_reach(settings)
    app = StaffApp(__name__, template_folder=str(project.templates / "web"),
                   static_folder=str(PROJECT_ROOT / "static"))
    app.secret_key = settings.secret_key or secrets.token_bytes(32)
    # Flask escapes only templates named .html; ours are .html.j2: escape everything.
    app.jinja_env.autoescape = True
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,  # forms are small; anything bigger is refused
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=SIGN_IN_HOURS),
    )
    catalog = Catalog(project.out)
    thumbnails = Thumbnails(project.out.resolve() / ".cache" / "thumbnails")
    renderer = PacketPool(settings.workers)
    sign_ins = SignIns(dt.timedelta(hours=SIGN_IN_HOURS).total_seconds())
    guesses = Guesses(settings.per_address, settings.in_total)
    brand = KeptBrand(project.brand)
    held = HeldForms()
    app.extensions["handouts"] = {"project": project, "catalog": catalog, "renderer": renderer,
                                  "sign_ins": sign_ins, "guesses": guesses}

    def signed_in() -> bool:
        return sign_ins.valid(session.get("staff"))

    @app.before_request
    def guard():
        if settings.loopback and not addressed_here(request.host, settings):
            # A page elsewhere whose name was pointed at 127.0.0.1 (DNS rebinding).
            return Response("This app answers only at 127.0.0.1 or localhost.\n", 400,
                            mimetype="text/plain")
        if settings.password and request.endpoint not in OPEN_ENDPOINTS and not signed_in():
            return redirect(url_for("login", next=request.full_path))
        if request.method == "POST":
            sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not expected or not hmac.compare_digest(sent, expected):
                abort(400, "This form has expired. Go back, reload the page and try again.")
            for field, value in request.form.items(multi=True):
                limit = LIMITS.get(field, OTHER_LIMIT)
                if len(value) > limit:
                    abort(400, f"That is too long: {FIELD_NAMES.get(field, field)} takes at "
                               f"most {limit} characters.")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint in ("packet_page", "packet_pdf", "packet_email", "email_page",
                                "packet_send", "packet_sent", "login"):
            response.headers["Cache-Control"] = "no-store"  # names and addresses stay off disk
        return response

    @app.context_processor
    def shared():
        kept = brand.get()
        return {"csrf_token": csrf_token, "basket": basket(), "clinic": kept.name,
                "just_added": session.pop("added", None) if request.method == "GET" else None,
                "crisis_lines": kept.crisis_lines, "basket_limit": BASKET_LIMIT,
                "language_name": lambda code: LANGUAGE_NAMES.get(code, code),
                "format_name": lambda code: FORMAT_LABELS.get(code, code),
                "signed_in": signed_in(), "password_set": bool(settings.password)}

    @app.get("/")
    def catalog_page():
        filters = {key: request.args.get(key, "")[:100] for key in ("q", "topic", "audience",
                                                                    "lang", "format")}
        results = catalog.search(filters["q"], filters["topic"], filters["audience"],
                                 filters["lang"], filters["format"])
        return render_template("catalog.html.j2", cards=results.cards, results=results,
                               filters=filters, choices=catalog.choices(),
                               total=len(catalog.cards()))

    @app.get("/documents/<slug>")
    def document_page(slug: str):
        card = catalog.card(slug) or abort(404)
        lang = request.args.get("lang", "en")
        if lang not in card.languages:
            lang = "en" if "en" in card.languages else card.languages[0]
        return render_template("document.html.j2", card=card, lang=lang, preview=card.preview(lang))

    @app.get("/thumbnails/<fmt>/<slug>/<lang>/<int:page>.png")
    def thumbnail(fmt: str, slug: str, lang: str, page: int):
        found = catalog.find(fmt, slug, lang) or abort(404)
        entry, path = found
        if not 1 <= page <= entry.pages:
            abort(404)
        width = CARD_WIDTH if request.args.get("size") == "card" else PAGE_WIDTH
        image = thumbnails.page(path, entry.sha256, page, width)
        return send_file(image, mimetype="image/png", max_age=3600)

    @app.get("/files/<fmt>/<slug>/<lang>")
    def pdf_file(fmt: str, slug: str, lang: str):
        found = catalog.find(fmt, slug, lang) or abort(404)
        entry, path = found
        return send_file(path, mimetype="application/pdf", download_name=download_name(entry),
                         as_attachment=request.args.get("download") == "1")

    @app.post("/basket")
    def change_basket():
        slug, action = request.form.get("slug", ""), request.form.get("action", "")
        items = basket()
        card = catalog.card(slug)
        if card is None:
            abort(400, "There is no such document.")
        if action == "add" and not card.packetable:
            abort(400, f"\u201c{card.title}\u201d is printed on its own: it cannot go in a packet. "
                       "Print it from its page.")
        if action == "add" and slug not in items:
            if len(items) < BASKET_LIMIT:
                items.append(slug)
                session["added"] = slug  # said beside its button on the page it came from
            else:
                flash(f"The packet already holds {BASKET_LIMIT} documents, the most it can take: "
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
        return redirect(local(request.form.get("next")) or url_for("packet_page"))

    def packet_cards():
        return [c for c in (catalog.card(s) for s in basket()) if c and c.packetable]

    def owner() -> str:
        return csrf_token()  # a random value of this browser's session, never shown elsewhere

    def packet_page_with(form: dict, problem: str | None = None, status: int = 200):
        cards = packet_cards()
        kept = brand.get()
        return render_template("packet.html.j2", cards=cards, form=form, problem=problem,
                               today=dt.date.today().isoformat(),
                               languages=catalog.choices()["languages"],
                               not_translated=not_translated(cards, catalog.choices()["languages"]),
                               email_off=callable_problem(kept, form.get("lang") or "en"),
                               drafts=[c for c in cards if c.status == "draft"],
                               drafts_allowed=kept.allow_draft_delivery), status

    def unmade_page(unmade: Unmade):
        """A packet that cannot be made, said for the front desk; the slugs (nothing
        personal) are logged for whoever looks after the handouts."""
        app.logger.warning("a packet could not be made; at fault: %s%s",
                           ", ".join(unmade.slugs) or "not known",
                           " (edited since built)" if unmade.changed else "")
        return render_template("problem.html.j2", message=unmade_message(unmade, catalog),
                               back_to_packet=True), UNMADE_STATUS

    @app.route("/packet", methods=["GET", "POST"])
    def packet_page():
        # Back from the email step: what was typed, held by the server (see HeldForms).
        kept = held.get(request.args.get("held", ""), owner())
        if kept:
            return packet_page_with(dict(kept.form))
        return packet_page_with(packet_form() if request.method == "POST" else {})

    @app.post("/packet/pdf")
    def packet_pdf():
        form = packet_form()
        shown = shown_cards(catalog, request.form.getlist("shown"))
        if isinstance(shown, str):
            return packet_page_with(form, shown, CHANGED_STATUS)
        outcome = checked_request(form, shown)
        if isinstance(outcome, str):
            return packet_page_with(form, outcome, 422)
        packet = renderer.packet(project, outcome)
        if isinstance(packet, Unmade):
            return unmade_page(packet)
        return send_file(io.BytesIO(packet.data), mimetype="application/pdf", as_attachment=True,
                         download_name=f"packet-{form['date']}.pdf")

    @app.post("/packet/email")
    def packet_email():
        """From the packet page to the email page: checked, then held by the server and
        shown at an address of its own (GET), so that Back, after sending, lands on a
        page and never on "Confirm Form Resubmission"."""
        form = packet_form()
        shown = shown_cards(catalog, request.form.getlist("shown"))
        if isinstance(shown, str):
            return packet_page_with(form, shown, CHANGED_STATUS)
        outcome = checked_request(form, shown)
        if isinstance(outcome, str):
            return packet_page_with(form, outcome, 422)
        problem = mail_problem() or callable_problem(brand.get(), outcome.lang) \
            or drafts_problem(brand.get(), shown, outcome)
        if problem:
            return packet_page_with(form, problem, 422)
        token = held.put(owner(), form, tuple(request.form.getlist("shown")))
        return redirect(url_for("email_page", token=token), 303)

    def email_page_with(token: str, kept, form: dict, problem: str | None = None,
                        status: int = 200):
        found = (catalog.card(value.partition(":")[0]) for value in kept.shown)
        cards = [c for c in found if c is not None]
        lang = form["lang"]
        return render_template(
            "packet-email.html.j2", cards=cards, form=form, problem=problem, token=token,
            today=dt.date.today().isoformat(), ask_consent_check=problem == OLD_CONSENT,
            untranslated=[c for c in cards if lang not in c.languages],
            drafts=[c for c in cards
                    if (f := c.packet_file(lang, form["large_print"])) and f.status == "draft"],
        ), status

    @app.get("/packet/email/<token>")
    def email_page(token: str):
        kept = held.get(token, owner())
        if kept is None:
            return gone(token)
        return email_page_with(token, kept, dict(kept.form))

    @app.post("/packet/email/<token>")
    def packet_send(token: str):
        from ..deliver.mail import (
            Delivery,
            DeliveryError,
            SmtpSettings,
            check_address,
            check_approved,
            check_callable,
        )

        kept = held.get(token, owner())
        if kept is None:
            return gone(token)
        form = {**kept.form, "to": request.form.get("to", "").strip(),
                "consent_on": request.form.get("consent_on", "").strip()}
        shown = shown_cards(catalog, list(kept.shown))
        if isinstance(shown, str):
            return email_page_with(token, kept, form, shown, CHANGED_STATUS)
        outcome = checked_request(dict(form), shown)
        if isinstance(outcome, str):
            return email_page_with(token, kept, form, outcome, 422)
        problem = consent_problem(form["consent_on"], request.form.get("consent_checked") == "on")
        if problem:
            return email_page_with(token, kept, form, problem, 422)
        try:
            address = check_address(form["to"])
            mail = SmtpSettings.from_environment(os.environ)
            if mail is None:
                return email_page_with(token, kept, form, NO_MAIL, 422)
            check_callable(brand.get(), outcome.lang)
        except DeliveryError as exc:
            return email_page_with(token, kept, form, exc.staff, 422)
        # Taken out of the held forms before the wait for rendering and sending, so that a
        # second click (or a second request at once) cannot send it again.
        if not held.take(token, owner()):
            return gone(token)
        packet = renderer.packet(project, outcome)
        if isinstance(packet, Unmade):
            held.give_back(token)
            return unmade_page(packet)
        delivery = Delivery(packet.included, outcome.lang)
        try:
            check_approved(brand.get(), packet.included)  # as built: a block may be a draft
            send_packet(project, brand.get(), packet, address, mail, outcome.lang, delivery)
        except DeliveryError as exc:
            held.give_back(token)  # nothing was sent: it may be tried again
            return email_page_with(token, kept, form, f"{exc.staff} (Reference: {delivery.id}.)",
                                   422)
        except BaseException:
            held.give_back(token)
            raise
        held.drop(token)
        session["sent"] = {"token": token, "at": dt.datetime.now().strftime("%H:%M"),
                           "reference": delivery.id}
        return redirect(url_for("packet_sent"), 303)  # a reload shows the page, never sends again

    def gone(token: str):
        """An email page no longer held: being sent, sent (Back from the sent page), or
        expired."""
        if held.sending(token):
            return render_template("problem.html.j2", message=SENDING), 409
        if (session.get("sent") or {}).get("token") == token:
            return redirect(url_for("packet_sent"))
        flash("That email page has expired (after 30 minutes, or when the app restarts), and "
              "nothing was sent from it. Fill in the packet again.")
        return redirect(url_for("packet_page"))

    @app.get("/packet/sent")
    def packet_sent():
        sent = session.get("sent")
        if not isinstance(sent, dict) or not sent.get("at"):
            return redirect(url_for("packet_page"))
        return render_template("sent.html.j2", sent_at=sent["at"], reference=sent.get("reference"))

    @app.post("/packet/next")
    def next_family():
        """Start the next family: the basket emptied, and what was typed for the last one
        let go."""
        held.drop_all(owner())
        session.pop("basket", None)
        session.pop("sent", None)
        flash("The packet is empty, ready for the next family.", "done")
        return redirect(url_for("catalog_page"))

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if not settings.password or signed_in():
            return redirect(url_for("catalog_page"))
        target = local(request.form.get("next") if request.method == "POST"
                       else request.args.get("next"))
        failed = False
        if request.method == "POST":
            client = client_of(request.remote_addr)
            # Spent before the password is looked at, so that guesses sent at once cannot
            # all slip in before the first is counted, and refused guesses learn nothing.
            wait = guesses.take(client)
            if wait:
                return refused(wait, target)
            if password_is(request.form.get("password", ""), settings.password):
                guesses.give_back(client)  # a sign-in is not a guess
                session.clear()  # a new session: nothing carried over from before signing in
                session["staff"] = sign_ins.start()
                session.permanent = True
                return redirect(target or url_for("catalog_page"))
            failed = True
        return render_template("login.html.j2", failed=failed, next=target), 401 if failed else 200

    def refused(wait: float, target: str | None):
        """Beyond the budget: answered at once, holding no thread, checking nothing."""
        seconds = math.ceil(wait)
        page = render_template("login.html.j2", wait=seconds, next=target)
        return page, 429, {"Retry-After": str(seconds)}

    @app.post("/logout")
    def logout():
        sign_ins.end(session.get("staff"))  # a copy of the cookie no longer signs anyone in
        session.clear()
        return redirect(url_for("login"))

    @app.get("/favicon.ico")
    def favicon():
        """The clinic's logo, for the browser's tab (and no 404 in its log)."""
        logo = brand.get().logo.path
        kind = "image/svg+xml" if logo.suffix.lower() == ".svg" else "image/png"
        return send_file(logo, mimetype=kind, max_age=86400)

    @app.get("/fonts/<name>")
    def font(name: str):
        for face in brand.get().typeface.faces:
            if face.path.name == name:
                return send_file(face.path, mimetype="font/ttf", max_age=86400)
        abort(404)

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def problem(error):
        message = {404: "There is no such page.", 413: "That form is too large."}.get(
            error.code, getattr(error, "description", "That did not work."))
        return render_template("problem.html.j2", message=message, code=error.code), error.code

    @app.errorhandler(500)
    def failure(error):
        """Whatever went wrong, a page in words, never a bare 500."""
        try:
            return render_template("problem.html.j2", message=UNEXPECTED, code=500), 500
        except Exception:  # the page itself cannot be drawn: the words still can
            return Response(UNEXPECTED + "\n", 500, mimetype="text/plain")

    return app


class StaffApp(Flask):
    """Flask, with logs that keep what staff typed out of them."""

    def log_exception(self, exc_info) -> None:
        """What failed and where (file, line, function), but not the exception's message,
        its causes or the source lines: those may quote what staff typed (a name, an
        address), and logs must not."""
        kind, _, trace = exc_info
        frames = "".join(f"  {frame.filename}:{frame.lineno} in {frame.name}\n"
                         for frame in traceback.extract_tb(trace))
        self.logger.error("%s on %s [%s] (message withheld)\n%s", getattr(kind, "__name__", kind),
                          request.endpoint, request.method, frames)


# -- the packet's form ------------------------------------------------------------------

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
NO_MAIL = "Email is not set up on this computer. Download the packet and print it instead."
SENDING = ("This email is already being sent (Send was pressed twice). Nothing more was sent: "
           "wait a moment, then look at the Packet page.")
# What the page showed has changed since (a document rebuilt or withdrawn): the request
# conflicts with the library as it is now (409), and is not carried out.
CHANGED_STATUS = 409


def packet_form() -> dict:
    """What was typed into the packet's form; it stays in this request."""
    form: dict[str, str | bool] = {key: request.form.get(key, "").strip() for key in PACKET_FIELDS}
    form["large_print"] = request.form.get("large_print") == "on"
    return form


def shown_cards(catalog: Catalog, shown: list[str]):
    """The documents a page showed, each as `slug:stamp` in its form, if each is still
    what it showed; else what changed, in words. Never the basket: another tab may have
    changed it since."""
    slugs = [value.partition(":")[0] for value in shown]
    if len(shown) > BASKET_LIMIT or len(set(slugs)) != len(slugs):
        return ("This page's list of documents is not one the app made (more than "
                f"{BASKET_LIMIT}, or one twice). Nothing was sent or saved: open the Packet "
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
    from ..deliver.packet import PacketRequest, Personalisation, unprintable

    if not cards:
        return "Add at least one document to the packet first."
    if not form["for_name"]:
        return "Please give the name of the person the packet is for."
    for field, (name, limit) in PERSONAL_LIMITS.items():
        if len(form[field]) > limit:
            return (f"That is too long: {name} is {len(form[field])} characters, and the packet "
                    f"takes at most {limit}. Shorten it.")
        if unprintable(form[field], lines=field == "note"):
            return (f"{name[0].upper()}{name[1:]} has a character that cannot be printed (often "
                    "pasted from another program): type it again.")
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


def mail_problem() -> str | None:
    from ..deliver.mail import DeliveryError, SmtpSettings

    try:
        mail = SmtpSettings.from_environment(os.environ)
    except DeliveryError as exc:
        return exc.staff
    return NO_MAIL if mail is None else None


def callable_problem(brand, lang: str) -> str | None:
    """Why nothing can be emailed while the clinic's phone number is a placeholder."""
    from ..deliver.mail import DeliveryError, check_callable

    try:
        check_callable(brand, lang)
    except DeliveryError as exc:
        return exc.staff
    return None


def drafts_problem(brand, cards: list, packet_request) -> str | None:
    """Drafts, as the catalog lists them, are not emailed unless the brand allows it
    (the packet as built is checked again before sending)."""
    from ..deliver.mail import DeliveryError, check_approved
    from ..deliver.packet import Included

    files = [(c, c.packet_file(packet_request.lang, packet_request.large_print)) for c in cards]
    documents = [Included(c.slug, f.lang, c.title_in(f.lang), f.code, f.version,
                          f.status == "draft", Path(f.source)) for c, f in files if f]
    try:
        check_approved(brand, documents)
    except DeliveryError as exc:
        return exc.staff
    return None


def not_translated(cards: list, languages: list[str]) -> dict[str, list]:
    """For each language a packet can be in, the documents that have no copy in it (they
    go in English): said on the page before anything is made or sent."""
    missing = {lang: [c for c in cards if lang not in c.languages] for lang in languages}
    return {lang: found for lang, found in missing.items() if found}


# The packet asked for cannot be made from the documents as they are now: the request was
# understood, and sending it again unchanged will not help (422, as for the form's problems).
UNMADE_STATUS = 422


def unmade_message(unmade: Unmade, catalog: Catalog) -> str:
    from ..deliver.mail import quoted_titles

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


def send_packet(project: Project, brand, packet, address: str, settings, lang: str,
                delivery=None) -> None:
    from ..deliver.mail import Attachment, check_size, compose, send
    from ..render.layout import email_text

    attachments = [Attachment("handouts.pdf", packet.data)]
    check_size(attachments, MAIL_LIMIT)
    words = email_text(brand, project.layouts, lang, len(attachments))
    send(compose(address, settings.sender, words.subject, words.text, words.html, attachments),
         settings, delivery)


@dataclass(frozen=True)
class Held:
    owner: str
    until: float
    form: tuple  # (field, value) pairs, as typed
    shown: tuple[str, ...]  # slug:stamp of each document the page showed


class HeldForms:
    """What was typed on the packet page, held by the server between the packet and the
    email step, so that the email page has an address of its own (GET). In memory only,
    for at most HOLD_SECONDS, for the browser session that typed it, and let go once
    sent: never written anywhere, never logged, gone when the app restarts."""

    HOLD_SECONDS = 30 * 60
    MOST = 500  # forms held at once; the oldest goes first

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._held: dict[str, Held] = {}
        self._sending: dict[str, Held] = {}  # taken by the request sending it
        self._lock = threading.Lock()

    def put(self, owner: str, form: dict, shown: tuple[str, ...]) -> str:
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._held = {t: h for t, h in self._held.items() if h.until > now}
            while len(self._held) >= self.MOST:
                self._held.pop(next(iter(self._held)))
            self._held[token] = Held(owner, now + self.HOLD_SECONDS, tuple(form.items()), shown)
        return token

    def get(self, token: str, owner: str) -> HeldView | None:
        with self._lock:
            held = self._held.get(token)
        if held is None or held.until <= self._clock() or \
                not hmac.compare_digest(held.owner, owner):
            return None
        return HeldView(dict(held.form), held.shown)

    def take(self, token: str, owner: str) -> bool:
        """Set the form aside while it is sent: True for the one request that may send it."""
        with self._lock:
            held = self._held.get(token)
            if held is None or not hmac.compare_digest(held.owner, owner):
                return False
            self._sending[token] = self._held.pop(token)
        return True

    def give_back(self, token: str) -> None:
        """Not sent after all: it may be tried again."""
        with self._lock:
            held = self._sending.pop(token, None)
            if held is not None:
                self._held[token] = held

    def sending(self, token: str) -> bool:
        with self._lock:
            return token in self._sending

    def drop(self, token: str) -> None:
        with self._lock:
            self._held.pop(token, None)
            self._sending.pop(token, None)

    def drop_all(self, owner: str) -> None:
        with self._lock:
            self._held = {t: h for t, h in self._held.items() if h.owner != owner}


@dataclass(frozen=True)
class HeldView:
    form: dict
    shown: tuple[str, ...]


# -- small helpers ------------------------------------------------------------------------

def download_name(entry) -> str:
    """What a PDF is saved as: the document, its format unless a handout, its language
    unless English (klonopin-overview-large-print-es.pdf)."""
    parts = [entry.slug]
    if entry.format != "handout":
        parts.append(entry.format)
    if entry.lang != "en":
        parts.append(entry.lang)
    return "-".join(parts) + ".pdf"


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def basket() -> list[str]:
    items = session.get("basket", [])
    if not isinstance(items, list):
        return []
    return [s for s in items if isinstance(s, str)][:BASKET_LIMIT]


def local(target: str | None) -> str | None:
    """`target` if it is a path on this site, so a redirect cannot lead elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:  # a browser reads /\host as //host
        return None
    return target


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def addressed_here(host_header: str, settings: Settings) -> bool:
    """Whether a request's Host names this computer (and the port served on)."""
    if host_header.startswith("["):  # [::1] or [::1]:8000
        name, _, rest = host_header.partition("]")
        name, port = name + "]", rest.removeprefix(":")
    else:
        name, _, port = host_header.partition(":")
    if name.lower() not in {*LOOPBACK_NAMES, settings.host, f"[{settings.host}]"}:
        return False
    if settings.port is None:
        return True
    return port == str(settings.port) or (not port and settings.port == 80)


class SignIns:
    """Who is signed in, kept by the server (in memory): signing out ends a sign-in for
    good, even for a copy of its cookie, and a restart signs everyone out."""

    def __init__(self, lifetime_seconds: float):
        self.lifetime = lifetime_seconds
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._until = {t: u for t, u in self._until.items() if u > now}
            self._until[token] = now + self.lifetime
        return token

    def valid(self, token) -> bool:
        if not isinstance(token, str):
            return False
        with self._lock:
            until = self._until.get(token)
        return until is not None and until > time.monotonic()

    def end(self, token) -> None:
        if isinstance(token, str):
            with self._lock:
                self._until.pop(token, None)


class Guesses:
    """Budgets for wrong passwords: one per client address, one for all together.

    A guess beyond either is refused at once, so a guesser holds no thread, and signed-in
    staff, whose requests never come here, never wait behind one. The lock guards a few
    sums, never a sleep or a password check."""

    def __init__(self, per_address: Budget, in_total: Budget, clock=time.monotonic):
        self.per_address, self.in_total = per_address, in_total
        self._clock = clock  # passed in, so tests can move time on
        self._whole_at: dict[str, float] = {}  # by client: when its budget is whole again
        self._total_whole_at = -math.inf
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend a guess for `client`: 0.0 if it may guess now, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            mine = self._whole_at.get(client, now)
            wait = max(self.per_address.wait(mine, now),
                       self.in_total.wait(self._total_whole_at, now))
            if not wait:
                self._whole_at[client] = self.per_address.spend(mine, now)
                self._total_whole_at = self.in_total.spend(self._total_whole_at, now)
            # A whole budget is as good as none: forgetting those keeps this small, since
            # the budget in total bounds how many addresses can be part-spent at a time.
            self._whole_at = {c: t for c, t in self._whole_at.items() if t > now}
        return wait

    def give_back(self, client: str) -> None:
        """The password was right: return the guess `take` spent."""
        with self._lock:
            if client in self._whole_at:
                self._whole_at[client] -= self.per_address.every
            self._total_whole_at -= self.in_total.every


def client_of(remote_addr: str | None) -> str:
    """Whose guess a request is: its address, or for IPv6 its /64, which one home or
    office is given whole (so a guesser cannot take a new address for each guess)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def password_is(given: str, password: str) -> bool:
    """In constant time: digests of equal length, compared without an early exit."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(password.encode()).digest())


class KeptBrand:
    """The brand as last read well. A brand file broken while the app runs must not take
    every page down, nor the crisis lines in its footer; builds report the problem."""

    def __init__(self, path: Path):
        self.path = path
        self._good = None

    def get(self):
        from ..content.brand import read_brand

        try:
            self._good = read_brand(self.path)  # kept by read_brand until the file changes
        except ContentError:
            if self._good is None:
                raise  # never read well: nothing to fall back on
        return self._good


def serve(project: Project, settings: Settings, threads: int = 16) -> None:
    """Serve until interrupted (the command line brings the catalog up to date first)."""
    import logging

    import waitress

    # The app's log, on its standard error: requests that failed, packets that could not
    # be made, and a line for each delivery (see delivery.Delivery), none with anything
    # personal in it.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(project, settings)
    # Stopped by a service manager: end as Ctrl-C does, closing the render workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress.serve(app, host=settings.host, port=settings.port, threads=threads,
                       ident="handouts")
    finally:
        app.extensions["handouts"]["renderer"].close()
