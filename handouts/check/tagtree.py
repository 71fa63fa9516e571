"""A built PDF's tag tree read back, for what a screen reader would miss (`check --built`).

A screen reader walks the structure tree, not the page. Three faults make it
skip, garble or repeat what is printed, and each is found here with pikepdf:

- marked content that is neither in the tree nor an artifact (WeasyPrint left
  the running footer so), and text drawn outside any marked content: a reader
  skips it, or reads it out of place;
- a link without a description, or without an area to press: WeasyPrint
  describes an internal link by its anchor ("ref-1", "d1");
- a figure whose alt text repeats a printed address: the QR code beside an
  address, read out a second time, 130 characters of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

ADDRESS = re.compile(r"https?://|www\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov|org|com|net|edu|us|info|io)\b",
                     re.IGNORECASE)
TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}


def tag_tree_problems(pdf) -> list[tuple[str, str]]:
    """(rule, message) for each fault of an open pikepdf.Pdf's tag tree."""
    found: list[tuple[str, str]] = []
    if "/StructTreeRoot" not in pdf.Root:
        return found
    pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
    reached, figures = _tree(pdf.Root.StructTreeRoot, pages)
    outside, untagged = _unreached(pdf, reached)
    if outside or untagged:
        where = ", ".join(str(n + 1) for n in sorted(set(outside) | set(untagged)))
        found.append(("pdf-orphans", f"has {_count(len(outside) + len(untagged), 'piece')} of "
                      f"content outside the tag tree, neither tagged nor an artifact, on page "
                      f"{where}: a screen reader skips it or reads it out of place"))
    found += _link_problems(pdf)
    for alt in figures:
        if ADDRESS.search(alt):
            found.append(("pdf-alt-address", f"has a figure whose alt text repeats an address "
                          f"('{alt[:60]}'): the printed link says it once; make the picture an "
                          "artifact or say what it shows"))
    return found


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"


def _tree(root, pages) -> tuple[set[tuple[int | None, int]], list[str]]:
    """The (page, MCID) pairs the tree reaches, and its figures' alt texts."""
    import pikepdf

    reached: set[tuple[int | None, int]] = set()
    figures: list[str] = []
    stack = [(root, None)]
    while stack:
        node, page = stack.pop()
        if "/Pg" in node:
            page = pages.get(node.Pg.objgen, page)
        if node.get("/S") == "/Figure" and "/Alt" in node:
            figures.append(str(node.Alt))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, int):
                reached.add((page, int(kid)))
            elif isinstance(kid, pikepdf.Dictionary):
                if kid.get("/Type") == "/MCR":
                    mcr_page = pages.get(kid.Pg.objgen, page) if "/Pg" in kid else page
                    reached.add((mcr_page, int(kid.MCID)))
                elif kid.get("/Type") != "/OBJR":
                    stack.append((kid, page))
    return reached, figures


def _unreached(pdf, reached) -> tuple[list[int], list[int]]:
    """Pages of marked content the tree does not reach, and of text outside any."""
    import pikepdf

    outside: list[int] = []
    untagged: list[int] = []
    for number, page in enumerate(pdf.pages):
        depth = 0
        for instruction in pikepdf.parse_content_stream(page, "BDC BMC EMC Tj TJ ' \""):
            operands, name = instruction.operands, str(instruction.operator)
            if name in ("BDC", "BMC"):
                depth += 1
                tag = str(operands[0])
                properties = operands[1] if name == "BDC" else None
                if tag != "/Artifact" and isinstance(properties, pikepdf.Dictionary) \
                        and "/MCID" in properties and (number, int(properties.MCID)) not in reached:
                    outside.append(number)
            elif name == "EMC":
                depth = max(depth - 1, 0)
            elif name in TEXT_OPERATORS and depth == 0:
                untagged.append(number)
    return outside, untagged


def _link_problems(pdf) -> list[tuple[str, str]]:
    found = []
    for number, annotation in _links(pdf):
        rect = [float(v) for v in annotation.get("/Rect", (0, 0, 0, 0))]
        if abs(rect[2] - rect[0]) < 1 or abs(rect[3] - rect[1]) < 1:
            found.append(("pdf-link-area",
                          f"has a link with no area to press on page {number + 1}"))
        words = str(annotation.get("/Contents", "")).strip()
        target = str(annotation.get("/Dest", "")) if "/Dest" in annotation else None
        if not words or words == target:
            shown = f" ('{words}')" if words else ""
            found.append(("pdf-link-description", f"has a link on page {number + 1} with no "
                          f"description{shown}: a screen reader cannot say where it goes"))
    return found


def _links(pdf) -> Iterator[tuple[int, Any]]:  # a pikepdf.Dictionary
    for number, page in enumerate(pdf.pages):
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") == "/Link":
                yield number, annotation
