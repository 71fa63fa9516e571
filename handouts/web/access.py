"""Who may reach the staff app, and how they sign in.

It listens on 127.0.0.1 unless told otherwise, and then only with a staff password
(settings.py); on 127.0.0.1 it answers only requests addressed to this
computer by name (no DNS rebinding); sign-ins are kept by the server, so signing out ends
one for good; wrong passwords are budgeted per client address and in total, and a guess
beyond the budget is refused at once (429), so guessers hold no thread and signed-in
staff never wait behind them. Sign-ins and budgets are kept in the store that every
process of the app shares (store.py).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from urllib.parse import urlsplit

from .settings import Budget, Settings
from .store import Store

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
    """Who is signed in, kept by the server in the shared store (store.py), by each
    sign-in's digest: signing out ends a sign-in for good, in every process, even for
    a copy of its cookie."""

    def __init__(self, store: Store, lifetime_seconds: float):
        self.store, self.lifetime = store, lifetime_seconds

    def start(self) -> str:
        token = secrets.token_urlsafe(32)
        self.store.put(_signed(token), {"until": time.time() + self.lifetime}, self.lifetime)
        return token

    def valid(self, token) -> bool:
        if not isinstance(token, str):
            return False
        kept = self.store.get(_signed(token))
        return kept is not None and kept.get("until", 0) > time.time()

    def end(self, token) -> None:
        if isinstance(token, str):
            self.store.delete(_signed(token))


def _signed(token: str) -> str:
    return "sign-in:" + hashlib.sha256(token.encode()).hexdigest()


class Guesses:
    """Budgets for wrong passwords: one per client address, one for all together, kept
    in the shared store so that every process of the app spends from the same ones.

    A guess beyond either is refused at once, so a guesser holds no thread, and signed-in
    staff, whose requests never come here, never wait behind one. Each guess changes
    both budgets in one atomic change of the store."""

    TOTAL = "guesses:all"

    def __init__(self, store: Store, per_address: Budget, in_total: Budget, clock=time.time):
        self.store = store
        self.per_address, self.in_total = per_address, in_total
        self._clock = clock  # passed in, so tests can move time on
        # A budget's record says when it is whole again; past then it is as good as none.
        self._keep = max(b.burst * b.every for b in (per_address, in_total)) + 1

    def take(self, client: str) -> float:
        """Spend a guess for `client`: 0.0 if it may guess now, else the seconds to wait."""
        waited: list[float] = []

        def spend(kept: list) -> list:
            now = self._clock()
            mine, total = _whole_at(kept[0], now), _whole_at(kept[1], -math.inf)
            wait = max(self.per_address.wait(mine, now), self.in_total.wait(total, now))
            if not wait:
                mine = self.per_address.spend(mine, now)
                total = self.in_total.spend(total, now)
            waited[:] = [wait]
            return [_record(mine, now), _record(total, now)]

        self.store.update((_guesses(client), self.TOTAL), spend, self._keep)
        return waited[0]

    def give_back(self, client: str) -> None:
        """The password was right: return the guess `take` spent."""
        def returned(kept: list) -> list:
            now, (mine, total) = self._clock(), kept
            return [_record(mine["whole_at"] - self.per_address.every, now) if mine else None,
                    _record(total["whole_at"] - self.in_total.every, now) if total else None]

        self.store.update((_guesses(client), self.TOTAL), returned, self._keep)


def _guesses(client: str) -> str:
    return f"guesses:{client}"


def _whole_at(kept: dict | None, otherwise: float) -> float:
    return kept["whole_at"] if kept else otherwise


def _record(whole_at: float, now: float) -> dict | None:
    """What is kept of a budget: when it is whole again; nothing, once it is."""
    return {"whole_at": whole_at} if whole_at > now else None


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
