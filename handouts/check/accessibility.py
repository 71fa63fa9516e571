"""Accessibility rules: colour contrast, meaningful alt text, and the built PDFs.

Contrast follows WCAG 2.x: text needs 4.5:1 against what it is printed on.
Alt text must describe the picture: not empty, not "image", not a file name.
Built PDFs are read back with pikepdf: tagged, with a language, a title that
viewers show, alt text on every figure, and a tag tree a screen reader can
walk (`tagtree`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..content.brand import Colors
from .tagtree import tag_tree_problems

MINIMUM_CONTRAST = 4.5
WHITE = "#ffffff"

# (text colour, background colour, where the pair is printed): every pair the
# stylesheets in styles/ and the templates print, a brand colour name or #rrggbb.
TEXT_PAIRS = (
    ("foreground", "background", "body text"),
    ("primary", "background", "headings and links"),
    ("danger", "background", "danger callout titles in large print"),
    ("warning", "background", "warning callout titles"),
    ("background", "primary", "the clinic's name on the band, resource numbers"),
    (WHITE, "danger", "the danger callout's title band"),
    ("foreground", "light", "the main message and contact boxes, table headings"),
    ("primary", "light", "the contact box's heading and links, the packet note's heading"),
    # The email is always white, whatever the paper's colour.
    (WHITE, "primary", "the email's header"),
    ("foreground", WHITE, "the email's text"),
    ("primary", WHITE, "the email's help-lines heading"),
)

GENERIC_ALT = {"image", "picture", "photo", "photograph", "graphic", "icon", "figure",
               "illustration", "img", "logo", "diagram", "imagen", "foto", "dibujo", "figura"}
FILE_NAME = re.compile(r"^[\w.-]+\.(?:png|jpe?g|gif|svg|webp|tiff?)$", re.IGNORECASE)


@dataclass(frozen=True)
class LowContrast:
    text: str  # colour names, as in the brand file
    background: str
    ratio: float
    where: str


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def low_contrast(colors: Colors) -> list[LowContrast]:
    """Pairs under 4.5:1; pairs of the same two colours (the email's white and a
    white background) are reported once, naming every place they are printed."""
    found: dict[tuple[str, str], LowContrast] = {}
    for text, background, where in TEXT_PAIRS:
        colours = (_value(colors, text), _value(colors, background))
        ratio = contrast_ratio(*colours)
        if ratio >= MINIMUM_CONTRAST:
            continue
        if colours in found:
            first = found[colours]
            found[colours] = replace(first, where=f"{first.where}; {where}")
        else:
            found[colours] = LowContrast(text, background, round(ratio, 2), where)
    return list(found.values())


def alt_text_problem(alt: str, src: str) -> str | None:
    """Why `alt` does not describe the picture at `src`, or None if it does."""
    words = alt.strip().lower().rstrip(".")
    if not words:
        return "has no alt text"
    if words in GENERIC_ALT or words in (f"{g} of" for g in GENERIC_ALT):
        return f"has alt text '{alt}', which does not say what the picture shows"
    if FILE_NAME.match(words) or words == Path(src).name.lower() or words == Path(src).stem.lower():
        return f"has a file name as alt text ('{alt}'); describe what the picture shows"
    if len(words) < 4:
        return f"has alt text '{alt}', too short to describe the picture"
    return None


def pdf_problems(path: Path) -> list[tuple[str, str]]:
    """(rule, message) for what a built PDF lacks, read back with pikepdf."""
    import pikepdf

    found: list[tuple[str, str]] = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        marked = "/MarkInfo" in root and bool(root.MarkInfo.get("/Marked", False))
        if not marked or "/StructTreeRoot" not in root:
            found.append(("pdf-tagged", "is not a tagged PDF"))
        if not str(root.get("/Lang", "")).strip():
            found.append(("pdf-lang", "has no document language (/Lang)"))
        title = str(pdf.docinfo.get("/Title", "")).strip() if pdf.docinfo is not None else ""
        shows_title = "/ViewerPreferences" in root and bool(
            root.ViewerPreferences.get("/DisplayDocTitle", False))
        if not title or not shows_title:
            found.append(("pdf-title", "has no title for viewers to show"))
        missing = sum(1 for element in _struct_elements(root) if element.get("/S") == "/Figure"
                      and not str(element.get("/Alt", "")).strip())
        if missing:
            found.append(("pdf-alt", f"has {missing} figure{'s' if missing > 1 else ''} without alt text"))
        found += tag_tree_problems(pdf)
    return found


def _struct_elements(root):
    if "/StructTreeRoot" not in root:
        return
    import pikepdf

    stack = [root.StructTreeRoot]
    while stack:
        kids = stack.pop().get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield kid
                stack.append(kid)


def _value(colors: Colors, name: str) -> str:
    return name if name.startswith("#") else getattr(colors, name)


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
