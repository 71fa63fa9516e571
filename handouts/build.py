"""Stage 6, build: read everything, render what was asked, then write it all.

Like MkDocs, the build first gathers and validates every source, then
renders, and only then writes: each PDF atomically (a temporary file, then a
rename), so an interrupted build never leaves a truncated PDF and a failed
document keeps its last good one. `output/catalog.json` lists every built file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .brand import Brand, load_brand
from .citations import ResolvedDocument, resolve
from .documents import DocMeta, Document, Review, parse
from .formats import FORMAT_NAMES, FORMATS, Format, formats_of
from .i18n import language_problems
from .layout import Templates, layout
from .problems import ContentError, Problem, UsageError, error, warning
from .resources import Library, load_library
from .sources import DEFAULT_LANG, SOURCE_NAME, SourceFile, discover
from .typeface import describe as describe_char
from .yamltext import YamlText

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Project:
    """Where a build reads and writes. Templates and styles ship with the pipeline."""

    sources: Path = Path("sources")
    out: Path = Path("output")
    brand: Path = Path("_brand.yml")
    templates: Path = PROJECT_ROOT / "templates"
    styles: Path = PROJECT_ROOT / "styles"

    @property
    def resources(self) -> Path:
        return self.sources / "resources.yaml"

    @property
    def layouts(self) -> Templates:
        return Templates(self.templates, self.styles)


@dataclass(frozen=True)
class BuildRequest:
    slugs: tuple[str, ...] = ()  # empty: every source
    formats: tuple[str, ...] = ()  # empty: each document's own formats
    langs: tuple[str, ...] = ()  # empty: every language
    strict: bool = False  # warnings fail the document too
    print_shop: bool = False  # bleed and crop marks, whatever the brand says


@dataclass(frozen=True)
class Output:
    """One built file, as listed in catalog.json."""

    slug: str
    lang: str
    format: str
    title: str
    summary: str
    audience: tuple[str, ...]
    topics: tuple[str, ...]
    code: str | None
    version: str
    path: str  # relative to the output folder
    profile: str  # office or print-shop
    pages: int
    bytes: int
    sha256: str
    source: str
    status: str
    next_review: str | None


@dataclass(frozen=True)
class BuildReport:
    written: tuple[Output, ...]
    problems: tuple[Problem, ...]
    failed: tuple[str, ...] = ()  # documents (slug.lang) that did not build
    seconds: float = 0.0
    strict: bool = False

    @property
    def exit_code(self) -> int:
        fatal = [p for p in self.problems if p.is_error or self.strict]
        return 1 if fatal or self.failed else 0


@dataclass(frozen=True)
class Documents:
    """Every selected source, read, parsed and resolved, before anything is rendered."""

    resolved: tuple[ResolvedDocument, ...]
    library: Library
    problems: tuple[Problem, ...]
    failed: tuple[str, ...]  # source file names that could not be used


def build(project: Project, request: BuildRequest = BuildRequest()) -> BuildReport:
    started = time.perf_counter()
    check_formats(request.formats)
    problems: list[Problem] = []
    try:
        brand = load_brand(project.brand)
    except ContentError as exc:
        brand = None
        problems.extend(exc.problems)
    documents = read_documents(project, request)
    problems.extend(documents.problems)
    problems.extend(language_problems([r.document for r in documents.resolved], brand))
    failed = list(documents.failed)
    outputs: list[tuple[Output, bytes]] = []
    wanted = [*documents.resolved, *([brand_card(brand)] if brand and wants_brand_card(request) else [])]
    for resolved in wanted if brand else ():
        built, found = render_document(resolved, brand, project, request)
        problems.extend(found)
        if built is None:
            failed.append(resolved.document.source.path.name)
        else:
            outputs.extend(built)
    written = write_outputs(project.out, outputs)
    return BuildReport(tuple(written), tuple(problems), tuple(failed),
                       time.perf_counter() - started, request.strict)


def check_formats(names: tuple[str, ...]) -> None:
    for name in names:
        if name not in FORMAT_NAMES:
            raise UsageError(f"unknown format '{name}' (known: {', '.join(FORMAT_NAMES)})")


BRAND_CARD = "wallet-card"


def wants_brand_card(request: BuildRequest) -> bool:
    """The clinic's own wallet card is built with the rest, from the brand alone."""
    return ((not request.slugs or BRAND_CARD in request.slugs)
            and (not request.formats or "card" in request.formats)
            and (not request.langs or "en" in request.langs))


