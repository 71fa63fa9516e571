"""How much work a picture asks of the renderer, read before it is drawn.

A PNG of 420 KB can hold 12,000 x 12,000 pixels, which WeasyPrint decodes
into more than a gigabyte; an SVG can say it is 100,000 pixels wide, hold such
a PNG inline as a `data:` address, or repeat a shape through `<use>` until it
draws millions. Each is measured here from what the file says of itself
(a raster's header, never its pixels; an SVG's elements, never drawn) so a
picture over the budget is refused at the line that uses it, with the reason.
Pillow comes with WeasyPrint and reads a header without decoding the rest.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import stat
import warnings
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_PIXELS = 40_000_000  # a full letter page at 300 dpi is 8.4 million
MAX_BYTES = 10_000_000  # a camera's photo is a few MB; the shipped pictures are a few KB
MAX_SHAPES = 100_000  # elements an SVG draws once its <use> are followed; ours draw hundreds
MAX_NESTING = 3  # an SVG's picture inside an SVG's picture

HREFS = ("{http://www.w3.org/1999/xlink}href", "href")
# Drawn only where something places them: a <use>, or a marker on a line's vertices.
# Tags are compared without their namespace: WeasyPrint draws an SVG that has none.
UNDRAWN = ("defs", "symbol", "marker")
GEOMETRY = ("path", "polyline", "polygon", "line")  # what a marker can be placed along
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# CSS pixels in one of each unit an SVG's width or height may be written in.
UNITS = {"": 1, "px": 1, "pt": 4 / 3, "pc": 16, "in": 96, "cm": 96 / 2.54, "mm": 96 / 25.4,
         "q": 96 / 101.6, "em": 16, "ex": 8}
LENGTH = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


@dataclass(frozen=True)
class Size:
    pixels: float
    width: float | None = None  # None: Pillow said only how many pixels
    height: float | None = None

    @classmethod
    def of(cls, width: float, height: float) -> Size:
        return cls(width * height, width, height)

    def __str__(self) -> str:
        megapixels = f"{self.pixels / 1e6:.0f} megapixels"
        if self.width is None:
            return megapixels
        return f"{self.width:.0f}×{self.height:.0f} pixels ({megapixels})"


def oversize(path: Path, folder: Path) -> str | None:
    """Why the picture at `path` is more than a page may take, or None. A file that
    is no picture at all gets None: the renderer says it cannot be read. What an SVG
    shows from another file is measured if that file is in `folder` (the sources);
    the renderer refuses any other."""
    return _oversize(path, folder.resolve(), MAX_NESTING)


def _oversize(path: Path, folder: Path, nesting: int) -> str | None:
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            return None  # a pipe or a device would never end; the renderer refuses it
        if found.st_size > MAX_BYTES:
            return (f"is {found.st_size / 1e6:.0f} MB, more than the {MAX_BYTES // 1_000_000} "
                    "MB a picture may be")
        with path.open("rb") as file:
            data = file.read(MAX_BYTES)
    except OSError:
        return None
    return _data_oversize(data, path.parent, folder, nesting)


def _data_oversize(data: bytes, here: Path, folder: Path, nesting: int) -> str | None:
    """`here` is where the picture's own relative addresses start."""
    size = raster_size(data)
    if size is not None:
        return _over_pixels(size)
    try:
        root = etree.fromstring(data)
    except (etree.ParseError, ValueError, RecursionError):
        return None
    if _local(root.tag) != "svg":
        return None
    return _svg_oversize(root, here, folder, nesting)


def _local(tag) -> str:
    """An element's name without its namespace ({http://www.w3.org/2000/svg}use: use)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def raster_size(data: bytes) -> Size | None:
    """A raster picture's size from its header, or None if Pillow knows no such picture."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # the header only: nothing decoded
                return Size.of(*image.size)
    except Image.DecompressionBombError as exc:
        # Pillow's own guard, at twice its warning size, says how many pixels only.
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        return Size(int(pixels[1]) if pixels else MAX_PIXELS + 1)
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for "not mine"
        return None


def _over_pixels(size: Size) -> str | None:
    if size.pixels <= MAX_PIXELS:
        return None
    return (f"is {size}, more than the {MAX_PIXELS // 1_000_000} megapixels a picture may "
            "have (a full page at 300 dpi is 8)")


