"""Personalised packets: a cover with the family's name, then the handouts.

A packet is built from the sources by the same stages as every other PDF
(parse, resolve, layout, pdf): each document is written once as a packet prints
it (packet_parts.py), each family's cover is written alone, and the packet is
put together from them (splice.py), so page numbers run on through the packet,
the cover's contents list gets each document's first page, and each document
gets its bookmarks.

Personal values (the name, the clinician, the note) are data: they are
escaped, printed only on the cover, and kept out of the PDF's metadata, the
file name, logs, the catalog and the shared output folder. The records of a
substance-use treatment program are protected by 42 CFR Part 2: a patient's
name beside the clinic's is itself sensitive.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.filecache import file_digest
from ..content.sources import DEFAULT_LANG, Discovered, SourceFile, discover
from ..problems import ContentError, HandoutsError, Problem, UsageError, warning
from ..project import Project

if TYPE_CHECKING:  # WeasyPrint is imported only where a PDF is made
    from ..render.pdf import PdfResult


class SaveError(HandoutsError):
    """The packet was made but could not be written where staff asked (exit 1): one line."""


@dataclass(frozen=True)
class Personalisation:
    """What staff type for one family. Never logged, never in a file name or metadata."""

    for_name: str
    clinician: str | None = None
    date: dt.date = field(default_factory=dt.date.today)
    note: str | None = None

    def __repr__(self) -> str:  # so that a stray log line or traceback shows no name
        return "Personalisation(<personal details withheld>)"


@dataclass(frozen=True)
class PacketRequest:
    slugs: tuple[str, ...]
    person: Personalisation
    lang: str = DEFAULT_LANG
    large_print: bool = False
    # What staff were shown, by slug: the sha256 of the source each document's shown copy
    # was built from. A source edited since is refused (Changed), never printed unseen.
    expected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Included:
    """One document as it went into a packet: what a delivery log names (nothing
    personal), and whether it may be emailed."""

    slug: str
    lang: str
    title: str
    code: str | None
    version: str
    draft: bool  # a draft itself, or placing a draft safety block
    source: Path  # where it is written, for what is said of it


@dataclass(frozen=True)
class Packet:
    data: bytes
    pages: int
    included: tuple[Included, ...]  # each document, in order
    problems: tuple[Problem, ...]  # warnings: what the reader should know

    @property
    def contents(self) -> tuple[tuple[str, str], ...]:
        """(slug, language) of each document, in order."""
        return tuple((i.slug, i.lang) for i in self.included)


class Changed(HandoutsError):
    """A document's source is not the one staff were shown (edited since it was built)."""

    def __init__(self, slugs: tuple[str, ...]):
        super().__init__(", ".join(slugs))
        self.slugs = slugs


def included(resolved) -> Included:
    meta = resolved.meta  # a draft block makes a draft
    return Included(resolved.document.slug, resolved.document.lang, meta.title, meta.code,
                    meta.version, meta.review.is_draft, resolved.document.source.path)


LIMITS = {"for_name": 200, "clinician": 200, "note": 2000}


