"""The output folder: one build's changes made as one step, the catalog, and the lock.

A build changes the folder in two phases (`apply`). First every new file, the
catalog and the manifest are written in full to `output/.tmp/`; a build
killed or stopped by a full disk here has changed nothing. Then a journal
naming each step is written, and the steps are done: the catalog is taken
away, each file renamed into place, files of deleted sources removed, and the
new manifest and catalog renamed in last. So at every instant the catalog,
when there is one, describes exactly the files beside it; and a build killed
between the journal and its last step is finished by the next one (`tidy`),
which also clears whatever else a killed build left in `.tmp`. One build at
a time holds `output/.lock`, so two builds at once cannot mix their files.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..content.filecache import file_digest
from ..problems import HandoutsError

CATALOG = "catalog.json"
MANIFEST = ".manifest.json"
TEMPORARY = ".tmp"
JOURNAL = "journal.json"  # in TEMPORARY
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
    # The source's own digest: the staff app sends a packet only from sources that are
    # still the ones the shown PDFs were built from.
    source_sha256: str
    status: str
    next_review: str | None


@dataclass(frozen=True)
class Change:
    """What one build changes in the output folder (paths relative to it)."""

    files: dict[str, bytes]  # new content of these files
    removed: tuple[str, ...] = ()  # files to delete
    catalog: str | None = None  # catalog.json's new text; None: as it is
    manifest: str | None = None  # .manifest.json's new text; None: as it is


class OutputError(HandoutsError):
    """The output folder could not be changed: read-only, full, or gone."""

    def __init__(self, relative: str, reason: str, committed: bool):
        self.relative, self.reason, self.committed = relative, reason, committed
        super().__init__(f"{relative}: {reason}")


@contextmanager
def locked(out: Path, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the output folder's lock; call `waiting` first if another build has it.
    A folder that cannot be written is still read (a build with nothing to do
    succeeds there); the write itself then says what is wrong."""
    handle = _open_lock(out)
    try:
        if handle is not None:
            _lock(handle, waiting)
        tidy(out)  # what a killed build left
        yield
    finally:
        tidy(out)
        if handle is not None:
            handle.close()  # releases the lock


def _open_lock(out: Path):
    try:
        out.mkdir(parents=True, exist_ok=True)
        return open(out / LOCK, "a+")
    except OSError:
        try:
            return open(out / LOCK)  # read-only: a shared lock still waits for a writer
        except OSError:
            return None  # nothing can write here, so there is nothing to wait for


def _lock(handle, waiting: Callable[[], None]) -> None:
    # A POSIX record lock, not flock(): it belongs to this process alone, so
    # worker processes forked while it is held do not keep it if we are killed.
    kind = fcntl.LOCK_EX if handle.writable() else fcntl.LOCK_SH
    try:
        fcntl.lockf(handle, kind | fcntl.LOCK_NB)
    except OSError:
        waiting()
        fcntl.lockf(handle, kind)


def tidy(out: Path) -> None:
    """Finish a change a killed build had committed, then clear `.tmp`. Quiet when
    the folder cannot be written: the next write reports it."""
    staging = out / TEMPORARY
    steps = read_json(staging / JOURNAL, "steps")
    if isinstance(steps, list):
        try:
            _switch(out, steps)
        except (OSError, ValueError, TypeError, IndexError):
            return  # keep the journal for a build that can finish it
    shutil.rmtree(staging, ignore_errors=True)


def apply(out: Path, change: Change) -> None:
    """Make `change` as one step: see the module's docstring. Raises OutputError."""
    steps = commit(out, change)
    if not steps:
        return
    try:
        _switch(out, steps)
    except OSError as exc:  # the catalog is what is missing until the next build
        raise OutputError(CATALOG, _reason(exc), committed=True) from None


def commit(out: Path, change: Change) -> list[list[str]]:
    """Write every file of `change` to `.tmp`, then the journal of the steps that put them
    in place: from then on the change is made, by this build or the next. Raises
    OutputError, having changed nothing, if the folder cannot take them."""
    staging = out / TEMPORARY
    if (staging / JOURNAL).exists():  # a killed build's change that `tidy` could not finish
        raise OutputError(".", "an earlier build's change could not be finished", False)
    steps: list[list[str]] = []
    relative = "."
    try:
        for relative, data in [*change.files.items(), *_texts(change)]:
            steps.append(["replace", _staged(out, relative, data), relative])
        steps[len(change.files):len(change.files)] = [["remove", r] for r in change.removed]
        if steps:
            relative = "."
            _write_journal(staging, steps)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)  # give a full disk its space back
        raise OutputError(relative, _reason(exc), committed=False) from None
    return steps


