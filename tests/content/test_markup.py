"""markup: the one reader of where fenced code begins and ends."""

from handouts.content.markup import CODE, FENCE_LINE, TEXT, body_lines


def test_lines_inside_a_fence_are_code_and_the_fences_their_own_kind():
    body = "Intro\n```\n## not a heading\n```\nAfter\n~~~\nx\n~~~"
    kinds = [(offset, kind) for offset, _, kind in body_lines(body)]
    assert kinds == [(0, TEXT), (1, FENCE_LINE), (2, CODE), (3, FENCE_LINE), (4, TEXT),
                     (5, FENCE_LINE), (6, CODE), (7, FENCE_LINE)]


def test_an_unclosed_fence_runs_to_the_end():
    assert [kind for *_, kind in body_lines("a\n```\nb\nc")] == [TEXT, FENCE_LINE, CODE, CODE]
