"""One document through its stages, in each of its formats: read and resolved, laid
out, rendered, fitted to its last page, and judged.

A document that flows onto a last page mostly blank is laid out again with a
little more or less space (`render_fitted`); every result is judged
(`judge`): overflow, a picture that failed, a font that fell back, a card
whose words run past it. The build runs this for each stale document in a
worker (library/jobs.py); a packet, for each document it holds.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..content.blocks import Blocks, load_blocks
from ..content.brand import Brand
from ..content.documents import DocMeta, Document, Review, parse
from ..content.filecache import file_digest
from ..content.formats import Format
from ..content.resources import Library, load_library
from ..content.sources import SourceFile, slug_of
from ..content.yamltext import YamlText
from ..problems import ContentError, Problem, error, warning
from ..project import BRAND_CARD
from .citations import ResolvedDocument, resolve
from .fetcher import FileAccess
from .layout import Fit, layout

if TYPE_CHECKING:
    from .pdf import LaidOut, PdfResult


@dataclass(frozen=True)
class Documents:
    """Sources read, parsed and resolved, ready to lay out."""

    resolved: tuple[ResolvedDocument, ...]
    library: Library
    problems: tuple[Problem, ...]
    failed: tuple[str, ...]  # source file names that could not be used
    blocks: Blocks | None = None


def read_documents(sources: list[SourceFile], resources: Path) -> Documents:
    """Parse and resolve `sources` against the resource library at `resources` and
    the safety blocks beside it."""
    loaded = load_library(resources)
    placed = load_blocks(resources.parent / "blocks")
    problems, failed = [*loaded.problems, *placed.problems], []
    resolved: list[ResolvedDocument] = []
    for source in sources:
        try:
            resolved.append(resolve(parse(source), loaded.library, placed.blocks))
        except ContentError as exc:
            problems.extend(exc.problems)
            failed.append(source.path.name)
    return Documents(tuple(resolved), loaded.library, tuple(problems), tuple(failed), placed.blocks)


# A document that flows on over pages should not end on a page mostly blank: at
# least 40% used, as its glyphs show. Lines are measured here by their boxes,
# which reach a little below the glyphs, so the build asks for a little more.
LAST_PAGE_FILL = 0.42


# The layouts tried, in order: tighter spacing, which may pull a short last page
# back onto the one before (tried only when the last page holds little enough:
# tighter spacing gains about TIGHT_REACH of a page for every page before it);
# the resource list on a page of its own, which a long list fills; then looser
# spacing, which fills the last page further, in steps because a box kept whole
# moves a whole step at a time.
TIGHTER = Fit(-0.09)


TIGHT_REACH = 0.18


APART = Fit(resources_apart=True)


LOOSER = tuple(Fit(spacing) for spacing in (0.03, 0.06, 0.10))


def fits_to_try(pages: int, last_page_fill: float) -> tuple[Fit, ...]:
    """The re-layouts worth trying after a first layout of `pages`, in order."""
    tighter = last_page_fill <= TIGHT_REACH * (pages - 1)
    return ((TIGHTER,) if tighter else ()) + (APART, *LOOSER)


def render_fitted(resolved: ResolvedDocument, fmt: Format, brand: Brand, project,
                  print_shop: bool) -> tuple[Fit | None, PdfResult]:
    """`resolved` in `fmt`, and the re-layout it took, if any (see `fitted`)."""
    from .pdf import PdfResult, write_pdf

    ahead = AHEAD.get()
    guess = ahead.guess(resolved, fmt, brand, project, print_shop) if ahead else None
    fit, result = fitted(resolved, fmt, brand, project, print_shop, guess)
    if ahead:
        ahead.took(resolved, fmt, fit)
    written = result if isinstance(result, PdfResult) else write_pdf(result)
    if ahead:
        ahead.wrote(written)
    return fit, written


class Guess(Protocol):
    """A layout with `fit`, made while this process makes the first (preview/ahead.py)."""

    @property
    def fit(self) -> Fit: ...

    def result(self) -> PdfResult | None: ...


class Ahead(Protocol):
    def guess(self, resolved: ResolvedDocument, fmt: Format, brand: Brand, project,
              print_shop: bool) -> Guess | None: ...

    def took(self, resolved: ResolvedDocument, fmt: Format, fit: Fit | None) -> None: ...

    def wrote(self, result: PdfResult) -> None: ...


# Another process that lays a document out again, as it was last fitted, while this
# one lays it out as it is: the live preview has a core to spare, and a writer's
# document laid out twice on every save. It is told of each PDF as soon as it is
# written, before the build stores it, to draw its pages meanwhile. Set only in the
# preview's rendering thread.
AHEAD: ContextVar[Ahead | None] = ContextVar("laid_out_ahead", default=None)


def fitted(resolved: ResolvedDocument, fmt: Format, brand: Brand, project, print_shop: bool,
           guess: Guess | None = None) -> tuple[Fit | None, LaidOut | PdfResult]:
    """`resolved` laid out in `fmt`, and the re-layout it took, if any. If it flows onto a
    last page less than LAST_PAGE_FILL used, it is laid out again (`fits_to_try`) until
    one is not, and the best kept: fewest pages with a last page well used, else the
    fullest last page. Every text size stays as it is; only the space between lines and
    blocks changes, or where a page breaks. Most documents are laid out once; the
    layouts tried and not kept are never written, which costs as much again.

    A `guess` made elsewhere stands in for its own fit's turn, already written: the
    layout kept is the same, whichever process made it."""
    first: tuple[Fit | None, LaidOut | PdfResult] = (
        None, laid_out_with(resolved, fmt, brand, project, print_shop, None))
    if fmt.max_pages or not _wastes(first[1]):
        return first
    tried = [first]
    for fit in fits_to_try(*_shape(first[1])):
        made = guess.result() if guess is not None and guess.fit == fit else None
        tried.append((fit, made or laid_out_with(resolved, fmt, brand, project, print_shop, fit)))
        # Tighter spacing is kept only if it saves a page; the others, once they fill one.
        result = tried[-1][1]
        if not _wastes(result) and (fit.spacing >= 0 or _shape(result)[0] < _shape(first[1])[0]):
            break
    return min(tried, key=lambda t: (_wastes(t[1]), _shape(t[1])[0], -_shape(t[1])[1]))


def laid_out_with(resolved: ResolvedDocument, fmt: Format, brand: Brand, project,
                  print_shop: bool, fit: Fit | None) -> LaidOut:
    from .pdf import lay_out  # imports WeasyPrint: only where PDFs are rendered

    brand = brand.in_language(resolved.document.lang)  # its texts and its typeface
    html = layout(resolved, fmt, brand, project.layouts, print_shop=print_shop,
                  extra={"fit": fit})
    access = FileAccess((project.sources, project.templates, project.styles,
                         brand.typeface.folder), brand.files)
    return lay_out(html, access, brand.typeface.family)


def _shape(result: LaidOut | PdfResult) -> tuple[int, float]:
    """Its pages and how full its last page is, laid out or written."""
    pages = result.pages
    return (pages if isinstance(pages, int) else len(pages)), result.last_page_fill


def _wastes(result: LaidOut | PdfResult) -> bool:
    return wastes_paper(*_shape(result))


def wastes_paper(pages: int, last_page_fill: float) -> bool:
    return pages > 1 and last_page_fill < LAST_PAGE_FILL


def brand_card(brand: Brand) -> ResolvedDocument:
    """A document with no source: the wallet card is made from the brand file alone."""
    source = SourceFile(brand.path, BRAND_CARD, "en", "", file_digest(brand.path))
    meta = DocMeta(title=f"{brand.name} wallet card", topics=("contact", "crisis lines"),
                   summary="How to reach us, and where to find help any time.",
                   formats=("card",), review=Review(status="approved"))
    document = Document(source, meta, "", 1, YamlText(None, brand.path))
    return ResolvedDocument(document, "", (), ())


CARD_SLACK = 0.01  # inches: rounding, not words


def judge(result, path: Path, label: str, brand: Brand, fmt: Format | None = None,
          allow_fallback: bool = False,
          card_text_at: tuple[Path, int | None] | None = None,
          typefaces: tuple[str, ...] = ()) -> list[Problem]:
    """Turn what the renderer noticed into problems on `path` (the source, usually).
    Text may be drawn in the brand's typeface for its language, or in `typefaces` (a page
    in several languages), and in no other."""
    problems = [error(path, None, f"{label}: {url} was not loaded: only the project's own "
                      "files may be used") for url in result.refused]
    allowed = typefaces or (brand.typeface.family,)
    for font in result.fonts if not allow_fallback else ():
        if font.family not in allowed:
            problems.append(error(path, None, f"{label}: some text was drawn in the fallback "
                                  f"font '{font.family}', not {' or '.join(allowed)}"))
    if fmt is not None and result.pages > (fmt.max_pages or result.pages):
        problems.append(error(path, None, overflow_message(path, fmt, result)))
    elif fmt is not None and fmt.clear_edges and result.foot_clearance < fmt.clear_edges:
        problems.append(error(path, None, f"{fmt.name}: '{slug_of(path)}' runs "
                              f"{fmt.clear_edges - result.foot_clearance:.2f} in into the "
                              f"{fmt.clear_edges} in kept clear at the foot of a panel; shorten "
                              "it (a long resource list counts too)"))
    if fmt is not None and not fmt.max_pages and wastes_paper(result.pages, result.last_page_fill):
        problems.append(warning(path, None, f"{label}: ends on a page only "
                                f"{result.last_page_fill:.0%} used (aim 40% or more), even "
                                "with its spacing tightened or loosened; shorten or lengthen "
                                "the document by a few lines"))
    if result.card_overrun > CARD_SLACK:
        problems.append(error(*(card_text_at or (path, None)), f"{label}: the words on the card "
                              f"run {result.card_overrun:.2f} in past its 2 in, over the next "
                              "card on the sheet; shorten the card's text (card: in the safety "
                              "block) to what fits"))
    if result.over_keep_clear > 0:
        problems.append(error(path, None, f"{label}: the words run {result.over_keep_clear:.2f} in "
                              "over the cover picture; shorten the title, subtitle or summary"))
    for message in result.warnings:
        # A picture that exists but cannot be read or drawn (corrupt, an SVG that reaches
        # outside or uses itself) would be left out of the page: that fails the document.
        failed = PICTURE_FAILED.match(message)
        if failed:
            picture = _picture_name(failed, path)
            problems.append(error(path, None, f"{label}: the picture '{picture}' "
                                  "cannot be drawn (broken, or it refers to itself or to a file "
                                  "outside the sources); fix or replace it"))
        else:
            problems.append(warning(path, None, f"{label}: {message}"))
    return problems


# WeasyPrint's words for a picture it could not read, or could not draw.
PICTURE_FAILED = re.compile(r"Failed to (?:load|render) (?:SVG )?image(?: at)? "
                            r"[\"']?(?P<url>[^\s\"']+)")


def _picture_name(failed: re.Match, path: Path) -> str:
    """The picture as the writer names it: relative to the source's folder."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(failed["url"])
    if parts.scheme != "file":
        return failed["url"][:80]
    picture = Path(unquote(parts.path))
    folder = path.parent.resolve()
    if picture.is_relative_to(folder):
        return picture.relative_to(folder).as_posix()
    return picture.name


def overflow_message(path: Path, fmt: Format, result) -> str:
    lines = result.overflow * 72 / 15  # at the brochure's 11 pt on 15 pt lines
    slug = slug_of(path)
    return (f"{fmt.name}: '{slug}' does not fit: about {result.overflow:.1f} in "
            f"(some {lines:.0f} lines) more than its {fmt.max_pages} pages hold; shorten it "
            f"or take {fmt.name} out of its formats")
