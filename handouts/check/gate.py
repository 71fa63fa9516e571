"""`make_docs.py check`: the plain-language, accessibility and governance gate.

Reads every source (and with `built`, the PDFs in the output folder) and
reports every finding with a rule id, before anything is printed:

    sources/x.md:14: warning[grade]: section "Risks" reads at grade 9.2 (aim 6, limit 8)

Nothing is rendered: the whole library checks in well under two seconds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..content.blocks import load_blocks
from ..content.brand import Brand, load_brand
from ..content.brand_parts import PLACEHOLDER, Contact
from ..content.documents import Document, parse
from ..content.resources import load_library
from ..content.sources import discover
from ..content.yamltext import YamlText, load_yaml
from ..library.outputs import read_catalog
from ..library.search import SYNONYMS
from ..problems import ContentError, Problem, error, warning
from ..project import Project
from .accessibility import pdf_problems
from .communication import CALL_US, HEADED_LANGUAGES, JARGON
from .library_wide import (
    block_problems,
    code_problems,
    resource_problems,
    synonym_problems,
    translation_problems,
)
from .per_document import (
    allowed_term_problems,
    alt_text_problems,
    clear_communication_problems,
    draft_block_problems,
    phone_number_problems,
    reference_problems,
    review_problems,
    ruled,
    structure_problems,
    word_problems,
)
from .readability import LENGTH, Score, measure_of, unit_of
from .reading_level import reading_level
from .salvage import salvaged
from .wording import TERMS


@dataclass(frozen=True)
class CheckOptions:
    strict: bool = False  # warnings fail the check too
    built: bool = False  # also read the built PDFs back
    today: dt.date = field(default_factory=dt.date.today)
    # Only these sources' own rules (a live preview's one document); empty: every
    # source's. The rules across the library still read every source.
    only: frozenset[Path] = frozenset()


@dataclass(frozen=True)
class DocumentSummary:
    path: Path
    slug: str
    lang: str
    measure: str  # "grade" (Flesch-Kincaid), "ease" (Fernández-Huerta) or "sentence-length"
    score: float  # for sentence-length, the average sentence, in `unit`
    words: int  # in `unit`
    warnings: int = 0
    errors: int = 0
    unit: str = "words"  # or "characters", for a script written without spaces
    not_checked: tuple[str, ...] = ()  # the measures that do not apply in its language

    @property
    def reading(self) -> str:
        """"grade 4.2", "ease 87.1", or "12.5 characters a sentence" where no formula applies."""
        if self.measure == "sentence-length":
            return f"{self.score:.1f} {self.unit} a sentence"
        return f"{self.measure} {self.score:.1f}"


@dataclass(frozen=True)
class CheckReport:
    findings: tuple[Problem, ...]
    documents: tuple[DocumentSummary, ...]
    strict: bool = False

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def exit_code(self) -> int:
        return 1 if self.errors or (self.strict and self.warnings) else 0

    def to_json(self) -> str:
        return json.dumps({
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [{"path": str(f.path), "line": f.line, "severity": f.severity,
                          "rule": f.rule, "message": f.message} for f in self.findings],
            "documents": [{**vars(d), "path": str(d.path)} for d in self.documents],
        }, indent=2, ensure_ascii=False)


def check(project: Project, options: CheckOptions = CheckOptions()) -> CheckReport:
    findings: list[Problem] = []
    brand = _brand(project, findings)
    loaded = load_library(project.resources)
    findings += [ruled(p, "resources") for p in loaded.problems]
    placed = load_blocks(project.blocks)
    findings += [ruled(p, "blocks") for p in placed.problems]
    blocks = placed.blocks
    discovered = discover(project.sources)
    findings += [ruled(p, "source") for p in discovered.problems]

    documents: list[Document] = []
    complete: list[Document] = []  # front matter without a problem: its review can be judged
    for source in discovered.sources:
        try:
            complete.append(parse(source))
            documents.append(complete[-1])
        except ContentError as exc:
            # The front matter's problems are reported; the rest is still checked.
            kept = salvaged(source)
            findings += [ruled(p, "source") for p in exc.problems]  # title, summary: their own
            documents += [kept] if kept else []

    scores: dict[Path, Score] = {}
    checked = [d for d in documents if not options.only or d.source.path in options.only]
    for document in checked:
        problems, body_html = reference_problems(document, loaded.library, blocks, brand)
        findings += problems
        findings += word_problems(document)
        findings += allowed_term_problems(document)
        findings += phone_number_problems(document)
        findings += structure_problems(document)
        findings += alt_text_problems(document, body_html)
        findings += clear_communication_problems(document, body_html, blocks, brand)
        scores[document.source.path], found = reading_level(document)
        findings += found
    for document in complete:
        findings += review_problems(document, options.today)
        findings += draft_block_problems(document, blocks)
    findings += block_problems(blocks, loaded.library, brand, options.today)
    findings += translation_problems(complete)
    findings += code_problems(documents)
    findings += resource_problems(loaded.library, documents, blocks, options.today)
    findings += synonym_problems(project.sources / SYNONYMS)
    if options.built:
        findings += _built(project)
    return CheckReport(tuple(findings), _summaries(checked, scores, findings), options.strict)


# -- brand and built PDFs --------------------------------------------------------------

def _brand(project: Project, findings: list[Problem]) -> Brand | None:
    try:
        brand = load_brand(project.brand)
    except ContentError as exc:
        findings += [ruled(p, "brand") for p in exc.problems]
        return None
    lines = load_yaml(project.brand.read_text("utf-8"), project.brand)
    findings += _placeholders(project.brand, brand, lines)  # contrast: load_brand refuses it
    return brand


def _placeholders(path: Path, brand: Brand, lines: YamlText) -> list[Problem]:
    """One warning per contact detail still in [brackets], in any language: a
    Spanish handout prints its own placeholder. It points at the first one's line."""
    found = []
    for name in (f.name for f in fields(Contact)):
        keys = ("defaults", "handouts", "contact", name)
        waiting = [(lang, value) for lang, texts in brand.texts.items()
                   if (value := getattr(texts.contact, name)) and PLACEHOLDER.match(value)
                   and (lang == "en" or (*keys, lang) in lines.lines)]  # not English filling a gap
        if waiting:
            values = ", ".join(f"{value} ({lang})" for lang, value in waiting)
            found.append(warning(path, lines.line(*keys, waiting[0][0]),
                                 f"contact {name} is still a placeholder: {values}", "placeholder"))
    return found


