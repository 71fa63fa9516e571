"""What a render worker must share with the build that sent it a job, checked by digest.

A worker on another machine renders from its own copy of the project. A copy that
differs from the build's in anything a PDF is made from (the pipeline's code, the
templates, the stylesheets, the brand and its fonts, the resources, blocks and
pictures beside the sources, or the job's own source) refuses the job and says
which, so no PDF is ever made from stale files. Every part is a digest of file
contents, never of paths: the copy may live anywhere.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path

from ...content.filecache import file_digest
from ...content.sources import LOCALE
from ...project import Project


@dataclass(frozen=True)
class Fingerprint:
    pipeline: str  # the code that shapes a PDF, its version and its translations
    templates: str
    styles: str
    brand: str  # the brand file, its logos and the fonts it names
    library: str  # every file in the sources folder but the Markdown sources

    def differences(self, other: Fingerprint) -> list[str]:
        """What differs from `other`, in words: ['the stylesheets', ...]."""
        return [WORDS[f.name] for f in fields(self)
                if getattr(self, f.name) != getattr(other, f.name)]


WORDS = {"pipeline": "the pipeline's code", "templates": "the templates",
         "styles": "the stylesheets", "brand": "the brand file, its logos or fonts",
         "library": "the resources, safety blocks or pictures beside the sources"}


def fingerprint(project: Project, brand) -> Fingerprint:
    """The fingerprint of `project`, whose brand file reads as `brand`."""
    from ..plan import Inputs, shared_files

    inputs = Inputs(project.templates, project.styles, project.resources, (), False)
    return Fingerprint(
        pipeline=_sha(inputs.pipeline, _tree(LOCALE)),
        templates=_tree(project.templates),
        styles=_tree(project.styles),
        brand=_sha(*(_digest(Path(path)) for path in shared_files(brand))),
        library=_tree(project.sources, besides_sources=True),
    )


def differences_here(project: Project, theirs: Fingerprint) -> list[str]:
    """What this machine's copy of `project` has that differs from `theirs` (a build's or
    an app's), in words; a brand file it cannot read is one of them."""
    from ...content.brand import read_brand
    from ...problems import ContentError

    try:
        brand = read_brand(project.brand)  # kept by read_brand until the file changes
    except ContentError:
        return ["the brand file, which it cannot read"]
    return theirs.differences(fingerprint(project, brand))


def _tree(root: Path, besides_sources: bool = False) -> str:
    """The digest of every file under `root`: each one's path inside it and contents.

    Walked by name first, so that a library of thousands of sources costs a listing,
    not a look at each Markdown file: this runs for every job a worker takes."""
    parts = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if _wanted(f))  # hidden folders: no input
        inside = Path(folder).relative_to(root)
        for name in sorted(names):
            if not _wanted(name) or (besides_sources and name.endswith(".md")):
                continue
            path = Path(folder, name)
            if path.is_file():
                parts.append(f"{(inside / name).as_posix()}={_digest(path)}")
    return _sha(*parts)


def _wanted(name: str) -> bool:
    """Not hidden, nor an editor's swap or backup file."""
    return not (name.startswith((".", "#")) or name.endswith("~"))


def _digest(path: Path) -> str:
    try:
        return file_digest(path)
    except OSError:
        return "missing"


def _sha(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
