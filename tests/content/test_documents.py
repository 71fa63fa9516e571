import datetime as dt
import time

import pytest
from conftest import source_text

from handouts.content.documents import parse
from handouts.content.sources import SourceFile
from handouts.problems import ContentError


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


# -- bounded work: front matter that asks for gigabytes is refused at its line -------

def nested_aliases(levels: int) -> str:
    """Each list repeats the one before nine times: 9**levels values from a few hundred
    bytes. Today's loader walked every path: 6 levels took 1.4 s, 7 took 7 s and 1.1 GB,
    9 ran out of memory."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines)


HOSTILE_FRONT_MATTER = {
    # setting written on the front matter's fourth line (file line 4) -> (line, message)
    "nested aliases": (nested_aliases(6), 5, "more than 8 aliases (*a0); write each value "
                                             "out in full"),
    "alias inside its own list": ("x: &loop [1, *loop]", 4,
                                  "the alias *loop is inside the value it names"),
    "alias inside its own mapping": ("x: &loop {again: *loop}", 4,
                                     "the alias *loop is inside the value it names"),
    "nesting thousands deep": ("x: " + "[" * 5000 + "]" * 5000, 4,
                               "values nested more than 32 levels deep"),
    "a list of lists thousands deep": ("x:\n" + "- " * 3000 + "1", 5,
                                       "values nested more than 32 levels deep"),
    "5,000 digits": ("version: " + "9" * 5000, 4,
                     "cannot be read: a number of 5000 characters; no setting needs more than 30"),
    "a hex number of 5,000 digits": ("version: 0x" + "f" * 5000, 4, "a number of 5002 characters"),
    "a base-60 number of 2,000 places": ("version: 1" + ":00" * 2000, 4,
                                         "a number of 6001 characters"),
}


@pytest.mark.parametrize("case", HOSTILE_FRONT_MATTER, ids=list(HOSTILE_FRONT_MATTER))
def test_front_matter_that_would_take_the_machine_is_one_line_quickly(case):
    setting, line, message = HOSTILE_FRONT_MATTER[case]
    started = time.perf_counter()
    with pytest.raises(ContentError) as caught:
        parse(make(f"---\ntitle: T\nsummary: S\n{setting}\n---\n\nText.\n"))
    assert time.perf_counter() - started < 2  # milliseconds now; seconds to never before
    [problem] = caught.value.problems
    assert problem.line == line
    assert message in problem.message
    assert len(problem.message) < 200  # a value of 5,000 digits is not repeated whole


def test_an_alias_or_two_is_still_read():
    document = parse(make(source_text("""
        title: &name Safe storage
        summary: *name
        topics: &topics [storage, safety]
        allow_terms: []
    """)))
    assert document.meta.summary == "Safe storage"
    assert document.meta.topics == ("storage", "safety")

