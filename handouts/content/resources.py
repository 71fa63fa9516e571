"""The resource library: `sources/resources.yaml`, the only things a document may cite.

    nida-benzodiazepines-opioids:
      title: Benzodiazepines and Opioids
      publisher: National Institute on Drug Abuse
      url: https://nida.nih.gov/research-topics/opioids/benzodiazepines-opioids
      accessed: 2026-11-24
      lang: en            # the page's language; English unless said

A document in another language says so beside each entry ("en inglés").

A broken entry is reported once, here; documents that cite it fail without
repeating the reason.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..problems import ContentError, Problem, error
from .filecache import reread_when_changed
from .yamltext import YamlText, load_yaml

KEY = re.compile(r"^[a-z0-9]+(?:[-_.:][a-z0-9]+)*$")
FIELDS = ("title", "publisher", "url", "accessed", "lang")
LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass(frozen=True)
class Resource:
    key: str
    title: str
    url: str
    publisher: str | None = None
    accessed: dt.date | None = None
    line: int | None = None
    lang: str = "en"  # the language the page is written in

    @property
    def short_url(self) -> str:
        """The address as printed: no scheme, no `www.`, no trailing slash."""
        parts = urlsplit(self.url)
        host = parts.netloc.removeprefix("www.")
        rest = self.url.split(parts.netloc, 1)[1]
        return (host + rest).rstrip("/")


@dataclass(frozen=True)
class Library:
    path: Path
    entries: Mapping[str, Resource]
    invalid: frozenset[str] = frozenset()  # keys whose entries have errors
    readable: bool = True  # False when the file itself could not be read

    def blocked(self, key: str) -> bool:
        """A key that may be right but cannot be used: its entry is broken."""
        return key in self.invalid or not self.readable


@dataclass(frozen=True)
class LoadedLibrary:
    library: Library
    problems: tuple[Problem, ...]


def load_library(path: Path) -> LoadedLibrary:
    """Read `resources.yaml`; a missing file is an empty library."""
    if not path.exists():
        return LoadedLibrary(Library(path, {}), ())
    try:
        text = path.read_bytes().decode("utf-8")
        parsed = load_yaml(text, path)
    except UnicodeDecodeError:
        return _unreadable(path, [error(path, None, "not valid UTF-8; save the file as UTF-8")])
    except ContentError as exc:
        return _unreadable(path, exc.problems)
    if parsed.data is None:
        return LoadedLibrary(Library(path, {}), ())
    if not isinstance(parsed.data, dict):
        return _unreadable(path, [parsed.error((), "resources.yaml must map each key to "
                                               "its title, publisher, url and accessed date")])
    entries: dict[str, Resource] = {}
    invalid: set[str] = set()
    problems: list[Problem] = []
    for key, value in parsed.data.items():
        found = _entry_problems(parsed, key, value)
        if found:
            problems.extend(found)
            invalid.add(str(key))
        else:
            entries[key] = Resource(
                key=key,
                title=" ".join(str(value["title"]).split()),
                url=str(value["url"]).strip(),
                publisher=(" ".join(str(value["publisher"]).split())
                           if value.get("publisher") else None),
                accessed=value.get("accessed"),
                line=parsed.line(key),
                lang=str(value.get("lang") or "en"),
            )
    return LoadedLibrary(Library(path, entries, frozenset(invalid)), tuple(problems))


# For packets, which read the library for every family.
read_library = reread_when_changed(load_library)


def _unreadable(path: Path, problems) -> LoadedLibrary:
    return LoadedLibrary(Library(path, {}, readable=False), tuple(problems))


# Characters a printed address or its QR code must never hold: spaces and controls, and
# the invisible ones (a right-to-left override shows an address reversed; a zero-width
# space makes the link differ from what it says).
UNSEEN = ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp")


def is_web_address(address: str, bare: bool = False) -> bool:
    """An http or https address with a host, made only of characters a reader sees;
    `bare`: a host name alone (clinic.example.org) will do, as https."""
    if not address or any(char.isspace() or unicodedata.category(char) in UNSEEN
                          for char in address):
        return False
    try:
        parts = urlsplit(address if "://" in address or not bare else f"https://{address}")
        parts.port  # noqa: B018 - read for the ValueError of a port that is not a number
        host = parts.hostname
    except ValueError:  # "https://[::1/" and its kind: not an address
        return False
    return parts.scheme in ("http", "https") and bool(host)


def _entry_problems(parsed: YamlText, key, value) -> list[Problem]:
    if not isinstance(key, str) or not KEY.match(key):
        return [parsed.error((key,),
                             f"resource key '{key}' must be lowercase words joined by dashes")]
    if not isinstance(value, dict):
        return [parsed.error((key,), f"resource '{key}' needs a title and a url")]
    problems = [parsed.error((key, field), f"resource '{key}': unknown field '{field}'")
                for field in value if field not in FIELDS]
    for field in ("title", "publisher", "url"):
        # A list or a mapping would print as Python writes it: ['a', 'b'].
        if value.get(field) is not None and not isinstance(value[field], (str, int, float)) \
                or isinstance(value.get(field), bool):
            problems.append(parsed.error((key, field), f"resource '{key}': '{field}' must be "
                                         "plain text, on one line"))
    if problems:
        return problems
    for field in ("title", "url"):
        if not str(value.get(field) or "").strip():
            problems.append(parsed.error((key,), f"resource '{key}' has no {field}"))
    url = str(value.get("url") or "").strip()
    if url and not is_web_address(url):
        problems.append(parsed.error((key, "url"), f"resource '{key}': '{url[:100]}' is not a "
                                     "full web address (https://...), or holds a character no "
                                     "reader can see"))
    lang = value.get("lang")
    if lang is not None and not (isinstance(lang, str) and LANGUAGE.match(lang)):
        problems.append(parsed.error((key, "lang"), f"resource '{key}': 'lang' is a two-letter "
                                     "language code, such as en or es"))
    accessed = value.get("accessed")
    if accessed is not None and not isinstance(accessed, dt.date):
        problems.append(parsed.error((key, "accessed"), f"resource '{key}': 'accessed' must be a "
                                     "date written YYYY-MM-DD"))
    return problems
