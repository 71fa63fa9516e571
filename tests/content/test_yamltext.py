"""yamltext: YAML that remembers where each value was written, and refuses what could
blow up (aliases that multiply, deep nesting, huge numbers) at its line."""

from pathlib import Path

import pytest

from handouts.content.yamltext import ALIAS_BUDGET, MAX_DEPTH, load_yaml
from handouts.problems import ContentError

PATH = Path("front.yml")


def refused(text: str, first_line: int = 1) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_yaml(text, PATH, first_line)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_each_key_knows_its_line_counted_from_where_the_text_starts():
    parsed = load_yaml("title: Naloxone\nreview:\n  status: draft\n  by: Dr Ortiz\n", PATH, 2)
    assert parsed.data["review"]["status"] == "draft"
    assert parsed.line("title") == 2
    assert parsed.line("review", "status") == 4
    assert parsed.line("review", "by") == 5


def test_a_syntax_mistake_is_named_at_its_line():
    [problem] = refused("title: a\nsummary: [unclosed\nstatus: draft\n", first_line=2)
    assert problem.startswith(("3:", "4:", "5:")) and "invalid YAML" in problem


def test_an_impossible_date_is_one_problem_not_a_traceback():
    [problem] = refused("title: x\nnext_review: 2026-13-45\n")
    assert problem.startswith("2:")


def test_aliases_beyond_the_budget_are_refused():
    aliases = "\n".join(f"k{n}: *a" for n in range(ALIAS_BUDGET + 1))
    [problem] = refused(f"base: &a [1, 2, 3]\n{aliases}\n")
    assert "alias" in problem.lower()


def test_values_nested_deeper_than_any_setting_are_refused():
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    [problem] = refused(f"deep: {deep}\n")
    assert problem.startswith("1:")


def test_a_number_of_thousands_of_digits_is_refused():
    [problem] = refused("version: " + "9" * 5000 + "\n")
    assert problem.startswith("1:")
