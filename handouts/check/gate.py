"""`make_docs.py check`: the plain-language, accessibility and governance gate.

Reads every source (and with `built`, the PDFs in the output folder) and
reports every finding with a rule id, before anything is printed:

    sources/x.md:14: warning[grade]: section "Risks" reads at grade 9.2 (aim 6, limit 8)

Nothing is rendered: the whole library checks in well under two seconds.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ..content.blocks import Blocks, SafetyBlock, load_blocks
from ..content.brand import PLACEHOLDER, Brand, Contact, load_brand
from ..content.documents import DocMeta, Document, closing_line, parse
from ..content.i18n import translation_problem
from ..content.markup import BLOCK_MARK, markdown_to_html, sanitize
from ..content.resources import Library, load_library
from ..content.sources import SourceFile, discover
from ..content.yamltext import YamlText, load_yaml
from ..library.outputs import read_catalog
from ..library.search import SYNONYMS, read_synonyms
from ..problems import ContentError, Problem, error, warning
from ..project import Project
from ..render.citations import CITATION, citation_keys, images_with_lines, place, resolve
from ..render.glyphs import glyph_problems
from .accessibility import alt_text_problem, pdf_problems
from .communication import (
    call_without_number,
    has_picture,
    jargon_before_definition,
    missing_steps,
    undefined_jargon,
)
from .readability import Score, Sentence, line_of_sentence, score, section_prose, sections
from .safety import placed_blocks, safety_findings
from .wording import find_terms, passage, passages, terms_for

GRADE_AIM, GRADE_LIMIT = 6, 8  # Flesch-Kincaid grade, English
EASE_AIM, EASE_LIMIT = 80, 70  # Fernández-Huerta, Spanish
SENTENCE_AIM = 20  # words, on average
# A grade swings with every word of a short section: under 30 words a section is
# held to the limit only, not the aim; under 10 no formula can judge it, and it
# is scored with its document only.
SECTION_MINIMUM = 30  # words
SECTION_FLOOR = 10  # words
TITLE_LIMIT = 60  # characters
REVIEW_NOTICE = dt.timedelta(days=60)
ACCESSED_LIMIT = dt.timedelta(days=365)

PREAMBLE = re.compile(r"^(introduction|background|overview|history|about|introducción|"
                      r"antecedentes|historia|acerca de)\b", re.IGNORECASE)
PHONE_NUMBER = re.compile(r"(?<![\w-])(?:1[-. ])?\(?\d{3}\)?[-. ]\d{3}[-. ](?:\d{4}|[A-Z]{4})\b"
                          r"|\b1-8\d\d-[A-Z]{4}\b")
# `![alt](src)`, as python-markdown reads it: the address up to a space or `)`.
# Whole words: "Helpful side effects" is not a next step, "Who to call" is.
NEXT_STEP = re.compile(r"\b(?:next|contact|call|help|questions?|reach|what to do|get in touch|"
                       r"próximos pasos|qué hacer|contacto|llame|ayuda|preguntas?|comuníquese)\b",
                       re.IGNORECASE)


@dataclass(frozen=True)
class CheckOptions:
    strict: bool = False  # warnings fail the check too
    built: bool = False  # also read the built PDFs back
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class DocumentSummary:
    path: Path
    slug: str
    lang: str
    measure: str  # "grade" (Flesch-Kincaid) or "ease" (Fernández-Huerta)
    score: float
    words: int
    warnings: int = 0
    errors: int = 0


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
    findings += [_ruled(p, "resources") for p in loaded.problems]
    placed = load_blocks(project.blocks)
    findings += [_ruled(p, "blocks") for p in placed.problems]
    blocks = placed.blocks
    discovered = discover(project.sources)
    findings += [_ruled(p, "source") for p in discovered.problems]

    documents: list[Document] = []
    complete: list[Document] = []  # front matter without a problem: its review can be judged
    for source in discovered.sources:
        try:
            complete.append(parse(source))
            documents.append(complete[-1])
        except ContentError as exc:
            # The front matter's problems are reported; the rest is still checked.
            salvaged = _salvaged(source)
            findings += [_ruled(p, "source") for p in exc.problems]  # title, summary: their own
            documents += [salvaged] if salvaged else []

    scores: dict[Path, Score] = {}
    for document in documents:
        problems, body_html = _references(document, loaded.library, blocks, brand)
        findings += problems
        findings += _words(document)
        findings += _allowed_terms(document)
        findings += _phone_numbers(document)
        findings += _structure(document)
        findings += _alt_text(document, body_html)
        findings += _clear_communication(document, body_html, blocks, brand)
        scores[document.source.path], found = _reading_level(document)
        findings += found
    for document in complete:
        findings += _review(document, options.today)
        findings += _draft_blocks(document, blocks)
    findings += _blocks(blocks, loaded.library, brand, options.today)
    findings += _translations(complete)
    findings += _codes(documents)
    findings += _resources(loaded.library, documents, blocks, options.today)
    findings += _synonyms(project.sources / SYNONYMS)
    if options.built:
        findings += _built(project)
    return CheckReport(tuple(findings), _summaries(documents, scores, findings), options.strict)


# -- reading level ---------------------------------------------------------------

def _reading_level(document: Document) -> tuple[Score, list[Problem]]:
    lang = document.lang
    found: list[Problem] = []
    blocks = [document.meta.summary]
    for section, section_blocks in section_prose(document.body_md, document.body_line):
        blocks += section_blocks
        section_score = score(section_blocks, lang)
        if section.heading and section_score.words >= SECTION_FLOOR:
            judged = _level_findings(document, section.line, f'section "{section.heading}"',
                                     section_score)
            enough = section_score.words >= SECTION_MINIMUM
            found += judged if enough else [f for f in judged if f.is_error]
    whole = score(blocks, lang)
    found += _level_findings(document, document.body_line, "the document", whole)
    if whole.average_sentence > SENTENCE_AIM:
        longest = whole.longest(2)
        found.append(warning(document.source.path, _line_of(document, longest[0].text),
                             f"sentences average {whole.average_sentence:.1f} words (aim under "
                             f"{SENTENCE_AIM}); longest: {_named(document, longest)}",
                             "sentence-length"))
    return whole, found


def _level_findings(document: Document, line: int, what: str, result: Score) -> list[Problem]:
    if result.lang == "es":
        ease = result.value
        if ease >= EASE_AIM:
            return []
        severity = error if ease < EASE_LIMIT else warning
        message = (f"{what} reads at Fernández-Huerta {ease:.1f} "
                   f"(aim {EASE_AIM}, limit {EASE_LIMIT})")
    else:
        grade = result.value
        if grade <= GRADE_AIM:
            return []
        severity = error if grade > GRADE_LIMIT else warning
        message = f"{what} reads at grade {grade:.1f} (aim {GRADE_AIM}, limit {GRADE_LIMIT})"
    longest = result.longest(1)
    if longest:
        message += f"; longest sentence: {_named(document, longest)}"
    return [severity(document.source.path, line, message, "grade")]


def _named(document: Document, sentences: list[Sentence]) -> str:
    """Sentences as a writer can find them: their first words, as many as tell
    them apart, and the line each starts on."""
    clips = _clips([s.text for s in sentences])
    return "; ".join(f'"{clip}" (line {_line_of(document, s.text)}, {s.words} words)'
                     for clip, s in zip(clips, sentences, strict=False))


def _clips(texts: list[str], words: int = 12) -> list[str]:
    longest = max((len(t.split()) for t in texts), default=0)
    while words < longest and len({_clip(t, words) for t in texts}) < len(texts):
        words += 4
    return [_clip(t, words) for t in texts]


def _clip(text: str, words: int) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")


def _line_of(document: Document, sentence: str) -> int:
    """The line where a sentence starts: in the body, else the summary it may come from."""
    line = line_of_sentence(document.body_md, document.body_line, sentence)
    if line is not None:
        return line
    if " ".join(sentence.split()).rstrip(".") in " ".join(document.meta.summary.split()):
        return document.front_matter.line("summary")
    return document.body_line


# -- words, structure, review, images --------------------------------------------

def _words(document: Document) -> list[Problem]:
    fm = document.front_matter
    found_in = [passage(fm.line(key), str(getattr(document.meta, key) or ""))
                for key in ("title", "subtitle", "summary")]
    found_in += passages(document.body_md, document.body_line)
    path = document.source.path
    return [error(path, f.line, f"'{f.text}': {_say_instead(document)} '{f.term.instead}'", "words",
                  **place(path, f.line, f.text))
            for f in find_terms(found_in, document.lang, document.meta.allow_terms)]


def _allowed_terms(document: Document) -> list[Problem]:
    """An allow_terms entry that names no term allows nothing: a typo, or another language's."""
    fm, known = document.front_matter, [t.name for t in terms_for(document.lang)]
    written = fm.data.get("allow_terms") if isinstance(fm.data, dict) else None
    found = []
    names = written if isinstance(written, list) else document.meta.allow_terms
    for index, name in enumerate(names):
        if isinstance(name, str) and name.strip().lower() not in {k.lower() for k in known}:
            close = difflib.get_close_matches(name.strip().lower(), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
            found.append(warning(document.source.path, fm.line("allow_terms", index),
                                 f"allow_terms: '{name}' is not a term check looks for in "
                                 f"'{document.lang}' text ({hint})", "allow-terms"))
    return found


def _phone_numbers(document: Document) -> list[Problem]:
    """Safety lines come from the brand file, never retyped where they could go stale."""
    found = []
    for offset, line in enumerate(document.body_md.split("\n")):
        for number in PHONE_NUMBER.finditer(line):
            found.append(error(document.source.path, document.body_line + offset,
                               f"'{number.group()}': phone numbers live in _brand.yml; write "
                               "[[crisis-lines]] or [[contact]] on a line of its own to print "
                               "them here", "safety-lines", column=number.start() + 1,
                               width=len(number.group())))
    return found


def _say_instead(document: Document) -> str:
    return "escriba" if document.lang == "es" else "say"


def _structure(document: Document) -> list[Problem]:
    path, meta, fm = document.source.path, document.meta, document.front_matter
    found: list[Problem] = []
    if len(meta.title) >= TITLE_LIMIT:
        found.append(warning(path, fm.line("title"), f"the title is {len(meta.title)} characters; "
                             f"keep it under {TITLE_LIMIT}", "title-length"))
    summary_words = len(meta.summary.split())
    if summary_words > 45:
        found.append(warning(path, fm.line("summary"), f"the summary, printed as the main message, "
                             f"is {summary_words} words: say it in one or two short sentences",
                             "main-message"))
    parts = [s for s in sections(document.body_md, document.body_line) if s.heading]
    if parts and PREAMBLE.match(parts[0].heading or ""):
        found.append(warning(path, parts[0].line, f'the first section, "{parts[0].heading}", is a '
                             "preamble: open with the main message", "main-message"))
    previous = 1
    for part in parts:
        if part.level == 1:
            found.append(warning(path, part.line, "use ## for sections: the title is the page's "
                                 "only top-level heading", "headings"))
        elif part.level > 3:
            found.append(warning(path, part.line, "more than three heading levels (title, ##, ###)",
                                 "headings"))
        elif part.level > previous + 1:
            found.append(warning(path, part.line, f"heading level jumps from {previous} to "
                                 f"{part.level}", "headings"))
        previous = part.level
    if not parts or not NEXT_STEP.search(parts[-1].heading or ""):
        line = parts[-1].line if parts else document.body_line
        found.append(warning(path, line, "end with what to do next and whom to call, in a last "
                             'section such as "What to do next"', "next-step"))
    return found


def _review(document: Document, today: dt.date) -> list[Problem]:
    path, review, fm = document.source.path, document.meta.review, document.front_matter
    found: list[Problem] = []
    if review.next_review:
        line = fm.line("review", "next_review")
        if review.next_review < today:
            found.append(error(path, line, f"review was due on {review.next_review.isoformat()}",
                               "review-due"))
        elif review.next_review - today <= REVIEW_NOTICE:
            days = (review.next_review - today).days
            found.append(warning(path, line, f"review is due in {days} days "
                                 f"({review.next_review.isoformat()})", "review-due"))
    if review.status == "approved" and document.lang != "en" and not review.translation_reviewed_by:
        found.append(error(path, fm.line("review", "status"), "an approved translation needs "
                           "'translation_reviewed_by': the qualified medical translator who "
                           "reviewed it", "reviewer"))
    if review.status == "approved":
        for key in ("reviewed_by", "reviewed_on"):
            if not getattr(review, key):
                found.append(error(path, fm.line("review", "status"), f"approved without "
                                   f"'{key}': say who approved it and when", "reviewer"))
        if not review.next_review:
            found.append(warning(path, fm.line("review", "status"), "approved without a "
                                 "'next_review' date", "review-due"))
    return found


def _alt_text(document: Document, body_html: str | None) -> list[Problem]:
    found = []
    html = body_html if body_html is not None else sanitize(markdown_to_html(document.body_md))
    for image, line in images_with_lines(document, html):
        problem = alt_text_problem(image.alt, image.src)
        if problem and image.alt:  # a missing alt is already a source error
            found.append(error(document.source.path, line, f"image '{image.src}' {problem}",
                               "alt-text"))
    return found


def _references(document: Document, library: Library, blocks: Blocks, brand: Brand | None,
                images_root: Path | None = None) -> tuple[list[Problem], str | None]:
    """Citation and image problems, from the resolve stage the build uses, and what
    the typeface cannot draw (pictures' text too); the body's HTML when it resolves."""
    try:
        resolved = resolve(document, library, blocks, images_root)
    except ContentError as exc:
        return [_ruled(p, "source") for p in exc.problems], None
    found = glyph_problems(resolved, brand, images_root) if brand is not None else []
    return [_ruled(p, "typeface") for p in found], resolved.body_html


# -- clear communication and safety: errors once approved, warnings while a draft ------

def _clear_communication(document: Document, body_html: str | None, blocks: Blocks,
                         brand: Brand | None) -> list[Problem]:
    path = document.source.path
    report = warning if document.meta.review.is_draft else error
    found = [report(path, f.line, f.message, "safety") for f in safety_findings(document)]
    found += [report(path, f.line, f.message, "jargon", **place(path, f.line, f.words))
              for f in undefined_jargon(document, blocks)]
    found += [report(path, f.line, f.message, "steps") for f in missing_steps(document, blocks)]
    if brand is not None:
        phone = brand.in_language(document.lang).contact.phone
        found += [report(path, f.line, f.message, "call")
                  for f in call_without_number(document, phone,
                                               bool(phone and PLACEHOLDER.match(phone)))]
    if not has_picture(body_html, document, blocks):
        # A warning even once approved: a picture helps, but its lack harms no one.
        found.append(warning(path, document.body_line, "no picture: add one that shows the main "
                             "message or how to do a step (a nasal spray, a locked box, a "
                             "calendar), with alt text", "visual"))
    return found


def _draft_blocks(document: Document, blocks: Blocks) -> list[Problem]:
    """An approved document prints as a draft while a block it places is one."""
    if document.meta.review.is_draft:
        return []
    drafts = {name: b for name in placed_blocks(document)
              if (b := blocks.get(name)) and b.review.is_draft}
    return [error(document.source.path, document.front_matter.line("review", "status"),
                  f"approved, but the {b.mark} block it places is still a draft: a clinician "
                  f"approves {b.path.name} first (until then it prints as a draft)", "reviewer")
            for b in drafts.values()]


# -- safety blocks: each checked once, in its own file, in each language -----------------

def _blocks(blocks: Blocks, library: Library, brand: Brand | None,
            today: dt.date) -> list[Problem]:
    found: list[Problem] = []
    for block in blocks.entries.values():
        found += _review(_block_document(block, "en"), today)
        for lang in block.texts:
            found += _block_text(block, lang, blocks, library, brand)
    return found


def _block_text(block: SafetyBlock, lang: str, blocks: Blocks, library: Library,
                brand: Brand | None) -> list[Problem]:
    document = _block_document(block, lang)
    path, text = block.path, block.texts[lang]
    report = warning if block.review.is_draft else error
    problems, body_html = _references(document, library, blocks, brand,
                                      images_root=blocks.folder.parent)
    found = [*problems, *_words(document), *_phone_numbers(document),
             *_alt_text(document, body_html)]
    found += _reading_level(document)[1]
    own = [(part, True) for part in passages(text.markdown, text.line)]
    found += [report(path, line, f"'{words}' is a medical word: a block is read wherever it is "
                     "placed, so explain it in the block, the first time", "jargon")
              for line, _, words in jargon_before_definition(own, lang)]
    found += [report(path, f.line, f.message, "steps")
              for f in missing_steps(document, blocks, required=False)]
    for offset, line in enumerate(text.markdown.split("\n")):
        for mark in BLOCK_MARK.finditer(line):
            if blocks.get(mark[1]) is not None:
                found.append(error(path, text.line + offset, f"{mark.group()}: a block cannot "
                                   "place another block", "blocks"))
    if lang != "en" and not block.review.is_draft and not text.translation_reviewed_by:
        found.append(error(path, block.front_matter.line(lang), f"approved, but its '{lang}' "
                           "text has no 'translation_reviewed_by': a qualified medical "
                           "translator reviews it first", "reviewer"))
    return found


def _block_document(block: SafetyBlock, lang: str) -> Document:
    """A block's text in one language, read as a document of its own, at its own lines."""
    text = block.texts[lang]
    source = SourceFile(block.path, block.name, lang, text.markdown, "")
    meta = DocMeta(title=block.title, summary="", review=block.review)
    return Document(source, meta, text.markdown, text.line, block.front_matter)


# -- across documents ---------------------------------------------------------------

def _translations(documents: list[Document]) -> list[Problem]:
    return [p for p in map(translation_problem, documents) if p]


def _codes(documents: list[Document]) -> list[Problem]:
    by_code: defaultdict[str, set[str]] = defaultdict(set)
    for document in documents:
        if document.meta.code:
            by_code[document.meta.code].add(document.slug)
    found = []
    for document in documents:
        others = by_code.get(document.meta.code or "", set()) - {document.slug}
        if others:
            found.append(error(document.source.path, document.front_matter.line("code"),
                               f"code {document.meta.code} is also used by "
                               f"{', '.join(sorted(others))}", "duplicate-code"))
    return found


def _resources(library: Library, documents: list[Document], blocks: Blocks,
               today: dt.date) -> list[Problem]:
    used: Counter[str] = Counter()
    for document in documents:
        used.update(document.meta.resources)
    cited_in = [d.body_md for d in documents]
    cited_in += [t.markdown for b in blocks.entries.values() for t in b.texts.values()]
    used.update(key for text in cited_in for match in CITATION.finditer(text)
                for key in citation_keys(match.group(1)))
    found = []
    for key, resource in library.entries.items():
        if resource.accessed and today - resource.accessed > ACCESSED_LIMIT:
            found.append(warning(library.path, resource.line, f"'{key}' was last checked on "
                                 f"{resource.accessed.isoformat()}: open it, check it still says "
                                 "what we cite it for, and update 'accessed'", "resource-accessed"))
        if not used[key]:
            found.append(warning(library.path, resource.line,
                                 f"'{key}' is not used by any document",
                                 "unused-resource"))
    return found


def _synonyms(path: Path) -> list[Problem]:
    """The search's synonyms are reviewed like content: a wrong group sends staff to
    the wrong handout. Until a clinician approves them, `check` says so."""
    synonyms, problems = read_synonyms(path)
    found = [_ruled(p, "synonyms") for p in problems]
    if path.is_file() and synonyms.draft and not problems:
        found.append(warning(path, load_yaml(path.read_text("utf-8"), path).line("review"),
                             "the synonyms staff search by are a draft: a clinician or "
                             "pharmacist checks each group, then sets review: status: approved",
                             "synonyms"))
    return found


# -- brand and built PDFs --------------------------------------------------------------

def _brand(project: Project, findings: list[Problem]) -> Brand | None:
    try:
        brand = load_brand(project.brand)
    except ContentError as exc:
        findings += [_ruled(p, "brand") for p in exc.problems]
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


def _summaries(documents: list[Document], scores: dict[Path, Score],
               findings: list[Problem]) -> tuple[DocumentSummary, ...]:
    counts = Counter((f.path, f.severity) for f in findings)
    return tuple(
        DocumentSummary(
            path=d.source.path, slug=d.slug, lang=d.lang,
            measure="ease" if d.lang == "es" else "grade",
            score=scores[d.source.path].value, words=scores[d.source.path].words,
            warnings=counts[(d.source.path, "warning")], errors=counts[(d.source.path, "error")],
        )
        for d in documents
    )


def _ruled(problem: Problem, rule: str) -> Problem:
    return problem if problem.rule else replace(problem, rule=rule)


# -- what can be checked of a source whose front matter has a problem -----------------

def _salvaged(source: SourceFile) -> Document | None:
    """The source's body, and what of its front matter can be read: its words and
    reading level are still checked, and the resources it cites still count as used."""
    split = _split(source.text)
    if split is None:
        return None  # empty, or no telling where the front matter ends
    front_matter, body, body_line = split
    try:
        fm = load_yaml(front_matter, source.path, first_line=2)
    except ContentError:  # already reported, by parse
        fm = YamlText({}, source.path, 2)
    data = fm.data if isinstance(fm.data, dict) else {}
    meta = DocMeta(title=_plain(data.get("title")), summary=_plain(data.get("summary")),
                   subtitle=_plain(data.get("subtitle")) or None,
                   code=_plain(data.get("code")) or None,
                   resources=_names(data.get("resources")),
                   allow_terms=_names(data.get("allow_terms")))
    return Document(source, meta, body, body_line, fm)


def _split(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, body's first line), as documents.split_front_matter
    splits, but for YAML that may not parse; a file with no front matter is all body."""
    lines = text.split("\n")
    if not text.strip():
        return None
    if lines[0].strip() != "---":
        return "", text, 1
    end = closing_line(lines)
    if end is None:
        return None
    return "\n".join(lines[1:end]), "\n".join(lines[end + 1:]), end + 2


def _plain(value) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int, float)) else ""


def _names(value) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(item.strip() for item in items if isinstance(item, str) and item.strip())
