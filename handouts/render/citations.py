"""Stage 3, resolve: Markdown body to safe HTML with numbered citations.

Citations use the Pandoc convention, `[@key]` or `[@key1; @key2]`. Resources
are numbered in order of first use; each number is a superscript link to its
entry in the document's resource list. Resources named in the front matter
but not cited follow, numbered on. Images are checked here too: they must
exist inside the sources folder and carry alt text.

The safety blocks a document places (`[[overdose]]`, see `blocks`) are parsed
here, in their place and in the document's language, so that their citations
are numbered with the document's own and their pictures checked with its.
"""

from __future__ import annotations

import difflib
import re
import xml.etree.ElementTree as etree
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from ..content.blocks import NO_BLOCKS, Blocks, SafetyBlock
from ..content.documents import DocMeta, Document
from ..content.markup import (
    BLOCK_MARK,
    BRAND_BLOCKS,
    MAX_COLUMNS,
    MAX_DEPTH,
    MAX_IMAGES,
    MAX_SPAN,
    TEXT,
    UNPRINTABLE,
    Cleaned,
    Image,
    Refusal,
    Shape,
    body_lines,
    clean,
    images_in,
    is_body_class,
    is_local_file,
    markdown_to_html,
    sanitize,
    shape_of,
)
from ..content.resources import Library, Resource
from ..problems import ContentError, Problem, error
from .images import oversize

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
    blocks: tuple[SafetyBlock, ...] = ()  # the safety blocks it places, in order

    @property
    def meta(self) -> DocMeta:
        """The front matter as it prints: a document that places a draft safety block
        is itself a draft, watermark and all, however its own review reads."""
        meta = self.document.meta
        if meta.review.is_draft or not any(b.review.is_draft for b in self.blocks):
            return meta
        return replace(meta, review=replace(meta.review, status="draft"))

    @property
    def card_back(self) -> str | None:
        """The wallet card's back for this document: the short form of the first block
        it places that has one (the crisis lines print there otherwise)."""
        found = self._card_block()
        return sanitize(markdown_to_html(found[1].card)) if found else None

    @property
    def card_text_at(self) -> tuple[Path, int | None] | None:
        """Where the card's text is written (a block's `card:` line)."""
        found = self._card_block()
        return (found[0].path, found[1].card_line) if found else None

    def _card_block(self):
        lang = self.document.lang
        for block in self.blocks:
            text = block.texts.get(lang)
            if text and text.card:
                return block, text
        return None


def citation_keys(marker: str) -> list[str]:
    """`@a; @b` -> ['a', 'b']"""
    return [part.strip().removeprefix("@") for part in marker.split(";")]


def resolve(document: Document, library: Library, blocks: Blocks = NO_BLOCKS,
            images_root: Path | None = None) -> ResolvedDocument:
    """Place the safety blocks of `document`, number its citations and check its images,
    which are relative to `images_root` (the document's own folder, unless given)."""
    problems = [*_malformed_citations(document), *_unknown_blocks(document, blocks)]
    numbering = _Numbering()
    placed = _Placed(blocks, document.lang)
    try:
        written = markdown_to_html(document.body_md, (_CitationExtension(numbering),
                                                      _SafetyBlockExtension(placed)))
    except RecursionError:  # Python-Markdown reads nested quotes and lists by recursion
        raise ContentError([_too_deep(document)]) from None
    # Parsed once, by the sanitiser: images and links are checked in what it gives the
    # renderer, and what it took out is named, so no other parser's reading counts.
    cleaned = clean(written)
    too_big = _too_big(document, shape_of(cleaned.html))
    if too_big:
        raise ContentError([too_big])
    citations = _citations(document, library, numbering.order, placed.blocks, problems)
    images = _images(document, cleaned, problems, images_root or document.source.path.parent)
    problems += _local_links(document, cleaned)
    card_problems, card_images = _card_text(document, placed.blocks,
                                            images_root or document.source.path.parent)
    problems += card_problems
    images += card_images
    if problems:
        raise ContentError(problems)
    once = {block.name: block for block in placed.blocks}  # each block, where first placed
    return ResolvedDocument(document, cleaned.html, tuple(citations), tuple(images),
                            tuple(once.values()))


