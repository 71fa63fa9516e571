"""Words that respect people: the stigmatising terms of CONTENT.md, found by passage.

Following NIDA's "Words Matter": person-first language, "misuse" not
"abuse", "return to use" not "relapse". Agency names ("National Institute on
Drug Abuse"), quotations, code and web addresses are not flagged; a document
lists deliberate uses in its front matter (`allow_terms: [relapse]`).

Sources are hard-wrapped, so terms are looked for in passages (a paragraph,
a list item, a heading, a callout's title) with their lines joined: "Drug
Abuse" at the start of a line still belongs to the agency's name on the line
before. Each finding names the line where its words start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..content.markup import CODE, FENCE_LINE, body_lines

PERSON = (r"(?:I|you|he|she|they|we|me|him|her|them|us|person|people|patients?|someone|"
          r"anyone|everyone|clients?|sons?|daughters?|child|children|kids?|husband|wife|partner|"
          r"friends?|mom|dad|mother|father|brother|sister|loved ones?|family members?)")
CONTRACTED = r"(?:I|you|he|she|they|we)['’](?:m|re|s|ve)"
# Between a person and "clean": "has", "will not", "wants to", "has now".
HELPERS = (r"(?:(?:have|has|had|will|would|can|could|may|might|must|should|do|does|did|to|"
           r"not|never|still|now|already|finally|always|also|want|wants|need|needs|try|tries|"
           r"tried|hope|hopes)\s+){0,3}")
# "Clean" said of a person: being, staying or getting clean. "Keep them clean" is not.
BECOMING = (r"(?:am|is|are|was|were|be|been|being|stay|stays|stayed|staying|get|gets|got|"
            r"getting|gotten|remain|remains|remained|remaining|keep|keeps|kept|keeping|feel|"
            r"feels|felt)")
DEGREE = r"(?:(?:very|still|now|completely|totally|fully|finally|already|so|not|really|been)\s+)?"
SUBSTANCES = (r"(?:drug|opioid|heroin|meth|cocaine|crack|alcohol|substance|benzo|pill|IV|"
              r"needle|injection)")
TESTS = r"(?:tests?|tested|testing|urines?|screens?|samples?|results?|UAs?)"


# "Get clean needles": the word said of things, which harm reduction rightly names.
THINGS = (r"(?!\s+(?:needles?|syringes?|supplies|equipment|gear|works|water|cottons?|cookers?|"
          r"pipes?|straws?|kits?|hands|clothes|sheets|spoons?))")


def _said_of_a_person(word: str) -> str:
    return (rf"\b{PERSON}\s+{HELPERS}{BECOMING}\s+{DEGREE}{word}\b{THINGS}"
            rf"|\b{CONTRACTED}\s+{HELPERS}(?:{BECOMING}\s+)?{DEGREE}{word}\b{THINGS}")


@dataclass(frozen=True)
class Term:
    name: str  # what the writer sees, and what `allow_terms` names
    pattern: re.Pattern
    instead: str
    not_after: re.Pattern | None = None  # words before a match that give it another meaning


def _term(name: str, pattern: str, instead: str, not_after: str | None = None) -> Term:
    return Term(name, re.compile(pattern, re.IGNORECASE), instead,
                re.compile(rf"(?:{not_after})\W*$", re.IGNORECASE) if not_after else None)


# In order of precedence: where two terms find the same words, the first is reported.
TERMS = {
    "en": (
        _term("addict", r"\b(?:(?:former|reformed|ex)[\s-]+)?addicts?\b",
              "person with a substance use disorder; person in recovery"),
        _term("abuser", r"\b(?:(?:drug|substance|alcohol)[\s-]+)?abusers?\b",
              "person who uses drugs"),
        _term("junkie", r"\bjunk(?:ie|y|ies)\b", "person who uses drugs"),
        _term("user", rf"\b{SUBSTANCES}[\s-]+users?\b", "person who uses drugs"),
        _term("substance abuse", r"\bsubstance[\s-]+abuse\b", "substance use"),
        _term("abuse", r"\b(?:abuse[sd]?|abusing)\b", "misuse; use other than prescribed",
              not_after=r"\b(?:child|sexual|physical|emotional|domestic|elder|verbal|partner)"),
        _term("clean test", rf"\b(?:clean|dirty)\s+(?:(?:drug|urine)\s+)?"
                            rf"(?:tests?|urines?|screens?|samples?|results?|UAs?)\b"
                            rf"|\b{TESTS}\s+(?:\w+\s+){{0,2}}(?:clean|dirty)\b",
              "testing negative / testing positive"),
        _term("clean", rf"{_said_of_a_person('clean')}|\b(?:get|gets|got|getting|stay|stays|stayed|"
                       rf"staying)\s+clean\b{THINGS}|\bclean\s+(?:time|date|and\s+sober)\b",
              "not using; in recovery"),
        _term("dirty", _said_of_a_person("dirty"), "using; testing positive"),
        _term("habit", rf"\b(?:{SUBSTANCES}|drinking)\s+habits?\b"
                       rf"|\bkick(?:s|ed|ing)?\s+the\s+habit\b",
              "substance use disorder"),
        # Nicotine and hormone replacement therapy are other treatments, rightly named.
        _term("replacement therapy", r"\b(?:(?:opioid|opiate|methadone|drug)\s+)?(?:replacement|"
                                     r"substitution|substitute)\s+(?:therapy|therapies|treatment)\b",
              "medication for opioid use disorder; treatment",
              not_after=r"\b(?:nicotine|hormone|hormonal|estrogen|testosterone|thyroid|enzyme|fluid|"
                        r"electrolyte|iron|vitamin|insulin|joint|hip|knee|kidney|renal)"),
        _term("relapse", r"\brelaps(?:e|es|ed|ing)\b", "return to use"),
        _term("alcoholic", r"\balcoholics?\b(?!\s+(?:drinks?|beverages?))",
              "person with an alcohol use disorder"),
    ),
    "es": (
        _term("adicto", r"\b(?:ex[\s-]?)?(?:drog|toxic)?adict[oa]s?\b|\btoxicóman[oa]s?\b",
              "persona con un trastorno por consumo de sustancias; persona en recuperación"),
        _term("usuario de drogas", r"\busuari[oa]s?\s+de\s+(?:drogas|sustancias|opioides|heroína|"
                                   r"cocaína|metanfetaminas?|crack)\b",
              "persona que consume drogas"),
        _term("abuso", r"\b(?:abuso|abusar|abusa|abusan|abuse|abusen|abusó|abusaron|abusaba|"
                       r"abusando)\s+(?:de|del)\s+"
                       r"(?:(?:la|las|el|los|un|una|unos|unas|su|sus|este|esta|estos|estas)\s+)?"
                       r"(?:sustancias?|drogas?|medicamentos?|medicinas?|fármacos?|pastillas?|"
                       r"píldoras?|alcohol|benzodiacepinas?|opioides?|calmantes|analgésicos?|"
                       r"sedantes?|tranquilizantes?|recetas?)\b",
              "consumo de sustancias; uso indebido; uso distinto al recetado"),
        _term("prueba limpia", r"\b(?:pruebas?|análisis|orina|muestras?|resultados?|exámen(?:es)?|"
                               r"examen)\s+(?:\w+\s+){0,3}?(?:limpi|suci)[oa]s?\b",
              "prueba negativa / prueba positiva"),
        _term("limpio", r"\b(?:está|estás|estoy|están|estar|seguir|sigue|mantenerse|mantiene)\s+"
                        r"limpi[oa]s?\b",
              "sin consumir; en recuperación"),
        _term("hábito", r"\bhábitos?\s+de\s+(?:consumir\s+|consumo\s+de\s+)?(?:drogas|alcohol|"
                        r"sustancias|opioides)\b",
              "trastorno por consumo de sustancias"),
        _term("terapia de sustitución", r"\b(?:terapias?|tratamientos?)\s+(?:de\s+)?(?:sustitución|"
                                        r"reemplazo|sustitutiv[oa]s?)\b(?!\s+(?:de\s+(?:la\s+)?"
                                        r"nicotina|hormonal|de\s+hormonas|de\s+estrógenos?))",
              "medicamentos para el trastorno por consumo de opioides; tratamiento"),
        _term("recaída", r"\brecaídas?\b", "volver a consumir"),
        _term("alcohólico", r"\balcohólic[oa]s?\b",
              "persona con un trastorno por consumo de alcohol",
              not_after=r"\bbebidas?"),
    ),
}

# Names and spans that are never flagged, blanked before matching. Passages
# have their lines joined by single spaces, so a name may wrap anywhere.
EXEMPT = re.compile(
    r"National Institute on Drug Abuse|Substance Abuse and Mental Health Services Administration|"
    r"Instituto Nacional sobre el Abuso de Drogas|"
    r"Administración de Servicios de Salud Mental y Abuso de Sustancias|"
    r"Alcoholics Anonymous|Adult Children of Alcoholics|Alcohólicos Anónimos|"
    r'"[^"]*"|“[^”]*”|«[^»]*»'  # quotations
    r"|`[^`]*`"  # inline code
    r"|\[@[^\]]*\]|\]\([^)]*\)|\bhttps?://\S+"  # citations, link targets, addresses
    r"|\b[\w.-]+\.(?:gov|org|com|net|edu)\b(?:/\S*)?",  # FindTreatment.gov/...
    re.IGNORECASE,
)

QUOTE = re.compile(r"^ {0,3}>")
HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s|$)")
UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
TABLE_ROW = re.compile(r"^\s*\|")
# `!!! warning "Title"`: the title is the callout's words, not a quotation.
CALLOUT = re.compile(r'^\s*!!!\s*[\w-]+(?:\s+[\w-]+)*(?:\s+"(?P<title>.*)")?\s*$')


@dataclass(frozen=True)
class Passage:
    """Text a reader meets in one piece, its wrapped lines joined by single spaces."""

    text: str
    starts: tuple[tuple[int, int], ...]  # (offset in text, file line) of each line joined
    kind: str = "prose"  # or "heading", "title" (a callout's), "row" (a table's)

    def line_at(self, offset: int) -> int:
        before = (start for start in self.starts if start[0] <= offset)
        return max(before, default=self.starts[0])[1]


def passage(line: int, text: str, kind: str = "prose") -> Passage:
    """One line's text as a passage: a front matter value, a callout title."""
    return Passage(" ".join(text.split()), ((0, line),), kind)


