"""Sessions kept by the server, in the shared store (store.py), so any of the app's
processes can serve any request: the browser's cookie holds only a random name for
its session, and the store knows it only by that name's digest."""

from __future__ import annotations

import hashlib
import secrets

from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from .store import Store

MAX_COOKIE = 64  # characters of a session's name: anything longer is no name of ours


class StoredSession(CallbackDict, SessionMixin):
    def __init__(self, initial: dict | None = None, name: str | None = None):
        def changed(_) -> None:
            self.modified = True

        super().__init__(initial, changed)
        self.name = name or secrets.token_urlsafe(32)
        self.modified = False
        self.renamed_from: str | None = None

    def clear(self) -> None:
        """Emptied, as on signing in or out: and given a new name, so a name known
        before (a cookie copied, or planted) is worth nothing after."""
        super().clear()
        if self.renamed_from is None:
            self.renamed_from, self.name = self.name, secrets.token_urlsafe(32)


class StoredSessions(SessionInterface):
    def __init__(self, store: Store, lifetime_seconds: float):
        self.store, self.lifetime = store, lifetime_seconds

    def open_session(self, app, request) -> StoredSession:
        name = request.cookies.get(self.get_cookie_name(app), "")
        if 0 < len(name) <= MAX_COOKIE:
            kept = self.store.get(_key(name))
            if kept is not None:
                return StoredSession(kept, name)
        return StoredSession()

    def save_session(self, app, session, response) -> None:
        if session.renamed_from is not None:
            self.store.delete(_key(session.renamed_from))
        cookie = {"domain": self.get_cookie_domain(app), "path": self.get_cookie_path(app)}
        if not session:
            if session.modified or session.renamed_from is not None:
                response.delete_cookie(self.get_cookie_name(app), **cookie)
            return
        if not session.modified:
            return
        self.store.put(_key(session.name), dict(session), self.lifetime)
        response.set_cookie(self.get_cookie_name(app), session.name,
                            expires=self.get_expiration_time(app, session),
                            httponly=self.get_cookie_httponly(app),
                            secure=self.get_cookie_secure(app),
                            samesite=self.get_cookie_samesite(app), **cookie)


def _key(name: str) -> str:
    return "session:" + hashlib.sha256(name.encode()).hexdigest()
