"""Stage 5, pdf, last step: the structure tree a screen reader walks, as the paper reads.

WeasyPrint tags what the HTML says (headings, lists, links, figures), and the
templates say as much as HTML can. What WeasyPrint 70 cannot be told is mended
here, on its PDF objects before they are written (its documented `finisher`):

- It builds the tree page by page, so an element that a page break (or a line
  break, for a link) cuts in pieces becomes one element per piece: a list in
  two lists, a packet's handout in one article per page (WeasyPrint #2903).
  Pieces of one HTML element that are siblings in the tree are joined.
- The running footer and "Page X of Y" are tagged but left outside the tree
  (WeasyPrint #1836): they become /Pagination artifacts.
- An element the HTML marks `aria-hidden="true"` (a QR code beside the address
  it encodes, the logo beside the clinic's name, the copies of a wallet card)
  becomes an artifact; `role="heading"` with `aria-level` a heading (a
  callout's title, printed as a bold line); `role="presentation"` (a layout
  wrapper) makes no element of its own, its children take its place;
  `data-reading-order` puts siblings
  in the order a reader unfolds the paper (a brochure: cover, inside, flap,
  back), and the bookmarks follow.
- A definition list's term and value become one list item (label, body).
- A language change (`lang`) becomes /Lang; a link's `aria-label` becomes what
  a reader says for it (/Alt) and its description (/Contents of its
  annotations), its `title` its description alone; generated
  content (`a::after`) joins the link it belongs to.
- WeasyPrint's own artifacts (borders, backgrounds) are typed /Layout.

To know which HTML element each structure element was made for, one wrapper
around WeasyPrint's tagging function records it (tag_origins.py); the tests
walk the finished tree, so a WeasyPrint that tags differently fails them.
"""

from __future__ import annotations

from .tag_origins import Origin

HIDDEN = "aria-hidden"
READING_ORDER = "data-reading-order"
PRESENTATION = ("presentation", "none")
HEADINGS = {f"/H{level}" for level in range(1, 7)}


def finish(document, pdf) -> None:
    """Mend the structure tree of `pdf` (a pydyf.PDF that WeasyPrint tagged from the
    weasyprint.Document `document`), and its bookmarks if the reading order moved."""
    if "StructTreeRoot" not in pdf.catalog:
        return
    tree = _Tree(pdf)
    tree.finish()
    if tree.reordered:
        tree.outline_in_reading_order(document)