def _built(project: Project) -> list[Problem]:
    found = []
    catalog = read_catalog(project.out)
    if not catalog:
        return [error(project.out / "catalog.json", None, "no built PDFs to check: run "
                      "make_docs.py build first", "pdf")]
    for entry in catalog.values():
        path = project.out / entry["path"]
        if not path.is_file():
            found.append(error(path, None, "listed in catalog.json but missing", "pdf"))
            continue
        found += [error(path, None, message, rule) for rule, message in pdf_problems(path)]
    return found


def not_checked(lang: str) -> tuple[str, ...]:
    """What the check cannot judge in `lang`, said plainly rather than passed in silence:
    the word lists and the reading-level formulas exist for English and Spanish only."""
    missing = []
    if measure_of(lang) == LENGTH:
        missing.append("reading-level formula (sentence and paragraph length instead)")
    if lang not in TERMS:
        missing.append("NIDA's words that respect people")
    if lang not in JARGON:
        missing.append("medical words explained")
    if lang not in CALL_US:
        missing.append("'call us' beside the clinic's number")
    if lang not in HEADED_LANGUAGES:
        missing.append("a last section on what to do next, with numbered steps")
    return tuple(missing)


def _summaries(documents: list[Document], scores: dict[Path, Score],
               findings: list[Problem]) -> tuple[DocumentSummary, ...]:
    counts = Counter((f.path, f.severity) for f in findings)
    return tuple(
        DocumentSummary(
            path=d.source.path, slug=d.slug, lang=d.lang,
            measure=measure_of(d.lang),
            score=scores[d.source.path].value, words=scores[d.source.path].words,
            warnings=counts[(d.source.path, "warning")], errors=counts[(d.source.path, "error")],
            unit=unit_of(d.lang), not_checked=not_checked(d.lang),
        )
        for d in documents
    )


