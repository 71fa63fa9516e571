"""Stage 5, pdf: HTML to a tagged PDF/UA-1 file, in memory.

The only module that imports WeasyPrint, and only when a PDF is actually
rendered, inside the functions that render: a process that merely receives a
PdfResult from a worker never loads it. WeasyPrint gets one fetcher, held to
what `fetcher.FileAccess` allows, for the HTML and every stylesheet. One font
configuration and one parsed copy of each stylesheet serve every document a
process renders; images are read afresh for each. An SVG picture is handed over
with its text in the brand's typeface wherever it names no font (`pictures`).
"""

from __future__ import annotations

import logging
import mimetypes
import os
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.filecache import stamp
from . import actual_text, drawn_once, pictures, tag_origins, tagging
from .fetcher import FileAccess
from .layout import DocumentHtml, colors_written_in

if TYPE_CHECKING:
    from weasyprint import Document

# WeasyPrint writes a variable face's bold (Noto Sans, Noto Sans Arabic) as a new font
# file, and fontTools stamps it with the time it was written: the same input would give
# other bytes each build. A fixed stamp (the reproducible-builds variable, which a
# packager may set) keeps the PDFs identical.
os.environ.setdefault("SOURCE_DATE_EPOCH", "946684800")  # 2000-01-01

PDF_OPTIONS = {
    "pdf_variant": "pdf/ua-1",  # tagged, with /Lang, title and alt text
    "pdf_identifier": True,  # derived from the content, so builds are reproducible
}


@dataclass(frozen=True)
class UsedFont:
    family: str  # of the font Pango actually drew with, fallback or not
    name: str  # its /BaseFont in the PDF, without the subset tag


@dataclass(frozen=True)
class PdfResult:
    data: bytes
    pages: int
    warnings: tuple[str, ...]  # what WeasyPrint complained about
    refused: tuple[str, ...]  # URLs the fetcher would not load
    fonts: tuple[UsedFont, ...]
    overflow: float = 0.0  # inches of content past the format's last page
    foot_clearance: float | None = None  # inches from the lowest text or image to a sheet's foot
    over_keep_clear: float = 0.0  # inches of text over an element marked `keep-clear`
    last_page_fill: float = 1.0  # share of the last page's text area that is used
    card_overrun: float = 0.0  # inches a wallet card's words run past its 2 in


@dataclass(frozen=True)
class LaidOut:
    """A document laid out into pages, not yet written: how many it takes can decide
    what happens next (a packet's cover, a handout fitted to its pages)."""

    document: Document  # only for the type checker: WeasyPrint is imported late
    warnings: tuple[str, ...]
    access: FileAccess  # what it may read, and was refused, until it is written
    max_pages: int | None = None

    @property
    def pages(self) -> list:
        return self.document.pages

    @property
    def last_page_fill(self) -> float:
        """The share of its last page's text area that is used."""
        return _fill(self.document.pages[-1]) if self.document.pages else 1.0


def render_pdf(page_html: DocumentHtml, access: FileAccess,
               typeface: str | None = None) -> PdfResult:
    """Render `page_html`, reading only what `access` allows, all in memory; the text of
    its SVG pictures that names no font is drawn in the family `typeface`."""
    return write_pdf(lay_out(page_html, access, typeface))


def lay_out(page_html: DocumentHtml, access: FileAccess, typeface: str | None = None) -> LaidOut:
    from weasyprint import HTML

    with _captured_warnings() as warnings:
        html = HTML(string=page_html.html, base_url=page_html.base_url,
                    url_fetcher=locked_fetcher(access, typeface))
        stylesheets = [_stylesheet(path, *stamp(path), page_html.colors)
                       for path in page_html.stylesheets]
        # A fresh image cache each time: a cache kept across builds would hide
        # an edited image and the warnings about a broken one.
        document = html.render(stylesheets=stylesheets, font_config=_font_config(),
                               cache={}, **PDF_OPTIONS)
    return LaidOut(document, tuple(warnings), access, page_html.max_pages)


