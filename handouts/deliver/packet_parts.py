"""The parts a packet is put together from (splice.py): each document written once,
for every packet and every worker, and the frame of page numbers.

A document's part is its handout (or large print) as a packet prints it, in its
own language, with its page number's room kept unseen: the same in every packet
it goes into, whatever the packet's language, the family or the other documents.
So it is laid out once, kept in memory, and kept on disk in the output folder's
cache, where the app's other workers find it (the app warms every handout's part
at start: see web/packet_pool.py). Nothing personal is ever in a part or a frame.

A part is named by the digest of everything its pages are made from, as the build
names its files' inputs (library/plan.py): its source, the resources it cites, its
images and safety blocks, the templates, styles and locale, the brand, the
pipeline's own code and this module's. A part made from anything else is never
found, and the app's warm-up removes it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.filecache import file_digest
from ..project import Project

if TYPE_CHECKING:
    from ..content.brand import Brand
    from ..content.formats import Format
    from ..render.citations import ResolvedDocument
    from ..render.pdf import PdfResult


PARTS_FOLDER = Path(".cache") / "packet-parts"  # in the output folder


@dataclass(frozen=True)
class Part:
    """A document as a packet prints it, written on its own."""

    data: bytes
    pages: int
    lang: str
    fonts: tuple[tuple[str, str], ...]  # (family, name) of each font it draws with
    warnings: tuple[str, ...]  # what WeasyPrint said of it
    refused: tuple[str, ...]  # what it asked for and was refused


def part_of(project: Project, resolved: ResolvedDocument, fmt: Format, brand: Brand) -> Part:
    """`resolved`'s part in `fmt`: kept in this process, or on disk, or laid out now."""
    key = part_key(project, resolved, fmt)
    part = _KEPT.get(key) or _read(project, key, resolved.document.lang)
    if part is None:
        part = _laid_out(project, resolved, fmt, brand)
        _write(project, key, part)
    _KEPT[key] = part
    _KEPT.move_to_end(key)
    while len(_KEPT) > PARTS_KEPT:
        _KEPT.popitem(last=False)
    return part


_KEPT: OrderedDict = OrderedDict()  # parts by key, the most recently used last
PARTS_KEPT = 128  # about 60 KB each


def part_key(project: Project, resolved: ResolvedDocument, fmt: Format) -> str:
    """The digest of everything `resolved`'s part is made from."""
    from ..library.plan import Inputs

    lang = resolved.document.lang
    inputs = Inputs(project.templates, project.styles, project.resources, (), False)
    made_of = {
        "source": resolved.document.source.digest,
        "inputs": inputs.digest(fmt, lang, tuple(c.resource.key for c in resolved.citations),
                                tuple(str(p) for p in resolved.images),
                                tuple(str(b.path) for b in resolved.blocks)),
        "packet": [inputs.file(project.templates / "packet.html.j2"),
                   inputs.file(project.styles / "packet.css"),
                   inputs.file(Path(__file__))],  # how a part is laid out
        "brand": file_digest(project.brand),
        "format": fmt.name,
        "lang": lang,
    }
    return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()


def _laid_out(project: Project, resolved: ResolvedDocument, fmt: Format, brand: Brand) -> Part:
    from ..library.jobs import fit_of
    from ..render.fetcher import FileAccess
    from ..render.layout import layout_packet
    from ..render.pdf import render_pdf

    lang = resolved.document.lang
    typeface = brand.typeface_of(lang)
    html = layout_packet([resolved], brand, project.layouts, None, lang,
                         fmt.name == "large-print", part="document",
                         fits=[fit_of(resolved, fmt, brand, project)])
    access = FileAccess((project.sources, project.templates, project.styles, typeface.folder),
                        brand.files)
    result = render_pdf(html, access, typeface.family)
    return Part(result.data, result.pages, lang,
                tuple((f.family, f.name) for f in result.fonts), result.warnings, result.refused)


def _path(project: Project, key: str) -> Path:
    return project.out / PARTS_FOLDER / f"{key}.json"


def _read(project: Project, key: str, lang: str) -> Part | None:
    """The part on disk, if a worker has written it whole and as this module writes
    it; else None, and it is laid out again. What is read is checked as input: a
    record cut short or changed by hand must not stop a packet, nor put its language
    (which lands in the frame's CSS) or its warnings (which reach a terminal) anywhere
    unchecked."""
    try:
        record = json.loads(_path(project, key).read_text(encoding="utf-8"))
        data = _path(project, key).with_suffix(".pdf").read_bytes()
        part = Part(data, record["pages"], record["lang"],
                    tuple((str(family), str(name)) for family, name in record["fonts"]),
                    tuple(map(str, record["warnings"])), tuple(map(str, record["refused"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    whole = hashlib.sha256(data).hexdigest() == record.get("sha256")
    if not (whole and part.lang == lang and isinstance(part.pages, int) and 0 < part.pages < 100):
        return None
    return part


def _write(project: Project, key: str, part: Part) -> None:
    """The part on disk, its PDF first, then its record (which makes it found); a
    folder that cannot be written leaves it in this process alone."""
    from ..library.outputs import write_temporary

    path = _path(project, key)
    record = {"sha256": hashlib.sha256(part.data).hexdigest(), "pages": part.pages,
              "lang": part.lang, "fonts": part.fonts, "warnings": part.warnings,
              "refused": part.refused}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, data in ((path.with_suffix(".pdf"), part.data),
                             (path, json.dumps(record).encode("utf-8"))):
            os.replace(write_temporary(path.parent, data, prefix=".part-"), target)
    except OSError:
        pass


def forget_others(project: Project, keys: set[str]) -> None:
    """Remove the parts on disk but those of `keys`: what is left was made from
    sources, styles or code since changed, and would never be found again."""
    folder = project.out / PARTS_FOLDER
    for path in (*folder.glob("*.json"), *folder.glob("*.pdf")) if folder.is_dir() else ():
        if path.stem not in keys:
            path.unlink(missing_ok=True)


def frame_of(project: Project, brand: Brand, page_langs: Sequence[str], lang: str,
             large_print: bool, draft: bool) -> PdfResult:
    """The frame of a packet whose pages are in `page_langs` (the cover's first):
    kept, as a packet of the same shape needs the same one."""
    from ..render.fetcher import FileAccess
    from ..render.layout import layout_packet_frame
    from ..render.pdf import render_pdf

    key = (tuple(page_langs), lang, large_print, draft, file_digest(project.brand),
           file_digest(project.templates / "packet.html.j2"),
           file_digest(project.styles / "packet.css"))
    if key not in _FRAMES:
        typefaces = tuple(dict.fromkeys(brand.typeface_of(own) for own in (lang, *page_langs)))
        access = FileAccess((project.templates, project.styles,
                             *(typeface.folder for typeface in typefaces)), brand.files)
        _FRAMES[key] = render_pdf(layout_packet_frame(page_langs, brand, project.layouts, lang,
                                                      large_print, draft),
                                  access, typefaces[0].family)
        while len(_FRAMES) > 32:
            _FRAMES.pop(next(iter(_FRAMES)))
    return _FRAMES[key]


_FRAMES: dict = {}