def build_packet(project: Project, request: PacketRequest) -> Packet:
    """Render the packet in memory; raise ContentError if a document cannot be used.

    Each document is laid out and written once, for every packet it goes into, and
    kept (packet_parts.py: it carries nothing personal); each family's cover is laid
    out and written on its own, told where the documents start, and the packet is
    put together from them and a frame of page numbers (splice.py). So a packet of
    handouts already made waits for its cover alone."""
    from ..content.brand import read_brand
    from ..content.formats import FORMATS
    from ..library.jobs import fit_of
    from ..render.document import judge
    from ..render.fetcher import FileAccess
    from ..render.layout import layout_packet
    from ..render.pdf import lay_out, render_pdf, write_pdf
    from .packet_parts import part_of

    check_person(request.person)
    sources, notes = choose_sources(project, request)
    brand = read_brand(project.brand)
    resolved = resolved_documents(project, sources, brand)
    problems = list(notes)
    # Each document is drawn in its own language's typeface; the cover in the packet's.
    languages = (request.lang, *(document.document.lang for document in resolved))
    typefaces = tuple(dict.fromkeys(brand.typeface_of(lang) for lang in languages))
    missing = personal_glyphs(request.person, brand.in_language(request.lang))
    if missing:
        problems.append(warning(project.brand, None, "some characters of the personal details are "
                                "not in the typeface; they print in another font"))
    access = FileAccess((project.sources, project.templates, project.styles,
                         *(typeface.folder for typeface in typefaces)), brand.files)
    fmt = FORMATS["large-print" if request.large_print else "handout"]
    parts = [part_of(project, document, fmt, brand) for document in resolved]
    draft = any(document.meta.review.is_draft for document in resolved)
    cover_pages = 1
    for _ in range(2):  # a cover longer than a page moves every document after it
        starts, total = placed(parts, cover_pages)
        cover = lay_out(layout_packet(resolved, brand, project.layouts, request.person,
                                      request.lang, request.large_print, part="cover",
                                      contents_pages={f"d{n}": start for n, start
                                                      in enumerate(starts, start=1)},
                                      total_pages=total), access, typefaces[0].family)
        if len(cover.pages) == cover_pages:
            result = _put_together(project, brand, request, write_pdf(cover), parts, starts,
                                   total, draft)
            break
        cover_pages = len(cover.pages)
    else:  # a cover whose length turns on its own page numbers: all in one go
        fits = [fit_of(document, fmt, brand, project) for document in resolved]
        result = render_pdf(layout_packet(resolved, brand, project.layouts, request.person,
                                          request.lang, request.large_print, fits=fits),
                            access, typefaces[0].family)
    found = judge(result, project.brand, "packet", brand, allow_fallback=bool(missing),
                  typefaces=tuple(typeface.family for typeface in typefaces))
    if any(p.is_error for p in found):
        raise ContentError(found)
    return Packet(result.data, result.pages, tuple(map(included, resolved)),
                  tuple(problems + found))


def placed(parts, cover_pages: int) -> tuple[list[int], int]:
    """The page each part starts on, after the cover's pages, each on a front side (an
    odd page) as a packet laid out whole puts them; and the packet's number of pages."""
    starts, following = [], cover_pages + 1
    for part in parts:
        start = following if following % 2 else following + 1
        starts.append(start)
        following = start + part.pages
    return starts, following - 1


def _put_together(project: Project, brand, request: PacketRequest, cover: PdfResult, parts,
                  starts: list[int], total: int, draft: bool) -> PdfResult:
    """The packet, from its cover, its documents' parts and its frame, with what the
    renderer noticed of them all."""
    from ..render.pdf import PdfResult, UsedFont
    from .packet_parts import frame_of
    from .splice import Placed, assembled

    page_langs = [request.lang] * total  # a page left blank is the packet's, as the cover's
    for part, start in zip(parts, starts, strict=True):
        page_langs[start - 1:start - 1 + part.pages] = [part.lang] * part.pages
    frame = frame_of(project, brand, page_langs, request.lang, request.large_print, draft)
    data = assembled(cover.data, [Placed(part.data, part.lang, start)
                                  for part, start in zip(parts, starts, strict=True)], frame.data)
    fonts = {(f.family, f.name) for f in cover.fonts + frame.fonts}
    fonts.update(font for part in parts for font in part.fonts)
    return PdfResult(
        data, total,
        warnings=cover.warnings + frame.warnings + tuple(w for p in parts for w in p.warnings),
        refused=cover.refused + frame.refused + tuple(r for p in parts for r in p.refused),
        fonts=tuple(UsedFont(*font) for font in sorted(fonts)))


