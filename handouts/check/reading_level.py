"""Reading-level findings: each section and the whole document scored (readability.py)
and held to the clinic's aim and limit, with the longest sentences named and placed."""

from __future__ import annotations

from ..content.documents import Document
from ..problems import Problem, error, warning
from .readability import Score, Sentence, line_of_sentence, score, section_prose

GRADE_AIM, GRADE_LIMIT = 6, 8  # Flesch-Kincaid grade, English
EASE_AIM, EASE_LIMIT = 80, 70  # Fernández-Huerta, Spanish
SENTENCE_AIM = 20  # words, on average
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
