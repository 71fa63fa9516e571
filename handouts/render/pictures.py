"""What a picture's text says, and in which font family it asks to be drawn.

An SVG picture can carry text of its own: a label, a phone number on a sign.
WeasyPrint draws it in the families the SVG declares (a `font-family` or `font`
attribute, inherited by the elements inside; a `style` attribute; a rule of a
`<style>` sheet), and in the system's sans-serif when it declares none: not in
the brand's typeface. So a picture is read twice, by the same rules: before
rendering, to find text the typeface cannot draw and families other than the
brand's (`read`), and as the renderer fetches it, to hand WeasyPrint a copy in
which text without a family, or with only generic ones, names the brand's
typeface (`in_typeface`).

A family declared anywhere in a picture either puts the brand's typeface first
(a generic family counts as the brand's) or is reported: which text it reaches
need not be known. Parsing is Python's expat, which never reads external
entities and refuses entity expansion that amplifies a file more than a
hundredfold; WeasyPrint parses the same bytes with the same parser, so reading a
picture here costs no more than drawing it. A picture larger than MAX_BYTES, or
one that is not well-formed XML, is left as it is, for WeasyPrint to draw or to
report as it always has.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import tinycss2  # WeasyPrint's own CSS parser: a declaration is read as it reads it

SVG_TYPE = "image/svg+xml"
MAX_BYTES = 4 * 2**20
GENERIC_FAMILIES = frozenset({
    "serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui", "math", "emoji",
    "fangsong", "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded",
    # WeasyPrint takes these as names of families no system has: the fallback font.
    "initial", "unset", "revert", "revert-layer",
})
FONT_PROPERTIES = ("font-family", "font")
_SVG = "{http://www.w3.org/2000/svg}"

Families = tuple[str, ...]


@dataclass(frozen=True)
class Picture:
    """The text an SVG picture draws, and the families it asks for."""

    text: str  # every <text> (and bare <a>) it draws, one to a line
    families: Families  # the family each declaration puts first, unless generic; in order


def is_svg(path: Path) -> bool:
    """Whether the renderer takes `path` for an SVG picture (it goes by the name, too)."""
    return mimetypes.guess_type(path.name)[0] == SVG_TYPE


def load(path: Path) -> Picture | None:
    """The picture at `path`, or None if it cannot be read as SVG (WeasyPrint reports that)."""
    try:
        with path.open("rb") as file:
            return read(file.read(MAX_BYTES + 1))
    except OSError:
        return None


def read(data: bytes) -> Picture | None:
    """What the SVG `data` draws as text, and in which families; None if it is not SVG."""
    root = _tree(data)
    if root is None:
        return None
    declared: list[Families] = []

    def note(families: Families) -> Families:  # changes nothing: only reads
        declared.append(families)
        return families

    _refamily(root, note)
    firsts = [families[0] for families in declared
              if families and families[0].casefold() not in GENERIC_FAMILIES]
    return Picture("\n".join(_texts(root)), tuple(dict.fromkeys(firsts)))


def in_typeface(data: bytes, family: str) -> bytes:
    """The SVG `data` with its text in `family` wherever it names no family or only
    generic ones; families it names are kept. Returned as it is if there is nothing to
    change, or it cannot be read."""
    root = _tree(data)
    if root is None or not _texts(root):
        return data
    changed = _refamily(root, lambda families: brand_first(families, family))
    if root.get("font-family") is None:  # inherited by every element that names none
        root.set("font-family", _quoted(family))
        changed = True
    if not changed:
        return data
    try:
        return ElementTree.tostring(root, encoding="utf-8")
    except RecursionError:  # nested too deep to write out; WeasyPrint cannot draw it either
        return data


def brand_first(families: Families, family: str) -> Families:
    """`families` with each generic family replaced by `family`, without repeats: an
    empty list, or one of only generic families, becomes `family` alone."""
    replaced = [family if name.casefold() in GENERIC_FAMILIES else name for name in families]
    return tuple(dict.fromkeys(replaced or [family]))


def same_family(a: str, b: str) -> bool:
    """Whether two family names find the same font: fontconfig ignores case and spaces."""
    return a.replace(" ", "").casefold() == b.replace(" ", "").casefold()


def family_list(value: str) -> Families:
    """`"Atkinson Hyperlegible", sans-serif` -> ('Atkinson Hyperlegible', 'sans-serif')"""
    names = (name.strip().strip("\"'").strip() for name in value.split(","))
    return tuple(name for name in names if name)


def _tree(data: bytes) -> ElementTree.Element | None:
    if len(data) > MAX_BYTES:
        return None
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        return None
    return root if _local(root.tag) == "svg" else None


def _texts(root: ElementTree.Element) -> list[str]:
    """The text of each outermost <text>, and of each <a> outside one: WeasyPrint
    draws both as text, with everything inside them."""
    found: list[str] = []
    stack = [root]  # not recursion: a picture may nest deeper than Python's stack
    while stack:
        element = stack.pop()
        if _local(element.tag) in ("text", "a"):
            found.append("".join(element.itertext()))
        else:
            stack.extend(reversed(element))
    return [text for text in found if text.strip()]


def _refamily(root: ElementTree.Element, change: Callable[[Families], Families]) -> bool:
    """Give every family list `root` declares to `change`, and write back the lists it
    changes; whether any was."""
    changed = False
    for element in root.iter():
        for name in FONT_PROPERTIES:
            value = element.get(name)
            if value is not None and (new := _declared(name, value, change)) != value:
                element.set(name, new)
                changed = True
        if (style := element.get("style")) and (declared := _declarations(style, change)):
            element.set("style", declared)
            changed = True
        if (element.tag == f"{_SVG}style" and element.get("type", "text/css") == "text/css"
                and element.text and (sheet := _sheet(element.text, change)) is not None):
            element.text = sheet
            changed = True
    return changed


def _declared(name: str, value: str, change: Callable[[Families], Families]) -> str:
    """The value of a `font-family` or `font` declaration, its families changed."""
    if name == "font":  # WeasyPrint reads `font` as a size, then the families
        parts = value.strip().split(maxsplit=1)
        if len(parts) < 2:
            return value
        new = _declared("font-family", parts[1], change)
        return value if new == parts[1] else f"{parts[0]} {new}"
    if value.strip() == "inherit":  # the parent's, declared (and read) there
        return value
    families = family_list(value)
    changed = change(families)
    return value if changed == families else ", ".join(_quoted(f) for f in changed)


def _declarations(css, change: Callable[[Families], Families]) -> str | None:
    """Declarations (a `style` attribute, or a rule's block) with their families changed;
    None if none was. What WeasyPrint ignores (comments, errors) is left out."""
    kept, changed = [], False
    for node in tinycss2.parse_blocks_contents(css):
        if node.type != "declaration":
            continue
        value = tinycss2.serialize(node.value).strip()
        if node.lower_name in FONT_PROPERTIES:
            new = _declared(node.lower_name, value, change)
            if new != value:
                kept.append(f"{node.name}: {new}{' !important' if node.important else ''}")
                changed = True
                continue
        kept.append(node.serialize())
    return "; ".join(kept) if changed else None


def _sheet(css: str, change: Callable[[Families], Families]) -> str | None:
    """A `<style>` sheet with the families of its rules changed; None if none was.
    At-rules stay as they are: WeasyPrint applies no rule inside one."""
    kept, changed = [], False
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            new = _declarations(rule.content, change)
            if new is not None:
                kept.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {new} }}")
                changed = True
                continue
        if rule.type != "error":
            kept.append(rule.serialize())
    return "\n".join(kept) if changed else None


def _quoted(family: str) -> str:
    # A family name from the brand's font package, or one the picture wrote: WeasyPrint
    # strips the quotes and takes what is between them as the name.
    return f'"{family}"'


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
