"""One document: its page, its page images, and its PDFs, each looked up in the catalog,
never by a path from the request."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_file

from ..state import state

document = Blueprint("document", __name__)
CARD_WIDTH, PAGE_WIDTH = 150, 300


@document.get("/documents/<slug>")
def page(slug: str):
    card = state().catalog.card(slug) or abort(404)
    lang = request.args.get("lang", "en")
    if lang not in card.languages:
        lang = "en" if "en" in card.languages else card.languages[0]
    return render_template("document.html.j2", card=card, lang=lang, preview=card.preview(lang))


@document.get("/thumbnails/<fmt>/<slug>/<lang>/<int:page>.png")
def thumbnail(fmt: str, slug: str, lang: str, page: int):
    found = state().catalog.find(fmt, slug, lang) or abort(404)
    entry, path = found
    if not 1 <= page <= entry.pages:
        abort(404)
    width = CARD_WIDTH if request.args.get("size") == "card" else PAGE_WIDTH
    image = state().thumbnails.page(path, entry.sha256, page, width)
    return send_file(image, mimetype="image/png", max_age=3600)


@document.get("/files/<fmt>/<slug>/<lang>")
def pdf(fmt: str, slug: str, lang: str):
    found = state().catalog.find(fmt, slug, lang) or abort(404)
    entry, path = found
    return send_file(path, mimetype="application/pdf", download_name=download_name(entry),
                     as_attachment=request.args.get("download") == "1")


def download_name(entry) -> str:
    """What a PDF is saved as: the document, its format unless a handout, its language
    unless English (klonopin-overview-large-print-es.pdf)."""
    parts = [entry.slug]
    if entry.format != "handout":
        parts.append(entry.format)
    if entry.lang != "en":
        parts.append(entry.lang)
    return "-".join(parts) + ".pdf"
