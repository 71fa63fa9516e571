import datetime as dt

from markupsafe import Markup

from handouts.layout import css_counters, css_string, month_year, tel_uri


def test_css_string_cannot_break_out_of_the_style_element():
    quoted = css_string('Say "hi" \\ </style><script>')
    assert quoted == Markup('"Say \\"hi\\" \\\\ \\3c /style\\3e \\3c script\\3e "')
    assert "</style" not in quoted


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
