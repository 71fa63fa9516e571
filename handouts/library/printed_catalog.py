"""The printed catalog, `output/catalog.pdf`: the front desk's index of the library.

Made from the catalog a build writes, so it lists exactly the documents on
the shelf: each once, with its code, its titles in every language, its
formats and its review status (render/catalog_page.py lays it out).
`catalog.json` lists it under "printed_catalog", with the digest of what it
was made from (the listing, the pipeline's code, the brand, its template
and styles); a build remakes it only when that changes, so a build with
nothing to do neither lays it out nor loads WeasyPrint. Only a build of
everything makes it: a build of one document cannot tell what else is there.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ..content.formats import FORMAT_LABELS, PRINTED_CATALOG
from ..problems import ContentError, Problem, error
from ..project import Project
from ..render.catalog_page import Listed
from .plan import Inputs

PRINTED = "catalog.pdf"
KEY = "printed_catalog"  # its entry in catalog.json


@dataclass(frozen=True)
class PrintedCatalog:
    """The entry catalog.json keeps for the printed catalog."""

    path: str
    pages: int
    bytes: int
    sha256: str
    documents: int  # how many it lists
    made_from: str


def listing(entries: list[dict]) -> tuple[Listed, ...]:
    """Each document of the catalog once, by code, from its files in every language."""
    by_slug: dict[str, list[dict]] = {}
    for entry in entries:
        by_slug.setdefault(entry["slug"], []).append(entry)
    listed = [_listed(slug, files) for slug, files in by_slug.items()]
    return tuple(sorted(listed, key=lambda item: (item.code is None, item.code or "", item.slug)))


def _listed(slug: str, files: list[dict]) -> Listed:
    languages = sorted({f["lang"] for f in files}, key=lambda lang: (lang != "en", lang))
    first = {lang: next(f for f in files if f["lang"] == lang) for lang in languages}
    english = first[languages[0]]
    made = {f["format"] for f in files}
    return Listed(
        code=english.get("code"),
        slug=slug,
        titles=tuple((lang, first[lang]["title"]) for lang in languages),
        audience=tuple(english.get("audience", ())),
        topics=tuple(english.get("topics", ())),
        formats=tuple([f for f in FORMAT_LABELS if f in made] + sorted(made - set(FORMAT_LABELS))),
        reviews=tuple((lang, first[lang]["status"], first[lang].get("next_review"))
                      for lang in languages),
    )


def made_from(listed: tuple[Listed, ...], inputs: Inputs) -> str:
    parts = {"listing": [asdict(item) for item in listed], "pipeline": inputs.pipeline,
             "shared": inputs.shared, "layout": inputs.layout(PRINTED_CATALOG)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def printed(project: Project, listed: tuple[Listed, ...], previous, inputs: Inputs,
            remake: bool) -> tuple[PrintedCatalog | None, dict[str, bytes], list[Problem]]:
    """The printed catalog's entry, the PDF to write if it had to be made again, and
    any problems. `previous` is its entry in the catalog on disk: kept if it was made
    from the same inputs, or if it may not (`remake` false) or cannot be made again."""
    before = _entry(previous)
    on_disk = before is not None and inputs.file(project.out / before.path) == before.sha256
    if not remake:
        return (before if on_disk else None), {}, []
    digest = made_from(listed, inputs)
    if on_disk and before is not None and before.made_from == digest:
        return before, {}, []
    made, data, problems = render_printed(listed, digest, project)
    if made is None:
        return (before if on_disk else None), {}, problems
    return made, {made.path: data}, problems


def _entry(value) -> PrintedCatalog | None:
    try:
        return PrintedCatalog(**value) if isinstance(value, dict) else None
    except TypeError:
        return None


def render_printed(listed: tuple[Listed, ...], digest: str,
                   project: Project) -> tuple[PrintedCatalog | None, bytes, list[Problem]]:
    """The printed catalog's PDF and its entry; or None and why it could not be made."""
    from ..content.brand import load_brand
    from ..render.catalog_page import layout_catalog
    from ..render.document import judge
    from ..render.fetcher import FileAccess
    from ..render.pdf import render_pdf

    try:
        brand = load_brand(project.brand)
    except ContentError as exc:
        return None, b"", list(exc.problems)
    from ..render.catalog_page import catalog_languages

    html = layout_catalog(listed, brand, project.layouts)
    typefaces = tuple(dict.fromkeys(brand.typeface_of(lang) for lang in
                                    ("en", *catalog_languages(listed))))
    access = FileAccess((project.templates, project.styles, *(t.folder for t in typefaces)),
                        brand.files)
    try:
        result = render_pdf(html, access, brand.typeface.family)
    except Exception as exc:  # noqa: BLE001 - the renderer's own failure: one line, no traceback
        return None, b"", [error(project.out / PRINTED, None, "not made: the renderer could not "
                                 f"lay out the printed catalog ({type(exc).__name__})")]
    problems = judge(result, project.out / PRINTED, "printed catalog", brand,
                     typefaces=tuple(t.family for t in typefaces))
    if any(p.is_error for p in problems):
        return None, b"", problems
    entry = PrintedCatalog(PRINTED, result.pages, len(result.data),
                           hashlib.sha256(result.data).hexdigest(), len(listed), digest)
    return entry, result.data, problems
