"""Stage 1, discover: find the Markdown sources and read them as text.

`sources/<slug>.md` is English; `sources/<slug>.<lang>.md` is a translation,
in a language the templates are translated to (`handouts/locale/<lang>`).
Files whose names start with `_` or `.` are the writers' own and skipped.

What is read is bounded and stays in the folder: a source larger than a
handout can be is refused before it is decoded (rendering grows with it, about
six seconds a format for 100 KB), and so is a link to a file outside the
sources folder, as images are. A link to another file inside the folder is
the writer's own and is read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ..problems import ContentError, Problem, error

DEFAULT_LANG = "en"
# The templates' words, one folder a language.
LOCALE = Path(__file__).resolve().parents[1] / "locale"
MAX_SOURCE_BYTES = 100_000  # some 40 printed pages; the longest shipped source is 3.5 KB
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
    known = languages()  # looked up once: it lists the locale folder
    for path in sorted(sources_dir.glob("*.md")):
        if path.name.startswith(("_", ".")):
            continue
        try:
            found.append(read_source(path, known))
        except ContentError as exc:
            problems.extend(exc.problems)
    found.sort(key=lambda s: (s.slug, s.lang != DEFAULT_LANG, s.lang))  # English first
    return Discovered(tuple(found), tuple(problems))


def read_source(path: Path, known: tuple[str, ...] | None = None) -> SourceFile:
    """The source at `path`; `known` is `languages()`, if the caller has it already."""
    match = SOURCE_NAME.match(path.name)
    if not match:
        raise ContentError([error(
            path, None,
            "a source is named <slug>.md or <slug>.<lang>.md, in lowercase "
            "words joined by dashes (for example klonopin-overview.es.md)")])
    lang = match["lang"] or DEFAULT_LANG
    known = known if known is not None else languages()
    if lang not in known:
        raise ContentError([error(
            path, None, f"'{lang}' is not a language this project prints (known: "
            f"{', '.join(known)}); a translation is <slug>.<lang>.md in one of them, "
            f"and a new language starts with handouts/locale/{lang}/LC_MESSAGES/messages.po")])
    data = read_bounded(path)
    return SourceFile(
        path=path,
        slug=match["slug"],
        lang=lang,
        text=decode(data, path),
        digest=hashlib.sha256(data).hexdigest(),
    )


def slug_of(path: Path) -> str:
    """The document a file is named for: `naloxone` for naloxone.es.md or naloxone.pdf."""
    return path.name.split(".")[0]


def languages() -> tuple[str, ...]:
    """English, and each language the templates' words are translated to. A source in
    another language would print its frame, dates and crisis lines in English, and
    tell a screen reader a language no stage of the build knows."""
    found = (p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/messages.po"))
    return (DEFAULT_LANG, *sorted(set(found) - {DEFAULT_LANG}))


def read_bounded(path: Path) -> bytes:
    """The bytes of the file at `path`, if it is a file of the sources folder, and
    no larger than a source may be."""
    # Only a link can lead outside the folder: a file that is none is not resolved, as
    # resolving looks up every folder above it, for each of thousands of sources.
    real = path.resolve() if path.is_symlink() else path
    if real is not path and not real.is_relative_to(path.parent.resolve()):
        raise ContentError([error(path, None, "is a link to a file outside the sources "
                                  "folder, which a build never reads: copy the file in instead")])
    try:
        with open(real, "rb", opener=_regular_only) as file:
            data = file.read(MAX_SOURCE_BYTES + 1)
            size = os.fstat(file.fileno()).st_size
    except OSError as exc:  # a folder named like a source, a broken link, no permission
        raise ContentError([error(path, None, f"cannot be read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_SOURCE_BYTES:
        line = data.count(b"\n", 0, MAX_SOURCE_BYTES) + 1  # where the limit is crossed
        raise ContentError([error(
            path, line, f"the source is {_size(max(size, len(data)))}, more than the "
                        f"{_size(MAX_SOURCE_BYTES)} a source may be (some 40 pages; it passes "
                        "that on this line): split it into shorter handouts")])
    return data


def _regular_only(name, flags: int) -> int:
    """Open without blocking, and only a regular file: a pipe named like a source
    would wait for a writer forever, a device would never end."""
    descriptor = os.open(name, flags | os.O_NONBLOCK)
    mode = os.fstat(descriptor).st_mode
    if stat.S_ISREG(mode):
        return descriptor
    os.close(descriptor)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory")
    raise OSError(errno.EINVAL, "not a regular file")


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count // 1000} KB"


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
