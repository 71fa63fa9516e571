"""Colour contrast, WCAG 2.x: text needs 4.5:1 against what it is printed on.

Read with the brand (content/brand.py): every pair of colours the stylesheets
and templates print is measured, and a build refuses a brand that fails one,
because the crisis lines print in those colours.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MINIMUM_CONTRAST = 4.5
WHITE = "#ffffff"

# (text colour, background colour, where the pair is printed): every pair the
# stylesheets in styles/ and the templates print, a brand colour name or #rrggbb.
TEXT_PAIRS = (
    ("foreground", "background", "body text"),
    ("primary", "background", "headings and links"),
    ("danger", "background", "danger callout titles in large print"),
    ("warning", "background", "warning callout titles"),
    ("background", "primary", "the clinic's name on the band, resource numbers"),
    (WHITE, "danger", "the danger callout's title band"),
    ("foreground", "light", "the main message and contact boxes, table headings"),
    ("primary", "light", "the contact box's heading and links, the packet note's heading"),
    # The email is always white, whatever the paper's colour.
    (WHITE, "primary", "the email's header"),
    ("foreground", WHITE, "the email's text"),
    ("primary", WHITE, "the email's help-lines heading"),
)


@dataclass(frozen=True)
class LowContrast:
    text: str  # colour names, as in the brand file
    background: str
    ratio: float
    where: str


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def low_contrast(colors: object) -> list[LowContrast]:
    """Pairs under 4.5:1 of `colors` (the brand's Colors, read by name); pairs of the
    same two colours (the email's white and a white background) are reported once,
    naming every place they are printed."""
    found: dict[tuple[str, str], LowContrast] = {}
    for text, background, where in TEXT_PAIRS:
        colours = (_value(colors, text), _value(colors, background))
        ratio = contrast_ratio(*colours)
        if ratio >= MINIMUM_CONTRAST:
            continue
        if colours in found:
            first = found[colours]
            found[colours] = replace(first, where=f"{first.where}; {where}")
        else:
            found[colours] = LowContrast(text, background, round(ratio, 2), where)
    return list(found.values())


def _value(colors: object, name: str) -> str:
    return name if name.startswith("#") else getattr(colors, name)


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
