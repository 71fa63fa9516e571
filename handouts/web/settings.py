"""How the staff app is run: where it listens, with what password, how many packet
workers, and how many wrong passwords it allows."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ..problems import UsageError

PASSWORD_VARIABLE = "HANDOUTS_STAFF_PASSWORD"
SIGN_IN_HOURS = 10


@dataclass(frozen=True)
class Budget:
    """Wrong passwords allowed: `burst` at once, then one more each `every` seconds.

    Kept as one number, the time the budget is whole again (a token bucket written as
    GCRA): a guess moves that time `every` seconds on, and is refused if it would move
    it more than `burst` guesses ahead of now."""

    burst: int
    every: float

    def wait(self, whole_at: float, now: float) -> float:
        """Seconds until one more guess is allowed; 0.0: allowed now.

        Reckoned from how far ahead of now the budget is, never from the clock's own
        large value: (now + a) - a - now is not always 0.0 in floating point, and a
        fresh budget of one guess would then refuse its first."""
        ahead = max(0.0, whole_at - now)
        return max(0.0, ahead - (self.burst - 1) * self.every)

    def spend(self, whole_at: float, now: float) -> float:
        return max(whole_at, now) + self.every


# A staff member who mistypes a few times is not held up; a guesser gets three a minute.
PER_ADDRESS = Budget(burst=5, every=20.0)
# However many addresses a guesser uses: twelve a minute for everyone together, a fifth
# of what one guess a second in turn allowed before.
IN_TOTAL = Budget(burst=20, every=5.0)


@dataclass(frozen=True)
class Settings:
    password: str | None = None  # required on any address but loopback
    workers: int | None = None  # packet renders at once; None: one per CPU
    secret_key: bytes | None = None  # Flask's signing key; None: a new one each start
    store: str | None = None  # sessions, sign-ins: a Redis URL or a SQLite file; None: in output/
    queue: str | None = None  # Redis URL: packets rendered on its workers (and the store)
    host: str = "127.0.0.1"  # the address served on
    port: int | None = None  # the port served on; None: any (tests)
    per_address: Budget = PER_ADDRESS  # wrong passwords from one client address
    in_total: Budget = IN_TOTAL  # wrong passwords from every address together
    basket_limit: int = 12  # documents one packet may hold
    # Each packet worker makes one packet for no one as it starts, so that the first
    # family's waits for no fonts, stylesheets or templates to load (`serve` does).
    warm_packets: bool = False

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)


def check_reach(settings: Settings) -> None:
    """Beyond this computer, only with a staff password."""
    if not settings.loopback and not settings.password:
        raise UsageError(f"to serve on {settings.host}, where others can reach it, set a staff "
                         f"password in {PASSWORD_VARIABLE}")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"
