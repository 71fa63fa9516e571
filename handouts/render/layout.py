"""Stage 4, layout: a resolved document, a format and the brand, as HTML for print.

The Jinja templates are the project's own; a source is only ever data passed
to them (autoescaped), never a template itself, so `{{ 6*7 }}` in a handout
prints as written. The one piece of HTML that is not escaped is the body,
which the resolve stage has already sanitised.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import segno
from babel.dates import format_date, format_skeleton
from markupsafe import Markup

from .. import __version__
from ..content.brand import Brand, web_address
from ..content.documents import DocMeta, Review
from ..content.formats import FORMATS, Format
from ..content.i18n import topic_names, translations
from ..content.markup import BLOCK_PARAGRAPH
from ..content.typeface import Typeface
from ..project import Templates
from .citations import ResolvedDocument
from .spoken import card_heading, for_listeners

PAGE_SIZES = {"letter": "letter", "a4": "A4"}


@dataclass(frozen=True)
class DocumentHtml:
    """HTML ready for the PDF stage; `base_url` is where relative images resolve."""

    html: str
    base_url: str
    stylesheets: tuple[Path, ...]
    max_pages: int | None = None  # more pages than this is an overflow


@dataclass(frozen=True)
class Fit:
    """How a re-layout differs, to use a document's last page (render.render_fitted)."""

    spacing: float = 0.0  # added to the line spacing; the space between blocks scales with it
    resources_apart: bool = False  # the resource list starts a page of its own


def layout(resolved: ResolvedDocument, fmt: Format, brand: Brand, templates: Templates,
           print_shop: bool = False, extra: Mapping[str, Any] | None = None) -> DocumentHtml:
    document = resolved.document
    brand = brand.in_language(document.lang)
    env = _environment(templates.templates, document.lang)
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
    return DocumentHtml(
        html=html,
        base_url=document.source.path.parent.resolve().as_uri() + "/",
        stylesheets=tuple((templates.styles / name).resolve() for name in fmt.stylesheets),
        max_pages=fmt.max_pages,
    )


# Sheet sizes in inches, portrait.
PAPER = {"letter": (8.5, 11.0), "a4": (210 / 25.4, 297 / 25.4)}
FOLD_ALLOWANCE = 1 / 16  # the tri-fold's inside flap is this much narrower
CARD = (3.5, 2.0)  # a wallet card, landscape
CARDS_ACROSS, CARDS_DOWN = 2, 5
BLEED = "0.125in"


def brand_css(brand: Brand, fmt: Format, print_shop: bool = False) -> str:
    """The brand as CSS: page size, colour variables, geometry and the typeface's files."""
    colors = "".join(f"--{name}: {value}; " for name, value in vars(brand.colors).items())
    faces = "".join(
        f'@font-face {{ font-family: "{brand.typeface.family}"; src: url("{face.path.as_uri()}"); '
        f"font-weight: {face.weight}; font-style: {face.style}; }}\n"
        for face in brand.typeface.faces
    )
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


def cut_marks_uri(paper: str) -> Markup:
    """Short cut marks in the sheet's margins, in line with every card edge."""
    from urllib.parse import quote

    short, long = (v * 72 for v in PAPER[paper])  # points
    width, height = CARD[0] * 72, CARD[1] * 72
    left = (short - CARDS_ACROSS * width) / 2
    top = (long - CARDS_DOWN * height) / 2
    gap, length = 4, 12  # points clear of the cards, and the marks' length: they stay
    # 0.25 in from the sheet's edge, inside what office printers print
    lines = []
    for i in range(CARDS_ACROSS + 1):
        x = left + i * width
        lines += [(x, top - gap - length, x, top - gap),
                  (x, long - top + gap, x, long - top + gap + length)]
    for j in range(CARDS_DOWN + 1):
        y = top + j * height
        lines += [(left - gap - length, y, left - gap, y),
                  (short - left + gap, y, short - left + gap + length, y)]
    path = " ".join(f"M{x1:.2f} {y1:.2f}L{x2:.2f} {y2:.2f}" for x1, y1, x2, y2 in lines)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {short:.2f} {long:.2f}">'
           f'<path d="{path}" stroke="#000000" stroke-width="0.5" fill="none"/></svg>')
    return css_string("data:image/svg+xml," + quote(svg))


