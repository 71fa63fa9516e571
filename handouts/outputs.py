"""The output folder: atomic writes, the catalog, the build manifest, and the lock.

Every file is written to `output/.tmp/` first and renamed into place, so a
build killed at any moment leaves either the old file or the whole new one,
never a partial one; the next build clears what a killed one left in `.tmp`.
One build at a time holds `output/.lock`, so two builds at once cannot mix
their files.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

CATALOG = "catalog.json"
MANIFEST = ".manifest.json"
TEMPORARY = ".tmp"
LOCK = ".lock"


@dataclass(frozen=True)
class CatalogEntry:
    """One built file, as listed in catalog.json."""

    slug: str
    lang: str
    format: str
    title: str
    summary: str
    audience: tuple[str, ...]
    topics: tuple[str, ...]
    code: str | None
    version: str
    path: str  # relative to the output folder
    profile: str  # office or print-shop
    pages: int
    bytes: int
    sha256: str
    source: str
    status: str
    next_review: str | None


@contextmanager
def locked(out: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the output folder's lock; call `waiting` first if another build has it."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK, "a+") as handle:
        # A POSIX record lock, not flock(): it belongs to this process alone, so
        # worker processes forked while it is held do not keep it if we are killed.
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            waiting()
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            shutil.rmtree(out / TEMPORARY, ignore_errors=True)  # what a killed build left
            yield
            shutil.rmtree(out / TEMPORARY, ignore_errors=True)
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)


def atomic_write(out: Path, relative: str, data: bytes) -> None:
    """Write `out/relative` so that it is always either the old file or the whole new one."""
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = out / TEMPORARY
    staging.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=staging, suffix=".part")
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes files private; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path, key: str) -> dict | list | None:
    """A JSON file's `key`, or None if it is missing or damaged (it is rebuilt)."""
    try:
        return json.loads(path.read_text("utf-8"))[key]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_json(out: Path, name: str, value: dict) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    atomic_write(out, name, text.encode("utf-8"))


def read_catalog(out: Path) -> dict[tuple[str, str, str], dict]:
    entries = read_json(out / CATALOG, "files") or []
    try:
        return {(e["format"], e["slug"], e["lang"]): e for e in entries}
    except (KeyError, TypeError):
        return {}


def write_catalog(out: Path, catalog: dict[tuple[str, str, str], dict]) -> None:
    """Every built file that exists, in a stable order, so identical builds write identical catalogs."""
    entries = [entry for _, entry in sorted(catalog.items()) if (out / entry["path"]).is_file()]
    write_json(out, CATALOG, {"files": entries})


def remove(out: Path, relative: str) -> None:
    (out / relative).unlink(missing_ok=True)
