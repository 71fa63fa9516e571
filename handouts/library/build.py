"""Stage 6, build: decide what is stale, render it, then write it all.

Like MkDocs, a build reads and validates before it writes: the documents to
render are all read, laid out and rendered first, and only then written,
each atomically, so an interrupted build never leaves a truncated PDF and a
failed document keeps its last good one. The build is incremental (see
`plan`): only what changed is rendered, and a build with nothing to do
imports none of the heavy stages. `output/catalog.json` lists every built
file; `output/.manifest.json` remembers what each was made from.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..content.formats import FORMAT_NAMES
from ..content.sources import DEFAULT_LANG, SOURCE_NAME, SourceFile, discover
from ..problems import ContentError, Problem, UsageError
from ..project import BRAND_CARD, BuildRequest, Project
from .outputs import (
    CATALOG,
    MANIFEST,
    CatalogEntry,
    Change,
    OutputError,
    apply,
    catalog_value,
    json_text,
    locked,
    read_catalog,
    read_json,
    read_text,
)
from .plan import (
    Manifest,
    Plan,
    Record,
    TranslationCheck,
    inputs_for,
    make_plan,
    shared_files,
    source_keys,
)
from .search import (
    INDEX,
    SYNONYMS,
    IndexedDocument,
    Synonyms,
    body_of,
    index_bytes,
    index_digest,
    indexed_digest,
    read_synonyms,
)


@dataclass(frozen=True)
class BuildReport:
    written: tuple[CatalogEntry, ...]
    problems: tuple[Problem, ...]
    failed: tuple[str, ...] = ()  # source files that did not build
    up_to_date: int = 0  # files left as they were
    seconds: float = 0.0
    strict: bool = False
    peak_memory_kb: int = 0

    @property
    def exit_code(self) -> int:
        fatal = [p for p in self.problems if p.is_error or self.strict]
        return 1 if fatal or self.failed else 0


EVERYTHING = BuildRequest()  # every source, each in its own formats


def build(project: Project, request: BuildRequest = EVERYTHING,
          progress: Callable[[str, int, int], None] | None = None,
          waiting: Callable[[], None] = lambda: None) -> BuildReport:
    started = time.perf_counter()
    check_formats(request.formats)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    if not project.brand.is_file():
        raise UsageError(f"brand file not found: {project.brand}")
    if project.out.exists() and not project.out.is_dir():
        raise UsageError(f"the output folder is a file: {project.out}")
    with locked(project.out, waiting):
        manifest = Manifest.load(project.out)
        discovered = discover(project.sources)
        check_slugs(discovered, request)
        selected = [s for s in discovered.sources if wanted(s.path, request)]
        problems = [p for p in discovered.problems if wanted(p.path, request)]
        failed = [p.path.name for p in problems]
        inputs = inputs_for(project, request, manifest.shared)
        stale_translations, translations = translation_problems(
            selected, discovered, manifest.translations, inputs.pipeline)
        problems += stale_translations
        if request.strict:  # warnings fail too: a stale translation keeps its last PDF
            held = {p.path for p in stale_translations}
            selected = [s for s in selected if s.path not in held]
            failed += [path.name for path in held]

        plan = make_plan(project, request, manifest, inputs, selected)
        rendered, shared = None, manifest.shared
        if plan.stale or plan.brand_card:
            rendered, shared, plan = render_plan(project, request, manifest, plan, selected,
                                                 progress)
            problems += rendered.problems
            failed += rendered.failed
        synonyms, synonym_problems = read_synonyms(project.sources / SYNONYMS)
        problems += synonym_problems
        written, unwritten = write(project.out, request, manifest, plan, rendered, shared,
                                   discovered, SearchWords(synonyms, project), translations)
        problems += unwritten
    return BuildReport(
        written=tuple(written), problems=tuple(problems), failed=tuple(failed),
        up_to_date=len(plan.fresh), seconds=time.perf_counter() - started,
        strict=request.strict, peak_memory_kb=rendered.peak_memory_kb if rendered else 0,
    )


def check_formats(names: tuple[str, ...]) -> None:
    for name in names:
        if name not in FORMAT_NAMES:
            raise UsageError(f"unknown format '{name}' (known: {', '.join(FORMAT_NAMES)})")


def check_slugs(discovered, request: BuildRequest) -> None:
    known = {s.slug for s in discovered.sources} | {slug_of(p.path) for p in discovered.problems}
    for slug in request.slugs:
        if slug not in known and slug != BRAND_CARD:
            raise UsageError(f"no source named '{slug}' (see: make_docs.py list)")


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


def render_plan(project: Project, request: BuildRequest, manifest: Manifest, plan: Plan,
                selected: list[SourceFile], progress):
    """Load the brand and render what the plan says, with the heavy stages."""
    # Read through the caches: a long `watch` or `preview` parses them again only
    # when they change (a build's own process reads each once either way).
    from ..content.blocks import read_blocks
    from ..content.brand import read_brand
    from ..content.i18n import untranslated_problems
    from ..content.resources import read_library
    from .jobs import Rendered, render_sources

    try:
        brand = read_brand(project.brand)
    except ContentError as exc:
        return Rendered((), exc.problems, ()), manifest.shared, plan
    shared = shared_files(brand)
    inputs = inputs_for(project, request, shared)
    if shared != manifest.shared:  # the brand now uses other files: re-plan with them
        plan = make_plan(project, request, replace(manifest, shared=shared), inputs, selected)
    loaded = read_library(project.resources)
    placed = read_blocks(project.blocks)
    rendered = render_sources(list(plan.stale), loaded.library, placed.blocks, brand, project,
                              request, inputs, progress, only=plan.only, card=plan.brand_card)
    languages = {source.lang for source in plan.stale}
    problems = (*loaded.problems, *placed.problems, *untranslated_problems(languages, brand),
                *rendered.problems)
    return replace(rendered, problems=problems), shared, plan


def translation_problems(selected: list[SourceFile], discovered,
                         remembered: dict[str, TranslationCheck], pipeline: str,
                         ) -> tuple[list[Problem], dict[str, TranslationCheck]]:
    """Translations whose English has changed since: checked on every build, even a no-op;
    and what the manifest is to remember of each comparison (see TranslationCheck)."""
    by_path = {s.path: s for s in discovered.sources}
    keys = source_keys(s.path for s in discovered.sources if s.lang != DEFAULT_LANG)
    found, checked = [], {}
    for source in selected:
        if source.lang == DEFAULT_LANG:
            continue
        key = keys[source.path]
        try:
            problem, check = _compared(source, by_path, remembered.get(key), pipeline)
        except ContentError:
            continue  # reported when the source itself is rendered
        if check is not None:
            checked[key] = check
        if problem:
            found.append(problem)
    there = set(keys.values())
    kept = {key: check for key, check in remembered.items() if key in there}
    return found, {**kept, **checked}  # a build of some languages keeps the others'


def _compared(source: SourceFile, by_path: dict[Path, SourceFile],
              kept: TranslationCheck | None,
              pipeline: str) -> tuple[Problem | None, TranslationCheck | None]:
    """The translation `source` compared with its English, as discovered: the answer
    remembered, if it was for these same files and code (so a build with nothing to do
    parses no Markdown), or found again. An English that cannot be read is not
    remembered: it is compared again each time."""
    english = by_path.get(source.path.with_name(f"{source.slug}.md"))
    if english is not None and kept is not None and kept.answers(source, english, pipeline):
        return kept.problem_at(source.path), kept
    from ..content.documents import parse
    from ..content.i18n import read_document, translation_problem

    def english_of(path: Path):
        return parse(by_path[path]) if path in by_path else read_document(path)

    problem = translation_problem(parse(source), english_of)
    if english is None:
        return problem, None
    return problem, TranslationCheck.of(source, english, pipeline, problem)


def write(out: Path, request: BuildRequest, manifest: Manifest, plan: Plan, rendered,
          shared: tuple[str, ...], discovered, words: SearchWords | None = None,
          translations: dict[str, TranslationCheck] | None = None,
          ) -> tuple[list[CatalogEntry], list[Problem]]:
    """Write the new files, and the catalog and manifest that describe them, as one change
    (see `outputs`): wherever the build stops, a catalog on disk lists exactly the files
    beside it. The catalog is made from the files as they will be on disk, so any build
    also mends one that no longer matches them. A folder that cannot take the change
    (read-only, full) is one problem, and nothing in it changes."""
    built = rendered.built if rendered else ()
    records = dict(manifest.records)
    records.update({item.record.path: item.record for item in built})
    removed = _gone(records, request, discovered)
    for path in removed:
        del records[path]
    files = {item.entry.path: item.data for item in built}
    catalog = {key: entry for key, entry in read_catalog(out).items()
               if _inside(entry.get("path")) and entry["path"] not in removed}
    catalog.update({(i.entry.format, i.entry.slug, i.entry.lang): asdict(i.entry) for i in built})
    value = catalog_value(out, catalog, files)
    problems: list[Problem] = []
    if words is not None:
        value, printed, problems = printed_catalog(words.project, value, shared,
                                                   remake=request.everything)
        files = {**files, **printed}
    text = json_text(value)
    # The search index is made from the catalog as written, in the same change.
    index = search_index(out, text, discovered, words) if words else None
    if index is not None:
        files = {**files, INDEX: index}
    change = Change(files, removed, catalog=_changed(out / CATALOG, text))
    translations = manifest.translations if translations is None else translations
    if built or removed or translations != manifest.translations:
        made = Manifest(records, shared, translations)
        change = replace(change, manifest=_changed(out / MANIFEST, json_text(made.to_json())))
    try:
        apply(out, change)
    except OutputError as exc:
        return [], [*problems, _unwritten(out, exc)]
    return [item.entry for item in built], problems


def printed_catalog(project: Project, catalog: dict, shared: tuple[str, ...],
                    remake: bool) -> tuple[dict, dict[str, bytes], list[Problem]]:
    """The catalog with the printed catalog's entry, and its PDF if it had to be made
    again (see printed_catalog.py): only a build of everything, which knows every
    document, makes it; any other keeps the one there. A catalog that lists nothing
    has none."""
    from .printed_catalog import KEY, listing, printed

    listed = listing(catalog["files"])
    if not listed:
        return catalog, {}, []
    entry, files, problems = printed(project, listed, read_json(project.out / CATALOG, KEY),
                                     inputs_for(project, EVERYTHING, shared), remake)
    if entry is None:
        return catalog, files, problems
    return {**catalog, KEY: asdict(entry)}, files, problems


def _gone(records: dict[str, Record], request: BuildRequest, discovered) -> tuple[str, ...]:
    """Files of sources that are gone: only a build of everything can tell."""
    if not request.everything:
        return ()
    sources = set(source_keys([*(s.path for s in discovered.sources),
                               *(p.path for p in discovered.problems)]).values())
    return tuple(path for path, record in records.items()
                 if record.source not in sources and not _is_brand(record))


def _inside(path) -> bool:
    """A catalog path the build may read: a file inside the output folder."""
    return isinstance(path, str) and not Path(path).is_absolute() and ".." not in Path(path).parts


@dataclass(frozen=True)
class SearchWords:
    """What the search index needs besides the catalog and the sources: the synonyms,
    and the project, whose safety blocks and brand give the words of `[[marks]]`."""

    synonyms: Synonyms
    project: Project


def mark_texts(project: Project) -> dict[str, dict[str, str]]:
    """The words each `[[mark]]` prints, by language: the safety blocks' and the brand's
    crisis lines and contact details. A block or brand that cannot be read gives none
    (the build reports it where it renders)."""
    from ..content.blocks import read_blocks
    from ..content.brand import read_brand

    texts = {name: {lang: f"{block.title} {text.markdown}" for lang, text in block.texts.items()}
             for name, block in read_blocks(project.blocks).blocks.entries.items()}
    try:
        brand = read_brand(project.brand)
    except ContentError:
        return texts
    for lang in brand.texts:
        own = brand.in_language(lang)
        texts.setdefault("crisis-lines", {})[lang] = " ".join(
            " ".join(filter(None, (line.name, line.action, line.details, line.when)))
            for line in own.crisis_lines)
        texts.setdefault("contact", {})[lang] = " ".join(value for _, value in own.contact.items())
    return texts


def search_index(out: Path, catalog: str, discovered, words: SearchWords) -> bytes | None:
    """The search index of what `catalog` lists, each document in each language once
    with the words of its body as it prints; None when the index in `out` was made from
    the same files (so a build with nothing to do reads no block and no brand)."""
    import json

    project = words.project
    made_from = index_digest([catalog.encode(), *sorted(f"{s.path.name} {s.digest}".encode()
                                                        for s in discovered.sources),
                              *(_read_bytes(path) or b"" for path in
                                (project.sources / SYNONYMS, project.brand,
                                 *sorted(project.blocks.glob("*.yml"))))])
    if indexed_digest(out / INDEX) == made_from:
        return None
    marks = mark_texts(project)
    bodies = {(s.slug, s.lang): body_of(s.text, s.lang, marks) for s in discovered.sources}
    seen: dict[tuple[str, str], IndexedDocument] = {}
    for entry in json.loads(catalog).get("files", []):
        key = (entry["slug"], entry["lang"])
        if key not in seen:
            seen[key] = IndexedDocument(entry["slug"], entry["lang"], entry["title"],
                                        entry.get("summary", ""), tuple(entry.get("topics", ())),
                                        bodies.get(key, ""))
    return index_bytes(seen.values(), words.synonyms, made_from)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _changed(path: Path, text: str) -> str | None:
    """`text`, or None if the file already holds it (a build with nothing to do writes nothing)."""
    return None if read_text(path) == text else text


def _unwritten(out: Path, exc: OutputError) -> Problem:
    then = ("the next build finishes the change" if exc.committed
            else "the output folder is as it was")
    return Problem(out / exc.relative, None, f"not written: {exc.reason}; {then}")


def _is_brand(record: Record) -> bool:
    return Path(record.path).stem == BRAND_CARD and record.format == "card"
