"""Where in a source a thing is: the file line of a citation key, an image, a piece of
text, so that every problem can be said as `path:line`."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from ..content.blocks import SafetyBlock
from ..content.documents import Document
from ..content.markup import TEXT, body_lines, images_in
from .numbering import CITATION, citation_keys

CODE_SPAN = re.compile(r"(`+).*?\1")
MARKDOWN_IMAGE = re.compile(r"!\[(?:\\.|[^\]\\])*\]\(\s*<?(?P<src>[^)\s>]*)")


def place(path: Path, line: int | None, needle: str | None, skip: int = 0) -> dict:
    """The column and width of `needle` on a file's line, for the caret under it (the
    first `skip` characters of the needle are not underlined: the @ of a key)."""
    if not line or not needle:
        return {}
    try:
        text = path.read_text("utf-8").split("\n")[line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return {}
    at = text.find(needle)
    return {"column": at + 1 + skip, "width": len(needle) - skip} if at >= 0 else {}


def on_its_own(lines: list[str], index: int, mark: str) -> bool:
    """A mark is a paragraph of its own: alone on its line, blank lines around it."""
    def blank(i: int) -> bool:
        return i < 0 or i >= len(lines) or not lines[i].strip()
    return lines[index].strip() == mark and blank(index - 1) and blank(index + 1)


def prose_lines(document: Document):
    """(file line, text) for body lines outside code, with code spans blanked."""
    for offset, text, kind in body_lines(document.body_md):
        if kind == TEXT:
            yield document.body_line + offset, CODE_SPAN.sub("", text)


def line_of_key(document: Document, key: str) -> int | None:
    for line, text in prose_lines(document):
        for match in CITATION.finditer(text):
            if key in citation_keys(match.group(1)):
                return line
    return None


def where_key_is(document: Document, key: str,
                  placed: list[SafetyBlock]) -> tuple[Path, int | None]:
    """The file and line citing `key`: the document's own, else a block it places."""
    line = line_of_key(document, key)
    if line is not None:
        return document.source.path, line
    for block in placed:
        text = block.texts[document.lang]
        for offset, written in enumerate(text.markdown.split("\n")):
            if any(key in citation_keys(m.group(1)) for m in CITATION.finditer(written)):
                return block.path, text.line + offset
    return document.source.path, None


def line_of_text(document: Document, needle: str) -> int | None:
    """The file line of the first body line holding `needle`."""
    for offset, text in enumerate(document.body_md.split("\n")):
        if needle and needle in text:
            return document.body_line + offset
    return None


def image_lines(document: Document) -> dict[str, list[int]]:
    """The file line of each `![alt](src)`, by address, in reading order: the same
    picture may appear twice, and each use is reported at its own line."""
    body = code_blanked(document.body_md)
    lines: dict[str, list[int]] = defaultdict(list)
    for match in MARKDOWN_IMAGE.finditer(body):
        lines[match["src"]].append(document.body_line + body.count("\n", 0, match.start()))
    return lines


def images_with_lines(document: Document, html: str):
    """(image, file line) for each image of `html`, the body's HTML as the sanitiser
    gave it (never as written: see markup.clean), in order."""
    lines, seen = image_lines(document), Counter[str]()
    for image in images_in(html):
        uses = lines.get(image.src, [])
        line = (uses[seen[image.src]] if seen[image.src] < len(uses)
                else line_of_src(document, image.src))  # written as raw HTML
        seen[image.src] += 1
        yield image, line


def line_of_src(document: Document, src: str) -> int | None:
    """The line of an address as written, though nh3 read a NUL in it as U+FFFD."""
    if "\ufffd" not in src:
        return line_of_text(document, src)
    written = re.compile(".{1,8}?".join(re.escape(part) for part in src.split("\ufffd")))
    for offset, text in enumerate(document.body_md.split("\n")):
        if written.search(text):
            return document.body_line + offset
    return None


def code_blanked(body_md: str) -> str:
    """The body with code blocks and code spans blanked, lines kept where they were."""
    return "\n".join(CODE_SPAN.sub(lambda m: " " * len(m.group()), line) if kind == TEXT else ""
                     for _, line, kind in body_lines(body_md))
