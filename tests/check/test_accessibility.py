"""accessibility: whether a picture's alt text says what the picture shows."""

import pytest

from handouts.check.accessibility import alt_text_problem


@pytest.mark.parametrize(("alt", "said"), [
    ("", "has no alt text"),
    ("Image", "does not say what the picture shows"),
    ("picture of", "does not say what the picture shows"),
    ("lockbox.png", "a file name"),
    ("lockbox", "a file name"),
    ("box", "too short"),
])
def test_alt_text_that_does_not_describe_is_said_why(alt, said):
    assert said in alt_text_problem(alt, "images/lockbox.png")


def test_a_description_passes():
    assert alt_text_problem("A locked medicine box on a shelf", "images/lockbox.png") is None
