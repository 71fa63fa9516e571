"""The printed catalog's page: the library's listing as HTML for print.

The front desk keeps a binder: one row per document, grouped by whom it is
for, then an index by topic, each with its code, its languages, its formats
and whether a clinician has approved it. The listing comes from the build
(library/printed_catalog.py); this lays it out with the brand's masthead and
typeface, like a handout, but with no watermark: it is an index, not advice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..content.documents import AUDIENCES, DocMeta, Review
from ..content.formats import FORMAT_LABELS, PRINTED_CATALOG
from ..project import Templates

if TYPE_CHECKING:
    from ..content.brand import Brand
    from .layout import DocumentHtml


@dataclass(frozen=True)
class Listed:
    """One document, in every language and format it was built in."""

    code: str | None
    slug: str
    titles: tuple[tuple[str, str], ...]  # (language, title), English first
    audience: tuple[str, ...]
    topics: tuple[str, ...]
    formats: tuple[str, ...]  # in FORMAT_LABELS' order
    reviews: tuple[tuple[str, str, str | None], ...]  # (language, status, next review)


TITLE = "Document catalog"
SUMMARY = ("Every document we print, by whom it is for and then by topic, with its code, "
           "its languages, its formats and its review status.")
# What "Draft" means, printed under the title: staff must not hand one out as approved.
DRAFT_NOTE = ("Draft: not yet approved by a clinician; it prints with DRAFT across each page. "
              "A translation is also read by a qualified medical translator before approval.")


def layout_catalog(listed: tuple[Listed, ...], brand: Brand, templates: Templates) -> DocumentHtml:
    # Jinja and the layout's filters load here: the build imports this module for
    # `Listed` even when it has nothing to lay out.
    from markupsafe import Markup

    from .. import __version__
    from .layout import DocumentHtml, brand_colors, brand_css, template_environment

    env = template_environment(templates.templates, "en")
    brand = brand.in_language("en")
    context = {
        "doc": DocMeta(title=TITLE, summary=SUMMARY, topics=("catalog",),
                       review=Review(status="approved")),
        "lang": "en",
        "brand": brand,
        "format": PRINTED_CATALOG,
        "print_shop": False,
        "brand_css": Markup(brand_css(brand, PRINTED_CATALOG, languages=catalog_languages(listed))),
        "generator": f"handouts {__version__}",
        "fit": None,
        "groups": by_audience(listed),
        "topics": by_topic(listed),
        "count": len(listed),
        "draft_note": DRAFT_NOTE,
    }
    html = env.get_template(PRINTED_CATALOG.template).render(context)
    return DocumentHtml(html=html, base_url=templates.templates.resolve().as_uri() + "/",
                        stylesheets=tuple((templates.styles / name).resolve()
                                          for name in PRINTED_CATALOG.stylesheets),
                        colors=brand_colors(brand))


def catalog_languages(listed: tuple[Listed, ...]) -> tuple[str, ...]:
    """Every language a title is in: each is drawn in its own typeface."""
    return tuple(sorted({lang for item in listed for lang, _ in item.titles}))


def by_audience(listed: tuple[Listed, ...]) -> list[dict]:
    """Rows grouped by whom the documents are for, the widest groups first; each
    document once, in the group of exactly its audience."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for item in listed:
        audience = tuple(a for a in AUDIENCES if a in item.audience)
        groups.setdefault(audience, []).append(row(item))
    order = sorted(groups, key=lambda a: (-len(a), [AUDIENCES.index(x) for x in a]))
    return [{"heading": audience_heading(a), "rows": groups[a]} for a in order]


def audience_heading(audience: tuple[str, ...]) -> str:
    if not audience:
        return "For anyone"
    names = list(audience)
    spoken = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"For {spoken}"


def row(item: Listed) -> dict:
    from .filters import language_name

    return {
        "code": item.code or "",
        "titles": [{"lang": lang, "title": title} for lang, title in item.titles],
        "languages": [language_name(lang, "en") for lang, _ in item.titles],
        "formats": formats_line(item.formats),
        "reviews": review_lines(item.reviews),
    }


def formats_line(formats: tuple[str, ...]) -> str:
    """"Handout, large print, brochure": one line to scan, as a sentence is written."""
    labels = [FORMAT_LABELS.get(f, f) for f in formats]
    return ", ".join([*labels[:1], *(label.lower() for label in labels[1:])])


def review_lines(reviews: tuple[tuple[str, str, str | None], ...]) -> list[str]:
    """"Draft" when every language is; otherwise one line per language."""
    from .filters import language_name

    said = [review_words(status, next_review) for _, status, next_review in reviews]
    if len(set(said)) == 1:
        return said[:1]
    return [f"{language_name(lang, 'en')}: {words}"
            for (lang, _, _), words in zip(reviews, said, strict=True)]


def review_words(status: str, next_review: str | None) -> str:
    from .filters import month_year

    if status != "approved":
        return "Draft"
    if not next_review:
        return "Approved"
    return f"Approved; next review {month_year(dt.date.fromisoformat(next_review), 'en')}"


def by_topic(listed: tuple[Listed, ...]) -> list[dict]:
    """Each topic, in alphabetical order, with the documents on it."""
    topics: dict[str, list[dict]] = {}
    for item in listed:
        for topic in item.topics:
            shown = {"code": item.code or "", "title": item.titles[0][1]}
            topics.setdefault(topic, []).append(shown)
    return [{"topic": topic[:1].upper() + topic[1:], "documents": documents}
            for topic, documents in sorted(topics.items())]
