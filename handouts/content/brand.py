"""The clinic's brand: `_brand.yml`, read with the `brand-yml` package.

brand.yml describes meta (name), logo, color and typography. What a clinic's
handouts need beyond that schema (paper size, contact details, crisis lines,
the footer disclaimer) lives under `defaults: handouts:`. One file rebrands
every document.

Contact details the clinic has not filled in yet are written as bracketed
placeholders, `[Clinic phone number]`; they print as written, so nobody
mistakes them for real numbers, and `check` warns about them.

Any of those texts may be given per language, so a Spanish handout has no
English in its frame:

    action:
      en: Call or text 988
      es: Llame o envíe un mensaje de texto al 988
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..problems import ContentError, Problem, error
from .brand_parts import PLACEHOLDER, BrandTexts, Colors, Contact, CrisisLine, Logo
from .brand_schema import schema_name, schema_typography, validated_schema
from .contrast import low_contrast
from .filecache import reread_when_changed
from .font_collections import COLLECTION_TYPEFACES
from .typeface import Typeface, TypefaceNotInstalled, find_typeface
from .yamltext import YamlText, load_yaml

PAPER_SIZES = ("letter", "a4")
LANGUAGE = re.compile(r"^[a-z]{2}$")
Localized = Mapping[str, str]  # language -> text; English (en) always given
PRINT_PROFILES = ("office", "print-shop")
CSS_SIZE = re.compile(r"\d{1,2}(?:\.\d{1,2})?(?:pt|px)")
DEFAULT_TYPEFACE = "Atkinson Hyperlegible"
# The body's size, in points: under 11 pt a tired reader cannot read a handout (health
# literacy guidance asks for 12 pt or more); over 20 pt is large print's own format.
READABLE_POINTS = (11.0, 20.0)


@dataclass(frozen=True)
class Brand:
    path: Path
    name: str
    short_name: str
    logo: Logo  # for light backgrounds
    logo_on_dark: Logo  # for the band in the primary colour
    colors: Colors
    typeface: Typeface  # for the texts' language (`lang`)
    base_size: str
    line_height: float
    paper: str
    print_profile: str  # office (inside printable margins) or print-shop (bleed, crop marks)
    texts: Mapping[str, BrandTexts]  # by language; English always present
    lang: str = "en"  # the language the texts below are in
    # Whether drafts may be emailed to families (defaults: handouts: delivery:
    # allow_drafts), for a pilot; never by default. Printing them is always allowed.
    allow_draft_delivery: bool = False
    # The typeface of each language the base typeface does not cover (defaults:
    # handouts: typefaces:), and that base typeface, for every other language.
    typefaces: Mapping[str, Typeface] = field(default_factory=dict)
    base_typeface: Typeface | None = None

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.path, self.logo.path, self.logo_on_dark.path)

    def in_language(self, lang: str) -> Brand:
        """The brand as a document in `lang` prints it: its texts and its typeface."""
        base = self.base_typeface or self.typeface
        return replace(self, lang=lang, typeface=self.typefaces.get(lang, base))

    def typeface_of(self, lang: str) -> Typeface:
        return self.in_language(lang).typeface

    @property
    def all_typefaces(self) -> tuple[Typeface, ...]:
        """The base typeface, then each language's: what a page in several languages
        (a packet, the printed catalog) may draw with."""
        base = self.base_typeface or self.typeface
        return tuple(dict.fromkeys((base, *self.typefaces.values())))

    @property
    def _texts(self) -> BrandTexts:
        return self.texts.get(self.lang) or _untranslated(self.texts["en"])

    @property
    def contact(self) -> Contact:
        return self._texts.contact

    @property
    def crisis_lines(self) -> tuple[CrisisLine, ...]:
        return self._texts.crisis_lines

    @property
    def disclaimer(self) -> str | None:
        return self._texts.disclaimer

    @property
    def untranslated(self) -> tuple[str, ...]:
        return self._texts.untranslated


def load_brand(path: Path) -> Brand:
    """Read and validate `_brand.yml`; raise ContentError listing every problem."""
    if not path.is_file():
        raise ContentError([error(path, None, "brand file not found")])
    try:
        parsed = load_yaml(path.read_bytes().decode("utf-8"), path)
    except UnicodeDecodeError:
        raise ContentError([error(path, None, "not valid UTF-8; save the file as UTF-8")]) from None
    if not isinstance(parsed.data, dict):
        raise ContentError([parsed.error((), "the brand file must be a brand.yml mapping "
                                         "(meta, logo, color, typography, defaults)")])
    schema = validated_schema(parsed)
    problems: list[Problem] = []
    settings = _Settings(parsed, problems)
    brand = Brand(
        path=path.resolve(),
        name=schema_name(schema, "full") or schema_name(schema, "short") or "",
        short_name=schema_name(schema, "short") or schema_name(schema, "full") or "",
        logo=settings.logo(schema, "light"),
        logo_on_dark=settings.logo(schema, "dark"),
        colors=settings.colors(schema),
        typeface=(base := settings.typeface(schema)),
        base_typeface=base,
        typefaces=settings.typefaces(),
        base_size=settings.base_size(schema),
        line_height=settings.line_height(schema),
        paper=settings.paper(),
        print_profile=settings.print_profile(),
        texts=settings.languages(),
        allow_draft_delivery=settings.allow_draft_delivery(),
    )
    settings.web_addresses(brand.texts)
    problems += _low_contrast(parsed, brand.colors)
    if not brand.name:
        problems.append(parsed.error(("meta",), "meta: name: the clinic's name is required"))
    if problems:
        raise ContentError(problems)
    return brand


def _low_contrast(parsed: YamlText, colors: Colors) -> list[Problem]:
    """Colours under 4.5:1 for any text the pages print on them: refused by every build,
    not only by `check`, since white crisis lines on white hide them."""
    found = []
    for pair in low_contrast(colors):
        name = pair.text if not pair.text.startswith("#") else pair.background
        found.append(parsed.error(("color", name), f"{pair.text} on {pair.background} "
                                  f"({pair.where}) has contrast {pair.ratio}:1; text needs 4.5:1",
                                  "contrast"))
    return found


# For the staff app and packets, which read the brand for every request.
read_brand = reread_when_changed(load_brand)


@dataclass
class _Settings:
    """Reads the parts of the brand the pipeline uses, collecting problems."""

    parsed: YamlText
    problems: list[Problem]

    @property
    def handouts(self) -> dict:
        value = (self.parsed.data.get("defaults") or {}).get("handouts") or {}
        return value if isinstance(value, dict) else {}

    def add(self, keys: tuple, message: str) -> None:
        self.problems.append(self.parsed.error(keys, message))

    def value(self, keys: tuple) -> Any:
        value: Any = self.handouts
        for key in keys:
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            else:
                return None
        return value

    def text(self, keys: tuple) -> Localized | None:
        """A text, or a text per language ({en: ..., es: ...}), as {language: text}."""
        value = self.value(keys)
        where = ("defaults", "handouts", *keys)
        if value is None:
            return None
        if isinstance(value, list):
            self.add(where, f"{keys[-1]} must be plain text, or one text per language")
            return None
        values = value if isinstance(value, dict) else {"en": value}
        for lang, text in values.items():
            if (not isinstance(lang, str) or not LANGUAGE.match(lang)
                    or isinstance(text, (dict, list))):
                self.add((*where, lang), f"{keys[-1]}: give one text per two-letter language, "
                         "such as en: and es:")
                return None
        if "en" not in values:
            self.add(where, f"{keys[-1]}: the English text (en:) is required")
            return None
        return {lang: " ".join(str(text).split()) for lang, text in values.items()}

    def texts(self, keys: tuple, kind) -> dict[str, Localized | None]:
        section = self.value(keys) or {}
        names = [f.name for f in fields(kind)]
        for key in section if isinstance(section, dict) else ():
            if key not in names:
                self.add(("defaults", "handouts", *keys, key),
                         f"unknown field '{key}'; known: {', '.join(names)}")
        return {name: self.text((*keys, name)) for name in names}

    def languages(self) -> dict[str, BrandTexts]:
        """The brand's texts in each language it gives, English filling any gaps."""
        contact = self.texts(("contact",), Contact)
        lines = self.crisis_lines()
        disclaimer = self.text(("disclaimer",))
        found = {lang for texts in [contact, *lines, {"disclaimer": disclaimer}]
                 for value in texts.values() if value for lang in value}
        english = BrandTexts(
            Contact(**_pick(contact, "en")),
            tuple(CrisisLine(**_pick(line, "en")) for line in lines),  # type: ignore[arg-type]
            (disclaimer or {}).get("en"),
        )
        result = {"en": english}
        for lang in sorted(found - {"en"}):
            result[lang] = BrandTexts(
                Contact(**_pick(contact, lang)),
                tuple(CrisisLine(**_pick(line, lang)) for line in lines),  # type: ignore[arg-type]
                _pick({"disclaimer": disclaimer}, lang)["disclaimer"],
                untranslated=tuple(_missing("contact", contact, lang)
                                   + [f"crisis line {n + 1}" for n, line in enumerate(lines)
                                      if _missing("", line, lang)]
                                   + _missing("", {"disclaimer": disclaimer}, lang)),
            )
        return result

    def paper(self) -> str:
        paper = str(self.handouts.get("paper", "letter")).lower()
        if paper not in PAPER_SIZES:
            self.add(("defaults", "handouts", "paper"),
                     f"paper must be letter or a4, not '{paper}'")
            return "letter"
        return paper

    def print_profile(self) -> str:
        profile = str(self.handouts.get("print_profile", "office"))
        if profile not in PRINT_PROFILES:
            self.add(("defaults", "handouts", "print_profile"),
                     f"print_profile must be office or print-shop, not '{profile}'")
            return "office"
        return profile

    def allow_draft_delivery(self) -> bool:
        section = self.handouts.get("delivery")
        where = ("defaults", "handouts", "delivery")
        if section is None:
            return False
        if not isinstance(section, dict):
            self.add(where, "delivery must be a mapping, such as delivery: {allow_drafts: false}")
            return False
        for key in section:
            if key != "allow_drafts":
                self.add((*where, key), f"unknown field '{key}'; known: allow_drafts")
        allowed = section.get("allow_drafts", False)
        if not isinstance(allowed, bool):
            self.add((*where, "allow_drafts"), "allow_drafts must be true or false")
            return False
        return allowed

    def crisis_lines(self) -> list[dict[str, Localized | None]]:
        lines = self.handouts.get("crisis_lines") or []
        if not isinstance(lines, list):
            self.add(("defaults", "handouts", "crisis_lines"), "crisis_lines must be a list")
            return []
        found = []
        for index, line in enumerate(lines):
            keys = ("crisis_lines", index)
            values = self.texts(keys, CrisisLine) if isinstance(line, dict) else {}
            missing = [k for k in ("name", "action", "number") if not values.get(k)]
            if missing:
                self.add(("defaults", "handouts", *keys),
                         "a crisis line needs name, action and number "
                         f"(missing {', '.join(missing)})")
                continue
            found.append(values)
        return found

    def colors(self, schema) -> Colors:
        color = schema.color
        values = {}
        for f in fields(Colors):
            value = getattr(color, f.name, None) if color else None
            if value is None:
                continue
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                self.add(("color", f.name),
                         f"color {f.name} must be written #rrggbb, not '{value}'")
                continue
            values[f.name] = value.lower()
        return Colors(**values)

    def base_size(self, schema) -> str:
        """The body's type size, which lands in the stylesheet: a plain CSS length."""
        size = str(schema_typography(schema, "base", "size") or "12.5pt").strip()
        if not CSS_SIZE.fullmatch(size):
            self.add(("typography", "base", "size"), "typography: base: size must be a size such "
                     f"as 12.5pt or 17px, not {size[:40]!r}")
            return "12.5pt"
        points = float(size[:-2]) * (0.75 if size.endswith("px") else 1.0)
        if not READABLE_POINTS[0] <= points <= READABLE_POINTS[1]:
            self.add(("typography", "base", "size"), f"typography: base: size {size} is not a "
                     f"size a handout can be read at: from {READABLE_POINTS[0]:g}pt to "
                     f"{READABLE_POINTS[1]:g}pt (the crisis lines print at it)")
            return "12.5pt"
        return size

    def line_height(self, schema) -> float:
        value = schema_typography(schema, "base", "line_height") or 1.45
        try:
            height = float(value)
        except (TypeError, ValueError):
            height = 0.0
        if not 1.0 <= height <= 3.0:
            self.add(("typography", "base", "line-height"), "typography: base: line-height must "
                     f"be a number from 1 to 3, such as 1.45, not {str(value)[:40]!r}")
            return 1.45
        return height

    def web_addresses(self, texts: Mapping[str, BrandTexts]) -> None:
        """The clinic's website becomes a link and a QR code: only a web address will do."""
        for lang, found in texts.items():
            website = found.contact.website
            if website and not PLACEHOLDER.match(website) and not is_web_address(website):
                self.add(("defaults", "handouts", "contact", "website"),
                         f"contact website ({lang}) must be a web address such as "
                         f"clinic.example.org or https://clinic.example.org, not {website[:60]!r}")

    def logo(self, schema, variant: str) -> Logo:
        logo = schema.logo
        resource = getattr(logo, "medium", None) or logo
        resource = getattr(resource, variant, None) or getattr(resource, "light", None) or resource
        location = getattr(resource, "path", None)
        if location is None or not hasattr(location, "absolute"):
            self.add(("logo",), "logo: medium: a logo file beside the brand file is required "
                     "(a local SVG or PNG, never a web address)")
            return Logo(Path(), "")
        path = location.absolute().resolve()
        if not path.is_file():
            self.add(("logo",), f"logo file not found: {location.relative()}")
        return Logo(path, resource.alt or "")

    def typefaces(self) -> dict[str, Typeface]:
        """defaults: handouts: typefaces: {language: family}, for the languages the base
        typeface cannot draw."""
        value = self.value(("typefaces",))
        where = ("defaults", "handouts", "typefaces")
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, "typefaces: give one typeface per two-letter language, such as "
                     "ru: Noto Sans")
            return {}
        found = {}
        for lang, family in value.items():
            if not isinstance(lang, str) or not LANGUAGE.match(lang) or not isinstance(family, str):
                self.add((*where, lang), "typefaces: give one typeface per two-letter "
                         "language, such as ru: Noto Sans")
                continue
            try:
                found[lang] = find_typeface(family)
            except TypefaceNotInstalled as exc:
                self.add((*where, lang), f"typeface '{family}' is not installed: {exc}"
                         if family in COLLECTION_TYPEFACES else f"typeface '{family}' is not "
                         "installed as a font package (for example fontpkg-noto-sans)")
        return found

    def typeface(self, schema) -> Typeface:
        family = schema_typography(schema, "base", "family") or DEFAULT_TYPEFACE
        if not isinstance(family, str):
            self.add(("typography", "base", "family"), "typography: base: family must be the "
                     "name of one typeface, such as Atkinson Hyperlegible")
            return find_typeface(DEFAULT_TYPEFACE)
        try:
            return find_typeface(family)
        except TypefaceNotInstalled:
            self.add(("typography", "base", "family"),
                     f"typeface '{family}' is not installed as a font package "
                     "(for example fontpkg-atkinson-hyperlegible)")
            return find_typeface(DEFAULT_TYPEFACE)


def web_address(website: str) -> str:
    """The address a website's link and QR code go to: `clinic.example.org` is https."""
    return website if "://" in website else f"https://{website}"


def is_web_address(website: str) -> bool:
    from .resources import is_web_address as is_address

    return is_address(website, bare=True)


def _pick(texts: Mapping[str, Localized | None], lang: str) -> dict[str, str | None]:
    """One language's values, falling back to English where a text is not translated."""
    return {name: (value.get(lang) or value["en"]) if value else None
            for name, value in texts.items()}


# Numbers and addresses on the web read the same in every language; words do not.
LANGUAGE_NEUTRAL = ("number", "phone", "website", "email")


def _missing(prefix: str, texts: Mapping[str, Localized | None], lang: str) -> list[str]:
    """Texts with no `lang` version that a reader of `lang` would see in English."""
    return [f"{prefix} {name}".strip() for name, value in texts.items()
            if value and lang not in value
            and (name not in LANGUAGE_NEUTRAL or PLACEHOLDER.match(value["en"]))]


def _untranslated(english: BrandTexts) -> BrandTexts:
    """A language the brand file gives no texts for at all: English, all of it untranslated."""
    return replace(english, untranslated=("every contact detail and crisis line",))
