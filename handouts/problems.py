"""Problems a writer can act on, reported compiler-style.

Every stage reports content problems as `Problem` values, never as a
traceback. A stage that cannot go on raises `ContentError` carrying all the
problems it found, so a writer sees every mistake in one run, not just the
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding, printed as `path:line: severity: message`."""

    path: Path
    line: int | None
    message: str
    severity: Severity = "error"
    rule: str | None = None

    def format(self, rules: bool = False) -> str:
        """`path:line: error: message`; with `rules`, `error[rule-id]:` as `check` prints.
        Safe for a terminal, whatever the message quotes (see `terminal_text`)."""
        where = display_path(self.path)
        if self.line:
            where = f"{where}:{self.line}"
        kind = f"{self.severity}[{self.rule}]" if rules and self.rule else self.severity
        return terminal_text(f"{where}: {kind}: {self.message}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class ContentError(Exception):
    """A source, resource list or brand file that cannot be used as it is."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


class UsageError(Exception):
    """The command line asked for something that does not exist (exit 2)."""


def error(path: Path, line: int | None, message: str, rule: str | None = None) -> Problem:
    return Problem(path, line, message, "error", rule)


def warning(path: Path, line: int | None, message: str, rule: str | None = None) -> Problem:
    return Problem(path, line, message, "warning", rule)


def terminal_text(text: str) -> str:
    """`text` with every character a terminal would act on, not print, written out as
    an escape: an escape sequence in a title (ESC [ 2 J clears the screen), a
    carriage return that overwrites the line, a bidirectional override that shows
    the words in another order. So a source can never change what staff see."""
    return "".join(char if char.isprintable() or char == "\t" else _escaped(char) for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def display_path(path: Path) -> str:
    """Show a path as the writer typed it: relative to the working folder."""
    base = Path.cwd()
    if path.is_absolute() and path.is_relative_to(base):
        return str(path.relative_to(base))
    return str(path)
