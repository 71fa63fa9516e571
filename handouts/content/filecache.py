"""Files read once a process, and again only when they change on disk.

The brand and the resource library are read for every packet and every page
of the staff app; parsing them (with each key's line, for error messages)
costs more than laying out a cover. What they are read into is frozen, so a
process may share one copy until the file's size or modification time changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def reread_when_changed(load: Callable[[Path], T]) -> Callable[[Path], T]:
    """`load(path)`, kept until the file at `path` changes; a missing file is
    never kept, so its problem is reported afresh each time."""
    @lru_cache(maxsize=8)
    def kept(path: Path, where: Path, version: tuple[int, int]) -> T:
        return load(path)  # as given, so that its problems name it as the writer did

    @wraps(load)
    def cached(path: Path) -> T:
        try:
            stat = path.stat()
        except OSError:
            return load(path)
        return kept(path, path.resolve(), (stat.st_mtime_ns, stat.st_size))

    return cached