class _Tree:
    def __init__(self, pdf):
        self.pdf = pdf
        self.origins = {key: origin for key, (_, origin) in getattr(pdf, "origins", {}).items()}
        self.page_refs = list(pdf.page_references)
        self.page_of = {ref: number for number, ref in enumerate(self.page_refs)}
        root = self.obj(pdf.catalog["StructTreeRoot"])
        self.document = self.obj(root["K"][0])
        self.nums = nums = self.obj(root["ParentTree"])["Nums"]
        pages = len(self.page_refs)
        self.parents = [nums[2 * i + 1] for i in range(pages)]  # by page: MCID -> element
        self.annotation_slots = {nums[i]: i + 1 for i in range(2 * pages, len(nums), 2)}
        self.artifacts: dict[int, dict[int, object]] = {}  # page -> MCID -> property list
        self.reordered = False

    def finish(self):
        import pydyf

        self.pydyf = pydyf
        reached = self._reached()
        self._margins_to_artifacts(reached)
        self._rebuild(self.document)
        self._merge(self.document)
        for element in list(self._elements(self.document)):
            self._role(element)
            self._pairs(element)
            self.reordered |= self._reorder(element)
        lang = self.pdf.catalog.get("Lang")
        self._languages(self.document, lang.string if lang is not None else "")
        for element in self._elements(self.document):
            self._describe(element)
        self._rewrite_streams()

    # -- the objects ---------------------------------------------------------

    def obj(self, reference):
        return self.pdf.objects[int(reference.split()[0])]

    def struct(self, kid):
        """The structure element `kid` refers to, or None (an MCID, an annotation)."""
        if not isinstance(kid, bytes):
            return None
        node = self.obj(kid)
        return node if isinstance(node, dict) and node.get("Type") == "/StructElem" else None

    def origin(self, node) -> Origin | None:
        return self.origins.get(id(node))

    def _elements(self, node):
        stack = [node]
        while stack:
            element = stack.pop()
            yield element
            stack.extend(child for kid in reversed(element["K"])
                         if (child := self.struct(kid)) is not None)

    def _reached(self) -> set[int]:
        return {id(element) for element in self._elements(self.document)}

    # -- what is not content ------------------------------------------------

    def _margins_to_artifacts(self, reached: set[int]):
        """The running footer and page numbers: their content, tagged but outside the
        tree, becomes a pagination artifact."""
        for page, parents in enumerate(self.parents):
            for mcid, reference in enumerate(parents):
                if not isinstance(reference, bytes):
                    continue
                node = self.obj(reference)
                if id(node) in reached:
                    continue
                margin = self._margin_of(node)
                subtype = "/Header" if margin and margin.startswith("@top") else "/Footer"
                self._artifact(page, mcid, {"Type": "/Pagination", "Subtype": subtype})

    def _margin_of(self, node) -> str | None:
        while node is not None:
            origin = self.origin(node)
            if origin is not None:
                return origin.margin
            parent = node.get("P")
            node = self.obj(parent) if isinstance(parent, bytes) else None
            if node is not None and node.get("Type") != "/StructElem":
                return None
        return None

    def _artifact(self, page: int, mcid: int, properties: dict):
        self.artifacts.setdefault(page, {})[mcid] = self.pydyf.Dictionary(properties)
        self.parents[page][mcid] = b"null"

    def _hide(self, node):
        """An element and all under it become a layout artifact; its links go."""
        for element in list(self._elements(node)):
            page = self.page_of.get(element.get("Pg"))
            for kid in element["K"]:
                if isinstance(kid, int) and page is not None:
                    self._artifact(page, kid, {"Type": "/Layout"})
                elif isinstance(kid, self.pydyf.Dictionary) and kid.get("Type") == "/MCR":
                    self._artifact(self.page_of[kid["Pg"]], kid["MCID"], {"Type": "/Layout"})
                elif isinstance(kid, bytes) and self.struct(kid) is None:
                    self._drop_annotation(self.obj(kid))

    def _drop_annotation(self, reference_object):
        annotation_ref = reference_object["Obj"]
        page = self.obj(reference_object["Pg"])
        page["Annots"] = self.pydyf.Array(a for a in page.get("Annots", ()) if a != annotation_ref)
        slot = self.annotation_slots.get(self.obj(annotation_ref).get("StructParent"))
        if slot is not None:
            self.nums[slot] = b"null"

    # -- structure -----------------------------------------------------------

    def _rebuild(self, node):
        """Hidden elements out, layout wrappers and a link's generated content into
        their parent, depth first."""
        kids = []
        own = self.origin(node)
        for kid in node["K"]:
            child = self.struct(kid)
            if child is None:
                kids.append(kid)
                continue
            origin = self.origin(child)
            if origin is not None and origin.element.get(HIDDEN) == "true":
                self._hide(child)
                continue
            self._rebuild(child)
            if origin is not None and self._transparent(origin, own):
                kids.extend(self._moved(child, node))
            else:
                kids.append(kid)
        node["K"] = self.pydyf.Array(kids)

    @staticmethod
    def _transparent(origin: Origin, parent: Origin | None) -> bool:
        if origin.element.get("role") in PRESENTATION and "::" not in origin.tag:
            return True
        # `a::after` is a second Link inside its link: it is part of the first.
        pseudo = origin.tag.endswith(("::before", "::after"))
        return pseudo and parent is not None and parent.element is origin.element

    def _merge(self, node):
        """Join siblings made for the same HTML element (pieces of one list, article,
        paragraph or link), then their children in turn."""
        kids = []
        for kid in node["K"]:
            child = self.struct(kid)
            previous = self.struct(kids[-1]) if kids else None
            if child is not None and previous is not None and self._same(previous, child):
                previous["K"].extend(self._moved(child, previous))
                continue
            kids.append(kid)
        node["K"] = self.pydyf.Array(kids)
        for kid in kids:
            if (child := self.struct(kid)) is not None:
                self._merge(child)

    def _same(self, first, second) -> bool:
        a, b = self.origin(first), self.origin(second)
        return (a is not None and b is not None and a.element is b.element
                and a.tag == b.tag and first["S"] == second["S"])

    def _moved(self, source, target) -> list:
        """`source`'s kids, made kids of `target`: page-bound MCIDs become marked-content
        references when the pages differ, and the parent tree follows."""
        moved = []
        page = self.page_of.get(source.get("Pg"))
        same_page = source.get("Pg") == target.get("Pg")
        for kid in source["K"]:
            if isinstance(kid, int):
                self.parents[page][kid] = target.reference
                moved.append(kid if same_page else self.pydyf.Dictionary(
                    {"Type": "/MCR", "Pg": source["Pg"], "MCID": kid}))
            elif isinstance(kid, self.pydyf.Dictionary) and kid.get("Type") == "/MCR":
                self.parents[self.page_of[kid["Pg"]]][kid["MCID"]] = target.reference
                moved.append(kid)
            elif (child := self.struct(kid)) is not None:
                child["P"] = target.reference
                moved.append(kid)
            else:  # an annotation
                slot = self.annotation_slots.get(self.obj(self.obj(kid)["Obj"]).get("StructParent"))
                if slot is not None:
                    self.nums[slot] = target.reference
                moved.append(kid)
        return moved

    def _role(self, node):
        """`role="heading" aria-level="3"`: a paragraph printed as the bold title of a
        callout, and heard as the heading it is."""
        origin = self.origin(node)
        if origin is None or origin.element.get("role") != "heading" or node["S"] != "/P":
            return
        level = origin.element.get("aria-level", "2")
        node["S"] = f"/H{level}" if level in "123456" and len(level) == 1 else "/H2"

    def _pairs(self, node):
        """A definition list (the clinic's contact details): each term and its value,
        one list item a reader hears together, "Phone: 555-0100"."""
        origin = self.origin(node)
        if origin is None or origin.tag != "dl":
            return
        kids, item = [], None
        for kid in node["K"]:
            child = self.struct(kid)
            kind = self.origin(child).tag if child is not None and self.origin(child) else None
            if kind == "dt":
                item = child
                for body in filter(None, map(self.struct, child["K"])):
                    body["S"] = "/Lbl"
                kids.append(kid)
            elif kind == "dd" and item is not None:
                item["K"].extend(self._moved(child, item))
            else:
                kids.append(kid)
        node["K"] = self.pydyf.Array(kids)

    def _reorder(self, node) -> bool:
        """Siblings that say where they are read (`data-reading-order`) take their
        places in that order; the others stay where they are."""
        kids = list(node["K"])
        slots = [(i, order) for i, kid in enumerate(kids)
                 if (order := self._reading_order(self.struct(kid))) is not None]
        if len(slots) < 2:
            return False
        ordered = sorted(slots, key=lambda slot: slot[1])
        for (place, _), (taken, _) in zip(slots, ordered, strict=True):
            kids[place] = node["K"][taken]
        changed = kids != list(node["K"])
        node["K"] = self.pydyf.Array(kids)
        return changed

    def _reading_order(self, node) -> int | None:
        origin = self.origin(node) if node is not None else None
        order = origin.element.get(READING_ORDER, "") if origin is not None else ""
        return int(order) if order.isdigit() else None

    def _languages(self, node, inherited: str):
        """/Lang on each element whose language is not its parent's."""
        for kid in node["K"]:
            child = self.struct(kid)
            if child is None:
                continue
            origin = self.origin(child)
            lang = origin.lang if origin is not None and origin.lang else inherited
            if lang.lower() != inherited.lower():
                child["Lang"] = self.pydyf.String(lang)
            self._languages(child, lang)

    def _describe(self, node):
        """A link's `aria-label`: what a reader says for it, in place of what it prints
        (a citation's "1"), and its description; or its `title`: its description only."""
        origin = self.origin(node)
        if node["S"] != "/Link" or origin is None:
            return
        label = origin.element.get("aria-label")
        words = label or origin.element.get("title")
        if not words:
            return
        if label:
            node["Alt"] = self.pydyf.String(label)
        # A link laid out in blocks (a contents entry) has an annotation for each.
        for element in self._elements(node):
            for kid in element["K"]:
                if isinstance(kid, bytes) and self.struct(kid) is None:
                    self.obj(self.obj(kid)["Obj"])["Contents"] = self.pydyf.String(words)

    # -- bookmarks ------------------------------------------------------------

    def outline_in_reading_order(self, document):
        """The bookmarks again, in the order the tree is read: WeasyPrint lists them
        in page order, which is not the order a brochure is opened in."""
        from weasyprint.pdf.anchors import add_outlines

        headings = [(self.page_of.get(node.get("Pg")), _words(self.origin(node).element))
                    for node in self._elements(self.document)
                    if node["S"] in HEADINGS and self.origin(node) is not None]
        flat = []

        def flatten(marks, depth):
            for title, place, children, state in marks:
                flat.append((depth, title, place, state))
                flatten(children, depth + 1)

        flatten(document.make_bookmark_tree(0.75, transform_pages=True), 0)
        unused = list(enumerate(headings))

        def place_of(index_item):
            index, (depth, title, (page, _, _), _) = index_item
            for position, (number, heading) in enumerate(unused):
                if heading == (page, " ".join(title.split())):
                    del unused[position]
                    return number
            return len(headings) + index  # not a heading the tree has: keep it last

        ordered = [item for _, item in sorted(
            ((place_of(pair), pair[1]) for pair in enumerate(flat)), key=lambda p: p[0])]
        root: list = []
        stack: list[tuple[int, list]] = [(-1, root)]
        for depth, title, place, state in ordered:
            while len(stack) > 1 and stack[-1][0] >= depth:
                stack.pop()
            children: list = []
            stack[-1][1].append((title, place, children, state))
            stack.append((depth, children))
        if root:
            add_outlines(self.pdf, root)

    # -- the page streams ------------------------------------------------------

    def _rewrite_streams(self):
        """One pass over each page's drawing: content made an artifact is marked so,
        and WeasyPrint's untyped artifacts are typed /Layout."""
        layout = self.pydyf.Dictionary({"Type": "/Layout"})
        for number, page_ref in enumerate(self.page_refs):
            stream = self.obj(self.obj(page_ref)["Contents"])
            wanted = self.artifacts.get(number, {})
            found = self._retag(stream, wanted, layout)
            missing = set(wanted) - found
            if missing:  # drawn inside a group (an element with opacity)
                for group in self._groups(self.obj(page_ref)):
                    missing -= self._retag(group, {m: wanted[m] for m in missing}, layout)

    @staticmethod
    def _retag(stream, wanted: dict, layout) -> set[int]:
        ops = stream.stream
        found: set[int] = set()
        out: list = []
        for op in ops:
            if op == b"BMC" and out and out[-1] == "/Artifact":
                out.extend((layout, b"BDC"))
                continue
            if isinstance(op, dict) and "MCID" in op and op["MCID"] in wanted and out:
                found.add(op["MCID"])
                out[-1] = "/Artifact"
                out.append(wanted[op["MCID"]])
                continue
            out.append(op)
        stream.stream = out
        return found

    def _groups(self, page):
        resources = self.obj(page["Resources"])
        objects = resources.get("XObject", {})
        objects = self.obj(objects) if isinstance(objects, bytes) else objects
        for reference in objects.values():
            candidate = self.obj(reference) if isinstance(reference, bytes) else reference
            if hasattr(candidate, "stream"):
                yield candidate


def _words(element) -> str:
    return " ".join("".join(element.itertext()).split())
