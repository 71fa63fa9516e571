"""Every script a clinic's families read: the crisis sheet, naloxone and mixing dangers
in Russian, Vietnamese, Arabic and Chinese, each as its language prints it. Read from
the shipped library as built (shipped_out), with poppler and pdfium."""

import re
import subprocess
import unicodedata

import pikepdf
import pytest
from conftest import REPO, Workspace, page_texts, pdffonts, pdftotext, source_text

from handouts.content.documents import parse
from handouts.content.sources import read_source
from handouts.render.filters import _shaped

LANGUAGES = {"ru": "Noto-Sans", "vi": "Noto-Sans", "ar": "Noto-Sans-Arabic",
             "zh": "Noto-Sans-CJK-SC"}
DOCUMENTS = {"crisis-help-lines": ("handout", "large-print", "card"),
             "naloxone": ("handout", "large-print"),
             "mixing-dangers": ("handout", "large-print")}
BUILT = [(slug, lang, fmt) for slug, formats in DOCUMENTS.items() for lang in LANGUAGES
         for fmt in formats]


def built(out, slug, lang, fmt="handout"):
    return out / fmt / f"{slug}.{lang}.pdf"


@pytest.mark.parametrize(("slug", "lang", "fmt"), BUILT)
def test_each_language_builds_tagged_in_its_language_and_drawn_in_its_typeface_alone(
        shipped_out, slug, lang, fmt):
    path = built(shipped_out, slug, lang, fmt)
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == lang
    fonts = set(pdffonts(path))
    # Only the brand's typeface for the language: its regular and its bold, nothing else.
    assert fonts and all(re.fullmatch(rf"{LANGUAGES[lang]}(-Bold)?", f) for f in fonts), fonts


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("slug", DOCUMENTS)
def test_each_translation_is_a_draft_that_needs_a_medical_translator(slug, lang):
    path = REPO / "sources" / f"{slug}.{lang}.md"
    document = parse(read_source(path))
    assert document.meta.review.status == "draft"
    assert document.meta.source_digest
    assert "qualified\n# medical translator" in path.read_text(encoding="utf-8")


