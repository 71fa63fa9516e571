"""`make_docs.py serve`: the staff app, for browsing, printing, packets and email.

Flask, served by waitress. The app calls the pipeline's own stages (build,
packet, delivery) and re-implements none of them. Packets render in a small
pool of warm worker processes, as many as there are CPUs, so the catalog stays
quick while they run.

Security, in brief: it listens on 127.0.0.1 unless told otherwise, and then
only with a staff password (HANDOUTS_STAFF_PASSWORD); every form carries a
CSRF token; inputs are length-limited; documents and files are looked up in
the catalog, never by a path from the request; every value is escaped;
personalised PDFs are made in memory and streamed, never stored or logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
import io
import os
import secrets
import signal
import sys
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Flask, Response, abort, redirect, render_template, request, send_file, session,
                   url_for)

from .build import PROJECT_ROOT, Project
from .problems import ContentError, UsageError
from .webcatalog import FORMAT_NAMES, LANGUAGE_NAMES, Catalog, Thumbnails

PASSWORD_VARIABLE = "HANDOUTS_STAFF_PASSWORD"
LIMITS = {"for_name": 200, "clinician": 200, "note": 2000, "to": 254, "password": 200}
BASKET_LIMIT = 12
CARD_WIDTH, PAGE_WIDTH = 150, 300


@dataclass(frozen=True)
class Settings:
    password: str | None = None  # required on any address but loopback
    workers: int | None = None  # packet renders at once; None: one per CPU
    secret_key: bytes | None = None  # session signing; None: a new one each start


def create_app(project: Project, settings: Settings = Settings()) -> Flask:
    app = Flask(__name__, template_folder=str(project.templates / "web"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.secret_key = settings.secret_key or secrets.token_bytes(32)
    # Flask escapes only templates named .html; ours are .html.j2: escape everything.
    app.jinja_env.autoescape = True
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=64 * 1024,  # forms are small; anything bigger is refused
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=10),
    )
    catalog = Catalog(project.out)
    thumbnails = Thumbnails(project.out.resolve() / ".cache" / "thumbnails")
    renderer = Renderer(settings.workers)
    app.extensions["handouts"] = {"project": project, "catalog": catalog, "renderer": renderer}

    @app.before_request
    def guard():
        if settings.password and request.endpoint not in ("login", "static") \
                and not session.get("staff"):
            return redirect(url_for("login", next=request.full_path))
        if request.method == "POST":
            sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
            if not expected or not hmac.compare_digest(sent, expected):
                abort(400, "This form has expired. Go back, reload the page and try again.")
            for field, limit in LIMITS.items():
                if len(request.form.get(field, "")) > limit:
                    abort(400, f"That is too long: {field.replace('_', ' ')} takes at most "
                               f"{limit} characters.")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint in ("packet_pdf", "packet_email"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.context_processor
    def shared():
        brand = _brand(project)
        return {"csrf_token": csrf_token, "basket": basket(), "clinic": brand.name,
                "crisis_lines": brand.crisis_lines,
                "language_name": lambda code: LANGUAGE_NAMES.get(code, code),
                "format_name": lambda code: FORMAT_NAMES.get(code, code),
                "signed_in": bool(session.get("staff")), "password_set": bool(settings.password)}

    @app.get("/")
    def catalog_page():
        filters = {key: request.args.get(key, "")[:100] for key in ("q", "topic", "audience",
                                                                    "lang", "format")}
        cards = catalog.search(filters["q"], filters["topic"], filters["audience"],
                               filters["lang"], filters["format"])
        return render_template("catalog.html.j2", cards=cards, filters=filters,
                               choices=catalog.choices(), total=len(catalog.cards()))

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
        name = Path(entry.path).name
        return send_file(path, mimetype="application/pdf", download_name=name,
                         as_attachment=request.args.get("download") == "1")

    @app.post("/basket")
    def change_basket():
        slug, action = request.form.get("slug", ""), request.form.get("action", "")
        items = basket()
        if catalog.card(slug) is None:
            abort(400, "There is no such document.")
        if action == "add" and slug not in items and len(items) < BASKET_LIMIT:
            items.append(slug)
        elif action == "remove" and slug in items:
            items.remove(slug)
        elif action in ("up", "down") and slug in items:
            index = items.index(slug)
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(items):
                items[index], items[other] = items[other], items[index]
        session["basket"] = items
        return redirect(local(request.form.get("next")) or url_for("packet_page"))

    @app.get("/packet")
    def packet_page():
        cards = [c for c in (catalog.card(s) for s in basket()) if c]
        return render_template("packet.html.j2", cards=cards, today=dt.date.today().isoformat(),
                               languages=catalog.choices()["languages"], form={})

    @app.post("/packet/pdf")
    def packet_pdf():
        outcome, form = render_from_form(project, catalog, renderer)
        if isinstance(outcome, str):
            return packet_problem(outcome, form, catalog)
        name = f"packet-{form['date']}.pdf"
        return send_file(io.BytesIO(outcome.data), mimetype="application/pdf", as_attachment=True,
                         download_name=name)

    @app.post("/packet/email")
    def packet_email():
        from .delivery import DeliveryError, SmtpSettings

        if not request.form.get("consent_on"):
            return packet_problem("Nothing is sent without the date the patient's written "
                                  "consent to share with this person was recorded.",
                                  dict(request.form), catalog)
        try:
            consent = dt.date.fromisoformat(request.form["consent_on"])
        except ValueError:
            return packet_problem("The consent date is not a date.", dict(request.form), catalog)
        if consent > dt.date.today():
            return packet_problem("The consent date is in the future.", dict(request.form), catalog)
        try:
            from .delivery import check_address

            address = check_address(request.form.get("to", ""))
            settings = SmtpSettings.from_environment(os.environ)
        except DeliveryError as exc:
            return packet_problem(f"{str(exc)[0].upper()}{str(exc)[1:]}.", dict(request.form), catalog)
        if settings is None:
            return packet_problem("Email is not set up on this computer (no SMTP_HOST): download "
                                  "the packet instead.", dict(request.form), catalog)
        outcome, form = render_from_form(project, catalog, renderer)
        if isinstance(outcome, str):
            return packet_problem(outcome, form, catalog)
        try:
            send_packet(project, outcome, address, settings, form["lang"])
        except DeliveryError as exc:
            return packet_problem(f"{str(exc)[0].upper()}{str(exc)[1:]}.", form, catalog)
        return render_template("sent.html.j2")

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if not settings.password:
            return redirect(url_for("catalog_page"))
        failed = False
        if request.method == "POST":
            if hmac.compare_digest(request.form.get("password", "").encode(),
                                   settings.password.encode()):
                session.clear()
                session["staff"] = True
                session.permanent = True
                return redirect(local(request.form.get("next")) or url_for("catalog_page"))
            time.sleep(0.5)  # slows down guessing
            failed = True
        return render_template("login.html.j2", failed=failed, next=local(request.args.get("next")))

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("login"))

    @app.get("/fonts/<name>")
    def font(name: str):
        for face in brand_faces(project):
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

    return app


# -- the packet's form ------------------------------------------------------------------

def render_from_form(project: Project, catalog: Catalog, renderer: Renderer):
    """(Packet, form) or (problem message, form): the form's values stay in this request."""
    from .packet import PacketRequest, Personalisation

    form = {key: request.form.get(key, "").strip() for key in
            ("for_name", "clinician", "date", "note", "lang", "to", "consent_on")}
    form["large_print"] = request.form.get("large_print") == "on"
    slugs = tuple(s for s in basket() if catalog.card(s))
    if not slugs:
        return "Add at least one document to the packet first.", form
    if not form["for_name"]:
        return "Please give the name of the person the packet is for.", form
    try:
        date = dt.date.fromisoformat(form["date"]) if form["date"] else dt.date.today()
    except ValueError:
        return "The date is not a date.", form
    form["date"] = date.isoformat()
    lang = form["lang"] if form["lang"] in catalog.choices()["languages"] else "en"
    form["lang"] = lang
    person = Personalisation(form["for_name"], form["clinician"] or None, date, form["note"] or None)
    outcome = renderer.packet(project, PacketRequest(slugs, person, lang, form["large_print"]))
    return outcome, form


