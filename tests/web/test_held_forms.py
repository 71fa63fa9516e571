"""web/held_forms: what was typed for a family, held for one browser, sent once."""

from handouts.web.held_forms import HeldForms


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_held_form_is_only_its_owners_and_expires():
    clock = Clock()
    held = HeldForms(clock)
    token = held.put("me", {"for_name": "Ana"}, ("naloxone:1",))
    assert held.get(token, "me").form == {"for_name": "Ana"}
    assert held.get(token, "someone else") is None
    clock.now += HeldForms.HOLD_SECONDS
    assert held.get(token, "me") is None


def test_only_one_request_may_send_it_and_a_failure_gives_it_back():
    held = HeldForms(Clock())
    token = held.put("me", {}, ())
    assert held.take(token, "me") and held.sending(token)
    assert not held.take(token, "me")  # the second click
    held.give_back(token)
    assert not held.sending(token) and held.take(token, "me")
    held.drop(token)
    assert held.get(token, "me") is None and not held.sending(token)


def test_the_next_family_lets_go_of_everything_typed_in_this_browser():
    held = HeldForms(Clock())
    mine, theirs = held.put("me", {}, ()), held.put("them", {}, ())
    held.drop_all("me")
    assert held.get(mine, "me") is None and held.get(theirs, "them") is not None


def test_the_oldest_goes_when_too_many_are_held():
    held = HeldForms(Clock())
    first = held.put("me", {}, ())
    for _ in range(HeldForms.MOST):
        held.put("me", {}, ())
    assert held.get(first, "me") is None
