"""Rendering what the plan says is stale: resolve, lay out, render, judge.

The build's heavy half, imported only when something must be rendered: it
brings Markdown, Jinja and the brand schema, and (in the workers) WeasyPrint.
Each document is one job, run by a worker process when there are enough
(see `workers`): it is read, resolved, laid out in each of its formats,
rendered and judged there, so all of that runs in parallel. A document whose
formats do not all succeed writes none of them. The build's own process
keeps the bookkeeping: the manifest's records of what each file was made from.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..content.blocks import Blocks, load_blocks
from ..content.brand import Brand
from ..library.build import BRAND_CARD
from .citations import ResolvedDocument, resolve
from ..content.documents import DocMeta, Document, Review, parse
from .fetcher import FileAccess
from ..content.formats import FORMATS, Format, formats_of
from .glyphs import glyph_problems
from .layout import Fit, layout
from ..library.outputs import CatalogEntry
from ..library.plan import Inputs, Record
from ..problems import ContentError, Problem, error, warning
from ..content.resources import Library, load_library
from ..content.sources import SourceFile
from ..library.workers import Workers, peak_memory_kb
from ..content.yamltext import YamlText

if TYPE_CHECKING:
    from .pdf import PdfResult


@dataclass(frozen=True)
class Built:
    """One file ready to write, with its catalog entry and manifest record."""

    entry: CatalogEntry
    data: bytes
    record: Record


@dataclass(frozen=True)
class Rendered:
    built: tuple[Built, ...]
    problems: tuple[Problem, ...]
    failed: tuple[str, ...]  # source file names
    peak_memory_kb: int = 0  # the largest worker's, for the benchmarks


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


@dataclass(frozen=True)
class Context:
    """What every document of a build is rendered with."""

    brand: Brand
    library: Library
    blocks: Blocks
    project: object  # build.Project
    request: object  # build.BuildRequest

    @property
    def print_shop(self) -> bool:
        return self.request.print_shop or self.brand.print_profile == "print-shop"


@dataclass(frozen=True)
class DocumentJob:
    context: Context
    source: SourceFile | None  # None: the clinic's own card, from the brand
    only: frozenset[str] | None = None  # only these formats are stale

    def over_budget(self, reason: str) -> DocumentResult:
        """What the build reports of a document its worker could not finish (see
        `workers.Budget`): one line naming it; its last good PDF stays."""
        path = self.source.path if self.source is not None else self.context.brand.path
        return DocumentResult((), (error(path, None, f"not built: rendering it {reason}"),),
                              path.name, 0)


@dataclass(frozen=True)
class RenderedFile:
    entry: CatalogEntry
    data: bytes
    fmt: str
    lang: str
    source: str  # resolved path of the source (the brand file for the clinic's card)
    source_digest: str
    wants: tuple[str, ...]  # every format the source asks for
    resources: tuple[str, ...]  # keys of the resources it cites
    images: tuple[str, ...]
    blocks: tuple[str, ...]  # the files of the safety blocks it places
    fit: Fit | None = None  # the re-layout it printed with


@dataclass(frozen=True)
class DocumentResult:
    files: tuple[RenderedFile, ...]  # empty if it failed
    problems: tuple[Problem, ...]
    failed: str | None  # the source file's name, if it failed
    peak_memory_kb: int


def render_sources(sources: list[SourceFile], library: Library, blocks: Blocks, brand: Brand,
                   project, request, inputs: Inputs, progress: Callable[[str, int, int], None] | None = None,
                   only: dict[str, frozenset[str]] | None = None,
                   card: bool = False) -> Rendered:
    """Every wanted format of every source (or `only` those stale, by source path), and the
    clinic's own card if `card`: all of a document's formats, or none. Each document is
    read, laid out and rendered by a worker, in parallel when there are enough."""
    context = Context(brand, library, blocks, project, request)
    jobs = [DocumentJob(context, s, (only or {}).get(str(s.path.resolve()))) for s in sources]
    jobs += [DocumentJob(context, None)] if card else []
    def done(result: DocumentResult, count: int, total: int) -> None:
        if progress:
            label = ", ".join(f.entry.path for f in result.files)
            progress(label or f"{result.failed or 'nothing'} (not written)", count, total)

    with Workers(request.jobs, len(jobs), done) as workers:
        for index, job in enumerate(jobs):
            workers.submit(index, render_document, job)
    results = [workers.results[index] for index in range(len(jobs))]
    built = tuple(Built(f.entry, f.data, record(f, inputs)) for r in results for f in r.files)
    return Rendered(
        built=built,
        problems=tuple(p for r in results for p in r.problems),
        failed=tuple(r.failed for r in results if r.failed),
        peak_memory_kb=max((r.peak_memory_kb for r in results), default=0),
    )


def render_document(job: DocumentJob) -> DocumentResult:
    """One document, every wanted format: read, resolved, laid out, rendered and judged.
    Runs in a worker process (or in the build's own, for a few documents)."""
    context, brand, request = job.context, job.context.brand, job.context.request
    project = context.project
    if job.source is None:
        resolved = brand_card(brand)
    else:
        try:
            resolved = resolve(parse(job.source), context.library, context.blocks)
        except ContentError as exc:
            return DocumentResult((), exc.problems, job.source.path.name, peak_memory_kb())
    document = resolved.document
    problems = glyph_problems(resolved, brand)
    files = []
    for fmt in formats_for(document, request) if not problems else ():
        if job.only is not None and fmt.name not in job.only:
            continue
        try:
            fit, result = render_fitted(resolved, fmt, brand, project, context.print_shop)
        except RecursionError:  # past what resolve refuses: WeasyPrint lays out by recursion
            problems.append(error(document.source.path, None, f"not built: its {fmt.name} is "
                                  "nested too deeply for the renderer to lay out"))
            break
        problems += judge(result, document.source.path, fmt.name, brand, fmt,
                          card_text_at=resolved.card_text_at)
        profile = "print-shop" if context.print_shop and fmt.bleeds else "office"
        files.append(RenderedFile(
            entry=catalog_entry(resolved, fmt, result, project, profile), data=result.data,
            fmt=fmt.name, lang=document.lang, source=str(document.source.path.resolve()),
            source_digest=document.source.digest,
            wants=tuple(f.name for f in formats_of(document.meta.formats)),
            resources=tuple(c.resource.key for c in resolved.citations),
            images=tuple(str(p) for p in resolved.images),
            blocks=tuple(str(b.path.resolve()) for b in resolved.blocks), fit=fit))
    failed = any(p.is_error or request.strict for p in problems)
    return DocumentResult(() if failed else tuple(files), tuple(problems),
                          document.source.path.name if failed else None, peak_memory_kb())


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


def fits_to_try(first) -> tuple[Fit, ...]:
    """The re-layouts worth trying after `first`, in order."""
    tighter = first.last_page_fill <= TIGHT_REACH * (first.pages - 1)
    return ((TIGHTER,) if tighter else ()) + (APART, *LOOSER)


def fit_of(resolved: ResolvedDocument, fmt: Format, brand: Brand, project) -> Fit | None:
    """The re-layout `resolved` prints with in `fmt`, if any: a packet lays each of its
    documents out as it prints alone. As the last build chose it, if that build was
    made from these very inputs (the app builds before it serves); else found afresh
    and kept for what the layout is made from."""
    built = _built_record(resolved, fmt, brand, project)
    if built is not None:
        return Fit(*built.fit) if built.fit else None
    html = layout(resolved, fmt, brand, project.layouts)
    versions = tuple((p, p.stat().st_mtime_ns) for p in html.stylesheets)
    key = (hashlib.sha256(html.html.encode("utf-8")).hexdigest(), versions)
    if key not in _FITS:
        _FITS[key] = render_fitted(resolved, fmt, brand, project, False)[0]
        while len(_FITS) > 64:
            _FITS.pop(next(iter(_FITS)))
    return _FITS[key]


_FITS: dict = {}  # what fit_of found, by layout: nothing personal is ever in here


def _built_record(resolved: ResolvedDocument, fmt: Format, brand: Brand, project) -> Record | None:
    """The manifest's record of `resolved` in `fmt`, if the file is up to date."""
    from ..library.plan import Manifest, up_to_date

    source = resolved.document.source
    record = Manifest.load(project.out).records.get(output_path(source, fmt).as_posix())
    inputs = Inputs(project.templates, project.styles, project.resources, shared_files(brand),
                    False)
    return record if record is not None and up_to_date(record, source, inputs, project.out) else None


def render_fitted(resolved: ResolvedDocument, fmt: Format, brand: Brand, project,
                  print_shop: bool) -> tuple[Fit | None, PdfResult]:
    """`resolved` in `fmt`, and the re-layout it took, if any. If it flows onto a last page
    less than LAST_PAGE_FILL used, it is laid out again (`fits_to_try`) until one is
    not, and the best kept: fewest pages with a last page well used, else the fullest
    last page. Every text size stays as it is; only the space between lines and blocks
    changes, or where a page breaks. Most documents are laid out once."""
    from .pdf import render_pdf  # imports WeasyPrint: only where PDFs are rendered

    def rendered(fit: Fit | None):
        html = layout(resolved, fmt, brand, project.layouts, print_shop=print_shop,
                      extra={"fit": fit})
        access = FileAccess((project.sources, project.templates, project.styles,
                             brand.typeface.folder), brand.files)
        return fit, render_pdf(html, access, brand.typeface.family)

    first = rendered(None)
    if fmt.max_pages or not wastes_paper(first[1]):
        return first
    tried = [first]
    for fit in fits_to_try(first[1]):
        tried.append(rendered(fit))
        # Tighter spacing is kept only if it saves a page; the others, once they fill one.
        result = tried[-1][1]
        if not wastes_paper(result) and (fit.spacing >= 0 or result.pages < first[1].pages):
            break
    return min(tried, key=lambda t: (wastes_paper(t[1]), t[1].pages, -t[1].last_page_fill))


def wastes_paper(result) -> bool:
    return result.pages > 1 and result.last_page_fill < LAST_PAGE_FILL


def formats_for(document: Document, request) -> list[Format]:
    return [f for f in formats_of(document.meta.formats)
            if not request.formats or f.name in request.formats]


def brand_card(brand: Brand) -> ResolvedDocument:
    """A document with no source: the wallet card is made from the brand file alone."""
    source = SourceFile(brand.path, BRAND_CARD, "en", "", brand_digest(brand.path))
    meta = DocMeta(title=f"{brand.name} wallet card", topics=("contact", "crisis lines"),
                   summary="How to reach us, and where to find help any time.",
                   formats=("card",), review=Review(status="approved"))
    document = Document(source, meta, "", 1, YamlText(None, brand.path))
    return ResolvedDocument(document, "", (), ())


def brand_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_files(brand: Brand) -> tuple[str, ...]:
    """The files every output is made from: the brand file, its logos and the fonts."""
    return tuple(str(p) for p in (*brand.files, *(face.path for face in brand.typeface.faces)))


def record(rendered: RenderedFile, inputs: Inputs) -> Record:
    """What the manifest remembers of a file: what it was made from."""
    return Record(
        path=rendered.entry.path,
        source=rendered.source,
        source_digest=rendered.source_digest,
        format=rendered.fmt,
        lang=rendered.lang,
        wants=rendered.wants,
        resources=rendered.resources,
        images=rendered.images,
        blocks=rendered.blocks,
        inputs=inputs.digest(FORMATS[rendered.fmt], rendered.lang, rendered.resources,
                             rendered.images, rendered.blocks),
        sha256=rendered.entry.sha256,
        fit=(rendered.fit.spacing, rendered.fit.resources_apart) if rendered.fit else None,
    )


CARD_SLACK = 0.01  # inches: rounding, not words


def judge(result, path: Path, label: str, brand: Brand, fmt: Format | None = None,
          allow_fallback: bool = False,
          card_text_at: tuple[Path, int | None] | None = None) -> list[Problem]:
    """Turn what the renderer noticed into problems on `path` (the source, usually)."""
    problems = [error(path, None, f"{label}: {url} was not loaded: only the project's own "
                      "files may be used") for url in result.refused]
    for font in result.fonts if not allow_fallback else ():
        if font.family != brand.typeface.family:
            problems.append(error(path, None, f"{label}: some text was drawn in the fallback "
                                  f"font '{font.family}', not {brand.typeface.family}"))
    if fmt is not None and result.pages > (fmt.max_pages or result.pages):
        problems.append(error(path, None, overflow_message(path, fmt, result)))
    elif fmt is not None and fmt.clear_edges and result.foot_clearance < fmt.clear_edges:
        problems.append(error(path, None, f"{fmt.name}: '{_slug(path)}' runs "
                              f"{fmt.clear_edges - result.foot_clearance:.2f} in into the "
                              f"{fmt.clear_edges} in kept clear at the foot of a panel; shorten "
                              "it (a long resource list counts too)"))
    if fmt is not None and not fmt.max_pages and wastes_paper(result):
        problems.append(warning(path, None, f"{label}: ends on a page only "
                                f"{result.last_page_fill:.0%} used (aim 40% or more), even with its spacing tightened or loosened; shorten "
                                "or lengthen the document by a few lines"))
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
            problems.append(error(path, None, f"{label}: the picture '{_picture_name(failed, path)}' "
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
    return picture.relative_to(folder).as_posix() if picture.is_relative_to(folder) else picture.name


def overflow_message(path: Path, fmt: Format, result) -> str:
    lines = result.overflow * 72 / 15  # at the brochure's 11 pt on 15 pt lines
    slug = _slug(path)
    return (f"{fmt.name}: '{slug}' does not fit: about {result.overflow:.1f} in "
            f"(some {lines:.0f} lines) more than its {fmt.max_pages} pages hold; shorten it "
            f"or take {fmt.name} out of its formats")


def _slug(path: Path) -> str:
    return path.name.split(".")[0]


def catalog_entry(resolved: ResolvedDocument, fmt: Format, result, project,
                  profile: str) -> CatalogEntry:
    document, meta = resolved.document, resolved.meta  # a draft block makes a draft
    return CatalogEntry(
        slug=document.slug,
        lang=document.lang,
        format=fmt.name,
        title=meta.title,
        summary=meta.summary,
        audience=meta.audience,
        topics=meta.topics,
        code=meta.code,
        version=meta.version,
        path=output_path(document.source, fmt).as_posix(),
        profile=profile,
        pages=result.pages,
        bytes=len(result.data),
        sha256=hashlib.sha256(result.data).hexdigest(),
        source=os.path.relpath(document.source.path.resolve(), project.sources.resolve().parent),
        source_sha256=document.source.digest,
        status=meta.review.status,
        next_review=meta.review.next_review.isoformat() if meta.review.next_review else None,
    )


def output_path(source: SourceFile, fmt: Format) -> Path:
    """`handout/klonopin-overview.pdf`, `handout/klonopin-overview.es.pdf`"""
    suffix = "" if source.lang == "en" else f".{source.lang}"
    return Path(fmt.name) / f"{source.slug}{suffix}.pdf"
