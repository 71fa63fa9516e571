"""Languages: the words the templates print, and translations that cannot go stale.

Templates mark their strings with `_()`; `make messages` extracts them to
`handouts/locale/messages.pot`, and translators fill in
`handouts/locale/<lang>/LC_MESSAGES/messages.po`. The catalogs are read with
Babel straight from the .po files, so nothing compiled is kept in git.

A translated source records the version of the English it follows as
`source_digest:` (see documents.content_digest). When the English changes,
the translation is stale: `list` says so, `build` warns and `check` reports it.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from ..problems import ContentError, Problem, warning
from .documents import Document, content_digest, parse
from .sources import read_source

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def N_(text: str) -> str:  # noqa: N802 - marks a string for `make messages`
    return text


# The topics sources are filed under (`topics:`), one English vocabulary for the
# search and the catalog; a PDF's keywords give them in the document's language.
TOPICS = (
    N_("aftercare"), N_("alcohol"), N_("anxiety"), N_("benzodiazepines"), N_("contact"),
    N_("coping skills"), N_("crisis"), N_("crisis lines"), N_("detox"), N_("disposal"),
    N_("families"), N_("help lines"), N_("medication for opioid use disorder"),
    N_("medication safety"), N_("naloxone"), N_("opioids"), N_("overdose"), N_("panic"),
    N_("recovery"), N_("storage"), N_("support groups"), N_("therapy"), N_("treatment"),
    N_("withdrawal"),
)


def topic_names(topics, lang: str) -> list[str]:
    """`topics` in `lang`, for a PDF's keywords; one without a translation as written."""
    gettext = translations(lang).gettext
    return [gettext(topic) for topic in topics]


# Languages written right to left: their pages are laid out mirrored (styles/rtl.css).
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})


def direction(lang: str) -> str:
    """"rtl" or "ltr": the way a page in `lang` runs, for its `dir` attribute."""
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def catalog_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


def has_catalog(lang: str) -> bool:
    return lang == "en" or catalog_path(lang).is_file()


@lru_cache(maxsize=8)
def translations(lang: str) -> gettext.NullTranslations:
    """The template strings in `lang`; English, the templates' own language, as written."""
    if lang == "en" or not catalog_path(lang).is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def untranslated(lang: str) -> list[str | tuple[str, ...]]:
    """Template strings with no translation in `lang`'s catalog, or all of them with no
    catalog; a plural's is its (singular, plural) pair."""
    from babel.messages.pofile import read_po

    with (LOCALE / "messages.pot").open("rb") as pot:
        # Babel types an id as str, tuple or list; a plural's is a (singular, plural) tuple.
        wanted = [m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(pot) if m.id]
    if lang == "en":
        return []
    if not catalog_path(lang).is_file():
        return wanted
    with catalog_path(lang).open("rb") as po:
        done = {m.id for m in read_po(po, locale=lang) if m.id and not m.fuzzy
                and (all(m.string) if isinstance(m.string, tuple) else m.string)}
    return [message for message in wanted if message not in done]


def read_document(path: Path) -> Document:
    return parse(read_source(path))


def translation_problem(document: Document,
                        english_of: Callable[[Path], Document] = read_document) -> Problem | None:
    """Why a translation may not say what its English source now says, if it may not.
    `english_of` reads the English source at a path: a caller that has read the
    library already passes its own, so the English is not read and parsed again."""
    if document.lang == "en":
        return None
    path = document.source.path
    english_path = path.with_name(f"{document.slug}.md")
    # Asked before reading: reading a source turns a missing file into its own error,
    # which would say nothing of the translation that has no English to follow.
    if not english_path.exists() and not english_path.is_symlink():
        return warning(path, 1, f"a translation of '{document.slug}', but there is no "
                       f"{english_path.name} to follow", "stale-translation")
    try:
        english = english_of(english_path)
    except ContentError:
        return None  # the English source's own problems are reported with it
    current = content_digest(english)
    recorded = document.meta.source_digest
    if not recorded:
        return warning(path, 1, "record which version of the English this follows: "
                       f"source_digest: {current}", "stale-translation")
    if recorded != current:
        return warning(path, document.front_matter.line("source_digest"),
                       f"{english_path.name} has changed since this translation was made: "
                       f"update it, then set source_digest: {current}", "stale-translation")
    return None


def untranslated_problems(languages, brand) -> list[Problem]:
    """Words the frame of a language would print in English."""
    problems = []
    for lang in sorted(set(languages) - {"en"}):
        missing = untranslated(lang)
        if missing:
            where = catalog_path(lang) if has_catalog(lang) else LOCALE / "messages.pot"
            problems.append(warning(where, None, f"{len(missing)} template string(s) have no "
                                    f"'{lang}' translation (such as '{missing[0]}'): "
                                    f"'{lang}' PDFs print them in English", "untranslated"))
        if brand.in_language(lang).untranslated:
            problems.append(warning(brand.path, None, f"no '{lang}' text for "
                                    f"{', '.join(brand.in_language(lang).untranslated)}: "
                                    f"'{lang}' PDFs print it in English", "untranslated"))
    return problems
