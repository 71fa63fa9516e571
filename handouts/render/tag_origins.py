"""Which HTML element WeasyPrint made each structure element for: one wrapper around its
tagging function, so the tagging step (tagging.py) can mend the tree by what the HTML
said. WeasyPrint is pinned below 71; the tests fail if its tagging changes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element


@dataclass(frozen=True)
class Origin:
    """What WeasyPrint made a structure element for."""

    element: Element  # the HTML element (WeasyPrint parses to ElementTree)
    tag: str  # the box's tag: "li", "li::marker", "a::after"
    lang: str | None  # its language, as WeasyPrint computed it
    margin: str | None  # the page-margin box it is drawn in ("@bottom-left"), if any


@lru_cache(maxsize=1)
def record_origins() -> None:
    """Wrap WeasyPrint's tagging function so that each PDF it writes remembers the
    HTML element of every structure element (in `pdf.origins`, by the object's id)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import tags

    build = tags._build_box_tree

    def recording(box, parent, pdf, page_number, nums, annotations, marked):
        source = box._box if isinstance(box, AbsolutePlaceholder) else box
        origins = pdf.__dict__.setdefault("origins", {})
        margin = getattr(pdf, "current_margin", None)
        if isinstance(source, boxes.MarginBox):
            pdf.current_margin = source.at_keyword
        try:
            for element in build(box, parent, pdf, page_number, nums, annotations, marked):
                if source.element is not None:
                    origins.setdefault(id(element), (element, Origin(
                        source.element, source.element_tag, source.style["lang"],
                        getattr(pdf, "current_margin", None))))
                yield element
        finally:
            pdf.current_margin = margin

    tags._build_box_tree = recording
