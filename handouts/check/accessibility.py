"""Accessibility rules: meaningful alt text, and the built PDFs.

(Colour contrast is the brand's own rule, content/contrast.py: every build
refuses a brand whose colours fail it.) Alt text must describe the picture:
not empty, not "image", not a file name.
Built PDFs are read back with pikepdf: tagged, with a language, a title that
viewers show, alt text on every figure, and a tag tree a screen reader can
walk (`tagtree`).
"""

from __future__ import annotations

import re
from pathlib import Path

from .tagtree import tag_tree_problems

GENERIC_ALT = {"image", "picture", "photo", "photograph", "graphic", "icon", "figure",
               "illustration", "img", "logo", "diagram", "imagen", "foto", "dibujo", "figura"}
FILE_NAME = re.compile(r"^[\w.-]+\.(?:png|jpe?g|gif|svg|webp|tiff?)$", re.IGNORECASE)


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
            figures = f"{missing} figure{'s' if missing > 1 else ''}"
            found.append(("pdf-alt", f"has {figures} without alt text"))
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
