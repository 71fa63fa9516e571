"""A packet put together from PDFs written once: its cover, its documents, its frame.

Laying out a packet's handouts costs WeasyPrint about two seconds, and nothing in
them differs from one packet to the next but the page numbers. So each document is
laid out and written on its own, once for every packet it goes into (its page
number's room kept, unseen: packet_parts.py); each family's cover is written alone,
told where the documents will start; and the page numbers, with a draft's
watermark, are written as a frame of otherwise empty pages. Here the documents'
pages follow the cover's, from a front side (an odd page) each, and the frame's
pages are laid under them. With the pages go:

- the documents' elements in the structure tree, after the cover's, each
  document's article tagged with its language, and their places in the tree's
  index of marked content (the ParentTree), renumbered after the cover's;
- their names for the places links point at: document n's own "d1" becomes "dn"
  and its "d1-..." becomes "dn-...", as one packet laid out whole names them, so
  the cover's contents list (which points at "d1", "d2", ...) and each document's
  own links (to its resource list) land where they should;
- their bookmarks, after the cover's.

What the PDF as a whole says (its language, title and reading options) is the
cover's: made from the same template, with generic metadata, never the family's
name. A cover may run over more than one page: it numbers its own. The frame's
pages carry artifacts only, so nothing of them enters the tree.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass


@dataclass(frozen=True)
class Placed:
    """A document's PDF and where it goes: its first page's number in the packet."""

    data: bytes
    lang: str
    start: int


def assembled(cover: bytes, documents: Sequence[Placed], frame: bytes) -> bytes:
    """The packet: `cover`'s pages, then each document from its start (the pages
    between left blank), with the pages of `frame` after the cover's laid under them."""
    import pikepdf

    with ExitStack() as stack:
        # The documents' PDFs stay open until the packet is saved: their pages' streams
        # are read from them then.
        pdf = stack.enter_context(pikepdf.open(io.BytesIO(cover)))
        cover_pages = len(pdf.pages)
        packet = _Packet(pdf)
        for number, placed in enumerate(documents, start=1):
            while len(pdf.pages) + 1 < placed.start:
                packet.blank_page()
            packet.add(stack.enter_context(pikepdf.open(io.BytesIO(placed.data))),
                       number, placed.lang)
        packet.finish()
        underneath = stack.enter_context(pikepdf.open(io.BytesIO(frame)))
        for number, (page, under) in enumerate(zip(pdf.pages[cover_pages:],
                                                   underneath.pages[cover_pages:], strict=True),
                                               start=cover_pages + 1):
            _lay_under(page, pdf.copy_foreign(under.as_form_xobject()), number)
        out = io.BytesIO()
        # An identifier made from the content, as WeasyPrint's own: the same packet
        # gives the same bytes.
        pdf.save(out, deterministic_id=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


def _lay_under(page, frame, number: int) -> None:
    """`frame` (a page of the same size, as a form) drawn before the content of `page`,
    the packet's `number`th. Under a name of our own, one for each page, as a document's
    pages share their resources: pikepdf's `add_underlay` draws a random one, and the
    same packet would not give the same bytes."""
    import pikepdf

    name = page.add_resource(frame, pikepdf.Name.XObject, name=pikepdf.Name(f"/Frame{number}"))
    page.contents_add(f"q {name} Do Q\n".encode("ascii"), prepend=True)


# A name of the cover's that its links point at, held for a document's (packet.html.j2).
_DOCUMENT_NAME = re.compile(r"d\d+")


class _Packet:
    """The cover's PDF, growing into the packet."""

    def __init__(self, pdf):
        self.pdf = pdf
        self.tree = pdf.Root.StructTreeRoot
        self.document = _document(self.tree)
        self.kids = list(_array(self.document.K))
        self.nums = self.tree.ParentTree.Nums
        self.following = max(int(self.nums[i]) for i in range(0, len(self.nums), 2)) + 1
        self.names = {name: value for name, value in _dests(pdf).items()
                      if not _DOCUMENT_NAME.fullmatch(name)}
        self.bookmarks: list = []  # the documents', in order
        self.lang = str(pdf.Root.get("/Lang", ""))

    def blank_page(self) -> None:
        box = self.pdf.pages[0].MediaBox
        self.pdf.add_blank_page(page_size=(float(box[2]) - float(box[0]),
                                           float(box[3]) - float(box[1])))

    def add(self, part, number: int, lang: str) -> None:
        """Document `number`'s pages, elements, names and bookmarks, from `part`."""
        import pikepdf

        pdf = self.pdf
        first = len(pdf.pages)
        with warnings.catch_warnings():
            # pikepdf warns that names for places are not copied with pages: they are,
            # below, renamed for the packet.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            pdf.pages.extend(part.pages)  # copies of the pages and all they refer to
        theirs = _entries(part.Root.StructTreeRoot.ParentTree.Nums)
        for page in pdf.pages[first:]:
            if "/StructParents" in page.obj:
                page.obj.StructParents = self._index(theirs[int(page.obj.StructParents)])
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = self._index(theirs[int(annotation.StructParent)])
                if isinstance(annotation.get("/Dest"), pikepdf.String):
                    annotation.Dest = _renamed(str(annotation.Dest), number)
        for kid in _array(_document(part.Root.StructTreeRoot).K):
            element = pdf.copy_foreign(kid)
            element.P = self.document
            if lang != self.lang and element.get("/S") == "/Art":
                element.Lang = lang
            self.kids.append(element)
        for name, value in _dests(part).items():
            self.names[_renamed(name, number)] = _copied(pdf, value)
        self._role_map(part)
        with part.open_outline() as outline:
            self.bookmarks.extend(_bookmark(pdf, item) for item in outline.root)

    def _index(self, value) -> int:
        """`value` (a ParentTree entry of a document's) under the next free number."""
        key = self.following
        self.nums.append(key)
        self.nums.append(_copied(self.pdf, value))
        self.following += 1
        return key

    def _role_map(self, part) -> None:
        import pikepdf

        theirs = part.Root.StructTreeRoot.get("/RoleMap")
        if theirs is None:
            return
        if "/RoleMap" not in self.tree:
            self.tree.RoleMap = pikepdf.Dictionary()
        for key, value in theirs.items():
            if key not in self.tree.RoleMap:
                self.tree.RoleMap[key] = value

    def finish(self) -> None:
        import pikepdf

        self.document.K = pikepdf.Array(self.kids)
        if "/ParentTreeNextKey" in self.tree:
            self.tree.ParentTreeNextKey = self.following
        names = pikepdf.Array()
        for name in sorted(self.names):  # a name tree is sorted
            names.append(pikepdf.String(name))
            names.append(self.names[name])
        if "/Names" not in self.pdf.Root:
            self.pdf.Root.Names = pikepdf.Dictionary()
        self.pdf.Root.Names.Dests = pikepdf.Dictionary(Names=names)
        with self.pdf.open_outline() as outline:
            outline.root.extend(self.bookmarks)


def _renamed(name: str, number: int) -> str:
    """A document's name for a place, as the `number`th document of a packet has it:
    laid out alone, each is the first ("d1")."""
    if name == "d1":
        return f"d{number}"
    if name.startswith("d1-"):
        return f"d{number}-{name[3:]}"
    return name


def _bookmark(pdf, item):
    """A document's bookmark, and those under it, pointing into the packet."""
    import pikepdf

    copied = pikepdf.OutlineItem(item.title, _copied(pdf, item.destination))
    copied.is_closed = item.is_closed
    copied.children.extend(_bookmark(pdf, child) for child in item.children)
    return copied


def _dests(pdf) -> dict:
    """The PDF's names for places, flat (WeasyPrint writes one level)."""
    names = pdf.Root.get("/Names", {}).get("/Dests", {}).get("/Names", ())
    return {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}


def _copied(pdf, value):
    """`value`, from another PDF, as `pdf` holds it: an element, an array of them (by
    marked-content number; a number with no element is null), a destination."""
    import pikepdf

    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([_copied(pdf, item) for item in value])
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return pdf.copy_foreign(value)
    return value


def _array(value) -> list:
    import pikepdf

    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _document(tree):
    """The tree's Document element, its root's one child."""
    return _array(tree.K)[0]


def _entries(nums) -> dict:
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