def resolved_documents(project: Project, sources, brand) -> list:
    """Each source read and resolved, or ContentError: a packet is made only of documents
    that would build, each drawn in the brand's typeface alone."""
    from ..content.blocks import read_blocks
    from ..content.resources import read_library

    library = read_library(project.resources).library
    blocks = read_blocks(project.blocks).blocks
    inputs = (file_digest(project.resources), file_digest(project.brand),
              tuple((p.name, file_digest(p)) for p in sorted(project.blocks.glob("*.yml"))))
    return [_resolved(source, library, blocks, brand, inputs) for source in sources]


def _resolved(source: SourceFile, library, blocks, brand, inputs: tuple):
    """`source` resolved against the library and blocks, kept while it and they are
    unchanged (`inputs`: their digests): the next family's packet reads nothing again."""
    from ..content.documents import parse
    from ..render.citations import resolve
    from ..render.glyphs import glyph_problems

    key = (source.path, source.digest, inputs)
    if key not in _RESOLVED:
        document = resolve(parse(source), library, blocks)  # ContentError propagates
        found = glyph_problems(document, brand.in_language(document.document.lang))
        if found:
            raise ContentError(found)
        _RESOLVED[key] = document
        while len(_RESOLVED) > 64:
            _RESOLVED.pop(next(iter(_RESOLVED)))
    return _RESOLVED[key]


_RESOLVED: dict = {}  # documents as resolved, by what they are made of: nothing personal


def build_documents(project: Project, request: PacketRequest) -> list[tuple[Included, bytes]]:
    """Each document alone, as its handout (or large print) prints, with its PDF.
    For sending separately: these carry no cover, so no one's name."""
    from ..content.blocks import read_blocks
    from ..content.brand import read_brand
    from ..content.resources import read_library
    from ..library.jobs import Context, DocumentJob, render_document
    from ..project import BuildRequest

    sources, _ = choose_sources(project, request)
    fmt = "large-print" if request.large_print else "handout"
    context = Context(read_brand(project.brand), read_library(project.resources).library,
                      read_blocks(project.blocks).blocks, project,
                      BuildRequest(formats=(fmt,), jobs=1))
    documents = []
    for source in sources:
        result = render_document(DocumentJob(context, source))
        if result.failed:
            raise ContentError(result.problems)
        [rendered] = result.files
        entry = rendered.entry
        documents.append((Included(entry.slug, entry.lang, entry.title, entry.code,
                                   entry.version, entry.status == "draft", source.path),
                          rendered.data))
    return documents


def check_person(person: Personalisation) -> None:
    if not person.for_name.strip():
        raise UsageError("--for needs the name of the person the packet is for")
    for name, limit in LIMITS.items():
        value = getattr(person, name) or ""
        if len(value) > limit:
            raise UsageError(f"{name.replace('_', ' ')} is longer than {limit} characters")
        if unprintable(value, lines=name == "note"):
            raise UsageError(f"{name.replace('_', ' ')} has a control character (an escape, a "
                             "bell, a line break in a name), which no page can print: type it "
                             "again")


def unprintable(value: str, lines: bool = False) -> bool:
    """Whether typed text holds a control character; a note may have line breaks."""
    allowed = "\n\r\t" if lines else ""
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in value)


def choose_sources(project: Project,
                   request: PacketRequest) -> tuple[list[SourceFile], list[Problem]]:
    """Each slug's source in the packet's language, or its English with a warning."""
    if not request.slugs:
        raise UsageError("name at least one document for the packet (see: make_docs.py list)")
    discovered = discover(project.sources)
    check_language(request.lang, discovered)
    by_key = {(s.slug, s.lang): s for s in discovered.sources}
    broken = {p.path.name for p in discovered.problems}
    chosen, notes, changed = [], [], []
    expected = dict(request.expected)
    for slug in request.slugs:
        source = by_key.get((slug, request.lang)) or by_key.get((slug, DEFAULT_LANG))
        if source is None:
            if any(name.startswith(f"{slug}.") for name in broken):
                raise ContentError([p for p in discovered.problems if p.path.name.startswith(slug)])
            raise UsageError(f"no source named '{slug}' (see: make_docs.py list)")
        if expected.get(slug, source.digest) != source.digest:
            changed.append(slug)
        if source.lang != request.lang:
            notes.append(warning(source.path, None, f"no '{request.lang}' translation: the "
                                 f"{source.lang} version is in the packet"))
        chosen.append(source)
    if changed:
        raise Changed(tuple(changed))
    return chosen, notes


