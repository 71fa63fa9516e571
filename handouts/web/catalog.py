"""What the staff app shows: the built library, by document, and page thumbnails.

Read from `output/catalog.json` (re-read when it changes), so the app shows
exactly what the build made. Thumbnails are rendered from the built PDFs with
pdfium and kept in `output/.cache/thumbnails/`, named by the PDF's digest: a
rebuilt PDF gets new thumbnails, and nothing personal is ever in there.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from ..content.filecache import stamp_or_none
from ..content.formats import FORMAT_LABELS
from ..content.sources import languages
from ..library.outputs import read_catalog
from ..library.search import Found, SearchIndex, fold


def _own_name(lang: str) -> str:
    """A language as its readers write it, as a language picker shows it: "Español"."""
    from babel import Locale

    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


# Each language the project prints (content.sources.languages), in its own words.
LANGUAGE_NAMES = {lang: _own_name(lang) for lang in languages()}


@dataclass(frozen=True)
class File:
    """One built PDF."""

    slug: str
    lang: str
    format: str
    title: str
    path: str  # relative to the output folder
    pages: int
    sha256: str
    status: str
    source: str  # what it was built from, relative to the project
    version: str = ""
    code: str | None = None
    source_sha256: str = ""  # of the source it was built from ("": a catalog from before)


@dataclass(frozen=True)
class Card:
    """One document in the catalog, with every language and format it was built in."""

    slug: str
    title: str
    summary: str
    audience: tuple[str, ...]
    topics: tuple[str, ...]
    status: str  # draft when any of its files is
    next_review: str | None
    files: tuple[File, ...]

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({f.lang for f in self.files}, key=lambda lang: (lang != "en", lang)))

    @property
    def formats(self) -> tuple[str, ...]:
        order = list(FORMAT_LABELS)
        return tuple(sorted({f.format for f in self.files}, key=lambda f: order.index(f)
                            if f in order else len(order)))

    @property
    def packetable(self) -> bool:
        """Whether it can go in a packet: only a document written as a handout (a Markdown
        source) can; the clinic's wallet card, made from the brand alone, cannot."""
        return any(f.source.endswith(".md") for f in self.files)

    def file(self, fmt: str, lang: str) -> File | None:
        return next((f for f in self.files if f.format == fmt and f.lang == lang), None)

    def preview(self, lang: str = "en") -> File | None:
        """The file whose pages stand for the document: its handout, if it has one."""
        for fmt in (*FORMAT_LABELS, *self.formats):
            found = self.file(fmt, lang) or self.file(fmt, "en")
            if found:
                return found
        return None

    @property
    def stamp(self) -> str:
        """Changes whenever any of its files is rebuilt: a page carries the stamp of what
        it showed, so that a packet is made only from what staff saw."""
        built = sorted((f.format, f.lang, f.sha256, f.source_sha256) for f in self.files)
        return hashlib.sha256(repr(built).encode()).hexdigest()[:16]

    @property
    def version(self) -> str:
        shown = self.preview()
        return shown.version if shown else ""

    def packet_file(self, lang: str, large_print: bool = False) -> File | None:
        """The file a packet in `lang` takes this document's words from: its own language's,
        or else the English (as packet.choose_sources does)."""
        fmt = "large-print" if large_print else "handout"
        return (self.file(fmt, lang) or self.file("handout", lang) or self.file(fmt, "en")
                or self.file("handout", "en"))

    def title_in(self, lang: str) -> str:
        return next((f.title for f in self.files if f.lang == lang), self.title)


@dataclass(frozen=True)
class Results:
    cards: list[Card]
    searched: str | None = None  # the words searched for instead of those typed (misspelt)
    nearest: tuple[str, str] | None = None  # (slug, title) offered as "did you mean"
    unavailable: bool = False  # no search index: titles and summaries were matched instead


