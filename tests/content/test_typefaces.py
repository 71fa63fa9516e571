"""A typeface per language, from the brand file: each document is drawn in its own
language's typeface alone, and a character none of them has is one line that names the
typeface that would."""

import pikepdf
import pytest
from conftest import GOOD_SOURCE, Workspace, pdffonts, pdftotext, source_text, where_of

SPANISH = GOOD_SOURCE.replace("title: Staying safe with benzos", "title: Cómo usar las benzos")


def with_typefaces(ws: Workspace, mapping: str) -> None:
    """The shipped brand file, with `mapping` added to its typefaces."""
    text = ws.brand.read_text()
    assert "\n    typefaces:\n" in text
    ws.brand.write_text(text.replace("\n    typefaces:\n", f"\n    typefaces:\n{mapping}", 1))


@pytest.fixture
def noto_spanish(tmp_path) -> Workspace:
    """A clinic that prints its Spanish in Noto Sans, its English in Atkinson Hyperlegible."""
    ws = Workspace(tmp_path)
    with_typefaces(ws, "      es: Noto Sans\n")
    ws.write("staying-safe.md", GOOD_SOURCE)
    ws.write("staying-safe.es.md", SPANISH)
    return ws


def test_each_language_is_drawn_in_its_own_typeface_alone(noto_spanish):
    run = noto_spanish.run("build", "--format", "handout")
    assert run.code == 0, run.err
    spanish = set(pdffonts(noto_spanish.pdf("staying-safe.es.pdf")))
    english = set(pdffonts(noto_spanish.pdf("staying-safe.pdf")))
    assert spanish and all(font.startswith("Noto-Sans") for font in spanish), spanish
    assert "Noto-Sans-Bold" in spanish  # the headings, from the variable face
    assert english and all(font.startswith("Atkinson") for font in english), english


def test_a_packet_and_the_printed_catalog_draw_each_part_in_its_languages_typeface(noto_spanish):
    assert noto_spanish.run("build").code == 0
    catalog = set(pdffonts(noto_spanish.out / "catalog.pdf"))
    assert any(f.startswith("Noto-Sans") for f in catalog)  # the Spanish title
    assert any(f.startswith("Atkinson") for f in catalog)  # the rest
    packet = noto_spanish.root / "paquete.pdf"
    run = noto_spanish.run("packet", "staying-safe", "--lang", "es", "--for", "Ana",
                           "--brand", str(noto_spanish.brand), "-o", str(packet))
    assert run.code == 0, run.err
    assert all(font.startswith("Noto-Sans") for font in pdffonts(packet))


def test_a_character_no_typeface_of_the_brand_has_names_the_one_that_would(workspace):
    workspace.write("russian.md", source_text("title: T\nsummary: S.", "Ж.\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [line] = run.error_lines
    assert where_of(line) == (str(workspace.sources / "russian.md"), 6)
    assert line.endswith("'Ж' (U+0416 CYRILLIC CAPITAL LETTER ZHE) is not in the Atkinson "
                         "Hyperlegible typeface; Noto Sans has it; use another character or "
                         "write it out")


def test_in_another_language_it_says_how_to_give_that_language_the_typeface(workspace):
    workspace.write("doc.md", GOOD_SOURCE)
    workspace.write("doc.es.md", SPANISH.replace("Why it matters", "Ж"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [line] = [line for line in run.error_lines if ": error: " in line]
    assert "Noto Sans has it: for a document in 'es', set defaults: handouts: typefaces: " \
           "es: Noto Sans in the brand file" in line


@pytest.mark.parametrize("mapping, message", [
    ("      uk: Comic Sans\n", "typeface 'Comic Sans' is not installed as a font package"),
    ("      ukrainian: Noto Sans\n", "give one typeface per two-letter language"),
])
def test_a_typeface_that_cannot_be_used_is_one_line_in_the_brand_file(workspace, mapping, message):
    with_typefaces(workspace, mapping)
    workspace.write("doc.md", GOOD_SOURCE)
    run = workspace.run("build")
    assert run.code == 1
    assert any(message in line and line.startswith(str(workspace.brand)) for line in run.error_lines)


RUSSIAN = source_text("""
    title: Безопасность с лекарствами
    summary: Принимайте лекарство так, как сказал врач.
    formats: [handout, card]
    review:
      status: draft
""", "## Что делать\n\n1. **Звоните 911**, если человек не просыпается.\n")


def test_a_russian_handout_is_russian_in_noto_sans_alone(workspace):
    """The first language in another script: its frame translated, its crisis lines in
    its own words, and every glyph in the brand's typeface for it."""
    workspace.write("safety.md", GOOD_SOURCE.replace("title: Staying safe", "title: Safety"))
    workspace.write("safety.ru.md", RUSSIAN)
    run = workspace.run("build", "safety", "--lang", "ru")
    assert run.code == 0, run.err
    for fmt in ("handout", "card"):
        pdf = workspace.pdf("safety.ru.pdf", fmt)
        with pikepdf.open(pdf) as doc:
            assert str(doc.Root.Lang) == "ru"
        fonts = set(pdffonts(pdf))
        assert fonts and all(font.startswith("Noto-Sans") for font in fonts), fonts
        text = " ".join(pdftotext(pdf).split())
        assert "911" in text and "988" in text and "1-800-662-4357" in text
        assert "Call" not in text and "Page " not in text  # no English frame
    assert "Страница 1 из 1" in pdftotext(workspace.pdf("safety.ru.pdf"))
