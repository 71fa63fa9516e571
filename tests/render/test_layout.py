import datetime as dt

import pytest
from markupsafe import Markup

from handouts.render.filters import css_counters, css_string, month_year, tel_uri


def test_css_string_cannot_break_out_of_the_style_element():
    quoted = css_string('Say "hi" \\ </style><script>')
    assert quoted == Markup('"Say \\000022hi\\000022 \\00005c \\00003c/style\\00003e'
                            '\\00003cscript\\00003e"')
    assert "</style" not in quoted


@pytest.mark.parametrize("char", ["\n", "\r", "\f", "\v", "\x0b", "\u2028", "\u2029", "\x85",
                                  "\u202e", "\u200b", "'", '"', "\\", "<", ">", "&"])
def test_css_string_writes_every_character_that_could_end_it_as_an_escape(char):
    """CSS ends a string at a line feed, a carriage return or a form feed, and at its
    quote; an escape of six hex digits needs no space after it."""
    quoted = str(css_string(f"a{char}b"))
    assert quoted == f'"a\\{ord(char):06x}b"'


def test_css_string_keeps_the_words_people_write():
    assert css_string("Versión 2 · Página ñ 中文 — ok") == Markup('"Versión 2 · Página ñ 中文 — ok"')
    assert css_string("nul\0") == Markup('"nul\ufffd"')


def test_page_counters():
    assert css_counters("Page {page} of {pages}") == Markup('"Page " counter(page) " of " counter(pages)')
    assert css_counters("Página {page} de {pages}") == Markup('"Página " counter(page) " de " counter(pages)')


def test_phone_numbers_become_dialable():
    assert tel_uri("988") == "tel:988"
    assert tel_uri("1-800-662-4357") == "tel:+18006624357"
    assert tel_uri("911") == "tel:911"


def test_month_and_year_in_the_document_language():
    day = dt.date(2026, 11, 24)
    assert month_year(day, "en") == "November 2026"
    assert month_year(day, "es") == "noviembre de 2026"
