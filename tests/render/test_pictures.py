"""Pictures with text of their own: drawn in the brand's typeface, or reported at the line
that uses them, before anything is rendered."""

import ctypes
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import pdffonts, source_text

from handouts.render import pictures

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60">{}</svg>'
LABEL = "Call QX911"  # in no other text of the page
BRAND = "Atkinson Hyperlegible"


def picture_source(workspace, svg: str, before: str = "Call us any time.\n\n") -> str:
    """A source whose body shows `svg` as images/label.svg; its path, as the build prints it."""
    (workspace.sources / "images" / "label.svg").write_text(svg, encoding="utf-8")
    path = workspace.write("pic.md", source_text("title: A sign\nsummary: What the sign says.",
                                                 before + "![A sign](images/label.svg)\n"))
    return str(path)


def label_line(path: str) -> int:
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if "](images/label.svg)" in line)


def drawn(path, text: str) -> list[tuple[str, str, tuple[int, int, int]]]:
    """Each character of `text` as pdfium finds it on the first page: (character, the font
    it is drawn in, without the subset tag, its fill colour)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[0].get_textpage()
        start = textpage.get_text_range().find(text)
        assert start >= 0, f"{text!r} is not on the first page"
        found = []
        for index in range(start, start + len(text)):
            name = ctypes.create_string_buffer(128)
            raw.FPDFText_GetFontInfo(textpage, index, name, len(name), None)
            r, g, b, a = (ctypes.c_uint() for _ in range(4))
            raw.FPDFText_GetFillColor(textpage, index, *(ctypes.byref(c) for c in (r, g, b, a)))
            found.append((text[index - start], name.value.decode().split("+", 1)[-1],
                          (r.value, g.value, b.value)))
        return found
    finally:
        pdf.close()


def test_a_label_that_names_no_font_prints_in_the_typeface(workspace):
    picture_source(workspace, SVG.format(f'<text x="10" y="40" font-size="20">{LABEL}</text>'))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 0, run.err
    assert run.err == ""
    pdf = workspace.pdf("pic.pdf")
    assert {font for _, font, _ in drawn(pdf, LABEL) if font} == {"Atkinson-Hyperlegible"}
    assert all(font.startswith("Atkinson-Hyperlegible") for font in pdffonts(pdf))


@pytest.mark.parametrize("text", [
    f'<text x="10" y="40" font-family="sans-serif">{LABEL}</text>',
    f'<text x="10" y="40" style="font-size: 20px; font-family: serif">{LABEL}</text>',
    f'<text x="10" y="40" font-family="">{LABEL}</text>',
    f'<g font-family="ui-rounded, cursive"><text x="10" y="40">{LABEL}</text></g>',
    f'<text x="10" y="40" font="20px monospace">{LABEL}</text>',
    f'<text x="10" y="40" font-family="{BRAND}">{LABEL}</text>',
    f'<text x="10" y="40" style="font-family: \'atkinson hyperlegible\', fantasy">{LABEL}</text>',
    '<text x="10" y="40" font-family="serif">Call <tspan font-family="system-ui">QX911</tspan>'
    "</text>",
], ids=["attribute", "style", "empty", "inherited", "font", "brand", "brand-lowercase", "tspan"])
def test_a_generic_or_brand_family_prints_in_the_typeface(workspace, text):
    picture_source(workspace, SVG.format(text))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 0, run.err
    assert {font for _, font, _ in drawn(workspace.pdf("pic.pdf"), LABEL) if font} == {
        "Atkinson-Hyperlegible"}


def test_a_style_sheets_generic_family_is_replaced_and_the_rest_of_the_sheet_kept(workspace):
    # A drawing program's export: classes in a <style> sheet, bold and red, in "sans-serif".
    picture_source(workspace, SVG.format(
        "<style>.label { font-family: sans-serif; font-weight: bold; fill: #cc0000 }"
        "@media print { .unused { fill: blue } }</style>"
        f'<text class="label" x="10" y="40" font-size="20">{LABEL}</text>'))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 0, run.err
    letters = [(font, colour) for char, font, colour in drawn(workspace.pdf("pic.pdf"), LABEL)
               if not char.isspace()]
    assert set(letters) == {("Atkinson-Hyperlegible-Bold", (204, 0, 0))}


@pytest.mark.parametrize("label, message", [
    ("Помощь 911", "its text 'П' (U+041F CYRILLIC CAPITAL LETTER PE), 'о' (U+043E CYRILLIC "
     "SMALL LETTER O), 'м' (U+043C CYRILLIC SMALL LETTER EM) and 2 more are not in the "
     "Atkinson Hyperlegible typeface"),
    ("求助 911", "its text '求' (U+6C42 CJK UNIFIED IDEOGRAPH-6C42), '助' (U+52A9 CJK UNIFIED "
     "IDEOGRAPH-52A9) are not in the Atkinson Hyperlegible typeface"),
    ("Call 911 \u2713", "its text '\u2713' (U+2713 CHECK MARK) is not in the Atkinson "
     "Hyperlegible typeface"),
])
def test_a_character_the_typeface_lacks_fails_at_the_line_of_the_picture(workspace, label, message):
    path = picture_source(workspace, SVG.format(f'<text x="10" y="40">{label}</text>'))
    workspace.write("other.md", source_text("title: Other\nsummary: Nothing wrong here."))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [line] = run.error_lines
    where = f"{path}:{label_line(path)}: error: image 'images/label.svg'"
    assert line.startswith(f"{where}: {message}; ")
    assert not workspace.pdf("pic.pdf").exists()
    assert workspace.pdf("other.pdf").exists()  # the rest of the library still builds


@pytest.mark.parametrize("text, named", [
    (f'<text x="10" y="40" font-family="Arial">{LABEL}</text>', "'Arial'"),
    (f'<text x="10" y="40" style="font-family: Arial, sans-serif">{LABEL}</text>', "'Arial'"),
    # Another family first: the brand's typeface after it would never be reached.
    (f'<text x="10" y="40" font-family="\'DejaVu Serif\', {BRAND}">{LABEL}</text>',
     "'DejaVu Serif'"),
    ("<style>.st0 { font-family: 'ArialMT' }</style>"
     f'<text class="st0" x="10" y="40">{LABEL}</text>', "'ArialMT'"),
])
def test_a_font_other_than_the_typeface_fails_at_the_line_of_the_picture(workspace, text, named):
    path = picture_source(workspace, SVG.format(text))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert run.error_lines == [
        f"{path}:{label_line(path)}: error: image 'images/label.svg': its text names the font "
        f"{named}, not {BRAND}; take the font out of the picture and its text prints in {BRAND}"]
    assert not workspace.pdf("pic.pdf").exists()


def test_each_use_of_a_picture_is_reported_at_its_own_line(workspace):
    before = "## One\n\nFirst.\n\n![A sign](images/label.svg)\n\n## Two\n\nSecond.\n\n"
    path = picture_source(workspace, SVG.format('<text x="10" y="40">ж</text>'), before)
    text = Path(path).read_text(encoding="utf-8").split("\n")
    uses = [n for n, line in enumerate(text, start=1) if "](images/label.svg)" in line]
    assert len(uses) == 2 and uses[0] > 6  # below the front matter, not at its first line
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert [line.split(": error: ")[0] for line in run.error_lines] == [
        f"{path}:{n}" for n in uses]
    assert all("image 'images/label.svg': its text 'ж' (U+0436 CYRILLIC SMALL LETTER ZHE) is "
               "not in the Atkinson Hyperlegible typeface" in line for line in run.error_lines)


def test_a_picture_that_is_not_well_formed_is_reported_by_the_renderer_as_before(workspace):
    # Not rewritten, not read: WeasyPrint says it cannot load it, and that fails the document.
    picture_source(workspace, '<svg xmlns="http://www.w3.org/2000/svg"><text>911</svg>')
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert "Traceback" not in run.err
    assert "cannot be drawn" in run.err and "label.svg" in run.err


def test_a_picture_without_text_or_that_cannot_be_read_is_served_as_it_is():
    plain = SVG.format('<rect width="10" height="10"/>').encode()
    broken = b'<svg xmlns="http://www.w3.org/2000/svg"><text>911</svg>'
    for data in (plain, broken, b"\x89PNG\r\n", SVG.format("<text>big</text>").encode() +
                 b" " * pictures.MAX_BYTES):
        assert pictures.in_typeface(data, BRAND) is data


def test_the_rewritten_picture_names_the_typeface_and_keeps_named_families():
    data = SVG.format('<text font-family="Arial">a</text><text font-family="serif">b</text>'
                      '<text style="fill: red; font-family: monospace !important">c</text>')
    rewritten = pictures.in_typeface(data.encode(), BRAND)
    root = ElementTree.fromstring(rewritten)
    assert root.get("font-family") == f'"{BRAND}"'  # inherited by text that names no font
    assert [(t.get("font-family"), t.get("style")) for t in root] == [
        ("Arial", None), (f'"{BRAND}"', None),
        (None, f'fill: red; font-family: "{BRAND}" !important')]
    picture = pictures.read(rewritten)
    assert picture is not None and picture.text == "a\nb\nc"
    assert picture.families == (BRAND, "Arial")  # what each declaration puts first
    assert pictures.read(data.encode()).families == ("Arial",)


@pytest.mark.parametrize("body", [
    '<image href="label.svg" width="5" height="5"/>',  # the picture shows itself
    '<g id="a"><use href="#a"/></g>',  # a shape made of itself
])
def test_a_picture_that_cannot_be_drawn_fails_its_document(workspace, body):
    picture_source(workspace, SVG.format(body))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1 and "Traceback" not in run.err
    [line] = [found for found in run.error_lines if "cannot be drawn" in found]
    assert "'images/label.svg'" in line
    assert not workspace.pdf("pic.pdf").exists()
