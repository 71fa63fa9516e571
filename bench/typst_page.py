"""A handout's text as Typst markup, for the benchmark's Typst path.

Made from the HTML this pipeline lays out, so Typst sets the same words: the
safety blocks, callouts, numbered citations (linked to the resource list), the
contact and crisis boxes and the resources. The page is like ours: Letter, the
same margins, Atkinson Hyperlegible at 12.5 pt with the same heading sizes and
colours, the masthead band with the logo, boxes for blocks and callouts, the
footer's code and "Page N of M". The pictures are kept, at our sizes, but a
picture we float beside the text stands on its own line. Left out: the QR
codes, the DRAFT watermark, the callout icons, and our re-layout of a document
whose last page would be mostly blank.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import tinyhtml5

SPECIAL = re.compile(r"([\\*_`#$<>@\[\]~/=+\-\"'.])")
TEXT_WIDTH_PT = (8.5 - 1.8) * 72
# Boxed as ours are: (fill, border colour, whether the box may break over a page).
BOXES = {"safety-block": (None, "danger", True), "brand-block": (None, "primary", False),
         "contact": ("light", None, False), "crisis": (None, "primary", False),
         "danger": (None, "danger", False), "warning": (None, "warning", False),
         "note": (None, "info", False), "tip": (None, "success", False)}


def typst_markup(html: str, base: Path) -> str:
    """The markup for one laid-out handout; pictures' paths resolved against `base`."""
    root = tinyhtml5.parse(html)
    style = "".join(e.text or "" for e in root.iter() if tag(e) == "style")
    colours = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", style))
    footer = re.search(r'@bottom-left \{ content: "([^"]*)"', style)
    title = next(e.text for e in root.iter() if tag(e) == "title")
    body = next(e for e in root if tag(e) == "body")
    return preamble(title, footer[1] if footer else "", colours) + Converter(base, colours).block(body)


def preamble(title: str, footer: str, c: dict[str, str]) -> str:
    return f"""#set document(title: {string(title)})
#set page(paper: "us-letter", margin: (top: 0.6in, bottom: 0.72in, x: 0.9in),
  footer: context text(9.5pt)[{escape(footer)} #h(1fr) Page #counter(page).display() of #counter(page).final().first()])
#set text(font: "Atkinson Hyperlegible", size: 12.5pt, lang: "en", fill: rgb("{c['foreground']}"))
#set par(leading: 0.75em, spacing: 0.9em)
#set list(marker: [•])
#show heading: set text(fill: rgb("{c['primary']}"))
#show heading.where(level: 1): set text(26pt)
#show heading.where(level: 2): set text(17pt)
#show heading.where(level: 3): set text(14pt)
#show heading: set block(above: 1.1em, below: 0.5em)
"""