def packet_problem(message: str, form: dict, catalog: Catalog):
    cards = [c for c in (catalog.card(s) for s in basket()) if c]
    return render_template("packet.html.j2", cards=cards, today=dt.date.today().isoformat(),
                           languages=catalog.choices()["languages"], form=form,
                           problem=message), 422


def send_packet(project: Project, packet, address: str, settings, lang: str) -> None:
    from .delivery import Attachment, check_size, compose, send
    from .layout import email_text

    attachments = [Attachment("handouts.pdf", packet.data)]
    check_size(attachments, 10_000_000)
    words = email_text(_brand(project), project.layouts, lang, 1)
    send(compose(address, settings.sender, words.subject, words.text, words.html, attachments),
         settings)


class Renderer:
    """Packets rendered by warm worker processes, one per CPU, each rendering one
    packet at a time: the web server's threads stay free to answer everyone else.

    A worker keeps the handouts it has laid out (see packet.build_packet), so a
    packet costs about three times as much on a worker that has not laid out its
    handouts yet. Each packet goes to the worker that will finish it soonest,
    counting that: the same handouts for the next family usually go where they
    are already laid out, and a busy worker's queue is never made longer."""

    COST_NEW, COST_KEPT = 3, 1  # a packet's handouts laid out anew, or already kept

    def __init__(self, workers: int | None):
        import threading

        from .workers import default_jobs

        self.pools = [self._new_pool() for _ in range(workers or default_jobs())]
        self.queued = [0] * len(self.pools)  # the cost of what each worker has still to do
        self.kept: list[OrderedDict] = [OrderedDict() for _ in self.pools]
        self.lock = threading.Lock()

    def packet(self, project: Project, packet_request):
        index, cost = self.choose((packet_request.slugs, packet_request.lang,
                                   packet_request.large_print))
        try:
            return self._render(index, project, packet_request)
        finally:
            with self.lock:
                self.queued[index] -= cost

    def _render(self, index: int, project: Project, packet_request):
        pool = self.pools[index]
        try:
            return pool.submit(render_packet, project, packet_request).result()
        except BrokenProcessPool:
            # The worker died (killed, out of memory): start another and try once more.
            with self.lock:
                if self.pools[index] is pool:
                    self.pools[index] = self._new_pool()
                    self.kept[index].clear()
            return self.pools[index].submit(render_packet, project, packet_request).result()

    @staticmethod
    def _new_pool() -> ProcessPoolExecutor:
        import multiprocessing

        from .workers import warm_worker

        # A fork server's clean process: the app's own has run Pango in threads.
        pool = ProcessPoolExecutor(1, initializer=warm_worker, initargs=(os.getpid(),),
                                   mp_context=multiprocessing.get_context("forkserver"))
        pool.submit(os.getpid)  # start and warm the worker now, not for the first packet
        return pool

    def choose(self, handouts: tuple) -> tuple[int, int]:
        """The worker to render a packet of `handouts`, and what it is counted to cost."""
        with self.lock:
            index = min(range(len(self.pools)),
                        key=lambda i: self.queued[i] + self._cost(i, handouts))
            cost = self._cost(index, handouts)
            self.queued[index] += cost
            self._keep(index, handouts)
        return index, cost

    def _cost(self, index: int, handouts: tuple) -> int:
        return self.COST_KEPT if handouts in self.kept[index] else self.COST_NEW

    def _keep(self, index: int, handouts: tuple) -> None:
        """Mirror what the worker keeps: its most recent sets of handouts."""
        from .packet import DOCUMENTS_KEPT

        kept = self.kept[index]
        kept[handouts] = True
        kept.move_to_end(handouts)
        while len(kept) > DOCUMENTS_KEPT:
            kept.popitem(last=False)

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(cancel_futures=True)


def render_packet(project: Project, packet_request):
    """In a worker: the packet, or why not, in words for the person at the desk."""
    from .packet import build_packet

    try:
        return build_packet(project, packet_request)
    except ContentError as exc:
        return "This packet cannot be made: " + "; ".join(p.message for p in exc.problems[:3])
    except UsageError as exc:
        return f"{str(exc)[0].upper()}{str(exc)[1:]}."


# -- small helpers ------------------------------------------------------------------------

def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def basket() -> list[str]:
    items = session.get("basket", [])
    return [s for s in items if isinstance(s, str)][:BASKET_LIMIT] if isinstance(items, list) else []


def local(target: str | None) -> str | None:
    """`target` if it is a path on this site, so a redirect cannot lead elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def brand_faces(project: Project):
    return _brand(project).typeface.faces


def _brand(project: Project):
    from .brand import read_brand

    return read_brand(project.brand)


def serve(project: Project, host: str, port: int, password: str | None, threads: int = 16) -> None:
    """Serve until interrupted (the command line brings the catalog up to date first)."""
    import waitress

    app = create_app(project, Settings(password=password))
    # Stopped by a service manager: end as Ctrl-C does, closing the render workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="handouts")
    finally:
        app.extensions["handouts"]["renderer"].close()
