"""Clear communication, where a machine can see it: the `jargon`, `steps`, `call`
and `visual` rules of `check`.

The CDC Clear Communication Index and PEMAT-P are scored by people, but some
of what they ask can be read off a source: a medical word explained in plain
words the first time it is used, numbered steps under a what-to-do heading,
"call us" only where the clinic's number is real, and a picture. Each rule
reads the document's own words together with the safety blocks it places, in
reading order: a word a block explains is explained for what follows it, and
a block's own words are checked once, in its own file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ..content.blocks import Blocks
from ..content.documents import Document
from ..content.markup import BLOCK_MARK, images_in, markdown_to_html, sanitize
from .readability import sections
from .wording import Passage, passage, passages


@dataclass(frozen=True)
class Jargon:
    name: str  # as the writer sees it in a finding
    pattern: str  # the word and its forms, as a regular expression


def _acronym(name: str) -> Jargon:
    return Jargon(name, rf"(?-i:{name})")  # "MI", never the Spanish "mi"


# A shared list, in order of precedence: "opioid use disorder" before "opioid".
JARGON = {
    "en": (
        *map(_acronym, ("CBT", "MI", "DBT", "MAT", "MOUD")),
        Jargon("opioid use disorder", r"opioid use disorders?"),
        Jargon("substance use disorder", r"substance use disorders?"),
        Jargon("alcohol use disorder", r"alcohol use disorders?"),
        Jargon("detox", r"detox(?:ification)?"),
        Jargon("withdrawal", r"withdrawals?"),
        Jargon("tolerance", r"tolerance"),
        Jargon("taper", r"taper(?:s|ed|ing)?"),
        Jargon("dependence", r"dependence|physically dependent"),
        Jargon("benzodiazepine", r"benzodiazepines?|benzos?"),
        Jargon("opioid", r"opioids?|opiates?"),
        Jargon("naloxone", r"naloxone|narcan"),
        Jargon("fentanyl", r"fentanyl"),
        Jargon("sedative", r"sedatives?|sedating|sedation"),
        Jargon("recovery position", r"recovery position"),
        Jargon("prescriber", r"prescribers?"),
        Jargon("methadone", r"methadone"),
        Jargon("buprenorphine", r"buprenorphine"),
        Jargon("naltrexone", r"naltrexone"),
        Jargon("hallucination", r"hallucinat(?:ion|ions|e|es|ing)"),
        Jargon("pupils", r"pupils?"),
        Jargon("controlled substance", r"controlled (?:substances?|drugs?|medicines?)"),
        Jargon("take-back", r"take[- ]?back(?: sites?| boxe?s?| days?| programs?)?"),
        Jargon("aftercare", r"aftercare"),
    ),
    "es": (
        *map(_acronym, ("TCC", "EM", "TDC")),
        Jargon("trastorno por consumo",
               r"trastornos? por (?:el )?consumo de (?:opioides|sustancias|alcohol)"),
        Jargon("desintoxicación", r"desintoxicaci[óo]n|desintoxicarse|detox"),
        Jargon("abstinencia", r"abstinencia"),
        Jargon("tolerancia", r"tolerancia"),
        Jargon("reducción gradual", r"reducci[óo]n gradual"),
        Jargon("dependencia", r"dependencia"),
        Jargon("benzodiacepina", r"benzodiacepinas?|benzos?"),
        Jargon("opioide", r"opioides?|opi[áa]ceos?"),
        Jargon("naloxona", r"naloxona|narcan"),
        Jargon("fentanilo", r"fentanilo"),
        Jargon("sedante", r"sedantes?"),
        Jargon("posición de recuperación", r"posici[óo]n de recuperaci[óo]n"),
        Jargon("metadona", r"metadona"),
        Jargon("buprenorfina", r"buprenorfina"),
        Jargon("naltrexona", r"naltrexona"),
        Jargon("alucinación", r"alucinaci[óo]n(?:es)?"),
        Jargon("pupilas", r"pupilas?"),
        Jargon("sustancia controlada", r"(?:sustancias?|medicamentos?|medicinas?) controlad[oa]s?"),
        Jargon("recolección", r"(?:sitios?|puntos?|lugares?|programas?|días?) de "
                              r"(?:recolecci[óo]n|devoluci[óo]n)"),
    ),
}

# The ways plain writing explains a word; `{t}` is the word, `{p}` a brand name in
# brackets that may follow it ("naloxone (Narcan) is a medicine"). General
# patterns, not phrases of the shipped library.
DEFINED_BY = {
    "en": (
        r"{t}\s*\((?=[^)]*\s)[^)]{{6,}}\)",  # CBT (cognitive behavioral therapy)
        r"\([^()]*{t}[^()]*\)",  # very small (pinpoint) pupils
        r"{t}{p},\s+(?:or|a|an|the|which|that|who|also called|meaning)\b",  # naloxone, a medicine
        r"{t}{p},\s+(?:[\w-]+\s+){{1,3}}(?:like|such as|that|which|who)\b",  # opioids, drugs like
        r"{t}{p},\s+(?:[\w-]+\s+){{0,2}}(?:medicines?|drugs?|pills?|treatments?|care)\b",
        r"{t}{p}\s+(?:is|are)\s+(?:when|what|how|a|an|the|(?:[\w-]+\s+){{0,2}}"
        r"(?:medicines?|drugs?|pills?|treatments?|care))\b",  # benzos are calming medicines
        r"{t}{p}\s+(?:means?|includes?|refers? to|is short for|stands for|is a word for)\b",
        r"(?:called|known as|named|the word for (?:this|that) is)\s+[\"“]?(?:(?:an?|the)\s+)?{t}",
        r"\*\*{t}[.:]\*\*|\*\*{t}\*\*\s*[.:—–-]|{t}\s*[:—–]\s",  # **Tapering.** Lowering ...
        r"\b(?:like|such as|including)\s+[^.;:!?]*{t}",  # drugs like pain pills and fentanyl
    ),
    "es": (
        r"{t}\s*\((?=[^)]*\s)[^)]{{6,}}\)",
        r"\([^()]*{t}[^()]*\)",
        r"{t}{p},\s+(?:o|u|un|una|el|la|los|las|que|lo que|es decir)\b",
        r"{t}{p},\s+(?:[\w-]+\s+){{1,3}}(?:como|que)\b",
        r"{t}{p},\s+(?:[\w-]+\s+){{0,2}}(?:medicinas?|medicamentos?|drogas?|pastillas?|"
        r"tratamientos?)\b",
        r"{t}{p}\s+(?:es|son)\s+(?:cuando|lo que|como|un|una|el|la|los|las|(?:[\w-]+\s+){{0,2}}"
        r"(?:medicinas?|medicamentos?|drogas?|pastillas?|tratamientos?|atención))\b",
        r"{t}{p}\s+(?:significa|quiere decir|incluye|incluyen|se refiere a)\b",
        r"(?:se llaman?|llamad[oa]s?|conocid[oa]s? como|se conoce como|se dice)\s+[\"“«]?"
        r"(?:(?:el|la|los|las|un|una)\s+)?{t}",
        r"\*\*{t}[.:]\*\*|\*\*{t}\*\*\s*[.:—–-]|{t}\s*[:—–]\s",
        r"\b(?:como|incluidos?|incluidas?)\s+[^.;:!?]*{t}",
    ),
}
EMPHASIS = re.compile(r"\*\*|__")
BRAND_NAME = r"(?:\s*\([^()]*\))?"  # "naloxone (Narcan) is": `{p}` in DEFINED_BY
# Not prose: an image, a citation, a link's target, a web address.
NOT_PROSE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[@[^\]]*\]|\]\([^)]*\)|\bhttps?://\S+|\b[\w.-]+\.(?:gov|org|com|net|edu)\b\S*",
                       re.IGNORECASE)

# "What to do", "What to do next", "How to use it", "Steps": actions, as numbered steps.
# The languages whose section names the check can read ("What to do", "Qué hacer"): in
# any other, it cannot tell which section holds the steps, and says so (gate.not_checked).
HEADED_LANGUAGES = ("en", "es")
WHAT_TO_DO = re.compile(r"\b(?:what (?:to|you can|you should|we) do|how to|next steps|steps to|"
                        r"qué hacer|qué puede hacer|cómo (?:usar|dar|actuar|ayudar)|pasos)\b",
                        re.IGNORECASE)
ORDERED_LIST = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
CALL_US = {
    "en": re.compile(r"\b(?:call|phone|ring|text|contact) us\b|\bgive us a call\b", re.IGNORECASE),
    "es": re.compile(r"\bll[áa]menos\b|\bcomun[íi]quese con nosotros\b|\bescr[íi]banos\b",
                     re.IGNORECASE),
}


@dataclass(frozen=True)
class Finding:
    line: int
    message: str
    words: str | None = None  # the words it is about, as written, for the caret


# -- jargon ------------------------------------------------------------------------

def undefined_jargon(document: Document, blocks: Blocks) -> list[Finding]:
    """Each shared medical word the document uses before it is explained, once. A
    language with no word list is not read at all (`check` says so): English words
    would find false faults in it, and miss its own."""
    lang = document.lang
    return [Finding(line, f"'{text}' is a medical word: explain it in plain words the first "
                    f"time, in this paragraph or one before (\"{text} means ...\", \"this is "
                    f"called {text}\"), or use an everyday word", text)
            for line, _, text in jargon_before_definition(_reading_order(document, blocks),
                                                             lang)]


def jargon_before_definition(parts: Iterable[tuple[Passage, bool]], lang: str):
    """(line, term, words) of each term first used, in a passage of one's own (True),
    before any passage explains it. Headings and callout titles are labels, not uses."""
    if lang not in JARGON:
        return
    terms = _terms(lang)
    explained: set[str] = set()
    for part, own in parts:
        if part.kind in ("heading", "title"):
            continue
        visible = NOT_PROSE.sub(lambda m: " " * len(m.group()), part.text)
        plain = EMPHASIS.sub("", visible)  # "**Methadone** is a medicine" explains it too
        # An explanation holds its word: only the words used here are looked for.
        here = {term.name for term, uses, defines in terms if uses.search(visible)
                and (defines.search(visible) or defines.search(plain))}
        for start, term, words in _uses(visible, terms):
            if term.name not in explained | here and own:
                yield part.line_at(start), term, words
            explained.add(term.name)  # reported once: the first use is the one to fix
        explained |= here


def _uses(text: str, terms) -> list[tuple[int, Jargon, str]]:
    """Each use of a term; where two overlap ("opioid use disorder"), the first listed."""
    taken: list[tuple[int, int]] = []
    found = []
    for term, pattern, _ in terms:
        for match in pattern.finditer(text):
            if all(match.end() <= a or match.start() >= b for a, b in taken):
                taken.append(match.span())
                found.append((match.start(), term, match.group()))
    return sorted(found, key=lambda use: use[0])


@lru_cache(maxsize=4)
def _terms(lang: str) -> tuple[tuple[Jargon, re.Pattern, re.Pattern], ...]:
    """Each term of a language, the pattern of its uses and of its explanations
    (all of DEFINED_BY in one), compiled once a process."""
    found = []
    for term in JARGON[lang]:
        word = rf"(?<![\w-])(?:{term.pattern})(?![\w-])"
        defines = "|".join(f"(?:{template.format(t=word, p=BRAND_NAME)})"
                           for template in DEFINED_BY[lang])
        found.append((term, re.compile(word, re.IGNORECASE), re.compile(defines, re.IGNORECASE)))
    return tuple(found)


def _reading_order(document: Document, blocks: Blocks) -> list[tuple[Passage, bool]]:
    """The document's passages, with each block it places read where it stands."""
    found: list[tuple[Passage, bool]] = []
    for part in passages(document.body_md, document.body_line):
        mark = BLOCK_MARK.fullmatch(part.text)
        block = blocks.get(mark[1]) if mark else None
        text = block.texts.get(document.lang) if block else None
        if text is not None:
            found += [(p, False) for p in passages(text.markdown, text.line)]
        else:
            found.append((part, True))
    return found


