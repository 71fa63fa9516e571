"""What a brand is made of: its logo, colours, contact details, crisis lines and the
words it prints in each language, each a frozen value read from `_brand.yml`."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

PLACEHOLDER = re.compile(r"^\[.*\]$")


@dataclass(frozen=True)
class Logo:
    path: Path
    alt: str


@dataclass(frozen=True)
class Colors:
    """Semantic colours, as #rrggbb, that the stylesheets use as variables."""

    primary: str = "#0e5a5f"
    foreground: str = "#1d2b30"
    background: str = "#ffffff"
    light: str = "#e4f0ee"  # tint behind the main message box
    danger: str = "#a11d1d"
    warning: str = "#8a4b00"
    info: str = "#1f4e8c"
    success: str = "#2f6b2f"


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    address: str | None = None
    hours: str | None = None
    website: str | None = None
    email: str | None = None

    def items(self) -> list[tuple[str, str]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self) if getattr(self, f.name)]

    def placeholders(self) -> list[str]:
        return [name for name, value in self.items() if PLACEHOLDER.match(value)]


@dataclass(frozen=True)
class CrisisLine:
    name: str  # 988 Suicide & Crisis Lifeline
    action: str  # Call or text 988
    number: str  # 988, dialled from a link on screen
    details: str | None = None
    when: str | None = None  # when to call it: printed where a source asks for [[crisis-lines]]


@dataclass(frozen=True)
class BrandTexts:
    """The brand's words in one language."""

    contact: Contact
    crisis_lines: tuple[CrisisLine, ...]
    disclaimer: str | None
    untranslated: tuple[str, ...] = ()  # what fell back to English
