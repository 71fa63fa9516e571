"""The preview's warm process: the document being written, rendered on every save.

One thread watches the project's inputs (library/watch.py `saves`) and follows
the writer: the source saved last is the one shown. Another renders, in steps,
and a new save cuts short what is left of the last one:

1. the format on screen, built into the output folder as `build` would (so the
   PDF there is the one on screen), then read back as page images: what the
   writer waits for;
2. the document's other formats;
3. `check`, for that document's own findings.

Everything runs in this one process, which keeps WeasyPrint, its fonts and the
parsed stylesheets loaded between saves (a warm process with one job renders
it itself, library/workers.py). The page asks for the view with `wait`, which
returns as soon as there is a newer one.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

from ..content.formats import FORMAT_NAMES, formats_of
from ..content.sources import SOURCE_NAME, SourceFile, discover
from ..library.build import build
from ..library.outputs import read_catalog
from ..problems import ContentError, Problem, UsageError, display_path, printed
from ..project import BuildRequest, Project
from .pages import PageDrawer


@dataclass(frozen=True)
class View:
    """What the page shows, as of `version`."""

    version: int = 0
    source: str = ""  # the source's file name
    documents: tuple[str, ...] = ()  # every source's file name, to choose from
    formats: tuple[str, ...] = ()  # the document's formats
    on_screen: str = ""
    pages: Mapping[str, tuple[bytes, ...]] = field(default_factory=dict)  # the last good ones
    drawn: Mapping[str, int] = field(default_factory=dict)  # the version each format's is of
    errors: tuple[str, ...] = ()  # why its last build failed (a problem each): shown instead
    notes: tuple[str, ...] = ()  # of the pages; the build's warnings and the check's findings
    reading: str = ""  # "grade 5.1", once checked
    busy: bool = True  # formats or the check still to come

    def state(self) -> dict:
        """The view for the page, without the images (it asks for each by number)."""
        return {"version": self.version, "source": self.source, "documents": self.documents,
                "formats": self.formats, "format": self.on_screen,
                "pages": {fmt: len(images) for fmt, images in self.pages.items()},
                "drawn": self.drawn,
                "errors": self.errors, "notes": self.notes, "reading": self.reading,
                "busy": self.busy}


class Preview:
    """The view of one document, kept up to date while `start`ed.

        preview = Preview(project, "naloxone.md")
        preview.start()
        view = preview.wait(after=view.version, timeout=20)
    """

    def __init__(self, project: Project, source: str | None = None, stderr: TextIO | None = None):
        self.project = project
        self.stderr = stderr
        self._view = View(source=source or "")
        self._newer = threading.Condition()
        self._dirty = threading.Event()  # something to render: a save, or another choice
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pages = PageDrawer()  # used by the rendering thread alone
        self._force = True  # the first render warms the process, even if nothing changed

    # -- what the page asks -----------------------------------------------------------

    def view(self) -> View:
        with self._newer:
            return self._view

    def wait(self, after: int, timeout: float) -> View:
        """The view once it is newer than version `after`, or as it is after `timeout` s."""
        with self._newer:
            self._newer.wait_for(lambda: self._view.version > after or self._stop.is_set(),
                                 timeout)
            return self._view

    def show(self, source: str | None = None, fmt: str | None = None) -> None:
        """Show another document or format (one of those the view lists)."""
        with self._newer:
            view = self._view
            source = source if source in view.documents else view.source
            fmt = fmt if fmt in FORMAT_NAMES else view.on_screen
            if (source, fmt) == (view.source, view.on_screen):
                return
            self._publish(source=source, on_screen=fmt,
                          pages={} if source != view.source else view.pages,
                          drawn={} if source != view.source else view.drawn,
                          errors=(), notes=(), reading="", busy=True)
        self._dirty.set()

    # -- the threads ------------------------------------------------------------------

    def start(self) -> None:
        self._dirty.set()
        for work in (self._watching, self._rendering):
            thread = threading.Thread(target=work, daemon=True, name=f"preview-{work.__name__}")
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        with self._newer:
            self._newer.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _watching(self) -> None:
        from ..library.watch import saves

        for changed in saves(self.project, self._stop, quiet_ms=20):
            if changed:  # the first, perhaps empty: watching has begun
                self._follow(changed)
                self._dirty.set()

    def _follow(self, changed: Iterable[Path]) -> None:
        """Show the source just saved, if another was: the writer moved on to it."""
        sources = self.project.sources.resolve()
        saved = sorted(p.name for p in changed if p.parent.resolve() == sources
                       and SOURCE_NAME.match(p.name) and p.is_file())
        with self._newer:
            if saved and self._view.source not in saved:
                self._publish(source=saved[0], pages={}, drawn={}, errors=(), notes=(),
                              reading="", busy=True)

    def _rendering(self) -> None:
        from ..render.document import AHEAD
        from .ahead import LaidOutAhead

        ahead = LaidOutAhead(on_written=self._pages.start)
        ahead.start()
        AHEAD.set(ahead)  # in this thread only: its builds render here, not in a pool
        try:
            self._render_until_stopped()
        finally:
            ahead.close()
            self._pages.close()

    def _render_until_stopped(self) -> None:
        while not self._stop.is_set():
            if not self._dirty.wait(timeout=0.5) or self._stop.is_set():
                continue
            self._dirty.clear()
            try:
                self._refresh()
            except Exception:  # a bug must not end the writer's session: say so, go on
                if self.stderr:
                    traceback.print_exc(file=self.stderr)
                with self._newer:
                    self._publish(errors=("The preview could not render this (a problem in the "
                                          "pipeline itself; the terminal shows it).",), busy=False)

    # -- one refresh, in steps --------------------------------------------------------

    def _refresh(self) -> None:
        discovered = discover(self.project.sources)
        names = tuple(s.path.name for s in discovered.sources)
        source = self._chosen(discovered.sources)
        if source is None:
            with self._newer:
                self._publish(documents=names, errors=(self._missing(names),), busy=False)
            return
        formats = self._formats(source)
        on_screen = self._view.on_screen if self._view.on_screen in formats else formats[0]
        with self._newer:
            self._publish(source=source.path.name, documents=names, formats=formats,
                          on_screen=on_screen)

        first = self._build(source, (on_screen,), force=self._force)
        self._force = False
        if self._dirty.is_set() or first is None:
            return
        rest = self._build(source, (), first) if not first.failed else first
        if self._dirty.is_set() or rest is None:
            return
        self._checked(source, rest.notes)

    def _chosen(self, sources: tuple[SourceFile, ...]) -> SourceFile | None:
        """The source to show: as chosen, or the first there is if none was."""
        by_name = {s.path.name: s for s in sources}
        name = self._view.source or (sources[0].path.name if sources else "")
        return by_name.get(name)

    def _missing(self, names: tuple[str, ...]) -> str:
        if not self._view.source:
            return f"{display_path(self.project.sources)}: error: no source to preview"
        where = display_path(self.project.sources / self._view.source)
        return f"{where}: error: not a source that can be read (choose another)" if names else (
            f"{where}: error: not found")

    @staticmethod
    def _formats(source: SourceFile) -> tuple[str, ...]:
        from ..content.documents import parse

        try:
            return tuple(f.name for f in formats_of(parse(source).meta.formats))
        except ContentError:
            return ("handout",)  # the build says what is wrong with it

    def _build(self, source: SourceFile, formats: tuple[str, ...], before: _Built | None = None,
               force: bool = False) -> _Built | None:
        """Build `formats` of `source` (all of them if empty) and show what came of it,
        with the warnings of the build `before` it (of the formats it left up to date);
        None if the build could not run at all (say, the brand file is gone)."""
        request = BuildRequest(slugs=(source.slug,), langs=(source.lang,), formats=formats,
                               force=force)
        try:
            report = build(self.project, request)
        except UsageError as exc:
            with self._newer:
                self._publish(errors=(f"error: {exc}",), busy=False)
            return None
        built = _Built.of(report.problems, bool(report.failed), before)
        catalog = read_catalog(self.project.out)
        # Drawn again: what was just written, and what has no pages yet (up to date
        # when the preview started).
        written, shown = {e.format for e in report.written}, self.view()
        drawn = {}
        for fmt in formats or shown.formats:
            entry = catalog.get((fmt, source.slug, source.lang))
            if entry is not None and (fmt in written or fmt not in shown.pages):
                drawn[fmt] = self._pages.images(self.project.out / entry["path"])
        with self._newer:
            version = self._view.version + 1
            self._publish(pages={**self._view.pages, **drawn},
                          drawn={**self._view.drawn, **dict.fromkeys(drawn, version)},
                          errors=built.errors, busy=True)  # the notes: once checked
        return built

    def _checked(self, source: SourceFile, build_notes: tuple[str, ...]) -> None:
        from ..check.gate import CheckOptions, check

        report = check(self.project, CheckOptions(only=frozenset({source.path})))
        own = [f for f in report.findings if f.path == source.path]
        summary = next((d for d in report.documents if d.path == source.path), None)
        with self._newer:
            self._publish(notes=(*build_notes, *_each(own, rules=True)),
                          reading=summary.reading if summary else "",
                          busy=False)

    def _publish(self, **changes) -> None:
        """A new view, with `changes`; the caller holds `_newer`."""
        self._view = replace(self._view, version=self._view.version + 1, **changes)
        self._newer.notify_all()


@dataclass(frozen=True)
class _Built:
    """What one build of the document said."""

    failed: bool
    errors: tuple[str, ...]  # why it failed, a problem each
    notes: tuple[str, ...]  # its warnings

    @classmethod
    def of(cls, problems: tuple[Problem, ...], failed: bool, before: _Built | None) -> _Built:
        errors = _each(p for p in problems if p.is_error)
        earlier = before.notes if before else ()
        warnings = [text for text in _each(p for p in problems if not p.is_error)
                    if text not in earlier]
        return cls(failed or bool(errors), errors, (*earlier, *warnings))


def _each(problems: Iterable[Problem], rules: bool = False) -> tuple[str, ...]:
    """Each problem as `check` prints it: its line, then the source line it points at."""
    return tuple("\n".join(printed([problem], rules)) for problem in problems)