def _lines(path, page):
    """(xMin, xMax, text) of each line poppler finds on a page, top to bottom."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page),
                          str(path), "-"], check=True, capture_output=True, text=True).stdout
    lines = []
    for found in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>(.*?)</line>',
                             xml, re.S):
        words = " ".join(re.findall(r">([^<]*)</word>", found[4]))
        lines.append((float(found[1]), float(found[2]), float(found[3]), words))
    return lines


def test_an_arabic_page_is_set_right_to_left_and_its_footer_mirrored(shipped_out):
    arabic = built(shipped_out, "naloxone", "ar")
    english = shipped_out / "handout" / "naloxone.pdf"
    width = 612  # US Letter; the handout's margins are 0.9 in each side
    left, right = 0.9 * 72, width - 0.9 * 72
    for path, rtl in ((arabic, True), (english, False)):
        body = [line for line in _lines(path, 2) if 60 < line[1] < 700]
        # Lines start at the column's edge and end where their words do: right to left,
        # they start at the right (boxes and lists indent a little; a list's second
        # column starts at the middle).
        at_right = sum(line[2] > right - 30 for line in body) / len(body)
        at_left = sum(line[0] < left + 30 for line in body) / len(body)
        starts, ends = (at_right, at_left) if rtl else (at_left, at_right)
        assert starts > 0.5 and ends < 0.2, (path.name, starts, ends)
    xml = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(arabic), "-"],
                         check=True, capture_output=True, text=True).stdout
    footer = [(float(x0), float(x1), word) for x0, y0, x1, word in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>([^<]*)</word>', xml)
        if float(y0) > 740]
    code = next(word for word in footer if word[2] == "EHC-ED-012")
    assert abs(code[1] - right) < 2  # the document's line at the right, where a line starts
    leftmost = min(footer)
    pages = len(page_texts(arabic))
    # "Page 1 of 3" at the left, where a line ends: read right to left, its last word first.
    assert abs(leftmost[0] - left) < 2 and leftmost[2] == str(pages), leftmost
    title = _lines(arabic, 1)[1]
    assert abs(title[2] - right) < 2 and title[0] > left + 50


def test_arabic_reads_back_as_written(shipped_out):
    """The words a screen reader or a search gets are the source's, letter for letter,
    though the typeface draws a dotted letter as shared pieces (actual_text.py)."""
    path = built(shipped_out, "crisis-help-lines", "ar")
    text = " ".join(line[3] for line in _lines(path, 1))
    heard = set(re.findall(r"[\u0600-\u06ff]+", text))
    source = (REPO / "sources" / "crisis-help-lines.ar.md").read_text(encoding="utf-8")
    body = source.split("---", 2)[2]
    words = set(re.findall(r"[\u0600-\u06ff]+", re.sub(r"\(images/[^)]*\)|!\[[^]]*\]", "", body)))
    assert words and words <= heard, sorted(words - heard)
    # And the phone numbers, in their own order inside the Arabic.
    assert "1-800-662-4357" in text and "1-800-222-1222" in text


def test_vietnamese_reads_back_letter_for_letter(shipped_out):
    """Each precomposed letter is one glyph that maps to itself: never "oọ" for "ọ"."""
    path = built(shipped_out, "naloxone", "vi")
    heard = set(unicodedata.normalize("NFC", pdftotext(path, mode="-raw")).split())
    source = (REPO / "sources" / "naloxone.vi.md").read_text(encoding="utf-8")
    shown = re.sub(r"!\[[^]]*\]\([^)]*\)(\{[^}]*\})?", "", source.split("---", 2)[2])
    words = set(re.findall(r"[^\W\d_]+", shown))
    words = {w for w in words if not w.isascii()}
    assert len(words) > 30
    missing = {w for w in words if not any(w in h for h in heard)}
    assert not missing, sorted(missing)


CLOSING = "，。、；：！？）」』》〉"


@pytest.mark.parametrize("slug", DOCUMENTS)
def test_chinese_never_starts_a_line_with_a_closing_mark(shipped_out, slug):
    for fmt in DOCUMENTS[slug]:
        path = built(shipped_out, slug, "zh", fmt)
        for page in range(1, len(page_texts(path)) + 1):
            for *_, words in _lines(path, page):
                assert not words or words[0] not in CLOSING, (fmt, page, words)


def test_a_web_address_in_chinese_text_stays_whole(tmp_path):
    """Chinese may break between any two characters, but never inside an address or a
    number: each of them is on one line wherever the line happens to end."""
    ws = Workspace(tmp_path)
    sentences = "".join(f"{'请' * n}访问www.samhsa.gov或者打电话。" for n in range(1, 25))
    ws.write("chinese.zh.md", source_text("title: 求助\nsummary: 请拨打 911。", sentences + "\n"))
    run = ws.run("build", "--format", "handout")
    assert run.code == 0, run.err
    text = pdftotext(ws.pdf("chinese.zh.pdf"), mode="-raw")
    lines = [line for line in text.splitlines() if "访问" in line]
    assert len(lines) > 10  # the sentences run over many lines...
    assert text.count("www.samhsa.gov") == 24  # ...and no address is split by one


def test_a_chinese_character_names_the_typeface_that_has_it(workspace):
    workspace.write("english.md", source_text("title: T\nsummary: S.", "药\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [line] = run.error_lines
    assert "'药' (U+836F CJK UNIFIED IDEOGRAPH-836F) is not in the Atkinson Hyperlegible " \
           "typeface; Noto Sans CJK SC has it" in line


def test_the_draft_watermark_joins_its_arabic_letters():
    """مسودة drawn as a word: its letters in their joined forms, right to left."""
    from fontTools.ttLib import TTFont

    from handouts.content.typeface import find_typeface

    face = find_typeface("Noto Sans Arabic").faces[0]
    names = TTFont(face.path, lazy=True).getGlyphOrder()
    glyphs = [names[glyph] for glyph, *_ in _shaped(face.path, "مسودة", {"wght": 700})]
    assert any(name.endswith(".init") for name in glyphs)  # meem, joined to what follows
    assert any(name.endswith(".fina") for name in glyphs)  # teh marbuta, joined


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_overdose_response_is_whole_in_every_language(lang):
    """The block each language places: the same five steps, in CONTENT.md's order, as
    the English has them; its numbers as the English writes them."""
    import yaml

    block = yaml.safe_load((REPO / "sources" / "blocks" / "overdose.yml").read_text())
    for part in ("text", "card"):
        english, own = (re.findall(r"^ *(\d)\. (.*)$", block[language][part], re.M)
                        for language in ("en", lang))
        assert [n for n, _ in own] == [n for n, _ in english] and len(own) >= 5, part
        steps = [step for _, step in own][-5:]
        assert "911" in steps[0]  # call 911 first
        assert "2" in steps[2] and "3" in steps[2]  # a second dose after 2 to 3 minutes
        for number in re.findall(r"\d+", block["en"][part]):
            assert number in block[lang][part], (part, number)
    assert block[lang]["text"].count("[@samhsa-overdose-toolkit]") >= 1
