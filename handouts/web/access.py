"""Who may reach the staff app, and how they sign in.

It listens on 127.0.0.1 unless told otherwise, and then only with a staff password
(settings.py); on 127.0.0.1 it answers only requests addressed to this
computer by name (no DNS rebinding); sign-ins are kept by the server, so signing out ends
one for good; wrong passwords are budgeted per client address and in total, and a guess
beyond the budget is refused at once (429), so guessers hold no thread and signed-in
staff never wait behind them.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from urllib.parse import urlsplit

from .settings import Budget, Settings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def addressed_here(host_header: str, settings: Settings) -> bool:
    """Whether a request's Host names this computer (and the port served on)."""
    if host_header.startswith("["):  # [::1] or [::1]:8000
        name, _, rest = host_header.partition("]")
        name, port = name + "]", rest.removeprefix(":")
    else:
        name, _, port = host_header.partition(":")
    if name.lower() not in {*LOOPBACK_NAMES, settings.host, f"[{settings.host}]"}:
        return False
    if settings.port is None:
        return True
    return port == str(settings.port) or (not port and settings.port == 80)


def local(target: str | None) -> str | None:
    """`target` if it is a path on this site, so a redirect cannot lead elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:  # a browser reads /\host as //host
        return None
    return target


class SignIns:
    """Who is signed in, kept by the server (in memory): signing out ends a sign-in for
    good, even for a copy of its cookie, and a restart signs everyone out."""

    def __init__(self, lifetime_seconds: float):
        self.lifetime = lifetime_seconds
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def start(self) -> str:
        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            self._until = {t: u for t, u in self._until.items() if u > now}
            self._until[token] = now + self.lifetime
        return token

    def valid(self, token) -> bool:
        if not isinstance(token, str):
            return False
        with self._lock:
            until = self._until.get(token)
        return until is not None and until > time.monotonic()

    def end(self, token) -> None:
        if isinstance(token, str):
            with self._lock:
                self._until.pop(token, None)


class Guesses:
    """Budgets for wrong passwords: one per client address, one for all together.

    A guess beyond either is refused at once, so a guesser holds no thread, and signed-in
    staff, whose requests never come here, never wait behind one. The lock guards a few
    sums, never a sleep or a password check."""

    def __init__(self, per_address: Budget, in_total: Budget, clock=time.monotonic):
        self.per_address, self.in_total = per_address, in_total
        self._clock = clock  # passed in, so tests can move time on
        self._whole_at: dict[str, float] = {}  # by client: when its budget is whole again
        self._total_whole_at = -math.inf
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend a guess for `client`: 0.0 if it may guess now, else the seconds to wait."""
        with self._lock:
            now = self._clock()
            mine = self._whole_at.get(client, now)
            wait = max(self.per_address.wait(mine, now),
                       self.in_total.wait(self._total_whole_at, now))
            if not wait:
                self._whole_at[client] = self.per_address.spend(mine, now)
                self._total_whole_at = self.in_total.spend(self._total_whole_at, now)
            # A whole budget is as good as none: forgetting those keeps this small, since
            # the budget in total bounds how many addresses can be part-spent at a time.
            self._whole_at = {c: t for c, t in self._whole_at.items() if t > now}
        return wait

    def give_back(self, client: str) -> None:
        """The password was right: return the guess `take` spent."""
        with self._lock:
            if client in self._whole_at:
                self._whole_at[client] -= self.per_address.every
            self._total_whole_at -= self.in_total.every


def client_of(remote_addr: str | None) -> str:
    """Whose guess a request is: its address, or for IPv6 its /64, which one home or
    office is given whole (so a guesser cannot take a new address for each guess)."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def password_is(given: str, password: str) -> bool:
    """In constant time: digests of equal length, compared without an early exit."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(password.encode()).digest())
