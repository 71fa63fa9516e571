"""`make_docs.py serve`: the staff app, for browsing, printing, packets and email.

Flask, served by waitress: one application object (`create_app`) over the blueprints in
views/. The app calls the pipeline's own stages (build, packet, delivery) and
re-implements none of them. Packets are made by warm worker processes, one per CPU
(packet_pool.py), so the catalog stays quick while they run; or, given a job queue,
by its render workers (queued_packets.py). Sessions, sign-ins and the budgets of
wrong passwords are kept in a store every process of the app shares (store.py), so
it can run as several processes behind one proxy.

Security, in brief: who may reach it and sign in is access.py; every form carries a
CSRF token and every field is length-limited (forms.py, checked before any view);
documents and files are looked up in the catalog, never by a path from the request;
every value is escaped; personalised PDFs are made in memory and streamed, never stored
or logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
import signal
import sys
import traceback
from collections.abc import Callable

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for

from ..content.formats import FORMAT_LABELS
from ..project import PROJECT_ROOT, Project
from .access import addressed_here
from .catalog import LANGUAGE_NAMES
from .forms import check_posted
from .sessions import StoredSessions
from .settings import SIGN_IN_HOURS, Settings, check_reach
from .state import SIGN_IN_SECONDS, AppState, basket, csrf_token, signed_in, state
from .views import BLUEPRINTS

# All the sign-in page needs, and nothing else.
OPEN_ENDPOINTS = ("signin.login", "static", "catalog.favicon", "catalog.font")
# Pages with names and addresses on them: kept off the browser's disk.
NO_STORE_BLUEPRINTS = ("packet", "email", "signin")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Served on 127.0.0.1, without a password, with a packet worker per CPU.
ON_THIS_COMPUTER = Settings()
UNEXPECTED = ("That did not work, because of a problem in this app. Try again; if it happens "
              "again, tell whoever looks after the handouts.")


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


def create_app(project: Project, settings: Settings = ON_THIS_COMPUTER) -> Flask:
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
    app.extensions["handouts"] = kept = AppState.start(project, settings)
    # Kept by the server, in the store every process shares: any process serves any
    # request, and a cookie is only a session's random name.
    app.session_interface = StoredSessions(kept.store, SIGN_IN_SECONDS)
    app.before_request(guard)
    app.after_request(headers)
    app.context_processor(shared)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    for code in (400, 404, 413):
        app.register_error_handler(code, problem)
    app.register_error_handler(500, failure)
    return app


def guard():
    """Before every request: addressed to this computer, signed in, and any form posted
    carrying this session's token and nothing too long."""
    settings = state().settings
    if settings.loopback and not addressed_here(request.host, settings):
        # A page elsewhere whose name was pointed at 127.0.0.1 (DNS rebinding).
        return Response("This app answers only at 127.0.0.1 or localhost.\n", 400,
                        mimetype="text/plain")
    if settings.password and request.endpoint not in OPEN_ENDPOINTS and not signed_in():
        return redirect(url_for("signin.login", next=request.full_path))
    if request.method == "POST":
        wrong = check_posted(request.form, session.get("csrf", ""))
        if wrong:
            abort(400, wrong)
    return None


def headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    if request.blueprint in NO_STORE_BLUEPRINTS:
        response.headers["Cache-Control"] = "no-store"  # names and addresses stay off disk
    return response


def shared() -> dict:
    """What every page's template may use."""
    kept = state().brand.get()
    return {"csrf_token": csrf_token, "basket": basket(), "clinic": kept.name,
            "just_added": session.pop("added", None) if request.method == "GET" else None,
            "crisis_lines": kept.crisis_lines, "basket_limit": state().settings.basket_limit,
            "language_name": lambda code: LANGUAGE_NAMES.get(code, code),
            "format_name": lambda code: FORMAT_LABELS.get(code, code),
            "signed_in": signed_in(), "password_set": bool(state().settings.password)}


def problem(error):
    message = {404: "There is no such page.", 413: "That form is too large."}.get(
        error.code, getattr(error, "description", "That did not work."))
    return render_template("problem.html.j2", message=message, code=error.code), error.code


def failure(error):
    """Whatever went wrong, a page in words, never a bare 500."""
    try:
        return render_template("problem.html.j2", message=UNEXPECTED, code=500), 500
    except Exception:  # the page itself cannot be drawn: the words still can
        return Response(UNEXPECTED + "\n", 500, mimetype="text/plain")


def serve(project: Project, settings: Settings, threads: int = 16,
          ready: Callable[[], None] = lambda: None) -> None:
    """Serve until interrupted (the command line brings the catalog up to date first),
    once the packet workers are warm; `ready` is called then."""
    import logging

    import waitress

    # The app's log, on its standard error: requests that failed, packets that could not
    # be made, and a line for each delivery (see deliver/smtp.py, Delivery), none with anything
    # personal in it.
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(project, settings)
    # Stopped by a service manager: end as Ctrl-C does, closing the render workers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # The library's handouts laid out for packets first: the first families to ask
        # wait for their covers alone (web/packet_pool.py).
        app.extensions["handouts"].packets.wait_until_warm()
        ready()
        waitress.serve(app, host=settings.host, port=settings.port, threads=threads,
                       ident="handouts")
    finally:
        app.extensions["handouts"].packets.close()
