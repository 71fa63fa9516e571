"""Latin inside a page written right to left: kept in its own order.

The Unicode bidirectional algorithm orders the words of an Arabic line right to
left and a Latin run inside it left to right, but the marks between them (the
hyphens of 1-800-662-4357, a full stop, a slash) it places by their neighbours:
at the edge of a run, or at a line break, a phone number can come out as
4357-662-800-1 or a drug name lose its trailing letter's side. Each Latin run
(words, numbers, web addresses) of such a page is therefore set in a
left-to-right isolate (LRI ... PDI), as HTML's <bdi dir="ltr"> would be: the
words around it cannot reorder it, nor it them. The marks are not drawn, and
`check` never counts them as characters the typeface lacks.
"""

from __future__ import annotations

import re

LRI, PDI = "\u2066", "\u2069"

# A run starts and ends with a Latin letter or a digit and may hold, inside,
# the marks of numbers, names and addresses. Not after & or # (an entity such
# as &amp; or &#39;) nor inside a longer word.
_LATIN = r"A-Za-z0-9\u00C0-\u024F"
LATIN_RUN = re.compile(rf"(?<![&#\w])[{_LATIN}](?:[{_LATIN} .,:/+\-\u2013@_=?%]*[{_LATIN}])?")
TEXT = re.compile(r">([^<]+)<")


def isolate_latin(html: str) -> str:
    """`html` with each Latin run of its body's text in an LRI ... PDI isolate."""
    head, marker, body = html.partition("<body")
    if not marker:
        return html
    return head + marker + TEXT.sub(_isolate_text, body)


def isolate_latin_fragment(fragment: str) -> str:
    """The same for part of a body (a document in a packet)."""
    return TEXT.sub(_isolate_text, f">{fragment}<")[1:-1]


def _isolate_text(match: re.Match) -> str:
    return ">" + LATIN_RUN.sub(lambda run: f"{LRI}{run[0]}{PDI}", match[1]) + "<"
