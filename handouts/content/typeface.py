"""The brand's typeface, taken from an installed font package, never the system.

Fonts come from `fontpkg` packages (Atkinson Hyperlegible by default), so
every machine renders with the same files. A character the typeface lacks
would be drawn in whatever fallback font the system has; `missing_characters`
finds those before rendering so the writer can fix the text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import fontpkg

from ..problems import HandoutsError
from .font_collections import COLLECTION_TYPEFACES, CollectionTypeface


@dataclass(frozen=True)
class FontFace:
    path: Path
    weight: int  # the lightest it draws
    style: str  # normal | italic
    max_weight: int | None = None  # a variable face draws every weight up to this one

    @property
    def weights(self) -> tuple[int, ...]:
        """The weights to declare it at: its own, or for a variable face the regular and the
        bold the stylesheets use (WeasyPrint 70 refuses a weight range in `@font-face`, and
        draws each declared weight as its own instance)."""
        if not self.max_weight:
            return (self.weight,)
        return tuple(w for w in (400, 700) if self.weight <= w <= self.max_weight)

    @property
    def heaviest(self) -> int:
        return self.max_weight or self.weight


@dataclass(frozen=True)
class Typeface:
    family: str
    faces: tuple[FontFace, ...]

    @property
    def folder(self) -> Path:
        return self.faces[0].path.parent

    def missing(self, text: str) -> list[str]:
        """Characters of `text` that no face of this typeface can draw, in order."""
        covered = coverage(self)
        seen: dict[str, None] = {}
        for char in text:
            if ord(char) not in covered and not _invisible(char):
                seen.setdefault(char)
        return list(seen)


class TypefaceNotInstalled(HandoutsError, LookupError):
    pass


def find_typeface(family: str) -> Typeface:
    """The installed font package for `family` (or its face written from a Debian font
    collection, see font_collections), or TypefaceNotInstalled."""
    if collected := COLLECTION_TYPEFACES.get(family):
        return _from_collection(collected)
    try:
        found = fontpkg.family(family)
    except fontpkg.FontpkgError as exc:
        raise TypefaceNotInstalled(str(exc)) from None
    faces = tuple(FontFace(Path(f.path), f.wght_min, f.style, f.wght_max) if f.variable
                  else FontFace(Path(f.path), f.weight, f.style) for f in found.files)
    if not faces:
        raise TypefaceNotInstalled(f"the font package for {family} has no font files")
    return Typeface(found.name, faces)


def _from_collection(collected: CollectionTypeface) -> Typeface:
    if not (files := collected.installed()):
        raise TypefaceNotInstalled(collected.how_to_install())
    return Typeface(collected.family, tuple(FontFace(path, weight, "normal")
                                            for path, weight in files))


@lru_cache(maxsize=8)
def coverage(typeface: Typeface) -> frozenset[int]:
    """Code points every face can draw (a bold word must not fall back either)."""
    from fontTools.ttLib import TTFont  # only needed when text is checked

    sets = [frozenset(TTFont(face.path, lazy=True).getBestCmap()) for face in typeface.faces]
    return frozenset.intersection(*sets)


def having(char: str, besides: tuple[Typeface, ...] = ()) -> str | None:
    """The name of a typeface that can draw `char`: one of `besides` (the brand's own,
    first), else any installed as a font package; None if none can."""
    for typeface in besides:
        if ord(char) in coverage(typeface):
            return typeface.family
    for name in (*sorted(fontpkg.families()), *COLLECTION_TYPEFACES):
        try:
            typeface = find_typeface(name)
        except TypefaceNotInstalled:
            continue
        if ord(char) in coverage(typeface):
            return typeface.family
    return None


def describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"'{char}' (U+{ord(char):04X} {name})"


def _invisible(char: str) -> bool:
    # Line ends, tabs and format controls are never drawn as glyphs.
    return char in "\n\r\t" or unicodedata.category(char) in ("Cc", "Cf")