def passages(body_md: str, body_line: int) -> list[Passage]:
    """A Markdown body as passages: paragraphs, list items, headings, table rows and
    callout titles; code and block quotations (someone's own words) left out."""
    found: list[Passage] = []
    current: list[tuple[int, str]] = []
    in_quote = False

    def flush():
        if current:
            found.append(_joined(current))
            current.clear()

    for offset, text, kind in body_lines(body_md):
        number = body_line + offset
        if kind == FENCE_LINE:
            flush()
            in_quote = False
        elif kind == CODE:
            continue
        elif not text.strip():
            flush()
            in_quote = False
        elif in_quote or QUOTE.match(text):  # a quotation runs on to the next blank line
            flush()
            in_quote = True
        elif callout := CALLOUT.match(text):
            flush()
            if callout["title"]:
                found.append(passage(number, callout["title"], "title"))
        elif UNDERLINE.match(text) and current:
            found.append(replace(_joined(current), kind="heading"))  # the line above was one
            current.clear()
        elif HEADING.match(text) or TABLE_ROW.match(text):
            flush()
            found.append(passage(number, text, "heading" if HEADING.match(text) else "row"))
        else:
            if LIST_ITEM.match(text):
                flush()
            current.append((number, text))
    flush()
    return found


def _joined(lines: list[tuple[int, str]]) -> Passage:
    parts, starts, offset = [], [], 0
    for number, text in lines:
        words = " ".join(text.split())
        starts.append((offset, number))
        parts.append(words)
        offset += len(words) + 1
    return Passage(" ".join(parts), tuple(starts))


