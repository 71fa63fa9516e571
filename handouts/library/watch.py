"""`make_docs.py watch`: rebuild what changed whenever a file is saved.

Watches the sources, templates, styles and the brand's logos, and checks the
brand file itself between events (editors often save it by replacing it).
Each rebuild is an ordinary incremental build: one changed handout renders
one document's formats. Problems are printed and watching goes on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from ..content.filecache import stamp_or_none
from ..problems import UsageError
from ..project import BuildRequest, Project
from .build import build


def watch(project: Project, request: BuildRequest, report: Callable, stderr: TextIO,
          stop_event=None) -> None:
    """Build now, then again after every change, until interrupted or `stop_event` is set."""
    for changed in saves(project, stop_event):
        if changed:
            print(f"Changed: {', '.join(sorted(p.name for p in changed))}", file=stderr)
        rebuild(project, request, report, stderr)


def saves(project: Project, stop_event=None, quiet_ms: int = 50) -> Iterator[set[Path]]:
    """The files saved since the last time asked, each time any of the project's inputs
    is saved: sources, resources, images, blocks, templates, styles, the brand's files.
    A burst of writes (an editor saving in steps) is one change once `quiet_ms` pass
    without another (at most 300 ms). Ends when interrupted or `stop_event` is set.

    The first set, perhaps empty, comes once the files are watched: what a build made
    then has missed no save."""
    from watchfiles import watch as changes

    folders = [p for p in (project.sources, project.templates, project.styles,
                           project.brand.parent / "brand") if p.is_dir()]
    brand_seen = stamp_or_none(project.brand)
    watching = False
    for changed in changes(*folders, debounce=300, step=quiet_ms,
                           rust_timeout=700, yield_on_timeout=True, stop_event=stop_event,
                           raise_interrupt=False):
        brand_now = stamp_or_none(project.brand)
        if not watching:  # the first wait is over: the folders are watched
            watching, brand_seen = True, brand_now
            yield {Path(path) for _, path in changed}
        elif changed or brand_now != brand_seen:
            brand_seen = brand_now
            yield {Path(path) for _, path in changed} or {project.brand}


def rebuild(project: Project, request: BuildRequest, report: Callable, stderr: TextIO) -> None:
    """One build; whatever goes wrong is printed, and watching carries on."""
    try:
        report(build(project, request))
    except UsageError as exc:
        print(f"error: {exc}", file=stderr)
    except Exception:  # a bug must not end a writer's session: show it, keep watching
        traceback.print_exc(file=stderr)