def write_pdf(laid_out: LaidOut) -> PdfResult:
    """Write `laid_out` as a PDF, with what the renderer noticed of it."""
    fonts: list[UsedFont] = []
    document = laid_out.document

    def finish(doc, pdf):
        fonts.extend(_used_fonts(doc))
        tagging.finish(doc, pdf)

    tag_origins.record_origins()
    drawn_once.reuse_drawings()
    actual_text.mark_actual_text()
    with _captured_warnings() as warnings:
        data = document.write_pdf(finisher=finish, **PDF_OPTIONS)
    return PdfResult(
        data=data,
        pages=len(document.pages),
        warnings=laid_out.warnings + tuple(warnings),
        # Read now, not at layout: images (an SVG's own images too) load as pages are drawn.
        refused=tuple(laid_out.access.refused),
        fonts=tuple(sorted(set(fonts), key=lambda f: (f.family, f.name))),
        overflow=_overflow(document, laid_out.max_pages),
        # Measured on fixed-size formats only (brochure, card): a handout just flows on.
        foot_clearance=_foot_clearance(document) if laid_out.max_pages else None,
        over_keep_clear=_over_keep_clear(document) if laid_out.max_pages else 0.0,
        card_overrun=_card_overrun(document) if laid_out.max_pages else 0.0,
        last_page_fill=_fill(document.pages[-1]) if document.pages else 1.0,
    )


def locked_fetcher(access: FileAccess, typeface: str | None = None):
    """A WeasyPrint URL fetcher that reads only what `access` allows, and serves SVG
    pictures with their unnamed and generic fonts set to the family `typeface`."""
    return _locked_fetcher_class()(access, typeface)


@lru_cache(maxsize=1)
def _locked_fetcher_class():
    # WeasyPrint takes a subclass of its own fetcher; it is made on first use so
    # that importing this module does not import WeasyPrint.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):
        def __init__(self, access: FileAccess, typeface: str | None):
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.access = access
            self.typeface = typeface

        def fetch(self, url, headers=None):
            path = self.access.check(url)  # raises FetchRefused
            if path is None:
                return super().fetch(url)  # a data: URL the layout made
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            data = path.read_bytes()
            if content_type == pictures.SVG_TYPE and self.typeface:
                # WeasyPrint draws SVG text that names no font in the system's sans-serif.
                data = pictures.in_typeface(data, self.typeface)
            return URLFetcherResponse(url, data, {"Content-Type": content_type})

    return LockedFetcher


def _used_fonts(document) -> list[UsedFont]:
    # font.name is the subset's /BaseFont: /ABCDEF+PostScriptName
    return [UsedFont(font.family, font.name.decode().lstrip("/").split("+", 1)[-1])
            for font in document.fonts.values()]


# Objects made before the garbage collector looks at the youngest again. Python's 700
# is for small programs: a render makes hundreds of thousands, most of them kept until
# the document is written, and each look walks every young object still alive.
YOUNGEST_COLLECTED_EVERY = 2000


def warm() -> None:
    """Set up what every render shares, before the first one needs it, in a process
    that renders document after document (a worker, the preview)."""
    _font_config()
    keep_out_of_collection()


def keep_out_of_collection() -> None:
    """Take what this process holds now (WeasyPrint, its fonts, the pipeline's code)
    out of the garbage collector's rounds, which would otherwise walk it again and
    again, and let young objects pile up longer between rounds. It all lives as long
    as the process. Measured on a warm two-page handout: 43 ms of collection a render,
    8 ms after (gc.callbacks; bench/RESULTS.md has the build's figures)."""
    import gc

    gc.collect()  # nothing that is already garbage is kept for good
    gc.freeze()
    gc.set_threshold(YOUNGEST_COLLECTED_EVERY, *gc.get_threshold()[1:])


@lru_cache(maxsize=64)
def _stylesheet(path: Path, mtime_ns: int, size: int, colors: tuple[tuple[str, str], ...]):
    """Each stylesheet parsed once a process for a brand's `colors`, and again only
    when it changes on disk."""
    from weasyprint import CSS

    fetcher = locked_fetcher(FileAccess(folders=(path.parent,)))
    return CSS(string=colors_written_in(path.read_text("utf-8"), colors),
               base_url=path.as_uri(), url_fetcher=fetcher, font_config=_font_config())


