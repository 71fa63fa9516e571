"""The Markdown extensions of the resolve stage: citations numbered in order of first use,
and safety blocks parsed in their place, so their citations number with the document's."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from ..content.blocks import Blocks, SafetyBlock
from ..content.markup import BLOCK_MARK

KEY = r"[A-Za-z0-9](?:[\w.:-]*[A-Za-z0-9])?"
CITATION = re.compile(rf"\[(@{KEY}(?:\s*;\s*@{KEY})*)\]")
_PENDING = "citation-pending"


class Numbering:
    """Keys in order of first use, filled in as the converter walks the tree."""

    def __init__(self):
        self.order: list[str] = []


class _CitationPattern(InlineProcessor):
    def handleMatch(self, m, data):
        keys = " ".join(citation_keys(m.group(1)))
        element = etree.Element("sup", {"class": _PENDING, "data-keys": keys})
        return element, m.start(0), m.end(0)


class _CitationNumberer(Treeprocessor):
    """Number citations in reading order, after inline parsing has found them all."""

    def __init__(self, md, numbering: Numbering):
        super().__init__(md)
        self.numbering = numbering

    def run(self, root):
        parents = {child: parent for parent in root.iter() for child in parent}
        for sup in list(root.iter("sup")):
            if sup.get("class") != _PENDING:
                continue
            _keep_with_its_mark(sup, parents[sup])
            keys = sup.attrib.pop("data-keys").split()
            sup.set("class", "citation")
            for key in keys:
                if key not in self.numbering.order:
                    self.numbering.order.append(key)
            # Numbered in order of first use; shown in rising order: 1,6 not 6,1.
            numbers = sorted(self.numbering.order.index(key) + 1 for key in keys)
            for index, number in enumerate(numbers):
                link = etree.SubElement(sup, "a", {"href": f"#ref-{number}",
                                                   "class": "citation-link"})
                link.text = str(number)
                if index < len(numbers) - 1:
                    link.tail = ","


# Marks that close what a citation follows: a line never starts with one. Chinese
# breaks between any two characters, and WeasyPrint between the number and the text.
CLOSING_MARKS = re.compile(r"^[.,;:!?)\]}、。，；：！？）」』》〉،؛؟]+")


def _keep_with_its_mark(sup, parent) -> None:
    """`safe¹.`: the number and the full stop after it in one unbreakable span."""
    mark = CLOSING_MARKS.match(sup.tail or "")
    if not mark:
        return
    span = etree.Element("span", {"class": "cited"})
    parent.insert(list(parent).index(sup), span)
    parent.remove(sup)
    span.append(sup)
    span.tail = sup.tail[mark.end():]
    sup.tail = mark.group()


class Placed:
    """The safety blocks a document may place, and those it did, in order."""

    def __init__(self, blocks: Blocks, lang: str):
        self.available, self.lang = blocks, lang
        self.blocks: list[SafetyBlock] = []


class _SafetyBlockProcessor(BlockProcessor):
    """A paragraph of just `[[overdose]]`: the block's Markdown, parsed in its place,
    so that its citations are numbered with the document's own. A block never places
    another (nor itself)."""

    def __init__(self, parser, placed: Placed):
        super().__init__(parser)
        self.placed = placed
        self.inside = False

    def _block(self, chunk: str) -> SafetyBlock | None:
        mark = BLOCK_MARK.fullmatch(chunk.strip())
        block = self.placed.available.get(mark[1]) if mark and not self.inside else None
        return block if block is not None and self.placed.lang in block.texts else None

    def test(self, parent, block) -> bool:
        return self._block(block) is not None

    def run(self, parent, blocks) -> None:
        block = self._block(blocks.pop(0))
        assert block is not None  # test() said this chunk places one
        self.placed.blocks.append(block)
        div = etree.SubElement(parent, "div", {"class": f"safety-block safety-{block.name}"})
        self.inside = True
        try:
            self.parser.parseChunk(div, block.texts[self.placed.lang].markdown)
        finally:
            self.inside = False
        _group_parts(div)


def _group_parts(div: etree.Element) -> None:
    """Each `###` part of a block (a heading and what follows it) in a box of its own,
    and the parts together in one: the layout keeps the signs of an overdose and its
    steps together on one page of a handout, and lets them break in large print."""
    children = list(div)
    first = next((i for i, child in enumerate(children) if child.tag == "h3"), None)
    if first is None:
        return
    for child in children[first:]:
        div.remove(child)
    parts = etree.SubElement(div, "div", {"class": "block-parts"})
    for child in children[first:]:
        if child.tag == "h3":
            part = etree.SubElement(parts, "div", {"class": "block-part"})
        part.append(child)


class SafetyBlockExtension(Extension):
    def __init__(self, placed: Placed):
        super().__init__()
        self.placed = placed

    def extendMarkdown(self, md):
        # Before paragraphs and lists, after the blank-line and code-block processors.
        md.parser.blockprocessors.register(_SafetyBlockProcessor(md.parser, self.placed),
                                           "safety-block", 95)


class CitationExtension(Extension):
    def __init__(self, numbering: Numbering):
        super().__init__()
        self.numbering = numbering

    def extendMarkdown(self, md):
        # Before links (160) and references (170), so [@key] is never read as a link.
        # The space before a citation goes, a line break in the source too: the
        # superscript sits on the word, never alone at the start of a line.
        pattern = r"\s*" + CITATION.pattern
        md.inlinePatterns.register(_CitationPattern(pattern, md), "citation", 175)
        md.treeprocessors.register(_CitationNumberer(md, self.numbering), "citation", 15)


def citation_keys(marker: str) -> list[str]:
    """`@a; @b` -> ['a', 'b']"""
    return [part.strip().removeprefix("@") for part in marker.split(";")]