def _svg_oversize(root: etree.Element, here: Path, folder: Path, nesting: int) -> str | None:
    size = svg_size(root)
    if size is not None and _over_pixels(size):
        return _over_pixels(size)
    try:
        shapes = drawn_shapes(root)
    except RecursionError:
        return "cannot be drawn: its elements are nested thousands deep"
    if shapes == float("inf"):
        return "cannot be drawn: a <use> in it is inside what it names, so it never ends"
    if shapes > MAX_SHAPES:
        return (f"draws {shapes:,.0f} shapes once each <use> is followed, more than the "
                f"{MAX_SHAPES:,} a picture may")
    for element in root.iter():
        if _local(element.tag) not in ("image", "feImage"):
            continue
        reason = _inner_oversize(_href(element), here, folder, nesting)
        if reason:
            return f"holds a picture that {reason}"
    return None


def svg_size(root: etree.Element) -> Size | None:
    """The size an SVG says it is, in CSS pixels: its width and height, else its viewBox."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    try:
        box_width, box_height = (float(box[2]), float(box[3])) if len(box) == 4 else (None, None)
    except ValueError:
        box_width = box_height = None
    width, height = width or box_width, height or box_height
    return Size.of(width, height) if width and height else None


def _length(value: str | None) -> float | None:
    match = LENGTH.match(value or "")
    if match is None or match[2].lower() not in UNITS:
        return None  # a percentage, or nothing: the viewBox says
    return float(match[1]) * UNITS[match[2].lower()]


def drawn_shapes(root: etree.Element) -> float:
    """How many elements the SVG draws with each `<use>` replaced by what it names:
    ten groups of ten uses of the one before make ten billion. What `<defs>` and
    `<symbol>` hold is drawn only where a `<use>` places it. A `<use>` of
    `this-file.svg#id` is counted as `#id`: WeasyPrint draws it from this document. A
    marker may be drawn at every vertex of every line, so each vertex counts the
    largest marker. Infinite for a `<use>` inside what it names; RecursionError for
    elements nested thousands deep."""
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}
    counted: dict[int, float] = {}
    open_now: set[int] = set()

    def used(element: etree.Element) -> float:
        target = by_id.get((_href(element) or "").rpartition("#")[2])
        return whole(target) if _local(element.tag) == "use" and target is not None else 0

    def whole(element: etree.Element) -> float:
        """The element and all it draws, wherever a <use> places it."""
        key = id(element)
        if key in open_now:
            return float("inf")
        if key not in counted:
            open_now.add(key)
            counted[key] = 1 + sum(whole(child) for child in element) + used(element)
            open_now.discard(key)
        return counted[key]

    markers = [e for e in root.iter() if _local(e.tag) == "marker"]
    largest_marker = max((whole(m) for m in markers), default=0)

    def in_place(element: etree.Element) -> float:
        if _local(element.tag) in UNDRAWN:
            return 1
        placed = _vertices(element) * largest_marker if largest_marker else 0
        return 1 + placed + sum(in_place(child) for child in element) + used(element)

    return in_place(root)


def _vertices(element: etree.Element) -> int:
    """About how many vertices a line has, each a place a marker may be drawn."""
    if _local(element.tag) not in GEOMETRY:
        return 0
    numbers = len(NUMBER.findall(element.get("points") or element.get("d") or ""))
    return max(numbers // 2, 2)


def _href(element: etree.Element) -> str | None:
    return next((element.get(name) for name in HREFS if element.get(name)), None)


def _inner_oversize(href: str | None, here: Path, folder: Path, nesting: int) -> str | None:
    """The picture an SVG's <image> shows: inline as `data:`, or a file in the sources.
    Anything else is the fetcher's to refuse."""
    if not href or nesting <= 0:
        return None
    if href.startswith("data:"):
        data = _data_url(href)
        return _data_oversize(data, here, folder, nesting - 1) if data is not None else None
    parts = urlsplit(href)
    name = unquote(parts.path)
    if parts.scheme not in ("", "file") or not name or "\0" in name:
        return None
    # A file:// address inside the sources is read by the renderer, so it is measured too.
    path = (Path(name) if parts.scheme == "file" else here / name).resolve()
    return _oversize(path, folder, nesting - 1) if path.is_relative_to(folder) else None


def _data_url(href: str) -> bytes | None:
    header, _, payload = href.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote(payload).encode("utf-8", "surrogateescape")
    except (binascii.Error, ValueError):
        return None
