"""What was typed on the packet page, held by the server between the packet and the
email step, so that the email page has an address of its own (GET).

Held in the store every process of the app shares (store.py), so that any process
can show the email page, but sealed: each form is encrypted (Fernet: AES and an
HMAC) with a key of its own that is part of the email page's address and is kept
nowhere on the server. The store holds ciphertext it cannot read, for at most
HOLD_SECONDS, for the browser session that typed it, and lets it go once sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from .store import Store

ID_CHARS = 32  # a token is the form's name (hex) and then its key (base64url, 43 characters)


@dataclass(frozen=True)
class HeldView:
    form: dict
    shown: tuple[str, ...]


class HeldForms:
    """For at most HOLD_SECONDS, for the browser session that typed it, sent once."""

    HOLD_SECONDS = 30 * 60
    MOST = 500  # forms one browser session holds at once; the oldest goes first

    def __init__(self, store: Store, clock=time.time):
        self.store = store
        self._clock = clock

    def put(self, owner: str, form: dict, shown: tuple[str, ...]) -> str:
        name, key = secrets.token_hex(ID_CHARS // 2), secrets.token_bytes(32)
        sealed = _fernet(key).encrypt(json.dumps({"form": form, "shown": shown}).encode())
        record = {"owner": _digest(owner), "until": self._clock() + self.HOLD_SECONDS,
                  "sealed": sealed.decode(), "sending": False}
        self.store.put(_held(name), record, self.HOLD_SECONDS)
        dropped = self._remember(owner, name)
        for old in dropped:
            self.store.delete(_held(old))
        return name + base64.urlsafe_b64encode(key).decode().rstrip("=")

    def _remember(self, owner: str, name: str) -> list[str]:
        """Add `name` to what `owner` holds; what it no longer may hold, oldest first."""
        dropped: list[str] = []

        def added(kept: list) -> list:
            names = [*(kept[0] or {}).get("names", []), name]
            dropped[:] = names[:-self.MOST]
            return [{"names": names[-self.MOST:]}]

        self.store.update((_by(owner),), added, self.HOLD_SECONDS)
        return dropped

    def get(self, token: str, owner: str) -> HeldView | None:
        opened = self._open(token, owner)
        if opened is None:
            return None
        record, key = opened
        try:
            data = json.loads(_fernet(key).decrypt(record["sealed"].encode()))
        except Exception:  # noqa: BLE001 - a key that is not this form's (InvalidToken)
            return None
        return HeldView(data["form"], tuple(data["shown"]))

    def _open(self, token: str, owner: str):
        """The record `token` names, if it is `owner`'s and not expired, with its key."""
        split = _split(token)
        if split is None:
            return None
        name, key = split
        record = self.store.get(_held(name))
        if record is None or record["until"] <= self._clock() or record["sending"] or \
                not hmac.compare_digest(record["owner"], _digest(owner)):
            return None  # a form being sent is not held: a second click finds it gone
        return record, key

    def take(self, token: str, owner: str) -> bool:
        """Set the form aside while it is sent: True for the one request that may send it."""
        if self.get(token, owner) is None:
            return False
        return self._mark(token, sending=True)

    def give_back(self, token: str) -> None:
        """Not sent after all: it may be tried again."""
        self._mark(token, sending=False)

    def _mark(self, token: str, sending: bool) -> bool:
        """Mark the form as being sent or not; False if it already was (or is gone)."""
        split = _split(token)
        if split is None:
            return False
        changed: list[bool] = []

        def marked(kept: list) -> list:
            record = kept[0]
            changed[:] = [record is not None and record["sending"] != sending]
            return [{**record, "sending": sending} if record is not None else None]

        self.store.update((_held(split[0]),), marked, self.HOLD_SECONDS)
        return changed[0]

    def sending(self, token: str) -> bool:
        split = _split(token)
        record = self.store.get(_held(split[0])) if split else None
        return bool(record and record["sending"])

    def drop(self, token: str) -> None:
        split = _split(token)
        if split is not None:
            self.store.delete(_held(split[0]))

    def drop_all(self, owner: str) -> None:
        names: list[str] = []

        def forgotten(kept: list) -> list:
            names[:] = (kept[0] or {}).get("names", [])
            return [None]

        self.store.update((_by(owner),), forgotten, self.HOLD_SECONDS)
        for name in names:
            self.store.delete(_held(name))


def _split(token: str) -> tuple[str, bytes] | None:
    name, key = token[:ID_CHARS], token[ID_CHARS:]
    if len(name) != ID_CHARS or len(key) != 43 or not all(c in "0123456789abcdef" for c in name):
        return None
    try:
        return name, base64.urlsafe_b64decode(key + "=")
    except ValueError:
        return None


def _fernet(key: bytes):
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(key))


def _digest(owner: str) -> str:
    return hashlib.sha256(owner.encode()).hexdigest()


def _held(name: str) -> str:
    return f"held:{name}"


def _by(owner: str) -> str:
    return f"held-by:{_digest(owner)}"
