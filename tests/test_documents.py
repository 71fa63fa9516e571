import datetime as dt

import pytest

from handouts.documents import parse
from handouts.problems import ContentError
from handouts.sources import SourceFile

from conftest import source_text


def make(text: str, name: str = "doc.md") -> SourceFile:
    from pathlib import Path
    return SourceFile(Path("sources") / name, "doc", "en", text, "0" * 64)


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ContentError) as caught:
        parse(make(text))
    return [(p.line, p.message) for p in caught.value.problems]


def test_parses_front_matter_with_defaults():
    document = parse(make(source_text("""
        title: Klonopin (clonazepam)
        summary: What it is.
        review:
          status: approved
          reviewed_by: Clinical team
          reviewed_on: 2026-11-24
          next_review: 2027-11-24
    """, "## Hello\n")))
    meta = document.meta
    assert meta.title == "Klonopin (clonazepam)"
    assert meta.audience == ("patients",)
    assert meta.formats == ("handout", "large-print")
    assert meta.version == "1"
    assert meta.review.status == "approved"
    assert meta.review.next_review == dt.date(2027, 11, 24)
    assert document.body_md.strip() == "## Hello"
    assert document.body_line == 10


def test_empty_file():
    assert problems_of("") == [(1, "the file is empty; a source starts with front matter "
                                   "between '---' lines (title, summary, ...)")]


def test_missing_front_matter():
    [(line, message)] = problems_of("# Just a heading\n")
    assert line == 1 and message.startswith("missing front matter")


def test_unclosed_front_matter():
    [(line, message)] = problems_of("---\ntitle: A\nsummary: B\n")
    assert "never closed" in message


def test_malformed_yaml_names_its_line():
    [(line, message)] = problems_of("---\ntitle: A\nsummary: [unclosed\naudience: x\n---\n")
    assert line == 4
    assert message.startswith("invalid YAML")


def test_missing_title_and_summary_are_both_reported():
    found = problems_of("---\ncode: X-1\n---\nBody\n")
    assert [m for _, m in found] == [
        "'title' is required: add a line 'title: ...' to the front matter",
        "'summary' is required: add a line 'summary: ...' to the front matter",
    ]


def test_unknown_setting_suggests_the_right_one():
    found = problems_of("---\ntitle: A\nsumary: B\n---\n")
    assert (3, "unknown setting 'sumary' (did you mean 'summary'?)") in found


def test_wrong_types_and_values_name_their_lines():
    found = problems_of(source_text("""
        title: A
        summary: B
        formats: [handout, poster]
        review:
          status: done
          next_review: next year
    """))
    assert (4, "unknown format 'poster'; known: handout, large-print, brochure, card") in found
    assert (6, "review status must be 'draft' or 'approved', not 'done'") in found
    assert (7, "'next_review' must be a date written YYYY-MM-DD") in found


def test_key_given_twice():
    found = problems_of("---\ntitle: A\nsummary: B\ntitle: C\n---\n")
    assert (4, "'title' is given twice") in found


def test_template_syntax_is_kept_as_text():
    document = parse(make(source_text("title: '{{ 6*7 }} ways'\nsummary: '{% raw %}'")))
    assert document.meta.title == "{{ 6*7 }} ways"
