"""The catalog: every document, searched and filtered; and the clinic's own look (its
logo for the browser's tab, its typeface)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_file

from ..forms import catalog_filters
from ..state import state

catalog = Blueprint("catalog", __name__)


@catalog.get("/")
def index():
    filters = catalog_filters(request.args)
    found = state().catalog
    results = found.search(filters["q"], filters["topic"], filters["audience"], filters["lang"],
                           filters["format"])
    return render_template("catalog.html.j2", cards=results.cards, results=results,
                           filters=filters, choices=found.choices(), total=len(found.cards()))


@catalog.get("/favicon.ico")
def favicon():
    """The clinic's logo, for the browser's tab (and no 404 in its log)."""
    logo = state().brand.get().logo.path
    kind = "image/svg+xml" if logo.suffix.lower() == ".svg" else "image/png"
    return send_file(logo, mimetype=kind, max_age=86400)


@catalog.get("/fonts/<name>")
def font(name: str):
    for face in state().brand.get().typeface.faces:
        if face.path.name == name:
            return send_file(face.path, mimetype="font/ttf", max_age=86400)
    abort(404)
