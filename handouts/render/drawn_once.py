"""An SVG picture drawn once a document, and its drawing reused wherever it is drawn again.

WeasyPrint draws an SVG by walking its tree and parsing its paths each time it is
drawn: the DRAFT watermark, a page background, is parsed anew on every page, as is
an icon on every callout. A drawing made of paths, fills, strokes and opacity gives
the same PDF operators every time it is drawn at the same size, so the operators
of its first drawing are kept, with the transparency states they name, and written
again. An SVG with text, pictures, gradients, patterns or groups of its own is
always drawn anew: those leave more in the PDF than its operators (fonts' glyphs,
objects), which a copy would lose. One wrapper around WeasyPrint's
`SVGImage.draw`, as tag_origins.py wraps its tagging; WeasyPrint is pinned below
71, and the tests compare the pages drawn with and without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, wraps

# What a drawing may hold and still be copied: shapes and their painting.
COPYABLE = frozenset({"svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline",
                      "polygon", "title", "desc", "metadata"})
# Resources a drawing adds that its operators alone would not bring back.
OWN_OBJECTS = ("XObject", "Pattern", "Shading")


@dataclass(frozen=True)
class Drawing:
    operators: tuple  # as WeasyPrint's stream holds them
    states: tuple  # (name, transparency state) the operators use


@lru_cache(maxsize=1)
def reuse_drawings() -> None:
    """Wrap WeasyPrint's SVG drawing so that a copyable picture is walked once a
    document for each size it is drawn at."""
    from weasyprint.images import SVGImage

    draw = SVGImage.draw

    @wraps(draw)  # its __wrapped__ is WeasyPrint's own, for the test that compares them
    def drawing_once(self, stream, concrete_width, concrete_height, style):
        if not _copyable(self):
            return draw(self, stream, concrete_width, concrete_height, style)
        kept = self.__dict__.setdefault("drawings", {})
        key = (concrete_width, concrete_height)
        if key not in kept:
            kept[key] = _drawn(draw, self, stream, concrete_width, concrete_height, style)
        drawing = kept[key]
        if drawing is None:
            return None
        states = stream._resources["ExtGState"]
        for name, state in drawing.states:
            states.setdefault(name, state)
        stream.stream.extend(drawing.operators)
        return None

    SVGImage.draw = drawing_once


def _drawn(draw, image, stream, width, height, style) -> Drawing | None:
    """Draw `image` on `stream`; its drawing if it can be written again, else None (it
    left objects of its own, and is drawn anew from now on). A drawing to be copied is
    taken back off the stream: the caller writes it, as it writes each later one."""
    resources = stream._resources
    before = [len(resources.get(name, ())) for name in OWN_OBJECTS]
    start = len(stream.stream)
    draw(image, stream, width, height, style)
    if [len(resources.get(name, ())) for name in OWN_OBJECTS] != before:
        image.__dict__["copyable"] = False
        return None
    operators = tuple(stream.stream[start:])
    del stream.stream[start:]
    return Drawing(operators, _states_used(operators, resources["ExtGState"]))


def _states_used(operators: tuple, states) -> tuple:
    """The transparency states (`/A0.13 gs`) that `operators` set, as the stream has them."""
    used = dict.fromkeys(op[1:-3].decode() for op in operators
                         if isinstance(op, bytes) and op.startswith(b"/") and op.endswith(b" gs"))
    return tuple((name, states[name]) for name in used)


def _copyable(image) -> bool:
    cached = image.__dict__.get("copyable")
    if cached is None:
        cached = image.__dict__["copyable"] = all(
            _local(node.tag) in COPYABLE for node in image._svg.tree._etree_node.iter())
    return cached


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