def brand_card(brand: Brand) -> ResolvedDocument:
    """A document with no source: the wallet card is made from the brand file alone."""
    source = SourceFile(brand.path, BRAND_CARD, "en", "", "")
    meta = DocMeta(title=f"{brand.name} wallet card",
                   summary="How to reach us, and where to find help any time.",
                   formats=("card",), review=Review(status="approved"))
    document = Document(source, meta, "", 1, YamlText(None, brand.path))
    return ResolvedDocument(document, "", (), ())


def read_documents(project: Project, request: BuildRequest = BuildRequest()) -> Documents:
    """Read the resource library and the sources; parse and resolve those asked for."""
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    loaded = load_library(project.resources)
    discovered = discover(project.sources)
    unreadable = [p for p in discovered.problems if wanted(p.path, request)]
    known = {s.slug for s in discovered.sources} | {slug_of(p.path) for p in discovered.problems}
    for slug in request.slugs:
        if slug not in known and slug != BRAND_CARD:
            raise UsageError(f"no source named '{slug}' (see: make_docs.py list)")
    problems = [*loaded.problems, *unreadable]
    failed = [p.path.name for p in unreadable]
    resolved: list[ResolvedDocument] = []
    for source in discovered.sources:
        if not wanted(source.path, request):
            continue
        try:
            resolved.append(resolve(parse(source), loaded.library))
        except ContentError as exc:
            problems.extend(exc.problems)
            failed.append(source.path.name)
    return Documents(tuple(resolved), loaded.library, tuple(problems), tuple(failed))


def wanted(path: Path, request: BuildRequest) -> bool:
    """Whether the source at `path` is among those the request names."""
    match = SOURCE_NAME.match(path.name)
    if match is None:
        return not request.slugs  # a misnamed file is reported unless others were asked for
    lang = match["lang"] or DEFAULT_LANG
    return ((not request.slugs or match["slug"] in request.slugs)
            and (not request.langs or lang in request.langs))


def slug_of(path: Path) -> str | None:
    match = SOURCE_NAME.match(path.name)
    return match["slug"] if match else None


def render_document(resolved: ResolvedDocument, brand: Brand, project: Project,
                    request: BuildRequest) -> tuple[list[tuple[Output, bytes]] | None, list[Problem]]:
    """Every requested format of one document, or None if any of them failed."""
    from .fetcher import LockedFetcher  # imports WeasyPrint: only when rendering
    from .pdf import render_pdf

    document = resolved.document
    problems = glyph_problems(resolved, brand)
    built = []
    for fmt in formats_for(document, request) if not problems else ():
        fetcher = LockedFetcher(
            folders=(project.sources, project.templates, project.styles, brand.typeface.folder),
            files=brand.files,
        )
        print_shop = request.print_shop or brand.print_profile == "print-shop"
        html = layout(resolved, fmt, brand, project.layouts, print_shop=print_shop)
        result = render_pdf(html, fetcher)
        problems += judge(result, document, brand, fmt)
        profile = "print-shop" if print_shop and fmt.bleeds else "office"
        built.append((catalog_entry(document, fmt, result, project, profile), result.data))
    # One bad format fails the whole document, so its formats never disagree.
    failed = any(p.is_error or request.strict for p in problems)
    return (None if failed else built), problems


def formats_for(document: Document, request: BuildRequest) -> list[Format]:
    return [f for f in formats_of(document.meta.formats)
            if not request.formats or f.name in request.formats]


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


def catalog_entry(document: Document, fmt: Format, result, project: Project,
                  profile: str) -> Output:
    meta = document.meta
    return Output(
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


# -- writing --------------------------------------------------------------------

CATALOG = "catalog.json"


def write_outputs(out: Path, outputs: list[tuple[Output, bytes]]) -> list[Output]:
    for output, data in outputs:
        atomic_write(out / output.path, data)
    catalog = read_catalog(out)
    for output, _ in outputs:
        catalog[(output.format, output.slug, output.lang)] = asdict(output)
    entries = [entry for _, entry in sorted(catalog.items()) if (out / entry["path"]).is_file()]
    text = json.dumps({"files": entries}, indent=2, ensure_ascii=False) + "\n"
    atomic_write(out / CATALOG, text.encode("utf-8"))
    return [output for output, _ in outputs]


def read_catalog(out: Path) -> dict[tuple[str, str, str], dict]:
    try:
        entries = json.loads((out / CATALOG).read_text("utf-8"))["files"]
        return {(e["format"], e["slug"], e["lang"]): e for e in entries}
    except (OSError, ValueError, KeyError, TypeError):
        return {}  # no catalog yet, or a damaged one: rebuilt from this run


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` so that `path` is always either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes files private; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

