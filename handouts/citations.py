"""Stage 3, resolve: Markdown body to safe HTML with numbered citations.

Citations use the Pandoc convention, `[@key]` or `[@key1; @key2]`. Resources
are numbered in order of first use; each number is a superscript link to its
entry in the document's resource list. Resources named in the front matter
but not cited follow, numbered on. Images are checked here too: they must
exist inside the sources folder and carry alt text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from .documents import Document
from .markup import (BLOCK_MARK, BRAND_BLOCKS, FENCE, images_in, is_outward_link, links_in,
                     markdown_to_html, sanitize)
from .problems import ContentError, Problem, error
from .resources import Library, Resource

KEY = r"[A-Za-z0-9](?:[\w.:-]*[A-Za-z0-9])?"
CITATION = re.compile(rf"\[(@{KEY}(?:\s*;\s*@{KEY})*)\]")
# Any bracket with an @ that starts a word: `[see @key]` is a citation written
# wrongly, not text (an e-mail address's @ follows a letter).
BRACKET = re.compile(r"\[[^\]\n]*(?<![\w.+-])@[^\]\n]*\]")
CODE_SPAN = re.compile(r"(`+).*?\1")
MARKDOWN_IMAGE = re.compile(r"!\[(?:\\.|[^\]\\])*\]\(\s*<?(?P<src>[^)\s>]*)")


@dataclass(frozen=True)
class Citation:
    number: int
    resource: Resource
    cited: bool  # False for further reading named only in the front matter

    @property
    def anchor(self) -> str:
        return f"ref-{self.number}"


@dataclass(frozen=True)
class ResolvedDocument:
    document: Document
    body_html: str
    citations: tuple[Citation, ...]
    images: tuple[Path, ...]


def citation_keys(marker: str) -> list[str]:
    """`@a; @b` -> ['a', 'b']"""
    return [part.strip().removeprefix("@") for part in marker.split(";")]


def resolve(document: Document, library: Library) -> ResolvedDocument:
    """Number the citations of `document` and check its images."""
    problems = [*_malformed_citations(document), *_unknown_blocks(document)]
    numbering = _Numbering()
    written = markdown_to_html(document.body_md, (_CitationExtension(numbering),))
    html = sanitize(written)
    citations = _citations(document, library, numbering.order, problems)
    # Images and links are checked as written, before the sanitiser drops what it must.
    images = _images(document, written, problems)
    problems += _local_links(document, written)
    if problems:
        raise ContentError(problems)
    return ResolvedDocument(document, html, tuple(citations), tuple(images))


def _citations(document: Document, library: Library, cited_keys: list[str],
               problems: list[Problem]) -> list[Citation]:
    citations: list[Citation] = []
    further = [k for k in document.meta.resources if k not in cited_keys]
    for key in [*cited_keys, *further]:
        cited = key in cited_keys
        line = _line_of_key(document, key) if cited else document.front_matter.line("resources")
        resource = library.entries.get(key)
        if resource is None:
            problems.append(error(document.source.path, line, _missing_key_message(key, library)))
            continue
        citations.append(Citation(len(citations) + 1, resource, cited))
    return citations


def _missing_key_message(key: str, library: Library) -> str:
    name = library.path.name
    if library.blocked(key):
        return f"citation key '{key}' cannot be used until its entry in {name} is fixed"
    return f"unknown citation key '{key}' (not in {name})"


def _images(document: Document, html: str, problems: list[Problem]) -> list[Path]:
    sources_dir = document.source.path.parent.resolve()
    found: list[Path] = []
    for image, line in images_with_lines(document, html):
        path = sources_dir / unquote(urlsplit(image.src).path)
        if not image.src or urlsplit(image.src).scheme or not path.resolve().is_relative_to(sources_dir):
            problems.append(error(document.source.path, line, f"image '{image.src}' must be a file "
                                  "inside the sources folder (for example images/pill-box.svg)"))
        elif not path.is_file():
            problems.append(error(document.source.path, line, f"image '{image.src}' not found"))
        elif not image.alt:
            problems.append(error(document.source.path, line, f"image '{image.src}' has no alt text: "
                                  "describe it in the brackets, ![a locked medicine box](...)",
                                  rule="alt-text"))
        else:
            found.append(path.resolve())
    return found


def _local_links(document: Document, html: str):
    for href in links_in(html):
        if not is_outward_link(href):
            yield error(document.source.path, line_of_text(document, href),
                        f"link '{href}' cannot be followed from a handout; link to a web "
                        "address (https://...), an email (mailto:) or a phone (tel:)")


def _malformed_citations(document: Document):
    for line, text in _prose_lines(document):
        for bracket in BRACKET.finditer(text):
            if not CITATION.fullmatch(bracket.group()):
                yield error(document.source.path, line,
                            f"citation '{bracket.group()}' is not understood; write "
                            "[@key] or [@key1; @key2]")


def _unknown_blocks(document: Document):
    for line, text in _prose_lines(document):
        for mark in BLOCK_MARK.finditer(text):
            if mark[1] not in BRAND_BLOCKS:
                yield error(document.source.path, line, f"'{mark.group()}' is not something the "
                            f"brand file can print here; known: "
                            f"{', '.join(f'[[{b}]]' for b in BRAND_BLOCKS)}")
            elif text.strip() != mark.group():
                yield error(document.source.path, line, f"write {mark.group()} on a line of its "
                            "own, with a blank line before and after")


def _prose_lines(document: Document):
    """(file line, text) for body lines outside code, with code spans blanked."""
    in_fence = False
    for offset, text in enumerate(document.body_md.split("\n")):
        if FENCE.match(text):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield document.body_line + offset, CODE_SPAN.sub("", text)


def _line_of_key(document: Document, key: str) -> int | None:
    for line, text in _prose_lines(document):
        for match in CITATION.finditer(text):
            if key in citation_keys(match.group(1)):
                return line
    return None


def line_of_text(document: Document, needle: str) -> int | None:
    """The file line of the first body line holding `needle`."""
    for offset, text in enumerate(document.body_md.split("\n")):
        if needle and needle in text:
            return document.body_line + offset
    return None


def image_lines(document: Document) -> dict[str, list[int]]:
    """The file line of each `![alt](src)`, by address, in reading order: the same
    picture may appear twice, and each use is reported at its own line."""
    body = _code_blanked(document.body_md)
    lines: dict[str, list[int]] = defaultdict(list)
    for match in MARKDOWN_IMAGE.finditer(body):
        lines[match["src"]].append(document.body_line + body.count("\n", 0, match.start()))
    return lines


def images_with_lines(document: Document, html: str):
    """(image, file line) for each image of `html`, the body's HTML, in order."""
    lines, seen = image_lines(document), Counter()
    for image in images_in(html):
        uses = lines.get(image.src, [])
        line = (uses[seen[image.src]] if seen[image.src] < len(uses)
                else line_of_text(document, image.src))  # written as raw HTML
        seen[image.src] += 1
        yield image, line


