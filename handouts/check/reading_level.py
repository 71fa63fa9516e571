"""Reading-level findings: each section and the whole document scored (readability.py)
and held to the clinic's aim and limit, with the longest sentences named and placed.
A language with no reading-level formula is held to the length of its sentences and
paragraphs instead."""

from __future__ import annotations

from ..content.documents import Document
from ..problems import Problem, error, warning
from .readability import (
    LENGTH,
    Score,
    Sentence,
    counted,
    line_of_sentence,
    score,
    section_prose,
    unit_of,
)

GRADE_AIM, GRADE_LIMIT = 6, 8  # Flesch-Kincaid grade, English
EASE_AIM, EASE_LIMIT = 80, 70  # Fernández-Huerta, Spanish
# On average, per sentence: CONTENT.md's 20 words, and for a language counted in
# characters what those words take in Chinese, at one to two characters a word. No
# listed guidance gives a number for it: a starting point for the clinic's translators.
SENTENCE_AIM = {"words": 20, "characters": 35}
# One idea per paragraph (CONTENT.md): held to this where no formula reads the prose.
PARAGRAPH_AIM = {"words": 60, "characters": 100}
# A grade swings with every word of a short section: under 30 words a section is
# held to the limit only, not the aim; under 10 no formula can judge it, and it
# is scored with its document only.
SECTION_MINIMUM = 30  # words
SECTION_FLOOR = 10  # words


def reading_level(document: Document) -> tuple[Score, list[Problem]]:
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
    unit = unit_of(lang)
    if whole.average_sentence > SENTENCE_AIM[unit]:
        longest = whole.longest(2)
        found.append(warning(document.source.path, _line_of(document, longest[0].text),
                             f"sentences average {whole.average_sentence:.1f} {unit} (aim "
                             f"under {SENTENCE_AIM[unit]}); longest: {_named(document, longest)}",
                             "sentence-length"))
    if whole.measure == LENGTH:
        found += _long_paragraphs(document, blocks)
    return whole, found


def _long_paragraphs(document: Document, blocks: list[str]) -> list[Problem]:
    unit = unit_of(document.lang)
    aim = PARAGRAPH_AIM[unit]
    return [warning(document.source.path, _line_of(document, block),
                    f"a paragraph of {length} {unit} (aim {aim} or fewer: one idea a "
                    f'paragraph): "{_start(block, unit)}"', "paragraph-length")
            for block in blocks if (length := counted(block, document.lang)) > aim]


def _start(text: str, unit: str) -> str:
    """The first words of `text`, or its first characters where words have no spaces."""
    if unit == "characters":
        return text[:24] + ("..." if len(text) > 24 else "")
    return _clip(text, 12)


def _level_findings(document: Document, line: int, what: str, result: Score) -> list[Problem]:
    if result.measure == LENGTH:
        return []  # no formula: held to its sentences' and paragraphs' length instead
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