class Converter:
    def __init__(self, base: Path, colours: dict[str, str]):
        self.base, self.colours = base, colours

    def block(self, element) -> str:
        """Block-level content: paragraphs, headings, lists and boxes, a blank line apart."""
        parts = []
        if (element.text or "").strip():
            parts.append(escape(element.text))
        for child in element:
            parts.append(self.element(child))
            if (child.tail or "").strip():
                parts.append(escape(child.tail))
        return "\n\n".join(p.strip() for p in parts if p.strip())

    def inline(self, element) -> str:
        text = escape(element.text or "")
        for child in element:
            text += self.element(child) + escape(child.tail or "")
        return text

    def element(self, e) -> str:
        name, classes = tag(e), (e.get("class") or "").split()
        if name in ("head", "style") or "callout-kind" in classes or "resource-number" in classes:
            return ""
        if name == "img":
            return self.picture(e, classes)
        if name in ("h1", "h2", "h3") or e.get("role") == "heading":
            level = int(name[1]) if name[0] == "h" else int(e.get("aria-level", 3))
            return f"{'=' * level} {self.inline(e).strip()}"
        if "masthead" in classes:
            return (f"#block(fill: rgb({string(self.colours['primary'])}), inset: (x: 14pt, y: 7pt), "
                    f"radius: 6pt, width: 100%, text(fill: white, 17pt, weight: \"bold\")"
                    f"[{self.inline(e).strip()}])")
        if "closing-boxes" in classes:
            cells = [f"[{self.element(child)}]" for child in e]
            columns = "(42%, 1fr)" if len(cells) == 2 else "(1fr,)"
            return f"#grid(columns: {columns}, gutter: 5pt, {', '.join(cells)})"
        if kind := next((c for c in classes if c in BOXES), None):
            return self.box(e, *BOXES[kind])
        if name in ("ul", "ol"):
            marker = "+" if name == "ol" else "-"
            items = "\n".join(self.item(marker, li) for li in e if tag(li) == "li")
            if "resource-list" in classes:  # two to a row, in smaller type, as ours
                return f"#columns(2, gutter: 12pt)[#set text(10.5pt)\n{items}\n]"
            return items
        if name == "dl":
            terms = [(self.inline(d).strip(), tag(d)) for d in e]
            return "\n".join(f"/ {t}: {d}" for (t, _), (d, _) in zip(terms[::2], terms[1::2], strict=True))
        if name == "p":
            size = {"subtitle": "15pt", "main-message": "13.5pt"}.get(classes[0] if classes else "")
            text = self.inline(e).strip()
            return f"#text({size})[{text}]" if size else text
        if name == "a":
            href = e.get("href", "")
            target = f"<{href[1:]}>" if href.startswith("#") else string(href)
            return f"#link({target})[{self.inline(e)}]"
        if name == "sup":
            return f"#super[{self.inline(e)}]"
        if name in ("strong", "em"):
            return f"#{'strong' if name == 'strong' else 'emph'}[{self.inline(e)}]"
        if name == "br":
            return "\\ "
        if name == "span":
            return self.inline(e)
        return self.block(e)

    def item(self, marker: str, li) -> str:
        """One list item; its own lines indented under it. A resource carries its label."""
        parts = [c for c in li if tag(c) == "p"]
        if parts and "crisis-name" in (parts[0].get("class") or ""):  # "Name: Call 988" on one line
            text = f"#strong[{self.inline(parts[0]).strip()}]: " + "\n\n".join(
                self.element(p) for p in parts[1:])
        elif any(tag(c) in BLOCKS for c in li):
            text = self.block(li)
        else:
            text = self.inline(li).strip()
        label = f" #metadata(none) <{li.get('id')}>" if li.get("id") else ""
        return f"{marker} " + text.replace("\n", "\n  ") + label

    def box(self, e, fill: str | None, border: str | None, breakable: bool) -> str:
        paint = (f"fill: {rgb(self.colours[fill])}, " if fill else "") + (
            f"stroke: 2.5pt + {rgb(self.colours[border])}, " if border else "")
        return (f"#block({paint}inset: 10pt, width: 100%, breakable: {str(breakable).lower()})"
                f"[\n{self.block(e)}\n]")

    def picture(self, e, classes: list[str]) -> str:
        src = e.get("src", "")
        if src.startswith("data:"):  # the QR codes
            return ""
        path = Path(unquote(urlsplit(src).path)) if src.startswith("file:") else self.base / src
        alt = string(e.get("alt", ""))
        if "logo" in classes:
            return f"#box(image({string(str(path.resolve()))}, height: 0.48in, alt: {alt})) #h(12pt)"
        width = 1.3 * 72 if "beside" in classes else natural_width(path)
        align = "end" if "beside" in classes else "center"
        return f"#align({align}, image({string(str(path.resolve()))}, width: {width:.1f}pt, alt: {alt}))"


BLOCKS = {"p", "ul", "ol", "div", "dl", "h1", "h2", "h3"}


def natural_width(path: Path) -> float:
    """An SVG's width as WeasyPrint draws it (96 px to the inch), at most 3.2 in tall
    and the width of the text."""
    head = path.read_text()[:400]
    width, height = (float(re.search(rf'{a}="([\d.]+)"', head)[1]) for a in ("width", "height"))
    return min(width * 0.75, 3.2 * 72 * width / height, TEXT_WIDTH_PT)


def tag(element) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def escape(text: str) -> str:
    return SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rgb(colour: str) -> str:
    return f"rgb({string(colour)})"
