"""web/forms: every form the app takes, checked in one place."""

import datetime as dt

from werkzeug.datastructures import MultiDict

from handouts.web.forms import (
    EXPIRED,
    LIMITS,
    OLD_CONSENT,
    basket_change,
    check_posted,
    consent_problem,
    packet_form,
)


def test_a_form_without_this_sessions_token_has_expired():
    assert check_posted(MultiDict({"csrf_token": "theirs"}), "mine") == EXPIRED
    assert check_posted(MultiDict({}), "") == EXPIRED
    assert check_posted(MultiDict({"csrf_token": "mine", "slug": "naloxone"}), "mine") is None


def test_every_field_is_held_to_its_length_and_named_in_words():
    long_name = MultiDict({"csrf_token": "t", "for_name": "x" * (LIMITS["for_name"] + 1)})
    assert check_posted(long_name, "t") == (
        f"That is too long: the name takes at most {LIMITS['for_name']} characters.")
    repeated = MultiDict([("csrf_token", "t"), ("shown", "a:1"), ("shown", "b" * 200)])
    assert "shown takes at most" in check_posted(repeated, "t")  # each value, not the first
    assert "surprise takes at most 100" in check_posted(
        MultiDict({"csrf_token": "t", "surprise": "y" * 101}), "t")


def test_the_packet_form_is_trimmed_and_large_print_is_a_tick():
    form = packet_form(MultiDict({"for_name": "  Ana  ", "large_print": "on"}))
    assert form["for_name"] == "Ana" and form["large_print"] is True and form["note"] == ""


def test_an_unknown_basket_action_does_nothing():
    assert basket_change(MultiDict({"slug": "naloxone", "action": "add"})) == ("naloxone", "add")
    assert basket_change(MultiDict({"slug": "naloxone", "action": "delete-all"})) == (
        "naloxone", "")


def test_consent_dates_are_refused_in_words():
    today = dt.date.today()
    assert "Nothing is sent without" in consent_problem("")
    assert consent_problem("yesterday") == "The consent date is not a date."
    assert "in the future" in consent_problem((today + dt.timedelta(days=1)).isoformat())
    assert "before 1990" in consent_problem("1989-12-31")
    long_ago = today.replace(year=today.year - 4, day=min(today.day, 28)).isoformat()
    assert consent_problem(long_ago) == OLD_CONSENT
    assert consent_problem(long_ago, checked=True) is None
    assert consent_problem(today.isoformat()) is None
