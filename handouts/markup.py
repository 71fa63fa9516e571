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
from urllib.parse import urlsplit

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
        attribute_filter=_only_outward_links,
    )


def is_outward_link(href: str) -> bool:
    """A web, mail or phone address, or a place in the same document. A relative
    address would become a link to a file on the build machine in the PDF."""
    return href.startswith("#") or urlsplit(href).scheme.lower() in URL_SCHEMES


def _only_outward_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href" and not is_outward_link(value):
        return None
    return value


@dataclass(frozen=True)
class Image:
    src: str
    alt: str


def images_in(html: str) -> tuple[Image, ...]:
    """Every <img> of an HTML fragment, in order."""
    return tuple(_collected(html).images)


def links_in(html: str) -> tuple[str, ...]:
    """The address of every <a href> of an HTML fragment, in order."""
    return tuple(_collected(html).links)


def _collected(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[Image] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "img":
            self.images.append(Image(values.get("src") or "", (values.get("alt") or "").strip()))
        elif tag == "a" and values.get("href") is not None:
            self.links.append(values["href"])
