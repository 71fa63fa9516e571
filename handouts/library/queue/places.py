"""Paths that travel between machines: a worker names the files of its own copy of the
project as `@sources/...`, `@brand` or `@pipeline/...`, and the build reads each name as
its own file. So a worker's copy may live anywhere, and what the build prints and
remembers names the files it knows."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from ...project import PROJECT_ROOT, Project

SOURCES, BRAND, PIPELINE = "@sources", "@brand", "@pipeline"


@dataclass(frozen=True)
class Places:
    project: Project

    def portable(self, path: Path) -> Path:
        """`path` of this machine as a name any copy of the project can read."""
        where = Path(os.path.abspath(path))
        if where == Path(os.path.abspath(self.project.brand)):
            return Path(BRAND)
        for marker, root in ((SOURCES, self.project.sources), (PIPELINE, PROJECT_ROOT)):
            root = Path(os.path.abspath(root))
            if where.is_relative_to(root):
                return Path(marker) / where.relative_to(root)
        return path  # outside the project (a font of the system's): as it is

    def local(self, path: Path) -> Path:
        """A portable name as this machine's path, as the project names it."""
        head, *rest = path.parts or ("",)
        if head == BRAND:
            return self.project.brand
        if head == SOURCES:
            return self.project.sources.joinpath(*rest)
        if head == PIPELINE:
            return PROJECT_ROOT.joinpath(*rest)
        return path


def carried(result, places: Places):
    """A DocumentResult of this worker, its paths made portable."""
    return _moved(result, places.portable, lambda text: str(places.portable(Path(text))))


def received(result, places: Places):
    """A DocumentResult from a worker, its paths this build's own."""
    def resolved(text: str) -> str:
        return str(places.local(Path(text)).resolve())

    moved = _moved(result, places.local, resolved)
    sources_parent = places.project.sources.resolve().parent
    files = tuple(dataclasses.replace(f, entry=dataclasses.replace(
        f.entry, source=os.path.relpath(f.source, sources_parent))) for f in moved.files)
    return dataclasses.replace(moved, files=files)


def _moved(result, path_to, text_to):
    problems = tuple(dataclasses.replace(p, path=path_to(p.path)) if p.path else p
                     for p in result.problems)
    files = tuple(dataclasses.replace(
        f, source=text_to(f.source), images=tuple(map(text_to, f.images)),
        blocks=tuple(map(text_to, f.blocks))) for f in result.files)
    return dataclasses.replace(result, problems=problems, files=files)