def _card_text(document: Document, placed: list[SafetyBlock],
               root: Path) -> tuple[list[Problem], list[Path]]:
    """The wallet card's text of the blocks `document` places, checked as a body is: it
    prints on the card's back, where no resource list follows (so no citations), and a
    link or picture it holds must be one a page can print."""
    problems: list[Problem] = []
    images: list[Path] = []
    seen = set()
    for block in placed:
        text = block.texts.get(document.lang)
        if block.name in seen or not text or not text.card:
            continue
        seen.add(block.name)
        line = text.card_line
        if CITATION.search(text.card):
            problems.append(error(block.path, line, "card: a wallet card has no resource list, "
                                  "so its text cites nothing: take out the [@...]"))
        cleaned = clean(markdown_to_html(text.card))
        for refusal in cleaned.refused:
            shown = _short(printable(refusal.value), 60)
            problems.append(error(block.path, line, f"card: '{shown}' cannot be printed on a "
                                  "card (a link goes to a web address, an email or a phone; a "
                                  "picture is a file in the sources folder)"))
        for image in images_in(cleaned.html):
            problem = _image_problem(image, image.src, root.resolve())
            if problem:
                problems.append(error(block.path, line, f"card: {problem}"))
            else:
                images.append((root.resolve() / unquote(urlsplit(image.src).path)).resolve())
        shape = shape_of(cleaned.html)
        if shape.depth > MAX_DEPTH or shape.columns > 4 or shape.images > 2:
            problems.append(error(block.path, line, "card: too much for a wallet card (tables, "
                                  "many pictures or deep lists): keep it to a few lines"))
    return problems, images


def _too_big(document: Document, shape: Shape) -> Problem | None:
    """A body past what a page can lay out in good time: one line, where it is."""
    if shape.depth > MAX_DEPTH:
        return _too_deep(document)
    lines = document.body_md.split("\n")
    if shape.columns > MAX_COLUMNS:
        widest = max(range(len(lines)), key=lambda n: lines[n].count("|") + lines[n].count("<t"))
        return error(document.source.path, document.body_line + widest,
                     f"a table row of {shape.columns:,} cells: a page holds at most "
                     f"{MAX_COLUMNS} columns; split the table")
    if shape.images > MAX_IMAGES:
        return error(document.source.path, None, f"{shape.images:,} pictures: a handout may "
                     f"have at most {MAX_IMAGES}; split it into shorter handouts")
    return None


def _too_deep(document: Document) -> Problem:
    """Nesting past what the renderer can lay out, pointed at the line that opens the
    most levels (quote marks, indentation, tags)."""
    lines = document.body_md.split("\n")

    def levels(text: str) -> int:
        opening = len(text) - len(text.lstrip(" \t>"))
        return opening + text.count("<")

    deepest = max(range(len(lines)), key=lambda n: levels(lines[n]), default=0)
    return error(document.source.path, document.body_line + deepest,
                 f"lists, quotes or HTML elements are nested more than {MAX_DEPTH} levels "
                 "deep here, more than a page can lay out: flatten them")


def _citations(document: Document, library: Library, cited_keys: list[str],
               placed: list[SafetyBlock], problems: list[Problem]) -> list[Citation]:
    citations: list[Citation] = []
    further = [k for k in document.meta.resources if k not in cited_keys]
    for key in [*cited_keys, *further]:
        cited = key in cited_keys
        resource = library.entries.get(key)
        if resource is None:
            path, line = (_where_key_is(document, key, placed) if cited
                          else (document.source.path, document.front_matter.line("resources")))
            problems.append(error(path, line, _missing_key_message(key, library),
                                  **place(path, line, f"@{key}", 1),
                                  hint=_nearest_key(key, library)))
            continue
        citations.append(Citation(len(citations) + 1, resource, cited))
    return citations


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


