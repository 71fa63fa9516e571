"""Markdown to safe HTML.

Staff write Markdown, but Markdown lets raw HTML through. Whatever the
Markdown produces is cleaned by nh3 (an allow-list sanitiser) before it goes
near the renderer: no script, style, iframe, object, embed or link elements,
no event handlers, no `rel` (so no `rel=attachment`), no inline styles, and
links only to web, mail and phone addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

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

# A paragraph of just `[[crisis-lines]]` or `[[contact]]` prints that part of
# the brand file there, so safety lines are never retyped in a source.
BRAND_BLOCKS = ("crisis-lines", "contact")
BLOCK_PARAGRAPH = re.compile(r"<p>\[\[([a-z-]+)\]\]</p>")
BLOCK_MARK = re.compile(r"\[\[([^\]\n]*)\]\]")
FENCE = re.compile(r"^\s*(```|~~~)")  # a line opening or closing a fenced code block


def markdown_to_html(text: str, extensions: tuple = ()) -> str:
    """Convert one document body; a fresh converter each time keeps calls independent."""
    converter = markdown.Markdown(
        extensions=[*EXTENSIONS, *extensions],
        extension_configs=EXTENSION_CONFIGS,
        output_format="html",
    )
    return converter.convert(text)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


def images_in(html: str) -> tuple[Image, ...]:
    """Every <img> of an HTML fragment, in order."""
    collector = _ImageCollector()
    collector.feed(html)
    collector.close()
    return tuple(collector.images)


class _ImageCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[Image] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            values = dict(attrs)
            self.images.append(Image(values.get("src") or "", (values.get("alt") or "").strip()))
