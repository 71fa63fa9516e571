"""Safety blocks: the passages where a wrong word can cost a life, written once.

The overdose response, the danger signs of withdrawal and "do not stop on your
own" are never retyped in a document. Each lives in one file,
`sources/blocks/<name>.yml`, with its translations beside it and its own
review, and a document places it by name on a line of its own:

    [[overdose]]

    # sources/blocks/overdose.yml
    title: What to do in an overdose
    review:
      status: draft
    en:
      text: |
        ## If someone may be overdosing
        ...
      card: |             # optional: the short form for a wallet card's back
        ...
    es:
      text: |
        ...

A block's text is Markdown, as a document's body is: it is converted with the
document that places it (so its citations are numbered with the document's),
and `check` reads it as the writer's own words, once, at its own lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ..problems import ContentError, Problem, error
from .documents import Review, read_review
from .filecache import reread_when_changed
from .markup import BRAND_BLOCKS
from .yamltext import YamlText, load_yaml

NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE = re.compile(r"^[a-z]{2}$")
FIELDS = ("title", "review")
TEXT_FIELDS = ("text", "card", "translation_reviewed_by")
SIZE_LIMIT = 200_000  # bytes: a block is a few paragraphs, never a book


@dataclass(frozen=True)
class BlockText:
    """A block in one language."""

    markdown: str
    line: int  # the file line on which the Markdown starts
    card: str | None = None  # the wallet card's short form
    card_line: int | None = None
    translation_reviewed_by: str | None = None  # a qualified medical translator


@dataclass(frozen=True)
class SafetyBlock:
    name: str
    path: Path
    title: str
    review: Review
    texts: Mapping[str, BlockText]  # by language; English always given
    front_matter: YamlText  # the whole file, with the line of every setting

    @property
    def mark(self) -> str:
        return f"[[{self.name}]]"


@dataclass(frozen=True)
class Blocks:
    """Every safety block of a project, by name."""

    folder: Path
    entries: Mapping[str, SafetyBlock]
    broken: frozenset[str] = frozenset()  # names whose files have problems

    def get(self, name: str) -> SafetyBlock | None:
        return self.entries.get(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted({*self.entries, *self.broken}))


NO_BLOCKS = Blocks(Path("blocks"), {})


@dataclass(frozen=True)
class LoadedBlocks:
    blocks: Blocks
    problems: tuple[Problem, ...]


def blocks_folder(sources: Path) -> Path:
    return sources / "blocks"


def load_blocks(folder: Path) -> LoadedBlocks:
    """Read every `<name>.yml` in `folder`; a missing folder holds no blocks."""
    return _blocks_in(folder, read_block)


def read_blocks(folder: Path) -> LoadedBlocks:
    """`load_blocks`, for a process that reads them again and again (the staff app,
    `watch`, `preview`): each file is parsed again only when it has changed. A file
    edited in place leaves its folder's time as it was, so each file is watched."""
    return _blocks_in(folder, _kept_block)


def _blocks_in(folder: Path, read: Callable[[Path], SafetyBlock]) -> LoadedBlocks:
    entries: dict[str, SafetyBlock] = {}
    broken: set[str] = set()
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yml")) if folder.is_dir() else ():
        if path.name.startswith(("_", ".")):
            continue
        try:
            block = read(path)
        except ContentError as exc:
            problems += exc.problems
            broken.add(path.stem)
            continue
        entries[block.name] = block
    return LoadedBlocks(Blocks(folder, entries, frozenset(broken)), tuple(problems))


def read_block(path: Path) -> SafetyBlock:
    """One block file, validated; raise ContentError listing every problem."""
    if not NAME.match(path.stem) or path.stem in BRAND_BLOCKS:
        raise ContentError([error(path, None, "a block is named <name>.yml in lowercase words "
                                  f"joined by dashes, other than {', '.join(BRAND_BLOCKS)}")])
    try:
        if path.is_symlink() or path.stat().st_size > SIZE_LIMIT:
            raise ContentError([error(path, None, "a block must be a file of its own under "
                                      f"{SIZE_LIMIT // 1000} KB, not a link")])
        raw = path.read_bytes().decode("utf-8")
        fm = load_yaml(raw, path)
    except UnicodeDecodeError:
        raise ContentError([error(path, None, "not valid UTF-8; save the file as UTF-8")]) from None
    except OSError as exc:
        raise ContentError([error(path, None, f"cannot be read: {exc.strerror or exc}")]) from None
    if not isinstance(fm.data, dict):
        raise ContentError([fm.error((), "a block holds title, review, and its text in each "
                                     "language (en:, es:, ...)")])
    problems: list[Problem] = []
    texts = {}
    for key, value in fm.data.items():
        if isinstance(key, str) and LANGUAGE.match(key):
            texts[key] = _text(fm, raw.split("\n"), key, value, problems)
        elif key not in FIELDS:
            problems.append(fm.error((key,), f"unknown setting '{key}'; a block holds "
                                     f"{', '.join(FIELDS)} and a text per language (en:, es:)"))
    if "en" not in texts:
        problems.append(fm.error((), "a block needs its English text, under 'en: text: |'"))
    title = fm.data.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(fm.error(("title",), "'title' is required: what the block is, for staff"))
    review = read_review(fm, fm.data.get("review"), problems)
    if problems:
        raise ContentError(problems)
    return SafetyBlock(path.stem, path, " ".join(str(title).split()), review,
                       {lang: text for lang, text in texts.items() if text is not None}, fm)


_kept_block = reread_when_changed(read_block, files=64)


def _text(fm: YamlText, raw: list[str], lang: str, value,
          problems: list[Problem]) -> BlockText | None:
    if not isinstance(value, dict):
        problems.append(fm.error((lang,), f"'{lang}:' holds 'text: |' and the block's Markdown "
                                 "below it, indented"))
        return None
    for key in value:
        if key not in TEXT_FIELDS:
            problems.append(fm.error((lang, key), f"unknown setting '{key}' under '{lang}:'; "
                                     f"known: {', '.join(TEXT_FIELDS)}"))
    markdown, card = value.get("text"), value.get("card")
    if not isinstance(markdown, str) or not markdown.strip():
        problems.append(fm.error((lang, "text"), f"'{lang}: text:' must be the block's Markdown"))
        return None
    if card is not None and (not isinstance(card, str) or not card.strip()):
        problems.append(fm.error((lang, "card"), f"'{lang}: card:' must be Markdown, or left out"))
        card = None
    translator = value.get("translation_reviewed_by")
    return BlockText(markdown, _first_line(fm, raw, (lang, "text")), card,
                     _first_line(fm, raw, (lang, "card")) if card else None,
                     " ".join(str(translator).split()) if translator else None)


BLOCK_SCALAR = re.compile(r":\s*[|>][+-]?\d*\s*(?:#.*)?$")  # `text: |`: the text starts below


def _first_line(fm: YamlText, raw: list[str], keys: tuple[str, str]) -> int:
    """The file line of a text's first line: below its key when written as a block (`|`)."""
    line = fm.line(*keys)
    return line + 1 if BLOCK_SCALAR.search(raw[line - 1]) else line
