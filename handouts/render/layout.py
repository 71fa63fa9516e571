"""Stage 4, layout: a resolved document, a format and the brand, as HTML for print.

The Jinja templates are the project's own; a source is only ever data passed
to them (autoescaped), never a template itself, so `{{ 6*7 }}` in a handout
prints as written. The one piece of HTML that is not escaped is the body,
which the resolve stage has already sanitised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..content.brand import Brand, web_address
from ..content.documents import DocMeta, Review
from ..content.formats import FORMATS, Format
from ..content.i18n import direction, topic_names, translations
from ..content.markup import BLOCK_PARAGRAPH
from ..project import Templates
from .bidi import isolate_latin, isolate_latin_fragment
from .citations import ResolvedDocument
from .filters import (
    CARD,
    CARDS_ACROSS,
    CARDS_DOWN,
    FOLD_ALLOWANCE,
    PAPER,
    cover_graphic_uri,
    css_counters,
    css_string,
    cut_marks_uri,
    isolated,
    language_name,
    long_date,
    month_year,
    qr_data_uri,
    tel_uri,
    watermark_uri,
)
from .spoken import card_heading, for_listeners

PAGE_SIZES = {"letter": "letter", "a4": "A4"}


@dataclass(frozen=True)
class DocumentHtml:
    """HTML ready for the PDF stage; `base_url` is where relative images resolve."""

    html: str
    base_url: str
    stylesheets: tuple[Path, ...]
    max_pages: int | None = None  # more pages than this is an overflow
    # The brand's colours by variable name (--primary), written into the stylesheets in
    # place of var() before they are parsed (colors_written_in).
    colors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Fit:
    """How a re-layout differs, to use a document's last page (render.render_fitted)."""

    spacing: float = 0.0  # added to the line spacing; the space between blocks scales with it
    resources_apart: bool = False  # the resource list starts a page of its own


def layout(resolved: ResolvedDocument, fmt: Format, brand: Brand, templates: Templates,
           print_shop: bool = False, extra: Mapping[str, Any] | None = None) -> DocumentHtml:
    document = resolved.document
    brand = brand.in_language(document.lang)
    env = template_environment(templates.templates, document.lang)
    context = {
        "doc": resolved.meta,
        "lang": document.lang,
        "citations": resolved.citations,
        "card_back": Markup(card_heading(resolved.card_back)) if resolved.card_back else None,
        "brand": brand,
        "format": fmt,
        "print_shop": print_shop and fmt.bleeds,
        "brand_css": Markup(brand_css(brand, fmt, print_shop)),
        "generator": f"handouts {__version__}",
        "fit": None,  # a Fit, when the document is laid out again (render.render_fitted)
        **(extra or {}),
    }
    body = for_listeners(resolved.body_html, resolved.citations, document.lang)
    context["body"] = Markup(_expand_blocks(body, env, context))
    # What the body already prints from the brand is not printed twice at the end.
    context["printed_blocks"] = set(BLOCK_PARAGRAPH.findall(resolved.body_html))
    html = env.get_template(fmt.template).render(context)
    if direction(document.lang) == "rtl":
        html = isolate_latin(html)
    return DocumentHtml(
        html=html,
        base_url=document.source.path.parent.resolve().as_uri() + "/",
        stylesheets=tuple((templates.styles / name).resolve()
                          for name in _stylesheets(fmt.stylesheets, document.lang)),
        max_pages=fmt.max_pages,
        colors=brand_colors(brand),
    )


def _stylesheets(names: tuple[str, ...], *languages) -> tuple[str, ...]:
    """A format's stylesheets, and the mirroring of rtl.css if a page is written right to left."""
    return (*names, "rtl.css") if any(direction(lang) == "rtl" for lang in languages) else names


BLEED = "0.125in"


def brand_colors(brand: Brand) -> tuple[tuple[str, str], ...]:
    """The brand's colours as CSS variables: --primary, --foreground, ..."""
    return tuple((f"--{name}", value) for name, value in vars(brand.colors).items())


COLOR_VARIABLE = re.compile(r"var\(\s*(--[\w-]+)\s*\)")


def colors_written_in(css: str, colors: tuple[tuple[str, str], ...]) -> str:
    """`css` with each var() of a brand colour replaced by the colour itself. WeasyPrint
    works a var() out again for every element it applies to; written in, a colour is
    parsed once with its stylesheet (about 6% of a handout's layout and writing). No
    stylesheet sets a colour variable of its own, so the value is the same everywhere."""
    values = dict(colors)
    return COLOR_VARIABLE.sub(lambda var: values.get(var.group(1), var.group(0)), css)


