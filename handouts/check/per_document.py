"""What is checked of each document on its own: its words, phone numbers, structure,
review dates, pictures' descriptions, references, and clear communication and safety."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import replace
from pathlib import Path

from ..content.blocks import Blocks
from ..content.brand import Brand
from ..content.brand_parts import PLACEHOLDER
from ..content.documents import Document
from ..content.markup import markdown_to_html, sanitize
from ..content.resources import Library
from ..problems import ContentError, Problem, error, warning
from ..render.citations import resolve
from ..render.glyphs import glyph_problems
from ..render.source_lines import images_with_lines, place
from .accessibility import alt_text_problem
from .communication import (
    HEADED_LANGUAGES,
    call_without_number,
    has_picture,
    missing_steps,
    undefined_jargon,
)
from .readability import sections
from .safety import placed_blocks, safety_findings
from .wording import find_terms, passage, passages, terms_for

TITLE_LIMIT = 60  # characters
REVIEW_NOTICE = dt.timedelta(days=60)

PREAMBLE = re.compile(r"^(introduction|background|overview|history|about|introducción|"
                      r"antecedentes|historia|acerca de)\b", re.IGNORECASE)
PHONE_NUMBER = re.compile(r"(?<![\w-])(?:1[-. ])?\(?\d{3}\)?[-. ]\d{3}[-. ](?:\d{4}|[A-Z]{4})\b"
                          r"|\b1-8\d\d-[A-Z]{4}\b")
# Whole words: "Helpful side effects" is not a next step, "Who to call" is.
NEXT_STEP = re.compile(r"\b(?:next|contact|call|help|questions?|reach|what to do|get in touch|"
                       r"próximos pasos|qué hacer|contacto|llame|ayuda|preguntas?|comuníquese)\b",
                       re.IGNORECASE)


def word_problems(document: Document) -> list[Problem]:
    fm = document.front_matter
    found_in = [passage(fm.line(key), str(getattr(document.meta, key) or ""))
                for key in ("title", "subtitle", "summary")]
    found_in += passages(document.body_md, document.body_line)
    path = document.source.path
    return [error(path, f.line, f"'{f.text}': {_say_instead(document)} '{f.term.instead}'", "words",
                  **place(path, f.line, f.text))
            for f in find_terms(found_in, document.lang, document.meta.allow_terms)]


def allowed_term_problems(document: Document) -> list[Problem]:
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


def phone_number_problems(document: Document) -> list[Problem]:
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


def structure_problems(document: Document) -> list[Problem]:
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
    if document.lang not in HEADED_LANGUAGES:
        return found  # its headings are in words the check cannot read: said, not guessed
    if not parts or not NEXT_STEP.search(parts[-1].heading or ""):
        line = parts[-1].line if parts else document.body_line
        found.append(warning(path, line, "end with what to do next and whom to call, in a last "
                             'section such as "What to do next"', "next-step"))
    return found


def review_problems(document: Document, today: dt.date) -> list[Problem]:
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


def alt_text_problems(document: Document, body_html: str | None) -> list[Problem]:
    found = []
    html = body_html if body_html is not None else sanitize(markdown_to_html(document.body_md))
    for image, line in images_with_lines(document, html):
        problem = alt_text_problem(image.alt, image.src)
        if problem and image.alt:  # a missing alt is already a source error
            found.append(error(document.source.path, line, f"image '{image.src}' {problem}",
                               "alt-text"))
    return found


def reference_problems(document: Document, library: Library, blocks: Blocks, brand: Brand | None,
                images_root: Path | None = None) -> tuple[list[Problem], str | None]:
    """Citation and image problems, from the resolve stage the build uses, and what
    the typeface cannot draw (pictures' text too); the body's HTML when it resolves."""
    try:
        resolved = resolve(document, library, blocks, images_root)
    except ContentError as exc:
        return [ruled(p, "source") for p in exc.problems], None
    own = brand.in_language(document.lang) if brand is not None else None  # its typeface
    found = glyph_problems(resolved, own, images_root) if own is not None else []
    return [ruled(p, "typeface") for p in found], resolved.body_html


def clear_communication_problems(document: Document, body_html: str | None, blocks: Blocks,
                         brand: Brand | None) -> list[Problem]:
    path = document.source.path
    report = warning if document.meta.review.is_draft else error
    found = [report(path, f.line, f.message, "safety") for f in safety_findings(document)]
    found += [report(path, f.line, f.message, "jargon", **place(path, f.line, f.words))
              for f in undefined_jargon(document, blocks)]
    if document.lang in HEADED_LANGUAGES:
        found += [report(path, f.line, f.message, "steps")
                  for f in missing_steps(document, blocks)]
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


def draft_block_problems(document: Document, blocks: Blocks) -> list[Problem]:
    """An approved document prints as a draft while a block it places is one."""
    if document.meta.review.is_draft:
        return []
    drafts = {name: b for name in placed_blocks(document)
              if (b := blocks.get(name)) and b.review.is_draft}
    return [error(document.source.path, document.front_matter.line("review", "status"),
                  f"approved, but the {b.mark} block it places is still a draft: a clinician "
                  f"approves {b.path.name} first (until then it prints as a draft)", "reviewer")
            for b in drafts.values()]


def ruled(problem: Problem, rule: str) -> Problem:
    return problem if problem.rule else replace(problem, rule=rule)