def personal_glyphs(person: Personalisation, brand) -> list[str]:
    text = " ".join(v for v in (person.for_name, person.clinician, person.note) if v)
    return brand.typeface.missing(text)


def default_file_name(person: Personalisation) -> str:
    """Never the name: the date alone, so a file listing reveals nothing."""
    return f"packet-{person.date.isoformat()}.pdf"


def check_language(lang: str, discovered: Discovered) -> None:
    """A packet's language is one the library has something in: a translated source or the
    templates' words. Any other would print English under another language's tag (a screen
    reader would read it wrongly), and Babel cannot date a cover in a language it lacks."""
    from babel import localedata

    from ..content.i18n import LOCALE

    catalogs = {path.parts[-3] for path in LOCALE.glob("*/LC_MESSAGES/messages.po")}
    known = sorted({DEFAULT_LANG, *catalogs, *(s.lang for s in discovered.sources)})
    choices = ", ".join(known)
    if not re.fullmatch(r"[a-z]{2}", lang):  # not echoed: it may hold terminal escapes
        raise UsageError(f"--lang takes a two-letter language code: {choices}")
    if lang not in known:
        raise UsageError(f"nothing is written in '{lang}' (no handout, no translation of the "
                         f"cover): the packet's language can be {choices}")
    if not localedata.exists(lang):
        raise UsageError(f"'{lang}' is not a language code (the packet's language can be "
                         f"{choices})")


def check_target(path: Path, project: Project) -> Path:
    """Where the packet goes, resolved, or UsageError: a file that is, or will be, a plain file
    outside the shared output folder. Never a folder, and never a device, pipe or socket:
    a packet is written beside its target and renamed onto it, so /dev/null would be
    replaced by the packet, and a pipe would never get it."""
    try:
        target = path.resolve()
    except RuntimeError:  # Python 3.11 says so of a loop of symbolic links
        raise UsageError(f"-o {path} is a loop of symbolic links: give another file name") from None
    if target.is_relative_to(project.out.resolve()):
        raise UsageError("a packet holds personal details: save it outside the shared "
                         f"output folder ({project.out})")
    try:
        _check_kind(path, target)
    except OSError as exc:  # a folder on the way that may not be read
        raise _save_error(path, exc) from None
    return target


def _check_kind(path: Path, target: Path) -> None:
    if target.is_symlink():  # still a link once resolved: a loop (newer Pythons do not raise)
        raise UsageError(f"-o {path} is a loop of symbolic links: give another file name")
    if target.is_dir():
        raise UsageError(f"-o {path} is a folder: give the packet's file name, in it or "
                         "elsewhere")
    if target.exists() and not stat.S_ISREG(target.stat().st_mode):
        raise UsageError(f"-o {path} is not a plain file (it is a device, a pipe or a "
                         "socket): give the name of a PDF file to write")
    folder = next(p for p in (target.parent, *target.parents) if p.exists())
    if not folder.is_dir():
        raise UsageError(f"-o {path} cannot be saved: {folder} is not a folder")


def write_packet(data: bytes, path: Path, project: Project) -> None:
    """Write the packet where staff asked, whole or not at all, never into the shared
    output folder; SaveError if the file system will not have it."""
    from ..library.outputs import write_temporary

    target = check_target(path, project)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = write_temporary(target.parent, data, prefix=".packet-")
    except OSError as exc:
        raise _save_error(path, exc) from None
    try:
        check_target(path, project)  # again: nothing may have taken its place meanwhile
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise _save_error(path, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _save_error(path: Path, exc: OSError) -> SaveError:
    reason = exc.strerror or type(exc).__name__
    return SaveError(f"could not save the packet to {path} ({reason}); nothing was saved")
