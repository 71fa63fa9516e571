"""Markdown to safe HTML.

Staff write Markdown, but Markdown lets raw HTML through. Whatever the
Markdown produces is cleaned by nh3 (an allow-list sanitiser) before it goes
near the renderer: no script, style, iframe, object, embed or link elements,
no event handlers, no `rel` (so no `rel=attachment`), no inline styles, links only to web, mail
and phone addresses, images only by a plain path below the document's folder,
no table cell spanning more than MAX_SPAN columns or rows, and nothing nested
more than MAX_DEPTH elements deep.

The sanitiser is also where the rest of the build learns what a body holds:
every check of images and links reads its output (see `clean`), which is what
the renderer gets, never the HTML as written. Another parser reading the raw
HTML disagrees with nh3's at the edges of the syntax (`<!-->`, `<image>`, a
repeated attribute) and would check a document that is not the one printed.
What the sanitiser takes out or cuts down is recorded, so the writer is told.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import markdown
import nh3

EXTENSIONS = ("tables", "admonition", "attr_list", "sane_lists", "toc", "smarty")
EXTENSION_CONFIGS = {
    # An align attribute, not an inline style: styles are not let through.
    "tables": {"use_align_attribute": True},
    "toc": {"toc_depth": "2-4"},
}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "mark", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The classes a body may carry: those Markdown and the pipeline give it (callouts,
# a picture beside the text, citations, safety blocks). Any other is the layout's own
# (the masthead, the contact box, a cover band): a source that borrowed one could lay
# an opaque or positioned box over the crisis lines or the DRAFT mark.
BODY_CLASSES = {"admonition", "admonition-title", "note", "tip", "important", "warning",
                "danger", "caution", "beside", "citation", "citation-link", "cited", "safety-block",
                "block-part", "block-parts"}
SAFETY_CLASS = re.compile(r"safety-[a-z0-9-]+")  # safety-overdose: a block's own
# A table cell spanning more than this is a mistake, and WeasyPrint lays a span
# of 100,000 columns out for minutes: the sanitiser cuts it down (and says so).
MAX_SPAN = 50
# Lists in lists, quotes in quotes: a handout needs a handful of levels (its
# deepest today is 3). Each level is indented, so some 20 would squeeze the text
# out of a brochure's panel; and WeasyPrint lays each out by recursion, so some
# 150 exhaust Python's stack and end the build. Past this, a document is refused.
MAX_DEPTH = 16
SCHEME = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*):")
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ufffd]")  # nh3 turns a NUL into U+FFFD

# A paragraph of just `[[crisis-lines]]` or `[[contact]]` prints that part of
# the brand file there, so safety lines are never retyped in a source.
BRAND_BLOCKS = ("crisis-lines", "contact")
BLOCK_PARAGRAPH = re.compile(r"<p>\[\[([a-z-]+)\]\]</p>")
BLOCK_MARK = re.compile(r"\[\[([^\]\n]*)\]\]")
FENCE = re.compile(r"^\s*(```|~~~)")  # a line opening or closing a fenced code block
# What each line of a Markdown body is, for the checks that read it line by line.
TEXT, CODE, FENCE_LINE = "text", "code", "fence"


def body_lines(body_md: str) -> Iterator[tuple[int, str, str]]:
    """(offset, line, TEXT, CODE or FENCE_LINE) for each line of a body: the one place
    that knows where fenced code blocks begin and end."""
    in_fence = False
    for offset, line in enumerate(body_md.split("\n")):
        if FENCE.match(line):
            in_fence = not in_fence
            yield offset, line, FENCE_LINE
        else:
            yield offset, line, CODE if in_fence else TEXT


def markdown_to_html(text: str, extensions: tuple = ()) -> str:
    """Convert one document body; a fresh converter each time keeps calls independent."""
    converter = markdown.Markdown(
        extensions=[*EXTENSIONS, *extensions],
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )
    return converter.convert(text)


@dataclass(frozen=True)
class Refusal:
    """A value the sanitiser took out (a link, an image's address) or cut down (a span)."""

    tag: str
    attribute: str
    value: str  # as nh3 read it: entities decoded


@dataclass(frozen=True)
class Cleaned:
    html: str  # what the renderer gets
    refused: tuple[Refusal, ...]  # in document order


def sanitize(html: str) -> str:
    return clean(html).html


def clean(html: str) -> Cleaned:
    """`html` cut down to the allow-list, with what was taken out.

    nh3 drops an address whose scheme it is not given before the attribute
    filter sees it; it is given every scheme the text names, so that the
    filter (`_admitted`) is the one gate for links and images, and can say
    what it refused. A scheme that search cannot see (a tab inside it, which a
    URL parser drops) is still dropped by nh3, unreported."""
    refused: list[Refusal] = []

    def admitted(tag: str, attribute: str, value: str) -> str | None:
        kept = _admitted(tag, attribute, value)
        # nh3 asks of elements it then takes out whole too (an <svg>'s <image>).
        if kept != value and tag in ALLOWED_TAGS:
            refused.append(Refusal(tag, attribute, value))
        return kept

    schemes = URL_SCHEMES | {m.lower() for m in SCHEME.findall(htmllib.unescape(html))}
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=schemes,
        link_rel=None,
        strip_comments=True,
        attribute_filter=admitted,
    )
    return Cleaned(cleaned, tuple(refused))


