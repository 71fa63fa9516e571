"""What a screen reader says, read from a built PDF's structure tree.

A screen reader does not read the page: it walks the tag tree from
/StructTreeRoot, in order, and speaks each element's marked content. This reader
does the same with pikepdf (the tree, the annotations, the outlines) and
pdfminer (the text of each marked-content sequence, by page and MCID), so the
tests can assert on what a blind reader hears rather than on what is printed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pdfminer.pdfdevice import PDFDevice
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFObjRef
from pdfminer.psparser import PSLiteral

# Elements a reader speaks as one unit: their text is said together.
BLOCKS = {"P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "Lbl", "LBody", "Caption",
          "TH", "TD", "Figure", "Formula", "Note", "Reference", "BibEntry", "Code"}


@dataclass(frozen=True)
class Marked:
    """One marked-content sequence on a page, as drawn."""

    page: int
    tag: str  # "Span", "Figure", "Artifact"...
    mcid: int | None
    text: str
    artifact_type: str | None = None  # /Type of an artifact: /Pagination, /Layout...


@dataclass
class Element:
    """A structure element, with what it holds."""

    role: str
    lang: str  # its own /Lang, or the one it inherits
    alt: str | None
    actual: str | None  # /ActualText
    pages: set[int] = field(default_factory=set)
    children: list[Element] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)  # (page, mcid), in order
    annotations: list[dict] = field(default_factory=list)  # link annotations it owns
    own_text: list[str] = field(default_factory=list)  # its content's text, in order
    attributes: dict = field(default_factory=dict)
    parent: Element | None = field(default=None, repr=False)
    own_lang: str | None = None  # its own /Lang, if it has one

    @property
    def text(self) -> str:
        """All the words under this element, as a reader says them: an element's /Alt
        is said in place of what it holds (a figure's, a link's description)."""
        if self.alt is not None:
            return self.alt
        return " ".join(" ".join(self._words(spoken=True)).split())

    @property
    def printed(self) -> str:
        """The words under this element as printed, whatever its /Alt says."""
        return " ".join(" ".join(self._words(spoken=False)).split())

    def _words(self, spoken: bool):
        if spoken and self.actual is not None:
            yield self.actual
            return
        yield from self.own_text
        for child in self.children:
            yield child.text if spoken else child.printed

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, role: str) -> list[Element]:
        return [e for e in self.walk() if e.role == role]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass(frozen=True)
class Spoken:
    """One thing a screen reader says, in reading order."""

    role: str
    text: str
    lang: str


@dataclass
class Reading:
    """A PDF as a screen reader has it."""

    root: Element
    lang: str
    marked: list[Marked]
    referenced: set[tuple[int, int]]  # (page, mcid) the tree reaches
    outline: list[tuple[int, str]]  # bookmarks: (depth, title), in order
    info: dict[str, str]
    annotations: list[dict]  # every link annotation: rect, uri, contents, tagged
    pages: int

    def spoken(self) -> list[Spoken]:
        """What is said, block by block, in tree order."""
        said: list[Spoken] = []

        def visit(element: Element):
            if element.role in BLOCKS or element.role == "Link" and not _in_block(element):
                if element.text:
                    said.append(Spoken(element.role, element.text, element.lang))
                return
            if element.own_text:
                words = " ".join(" ".join(element.own_text).split())
                if words:
                    said.append(Spoken(element.role, words, element.lang))
            for child in element.children:
                visit(child)

        visit(self.root)
        return said

    def words(self) -> str:
        return " ".join(s.text for s in self.spoken())

    def orphans(self) -> list[Marked]:
        """Marked content that is neither an artifact nor reached from the tree."""
        return [m for m in self.marked if m.tag != "Artifact"
                and (m.mcid is None or (m.page, m.mcid) not in self.referenced)]

    def artifacts(self, kind: str | None = None) -> list[Marked]:
        return [m for m in self.marked if m.tag == "Artifact"
                and (kind is None or m.artifact_type == kind)]

    def elements(self, role: str) -> list[Element]:
        return self.root.find(role)


def _in_block(element: Element) -> bool:
    return any(a.role in BLOCKS for a in element.ancestors())


def read(path: Path) -> Reading:
    marked = list(_marked_content(path))
    texts = {(m.page, m.mcid): m.text for m in marked if m.mcid is not None}
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
        lang = str(pdf.Root.get("/Lang", ""))
        referenced: set[tuple[int, int]] = set()
        tree = pdf.Root.StructTreeRoot
        root = Element("StructTreeRoot", lang, None, None)
        _read_kids(tree.get("/K"), root, None, pages, texts, referenced, lang)
        annotations = []
        for number, page in enumerate(pdf.pages):
            for annot in page.get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                action = annot.get("/A", {})
                annotations.append({
                    "page": number,
                    "rect": [float(v) for v in annot.Rect],
                    "uri": str(action.get("/URI", "")) if "/URI" in action else None,
                    "dest": str(action.get("/D", annot.get("/Dest", ""))) or None,
                    "contents": str(annot.get("/Contents", "")),
                    "tagged": "/StructParent" in annot,
                })
        outline = []
        with pdf.open_outline() as tree_outline:
            def walk(items, depth):
                for item in items:
                    outline.append((depth, item.title))
                    walk(item.children, depth + 1)
            walk(tree_outline.root, 0)
        info = {str(k)[1:]: str(v) for k, v in (pdf.docinfo or {}).items()}
        return Reading(root, lang, marked, referenced, outline, info, annotations,
                       len(pdf.pages))


def _read_kids(kids, parent: Element, page, pages, texts, referenced, lang):
    if kids is None:
        return
    if not isinstance(kids, pikepdf.Array):
        kids = [kids]
    for kid in kids:
        if isinstance(kid, int):
            _content(parent, page, int(kid), texts, referenced)
        elif isinstance(kid, pikepdf.Dictionary):
            kind = kid.get("/Type")
            if kind == "/MCR":
                kid_page = pages.get(kid.Pg.objgen) if "/Pg" in kid else page
                _content(parent, kid_page, int(kid.MCID), texts, referenced)
            elif kind == "/OBJR":
                annot = kid.Obj
                parent.annotations.append({
                    "rect": [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])],
                    "contents": str(annot.get("/Contents", "")),
                    "uri": str(annot.A.URI) if "/A" in annot and "/URI" in annot.A else None,
                })
            else:
                element_page = pages.get(kid.Pg.objgen) if "/Pg" in kid else page
                own_lang = str(kid.get("/Lang", lang))
                element = Element(
                    role=str(kid.get("/S", "/?"))[1:], lang=own_lang,
                    alt=str(kid.Alt) if "/Alt" in kid else None,
                    actual=str(kid.ActualText) if "/ActualText" in kid else None,
                    parent=parent,
                    attributes=_attributes(kid),
                    own_lang=str(kid.Lang) if "/Lang" in kid else None)
                if element_page is not None:
                    element.pages.add(element_page)
                parent.children.append(element)
                _read_kids(kid.get("/K"), element, element_page, pages, texts, referenced,
                           own_lang)


def _attributes(element) -> dict:
    found = {}
    attrs = element.get("/A")
    if attrs is None:
        return found
    for attr in attrs if isinstance(attrs, pikepdf.Array) else [attrs]:
        if isinstance(attr, pikepdf.Dictionary):
            for key, value in attr.items():
                found[str(key)[1:]] = value
    return found


def _content(element: Element, page, mcid: int, texts, referenced):
    referenced.add((page, mcid))
    element.mcids.append((page, mcid))
    element.pages.add(page)
    text = texts.get((page, mcid), "")
    if text:
        element.own_text.append(text)


def _marked_content(path: Path):
    """Every marked-content sequence of every page, with its text."""
    manager = PDFResourceManager()
    with open(path, "rb") as handle:
        for number, page in enumerate(PDFPage.get_pages(handle)):
            device = _MarkedText(manager, number)
            PDFPageInterpreter(manager, device).process_page(page)
            yield from device.found


class _MarkedText(PDFDevice):
    """A pdfminer device that collects the text of each marked-content sequence."""

    def __init__(self, manager, page: int):
        super().__init__(manager)
        self.page = page
        self.stack: list[list] = []  # [tag, mcid, artifact type, text parts]
        self.found: list[Marked] = []

    def begin_tag(self, tag, props=None):
        props = props if isinstance(props, dict) else {}
        mcid = props.get("MCID")
        kind = props.get("Type")
        self.stack.append([_name(tag), mcid, _name(kind) if kind else None, []])

    def do_tag(self, tag, props=None):
        pass

    def end_tag(self):
        tag, mcid, kind, parts = self.stack.pop()
        if self.stack and self.stack[-1][0] != "Artifact" and tag != "Artifact":
            self.stack[-1][3].extend(parts)
        self.found.append(Marked(self.page, tag, mcid, "".join(parts),
                                 f"/{kind}" if kind else None))

    def render_string(self, textstate, seq, ncs, graphicstate):
        font = textstate.font
        for item in seq:
            if isinstance(item, bytes):
                text = "".join(font.to_unichr(cid) for cid in font.decode(item))
                if self.stack:
                    self.stack[-1][3].append(text)
                else:
                    self.found.append(Marked(self.page, "(unmarked)", None, text))


def _name(value) -> str:
    if isinstance(value, PSLiteral):
        return value.name if isinstance(value.name, str) else value.name.decode()
    if isinstance(value, PDFObjRef):
        return "?"
    return str(value)


def pdf_outline(path: Path) -> list[tuple[int, str]]:
    return read(path).outline


def by_role(reading: Reading) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for spoken in reading.spoken():
        found[spoken.role].append(spoken.text)
    return found
