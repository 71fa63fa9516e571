"""Stage 1, discover: find the Markdown sources and read them as text.

`sources/<slug>.md` is English; `sources/<slug>.<lang>.md` is a translation.
Files whose names start with `_` or `.` are the writers' own and skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .problems import ContentError, Problem, error

DEFAULT_LANG = "en"
SOURCE_NAME = re.compile(r"^(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)(?:\.(?P<lang>[a-z]{2}))?\.md$")


@dataclass(frozen=True)
class SourceFile:
    """One Markdown source, read and decoded."""

    path: Path
    slug: str
    lang: str
    text: str
    digest: str  # sha256 of the bytes on disk

    @property
    def key(self) -> tuple[str, str]:
        return (self.slug, self.lang)


@dataclass(frozen=True)
class Discovered:
    sources: tuple[SourceFile, ...]
    problems: tuple[Problem, ...]


def discover(sources_dir: Path) -> Discovered:
    """Read every source in `sources_dir`, reporting the ones that cannot be read."""
    found: list[SourceFile] = []
    problems: list[Problem] = []
    for path in sorted(sources_dir.glob("*.md")):
        if path.name.startswith(("_", ".")):
            continue
        try:
            found.append(read_source(path))
        except ContentError as exc:
            problems.extend(exc.problems)
    found.sort(key=lambda s: (s.slug, s.lang != DEFAULT_LANG, s.lang))  # English first
    return Discovered(tuple(found), tuple(problems))


def read_source(path: Path) -> SourceFile:
    match = SOURCE_NAME.match(path.name)
    if not match:
        raise ContentError([error(
            path, None,
            "a source is named <slug>.md or <slug>.<lang>.md, in lowercase "
            "words joined by dashes (for example klonopin-overview.es.md)")])
    try:
        data = path.read_bytes()
    except OSError as exc:  # a folder named like a source, a broken link, no permission
        raise ContentError([error(path, None, f"cannot be read: {exc.strerror or exc}")]) from None
    return SourceFile(
        path=path,
        slug=match["slug"],
        lang=match["lang"] or DEFAULT_LANG,
        text=decode(data, path),
        digest=hashlib.sha256(data).hexdigest(),
    )


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text with Unix line ends; a wrong encoding names its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ContentError([error(
            path, line,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02X} at column {column}); "
            "save the file as UTF-8")]) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
