"""Stage 2, parse: split front matter from the body and validate it.

Front matter is YAML between two `---` lines at the top of the file. Every
problem names its line; all of a document's problems are reported together.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass
from typing import Any

from ..problems import ContentError, Problem, error
from .formats import FORMAT_NAMES
from .sources import SourceFile
from .yamltext import YamlText, load_yaml

AUDIENCES = ("patients", "families", "caregivers", "staff")
VERSION_LIMIT = 20  # characters
STATUSES = ("draft", "approved")


@dataclass(frozen=True)
class Review:
    status: str = "draft"
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    next_review: dt.date | None = None
    # A translation is approved only once a qualified medical translator has read it.
    translation_reviewed_by: str | None = None

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


@dataclass(frozen=True)
class DocMeta:
    title: str
    summary: str
    subtitle: str | None = None
    audience: tuple[str, ...] = ("patients",)
    topics: tuple[str, ...] = ()
    formats: tuple[str, ...] = ("handout", "large-print")
    resources: tuple[str, ...] = ()
    code: str | None = None
    version: str = "1"
    review: Review = Review()
    allow_terms: tuple[str, ...] = ()  # deliberate uses of words `check` would flag
    source_digest: str | None = None  # a translation: the English content it follows


@dataclass(frozen=True)
class Document:
    source: SourceFile
    meta: DocMeta
    body_md: str
    body_line: int  # the file line on which the body starts
    front_matter: YamlText

    @property
    def slug(self) -> str:
        return self.source.slug

    @property
    def lang(self) -> str:
        return self.source.lang


def parse(source: SourceFile) -> Document:
    """Validate the front matter of `source`; raise ContentError listing every problem."""
    yaml_text, body, body_line = split_front_matter(source)
    meta = read_meta(yaml_text)
    return Document(source, meta, body, body_line, yaml_text)


def content_digest(document: Document) -> str:
    """What a translation follows: the words of the English, not its review dates.

    A translation records this as `source_digest`; when the English changes,
    the translation is stale until someone updates it and the digest.
    """
    meta = document.meta
    words = "\n".join([meta.title, meta.subtitle or "", meta.summary, document.body_md.strip()])
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:12]


def closing_line(lines: list[str]) -> int | None:
    """Where front matter opened by lines[0] ends: the index of its '---' or '...' line."""
    return next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")),
                None)


def split_front_matter(source: SourceFile) -> tuple[YamlText, str, int]:
    path, text = source.path, source.text
    if not text.strip():
        raise ContentError([error(path, 1, "the file is empty; a source starts with "
                                 "front matter between '---' lines (title, summary, ...)")])
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise ContentError([error(path, 1, "missing front matter: the first line must be "
                                 "'---', followed by title, summary and the other settings")])
    index = closing_line(lines)
    if index is None:
        raise ContentError([error(path, 1, "the front matter is never closed: "
                                 "add a line '---' after the last setting")])
    yaml_text = load_yaml("\n".join(lines[1:index]), path, first_line=2)
    body_line = index + 2
    return yaml_text, "\n".join(lines[index + 1:]), body_line


def read_meta(fm: YamlText) -> DocMeta:
    data = fm.data
    if not isinstance(data, dict):
        raise ContentError([fm.error((), "the front matter must be settings written "
                                     "'name: value', one per line")])
    problems: list[Problem] = []
    reader = _Reader(fm, problems)
    for key in data:
        if key not in _FIELDS:
            reader.unknown((key,), key, _FIELDS)
    review = reader.review(data.get("review"))
    meta = DocMeta(
        # Missing, they are problems, raised below: the empty text is never used.
        title=reader.text(data, "title", required=True) or "",
        summary=reader.text(data, "summary", required=True) or "",
        subtitle=reader.text(data, "subtitle"),
        audience=reader.words(data, "audience", AUDIENCES, default=("patients",)),
        topics=reader.words(data, "topics"),
        formats=reader.words(data, "formats", FORMAT_NAMES, default=("handout", "large-print")),
        resources=reader.words(data, "resources"),
        code=reader.text(data, "code"),
        version=reader.version(data),
        review=review,
        allow_terms=reader.words(data, "allow_terms"),
        source_digest=reader.text(data, "source_digest"),
    )
    if problems:
        raise ContentError(problems)
    return meta


_FIELDS = ("title", "subtitle", "summary", "audience", "topics", "formats",
           "resources", "code", "version", "review", "allow_terms", "source_digest")
_REVIEW_FIELDS = ("status", "reviewed_by", "reviewed_on", "next_review", "translation_reviewed_by")


def read_review(fm: YamlText, value: Any, problems: list[Problem]) -> Review:
    """The `review:` settings of a front matter or a safety block, collecting problems."""
    return _Reader(fm, problems).review(value)


@dataclass
class _Reader:
    """Reads typed values out of front matter, collecting problems as it goes."""

    fm: YamlText
    problems: list[Problem]

    def add(self, keys: tuple, message: str, rule: str | None = None) -> None:
        self.problems.append(self.fm.error(keys, message, rule))

    def unknown(self, keys: tuple, key: Any, known: tuple[str, ...], what: str = "setting") -> None:
        close = difflib.get_close_matches(str(key), known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f"; known: {', '.join(known)}"
        self.add(keys, f"unknown {what} '{key}'{hint}")

    def text(self, data: dict, key: str, required: bool = False, keys=()) -> str | None:
        value = data.get(key)
        where = keys + (key,)
        if value is None:
            if required:
                self.add(where, f"'{key}' is required: add a line '{key}: ...' to the front matter",
                         rule=key)
            return None
        if isinstance(value, (dict, list, dt.date, bool)):
            self.add(where, f"'{key}' must be plain text")
            return None
        text = " ".join(str(value).split())
        if required and not text:
            self.add(where, f"'{key}' must not be empty", rule=key)
        return text or None

    def words(self, data: dict, key: str, allowed: tuple[str, ...] = (),
              default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return default
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self.add((key,), f"'{key}' must be a list such as [one, two]")
            return default
        for index, item in enumerate(items):
            if allowed and item not in allowed:
                self.unknown((key, index), item, allowed, what=key.rstrip("s"))
        return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))

    def version(self, data: dict) -> str:
        """A version prints in every page's footer: a short line of text, or a number."""
        value = data.get("version", 1)
        text = " ".join(str(value).split()) if isinstance(value, (int, float, str)) else ""
        if isinstance(value, bool) or not text or len(text) > VERSION_LIMIT:
            self.add(("version",), "'version' must be a number or short text such as 2 or 2.1 "
                     f"(at most {VERSION_LIMIT} characters)")
            return "1"
        return text

    def date(self, data: dict, key: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if not isinstance(value, dt.date):
            self.add(("review", key), f"'{key}' must be a date written YYYY-MM-DD")
            return None
        return value

    def review(self, value: Any) -> Review:
        if value is None:
            return Review()
        if not isinstance(value, dict):
            self.add(("review",),
                     "'review' must hold status, reviewed_by, reviewed_on and next_review")
            return Review()
        for key in value:
            if key not in _REVIEW_FIELDS:
                self.unknown(("review", key), key, _REVIEW_FIELDS)
        status = value.get("status", "draft")
        if status not in STATUSES:
            self.add(("review", "status"),
                     f"review status must be 'draft' or 'approved', not '{status}'")
            status = "draft"
        return Review(
            status=status,
            reviewed_by=self.text(value, "reviewed_by", keys=("review",)),
            reviewed_on=self.date(value, "reviewed_on"),
            next_review=self.date(value, "next_review"),
            translation_reviewed_by=self.text(value, "translation_reviewed_by", keys=("review",)),
        )
