"""What of a document the brand's typeface cannot draw, found before it is rendered.

A character the typeface lacks would be drawn in whatever fallback font the
system has, so every text a document prints is read first: its front matter,
its body, the safety blocks it places, the titles of the resources it cites,
and the text of its SVG pictures (see `pictures`). Each problem names the
file and line a writer would fix: a picture's at the line that uses it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..content.brand import Brand
from ..content.typeface import Typeface, having
from ..content.typeface import describe as describe_char
from ..problems import Problem, error
from . import pictures
from .citations import ResolvedDocument
from .source_lines import images_with_lines


def glyph_problems(resolved: ResolvedDocument, brand: Brand,
                   images_root: Path | None = None) -> list[Problem]:
    """Characters the typeface cannot draw, found before they fall back to another font;
    pictures are relative to `images_root` (the document's folder, unless given)."""
    document = resolved.document
    path = document.source.path
    texts: list[tuple[Path, int | None, str]] = [
        (path, document.front_matter.line(key), str(getattr(document.meta, key) or ""))
             for key in ("title", "subtitle", "summary")]
    texts += [(path, document.body_line + offset, line)
              for offset, line in enumerate(document.body_md.split("\n"))]
    texts += block_lines(resolved)
    library = path.parent / "resources.yaml"
    texts += [(library, c.resource.line, f"{c.resource.title} {c.resource.publisher or ''}")
              for c in resolved.citations]
    return [error(where, line, missing_message(char, brand, document.lang))
            for where, line, text in texts for char in brand.typeface.missing(text)
            ] + picture_problems(resolved, brand, images_root)


def missing_message(char: str, brand: Brand, lang: str) -> str:
    """What to do about a character the document's typeface cannot draw: which typeface
    would have it, and how to give it to the document's language (or that none would)."""
    message = f"{describe_char(char)} is not in the {brand.typeface.family} typeface"
    other = having(char, brand.all_typefaces)
    if other is None:
        return f"{message}, nor in any installed one; use another character or write it out"
    if lang == "en" or lang in brand.typefaces or other == brand.typeface.family:
        return f"{message}; {other} has it; use another character or write it out"
    return (f"{message}; {other} has it: for a document in '{lang}', set defaults: handouts: "
            f"typefaces: {lang}: {other} in the brand file, or use another character")


def block_lines(resolved: ResolvedDocument) -> list[tuple[Path, int, str]]:
    """(file, line, text) of each line of the safety blocks a document places, in its
    language: what a block prints is reported in the block's own file."""
    lang = resolved.document.lang
    return [(block.path, block.texts[lang].line + offset, line)
            for block in resolved.blocks
            for offset, line in enumerate(block.texts[lang].markdown.split("\n"))]


def _where_used(resolved: ResolvedDocument, src: str, line: int | None) -> tuple[Path, int | None]:
    """The file and line that use a picture: the document's own, else a block's."""
    if line is not None:
        return resolved.document.source.path, line
    found = next(((path, number) for path, number, text in block_lines(resolved)
                  if f"]({src}" in text), None)
    return found or (resolved.document.source.path, None)


def picture_problems(resolved: ResolvedDocument, brand: Brand,
                     images_root: Path | None = None) -> list[Problem]:
    """Text of the document's SVG pictures that would not print in the typeface: characters
    it lacks, and fonts other than it. Each at the line that uses the picture: the picture's
    own file has no line a writer would look for."""
    document = resolved.document
    folder = (images_root or document.source.path.parent).resolve()
    used = set(resolved.images)
    found: dict[Path, list[str]] = {}  # by picture: one read however often it is used
    problems = []
    for image, line in images_with_lines(document, resolved.body_html):
        path = (folder / unquote(urlsplit(image.src).path)).resolve()
        if path in used and pictures.is_svg(path):
            if path not in found:
                found[path] = _picture_text_problems(pictures.load(path), brand.typeface)
            where, number = _where_used(resolved, image.src, line)
            problems += [error(where, number, f"image '{image.src}': {message}")
                         for message in found[path]]
    return problems


def _picture_text_problems(picture: pictures.Picture | None, typeface: Typeface) -> list[str]:
    if picture is None or not picture.text.strip():
        return []  # no text, or not SVG that can be read: WeasyPrint says so when it draws
    messages = []
    if missing := typeface.missing(picture.text):
        chars = ", ".join(describe_char(c) for c in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        messages.append(f"its text {chars}{more} {'is' if len(missing) == 1 else 'are'} not "
                        f"in the {typeface.family} typeface; use other characters in the "
                        "picture or write them out")
    if others := [f for f in picture.families if not pictures.same_family(f, typeface.family)]:
        messages.append(f"its text names the font {', '.join(repr(f) for f in others)}, not "
                        f"{typeface.family}; take the font out of the picture and its text "
                        f"prints in {typeface.family}")
    return messages