class Catalog:
    """The built library, re-read whenever catalog.json changes on disk."""

    def __init__(self, out: Path):
        self.out = out
        self.index = SearchIndex(out)
        self._stamp: tuple | None = None
        self._cards: dict[str, Card] = {}
        self._lock = threading.Lock()

    def cards(self) -> list[Card]:
        self._refresh()
        return sorted(self._cards.values(), key=lambda c: c.title.lower())

    def card(self, slug: str) -> Card | None:
        self._refresh()
        return self._cards.get(slug)

    def find(self, fmt: str, slug: str, lang: str) -> tuple[File, Path] | None:
        """A built file, only ever by what the catalog lists: no path from a request is used."""
        card = self.card(slug)
        found = card.file(fmt, lang) if card else None
        if found is None:
            return None
        path = (self.out / found.path).resolve()
        return (found, path) if path.is_file() and path.is_relative_to(self.out.resolve()) else None

    def search(self, text: str = "", topic: str = "", audience: str = "", lang: str = "",
               fmt: str = "") -> Results:
        """The cards for what staff typed (best first, by the search index; see search.py)
        that match the filters; without words, every card, by title."""
        self._refresh()
        if text.strip():
            found = self.index.search(text)
            ranked = [self._cards[slug] for slug in found.slugs if slug in self._cards]
            if found.unavailable:  # until the next build: every word in a title or summary
                words = fold(text).split()
                ranked = [card for card in self.cards() if all(
                    word in fold(" ".join((card.title, card.summary, *card.topics)))
                    for word in words)]
        else:
            found, ranked = Found(()), self.cards()
        cards = [card for card in ranked
                 if (not topic or topic in card.topics)
                 and (not audience or audience in card.audience)
                 and (not lang or lang in card.languages)
                 and (not fmt or fmt in card.formats)]
        nearest = found.nearest if found.nearest and found.nearest[0] in self._cards else None
        return Results(cards, found.searched, nearest, found.unavailable)

    def choices(self) -> dict[str, list[str]]:
        cards = self.cards()
        return {
            "topics": sorted({t for c in cards for t in c.topics}),
            "audiences": sorted({a for c in cards for a in c.audience}),
            "languages": sorted({lang for c in cards for lang in c.languages},
                                key=lambda lang: (lang != "en", lang)),
            "formats": [f for f in FORMAT_LABELS if any(f in c.formats for c in cards)],
        }

    def _refresh(self) -> None:
        path = self.out / "catalog.json"
        stamp = stamp_or_none(path)
        with self._lock:
            if stamp != self._stamp:
                self._cards = _cards(read_catalog(self.out).values()) if stamp else {}
                self._stamp = stamp


def _cards(entries) -> dict[str, Card]:
    by_slug: dict[str, list[dict]] = {}
    for entry in entries:
        by_slug.setdefault(entry["slug"], []).append(entry)
    cards = {}
    for slug, items in by_slug.items():
        english = next((e for e in items if e["lang"] == "en"), items[0])
        cards[slug] = Card(
            slug=slug,
            title=english["title"],
            summary=english.get("summary", ""),
            audience=tuple(english.get("audience", ())),
            topics=tuple(english.get("topics", ())),
            status="draft" if any(e.get("status") == "draft" for e in items) else "approved",
            next_review=english.get("next_review"),
            files=tuple(File(e["slug"], e["lang"], e["format"], e["title"], e["path"], e["pages"],
                             e["sha256"], e.get("status", "draft"), e.get("source", ""),
                             str(e.get("version", "")), e.get("code"),
                             e.get("source_sha256", ""))
                         for e in items),
        )
    return cards


class Thumbnails:
    """Page images of built PDFs, rendered once each and kept by the PDF's digest."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()  # pdfium is not safe to use from two threads at once

    def page(self, pdf: Path, sha256: str, page: int, width: int) -> Path:
        target = self.folder / f"{sha256[:32]}-{page}-{width}.png"
        if target.is_file():
            return target
        import pypdfium2 as pdfium

        from ..library.outputs import atomic_write

        with self._lock:
            document = pdfium.PdfDocument(pdf)
            try:
                sheet = document[page - 1]
                scale = width / sheet.get_width()
                image = sheet.render(scale=scale).to_pil()
            finally:
                document.close()
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        atomic_write(self.folder, target.name, buffer.getvalue())
        return target
