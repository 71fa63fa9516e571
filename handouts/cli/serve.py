"""`serve`: the staff app, after bringing the catalog up to date."""

from __future__ import annotations

from typing import TextIO

from ..library.build import build
from ..problems import UsageError
from ..project import BuildRequest, Project
from .options import project_options, queue_option
from .report import print_problems, progress_display, summary


def add_serve(commands) -> None:
    serve_cmd = commands.add_parser("serve", help="the staff app: browse, print, make and email "
                                    "packets in a browser")
    project_options(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this computer only); "
                                "any other needs HANDOUTS_STAFF_PASSWORD")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    queue_option(serve_cmd, "make packets on the workers of this job queue (a Redis URL, "
                            "redis://HOST:PORT/N), which also keeps the sessions")
    serve_cmd.add_argument("--store", metavar="WHERE", default=None,
                           help="where sessions and sign-ins are kept, shared by every process "
                                "of the app: a Redis URL, or a SQLite file (default: "
                                ".staff-app.sqlite3 in the output folder)")
    serve_cmd.set_defaults(command=run_serve)


def run_serve(args, stdout: TextIO, stderr: TextIO) -> int:
    import os

    from ..web.app import serve
    from ..web.settings import PASSWORD_VARIABLE, Settings, check_reach

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    settings = Settings(password=os.environ.get(PASSWORD_VARIABLE) or None, host=args.host,
                        port=args.port, warm_packets=True, store=args.store, queue=args.queue)
    check_reach(settings)  # before the catalog is built, not after
    # First bring the catalog up to date, telling staff what could not be built.
    print("Bringing the handouts up to date...", file=stdout, flush=True)
    with progress_display(stdout) as progress:
        report = build(project, BuildRequest(), progress=progress)
    print_problems(report.problems, stderr)
    print(summary(report), file=stdout)
    where = args.host if settings.loopback else "this computer's name or address"
    print("Laying out the handouts for packets...", file=stdout, flush=True)
    serve(project, settings, ready=lambda: print(
        f"Serving the staff app on http://{where}:{args.port}/ (Ctrl-C stops)", file=stdout,
        flush=True))
    return 0
