"""`build`, `watch`, `check` and `list`: the commands over the whole library."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from ..library.build import BuildReport, build
from ..problems import UsageError, display_path
from ..project import BuildRequest, Project
from .options import jobs_option, project_options, queue_option, sources_option, split
from .report import print_columns, print_problems, progress_display, summary


def add_build(commands) -> None:
    build_cmd = commands.add_parser("build", help="build PDFs into the output folder")
    build_cmd.add_argument("slugs", nargs="*", metavar="SLUG", help="only these documents")
    project_options(build_cmd)
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
    jobs_option(build_cmd)
    queue_option(build_cmd, "render on the workers of this job queue (a Redis URL, "
                            "redis://HOST:PORT/N), not in this machine's own processes")
    build_cmd.set_defaults(command=run_build)


def run_build(args, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    request = BuildRequest(slugs=tuple(args.slugs), formats=split(args.format),
                           langs=split(args.lang), strict=args.strict,
                           print_shop=args.print_shop, force=args.force, jobs=args.jobs,
                           queue=args.queue)
    if args.queue:
        from ..library.queue.connection import connect, no_workers, shown

        if no_workers(connect(args.queue)):
            print(f"No render worker is taking jobs from {shown(args.queue)} yet: the build waits "
                  f"for one (start one with: make_docs.py worker --queue URL).", file=stderr)
    with progress_display(stdout) as progress:
        report = build(project, request, progress=progress,
                       waiting=lambda: print("Waiting for another build of this output folder "
                                             "to finish...", file=stderr))
    print_problems(report.problems, stderr)
    print(summary(report), file=stdout)
    return report.exit_code


def add_check(commands) -> None:
    check_cmd = commands.add_parser(
        "check", help="check reading level, wording, structure, review dates and accessibility")
    sources_option(check_cmd)
    check_cmd.add_argument("--brand", type=Path, default=Path("_brand.yml"),
                           help="brand file (default: _brand.yml)")
    check_cmd.add_argument("--built", action="store_true",
                           help="also check the built PDFs listed in the output folder's catalog")
    check_cmd.add_argument("--out", type=Path, default=Path("output"),
                           help="output folder, for --built (default: output)")
    check_cmd.add_argument("--json", action="store_true", help="print JSON for machines")
    check_cmd.add_argument("--strict", action="store_true", help="warnings fail the check too")
    check_cmd.set_defaults(command=run_check)


def run_check(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..check.gate import CheckOptions, check

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    report = check(project, CheckOptions(strict=args.strict, built=args.built))
    if args.json:
        print(report.to_json(), file=stdout)
        return report.exit_code
    print_problems(report.findings, stderr, rules=True)
    rows = [(display_path(d.path), d.lang, d.reading, d.words, d.warnings,
             d.errors) for d in report.documents]
    print_columns(("DOCUMENT", "LANG", "READING", "WORDS", "WARNINGS", "ERRORS"), rows, stdout)
    unchecked = {(d.lang, d.not_checked) for d in report.documents if d.not_checked}
    for lang, missing in sorted(unchecked):
        print(f"{lang}: not checked in this language: {'; '.join(missing)}", file=stdout)
    print(f"{report.errors} error{'s' if report.errors != 1 else ''}, {report.warnings} "
          f"warning{'s' if report.warnings != 1 else ''} in {len(report.documents)} "
          f"document{'s' if len(report.documents) != 1 else ''}", file=stdout)
    return report.exit_code


def add_watch(commands) -> None:
    watch_cmd = commands.add_parser("watch", help="rebuild what changed whenever a file is saved")
    project_options(watch_cmd)
    jobs_option(watch_cmd)
    watch_cmd.set_defaults(command=run_watch)


def run_watch(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..library.watch import watch

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")

    def report(result: BuildReport) -> None:
        print_problems(result.problems, stderr)
        print(summary(result), file=stdout, flush=True)

    print(f"Watching {project.sources}, the templates, styles and brand; Ctrl-C stops.",
          file=stderr, flush=True)
    with stopped_by_ctrl_c() as stop:
        watch(project, BuildRequest(jobs=args.jobs), report, stderr, stop_event=stop)
    print("Stopped watching.", file=stderr)
    return 0


@contextlib.contextmanager
def stopped_by_ctrl_c() -> Iterator[threading.Event]:
    """An event Ctrl-C sets: a build under way finishes (its files are written whole
    or not at all either way, but a writer expects what they saved to be built), and
    watching ends then. A second Ctrl-C stops at once."""
    stop = threading.Event()

    def interrupted(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield stop  # only the main thread is told of signals
        return
    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def add_list(commands) -> None:
    list_cmd = commands.add_parser("list", help="list the sources and their review status")
    sources_option(list_cmd)
    list_cmd.add_argument("--json", action="store_true", help="print JSON for machines")
    list_cmd.set_defaults(command=run_list)


def run_list(args, stdout: TextIO, stderr: TextIO) -> int:
    project = Project(sources=args.sources)
    from ..content.sources import discover
    from ..render.document import read_documents

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
    from ..content.i18n import translation_problem

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
    print_columns(("SLUG", "LANG", "STATUS", "NEXT REVIEW", "FORMATS", "TITLE"),
                   [(r["slug"], r["lang"], r["status"] + (" (stale)" if r["stale"] else ""),
                     r["next_review"] or "-", ",".join(r["formats"]), r["title"]) for r in rows],
                   stdout)