def _nearest_key(key: str, library: Library) -> str | None:
    close = difflib.get_close_matches(key, list(library.entries), n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else None


def _missing_key_message(key: str, library: Library) -> str:
    name = library.path.name
    if library.blocked(key):
        return f"citation key '{key}' cannot be used until its entry in {name} is fixed"
    return f"unknown citation key '{key}' (not in {name})"


def _images(document: Document, cleaned: Cleaned, problems: list[Problem],
            root: Path) -> list[Path]:
    """Check every image the renderer will be given: those of the sanitiser's output
    (see markup.clean), never of the HTML as written, which another parser would read
    otherwise. Each must be a file inside the sources folder, with alt text, within
    the picture budget (see `images`); an address the sanitiser took out is named."""
    sources_dir = root.resolve()
    # The sanitiser leaves an image whose address it took out without one, in order.
    taken_out = iter([r.value for r in cleaned.refused if r.tag == "img"])
    found: list[Path] = []
    for image, line in images_with_lines(document, cleaned.html):
        src = image.src or next(taken_out, "")
        if not image.src and src:
            line = _line_of_src(document, src) or line
        problem = _image_problem(image, src, sources_dir)
        if problem:
            problems.append(error(document.source.path, line, problem,
                                  rule="alt-text" if problem.endswith(NO_ALT) else None,
                                  **place(document.source.path, line, src)))
        else:
            found.append((sources_dir / unquote(urlsplit(src).path)).resolve())
    return found


NO_ALT = "describe it in the brackets, ![a locked medicine box](...)"


def _image_problem(image: Image, src: str, sources_dir: Path) -> str | None:
    """Why the image at `src` cannot be printed, or None."""
    shown = printable(src)
    if not src:
        return "an image needs a file: write ![what it shows](images/pill-box.svg)"
    if UNPRINTABLE.search(unquote(src)):
        return f"image '{shown}' has a character no file name has (a NUL or a control character)"
    path = sources_dir / unquote(urlsplit(src).path)
    if not is_local_file(src) or not path.resolve().is_relative_to(sources_dir):
        return (f"image '{shown}' must be a file inside the sources folder "
                "(for example images/pill-box.svg)")
    if not path.is_file():
        return f"image '{shown}' not found"
    if not image.alt:
        return f"image '{shown}' has no alt text: {NO_ALT}"
    reason = oversize(path.resolve(), sources_dir)
    return f"image '{shown}' {reason}" if reason else None


def printable(value: str) -> str:
    """A value from a source as a terminal may show it: control characters escaped."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m[0]):02x}", value)


def _local_links(document: Document, cleaned: Cleaned):
    """What the sanitiser took out or cut down, besides images' addresses (`_images`
    names those): links a printed page cannot follow, and table cells spanning more
    than a page holds."""
    for refusal in cleaned.refused:
        shown = printable(refusal.value)
        if refusal.attribute == "href":
            line = line_of_text(document, refusal.value)
            yield error(document.source.path, line,
                        f"link '{shown}' cannot be followed from a handout; link to a web "
                        "address (https://...), an email (mailto:) or a phone (tel:)",
                        **place(document.source.path, line, refusal.value))
        elif refusal.attribute == "class":
            names = [n for n in refusal.value.split() if not is_body_class(n)] or [""]
            line = _line_of_attribute(document, refusal) or line_of_text(document, names[0])
            yield error(document.source.path, line,
                        f"class '{_short(printable(' '.join(names)), 40)}' belongs to the "
                        "layout, not to a source; a body may use 'beside' (a picture beside "
                        "the text) and the callouts (!!! note, tip, warning, danger)",
                        **place(document.source.path, line, names[0] or None))
        elif refusal.attribute in ("colspan", "rowspan"):
            line = _line_of_attribute(document, refusal)
            yield error(document.source.path, line,
                        f"{refusal.attribute}=\"{_short(shown)}\" is not a number of "
                        f"{'columns' if refusal.attribute == 'colspan' else 'rows'} from 1 to "
                        f"{MAX_SPAN}, as a table cell on a page may span",
                        **place(document.source.path, line, refusal.attribute))


def _short(value: str, most: int = 20) -> str:
    return value if len(value) <= most else value[:most - 1] + "…"


def _line_of_attribute(document: Document, refusal: Refusal) -> int | None:
    """The line where an attribute was written with the value refused."""
    written = re.compile(rf"{refusal.attribute}\s*=\s*[\"']?{re.escape(refusal.value[:20])}",
                         re.IGNORECASE)
    for offset, text in enumerate(document.body_md.split("\n")):
        if written.search(text):
            return document.body_line + offset
    return line_of_text(document, refusal.value)


def _malformed_citations(document: Document):
    for line, text in _prose_lines(document):
        for bracket in BRACKET.finditer(text):
            if not CITATION.fullmatch(bracket.group()):
                yield error(document.source.path, line,
                            f"citation '{bracket.group()}' is not understood; write "
                            "[@key] or [@key1; @key2]",
                            **place(document.source.path, line, bracket.group()))


def _unknown_blocks(document: Document, blocks: Blocks):
    path, lang = document.source.path, document.lang
    lines = document.body_md.split("\n")
    for line, text in _prose_lines(document):
        for mark in BLOCK_MARK.finditer(text):
            name, block = mark[1], blocks.get(mark[1])
            if name not in BRAND_BLOCKS and name not in blocks.names:
                known = [*BRAND_BLOCKS, *blocks.names]
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
                yield error(path, line, f"'{mark.group()}' is not a block this project has; "
                            f"known: {', '.join(f'[[{b}]]' for b in known)}",
                            **place(path, line, mark.group()),
                            hint=f"did you mean [[{close[0]}]]?" if close else None)
            elif not _on_its_own(lines, line - document.body_line, mark.group()):
                yield error(path, line, f"write {mark.group()} on a line of its own, with a "
                            "blank line before and after")
            elif block is None and name not in BRAND_BLOCKS:
                yield error(path, line, f"the {mark.group()} block cannot be used until "
                            f"{name}.yml in the blocks folder is fixed")
            elif block is not None and lang not in block.texts:
                yield error(path, line, f"the {mark.group()} block has no '{lang}' text yet: "
                            f"add '{lang}: text: |' to {block.path.name} (never print another "
                            "language's safety advice)")


def _on_its_own(lines: list[str], index: int, mark: str) -> bool:
    """A mark is a paragraph of its own: alone on its line, blank lines around it."""
    def blank(i: int) -> bool:
        return i < 0 or i >= len(lines) or not lines[i].strip()
    return lines[index].strip() == mark and blank(index - 1) and blank(index + 1)


def _prose_lines(document: Document):
    """(file line, text) for body lines outside code, with code spans blanked."""
    for offset, text, kind in body_lines(document.body_md):
        if kind == TEXT:
            yield document.body_line + offset, CODE_SPAN.sub("", text)


def _line_of_key(document: Document, key: str) -> int | None:
    for line, text in _prose_lines(document):
        for match in CITATION.finditer(text):
            if key in citation_keys(match.group(1)):
                return line
    return None


def _where_key_is(document: Document, key: str,
                  placed: list[SafetyBlock]) -> tuple[Path, int | None]:
    """The file and line citing `key`: the document's own, else a block it places."""
    line = _line_of_key(document, key)
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
    body = _code_blanked(document.body_md)
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
                else _line_of_src(document, image.src))  # written as raw HTML
        seen[image.src] += 1
        yield image, line