def brand_css(brand: Brand, fmt: Format, print_shop: bool = False,
              languages: tuple[str, ...] = ()) -> str:
    """The brand as CSS: page size, colour variables, geometry and the typeface's files.
    A page with parts in other `languages` (a packet, the printed catalog) also gets
    their typefaces, each drawn by the part marked `own-typeface` in its language."""
    colors = "".join(f"{name}: {value}; " for name, value in brand_colors(brand))
    others = {lang: brand.typeface_of(lang) for lang in languages}
    typefaces = dict.fromkeys((brand.typeface, *others.values()))
    faces = "".join(
        f'@font-face {{ font-family: "{typeface.family}"; src: url("{face.path.as_uri()}"); '
        f"font-weight: {weight}; font-style: {face.style}; }}\n"
        for typeface in typefaces for face in typeface.faces for weight in face.weights
    )
    faces += "".join(f'.own-typeface:lang({lang}) {{ font-family: "{typeface.family}"; }}\n'
                     for lang, typeface in sorted(others.items()))
    single_card = fmt.name == "card" and print_shop
    sheet = f"{PAGE_SIZES[brand.paper]} {fmt.orientation}"
    size = f"{CARD[0]}in {CARD[1]}in" if single_card else sheet
    bleed = f"bleed: {BLEED}; marks: crop; " if print_shop and fmt.bleeds else ""
    page = f"size: {size}; " + bleed
    return (
        f"{faces}@page {{ {page}}}\n"
        f":root {{ {colors}--typeface: \"{brand.typeface.family}\"; "
        f"--base-size: {brand.base_size}; --line-height: {brand.line_height}; "
        f"--cover-graphic: url({cover_graphic_uri(brand)}); "
        f"{_geometry(brand.paper, fmt)}}}\n"
    )


def _geometry(paper: str, fmt: Format) -> str:
    """Panel widths of the tri-fold and the card sheet's margins, for the sheet in use."""
    short, long = PAPER[paper]
    if fmt.name == "brochure":
        wide = (long + FOLD_ALLOWANCE) / 3
        return (f"--sheet-width: {long:.4f}in; --sheet-height: {short:.4f}in; "
                f"--panel: {wide:.4f}in; --flap: {wide - FOLD_ALLOWANCE:.4f}in; "
                # Columns of the inside page sit 0.25 in from each fold.
                f"--fold-gap: {0.5 + FOLD_ALLOWANCE:.4f}in; ")
    if fmt.name == "card":
        across = (short - CARDS_ACROSS * CARD[0]) / 2
        down = (long - CARDS_DOWN * CARD[1]) / 2
        return f"--sheet-across: {across:.4f}in; --sheet-down: {down:.4f}in; "
    return ""


def layout_packet(documents: list[ResolvedDocument], brand: Brand, templates: Templates,
                  person, lang: str, large_print: bool = False, part: str = "all",
                  contents_pages: Mapping[str, int] | None = None,
                  total_pages: int | None = None,
                  fits: Sequence[Fit | None] = ()) -> DocumentHtml:
    """A personalised packet: a cover for `person`, then each document as its handout
    (or large print) lays it out, in `lang`, with anchors kept apart per document.
    `part` is "all", "cover" (given each document's first page, by anchor, and the
    packet's total) or "document" (one document, `lang` its own, with no page number
    and no watermark, and nothing personal: see deliver/packet_parts.py). `fits` are
    the documents' re-layouts, as each prints alone."""
    fmt = FORMATS["large-print" if large_print else "handout"]
    env = template_environment(templates.templates, lang)
    shared = {"lang": lang, "brand": brand.in_language(lang), "format": fmt, "print_shop": False}
    items = []
    for number, resolved in enumerate(documents, start=1):
        # Each document keeps its own language's frame (headings, contact, crisis lines,
        # footer): an English handout in a Spanish packet has no Spanish labels around
        # English text, and its article is tagged English.
        own = resolved.document.lang
        own_env = template_environment(templates.templates, own)
        prefix = f"d{number}-"
        item = {**shared, "lang": own, "brand": brand.in_language(own), "doc": resolved.meta,
                "citations": resolved.citations, "anchor_prefix": prefix,
                "printed_blocks": set(BLOCK_PARAGRAPH.findall(resolved.body_html)),
                "fit": fits[number - 1] if number <= len(fits) else None}
        body = for_listeners(resolved.body_html, resolved.citations, own)
        body = _expand_blocks(body, own_env, item)
        line = own_env.get_template("partials/document-line.html.j2").render(item)
        shown = own_env.get_template("partials/document.html.j2").render(
            {**item, "body": Markup(prefix_anchors(body, prefix))})
        if direction(own) == "rtl":
            shown = isolate_latin_fragment(shown)
        items.append({
            **item,
            "anchor": f"d{number}",
            "html": Markup(shown),
            "footer": Markup(line).unescape().strip(),
            "draft": resolved.meta.review.is_draft,
        })
    context = {
        **shared,
        # The packet's own metadata is generic: the family's details are on the cover only.
        "doc": DocMeta(title="", summary="", review=Review(status="approved")),
        "person": person,
        "documents": items,
        "part": part,
        # A packet holding a draft is a draft on every page; a document laid out on its
        # own gets its watermark from the packet's frame.
        "draft": part != "document" and any(item["draft"] for item in items),
        "contents_pages": contents_pages,
        "total_pages": total_pages,
        "brand_css": Markup(brand_css(brand.in_language(lang), fmt,
                                      languages=tuple(sorted({str(i["lang"]) for i in items})))),
        "generator": f"handouts {__version__}",
        "fit": None,
        "frames": _page_numbers({str(item["lang"]) for item in items}, lang),
    }
    return _packet_html(env.get_template("packet.html.j2").render(context), templates, fmt,
                        (lang, *(str(i["lang"]) for i in items)),
                        documents[0].document.source.path.parent, brand)


