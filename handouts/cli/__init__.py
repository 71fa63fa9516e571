"""The command line: `python make_docs.py build|list ...`, a module per group of commands.

`main(argv) -> int` returns the exit code: 0 success, 1 a document failed,
2 a usage error. Problems print one per line on stderr, compiler-style; no
traceback reaches the user for a content problem.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from ..problems import UsageError
from . import delivery, library, preview, queue, serve


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has already printed the usage
        return int(exit_.code or 0)
    try:
        return args.command(args, stdout, stderr)
    except UsageError as exc:
        print(f"error: {exc}", file=stderr)
        return 2


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make_docs.py",
        description="Build the clinic's patient-education handouts from Markdown.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for add in (library.add_build, library.add_check, delivery.add_packet, delivery.add_email,
                serve.add_serve, queue.add_worker, library.add_watch, preview.add_preview,
                library.add_list):
        add(commands)
    return parser