def _line_of_src(document: Document, src: str) -> int | None:
    """The line of an address as written, though nh3 read a NUL in it as U+FFFD."""
    if "\ufffd" not in src:
        return line_of_text(document, src)
    written = re.compile(".{1,8}?".join(re.escape(part) for part in src.split("\ufffd")))
    for offset, text in enumerate(document.body_md.split("\n")):
        if written.search(text):
            return document.body_line + offset
    return None


def _code_blanked(body_md: str) -> str:
    """The body with code blocks and code spans blanked, lines kept where they were."""
    return "\n".join(CODE_SPAN.sub(lambda m: " " * len(m.group()), line) if kind == TEXT else ""
                     for _, line, kind in body_lines(body_md))


# -- the Markdown extension ---------------------------------------------------

_PENDING = "citation-pending"


class _Numbering:
    """Keys in order of first use, filled in as the converter walks the tree."""

    def __init__(self):
        self.order: list[str] = []


class _CitationPattern(InlineProcessor):
    def handleMatch(self, m, data):
        keys = " ".join(citation_keys(m.group(1)))
        element = etree.Element("sup", {"class": _PENDING, "data-keys": keys})
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
                link = etree.SubElement(sup, "a", {"href": f"#ref-{number}",
                                                   "class": "citation-link"})
                link.text = str(number)
                if index < len(numbers) - 1:
                    link.tail = ","


class _Placed:
    """The safety blocks a document may place, and those it did, in order."""

    def __init__(self, blocks: Blocks, lang: str):
        self.available, self.lang = blocks, lang
        self.blocks: list[SafetyBlock] = []


class _SafetyBlockProcessor(BlockProcessor):
    """A paragraph of just `[[overdose]]`: the block's Markdown, parsed in its place,
    so that its citations are numbered with the document's own. A block never places
    another (nor itself)."""

    def __init__(self, parser, placed: _Placed):
        super().__init__(parser)
        self.placed = placed
        self.inside = False

    def _block(self, chunk: str) -> SafetyBlock | None:
        mark = BLOCK_MARK.fullmatch(chunk.strip())
        block = self.placed.available.get(mark[1]) if mark and not self.inside else None
        return block if block is not None and self.placed.lang in block.texts else None

    def test(self, parent, block) -> bool:
        return self._block(block) is not None

    def run(self, parent, blocks) -> None:
        block = self._block(blocks.pop(0))
        assert block is not None  # test() said this chunk places one
        self.placed.blocks.append(block)
        div = etree.SubElement(parent, "div", {"class": f"safety-block safety-{block.name}"})
        self.inside = True
        try:
            self.parser.parseChunk(div, block.texts[self.placed.lang].markdown)
        finally:
            self.inside = False
        _group_parts(div)


def _group_parts(div: etree.Element) -> None:
    """Each `###` part of a block (a heading and what follows it) in a box of its own,
    and the parts together in one: the layout keeps the signs of an overdose and its
    steps together on one page of a handout, and lets them break in large print."""
    children = list(div)
    first = next((i for i, child in enumerate(children) if child.tag == "h3"), None)
    if first is None:
        return
    for child in children[first:]:
        div.remove(child)
    parts = etree.SubElement(div, "div", {"class": "block-parts"})
    for child in children[first:]:
        if child.tag == "h3":
            part = etree.SubElement(parts, "div", {"class": "block-part"})
        part.append(child)


class _SafetyBlockExtension(Extension):
    def __init__(self, placed: _Placed):
        super().__init__()
        self.placed = placed

    def extendMarkdown(self, md):
        # Before paragraphs and lists, after the blank-line and code-block processors.
        md.parser.blockprocessors.register(_SafetyBlockProcessor(md.parser, self.placed),
                                           "safety-block", 95)


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

