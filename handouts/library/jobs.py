"""Rendering what the plan says is stale: each document one job for the pool.

The build's heavy half, imported only when something must be rendered: it
brings Markdown, Jinja and the brand schema, and (in the workers) WeasyPrint.
Each document is one job, run by a worker process when there are enough
(see `workers`), or by the workers of a job queue when the build is given one
(see queue/): it is read, resolved, laid out in each of its formats,
rendered and judged there (render/document.py), so all of that runs in
parallel. A document whose formats do not all succeed writes none of them.
The build's own process keeps the bookkeeping: the manifest's records of
what each file was made from, and the catalog's entries.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..content.blocks import Blocks
from ..content.brand import Brand
from ..content.documents import Document, parse
from ..content.filecache import stamp
from ..content.formats import FORMATS, Format, formats_of
from ..content.resources import Library
from ..content.sources import SourceFile
from ..problems import ContentError, Problem, error
from ..project import BuildRequest, Project
from ..render.citations import ResolvedDocument, printable, resolve
from ..render.document import brand_card, fitted, judge, render_fitted
from ..render.glyphs import glyph_problems
from ..render.layout import Fit, layout
from .outputs import CatalogEntry
from .plan import Inputs, Record, shared_files
from .worker_process import peak_memory_kb
from .workers import Budget, Workers


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
class Context:
    """What every document of a build is rendered with."""

    brand: Brand
    library: Library
    blocks: Blocks
    project: Project
    request: BuildRequest

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
        return self.not_built(f"rendering it {reason}")

    def not_built(self, reason: str) -> DocumentResult:
        """One line at the document's source: it was not built, and why."""
        path = self.source.path if self.source is not None else self.context.brand.path
        return DocumentResult((), (error(path, None, f"not built: {reason}"),), path.name, 0)


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
                   project, request, inputs: Inputs,
                   progress: Callable[[str, int, int], None] | None = None,
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

    if request.queue:
        from .queue.dispatch import render_on_queue

        results = render_on_queue(request.queue, jobs, Budget.from_environment(), done)
    else:
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
    brand = brand.in_language(document.lang)  # its texts and its typeface
    problems = glyph_problems(resolved, brand)
    files = []
    for fmt in formats_for(document, request) if not problems else ():
        if job.only is not None and fmt.name not in job.only:
            continue
        if fmt.max_resources is not None and len(resolved.citations) > fmt.max_resources:
            problems.append(too_many_resources(document.source.path, fmt, resolved))
            break
        try:
            fit, result = render_fitted(resolved, fmt, brand, project, context.print_shop)
        except RecursionError:  # past what resolve refuses: WeasyPrint lays out by recursion
            problems.append(error(document.source.path, None, f"not built: its {fmt.name} is "
                                  "nested too deeply for the renderer to lay out"))
            break
        except MemoryError:
            raise  # the pool reports it as the document's budget
        except Exception as exc:  # noqa: BLE001 - the renderer's own failure, on this content
            problems.append(renderer_failed(document.source.path, fmt, exc))
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


def too_many_resources(path: Path, fmt: Format, resolved: ResolvedDocument) -> Problem:
    return error(path, None, f"{fmt.name}: '{resolved.document.slug}' cites "
                 f"{len(resolved.citations)} resources (with the safety blocks it places), "
                 f"more than the {fmt.max_resources} its list has room for; cite fewer, or "
                 f"take {fmt.name} out of its formats")


def renderer_failed(path: Path, fmt: Format, exc: Exception) -> Problem:
    """One line for a layout WeasyPrint itself gave up on (an internal assertion, most
    often content that can never fit, such as a block kept whole that is taller than a
    brochure's panel): the rest of the library still builds, and this document keeps
    its last good files."""
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return error(path, None, f"not built: the renderer could not lay out its {fmt.name} "
                 f"({printable(detail)[:120]}); shorten it, or take {fmt.name} out of its "
                 "formats")


def fit_of(resolved: ResolvedDocument, fmt: Format, brand: Brand, project) -> Fit | None:
    """The re-layout `resolved` prints with in `fmt`, if any: a packet lays each of its
    documents out as it prints alone. As the last build chose it, if that build was
    made from these very inputs (the app builds before it serves); else found afresh
    and kept for what the layout is made from."""
    built = _built_record(resolved, fmt, brand, project)
    if built is not None:
        return Fit(*built.fit) if built.fit else None
    html = layout(resolved, fmt, brand, project.layouts)
    versions = tuple((p, stamp(p)) for p in html.stylesheets)
    key = (hashlib.sha256(html.html.encode("utf-8")).hexdigest(), versions)
    if key not in _FITS:
        _FITS[key] = fitted(resolved, fmt, brand, project, False)[0]  # laid out, not written
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
    fresh = record is not None and up_to_date(record, source, inputs, project.out)
    return record if fresh else None


def formats_for(document: Document, request) -> list[Format]:
    return [f for f in formats_of(document.meta.formats)
            if not request.formats or f.name in request.formats]


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
