"""What the commands print: problems compiler-style, progress, summaries, tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from ..library.build import BuildReport
from ..problems import Problem, printed, terminal_text


@contextmanager
def progress_display(stdout: TextIO) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on a terminal; one plain line per file otherwise (logs, CI)."""
    if not stdout.isatty():
        yield lambda label, done, total: print(f"[{done}/{total}] {label}", file=stdout)
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("Building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, transient=True) as bar:
        task = None

        def advance(label: str, done: int, total: int) -> None:
            nonlocal task
            if task is None:
                task = bar.add_task(label, total=total)
            bar.update(task, completed=done, description=label)

        yield advance


def summary(report: BuildReport) -> str:
    count = len(report.written)
    line = f"Built {count} PDF{'s' if count != 1 else ''}"
    if report.up_to_date:
        line += f" ({report.up_to_date} up to date)"
    line += f" in {report.seconds:.1f} s"
    if report.failed:
        line += f"; {len(report.failed)} document{'s' if len(report.failed) != 1 else ''} failed"
    return line


def print_problems(problems: Sequence[Problem], stderr: TextIO, rules: bool = False) -> None:
    """Each problem on a line of its own, compiler-style, with the source line it is on
    (a caret under the place) and a hint, indented under it."""
    for line in printed(problems, rules):
        print(line, file=stderr)


def print_columns(headers: tuple[str, ...], rows: list[tuple], stdout: TextIO) -> None:
    """A plain table: columns padded to their widest cell, the last left ragged."""
    table = [headers, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print(terminal_text("  ".join([*cells, str(row[-1])]).rstrip()), file=stdout)
