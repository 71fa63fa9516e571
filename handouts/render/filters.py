"""What the templates may call: the Jinja filters and the pictures drawn for a page (QR
codes, the DRAFT watermark, crop marks, the cover graphic), each escaping or encoding
what it is given for where it lands (a URL, CSS, SVG)."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import lru_cache

import segno
from babel.dates import format_date, format_skeleton
from markupsafe import Markup

from ..content.brand import Brand
from ..content.typeface import Typeface

# Sheet sizes in inches, portrait.
PAPER = {"letter": (8.5, 11.0), "a4": (210 / 25.4, 297 / 25.4)}
FOLD_ALLOWANCE = 1 / 16  # the tri-fold's inside flap is this much narrower
CARD = (3.5, 2.0)  # a wallet card, landscape
CARDS_ACROSS, CARDS_DOWN = 2, 5


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


def isolated(text: str) -> str:
    """`text` in a bidirectional isolate (FSI ... PDI): what staff typed, a right-to-left
    name or a stray override in it, can never reorder the words around it on the page."""
    return f"\u2068{text}\u2069"


# Pixels a module of a QR code's picture, as measured with poppler and zbar: at one,
# poppler smooths the picture as it enlarges it (it does so below fourfold, "no
# smoothing" or not) and the densest codes we print (version 8) fail to scan at
# 150 dpi; at eight or more, it shrinks the picture unsmoothed and breaks the modules'
# edges; at three and four, every cited address scanned at 150 and 300 dpi, at every
# position on the page tried.
QR_MODULE_PIXELS = 4


@lru_cache(maxsize=512)
def qr_data_uri(url: str, color: str = "#000000") -> str:
    """A QR code for `url` as a PNG data URI, each module a square of pixels drawn without
    smoothing (the stylesheets' `image-rendering: pixelated`): it prints as sharp squares
    (a zbar test reads every code back from pages printed at 150 dpi). An SVG of the
    same code prints the same, but WeasyPrint parses its path again on every page that
    draws it, about 4 ms a code; the picture is decoded once a document. Kept once made:
    the same few resources are cited across the whole library."""
    code = segno.make(url, error="m", micro=False)
    return code.png_data_uri(scale=QR_MODULE_PIXELS, border=0, dark=color, light="#ffffff")


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

    face = max(typeface.faces, key=lambda f: (f.style == "normal", f.heaviest))
    font = TTFont(face.path, lazy=True)
    # A variable face is drawn at its bold, as the static faces' boldest is.
    location = {"wght": min(700, face.heaviest)} if face.max_weight else None
    glyphs, names = font.getGlyphSet(location=location), font.getGlyphOrder()
    pen, advance = SVGPathPen(glyphs), 0
    for glyph_id, x_advance, x_offset, y_offset in _shaped(face.path, text, location):
        glyph = glyphs[names[glyph_id]]
        # SVG's y runs down.
        glyph.draw(TransformPen(pen, (1, 0, 0, -1, advance + x_offset, -y_offset)))
        advance += x_advance
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


def _shaped(path, text: str, location: dict | None) -> list[tuple[int, int, int, int]]:
    """`text` shaped as a line of it prints, left to right: (glyph, advance, x and y
    offset) in font units. Arabic letters join and take their forms; a right-to-left
    word comes out in the order it is seen."""
    import uharfbuzz as hb

    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(path))))
    if location:
        font.set_variations(location)
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer)
    return [(info.codepoint, pos.x_advance, pos.x_offset, pos.y_offset)
            for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)]


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
