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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import jinja2
import segno
from babel.dates import format_date, format_skeleton
from markupsafe import Markup

from . import __version__
from .brand import Brand
from .citations import ResolvedDocument
from .formats import Format
from .typeface import Typeface

PAGE_SIZES = {"letter": "letter", "a4": "A4"}


@dataclass(frozen=True)
class RenderedHtml:
    """HTML ready for the PDF stage; `base_url` is where relative images resolve."""

    html: str
    base_url: str
    stylesheets: tuple[Path, ...]


@dataclass(frozen=True)
class Templates:
    """Where the layouts and stylesheets live."""

    templates: Path
    styles: Path


def layout(resolved: ResolvedDocument, fmt: Format, brand: Brand, templates: Templates,
           extra: Mapping[str, Any] | None = None) -> RenderedHtml:
    document = resolved.document
    env = _environment(templates.templates)
    context = {
        "doc": document.meta,
        "lang": document.lang,
        "body": Markup(resolved.body_html),
        "citations": resolved.citations,
        "brand": brand,
        "format": fmt,
        "brand_css": Markup(brand_css(brand, fmt)),
        "generator": f"handouts {__version__}",
        **(extra or {}),
    }
    html = env.get_template(fmt.template).render(context)
    return RenderedHtml(
        html=html,
        base_url=document.source.path.parent.resolve().as_uri() + "/",
        stylesheets=tuple((templates.styles / name).resolve() for name in fmt.stylesheets),
    )


def brand_css(brand: Brand, fmt: Format) -> str:
    """The brand as CSS: page size, colour variables and the typeface's files."""
    colors = "".join(f"--{name}: {value}; " for name, value in vars(brand.colors).items())
    faces = "".join(
        f'@font-face {{ font-family: "{brand.typeface.family}"; src: url("{face.path.as_uri()}"); '
        f"font-weight: {face.weight}; font-style: {face.style}; }}\n"
        for face in brand.typeface.faces
    )
    size = f"{PAGE_SIZES[brand.paper]} {fmt.orientation}"
    return (
        f"{faces}@page {{ size: {size}; }}\n"
        f":root {{ {colors}--typeface: \"{brand.typeface.family}\"; "
        f"--base-size: {brand.base_size}; --line-height: {brand.line_height}; }}\n"
    )


@lru_cache(maxsize=4)
def _environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    env.install_null_translations(newstyle=True)
    env.filters.update(
        qr=qr_data_uri,
        tel=tel_uri,
        css_string=css_string,
        css_counters=css_counters,
        month=month_year,
        day=long_date,
        watermark=watermark_uri,
    )
    return env


def qr_data_uri(url: str, color: str = "#000000") -> str:
    """A QR code for `url` as an SVG data URI: vector, so it stays sharp at any size."""
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
    """Quote `text` for a CSS `content:` value."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    escaped = escaped.replace("<", "\\3c ").replace(">", "\\3e ")
    return Markup(f'"{escaped}"')


def css_counters(text: str) -> Markup:
    """`Page {page} of {pages}` as CSS content with live page counters."""
    parts = re.split(r"\{(page|pages)\}", str(text))
    pieces = [css_string(part) if index % 2 == 0 else Markup(f"counter({part})")
              for index, part in enumerate(parts) if part]
    return Markup(" ").join(pieces)


def month_year(value: dt.date, lang: str) -> str:
    return format_skeleton("yMMMM", value, locale=lang)


def long_date(value: dt.date, lang: str) -> str:
    return format_date(value, "long", locale=lang)