# -- steps -------------------------------------------------------------------------

def missing_steps(document: Document, blocks: Blocks, required: bool = True) -> list[Finding]:
    """Every what-to-do heading needs a numbered list under it, one action a step;
    and a document (unless not `required`: a block) needs at least one, its own or a
    block's."""
    found, numbered = [], False
    parts = sections(document.body_md, document.body_line)
    for index, section in enumerate(parts):
        if not section.heading or not WHAT_TO_DO.search(section.heading):
            continue
        if _has_steps(_under(parts, index), document.lang, blocks):
            numbered = True
        else:
            found.append(Finding(section.line, f'"{section.heading}" lists no numbered steps: '
                                 "write what to do as a numbered list (1. 2. 3.), one action "
                                 "a step"))
    if required and not numbered and not found and not _block_steps(document, blocks):
        found.append(Finding(document.body_line, 'no numbered steps for the reader: add a '
                             'section such as "What to do" with a numbered list, one action '
                             "a step"))
    return found


def _under(parts, index: int) -> str:
    """A section's Markdown with its subsections': up to the next heading as high."""
    level, chunks = parts[index].level, [parts[index].markdown]
    for section in parts[index + 1:]:
        if section.heading and section.level <= level:
            break
        chunks.append(section.markdown)
    return "\n\n".join(chunks)


