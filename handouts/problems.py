"""Problems a writer can act on, reported compiler-style.

Every stage reports content problems as `Problem` values, never as a
traceback. A stage that cannot go on raises `ContentError` carrying all the
problems it found, so a writer sees every mistake in one run, not just the
first. As the best compilers print them: the place, then the line it is on
with a caret under the words, and a hint where one helps:

    sources/x.md:12:25: error: unknown citation key 'nida-bzo' (not in resources.yaml)
      12 | Benzos slow breathing [@nida-bzo].
         |                         ^^^^^^^^
         = hint: did you mean 'nida-benzodiazepines-opioids'?
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


EXCERPT_CHARS = 100  # of a source line printed under its problem


@dataclass(frozen=True)
class Problem:
    """One finding, printed as `path:line:col: severity: message`."""

    path: Path
    line: int | None
    message: str
    severity: Severity = "error"
    rule: str | None = None
    column: int | None = None  # 1-based, of the first character the problem is about
    width: int = 1  # how many characters it spans, for the caret
    hint: str | None = None  # what to do, when the message alone does not say

    def format(self, rules: bool = False) -> str:
        """`path:line:col: error: message`; with `rules`, `error[rule-id]:` as `check`
        prints. One line, safe for a terminal whatever the message quotes."""
        where = display_path(self.path)
        if self.line:
            where = f"{where}:{self.line}" + (f":{self.column}" if self.column else "")
        kind = f"{self.severity}[{self.rule}]" if rules and self.rule else self.severity
        return terminal_text(f"{where}: {kind}: {self.message}")

    def excerpt(self, source_line: str | None) -> list[str]:
        """The lines printed under `format()`: the source line with a caret under the
        place, and the hint. Each starts with a space, so the problem line stays the
        only one a program reading the output needs to parse."""
        found = []
        number = str(self.line or "")
        gutter = " " * len(number)
        if self.line and source_line is not None:
            text = source_line.rstrip()
            # A long line is shown around the place, so one problem stays a few lines.
            at = self.column - 1 if self.column else 0
            start = max(0, min(at - EXCERPT_CHARS // 3, len(text) - EXCERPT_CHARS))
            end = start + EXCERPT_CHARS
            before = ("…" if start else "") + text[start:at]
            found.append(f"  {number} | {terminal_text(before + text[at:end])}"
                         f"{'…' if end < len(text) else ''}")
            if self.column:
                # The caret sits under the characters as the terminal prints them.
                span = terminal_text(text[at:min(at + self.width, end)])
                found.append(f"  {gutter} | {' ' * len(terminal_text(before))}"
                             f"{'^' * max(len(span), 1)}")
        if self.hint:
            found.append(f"  {gutter} = hint: {terminal_text(self.hint)}")
        return found

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class HandoutsError(Exception):
    """The base of every error the pipeline raises on purpose: a caller (the command
    line, the app) catches this one to tell a user, and lets anything else be a bug."""


class ContentError(HandoutsError):
    """A source, resource list or brand file that cannot be used as it is."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class UsageError(HandoutsError):
    """The command line asked for something that does not exist (exit 2)."""


def error(path: Path, line: int | None, message: str, rule: str | None = None,
          **place) -> Problem:
    """An error; `place` may give its `column`, `width` and a `hint`."""
    return Problem(path, line, message, "error", rule, **place)


def warning(path: Path, line: int | None, message: str, rule: str | None = None,
            **place) -> Problem:
    return Problem(path, line, message, "warning", rule, **place)


def source_lines(problems: Iterable[Problem]) -> dict[Path, list[str]]:
    """The lines of each file the problems name, for their excerpts; a file that
    cannot be read has none (its problem says why)."""
    found: dict[Path, list[str]] = {}
    for problem in problems:
        if problem.line and problem.path not in found:
            try:
                found[problem.path] = problem.path.read_bytes()[:2_000_000].decode(
                    "utf-8", "replace").splitlines()
            except OSError:
                found[problem.path] = []
    return found


def printed(problems: Iterable[Problem], rules: bool = False) -> list[str]:
    """Each problem as printed for a person: its line, then its excerpt."""
    problems = list(problems)
    files = source_lines(problems)
    lines = []
    for problem in problems:
        lines.append(problem.format(rules))
        text = files.get(problem.path, [])
        lines += problem.excerpt(text[problem.line - 1] if problem.line and
                                 problem.line <= len(text) else None)
    return lines


def terminal_text(text: str) -> str:
    """`text` with every character a terminal would act on, not print, written out as
    an escape: an escape sequence in a title (ESC [ 2 J clears the screen), a
    carriage return that overwrites the line, a bidirectional override that shows
    the words in another order. So a source can never change what staff see."""
    return "".join(char if char.isprintable() or char == "\t" else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def display_path(path: Path) -> str:
    """Show a path as the writer typed it: relative to the working folder."""
    base = Path.cwd()
    if path.is_absolute() and path.is_relative_to(base):
        return str(path.relative_to(base))
    return str(path)
