"""Words that respect people: the stigmatising terms of CONTENT.md, found by line.

Following NIDA's "Words Matter": person-first language, "misuse" not
"abuse", "return to use" not "relapse". Agency names ("National Institute on
Drug Abuse"), quotations, code and web addresses are not flagged; a document
lists deliberate uses in its front matter (`allow_terms: [relapse]`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .markup import FENCE

PEOPLE = (r"(?:I|I'm|you|you're|he|she|they|we|he's|she's|they're|we're|me|him|her|them|us|"
          r"person|people|patient|patients|someone|anyone|everyone|client|clients)")
SUBSTANCES = r"(?:drug|opioid|heroin|meth|cocaine|crack|alcohol|substance|benzo|pill|IV|needle|injection)"


@dataclass(frozen=True)
class Term:
    name: str  # what the writer sees, and what `allow_terms` names
    pattern: re.Pattern
    instead: str


def _term(name: str, pattern: str, instead: str) -> Term:
    return Term(name, re.compile(pattern, re.IGNORECASE), instead)


TERMS = {
    "en": (
        _term("addict", r"\b(?:former |reformed )?addicts?\b",
              "person with a substance use disorder; person in recovery"),
        _term("abuser", r"\b(?:drug |substance |alcohol )?abusers?\b", "person who uses drugs"),
        _term("junkie", r"\bjunk(?:ie|y|ies)\b", "person who uses drugs"),
        _term("user", rf"\b{SUBSTANCES}[ -]users?\b", "person who uses drugs"),
        _term("substance abuse", r"\bsubstance abuse\b", "substance use"),
        _term("abuse", r"(?<!child )(?<!sexual )(?<!physical )(?<!emotional )(?<!domestic )"
                       r"(?<!elder )(?<!verbal )(?<!substance )\b(?:abuse[sd]?|abusing)\b",
              "misuse; use other than prescribed"),
        _term("clean", rf"\b{PEOPLE}\s+(?:\w+\s+){{0,2}}clean\b|\bclean\s+(?:time|date|and sober)\b",
              "not using; in recovery"),
        _term("clean test", r"\b(?:clean|dirty)\s+(?:drug\s+)?(?:tests?|urines?|screens?|samples?|"
                            r"results?|UAs?)\b|\b(?:tests?|tested|testing|urines?|screens?|"
                            r"samples?|results?|UAs?)\s+(?:\w+\s+){0,2}(?:clean|dirty)\b",
              "testing negative / testing positive"),
        _term("dirty", rf"\b{PEOPLE}\s+(?:\w+\s+){{0,2}}dirty\b", "using; testing positive"),
        _term("habit", rf"\b(?:{SUBSTANCES}|drinking)\s+habits?\b|\bkick(?:s|ed|ing)? the habit\b",
              "substance use disorder"),
        _term("replacement therapy", r"\b(?:opioid\s+)?(?:replacement|substitution|substitute)\s+"
                                     r"(?:therapy|therapies|treatment)\b",
              "medication for opioid use disorder; treatment"),
        _term("relapse", r"\brelaps(?:e|es|ed|ing)\b", "return to use"),
        _term("alcoholic", r"\balcoholics?\b(?!\s+(?:drinks?|beverages?))",
              "person with an alcohol use disorder"),
    ),
    "es": (
        _term("adicto", r"\b(?:drog|toxic)?adict[oa]s?\b|\btoxicóman[oa]s?\b",
              "persona con un trastorno por consumo de sustancias"),
        _term("abuso", r"\babuso\s+de\s+(?:sustancias|drogas|medicamentos|alcohol|"
                       r"benzodiacepinas|opioides)\b",
              "consumo de sustancias; uso indebido"),
        _term("limpio", r"\b(?:está|estás|estoy|están|estar|seguir|sigue|mantenerse|mantiene)\s+"
                        r"limpi[oa]s?\b|\b(?:prueba|pruebas|análisis|orina)\s+(?:limpi|suci)[oa]s?\b",
              "sin consumir; en recuperación / prueba negativa o positiva"),
        _term("recaída", r"\brecaídas?\b", "volver a consumir"),
        _term("alcohólico", r"(?<!bebidas )\balcohólic[oa]s?\b",
              "persona con un trastorno por consumo de alcohol"),
    ),
}

# Names and spans that are never flagged, blanked before matching.
EXEMPT = re.compile(
    r"National Institute on Drug Abuse|Substance Abuse and Mental Health Services Administration|"
    r"Instituto Nacional sobre el Abuso de Drogas|"
    r"Administración de Servicios de Salud Mental y Abuso de Sustancias|"
    r'"[^"\n]*"|“[^”\n]*”|«[^»\n]*»'  # quotations
    r"|`[^`\n]*`"  # inline code
    r"|\[@[^\]\n]*\]|\]\([^)\n]*\)|\bhttps?://\S+",  # citations, link targets, addresses
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Finding:
    line: int
    term: Term
    text: str  # the words as written


def find_terms(lines: Iterable[tuple[int, str]], lang: str,
               allowed: Iterable[str] = ()) -> list[Finding]:
    """Stigmatising terms in (line number, text) pairs, skipping code and quotations."""
    allowed = {a.lower() for a in allowed}
    terms = [t for t in TERMS.get(lang, TERMS["en"]) if t.name not in allowed]
    found: list[Finding] = []
    in_fence = False
    for number, text in lines:
        if FENCE.match(text):
            in_fence = not in_fence
            continue
        if in_fence or text.lstrip().startswith(">"):
            continue
        visible = EXEMPT.sub(lambda m: " " * len(m.group()), text)
        for term in terms:
            found.extend(Finding(number, term, m.group()) for m in term.pattern.finditer(visible))
    return found
