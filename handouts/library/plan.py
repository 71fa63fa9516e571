"""What a build must render: everything whose inputs changed since it was built.

The manifest (`output/.manifest.json`) remembers, for every built file, the
digest of its source and of everything else it was made from: the resources
it cites, its images, the safety blocks it places, the templates and partials its layout uses, its
stylesheets and their icons, the brand file and logos, the fonts, the
translation catalog, the print profile and the pipeline's own code. A file
whose record still matches, and which is still on disk as built, is up to
date. It also remembers each translation's last comparison with its English
(`TranslationCheck`), which every build reports. Deciding this reads no
Markdown and imports neither WeasyPrint nor the brand schema, so a build with
nothing to do returns at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from ..content.filecache import file_digest, reread_when_changed
from ..content.formats import FORMATS, Format
from ..content.sources import SourceFile
from ..problems import Problem
from ..project import BRAND_CARD, BuildRequest, Project
from .outputs import MANIFEST, read_json

PACKAGE = Path(__file__).resolve().parents[1]
# The code that shapes a PDF, by folder: reading the content and rendering a
# document, and the package's own top-level modules (the project, the problems).
# A module added there counts by itself; the library, the check, delivery, the
# app and the command line never change a PDF's bytes, so editing them rebuilds
# nothing.
SHAPING_FOLDERS = ("content", "render")


def shaping_modules() -> list[Path]:
    """The modules whose code can change what a built PDF holds (see SHAPING_FOLDERS)."""
    top = list(PACKAGE.glob("*.py"))
    inside = [p for folder in SHAPING_FOLDERS for p in (PACKAGE / folder).rglob("*.py")]
    return sorted(top + inside)


def shared_files(brand) -> tuple[str, ...]:
    """The files every output is made from: the brand file, its logos and the fonts."""
    faces = [face.path for typeface in brand.all_typefaces for face in typeface.faces]
    return tuple(str(p) for p in (*brand.files, *faces))


TEMPLATE_REFERENCE = re.compile(r"""{%-?\s*(?:include|extends|import|from)\s+["']([^"']+)["']""")
CSS_URL = re.compile(r"""url\(\s*["']?(?!data:)([^"')]+)["']?\s*\)""")


@dataclass(frozen=True)
class Record:
    """What the manifest remembers of one built file."""

    path: str  # relative to the output folder
    source: str  # the source file (the brand file for the clinic's own card)
    source_digest: str
    format: str
    lang: str
    wants: tuple[str, ...]  # every format its source asks for
    resources: tuple[str, ...]  # keys of the resources it cites
    images: tuple[str, ...]  # the images it shows
    blocks: tuple[str, ...]  # the files of the safety blocks it places
    inputs: str  # digest of everything but the source it was made from
    sha256: str  # of the file as written
    fit: tuple[float, bool] | None = None  # the re-layout it printed with (layout.Fit)


@dataclass(frozen=True)
class TranslationCheck:
    """What the manifest remembers of a translation's last comparison with its English:
    the same two files compared by the same code give the same answer, so a build
    parses only the translations that changed, or whose English did."""

    source_digest: str  # the translation's
    english_digest: str  # its English source's
    pipeline: str  # the code that compared them (Inputs.pipeline)
    problem: dict | None  # the Problem found, without its path; None: none

    def answers(self, source: SourceFile, english: SourceFile, pipeline: str) -> bool:
        return (self.source_digest, self.english_digest, self.pipeline) == (
            source.digest, english.digest, pipeline)

    def problem_at(self, path: Path) -> Problem | None:
        """The problem remembered, named by the path the build knows the source by."""
        return Problem(path, **self.problem) if self.problem is not None else None

    @classmethod
    def of(cls, source: SourceFile, english: SourceFile, pipeline: str,
           problem: Problem | None) -> TranslationCheck:
        kept = None
        if problem is not None:
            kept = {k: v for k, v in asdict(problem).items() if k != "path"}
        return cls(source.digest, english.digest, pipeline, kept)


@dataclass(frozen=True)
class Manifest:
    records: dict[str, Record] = field(default_factory=dict)  # by output path
    shared: tuple[str, ...] = ()  # brand, logo and font files every output is made from
    translations: dict[str, TranslationCheck] = field(default_factory=dict)  # by source path

    @classmethod
    def load(cls, out: Path) -> Manifest:
        data = read_json(out / MANIFEST, "manifest")
        if not isinstance(data, dict):
            return cls()
        try:
            records = {r["path"]: Record(**{**r, "wants": tuple(r["wants"]),
                                             "resources": tuple(r["resources"]),
                                             "images": tuple(r["images"]),
                                             "blocks": tuple(r["blocks"]),
                                             "fit": tuple(r["fit"]) if r.get("fit") else None})
                       for r in data["records"]}
            shared = tuple(data["shared"])
        except (KeyError, TypeError):
            return cls()  # a damaged manifest: everything is rebuilt
        return cls(records, shared, _translations(data.get("translations")))

    def to_json(self) -> dict:
        return {"manifest": {
            "shared": list(self.shared),
            "records": [asdict(record) for _, record in sorted(self.records.items())],
            "translations": [{"path": path, **asdict(check)}
                             for path, check in sorted(self.translations.items())],
        }}


def _translations(data) -> dict[str, TranslationCheck]:
    """The remembered comparisons; none if they are missing or damaged (each
    translation is then compared again)."""
    try:
        checks = {t["path"]: TranslationCheck(t["source_digest"], t["english_digest"],
                                              t["pipeline"], t["problem"]) for t in data}
        for check in checks.values():  # a problem that cannot be made again is damage
            check.problem_at(Path("."))
    except (KeyError, TypeError):
        return {}
    return checks


class Inputs:
    """Digests of what outputs are made from, each computed at most once a build."""

    def __init__(self, templates: Path, styles: Path, resources: Path, shared: tuple[str, ...],
                 print_shop: bool):
        self.templates, self.styles, self.resources = templates, styles, resources
        self.shared_files = shared
        self.print_shop = print_shop
        self._files: dict[Path, str] = {}
        self._layouts: dict[Format, str] = {}
        self._digests: dict[tuple, str] = {}

    def digest(self, fmt: Format, lang: str, resources: tuple[str, ...], images: tuple[str, ...],
               blocks: tuple[str, ...]) -> str:
        """The digest of everything but its source that a file is made from. Many files
        of a library share theirs (a format, a language, the same citations), so each is
        worked out once."""
        key = (fmt, lang, resources, images, blocks)
        if key not in self._digests:
            self._digests[key] = self._digest(fmt, lang, resources, images, blocks)
        return self._digests[key]

    def _digest(self, fmt: Format, lang: str, resources: tuple[str, ...], images: tuple[str, ...],
                blocks: tuple[str, ...]) -> str:
        parts = {
            "pipeline": self.pipeline,
            "shared": self.shared,
            "layout": self.layout(fmt),
            "locale": self.file(PACKAGE / "locale" / lang / "LC_MESSAGES" / "messages.po"),
            "resources": [self.resource(key) for key in resources],
            "images": [self.file(Path(image)) for image in images],
            "blocks": [self.file(Path(block)) for block in blocks],
            "print_shop": self.print_shop and fmt.bleeds,
        }
        return _sha(json.dumps(parts, sort_keys=True))

    @cached_property
    def pipeline(self) -> str:
        """The pipeline's own code and version: a new release, or a change to a module
        that shapes the PDFs, rebuilds everything."""
        from .. import __version__

        return _sha(__version__ + "".join(self.file(p) for p in shaping_modules()))

    @cached_property
    def shared(self) -> str:
        return _sha("".join(self.file(Path(p)) for p in self.shared_files))

    def layout(self, fmt: Format) -> str:
        """The digest of the format's templates, partials, stylesheets and icons: found by
        reading the templates and stylesheets, so once a format, not once a document."""
        if fmt not in self._layouts:
            files = self._templates_of(fmt) + self._styles_of(fmt)
            self._layouts[fmt] = _sha("".join(self.file(p) for p in files))
        return self._layouts[fmt]

    def _templates_of(self, fmt: Format) -> list[Path]:
        """The format's template and every partial it includes, extends or imports."""
        seen: list[Path] = []
        pending = [fmt.template]
        while pending:
            path = self.templates / pending.pop()
            if path in seen or not path.is_file():
                continue
            seen.append(path)
            pending += TEMPLATE_REFERENCE.findall(path.read_text("utf-8"))
        return sorted(seen)

    def _styles_of(self, fmt: Format) -> list[Path]:
        """The format's stylesheets and the files (icons) they refer to."""
        sheets = [self.styles / name for name in fmt.stylesheets]
        found = list(sheets)
        for sheet in sheets:
            if sheet.is_file():
                found += [sheet.parent / url for url in CSS_URL.findall(sheet.read_text("utf-8"))]
        return sorted(set(found))

    def resource(self, key: str) -> str:
        return _sha(json.dumps(self._library.get(key), sort_keys=True, default=str))

    @cached_property
    def _library(self) -> dict:
        return _library_data(self.resources)

    def file(self, path: Path) -> str:
        if path not in self._files:
            try:
                self._files[path] = file_digest(path)
            except OSError:
                self._files[path] = "missing"
        return self._files[path]


def up_to_date(record: Record, source: SourceFile, inputs: Inputs, out: Path) -> bool:
    """Whether the file a record describes can stay as it is."""
    fmt = FORMATS.get(record.format)
    if fmt is None or record.source_digest != source.digest:
        return False
    if record.inputs != inputs.digest(fmt, record.lang, record.resources, record.images,
                                      record.blocks):
        return False
    return inputs.file(out / record.path) == record.sha256


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    stale: tuple[SourceFile, ...]  # sources to read and render again
    only: dict[str, frozenset[str]]  # source path -> its only stale formats, if not all
    fresh: tuple[Record, ...]  # files that stay as they are
    brand_card: bool  # the clinic's own wallet card must be rendered


def wants_brand_card(request: BuildRequest) -> bool:
    """The clinic's own wallet card is built with the rest, from the brand alone."""
    return ((not request.slugs or BRAND_CARD in request.slugs)
            and (not request.formats or "card" in request.formats)
            and (not request.langs or "en" in request.langs))


def inputs_for(project: Project, request: BuildRequest, shared: tuple[str, ...]) -> Inputs:
    return Inputs(project.templates, project.styles, project.resources, shared, request.print_shop)


def make_plan(project: Project, request: BuildRequest, manifest: Manifest, inputs: Inputs,
              selected: list[SourceFile]) -> Plan:
    """Which sources must be rendered again, and which files can stay."""
    by_source: dict[str, list[Record]] = {}
    for record in manifest.records.values():
        by_source.setdefault(record.source, []).append(record)
    stale, only, fresh = [], {}, []
    keys = source_keys(source.path for source in selected)
    for source in selected:
        records = by_source.get(keys[source.path], [])
        current, missing = _split_records(records, source, request, inputs, project.out)
        fresh += current
        if missing is None or missing:
            stale.append(source)
            if missing:
                only[keys[source.path]] = missing
    card = wants_brand_card(request)
    if card and project.brand.is_file():
        brand_source = SourceFile(project.brand, BRAND_CARD, "en", "", file_digest(project.brand))
        current, missing = _split_records(by_source.get(str(project.brand.resolve()), []),
                                          brand_source, request, inputs, project.out)
        fresh += current
        card = missing is None or bool(missing)
    return Plan(tuple(stale), only, tuple(fresh), card)


def source_keys(paths: Iterable[Path]) -> dict[Path, str]:
    """`str(path.resolve())` of each path, as records name their sources; each folder is
    resolved once, and only a source that is itself a link on its own (resolving each
    path looks up every folder above it, for each of thousands of sources)."""
    folders: dict[Path, Path] = {}
    keys = {}
    for path in paths:
        if path.is_symlink():
            keys[path] = str(path.resolve())
            continue
        if path.parent not in folders:
            folders[path.parent] = path.parent.resolve()
        keys[path] = str(folders[path.parent] / path.name)
    return keys


def _split_records(records: list[Record], source: SourceFile, request: BuildRequest,
                   inputs: Inputs, out: Path) -> tuple[list[Record], frozenset[str] | None]:
    """A source's up-to-date files, and the formats to render again (None: all of them,
    as when the source itself changed). Files made from the source as it is now can stay,
    even when its others were made from an earlier version: a build of one format after
    an edit (`--format`, or the preview's format on screen) leaves just those."""
    made_from_this = [r for r in records if r.source_digest == source.digest]
    if request.force or not made_from_this:
        return [], None
    wants = [f for f in made_from_this[0].wants if f in FORMATS
             and (not request.formats or f in request.formats)]
    have = {r.format: r for r in made_from_this}
    current = [have[f] for f in wants if f in have and up_to_date(have[f], source, inputs, out)]
    return current, frozenset(wants) - {r.format for r in current}


def _read_library_data(resources: Path) -> dict:
    """The resource list as data, only to tell which entries changed: a list that
    cannot be read is reported by the resources stage, and here is empty."""
    import yaml

    from ..content.yamltext import BoundedLoader

    try:
        text = resources.read_text("utf-8")
        # The C loader is ten times faster, but only the bounded one is safe with
        # anchors: aliases can ask for gigabytes, or loop.
        loader = BoundedLoader if "&" in text else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(text, Loader=loader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError, ValueError, TypeError,
            RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


# Read again only when the file changes: a long-running process (the staff app, a
# packet for each family) asks for it on every request.
_library_data = reread_when_changed(_read_library_data)
