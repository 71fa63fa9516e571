"""wording: passages as a reader meets them, and the stigmatising terms in them."""

from handouts.check.wording import find_terms, passage, passages


def test_wrapped_lines_are_one_passage_and_keep_their_lines():
    [one] = passages("People who use drugs\ndeserve care.", 10)
    assert one.text == "People who use drugs deserve care."
    assert one.line_at(0) == 10 and one.line_at(one.text.index("deserve")) == 11


def test_code_and_quotations_are_not_read():
    body = "```\naddict\n```\n\n> \"I was an addict,\" she said.\n\nA plain line."
    assert [p.text for p in passages(body, 1)] == ["A plain line."]


def test_headings_rows_and_callout_titles_are_passages_of_their_own_kind():
    body = "## What to do\n\n| a | b |\n\n!!! warning \"Call 911\"\n    Now."
    kinds = {p.text: p.kind for p in passages(body, 1)}
    assert kinds["## What to do"] == "heading" and kinds["| a | b |"] == "row"
    assert kinds["Call 911"] == "title"


def test_a_term_is_found_once_at_its_line_with_what_to_say_instead():
    [found] = find_terms(passages("He is a former\naddict. She is an\naddict.", 5), "en")[:1]
    # Where the words start, joined across the line break as a reader reads them.
    assert (found.line, found.term.name, found.text) == (5, "addict", "former addict")
    assert [f.line for f in find_terms(passages("He is well.\nShe is an addict.", 5), "en")] == [6]
    assert "person" in found.term.instead


def test_an_allowed_term_is_not_reported():
    text = [passage(3, "A relapse is common.")]
    assert [f.term.name for f in find_terms(text, "en")] == ["relapse"]
    assert find_terms(text, "en", allowed=["Relapse"]) == []


def test_spanish_has_its_own_terms():
    assert find_terms([passage(1, "No es un adicto.")], "es")
    assert not find_terms([passage(1, "No es un adicto.")], "en")
