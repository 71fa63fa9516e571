"""Rendering what the plan says is stale: resolve, lay out, render, judge.

The build's heavy half, imported only when something must be rendered: it
brings Markdown, Jinja and the brand schema, and (in the workers) WeasyPrint.
Documents are read and laid out here; the PDFs are rendered by `workers`,
in parallel when there is enough to do; then each result is judged, and a
document whose formats do not all succeed writes none of them.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .brand import Brand
from .citations import ResolvedDocument, resolve
from .documents import DocMeta, Document, Review, parse
from .formats import Format, formats_of
from .layout import layout
from .outputs import CatalogEntry
from .plan import Inputs, Record
from .problems import ContentError, Problem, error, warning
from .resources import Library, load_library
from .sources import SourceFile
from .typeface import describe as describe_char
from .workers import RenderJob, render_jobs
from .yamltext import YamlText

BRAND_CARD = "wallet-card"


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


def read_documents(sources: list[SourceFile], resources: Path) -> Documents:
    """Parse and resolve `sources` against the resource library at `resources`."""
    loaded = load_library(resources)
    problems, failed = list(loaded.problems), []
    resolved: list[ResolvedDocument] = []
    for source in sources:
        try:
            resolved.append(resolve(parse(source), loaded.library))
        except ContentError as exc:
            problems.extend(exc.problems)
            failed.append(source.path.name)
    return Documents(tuple(resolved), loaded.library, tuple(problems), tuple(failed))


def render_documents(documents: list[ResolvedDocument], brand: Brand, project, request,
                     inputs: Inputs, progress: Callable[[str, int, int], None] | None = None,
                     only: dict[str, frozenset[str]] | None = None) -> Rendered:
    """Every wanted format of every document (or `only` those stale, by source path):
    all of a document's formats, or none."""
    print_shop = request.print_shop or brand.print_profile == "print-shop"
    folders = (project.sources, project.templates, project.styles, brand.typeface.folder)
    problems: list[Problem] = []
    jobs: list[RenderJob] = []
    planned: list[tuple[ResolvedDocument, Format]] = []
    unprintable: set[int] = set()
    for resolved in documents:
        found = glyph_problems(resolved, brand)
        problems += found
        if found:
            unprintable.add(id(resolved))
            continue
        restricted = (only or {}).get(str(resolved.document.source.path.resolve()))
        for fmt in formats_for(resolved.document, request):
            if restricted is not None and fmt.name not in restricted:
                continue
            html = layout(resolved, fmt, brand, project.layouts, print_shop=print_shop)
            jobs.append(RenderJob(len(jobs), output_path(resolved.document.source, fmt).as_posix(),
                                  html, folders, brand.files))
            planned.append((resolved, fmt))

    results, peak = render_jobs(jobs, request.jobs, progress)
    by_document: dict[int, list[tuple[Built, list[Problem]]]] = {}
    for job, (resolved, fmt) in zip(jobs, planned):
        result = results[job.index]
        found = judge(result, resolved.document, brand, fmt)
        profile = "print-shop" if print_shop and fmt.bleeds else "office"
        built = Built(catalog_entry(resolved.document, fmt, result, project, profile), result.data,
                      record(resolved, fmt, result, inputs))
        by_document.setdefault(id(resolved), []).append((built, found))

    written: list[Built] = []
    failed: list[str] = []
    for resolved in documents:
        outcomes = by_document.get(id(resolved), [])
        found = [p for _, ps in outcomes for p in ps]
        problems += found
        if id(resolved) in unprintable or any(p.is_error or request.strict for p in found):
            failed.append(resolved.document.source.path.name)
        else:
            written += [built for built, _ in outcomes]
    return Rendered(tuple(written), tuple(problems), tuple(failed), peak)


def formats_for(document: Document, request) -> list[Format]:
    return [f for f in formats_of(document.meta.formats)
            if not request.formats or f.name in request.formats]


