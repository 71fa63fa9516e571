"""What the staff app keeps between requests, shared by every process that serves it:
sessions (with their baskets), sign-ins and the budgets of wrong passwords.

Two app processes behind one proxy must serve the same staff member
interchangeably, so nothing of this lives in a process. It is kept in SQLite in
the output folder (STORE_NAME) by default, and in Redis when the app is given one
(`serve --store`, or `--queue`). Nothing personal is put here readable: a session
holds its form token, its basket (document names) and its sign-in; what staff type
for a family between the packet and the email page is sealed with a key the store
never sees (held_forms.py).

Every value is a small JSON object with a lifetime; `update` changes several at
once, atomically across processes (a budget of guesses must never be spent twice).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

STORE_NAME = ".staff-app.sqlite3"
Change = Callable[[list], list]  # the values now (None: none) -> the values to keep


class Store(Protocol):
    def get(self, key: str) -> dict | None: ...

    def put(self, key: str, value: dict, seconds: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def update(self, keys: tuple[str, ...], change: Change, seconds: float) -> list: ...


def open_store(where: str | None, out: Path) -> Store:
    """The store `where` says: Redis at a redis:// URL, or a SQLite file at a path;
    by default, SQLite in the output folder."""
    from ..library.queue.connection import SCHEMES

    if where and where.split(":", 1)[0] in SCHEMES:
        return RedisStore(where)
    path = Path(where) if where else out / STORE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(path)


class SQLiteStore:
    """One table in a SQLite file, shared by the processes of one machine; each thread
    has its own connection, and a change takes the write lock before it reads."""

    PRUNE_EVERY = 200  # writes between sweeps of what has expired

    def __init__(self, path: Path):
        self.path = path
        self._local = threading.local()
        self._writes = 0
        with self._connection() as db:
            # Readers never wait for a writer. The file keeps this mode for every
            # connection after, so it is set once here: set by each thread's new
            # connection while others were open, it once failed under load ("disk
            # I/O error").
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY, value TEXT "
                       "NOT NULL, until REAL NOT NULL)")
        path.chmod(0o600)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten too
            self._local.db = db
        return db

    def get(self, key: str) -> dict | None:
        row = self._connection().execute("SELECT value FROM kept WHERE key = ? AND until > ?",
                                         (key, time.time())).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict, seconds: float) -> None:
        self.update((key,), lambda _: [value], seconds)

    def delete(self, key: str) -> None:
        self._connection().execute("DELETE FROM kept WHERE key = ?", (key,))

    def update(self, keys: tuple[str, ...], change: Change, seconds: float) -> list:
        db, now = self._connection(), time.time()
        db.execute("BEGIN IMMEDIATE")  # the write lock first: no other process reads between
        try:
            found = [db.execute("SELECT value FROM kept WHERE key = ? AND until > ?",
                                (key, now)).fetchone() for key in keys]
            values = change([json.loads(row[0]) if row else None for row in found])
            for key, value in zip(keys, values, strict=True):
                if value is None:
                    db.execute("DELETE FROM kept WHERE key = ?", (key,))
                else:
                    db.execute("INSERT OR REPLACE INTO kept VALUES (?, ?, ?)",
                               (key, json.dumps(value), now + seconds))
            self._writes += 1
            if self._writes % self.PRUNE_EVERY == 0:
                db.execute("DELETE FROM kept WHERE until <= ?", (now,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return values


class RedisStore:
    """Keys in Redis under PREFIX, each expiring with its value; a change is a
    transaction that starts again if another process changed its keys meanwhile."""

    PREFIX = "handouts:app:"

    def __init__(self, url: str):
        from ..library.queue.connection import connect

        self.client = connect(url)

    def get(self, key: str) -> dict | None:
        data = self.client.get(self.PREFIX + key)
        return json.loads(data) if data else None

    def put(self, key: str, value: dict, seconds: float) -> None:
        self.client.set(self.PREFIX + key, json.dumps(value), px=max(1, int(seconds * 1000)))

    def delete(self, key: str) -> None:
        self.client.delete(self.PREFIX + key)

    def update(self, keys: tuple[str, ...], change: Change, seconds: float) -> list:
        names = [self.PREFIX + key for key in keys]
        kept: list = []

        def attempt(pipe) -> None:
            found = pipe.mget(names)
            values = change([json.loads(data) if data else None for data in found])
            pipe.multi()
            for name, value in zip(names, values, strict=True):
                if value is None:
                    pipe.delete(name)
                else:
                    pipe.set(name, json.dumps(value), px=max(1, int(seconds * 1000)))
            kept[:] = values

        self.client.transaction(attempt, *names)
        return kept