def layout_packet_frame(page_langs: Sequence[str], brand: Brand, templates: Templates,
                        lang: str, large_print: bool, draft: bool) -> DocumentHtml:
    """What a packet's pages have under their text: the page numbers, in the language
    of the document on each page (`page_langs`, the cover's first), and the DRAFT
    watermark if any document is a draft. Empty pages otherwise, nothing personal."""
    fmt = FORMATS["large-print" if large_print else "handout"]
    env = template_environment(templates.templates, lang)
    langs = tuple(sorted(set(page_langs) | {lang}))
    context = {
        "lang": lang, "brand": brand.in_language(lang), "format": fmt, "print_shop": False,
        "doc": DocMeta(title="", summary="", review=Review(status="approved")),
        "documents": [], "part": "frame", "frame_pages": list(page_langs), "draft": draft,
        "brand_css": Markup(brand_css(brand.in_language(lang), fmt, languages=langs)),
        "generator": f"handouts {__version__}", "fit": None,
        "frames": _page_numbers(set(langs), lang),
    }
    return _packet_html(env.get_template("packet.html.j2").render(context), templates, fmt,
                        (lang, *langs), templates.templates, brand)


def _page_numbers(langs: set[str], lang: str) -> dict[str, Markup]:
    """"Page 7 of 9" in each language of `langs` but the packet's own `lang`, as CSS
    content with live counters: a document keeps its own words for it (packet.html.j2)."""
    return {own: css_counters(translations(own).gettext("Page {page} of {pages}"))
            for own in sorted(langs - {lang})}


def _packet_html(html: str, templates: Templates, fmt: Format, langs: Sequence[str],
                 base: Path, brand: Brand) -> DocumentHtml:
    """A packet's HTML (or a part of it) with its format's stylesheets and the packet's,
    and those its languages need (right to left); relative addresses from `base`."""
    stylesheets = _stylesheets((*fmt.stylesheets, "packet.css"), *langs)
    return DocumentHtml(html=html, base_url=base.resolve().as_uri() + "/",
                        stylesheets=tuple((templates.styles / name).resolve()
                                          for name in stylesheets),
                        colors=brand_colors(brand))


ANCHOR = re.compile(r'(\s(?:id|href)=")(#?)([^"#:][^"]*)"')


def prefix_anchors(html: str, prefix: str) -> str:
    """Give a document's ids, and links to them, a prefix of its own: in a packet
    every document has a resource 1 and a heading "what-to-do-next"."""
    def fix(match: re.Match) -> str:
        attribute, hash_, name = match.groups()
        if attribute.strip().startswith("href") and not hash_:
            return match.group(0)  # a web address, not an anchor
        return f'{attribute}{hash_}{prefix}{name}"'
    return ANCHOR.sub(fix, html)


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str
    html: str


def email_text(brand: Brand, templates: Templates, lang: str, attachments: int) -> EmailText:
    """The subject and both bodies of the email that carries a family's handouts."""
    brand = brand.in_language(lang)
    env = template_environment(templates.templates, lang)
    labels = {"phone": "Phone", "address": "Address", "hours": "Hours", "website": "Website",
              "email": "Email"}
    gettext = translations(lang).gettext
    context = {"brand": brand, "lang": lang, "count": attachments,
               "labels": {name: gettext(label) for name, label in labels.items()},
               # Nothing personal or clinical in a subject line: inboxes are seen by others.
               "subject": gettext("Information from your care team")}
    text = env.get_template("email.txt.j2").render(context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = env.get_template("email.html.j2").render(context)
    return EmailText(str(context["subject"]), text, html)


def _expand_blocks(body_html: str, env: jinja2.Environment, context: dict) -> str:
    """Print the brand's crisis lines or contact details where a source asks for them."""
    def block(match: re.Match) -> str:
        name = "crisis-lines" if match[1] == "crisis-lines" else "contact-details"
        # In a body, the crisis lines come with when to call each one.
        inner = env.get_template(f"partials/{name}.html.j2").render({**context, "guidance": True})
        return f'<div class="brand-block brand-{match[1]}">{inner}</div>'
    return BLOCK_PARAGRAPH.sub(block, body_html)


@lru_cache(maxsize=8)
def template_environment(folder: Path, lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    env.install_gettext_translations(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        translations(lang), newstyle=True)
    env.filters.update(
        qr=qr_data_uri,
        tel=tel_uri,
        css_string=css_string,
        css_counters=css_counters,
        plain=lambda markup: Markup(markup).unescape(),
        month=month_year,
        day=long_date,
        watermark=watermark_uri,
        cut_marks=cut_marks_uri,
        language_name=language_name,
        web_address=web_address,
        isolated=isolated,
        direction=direction,
        topics=topic_names,
    )
    return env