def _overflow(document, max_pages: int | None) -> float:
    """How much content, in inches of column, ran onto pages past `max_pages`."""
    if max_pages is None or len(document.pages) <= max_pages:
        return 0.0
    return sum(_flow_height(page._page_box) for page in document.pages[max_pages:]) / 96


def _foot_clearance(document) -> float:
    """The least room, in inches, between a line of text or an image and the foot of
    its page: a brochure panel that is too full spills towards the edge, not onto a
    new page, so this is how the build finds it."""
    least = min((page._page_box.margin_height() - box.position_y - box.margin_height()
                 for page in document.pages for box in _drawn_boxes(page._page_box)),
                default=float("inf"))
    return round(least / 96, 3)


def _fill(page) -> float:
    """How much of a page's text area, top to bottom, its text and images use: a
    handout that ends on a page a tenth used wastes a sheet of paper."""
    box = page._page_box
    top, height = box.content_box_y(), box.height
    bottom = max((b.position_y + b.margin_height() for b in _drawn_boxes(box, skip_margins=True)),
                 default=top)
    return round(min(max((bottom - top) / height, 0.0), 1.0), 3) if height else 1.0


def _over_keep_clear(document) -> float:
    """How far, in inches, text runs over a picture the layout marks `keep-clear`
    (the brochure's cover graphic): a cover whose words are too long for it."""
    deepest = 0.0
    for page in document.pages:
        areas = [(box.position_x, box.position_y, box.position_x + box.margin_width(),
                  box.position_y + box.margin_height())
                 for box in _all_boxes(page._page_box)
                 if "keep-clear" in ((box.element.get("class") or "").split()
                                     if box.element is not None else ())]
        for line in _drawn_boxes(page._page_box) if areas else ():
            left, top = line.position_x, line.position_y
            right, bottom = left + line.margin_width(), top + line.margin_height()
            for a_left, a_top, a_right, a_bottom in areas:
                if left < a_right and right > a_left and top < a_bottom and bottom > a_top:
                    deepest = max(deepest, bottom - a_top)
    return round(deepest / 96, 2)


CARD_HEIGHT = 2 * 96  # a wallet card is 2 in tall, in CSS pixels


def _card_overrun(document) -> float:
    """How far, in inches, the words or pictures of any wallet card reach past the
    card's 2 in: on a sheet of ten they would be printed over the next card, or cut
    off with the card, and the overdose steps with them."""
    deepest = 0.0
    for page in document.pages:
        for card in _all_boxes(page._page_box):
            if card.element is None or "card" not in (card.element.get("class") or "").split():
                continue
            bottom = max((box.position_y + box.margin_height() for box in _drawn_boxes(card)),
                         default=card.position_y)
            deepest = max(deepest, bottom - (card.position_y + CARD_HEIGHT))
    return round(deepest / 96, 2)


def _all_boxes(page_box, skip_margins: bool = False):
    """Every box of a page; with `skip_margins`, not those of the running footer."""
    from weasyprint.formatting_structure import boxes

    stack = [child for child in page_box.children
             if not (skip_margins and isinstance(child, boxes.MarginBox))]
    while stack:
        box = stack.pop()
        yield box
        if isinstance(box, boxes.ParentBox):
            stack.extend(box.children)


def _drawn_boxes(page_box, skip_margins: bool = False):
    """The lines of text and the images of a page."""
    from weasyprint.formatting_structure import boxes

    return (box for box in _all_boxes(page_box, skip_margins)
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)))


def _flow_height(page_box) -> float:
    """The height of the text and images on a page, in CSS pixels, adding up the
    page's thirds (the columns of a tri-fold) when more than one is used."""
    third = page_box.margin_width() / 3
    columns: dict[int, list[float]] = {}
    for box in _drawn_boxes(page_box):
        top, bottom = box.position_y, box.position_y + box.margin_height()
        column = columns.setdefault(int(box.position_x // third), [top, bottom])
        column[0], column[1] = min(column[0], top), max(column[1], bottom)
    return sum(bottom - top for top, bottom in columns.values())


@lru_cache(maxsize=1)
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@contextmanager
def _captured_warnings():
    """Collect WeasyPrint's warnings for the build to report, instead of printing them."""
    logger = logging.getLogger("weasyprint")
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