def _has_steps(markdown: str, lang: str, blocks: Blocks) -> bool:
    if "<ol" in markdown_to_html(markdown):
        return True
    for mark in BLOCK_MARK.finditer(markdown):
        block = blocks.get(mark[1])
        text = block.texts.get(lang) if block else None
        if text is not None and ORDERED_LIST.search(text.markdown):
            return True
    return False


def _block_steps(document: Document, blocks: Blocks) -> bool:
    """A block the document places has a what-to-do heading with numbered steps."""
    for mark in BLOCK_MARK.finditer(document.body_md):
        block = blocks.get(mark[1])
        text = block.texts.get(document.lang) if block else None
        if text is not None and WHAT_TO_DO.search(text.markdown) and \
                ORDERED_LIST.search(text.markdown):
            return True
    return False


# -- call us, and a picture -----------------------------------------------------------

def call_without_number(document: Document, phone: str | None, placeholder: bool) -> list[Finding]:
    """ "Call us" is an action only beside a real number."""
    if phone and not placeholder:
        return []
    lang = document.lang if document.lang in CALL_US else "en"
    fm, meta = document.front_matter, document.meta
    own = [passage(fm.line("summary"), meta.summary),
           *passages(document.body_md, document.body_line)]
    reason = (f"the clinic's phone number is still a placeholder ({phone})" if phone
              else "the brand file gives no phone number")
    return [Finding(part.line_at(match.start()), f"'{match.group()}', but {reason}: fill in "
                    "defaults: handouts: contact: phone in the brand file before this reaches "
                    "a family")
            for part in own for match in CALL_US[lang].finditer(part.text)]


def has_picture(body_html: str | None, document: Document, blocks: Blocks) -> bool:
    """A picture with alt text, in the document or in a block it places."""
    if body_html is not None and any(image.alt for image in images_in(body_html)):
        return True
    for mark in BLOCK_MARK.finditer(document.body_md):
        block = blocks.get(mark[1])
        text = block.texts.get(document.lang) if block else None
        # As printed: the sanitiser's reading, as for the document's own pictures.
        html = sanitize(markdown_to_html(text.markdown)) if text is not None else ""
        if any(image.alt for image in images_in(html)):
            return True
    return False