@dataclass(frozen=True)
class Finding:
    line: int
    term: Term
    text: str  # the words as written, joined across lines


def find_terms(found_in: Iterable[Passage], lang: str,
               allowed: Iterable[str] = ()) -> list[Finding]:
    """Stigmatising terms in passages, one finding for each place, skipping names and quotations."""
    allowed = {a.lower() for a in allowed}
    terms = terms_for(lang)
    found: list[Finding] = []
    for part in found_in:
        visible = EXEMPT.sub(lambda m: " " * len(m.group()), part.text)
        for start, term, text in _occurrences(visible, terms):
            if term.name.lower() not in allowed:
                found.append(Finding(part.line_at(start), term, text))
    return found


def terms_for(lang: str) -> tuple[Term, ...]:
    return TERMS.get(lang, TERMS["en"])


def _occurrences(text: str, terms: tuple[Term, ...]) -> list[tuple[int, Term, str]]:
    """Every term's matches; where two overlap ("he tested dirty"), the first term's,
    so each place is reported once. An allowed term still claims its words."""
    matches = [(m.start(), m.end(), rank, term) for rank, term in enumerate(terms)
               for m in term.pattern.finditer(text)
               if not (term.not_after and term.not_after.search(text, 0, m.start()))]
    kept: list[tuple[int, Term, str]] = []
    taken: list[tuple[int, int]] = []
    for start, end, _, term in sorted(matches, key=lambda m: (m[2], m[0])):
        if all(end <= a or start >= b for a, b in taken):
            taken.append((start, end))
            kept.append((start, term, text[start:end]))
    return sorted(kept, key=lambda k: k[0])