def is_outward_link(href: str) -> bool:
    """A web, mail or phone address, or a place in the same document. A relative
    address would become a link to a file on the build machine in the PDF."""
    return href.startswith("#") or urlsplit(href).scheme.lower() in URL_SCHEMES


def is_local_file(src: str) -> bool:
    """A plain path below the document's folder: no scheme, not absolute, no `..`,
    no backslash (a URL parser reads it as `/`) and nothing unprintable."""
    path = unquote(src)
    return bool(src) and not (
        SCHEME.match(src.strip()) or src != src.strip() or path.startswith("/")
        or "\\" in path or ".." in path.split("/") or UNPRINTABLE.search(path))


def _admitted(tag: str, attribute: str, value: str) -> str | None:
    """The value the renderer may have, None for none."""
    if attribute == "href":
        return value if is_outward_link(value) else None
    if tag == "img" and attribute == "src":
        return value if is_local_file(value) else None
    if attribute in ("colspan", "rowspan"):
        return _span(value)
    if attribute == "class":
        kept = [name for name in value.split() if is_body_class(name)]
        return value if kept == value.split() else (" ".join(kept) or None)
    return value


def is_body_class(name: str) -> bool:
    return name in BODY_CLASSES or bool(SAFETY_CLASS.fullmatch(name))


def _span(value: str) -> str | None:
    """A span as WeasyPrint reads it (its leading digits), at most MAX_SPAN."""
    digits = re.match(r"\s*\+?0*(\d+)", value)
    if digits is None:
        return None  # read as 1
    number = digits[1]  # never int() of all of it: 5,000 digits raise
    return value if len(number) <= len(str(MAX_SPAN)) and int(number) <= MAX_SPAN else str(MAX_SPAN)


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


def images_in(html: str) -> tuple[Image, ...]:
    """Every <img> of an HTML fragment, in order. Read the sanitiser's output only:
    on raw HTML this parser and nh3's disagree (see the module's docstring), and on
    what nh3 writes (no comments, every attribute quoted, once) they cannot."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return tuple(collector.images)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[Image] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            values = dict(attrs)
            self.images.append(Image(values.get("src") or "", (values.get("alt") or "").strip()))


VOID = {"br", "hr", "img"}  # the allowed elements that have no end tag
# A handout's table has a few columns and its pictures are few; 12,000 columns took
# WeasyPrint 30 s (and printed 16), 2,000 pictures 9 s. Past these, a body is refused.
MAX_COLUMNS = 20
MAX_IMAGES = 60


@dataclass(frozen=True)
class Shape:
    """How big a body is, where the renderer's work grows fastest."""

    depth: int  # elements nested, at the deepest (a flat paragraph is 1)
    columns: int  # cells in a table's widest row
    images: int


def shape_of(html: str) -> Shape:
    """Read nh3's output only: every element in it is closed."""
    meter = _ShapeMeter()
    meter.feed(html)
    meter.close()
    return Shape(meter.deepest, meter.widest, meter.images)


class _ShapeMeter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = self.deepest = self.widest = self.images = 0
        self.cells: list[int] = []  # cells so far in each open row, innermost last

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images += 1
        if tag == "tr":
            self.cells.append(0)
        elif tag in ("td", "th") and self.cells:
            self.cells[-1] += 1
            self.widest = max(self.widest, self.cells[-1])
        if tag not in VOID:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)

    def handle_endtag(self, tag):
        if tag == "tr" and self.cells:
            self.cells.pop()
        if tag not in VOID:
            self.depth -= 1