def _texts(change: Change) -> list[tuple[str, bytes]]:
    """The manifest, then the catalog: the catalog goes in last."""
    texts = [(MANIFEST, change.manifest), (CATALOG, change.catalog)]
    return [(name, text.encode("utf-8")) for name, text in texts if text is not None]


def _staged(out: Path, relative: str, data: bytes) -> str:
    """Write `data` in full to a new file in `.tmp`, for `relative`; its name there."""
    (out / relative).parent.mkdir(parents=True, exist_ok=True)
    staging = out / TEMPORARY
    staging.mkdir(exist_ok=True)
    return Path(_write_new(staging, data)).name


def _write_journal(staging: Path, steps: list[list[str]]) -> None:
    journal = _write_new(staging, json.dumps({"steps": steps}).encode("utf-8"))
    os.replace(journal, staging / JOURNAL)
    _sync_folder(staging)


def _switch(out: Path, steps: list[list[str]]) -> None:
    """Do the journal's steps; each is done once, so doing them again is harmless."""
    staging = out / TEMPORARY
    if any(s[0] == "replace" and s[2] == CATALOG and (staging / s[1]).exists() for s in steps):
        (out / CATALOG).unlink(missing_ok=True)  # no catalog rather than an untrue one
    folders = {out}
    for step in steps:
        target = out / step[-1]
        folders.add(target.parent)
        if step[0] == "remove":
            target.unlink(missing_ok=True)
        elif (staging / step[1]).exists():
            os.replace(staging / step[1], target)
    for folder in folders:
        _sync_folder(folder)
    (staging / JOURNAL).unlink(missing_ok=True)


def _write_new(folder: Path, data: bytes) -> str:
    """A new output in `folder` holding `data`, readable by all, as outputs are; its path."""
    return str(write_temporary(folder, data, shared=True))


def write_temporary(folder: Path, data: bytes, prefix: str = "", shared: bool = False) -> Path:
    """A new file in `folder` holding `data`, on disk before this returns, for the caller
    to rename or link into place (and to remove if that fails), so that no reader ever
    sees half a file. Private (0600) unless `shared`: the library's outputs are for
    everyone; a family's packet or message is not."""
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".part")
    try:
        if shared:
            os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _sync_folder(folder: Path) -> None:
    """So the renames in it survive a power cut too, not only a killed build."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    """What went wrong, in the words of someone who can fix it."""
    if exc.errno == errno.EROFS:
        return "the output folder is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "no permission to write in the output folder"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return exc.strerror or str(exc)


def atomic_write(out: Path, relative: str, data: bytes) -> None:
    """Write `out/relative` so that it is always either the old file or the whole new one."""
    target = out / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = out / TEMPORARY
    staging.mkdir(parents=True, exist_ok=True)
    temporary = _write_new(staging, data)
    try:
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


def json_text(value: dict) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def read_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_catalog(out: Path) -> dict[tuple[str, str, str], dict]:
    entries = read_json(out / CATALOG, "files") or []
    try:
        return {(e["format"], e["slug"], e["lang"]): e for e in entries}
    except (KeyError, TypeError):
        return {}


def catalog_value(out: Path, catalog: dict[tuple[str, str, str], dict],
                  new: dict[str, bytes]) -> dict:
    """The catalog of the folder once `new` is written, as data for `json_text` (made
    into text once, when the printed catalog's entry is in it): each entry's size and digest
    are those of its file as it will be on disk (`new`, or the file there now), and
    an entry whose file is not there is left out. In a stable order, so identical
    builds write identical catalogs."""
    entries = []
    for _, entry in sorted(catalog.items()):
        data = new.get(entry["path"])
        found = (len(data), hashlib.sha256(data).hexdigest()) if data is not None else (
            _size_and_digest(out / entry["path"]))
        if found is not None:
            entries.append({**entry, "bytes": found[0], "sha256": found[1]})
    return {"files": entries}


def _size_and_digest(path: Path) -> tuple[int, str] | None:
    """The size and SHA-256 of a file there now, or None. Through the digests the build's
    plan has just taken of the same files, so each PDF of the library is read once."""
    try:
        return (path.stat().st_size, file_digest(path)) if path.is_file() else None
    except OSError:
        return None
