"""The `safety` rule: where a document speaks of overdose, the whole response is there.

CONTENT.md's overdose response is always the whole of it (911, naloxone if you
have it, a second dose after 2 to 3 minutes, on their side, stay), and it lives
in one reviewed place, the `[[overdose]]` safety block. So a document that
speaks of overdose must place that block, and advice on giving naloxone
outside it is a finding: that is where "if opioids may be involved, give
naloxone" came from, a condition nobody at the scene can judge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..content.documents import Document
from ..content.markup import BLOCK_MARK
from .wording import Passage, passage, passages

OVERDOSE_BLOCK = "overdose"
OVERDOSE = {
    "en": re.compile(r"\boverdos(?:e|es|ed|ing)\b", re.IGNORECASE),
    "es": re.compile(r"\bsobredosis\b", re.IGNORECASE),
}
NALOXONE = {
    "en": re.compile(r"\b(?:naloxone|narcan)\b", re.IGNORECASE),
    "es": re.compile(r"\b(?:naloxona|narcan)\b", re.IGNORECASE),
}
# A sentence that tells someone to give naloxone: a verb of giving, then within a
# few words the medicine ("give them naloxone", "dele naloxona").
GIVING = {
    "en": re.compile(r"\b(?:give|giving|use|using|spray|administer)\b(?:\s+[\w'’()-]+){0,3}?\s+"
                     r"\(?(?:naloxone|narcan)\b", re.IGNORECASE),
    "es": re.compile(r"(?<!\w)(?:dé|d[ée]le|d[ée]selo|d[ée]sela|d[ée]les|dar|darle|use|usar|"
                     r"aplique|aplicar|roc[íi]e|rociar|administre|administrar|ponga|ponerle)\b"
                     r"(?:\s+[\w'’()-]+){0,3}?\s+\(?(?:naloxona|narcan)\b", re.IGNORECASE),
}
# "If opioids may be involved", "it only works on opioids": a condition nobody can
# judge. "It does no harm if there are no opioids" reassures: it is not one.
CONDITIONAL = {
    "en": re.compile(r"\bif\b(?![^.!?]*\bno\b)[^.!?]*\b(?:opioids?|opiates?)\b"
                     r"|\b(?:only|just|unless)\b[^.!?]*\b(?:opioids?|opiates?)\b"
                     r"|\b(?:opioids?|opiates?)\b[^.!?]*\b(?:may|might|could) be involved\b",
                     re.IGNORECASE),
    "es": re.compile(r"\bsi\b(?![^.!?]*\bno\b)[^.!?]*\bopioides?\b"
                     r"|\b(?:solo|sólo|solamente|únicamente|a menos que)\b[^.!?]*\bopioides?\b",
                     re.IGNORECASE),
}
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


@dataclass(frozen=True)
class SafetyFinding:
    line: int
    message: str


def safety_findings(document: Document) -> list[SafetyFinding]:
    """What the document's own words (not the blocks it places) say of overdose and
    naloxone that only the `[[overdose]]` block should say."""
    lang = document.lang if document.lang in OVERDOSE else "en"
    own = _own_passages(document)
    found = []
    mention = _first_mention(document, own, OVERDOSE[lang])
    if mention is not None and OVERDOSE_BLOCK not in placed_blocks(document):
        found.append(SafetyFinding(mention, "speaks of overdose without the whole response: "
                                   f"place [[{OVERDOSE_BLOCK}]] on a line of its own (signs, "
                                   "911, naloxone, a second dose, on their side, stay)"))
    for line, sentence in _naloxone_advice(own, lang):
        found.append(SafetyFinding(line, f'naloxone advice outside the [[{OVERDOSE_BLOCK}]] '
                                   f'block: "{_clip(sentence)}"; say it with the block, which '
                                   "gives the whole response, never a condition"))
    return found


def placed_blocks(document: Document) -> list[str]:
    """The names of the `[[blocks]]` a document's body places, in order."""
    return [mark[1] for part in passages(document.body_md, document.body_line)
            if (mark := BLOCK_MARK.fullmatch(part.text))]


def _own_passages(document: Document) -> list[Passage]:
    """Title, subtitle, summary and body; a picture's address and alt text are not advice."""
    fm, meta = document.front_matter, document.meta
    heads = [passage(fm.line(key), str(getattr(meta, key) or ""))
             for key in ("title", "subtitle", "summary")]
    found = [*heads, *passages(document.body_md, document.body_line)]
    return [replace(p, text=IMAGE.sub(lambda m: " " * len(m.group()), p.text))
            for p in found if p.text]


def _first_mention(document: Document, own: list[Passage], pattern: re.Pattern) -> int | None:
    lines = [p.line_at(m.start()) for p in own if (m := pattern.search(p.text))]
    if "overdose" in document.meta.topics:
        lines.append(document.front_matter.line("topics"))
    return min(lines) if lines else None


def _naloxone_advice(own: list[Passage], lang: str):
    for part in own:
        offset = 0
        for sentence in SENTENCE_END.split(part.text):
            start = part.text.find(sentence, offset)
            offset = start + len(sentence)
            if GIVING[lang].search(sentence) or (NALOXONE[lang].search(sentence)
                                                 and CONDITIONAL[lang].search(sentence)):
                yield part.line_at(start), sentence


def _clip(sentence: str, words: int = 12) -> str:
    parts = sentence.split()
    return " ".join(parts[:words]) + (" ..." if len(parts) > words else "")
