"""The formats a document can be built in: a layout and its stylesheets.

A format is a Jinja template and a list of print stylesheets, never a second
pipeline: every format goes through the same stages.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every name a source may ask for in `formats:`.
FORMAT_NAMES = ("handout", "large-print", "brochure", "card")


@dataclass(frozen=True)
class Format:
    name: str
    template: str
    stylesheets: tuple[str, ...]  # file names under styles/
    orientation: str = "portrait"


FORMATS = {
    "handout": Format("handout", "handout.html.j2", ("base.css", "handout.css")),
}


def available(names) -> list[Format]:
    """The formats among `names` that this version of the pipeline can build."""
    return [FORMATS[name] for name in names if name in FORMATS]
