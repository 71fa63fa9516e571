"""web/held_forms: what was typed for a family, held for one browser, sent once, sealed
in the store the app's processes share."""

import pytest

from handouts.web.held_forms import HeldForms
from handouts.web.store import RedisStore, SQLiteStore


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path):
    if request.param == "redis":
        return RedisStore(request.getfixturevalue("redis_url"))
    return SQLiteStore(tmp_path / "store.sqlite3")


def test_a_held_form_is_only_its_owners_and_expires(store):
    clock = Clock()
    held = HeldForms(store, clock)
    token = held.put("me", {"for_name": "Ana"}, ("naloxone:1",))
    assert held.get(token, "me").form == {"for_name": "Ana"}
    assert held.get(token, "me").shown == ("naloxone:1",)
    assert held.get(token, "someone else") is None
    clock.now += HeldForms.HOLD_SECONDS
    assert held.get(token, "me") is None


def test_another_process_finds_it_but_the_store_cannot_read_it(store, tmp_path):
    token = HeldForms(store).put("me", {"for_name": "Rosalind Quayle"}, ())
    other = HeldForms(store)  # another process of the app, on the same store
    assert other.get(token, "me").form == {"for_name": "Rosalind Quayle"}
    if isinstance(store, SQLiteStore):
        assert b"Quayle" not in (tmp_path / "store.sqlite3").read_bytes()
        assert b"Quayle" not in b"".join(p.read_bytes() for p in tmp_path.glob("store.sqlite3*"))
    else:
        assert not any(b"Quayle" in (store.client.get(key) or b"")
                       for key in store.client.keys("*"))
    # Its key is in the address alone: another key, or none, opens nothing.
    forged = token[:32] + ("A" if token[32] != "A" else "B") + token[33:]
    assert other.get(forged, "me") is None and other.get(token[:32], "me") is None


def test_only_one_request_may_send_it_and_a_failure_gives_it_back(store):
    held = HeldForms(store, Clock())
    token = held.put("me", {}, ())
    assert held.take(token, "me") and held.sending(token)
    assert not held.take(token, "me")  # the second click
    assert held.get(token, "me") is None  # being sent: not on offer
    held.give_back(token)
    assert not held.sending(token) and held.take(token, "me")
    held.drop(token)
    assert held.get(token, "me") is None and not held.sending(token)


def test_the_next_family_lets_go_of_everything_typed_in_this_browser(store):
    held = HeldForms(store, Clock())
    mine, theirs = held.put("me", {}, ()), held.put("them", {}, ())
    held.drop_all("me")
    assert held.get(mine, "me") is None and held.get(theirs, "them") is not None


def test_the_oldest_goes_when_too_many_are_held(store, monkeypatch):
    monkeypatch.setattr(HeldForms, "MOST", 20)
    held = HeldForms(store, Clock())
    first = held.put("me", {}, ())
    second = held.put("me", {}, ())
    for _ in range(HeldForms.MOST - 1):
        held.put("me", {}, ())
    assert held.get(first, "me") is None and held.get(second, "me") is not None
