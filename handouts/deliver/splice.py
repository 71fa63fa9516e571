"""A family's cover put in front of a packet's documents, written once for every family.

Writing a packet's eleven pages costs WeasyPrint about a quarter of a second,
and only the first of them, the cover, differs from one family to the next. So
the documents are written once, with an empty first page where a cover goes
(layout_packet's "documents" part), and each family's cover is written alone (its
"cover" part, told the documents' first pages and the packet's total). The
cover's page then takes the empty page's place here, and with it:

- its elements in the structure tree, first in the document, as a screen reader
  meets them, and their places in the tree's index of marked content (the
  ParentTree), under the empty page's number and the next free ones;
- its links: the contents list points at the documents by name ("d1", "d2"),
  names the documents' PDF already holds;
- its bookmark, first.

What both PDFs share (the document's language, title and reading options) is
the documents' PDF's: both are made from the same template, with the same
generic metadata, never the family's name.
"""

from __future__ import annotations

import io


def with_cover(documents: bytes, cover: bytes) -> bytes:
    """The PDF `documents` (its first page kept for a cover) with the one page of
    `cover` in that place."""
    import pikepdf

    with pikepdf.open(io.BytesIO(documents)) as pdf, pikepdf.open(io.BytesIO(cover)) as front:
        empty = pdf.pages[0].obj
        pdf.pages.insert(0, front.pages[0])  # a copy of the page and all it refers to
        page = pdf.pages[0].obj
        del pdf.pages[1]
        _graft_structure(pdf, front, page, empty)
        _bookmark_first(pdf, front)
        out = io.BytesIO()
        # An identifier made from the content, as WeasyPrint's own: the same packet
        # gives the same bytes.
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _graft_structure(pdf, front, page, empty) -> None:
    """The cover's elements in place of the empty page's, under its ParentTree number;
    its links' entries under the next free numbers."""
    import pikepdf

    tree, theirs = pdf.Root.StructTreeRoot, front.Root.StructTreeRoot
    document, their_document = _document(tree), _document(theirs)
    grafted = [pdf.copy_foreign(kid) for kid in their_document.K]
    for element in grafted:
        element.P = document
    # The empty page's elements (its empty cover section) are the ones before the
    # first document's article.
    kept = list(document.K)
    while kept and kept[0].get("/S") != "/Art":
        kept.pop(0)
    document.K = pikepdf.Array([*grafted, *kept])

    nums, their_nums = tree.ParentTree.Nums, _entries(theirs.ParentTree.Nums)
    key = int(empty.StructParents)
    for index in range(0, len(nums), 2):
        if int(nums[index]) == key:
            nums[index + 1] = _copied(pdf, their_nums[int(page.StructParents)])
    page.StructParents = key
    following = max(int(nums[i]) for i in range(0, len(nums), 2)) + 1
    for annotation in page.get("/Annots", ()):
        if "/StructParent" in annotation:
            nums.append(following)
            nums.append(_copied(pdf, their_nums[int(annotation.StructParent)]))
            annotation.StructParent = following
            following += 1
    if "/ParentTreeNextKey" in tree:
        tree.ParentTreeNextKey = following


def _copied(pdf, value):
    """`value`, from the cover's PDF, as `pdf` holds it: an element, or an array of them
    (by marked-content number; a number with no element is null)."""
    import pikepdf

    if isinstance(value, pikepdf.Array) and not value.is_indirect:
        return pikepdf.Array([_copied(pdf, item) for item in value])
    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return pdf.copy_foreign(value)
    return value


def _document(tree):
    """The tree's Document element, its root's one child."""
    import pikepdf

    return tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K


def _entries(nums) -> dict:
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def _bookmark_first(pdf, front) -> None:
    """The cover's bookmarks, pointing at the first page, before the documents'."""
    import pikepdf

    with front.open_outline() as theirs:
        titles = [item.title for item in theirs.root]
    with pdf.open_outline() as outline:
        for index, title in enumerate(titles):
            outline.root.insert(index, pikepdf.OutlineItem(title, 0))
