"""Signing in with the staff password, and out; wrong passwords are budgeted (see
access.Guesses)."""

from __future__ import annotations

import math

from flask import Blueprint, redirect, render_template, request, session, url_for

from ..access import client_of, local, password_is
from ..forms import sign_in_form
from ..state import signed_in, state

signin = Blueprint("signin", __name__)


@signin.route("/login", methods=["GET", "POST"])
def login():
    password = state().settings.password
    if not password or signed_in():
        return redirect(url_for("catalog.index"))
    if request.method == "GET":
        return render_template("login.html.j2", failed=False, next=local(request.args.get("next")))
    typed, target = sign_in_form(request.form)
    client = client_of(request.remote_addr)
    # Spent before the password is looked at, so that guesses sent at once cannot all
    # slip in before the first is counted, and refused guesses learn nothing.
    wait = state().guesses.take(client)
    if wait:
        return refused(wait, target)
    if not password_is(typed, password):
        return render_template("login.html.j2", failed=True, next=target), 401
    state().guesses.give_back(client)  # a sign-in is not a guess
    session.clear()  # a new session: nothing carried over from before signing in
    session["staff"] = state().sign_ins.start()
    session.permanent = True
    return redirect(target or url_for("catalog.index"))


@signin.post("/logout")
def logout():
    state().sign_ins.end(session.get("staff"))  # a copy of the cookie no longer signs in
    session.clear()
    return redirect(url_for("signin.login"))


def refused(wait: float, target: str | None):
    """Beyond the budget: answered at once, holding no thread, checking nothing."""
    seconds = math.ceil(wait)
    page = render_template("login.html.j2", wait=seconds, next=target)
    return page, 429, {"Retry-After": str(seconds)}