def _code_blanked(body_md: str) -> str:
    """The body with code blocks and code spans blanked, lines kept where they were."""
    kept, in_fence = [], False
    for line in body_md.split("\n"):
        if FENCE.match(line):
            in_fence = not in_fence
            kept.append("")
        else:
            kept.append("" if in_fence else CODE_SPAN.sub(lambda m: " " * len(m.group()), line))
    return "\n".join(kept)


# -- the Markdown extension ---------------------------------------------------

_PENDING = "citation-pending"


class _Numbering:
    """Keys in order of first use, filled in as the converter walks the tree."""

    def __init__(self):
        self.order: list[str] = []


class _CitationPattern(InlineProcessor):
    def handleMatch(self, m, data):
        element = etree.Element("sup", {"class": _PENDING, "data-keys": " ".join(citation_keys(m.group(1)))})
        return element, m.start(0), m.end(0)


class _CitationNumberer(Treeprocessor):
    """Number citations in reading order, after inline parsing has found them all."""

    def __init__(self, md, numbering: _Numbering):
        super().__init__(md)
        self.numbering = numbering

    def run(self, root):
        for sup in root.iter("sup"):
            if sup.get("class") != _PENDING:
                continue
            keys = sup.attrib.pop("data-keys").split()
            sup.set("class", "citation")
            for key in keys:
                if key not in self.numbering.order:
                    self.numbering.order.append(key)
            # Numbered in order of first use; shown in rising order: 1,6 not 6,1.
            numbers = sorted(self.numbering.order.index(key) + 1 for key in keys)
            for index, number in enumerate(numbers):
                link = etree.SubElement(sup, "a", {"href": f"#ref-{number}", "class": "citation-link"})
                link.text = str(number)
                if index < len(numbers) - 1:
                    link.tail = ","


class _CitationExtension(Extension):
    def __init__(self, numbering: _Numbering):
        super().__init__()
        self.numbering = numbering

    def extendMarkdown(self, md):
        # Before links (160) and references (170), so [@key] is never read as a link.
        # The space before a citation goes: the superscript sits on the word.
        pattern = r"[ \t]*" + CITATION.pattern
        md.inlinePatterns.register(_CitationPattern(pattern, md), "citation", 175)
        md.treeprocessors.register(_CitationNumberer(md, self.numbering), "citation", 15)

