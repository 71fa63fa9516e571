"""Typefaces no font package on PyPI carries, taken from a Debian package instead.

Noto Sans CJK SC, for Chinese, ships only inside Debian's `fonts-noto-cjk`, as
font collections (.ttc) that hold the Japanese, Korean, Simplified and
Traditional Chinese faces together. WeasyPrint registers every face of a
collection under the name a stylesheet gives it, so it could draw Chinese
with the Japanese shapes of the same characters. `make` therefore installs
the Debian package and writes the one face we use, unchanged, into the
project's environment (`python -m handouts.content.font_collections`); the
renderer then reads that file like any other typeface's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DEBIAN_FONTS = Path("/usr/share/fonts/opentype")


@dataclass(frozen=True)
class CollectionFace:
    collection: Path  # the .ttc the Debian package installs
    weight: int

    @property
    def file_name(self) -> str:
        return f"{self.collection.stem}-{self.weight}.otf"


@dataclass(frozen=True)
class CollectionTypeface:
    family: str  # the face's own family name inside the collection
    package: str  # the Debian package that installs the collections
    faces: tuple[CollectionFace, ...]

    @property
    def folder(self) -> Path:
        """Where its faces are written: inside the environment, gone with it."""
        slug = self.family.lower().replace(" ", "-")
        return Path(sys.prefix, "share", "handouts-fonts", slug)

    def installed(self) -> tuple[tuple[Path, int], ...] | None:
        """(file, weight) of each face once written, or None if one is missing."""
        files = tuple((self.folder / face.file_name, face.weight) for face in self.faces)
        return files if all(path.is_file() for path, _ in files) else None

    def how_to_install(self) -> str:
        return (f"{self.family} comes from Debian's {self.package} package: run `make docs` "
                f"(or apt-get install {self.package}, then "
                "python -m handouts.content.font_collections)")


_NOTO_CJK = DEBIAN_FONTS / "noto"
COLLECTION_TYPEFACES = {
    typeface.family: typeface for typeface in (
        CollectionTypeface("Noto Sans CJK SC", "fonts-noto-cjk", (
            CollectionFace(_NOTO_CJK / "NotoSansCJK-Regular.ttc", 400),
            CollectionFace(_NOTO_CJK / "NotoSansCJK-Bold.ttc", 700))),
    )
}


def write_faces(typeface: CollectionTypeface) -> bool:
    """Write each face of `typeface` out of its collection; False if the package is missing."""
    from fontTools.ttLib import TTCollection  # only when installing

    if not all(face.collection.is_file() for face in typeface.faces):
        return False
    typeface.folder.mkdir(parents=True, exist_ok=True)
    for face in typeface.faces:
        target = typeface.folder / face.file_name
        if target.is_file() and target.stat().st_mtime >= face.collection.stat().st_mtime:
            continue
        font = next(font for font in TTCollection(face.collection).fonts
                    if font["name"].getDebugName(1) == typeface.family)
        partial = target.with_suffix(f".{os.getpid()}.part")
        font.save(partial)  # tables copied as they are: the same glyphs, drawn the same
        partial.replace(target)
    return True


def main() -> int:
    for typeface in COLLECTION_TYPEFACES.values():
        if not write_faces(typeface):
            print(f"error: {typeface.how_to_install()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
