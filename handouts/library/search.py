"""Search for the staff app: `output/search.sqlite`, made with the catalog.

SQLite's full-text search (FTS5, in Python's standard library: nothing to
install, no server) indexes every built document's title, summary, topics
and body, in each language it is written in. Words are folded (case and
accents: "medico" finds "médico") and stemmed as English ("families" finds
"family"). Staff type medicines by their brand names, so the synonyms table
in the sources folder (`synonyms.yml`, reviewed like content) makes "Narcan"
find naloxone. A word the index does not hold is matched by its trigrams
against every word it does (FTS5's trigram tokenizer), so "Klonipin" finds
Klonopin; and the nearest title is offered as "did you mean".

The index is made in memory and written with the catalog, as one file, so
the app never reads one half made; the app opens it read-only.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..content.yamltext import YamlText, load_yaml
from ..problems import ContentError, Problem

INDEX = "search.sqlite"
SCHEMA = "handouts search 1"  # changed with the tables, so an older index is made again
SYNONYMS = "synonyms.yml"
# Weights of the columns when ranking: a word in the title counts most.
WEIGHTS = {"title": 10.0, "summary": 5.0, "topics": 5.0, "body": 1.0}
MAX_GROUPS, MAX_NAMES, MAX_NAME_CHARS = 500, 20, 60
MAX_QUERY_WORDS = 12  # more is a paste, not a search
CLOSE_ENOUGH = 0.75  # difflib's ratio for a word taken as a misspelling of another
WORD = re.compile(r"\w+")
NAME = re.compile(r"^[\w][\w .'-]*$")


@dataclass(frozen=True)
class IndexedDocument:
    """One document in one language, as the index holds it."""

    slug: str
    lang: str
    title: str
    summary: str
    topics: tuple[str, ...]
    body: str  # plain words


@dataclass(frozen=True)
class Synonyms:
    """Groups of names for one thing: a medicine's generic name and its brand names."""

    groups: tuple[tuple[str, ...], ...] = ()
    draft: bool = True

    def of(self, word: str) -> tuple[str, ...]:
        """Every name `word` stands for, itself first."""
        folded = fold(word)
        for group in self.groups:
            if folded in (fold(name) for name in group):
                return (word, *(name for name in group if fold(name) != folded))
        return (word,)


@dataclass(frozen=True)
class Found:
    """What a search found: slugs, best first; and, when the words were not in the
    index as typed, the words searched for instead and the nearest title."""

    slugs: tuple[str, ...]
    searched: str | None = None  # the corrected words, if any were corrected
    nearest: tuple[str, str] | None = None  # (slug, title) of the nearest title
    unavailable: bool = False  # no index to search (not built yet, or unreadable)


# -- the synonyms table, read like the other files staff write --------------------------

def read_synonyms(path: Path) -> tuple[Synonyms, list[Problem]]:
    """`sources/synonyms.yml`: `review:` as a document has, then `synonyms:`, a list of
    groups of names. A missing file is no synonyms; each problem names its line."""
    if not path.is_file():
        return Synonyms(), []
    try:
        parsed = load_yaml(path.read_bytes().decode("utf-8"), path)
    except UnicodeDecodeError:
        return Synonyms(), [YamlText(None, path).error((), "not valid UTF-8; save the file "
                                                            "as UTF-8")]
    except ContentError as exc:
        return Synonyms(), list(exc.problems)
    data = parsed.data if isinstance(parsed.data, dict) else None
    if data is None:
        return Synonyms(), [parsed.error((), "synonyms.yml holds review: and synonyms:, a list "
                                             "of groups such as [naloxone, Narcan]")]
    problems = [parsed.error((key,), f"unknown field '{key}'; known: review, synonyms")
                for key in data if key not in ("review", "synonyms")]
    groups = []
    listed = data.get("synonyms") or []
    if not isinstance(listed, list) or len(listed) > MAX_GROUPS:
        problems.append(parsed.error(("synonyms",), f"synonyms must be a list of at most "
                                                     f"{MAX_GROUPS} groups"))
        listed = []
    if listed and all(isinstance(group, str) for group in listed):
        problems.append(parsed.error(("synonyms",), "synonyms is a list of groups, one a line: "
                                                     "- [naloxone, Narcan]"))
        listed = []
    for index, group in enumerate(listed):
        problem = _group_problem(group)
        if problem:
            problems.append(parsed.error(("synonyms", index), problem))
        else:
            groups.append(tuple(str(name).strip() for name in group))
    review = data.get("review")
    review = review if isinstance(review, dict) else {}
    return Synonyms(tuple(groups), review.get("status") != "approved"), problems


