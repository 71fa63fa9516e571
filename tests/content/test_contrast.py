"""contrast: WCAG 2.x ratios, and the brand's colour pairs the pages print."""

import pytest

from handouts.content.brand_parts import Colors
from handouts.content.contrast import contrast_ratio, low_contrast


@pytest.mark.parametrize(("first", "second", "ratio"), [
    ("#000000", "#ffffff", 21.0),
    ("#ffffff", "#ffffff", 1.0),
    ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
])
def test_ratios_are_wcags(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_the_default_colours_pass_and_a_pale_danger_colour_does_not():
    assert low_contrast(Colors()) == []
    pale = low_contrast(Colors(danger="#ff9999"))
    assert pale and all(pair.ratio < 4.5 for pair in pale)
    assert any("danger" in (pair.text, pair.background) for pair in pale)