def cover_graphic_uri(brand: Brand) -> str:
    """Rolling hills and a low sun in the brand's colours: the brochure cover's graphic."""
    from urllib.parse import quote

    c = brand.colors
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 230" preserveAspectRatio="none">'
        f'<circle cx="236" cy="78" r="34" fill="{c.warning}" fill-opacity="0.22"/>'
        f'<path d="M0 112 C62 82 128 84 188 108 S282 140 320 116 V230 H0 Z" fill="{c.light}"/>'
        f'<path d="M0 152 C72 126 146 132 208 152 S288 170 320 156 V230 H0 Z" '
        f'fill="{c.primary}" fill-opacity="0.55"/>'
        f'<path d="M0 190 C84 168 168 174 230 190 S292 202 320 194 V230 H0 Z" fill="{c.primary}"/>'
        "</svg>"
    )
    return '"data:image/svg+xml,' + quote(svg) + '"'



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
    `part` is "all", "documents" (a blank first page where the cover goes, and no
    personal details at all) or "cover" (given each document's first page, by anchor,
    and the packet's total). `fits` are the documents' re-layouts, as each prints alone."""
    fmt = FORMATS["large-print" if large_print else "handout"]
    env = _environment(templates.templates, lang)
    shared = {"lang": lang, "brand": brand.in_language(lang), "format": fmt, "print_shop": False}
    items = []
    for number, resolved in enumerate(documents, start=1):
        # Each document keeps its own language's frame (headings, contact, crisis lines,
        # footer): an English handout in a Spanish packet has no Spanish labels around
        # English text, and its article is tagged English.
        own = resolved.document.lang
        own_env = _environment(templates.templates, own)
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
        "contents_pages": contents_pages,
        "total_pages": total_pages,
        "brand_css": Markup(brand_css(brand, fmt)),
        "generator": f"handouts {__version__}",
        "fit": None,
        # "Page 7 of 9" in each other language a document is in (see packet.html.j2).
        "frames": {own: css_counters(translations(own).gettext("Page {page} of {pages}"))
                   for own in sorted({str(item["lang"]) for item in items} - {lang})},
    }
    html = env.get_template("packet.html.j2").render(context)
    stylesheets = (*fmt.stylesheets, "packet.css")
    return DocumentHtml(
        html=html,
        base_url=documents[0].document.source.path.parent.resolve().as_uri() + "/",
        stylesheets=tuple((templates.styles / name).resolve() for name in stylesheets),
    )


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
    env = _environment(templates.templates, lang)
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
def _environment(folder: Path, lang: str) -> jinja2.Environment:
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
        topics=topic_names,
    )
    return env


def isolated(text: str) -> str:
    """`text` in a bidirectional isolate (FSI ... PDI): what staff typed, a right-to-left
    name or a stray override in it, can never reorder the words around it on the page."""
    return f"\u2068{text}\u2069"


@lru_cache(maxsize=512)
def qr_data_uri(url: str, color: str = "#000000") -> str:
    """A QR code for `url` as an SVG data URI: vector, so every module prints as a
    sharp square at any size and resolution (a zbar test reads them back from pages
    printed at 150 dpi). Kept once made: the same few resources are cited across the
    whole library. (A PNG would be drawn faster, about 6 ms less a code on a page,
    but the issue asks for SVG, and paper deserves the sharper edge.)"""
    code = segno.make(url, error="m", micro=False)
    return code.svg_data_uri(border=0, dark=color, xmldecl=False)


def watermark_uri(text: str, brand: Brand) -> Markup:
    """`text` as a faint diagonal SVG, for a page background: drawn as glyph
    outlines, not text, so it is not read aloud or copied with the page."""
    return css_string(_watermark_svg(str(text), brand.typeface, brand.colors.danger))


@lru_cache(maxsize=16)
def _watermark_svg(text: str, typeface: Typeface, color: str) -> str:
    from urllib.parse import quote

    from fontTools.pens.svgPathPen import SVGPathPen
    from fontTools.pens.transformPen import TransformPen
    from fontTools.ttLib import TTFont

    face = max(typeface.faces, key=lambda f: (f.style == "normal", f.weight))
    font = TTFont(face.path, lazy=True)
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()
    pen, advance = SVGPathPen(glyphs), 0
    for char in text:
        glyph = glyphs[cmap[ord(char)]]
        glyph.draw(TransformPen(pen, (1, 0, 0, -1, advance, 0)))  # SVG's y runs down
        advance += glyph.width
    height = font["OS/2"].sCapHeight
    angle = math.radians(35)
    width_box = advance * math.cos(angle) + height * math.sin(angle)
    height_box = advance * math.sin(angle) + height * math.cos(angle)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width_box:.0f} {height_box:.0f}">'
        f'<path fill="{color}" fill-opacity="0.13" transform="translate({width_box / 2:.0f} '
        f'{height_box / 2:.0f}) rotate(-35) translate({-advance / 2:.0f} {height / 2:.0f})" '
        f'd="{pen.getCommands()}"/></svg>'
    )
    return "data:image/svg+xml," + quote(svg)


def tel_uri(number: str) -> str:
    """`1-800-662-HELP (4357)` style numbers as a dialable `tel:` address."""
    digits = re.sub(r"[^0-9+]", "", number)
    if len(digits) == 11 and digits.startswith("1"):
        digits = "+" + digits
    return f"tel:{digits}"


def css_string(text: str) -> Markup:
    """Quote `text` as a CSS string, for a `content:` or `url()` value in a <style>.

    Every character that could end the string or the rule (a quote, a backslash, any
    line end: CSS ends a string at a line feed, a carriage return or a form feed),
    or the <style> element itself (`<`, `>`, `&`), and every control or invisible
    formatting character, is written as a six-digit escape, which needs no space
    after it. So no value, however written, can close the string and add rules (a
    rule that hid the crisis lines). NUL, which CSS cannot carry, becomes U+FFFD."""
    return Markup('"' + "".join(_css_char(char) for char in str(text)) + '"')


def _css_char(char: str) -> str:
    if char == "\0":
        char = "\ufffd"
    if char in '"\'\\<>&' or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs"):
        return f"\\{ord(char):06x}"
    return char


def css_counters(text: str) -> Markup:
    """`Page {page} of {pages}` as CSS content with live page counters."""
    parts = re.split(r"\{(page|pages)\}", str(text))
    pieces = [css_string(part) if index % 2 == 0 else Markup(f"counter({part})")
              for index, part in enumerate(parts) if part]
    return Markup(" ").join(pieces)


def language_name(code: str, lang: str) -> str:
    """The name of the language `code` in the language `lang`: en, es -> "inglés"."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(lang).languages.get(code, code)
    except (ValueError, UnknownLocaleError):
        return code


def month_year(value: dt.date, lang: str) -> str:
    return format_skeleton("yMMMM", value, locale=lang)


def long_date(value: dt.date, lang: str) -> str:
    return format_date(value, "long", locale=lang)
