"""`preview`: the document being written, as it will print, reloading on every save."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from ..content.sources import SOURCE_NAME, discover
from ..problems import UsageError
from ..project import Project
from .options import project_options


def add_preview(commands) -> None:
    preview_cmd = commands.add_parser(
        "preview", help="show a document's pages in a browser, redrawn whenever it is saved")
    preview_cmd.add_argument("document", nargs="?", metavar="SOURCE",
                             help="the source to show first (naloxone, naloxone.es or its file; "
                                  "default: the one saved last); then whichever is saved")
    project_options(preview_cmd)
    preview_cmd.add_argument("--port", type=int, default=8001, help="port (default: 8001)")
    preview_cmd.set_defaults(command=run_preview)


def run_preview(args, stdout: TextIO, stderr: TextIO) -> int:
    from ..preview.server import HOST, serve
    from ..preview.session import Preview

    project = Project(sources=args.sources, out=args.out, brand=args.brand)
    if not project.sources.is_dir():
        raise UsageError(f"sources folder not found: {project.sources}")
    from ..render import pdf

    pdf.warm()  # WeasyPrint loaded once, before the first save, not after it

    preview = Preview(project, first_source(project, args.document), stderr)
    preview.start()
    print(f"Previewing on http://{HOST}:{args.port}/ (Ctrl-C stops); PDFs go to "
          f"{project.out}", file=stdout, flush=True)
    try:
        serve(preview, args.port)
    finally:
        preview.stop()
    return 0


def first_source(project: Project, named: str | None) -> str:
    """The file name of the source `named` (a slug, slug.lang or a file name), or of
    the one saved last."""
    sources = discover(project.sources).sources
    if not sources:
        raise UsageError(f"no sources to preview in {project.sources}")
    if named is None:
        return max(sources, key=lambda s: s.path.stat().st_mtime_ns).path.name
    name = Path(named).name
    name = name if name.endswith(".md") else f"{name}.md"
    if not SOURCE_NAME.match(name) or name not in {s.path.name for s in sources}:
        raise UsageError(f"no source named '{named}' in {project.sources} (see: make_docs.py list)")
    return name
