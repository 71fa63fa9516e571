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
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..content.blocks import NO_BLOCKS, Blocks, SafetyBlock
from ..content.documents import DocMeta, Document
from ..content.markup import (
    BLOCK_MARK,
    BRAND_BLOCKS,
    MAX_COLUMNS,
    MAX_DEPTH,
    MAX_IMAGES,
    MAX_SPAN,
    UNPRINTABLE,
    Cleaned,
    Image,
    Refusal,
    Shape,
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
from .numbering import (
    CITATION,
    CitationExtension,
    Numbering,
    Placed,
    SafetyBlockExtension,
)
from .source_lines import (
    images_with_lines,
    line_of_src,
    line_of_text,
    on_its_own,
    place,
    prose_lines,
    where_key_is,
)

# Any bracket with an @ that starts a word: `[see @key]` is a citation written
# wrongly, not text (an e-mail address's @ follows a letter).
BRACKET = re.compile(r"\[[^\]\n]*(?<![\w.+-])@[^\]\n]*\]")


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


def resolve(document: Document, library: Library, blocks: Blocks = NO_BLOCKS,
            images_root: Path | None = None) -> ResolvedDocument:
    """Place the safety blocks of `document`, number its citations and check its images,
    which are relative to `images_root` (the document's own folder, unless given)."""
    problems = [*_malformed_citations(document), *_unknown_blocks(document, blocks)]
    numbering = Numbering()
    placed = Placed(blocks, document.lang)
    try:
        written = markdown_to_html(document.body_md, (CitationExtension(numbering),
                                                      SafetyBlockExtension(placed)))
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
            path, line = (where_key_is(document, key, placed) if cited
                          else (document.source.path, document.front_matter.line("resources")))
            problems.append(error(path, line, _missing_key_message(key, library),
                                  **place(path, line, f"@{key}", 1),
                                  hint=_nearest_key(key, library)))
            continue
        citations.append(Citation(len(citations) + 1, resource, cited))
    return citations


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
            line = line_of_src(document, src) or line
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
    for line, text in prose_lines(document):
        for bracket in BRACKET.finditer(text):
            if not CITATION.fullmatch(bracket.group()):
                yield error(document.source.path, line,
                            f"citation '{bracket.group()}' is not understood; write "
                            "[@key] or [@key1; @key2]",
                            **place(document.source.path, line, bracket.group()))


def _unknown_blocks(document: Document, blocks: Blocks):
    path, lang = document.source.path, document.lang
    lines = document.body_md.split("\n")
    for line, text in prose_lines(document):
        for mark in BLOCK_MARK.finditer(text):
            name, block = mark[1], blocks.get(mark[1])
            if name not in BRAND_BLOCKS and name not in blocks.names:
                known = [*BRAND_BLOCKS, *blocks.names]
                close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
                yield error(path, line, f"'{mark.group()}' is not a block this project has; "
                            f"known: {', '.join(f'[[{b}]]' for b in known)}",
                            **place(path, line, mark.group()),
                            hint=f"did you mean [[{close[0]}]]?" if close else None)
            elif not on_its_own(lines, line - document.body_line, mark.group()):
                yield error(path, line, f"write {mark.group()} on a line of its own, with a "
                            "blank line before and after")
            elif block is None and name not in BRAND_BLOCKS:
                yield error(path, line, f"the {mark.group()} block cannot be used until "
                            f"{name}.yml in the blocks folder is fixed")
            elif block is not None and lang not in block.texts:
                yield error(path, line, f"the {mark.group()} block has no '{lang}' text yet: "
                            f"add '{lang}: text: |' to {block.path.name} (never print another "
                            "language's safety advice)")


