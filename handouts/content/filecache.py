"""Files read once a process, and again only when they change on disk; and how a
file's change is told: its stamp (modification time and size) to notice it
cheaply, its digest (SHA-256 of its bytes) to know it for sure.

The brand and the resource library are read for every packet and every page
of the staff app; parsing them (with each key's line, for error messages)
costs more than laying out a cover. What they are read into is frozen, so a
process may share one copy until the file's size or modification time changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def stamp(path: Path) -> tuple[int, int]:
    """The file's modification time (ns) and size: a file that changes changes this.
    OSError if it cannot be read."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


def stamp_or_none(path: Path) -> tuple[int, int] | None:
    """`stamp`, or None for a file that is missing or cannot be read."""
    try:
        return stamp(path)
    except OSError:
        return None


def file_digest(path: Path) -> str:
    """The SHA-256 of the file's bytes, in hex. OSError if it cannot be read.

    Remembered while the file's status stays the same (its times, size and inode: any
    write changes them), so a long `watch` or `preview` hashes the fonts once, not on
    every save."""
    status = path.stat()
    version = (status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino)
    kept = _DIGESTS.get(path)
    if kept is not None and kept[0] == version:
        return kept[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    # A library of thousands of documents has a PDF of each in each format: a build
    # hashes each as it plans, and finds the digest here as it lists them in the catalog.
    if len(_DIGESTS) >= MAX_DIGESTS:  # a process that has seen more files than any project
        _DIGESTS.clear()
    _DIGESTS[path] = (version, digest)
    return digest


MAX_DIGESTS = 100_000
_DIGESTS: dict[Path, tuple[tuple[int, int, int, int], str]] = {}


def reread_when_changed(load: Callable[[Path], T], files: int = 8) -> Callable[[Path], T]:
    """`load(path)`, kept until the file at `path` changes (for the last `files` paths);
    a missing file is never kept, so its problem is reported afresh each time. Only
    the file itself is watched: for a folder, load each of its files through one."""
    @lru_cache(maxsize=files)
    def kept(path: Path, where: Path, version: tuple[int, int]) -> T:
        return load(path)  # as given, so that its problems name it as the writer did

    @wraps(load)
    def cached(path: Path) -> T:
        version = stamp_or_none(path)
        if version is None:
            return load(path)
        return kept(path, path.resolve(), version)

    return cached
