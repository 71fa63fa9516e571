"""Part of stage 4, layout: what a body tells a screen reader that print shows by sight.

On paper a callout's kind is its border, colour and icon, and a citation's
source is the numbered entry at the end. A blind reader hears neither, so
the body is given words for them before it is laid out:

- a callout's title becomes a heading one level below the section it is in
  (a reader can jump to it), starting with its kind in words ("Warning: Do
  not stop on your own"), kept off the paper (`.callout-kind` in base.css).
  It stays a paragraph, printed as it was, and says it is a heading the way
  HTML does, `role="heading" aria-level="3"`: the PDF stage tags it so;
- a citation's link says where it goes ("Source 1: Clonazepam, MedlinePlus"),
  its `aria-label`, which the PDF stage makes what a reader says for the "1"
  and the link's description (see tagging.py).

It reads the sanitised body (nh3's output, every attribute quoted once), in
the document's own language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import escape

from ..content.i18n import N_, translations

# The callouts Markdown writes (`!!! warning "Title"`), as a reader hears their kind.
KINDS = {"note": N_("Note"), "tip": N_("Tip"), "important": N_("Important"),
         "caution": N_("Caution"), "warning": N_("Warning"), "danger": N_("Danger")}

HEADING_OR_CALLOUT = re.compile(
    r'<h([1-6])[\s>]'
    r'|<div class="admonition (?P<kind>[a-z]+)[^"]*">\s*'
    r'<p class="admonition-title">(?P<title>.*?)</p>',
    re.DOTALL)
CITATION_LINK = re.compile(r'<a class="citation-link" href="#ref-(\d+)">|'
                           r'<a href="#ref-(\d+)" class="citation-link">')


def for_listeners(html: str, citations: Sequence, lang: str) -> str:
    """`html` with callout titles as headings that say their kind, and citation links
    that name their source."""
    gettext = translations(lang).gettext
    return _named_citations(_callout_headings(html, gettext), citations, gettext)


def _callout_headings(html: str, gettext) -> str:
    section = [1]  # the level of the heading the text is under: the title's, at first

    def heading(match: re.Match) -> str:
        if match[1]:
            section[0] = int(match[1])
            return match[0]
        level = min(section[0] + 1, 6)
        kind = match["kind"]
        said = gettext(KINDS[kind]) if kind in KINDS else ""
        label = f'<span class="callout-kind">{escape(said)}: </span>' if said else ""
        opening = match[0][: match.start("title") - match.start(0)]
        opening = opening.replace('<p class="admonition-title">', '<p class="admonition-title" '
                                  f'role="heading" aria-level="{level}">')
        return f"{opening}{label}{match['title']}</p>"

    return HEADING_OR_CALLOUT.sub(heading, html)


FIRST_STRONG = re.compile(r"\A\s*<p><strong>(.*?)</strong></p>", re.DOTALL)


def card_heading(html: str) -> str:
    """A wallet card's back from a safety block's short form: its first line, a
    paragraph all in bold ("Overdose? Act fast."), is the card's heading."""
    return FIRST_STRONG.sub(r'<p role="heading" aria-level="2"><strong>\1</strong></p>', html,
                            count=1)


def _named_citations(html: str, citations: Sequence, gettext) -> str:
    by_number = {citation.number: citation.resource for citation in citations}

    def named(match: re.Match) -> str:
        number = int(match[1] or match[2])
        resource = by_number.get(number)
        if resource is None:
            return match[0]
        # The publisher's first part: "MedlinePlus", not "MedlinePlus, National Library of
        # Medicine"; "U.S. Food and Drug Administration", not its "(news release, ...)".
        publisher = re.split(r"[,(]", resource.publisher or "")[0].strip()
        words = gettext("Source %(number)s: %(title)s") % {"number": number,
                                                            "title": resource.title}
        if publisher and publisher not in resource.title:
            words += f", {publisher}"
        return f'{match[0][:-1]} aria-label="{escape(words)}">'

    return CITATION_LINK.sub(named, html)