def _group_problem(group) -> str | None:
    if not isinstance(group, list) or not 2 <= len(group) <= MAX_NAMES:
        return (f"a group of synonyms is a list of 2 to {MAX_NAMES} names, such as "
                "[naloxone, Narcan]")
    for name in group:
        if not isinstance(name, str) or len(name) > MAX_NAME_CHARS or not NAME.match(name.strip()):
            shown = str(name)[:MAX_NAME_CHARS]
            return (f"'{shown}' is not a name: letters, digits, spaces, hyphens and "
                    f"apostrophes, at most {MAX_NAME_CHARS} characters")
    return None


# -- making the index --------------------------------------------------------------------

def index_digest(parts: Iterable[bytes]) -> str:
    """What an index is made from, as one digest: it is kept in the index (`made_from`),
    so a build can tell the index it would make is the one already there."""
    digest = hashlib.sha256(SCHEMA.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def indexed_digest(path: Path) -> str | None:
    """The digest an index on disk was made from, if it is an index of this schema."""
    if not path.is_file():
        return None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'made_from'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:  # not an index, or one from before: it is made again
        return None
    return row[0] if row else None


def index_bytes(documents: Iterable[IndexedDocument], synonyms: Synonyms,
                made_from: str = "") -> bytes:
    """The whole index as one SQLite file's bytes (made in memory)."""
    db = sqlite3.connect(":memory:")
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE VIRTUAL TABLE documents USING fts5(
            slug UNINDEXED, lang UNINDEXED, title, summary, topics, body,
            tokenize = 'porter unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE titles USING fts5(slug UNINDEXED, shown UNINDEXED, title,
                                               tokenize = 'trigram');
        CREATE VIRTUAL TABLE words USING fts5(word, tokenize = 'trigram');
        CREATE TABLE synonyms (name TEXT NOT NULL, grp INTEGER NOT NULL);
    """)
    vocabulary: set[str] = set()
    for doc in documents:
        topics = " ".join(doc.topics)
        db.execute("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?)",
                   (doc.slug, doc.lang, doc.title, doc.summary, topics, doc.body))
        db.execute("INSERT INTO titles VALUES (?, ?, ?)", (doc.slug, doc.title, fold(doc.title)))
        vocabulary.update(w for w in WORD.findall(fold(" ".join(
            (doc.title, doc.summary, topics, doc.body)))) if len(w) >= 3 and not w.isdigit())
    for number, group in enumerate(synonyms.groups):
        db.executemany("INSERT INTO synonyms VALUES (?, ?)", [(fold(n), number) for n in group])
        vocabulary.update(w for name in group for w in WORD.findall(fold(name)) if len(w) >= 3)
    db.executemany("INSERT INTO words VALUES (?)", [(w,) for w in sorted(vocabulary)])
    db.execute("INSERT INTO meta VALUES ('made_from', ?)", (made_from,))
    db.commit()
    data = db.serialize()
    db.close()
    return data


def plain_body(markdown: str) -> str:
    """The words of a source's body, without its Markdown, HTML, citations or marks:
    enough to search, not to print."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"\[@[^\]\n]*\]", " ", text)  # citations
    text = re.sub(r"\[\[[^\]\n]*\]\]", " ", text)  # safety-block marks
    text = re.sub(r"!?\[([^\]\n]*)\]\([^)\n]*\)", r"\1", text)  # links, images: their words
    text = re.sub(r"<[^>\n]*>", " ", text)
    text = re.sub(r"\{:[^}\n]*\}", " ", text)  # attribute lists
    return " ".join(re.sub(r"[#*_>|~=\\-]+", " ", text).split())


def body_of(source_text: str, lang: str, marks: Mapping[str, Mapping[str, str]]) -> str:
    """A source file's body, what follows its front matter, with each `[[mark]]` given
    the words it prints (a safety block's, the crisis lines'), in the source's language:
    "suicide" finds the crisis sheet, which says it only through the brand's lines."""
    parts = re.split(r"^---[ \t]*$", source_text, maxsplit=2, flags=re.M)
    body = parts[2] if len(parts) == 3 and not parts[0].strip() else source_text

    def printed(match: re.Match) -> str:
        texts = marks.get(match[1], {})
        return " " + (texts.get(lang) or texts.get("en") or "") + " "

    return plain_body(re.sub(r"\[\[([a-z-]+)\]\]", printed, body))