def brand_card(brand: Brand) -> ResolvedDocument:
    """A document with no source: the wallet card is made from the brand file alone."""
    source = SourceFile(brand.path, BRAND_CARD, "en", "", brand_digest(brand.path))
    meta = DocMeta(title=f"{brand.name} wallet card",
                   summary="How to reach us, and where to find help any time.",
                   formats=("card",), review=Review(status="approved"))
    document = Document(source, meta, "", 1, YamlText(None, brand.path))
    return ResolvedDocument(document, "", (), ())


def brand_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_files(brand: Brand) -> tuple[str, ...]:
    """The files every output is made from: the brand file, its logos and the fonts."""
    return tuple(str(p) for p in (*brand.files, *(face.path for face in brand.typeface.faces)))


def record(resolved: ResolvedDocument, fmt: Format, result, inputs: Inputs) -> Record:
    document = resolved.document
    resources = tuple(c.resource.key for c in resolved.citations)
    images = tuple(str(p) for p in resolved.images)
    return Record(
        path=output_path(document.source, fmt).as_posix(),
        source=str(document.source.path.resolve()),
        source_digest=document.source.digest,
        format=fmt.name,
        lang=document.lang,
        wants=tuple(f.name for f in formats_of(document.meta.formats)),
        resources=resources,
        images=images,
        inputs=inputs.digest(fmt, document.lang, resources, images),
        sha256=hashlib.sha256(result.data).hexdigest(),
    )


def glyph_problems(resolved: ResolvedDocument, brand: Brand) -> list[Problem]:
    """Characters the typeface cannot draw, found before they fall back to another font."""
    document = resolved.document
    path = document.source.path
    texts = [(path, document.front_matter.line(key), str(getattr(document.meta, key) or ""))
             for key in ("title", "subtitle", "summary")]
    texts += [(path, document.body_line + offset, line)
              for offset, line in enumerate(document.body_md.split("\n"))]
    library = path.parent / "resources.yaml"
    texts += [(library, c.resource.line, f"{c.resource.title} {c.resource.publisher or ''}")
              for c in resolved.citations]
    return [error(where, line, f"{describe_char(char)} is not in the {brand.typeface.family} "
                  "typeface; use another character or write it out")
            for where, line, text in texts for char in brand.typeface.missing(text)]


def judge(result, document: Document, brand: Brand, fmt: Format) -> list[Problem]:
    """Turn what the renderer noticed into problems on the source."""
    path = document.source.path
    problems = [error(path, None, f"{fmt.name}: {url} was not loaded: only the project's own "
                      "files may be used") for url in result.refused]
    for font in result.fonts:
        if font.family != brand.typeface.family:
            problems.append(error(path, None, f"{fmt.name}: some text was drawn in the fallback "
                                  f"font '{font.family}', not {brand.typeface.family}"))
    if result.pages > (fmt.max_pages or result.pages):
        problems.append(error(path, None, overflow_message(document, fmt, result)))
    problems += [warning(path, None, f"{fmt.name}: {message}") for message in result.warnings]
    return problems


def overflow_message(document: Document, fmt: Format, result) -> str:
    lines = result.overflow * 72 / 15  # at the brochure's 11 pt on 15 pt lines
    return (f"{fmt.name}: '{document.slug}' does not fit: about {result.overflow:.1f} in "
            f"(some {lines:.0f} lines) more than its {fmt.max_pages} pages hold; shorten it "
            f"or take {fmt.name} out of its formats")


def catalog_entry(document: Document, fmt: Format, result, project, profile: str) -> CatalogEntry:
    meta = document.meta
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
        source=os.path.relpath(document.source.path.resolve(), project.out.resolve().parent),
        status=meta.review.status,
        next_review=meta.review.next_review.isoformat() if meta.review.next_review else None,
    )


def output_path(source: SourceFile, fmt: Format) -> Path:
    """`handout/klonopin-overview.pdf`, `handout/klonopin-overview.es.pdf`"""
    suffix = "" if source.lang == "en" else f".{source.lang}"
    return Path(fmt.name) / f"{source.slug}{suffix}.pdf"
