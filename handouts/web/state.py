"""What the app keeps while it runs, made once by `create_app` and read by every view;
and what it keeps for one browser (its session cookie)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, session

from ..problems import ContentError
from ..project import Project
from .access import Guesses, SignIns
from .catalog import Catalog, Thumbnails
from .held_forms import HeldForms
from .packet_pool import PacketPool
from .queued_packets import QueuedPackets
from .settings import SIGN_IN_HOURS, Settings
from .store import Store, open_store


class KeptBrand:
    """The brand as last read well. A brand file broken while the app runs must not take
    every page down, nor the crisis lines in its footer; builds report the problem."""

    def __init__(self, path: Path):
        self.path = path
        self._good = None

    def get(self):
        from ..content.brand import read_brand

        try:
            self._good = read_brand(self.path)  # kept by read_brand until the file changes
        except ContentError:
            if self._good is None:
                raise  # never read well: nothing to fall back on
        return self._good


@dataclass(frozen=True)
class AppState:
    project: Project
    settings: Settings
    catalog: Catalog
    thumbnails: Thumbnails
    packets: PacketPool | QueuedPackets
    sign_ins: SignIns
    guesses: Guesses
    brand: KeptBrand
    held: HeldForms
    store: Store  # sessions, sign-ins and budgets, shared by every process of the app

    @classmethod
    def start(cls, project: Project, settings: Settings) -> AppState:
        store = open_store(settings.store or settings.queue, project.out)
        return cls(project, settings, Catalog(project.out),
                   Thumbnails(project.out.resolve() / ".cache" / "thumbnails"),
                   packets_for(project, settings),
                   SignIns(store, SIGN_IN_SECONDS),
                   Guesses(store, settings.per_address, settings.in_total),
                   KeptBrand(project.brand), HeldForms(store), store)


def packets_for(project: Project, settings: Settings) -> PacketPool | QueuedPackets:
    """Who makes the packets: the render workers of the queue, if the app has one; else
    warm processes of its own."""
    if settings.queue:
        return QueuedPackets(settings.queue)
    return PacketPool(settings.workers, project if settings.warm_packets else None)


SIGN_IN_SECONDS = dt.timedelta(hours=SIGN_IN_HOURS).total_seconds()


def state() -> AppState:
    return current_app.extensions["handouts"]


# -- this browser's session ---------------------------------------------------------------

def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def owner() -> str:
    """Whose held forms these are: a random value of this browser's session, never shown
    elsewhere."""
    return csrf_token()


def signed_in() -> bool:
    return state().sign_ins.valid(session.get("staff"))


def basket() -> list[str]:
    items = session.get("basket", [])
    if not isinstance(items, list):
        return []
    return [s for s in items if isinstance(s, str)][:state().settings.basket_limit]
