"""What was typed on the packet page, held by the server between the packet and the
email step, so that the email page has an address of its own (GET)."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Held:
    owner: str
    until: float
    form: tuple  # (field, value) pairs, as typed
    shown: tuple[str, ...]  # slug:stamp of each document the page showed


@dataclass(frozen=True)
class HeldView:
    form: dict
    shown: tuple[str, ...]


class HeldForms:
    """In memory only, for at most HOLD_SECONDS, for the browser session that typed it,
    and let go once sent: never written anywhere, never logged, gone when the app
    restarts."""

    HOLD_SECONDS = 30 * 60
    MOST = 500  # forms held at once; the oldest goes first

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._held: dict[str, Held] = {}
        self._sending: dict[str, Held] = {}  # taken by the request sending it
        self._lock = threading.Lock()

    def put(self, owner: str, form: dict, shown: tuple[str, ...]) -> str:
        token = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._held = {t: h for t, h in self._held.items() if h.until > now}
            while len(self._held) >= self.MOST:
                self._held.pop(next(iter(self._held)))
            self._held[token] = Held(owner, now + self.HOLD_SECONDS, tuple(form.items()), shown)
        return token

    def get(self, token: str, owner: str) -> HeldView | None:
        with self._lock:
            held = self._held.get(token)
        if held is None or held.until <= self._clock() or \
                not hmac.compare_digest(held.owner, owner):
            return None
        return HeldView(dict(held.form), held.shown)

    def take(self, token: str, owner: str) -> bool:
        """Set the form aside while it is sent: True for the one request that may send it."""
        with self._lock:
            held = self._held.get(token)
            if held is None or not hmac.compare_digest(held.owner, owner):
                return False
            self._sending[token] = self._held.pop(token)
        return True

    def give_back(self, token: str) -> None:
        """Not sent after all: it may be tried again."""
        with self._lock:
            held = self._sending.pop(token, None)
            if held is not None:
                self._held[token] = held

    def sending(self, token: str) -> bool:
        with self._lock:
            return token in self._sending

    def drop(self, token: str) -> None:
        with self._lock:
            self._held.pop(token, None)
            self._sending.pop(token, None)

    def drop_all(self, owner: str) -> None:
        with self._lock:
            self._held = {t: h for t, h in self._held.items() if h.owner != owner}
