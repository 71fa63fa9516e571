"""The formats a document can be built in: a layout and its stylesheets.

A format is a Jinja template and a list of print stylesheets, never a second
pipeline: every format goes through the same stages.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every name a source may ask for in `formats:`.
FORMAT_NAMES = ("handout", "large-print", "brochure", "card")
# What staff read for each of them: in the staff app and the printed catalog.
FORMAT_LABELS = {"handout": "Handout", "large-print": "Large print", "brochure": "Brochure",
                 "card": "Wallet card"}


@dataclass(frozen=True)
class Format:
    name: str
    template: str
    stylesheets: tuple[str, ...]  # file names under styles/
    orientation: str = "portrait"
    max_pages: int | None = None  # more is an overflow error, never a silent cut
    bleeds: bool = False  # gets bleed and crop marks in the print-shop profile
    clear_edges: float | None = None  # inches no text may come nearer a sheet's foot
    # Resources the format's list can hold: the brochure's flap is one panel, which
    # WeasyPrint cannot continue on another sheet (it fails to lay out a longer list).
    max_resources: int | None = None


FORMATS = {
    "handout": Format("handout", "handout.html.j2", ("base.css", "handout.css")),
    "large-print": Format("large-print", "handout.html.j2",
                          ("base.css", "handout.css", "large-print.css")),
    "brochure": Format("brochure", "brochure.html.j2", ("base.css", "brochure.css"),
                       orientation="landscape", max_pages=2, bleeds=True, clear_edges=0.25,
                       max_resources=6),
    "card": Format("card", "card.html.j2", ("base.css", "card.css"), max_pages=2, bleeds=True),
}


# The library's own index for the front desk's binder (library/printed_catalog.py): laid
# out like a handout, made from the catalog, never asked for by a source.
PRINTED_CATALOG = Format("catalog", "catalog.html.j2", ("base.css", "handout.css", "catalog.css"))


def formats_of(names) -> list[Format]:
    """The formats a document asks for; every handout is also built in large print."""
    wanted = list(names)
    if "handout" in wanted and "large-print" not in wanted:
        wanted.insert(wanted.index("handout") + 1, "large-print")
    return [FORMATS[name] for name in wanted if name in FORMATS]
