"""Options several commands share, and the types argparse reads values with."""

from __future__ import annotations

import argparse
from pathlib import Path


def packet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slugs", nargs="+", metavar="SLUG", help="the documents, in order")
    parser.add_argument("--for", dest="for_name", required=True, metavar="NAME",
                        help="who the packet is for: printed on the cover only")
    parser.add_argument("--clinician", metavar="NAME", help="who prepared it")
    parser.add_argument("--date", type=date, default=None, metavar="YYYY-MM-DD",
                        help="the date on the cover (default: today)")
    parser.add_argument("--note", metavar="TEXT", help="a short note printed on the cover")
    parser.add_argument("--lang", default="en", metavar="L",
                        help="language of the packet (default: en)")
    parser.add_argument("--large-print", action="store_true", help="the packet in large print")
    sources_option(parser)
    parser.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                        help="brand file (default: _brand.yml)")
    parser.add_argument("--out", type=Path, default=Path("output"),
                        help="the shared output folder, where packets must not go "
                             "(default: output)")


def date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date written YYYY-MM-DD") from None


def sources_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", type=Path, default=Path("sources"),
                        help="folder of Markdown sources (default: sources)")


def project_options(parser: argparse.ArgumentParser) -> None:
    """--sources, --out and --brand, for the commands that build into the output folder."""
    sources_option(parser)
    parser.add_argument("--out", type=Path, default=Path("output"),
                        help="output folder (default: output)")
    parser.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                        help="brand file (default: _brand.yml)")


def jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=positive, default=None, metavar="N",
                        help="render with N processes (default: one per CPU)")


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def split(values: list[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def queue_option(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--queue", metavar="URL", default=None, help=help)