def fold(text: str) -> str:
    """Lower case, without accents, as the index's tokenizer folds them."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- searching ---------------------------------------------------------------------------

class SearchIndex:
    """The index in the output folder, opened read-only, re-opened when a build has
    replaced it. Safe to share between the app's threads."""

    def __init__(self, out: Path):
        self.path = out / INDEX
        self._stamp: tuple | None = None
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.path.is_file()

    def search(self, text: str) -> Found:
        words = WORD.findall(fold(text))[:MAX_QUERY_WORDS]
        if not words:
            return Found(())
        with self._lock:
            try:
                return self._search(words)
            except sqlite3.Error:  # a file that is not an index (damaged, or half copied)
                self._close()
                return Found((), unavailable=True)

    def _search(self, words: list[str]) -> Found:
        db = self._open()
        if db is None:
            return Found((), unavailable=True)
        found = _ranked(db, words)
        if found:
            return Found(found)
        corrected = [_nearest_word(db, word) or word for word in words]
        nearest = _nearest_title(db, words)
        if corrected != words:
            return Found(_ranked(db, corrected), " ".join(corrected), nearest)
        return Found((), None, nearest)

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._stamp = None, None

    def _open(self) -> sqlite3.Connection | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp or self._db is None:
            if self._db is not None:
                self._db.close()
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       check_same_thread=False)
            self._stamp = stamp
        return self._db


def _ranked(db: sqlite3.Connection, words: list[str]) -> tuple[str, ...]:
    """Documents holding every word (or a synonym of it), best first."""
    query = " AND ".join(_any_of(db, word) for word in words)
    weights = ", ".join(str(w) for w in (0.0, 0.0, *WEIGHTS.values()))
    best: dict[str, float] = {}  # a document's best language (bm25: lower is better)
    for slug, score in db.execute(f"SELECT slug, bm25(documents, {weights}) FROM documents "
                                  "WHERE documents MATCH ?", (query,)):
        best[slug] = min(score, best.get(slug, score))
    return tuple(sorted(best, key=lambda slug: (best[slug], slug)))


def _any_of(db: sqlite3.Connection, word: str) -> str:
    """An FTS5 expression for `word`, its synonyms, and words it begins (as typed so far)."""
    names = [row[0] for row in db.execute(
        "SELECT name FROM synonyms WHERE grp IN (SELECT grp FROM synonyms WHERE name = ?)",
        (word,))] or [word]
    terms = {f'"{name}"' for name in [word, *names]}  # quoted: never FTS5 syntax
    if len(word) >= 3:
        terms.add(f'"{word}"*')
    return "(" + " OR ".join(sorted(terms)) + ")"


def _nearest_word(db: sqlite3.Connection, word: str) -> str | None:
    """The indexed word `word` is most likely a misspelling of, found by shared trigrams."""
    if len(word) < 4:
        return None
    grams = {word[i:i + 3] for i in range(len(word) - 2)}
    query = " OR ".join(f'"{g}"' for g in sorted(grams))
    candidates = [row[0] for row in db.execute(
        "SELECT word FROM words WHERE words MATCH ? ORDER BY rank LIMIT 50", (query,))]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=CLOSE_ENOUGH)
    return close[0] if close else None


def _nearest_title(db: sqlite3.Connection, words: list[str]) -> tuple[str, str] | None:
    """(slug, title) of the title whose words are nearest the words searched for, if it
    is near enough to offer: each word searched for close to one of the title's."""
    grams = {w[i:i + 3] for w in words for i in range(len(w) - 2)}
    if not grams:
        return None
    query = " OR ".join(f'"{g}"' for g in sorted(grams))
    rows = db.execute("SELECT slug, shown, title FROM titles WHERE titles MATCH ? "
                      "ORDER BY rank LIMIT 20", (query,)).fetchall()

    def closeness(folded: str) -> float:
        own = WORD.findall(folded)
        return sum(max((difflib.SequenceMatcher(None, w, t).ratio() for t in own), default=0.0)
                   for w in words) / len(words)

    scored = [(closeness(folded), slug, shown) for slug, shown, folded in rows]
    best = max(scored, default=None)
    return (best[1], best[2]) if best and best[0] >= CLOSE_ENOUGH else None
