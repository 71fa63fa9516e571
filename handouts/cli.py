"""The command line: `python make_docs.py build|list ...`.

`main(argv) -> int` returns the exit code: 0 success, 1 a document failed,
2 a usage error. Problems print one per line on stderr, compiler-style; no
traceback reaches the user for a content problem.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .library.build import BuildReport, build
from .problems import Problem, UsageError, display_path, printed, terminal_text
from .project import BuildRequest, Project


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

    build_cmd = commands.add_parser("build", help="build PDFs into the output folder")
    build_cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="only these documents")
    _project_options(build_cmd)
    build_cmd.add_argument("--out", type=Path, default=Path("output"),
                           help="output folder (default: output)")
    build_cmd.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                           help="brand file (default: _brand.yml)")
    build_cmd.add_argument("--format", action="append", default=[], metavar="F",
                           help="only this format (repeat or comma-separate)")
    build_cmd.add_argument("--lang", action="append", default=[], metavar="L",
                           help="only this language (repeat or comma-separate)")
    build_cmd.add_argument("--strict", action="store_true",
                           help="treat warnings as errors")
    build_cmd.add_argument("--print-shop", action="store_true",
                           help="add bleed and crop marks to brochures and cards")
    build_cmd.add_argument("--force", action="store_true",
                           help="render everything, even what is up to date")
    build_cmd.add_argument("--jobs", "-j", type=_positive, default=None, metavar="N",
                           help="render with N processes (default: one per CPU)")
    build_cmd.set_defaults(command=run_build)

    check_cmd = commands.add_parser(
        "check", help="check reading level, wording, structure, review dates and accessibility")
    _project_options(check_cmd)
    check_cmd.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                           help="brand file (default: _brand.yml)")
    check_cmd.add_argument("--built", action="store_true",
                           help="also check the built PDFs listed in the output folder's catalog")
    check_cmd.add_argument("--out", type=Path, default=Path("output"),
                           help="output folder, for --built (default: output)")
    check_cmd.add_argument("--json", action="store_true", help="print JSON for machines")
    check_cmd.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check_cmd.set_defaults(command=run_check)

    packet_cmd = commands.add_parser("packet", help="one PDF for a patient or family: a cover "
                                     "with their name, then the handouts")
    _packet_options(packet_cmd)
    packet_cmd.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                            help="where to save it (default: packet-DATE.pdf here); never "
                                 "the shared output folder")
    packet_cmd.set_defaults(command=run_packet)

    email_cmd = commands.add_parser("email", help="email a packet (or the handouts) to a family, "
                                    "with their recorded consent")
    _packet_options(email_cmd)
    email_cmd.add_argument("--to", required=True, metavar="ADDR",
                           help="the recipient's email address")
    email_cmd.add_argument("--consent-on", type=_date, default=None, metavar="YYYY-MM-DD",
                           help="the date the patient's written consent to share with this "
                                "recipient was recorded; nothing is sent without it")
    email_cmd.add_argument("--separate", action="store_true",
                           help="attach each handout on its own, without a cover")
    email_cmd.add_argument("--dry-run", type=Path, default=None, metavar="DIR",
                           help="write the message to a .eml file in DIR instead of sending it")
    # Read by run_email, not argparse: a bad size is one line, as every other problem is.
    email_cmd.add_argument("--max-size", default="10", metavar="MB",
                           help="the largest the attachments may be (default: 10 MB)")
    email_cmd.set_defaults(command=run_email)

    serve_cmd = commands.add_parser("serve", help="the staff app: browse, print, make and email "
                                    "packets in a browser")
    _project_options(serve_cmd)
    serve_cmd.add_argument("--out", type=Path, default=Path("output"),
                           help="output folder (default: output)")
    serve_cmd.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                           help="brand file (default: _brand.yml)")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this computer only); "
                                "any other needs HANDOUTS_STAFF_PASSWORD")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_cmd.set_defaults(command=run_serve)

    watch_cmd = commands.add_parser("watch", help="rebuild what changed whenever a file is saved")
    _project_options(watch_cmd)
    watch_cmd.add_argument("--out", type=Path, default=Path("output"),
                           help="output folder (default: output)")
    watch_cmd.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                           help="brand file (default: _brand.yml)")
    watch_cmd.add_argument("--jobs", "-j", type=_positive, default=None, metavar="N",
                           help="render with N processes (default: one per CPU)")
    watch_cmd.set_defaults(command=run_watch)

    list_cmd = commands.add_parser("list", help="list the sources and their review status")
    _project_options(list_cmd)
    list_cmd.add_argument("--json", action="store_true", help="print JSON for machines")
    list_cmd.set_defaults(command=run_list)
    return parser


def _packet_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slugs", nargs="+", metavar="SLUG", help="the documents, in order")
    parser.add_argument("--for", dest="for_name", required=True, metavar="NAME",
                        help="who the packet is for: printed on the cover only")
    parser.add_argument("--clinician", metavar="NAME", help="who prepared it")
    parser.add_argument("--date", type=_date, default=None, metavar="YYYY-MM-DD",
                        help="the date on the cover (default: today)")
    parser.add_argument("--note", metavar="TEXT", help="a short note printed on the cover")
    parser.add_argument("--lang", default="en", metavar="L",
                        help="language of the packet (default: en)")
    parser.add_argument("--large-print", action="store_true", help="the packet in large print")
    _project_options(parser)
    parser.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                        help="brand file (default: _brand.yml)")
    parser.add_argument("--out", type=Path, default=Path("output"),
                        help="the shared output folder, where packets must not go "
                             "(default: output)")


def _date(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date written YYYY-MM-DD") from None


def _project_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sources", type=Path, default=Path("sources"),
                        help="folder of Markdown sources (default: sources)")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def run_build(args, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    request = BuildRequest(slugs=tuple(args.slugs), formats=_split(args.format),
                           langs=_split(args.lang), strict=args.strict,
                           print_shop=args.print_shop, force=args.force, jobs=args.jobs)
    with progress_display(stdout) as progress:
        report = build(project, request, progress=progress,
                       waiting=lambda: print("Waiting for another build of this output folder "
                                             "to finish...", file=stderr))
    print_problems(report.problems, stderr)
    print(summary(report), file=stdout)
    return report.exit_code


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


def packet_request(args):
    import datetime as dt

    from .deliver.packet import PacketRequest, Personalisation

    person = Personalisation(for_name=args.for_name, clinician=args.clinician,
                             date=args.date or dt.date.today(), note=args.note)
    return PacketRequest(slugs=tuple(args.slugs), person=person, lang=args.lang,
                         large_print=args.large_print)


def run_packet(args, stdout: TextIO, stderr: TextIO) -> int:
    from .deliver.packet import (
        SaveError,
        build_packet,
        check_target,
        default_file_name,
        write_packet,
    )
    from .problems import ContentError

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    request = packet_request(args)
    target = args.output or Path(default_file_name(request.person))
    try:
        check_target(target, project)  # before rendering: a wrong -o costs no wait
        packet = build_packet(project, request)
        write_packet(packet.data, target, project)
    except ContentError as exc:
        print_problems(exc.problems, stderr)
        return 1
    except SaveError as exc:
        print(f"error: {exc}", file=stderr)
        return 1
    print_problems([*packet.problems, *drafts_said(packet.included)], stderr)
    print(f"Packet saved to {target} ({packet.pages} pages, {len(packet.contents)} "
          f"document{'s' if len(packet.contents) != 1 else ''})", file=stdout)
    return 0


def drafts_said(included) -> list:
    """A packet may hold drafts (they print with the watermark); it says which, since
    they cannot be emailed."""
    from .problems import warning

    return [warning(d.source, None, f"\u201c{d.title}\u201d is a draft: it prints with the "
                    "DRAFT mark, and is not emailed to a family until a clinician approves it")
            for d in included if d.draft]


def run_email(args, stdout: TextIO, stderr: TextIO) -> int:
    import datetime as dt
    import os

    from .content.brand import load_brand
    from .deliver.mail import (
        Attachment,
        Delivery,
        DeliveryError,
        SmtpSettings,
        check_address,
        check_approved,
        check_callable,
        check_size,
        compose,
        send,
        size_limit,
        write_eml,
    )
    from .deliver.packet import build_documents, build_packet, check_person
    from .problems import ContentError
    from .render.layout import email_text

    if args.consent_on is None:
        raise UsageError("nothing is sent without --consent-on YYYY-MM-DD: the date the "
                         "patient's written consent to share with this recipient was recorded")
    if args.consent_on > dt.date.today():
        raise UsageError("--consent-on is in the future: give the date the consent was recorded")
    limit = size_limit(args.max_size)
    if args.dry_run and args.dry_run.exists() and not args.dry_run.is_dir():
        raise UsageError(f"--dry-run {args.dry_run} is not a folder: give the folder to write the "
                         "message file in")
    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    request = packet_request(args)
    try:
        check_person(request.person)
        address = check_address(args.to)
        settings = None if args.dry_run else SmtpSettings.from_environment(os.environ)
        folder = args.dry_run or Path.cwd()  # where the .eml goes if nothing is sent
        if settings is None and folder.resolve().is_relative_to(project.out.resolve()):
            # As for a packet: a family's address and handouts never go in the shared folder.
            if args.dry_run:
                raise UsageError("a message holds personal details: write it outside the shared "
                                 f"output folder ({project.out})")
            raise UsageError("no SMTP settings, so the message would be written here, in the "
                             f"shared output folder ({project.out}): run this from another "
                             "folder, or give --dry-run DIR")
        brand = load_brand(project.brand)
        check_callable(brand, request.lang)  # before the wait for rendering
        if args.separate:
            documents = build_documents(project, request)
            included = tuple(document for document, _ in documents)
            attachments = [Attachment(f"handout-{n}.pdf", data)
                           for n, (_, data) in enumerate(documents, start=1)]
            problems = []
        else:
            packet = build_packet(project, request)
            included = packet.included
            attachments = [Attachment("handouts.pdf", packet.data)]
            problems = list(packet.problems)
        check_approved(brand, included)
        check_size(attachments, limit)
        words = email_text(brand, project.layouts, request.lang, len(attachments))
        message = compose(address, settings.sender if settings else "handouts@localhost",
                          words.subject, words.text, words.html, attachments)
        print_problems(problems, stderr)
        size = sum(len(a.data) for a in attachments) / 1024
        what = f"{len(attachments)} attachment{'s' if len(attachments) != 1 else ''}, {size:.0f} KB"
        if settings is None:
            path = write_eml(message, folder)
            reason = "dry run" if args.dry_run else "no SMTP settings"
            print(f"Message written to {path} ({what}); {reason}: nothing was sent", file=stdout)
        else:
            delivery = Delivery(included, request.lang)
            send(message, settings, delivery)
            print(f"Sent one message ({what}); delivery {delivery.id}", file=stdout)
    except ContentError as exc:
        print_problems(exc.problems, stderr)
        return 1
    except DeliveryError as exc:
        print(f"error: {exc}", file=stderr)
        return 1
    return 0


def run_serve(args, stdout: TextIO, stderr: TextIO) -> int:
    import os

    from .web.app import serve
    from .web.settings import PASSWORD_VARIABLE, Settings, check_reach

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    settings = Settings(password=os.environ.get(PASSWORD_VARIABLE) or None, host=args.host,
                        port=args.port)
    check_reach(settings)  # before the catalog is built, not after
    # First bring the catalog up to date, telling staff what could not be built.
    print("Bringing the handouts up to date...", file=stdout, flush=True)
    with progress_display(stdout) as progress:
        report = build(project, BuildRequest(), progress=progress)
    print_problems(report.problems, stderr)
    print(summary(report), file=stdout)
    where = args.host if settings.loopback else "this computer's name or address"
    print(f"Serving the staff app on http://{where}:{args.port}/ (Ctrl-C stops)", file=stdout,
          flush=True)
    serve(project, settings)
    return 0


def run_watch(args, stdout: TextIO, stderr: TextIO) -> int:
    from .library.watch import watch

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")

    def report(result: BuildReport) -> None:
        print_problems(result.problems, stderr)
        print(summary(result), file=stdout, flush=True)

    print(f"Watching {project.sources}, the templates, styles and brand; Ctrl-C stops.",
          file=stderr, flush=True)
    watch(project, BuildRequest(jobs=args.jobs), report, stderr)
    print("Stopped watching.", file=stderr)
    return 0


def summary(report: BuildReport) -> str:
    count = len(report.written)
    line = f"Built {count} PDF{'s' if count != 1 else ''}"
    if report.up_to_date:
        line += f" ({report.up_to_date} up to date)"
    line += f" in {report.seconds:.1f} s"
    if report.failed:
        line += f"; {len(report.failed)} document{'s' if len(report.failed) != 1 else ''} failed"
    return line


def run_check(args, stdout: TextIO, stderr: TextIO) -> int:
    from .check.gate import CheckOptions, check

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    report = check(project, CheckOptions(strict=args.strict, built=args.built))
    if args.json:
        print(report.to_json(), file=stdout)
        return report.exit_code
    print_problems(report.findings, stderr, rules=True)
    rows = [(display_path(d.path), d.lang, f"{d.measure} {d.score:.1f}", d.words, d.warnings,
             d.errors) for d in report.documents]
    _print_columns(("DOCUMENT", "LANG", "READING", "WORDS", "WARNINGS", "ERRORS"), rows, stdout)
    print(f"{report.errors} error{'s' if report.errors != 1 else ''}, {report.warnings} "
          f"warning{'s' if report.warnings != 1 else ''} in {len(report.documents)} "
          f"document{'s' if len(report.documents) != 1 else ''}", file=stdout)
    return report.exit_code


def run_list(args, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(sources=args.sources)
    from .content.sources import discover
    from .render.document import read_documents

    discovered = discover(project.sources) if project.sources.is_dir() else None
    if discovered is None:
        raise UsageError(f"sources folder not found: {project.sources}")
    documents = read_documents(list(discovered.sources), project.resources)
    problems = [*discovered.problems, *documents.problems]
    rows = [_row(resolved.document) for resolved in documents.resolved]
    if args.json:
        json.dump({"documents": rows}, stdout, indent=2, ensure_ascii=False)
        stdout.write("\n")
    else:
        _print_table(rows, stdout)
    print_problems(problems, stderr)
    return 1 if any(p.is_error for p in problems) else 0


def _row(document) -> dict:
    from .content.i18n import translation_problem

    meta = document.meta
    return {
        "slug": document.slug,
        "lang": document.lang,
        "title": meta.title,
        "status": meta.review.status,
        "next_review": meta.review.next_review.isoformat() if meta.review.next_review else None,
        "formats": list(meta.formats),
        "code": meta.code,
        "stale": bool(translation_problem(document)) if document.lang != "en" else None,
        "source": str(document.source.path),
    }


def _print_table(rows: list[dict], stdout: TextIO) -> None:
    _print_columns(("SLUG", "LANG", "STATUS", "NEXT REVIEW", "FORMATS", "TITLE"),
                   [(r["slug"], r["lang"], r["status"] + (" (stale)" if r["stale"] else ""),
                     r["next_review"] or "-", ",".join(r["formats"]), r["title"]) for r in rows],
                   stdout)


def _print_columns(headers: tuple[str, ...], rows: list[tuple], stdout: TextIO) -> None:
    """A plain table: columns padded to their widest cell, the last left ragged."""
    table = [headers, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print(terminal_text("  ".join([*cells, str(row[-1])]).rstrip()), file=stdout)


def print_problems(problems: Sequence[Problem], stderr: TextIO, rules: bool = False) -> None:
    """Each problem on a line of its own, compiler-style, with the source line it is on
    (a caret under the place) and a hint, indented under it."""
    for line in printed(problems, rules):
        print(line, file=stderr)
