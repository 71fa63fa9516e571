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
        """`path:line: error: message`; with `rules`, `error[rule-id]:` as `check` prints."""
        where = display_path(self.path)
        if self.line:
            where = f"{where}:{self.line}"
        kind = f"{self.severity}[{self.rule}]" if rules and self.rule else self.severity
        return f"{where}: {kind}: {self.message}"

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


def display_path(path: Path) -> str:
    """Show a path as the writer typed it: relative to the working folder."""
    base = Path.cwd()
    if path.is_absolute() and path.is_relative_to(base):
        return str(path.relative_to(base))
    return str(path)
