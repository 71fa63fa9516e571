import base64
import re
import struct
import time
import zlib
from pathlib import Path

import pytest
from conftest import REPO, RESOURCES, source_text

from handouts.content.documents import parse
from handouts.content.resources import load_library
from handouts.content.sources import read_source
from handouts.problems import ContentError
from handouts.render.citations import resolve


@pytest.fixture
def sources(tmp_path) -> Path:
    (tmp_path / "resources.yaml").write_text(RESOURCES)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return tmp_path


def resolved(sources: Path, body: str, front: str = "title: T\nsummary: S"):
    path = sources / "doc.md"
    path.write_text(source_text(front, body))
    return resolve(parse(read_source(path)), load_library(sources / "resources.yaml").library)


def failure(sources: Path, body: str, front: str = "title: T\nsummary: S"):
    with pytest.raises(ContentError) as caught:
        resolved(sources, body, front)
    return [(p.line, p.message) for p in caught.value.problems]


def superscripts(html: str) -> list[str]:
    return re.findall(r'<sup class="citation">(.*?)</sup>', html)


def test_numbered_in_order_of_first_use(sources):
    doc = resolved(sources, "A [@medlineplus-clonazepam]. B [@nida-benzodiazepines-opioids; "
                            "@medlineplus-clonazepam]. C [@nida-benzodiazepines-opioids].\n")
    assert [(c.number, c.resource.key) for c in doc.citations] == [
        (1, "medlineplus-clonazepam"), (2, "nida-benzodiazepines-opioids")]
    one, two = ('<a class="citation-link" href="#ref-1">1</a>',
                '<a class="citation-link" href="#ref-2">2</a>')
    assert superscripts(doc.body_html) == [one, f"{one},{two}", two]  # shown in rising order
    assert re.search(r"A(<span class=\"cited\">)?<sup", doc.body_html)  # the space before a citation is dropped


def test_a_citation_on_the_next_line_of_the_source_still_sits_on_its_word(sources):
    """A writer wraps lines anywhere: the line break before `[@key]` is not a space
    before the superscript, which could then start a printed line of its own."""
    doc = resolved(sources, "It can slow your\n[@medlineplus-clonazepam] breathing.\n")
    assert "your<sup" in doc.body_html


def test_front_matter_resources_follow_the_cited_ones(sources):
    doc = resolved(sources, "Text [@medlineplus-clonazepam].\n",
                   "title: T\nsummary: S\nresources: [samhsa-national-helpline, medlineplus-clonazepam]")
    assert [(c.number, c.resource.key, c.cited) for c in doc.citations] == [
        (1, "medlineplus-clonazepam", True), (2, "samhsa-national-helpline", False)]


def test_unknown_key_names_its_line(sources):
    found = failure(sources, "Fine.\n\nBad one [@nida-bzo].\n")
    assert found == [(8, "unknown citation key 'nida-bzo' (not in resources.yaml)")]


def test_unknown_further_reading_names_the_resources_line(sources):
    found = failure(sources, "Text.\n", "title: T\nsummary: S\nresources: [nope]")
    assert found == [(4, "unknown citation key 'nope' (not in resources.yaml)")]


def test_key_of_a_broken_entry_says_so(sources):
    (sources / "resources.yaml").write_text("broken:\n  title: No address\n")
    found = failure(sources, "Text [@broken].\n")
    assert found == [(6, "citation key 'broken' cannot be used until its entry in "
                         "resources.yaml is fixed")]


def test_malformed_citation_is_reported(sources):
    found = failure(sources, "Two keys [@nida-benzodiazepines-opioids, @medlineplus-clonazepam].\n")
    assert found[0][0] == 6
    assert "is not understood; write [@key] or [@key1; @key2]" in found[0][1]


def test_citations_in_code_are_left_alone(sources):
    doc = resolved(sources, "Write `[@key]` to cite.\n\n```\n[@other]\n```\n")
    assert doc.citations == ()
    assert "[@key]" in doc.body_html


@pytest.mark.parametrize("raw, gone", [
    ('<script>alert(1)</script>', "<script"),
    ('<style>body{}</style>', "<style"),
    ('<iframe src="https://example.org"></iframe>', "<iframe"),
    ('<object data="x.swf"></object>', "<object"),
    ('<embed src="x.swf">', "<embed"),
    ('<link rel="stylesheet" href="https://example.org/x.css">', "<link"),
    ('<a href="https://example.org" rel="attachment">file</a>', "attachment"),
    ('<p onclick="alert(1)">x</p>', "onclick"),
    ('<p style="background: url(https://example.org/x.png)">x</p>', "style="),
    ('<img src="images/box.svg" alt="a box" onerror="alert(1)">', "onerror"),
])
def test_raw_html_is_cleaned_to_the_allow_list(sources, raw, gone):
    doc = resolved(sources, f"Before.\n\n{raw}\n\nAfter.\n")
    assert gone not in doc.body_html
    assert "After." in doc.body_html


@pytest.mark.parametrize("link", ["other.md", "/etc/passwd", "../secret.txt",
                                  "file:///etc/passwd", "javascript:alert(1)"])
def test_links_that_a_printed_page_cannot_follow_are_reported(sources, link):
    found = failure(sources, f'Before.\n\nA <a href="{link}">link</a> and [another]({link}).\n')
    assert found == [(8, f"link '{link}' cannot be followed from a handout; link to a web "
                         "address (https://...), an email (mailto:) or a phone (tel:)")] * 2


def test_the_sanitiser_keeps_only_outward_links():
    from handouts.content.markup import sanitize

    html = sanitize('<a href="other.md">a</a> <a href="#ref-1">b</a> <a href="tel:988">c</a>'
                    ' <a href="javascript:alert(1)">d</a>')
    assert html == '<a>a</a> <a href="#ref-1">b</a> <a href="tel:988">c</a> <a>d</a>'


def test_a_citation_with_words_in_its_brackets_is_reported(sources):
    found = failure(sources, "Ask first [see @medlineplus-clonazepam].\n")
    assert found == [(6, "citation '[see @medlineplus-clonazepam]' is not understood; write "
                         "[@key] or [@key1; @key2]")]


def test_markdown_features_survive_cleaning(sources):
    doc = resolved(sources, "## Part {#part}\n\n| A | B |\n|:-:|---|\n| 1 | 2 |\n\n"
                            '!!! danger "Call 911"\n    Now.\n\n[site](https://example.org)\n')
    html = doc.body_html
    assert '<h2 id="part">Part</h2>' in html
    assert '<th align="center">A</th>' in html
    assert '<div class="admonition danger">' in html
    assert '<a href="https://example.org">site</a>' in html


def test_image_inside_sources_with_alt_text(sources):
    doc = resolved(sources, "![A locked medicine box](images/box.svg)\n")
    assert doc.images == ((sources / "images" / "box.svg").resolve(),)


def test_missing_image(sources):
    assert failure(sources, "Text.\n\n![A pill](images/pill.png)\n") == [
        (8, "image 'images/pill.png' not found")]


def test_image_without_alt_text(sources):
    [(line, message)] = failure(sources, "![](images/box.svg)\n")
    assert line == 6 and message.startswith("image 'images/box.svg' has no alt text")


@pytest.mark.parametrize("src", ["../secret.png", "/etc/hostname", "file:///etc/hostname",
                                 "https://example.org/x.png"])
def test_image_outside_sources_is_refused(sources, src):
    [(line, message)] = failure(sources, f"![x]({src})\n")
    assert "must be a file inside the sources folder" in message or "not found" in message


def test_template_syntax_in_body_is_text(sources):
    doc = resolved(sources, "Seven times seven is {{ 7*7 }}. {% if x %}y{% endif %}\n")
    assert "{{ 7*7 }}" in doc.body_html
    assert "{% if x %}" in doc.body_html


def test_a_picture_used_twice_is_reported_at_each_use(sources):
    found = failure(sources, "![A locked medicine box](images/box.svg)\n\nText.\n\n![](images/box.svg)\n")
    assert found == [(10, "image 'images/box.svg' has no alt text: describe it in the brackets, "
                          "![a locked medicine box](...)")]


# -- the checks read what the sanitiser gives the renderer -------------------------------

OUTSIDE = REPO / "brand" / "logo.svg"  # a real picture, in a folder the renderer may read
NO_ALT = ("image 'images/box.svg' has no alt text: describe it in the brackets, "
          "![a locked medicine box](...)")
NOT_INSIDE = "must be a file inside the sources folder (for example images/pill-box.svg)"

# Raw HTML that Python's HTMLParser (the checker's parser until now) and nh3's html5ever
# (the sanitiser's, and so the renderer's) read differently: (body, line, message).
CONFUSIONS = {
    "<!--> is a whole comment": ('<!--> <img src="images/box.svg"> -->\n', 6, NO_ALT),
    "<!---> is a whole comment": ('<!---> <img src="images/box.svg"> -->\n', 6, NO_ALT),
    "<image> is read as <img>": ('<image src="images/box.svg">\n', 6, NO_ALT),
    "the first of two alts counts": ('<img src="images/box.svg" alt="" alt="A box">\n', 6, NO_ALT),
    "the first of two addresses counts": (f'<img src="{OUTSIDE}" src="images/box.svg" '
                                          'alt="A box">\n', 6, f"image '{OUTSIDE}' {NOT_INSIDE}"),
    "an outside picture behind <!-->": (f'<!--> <img src="{OUTSIDE}" alt="A logo"> -->\n', 6,
                                        f"image '{OUTSIDE}' {NOT_INSIDE}"),
    "an <img split over lines, unquoted": ("<p><img\nsrc=images/box.svg\nalt=></p>\n", 7, NO_ALT),
    "an unclosed comment": ('<!-- a note <img src="images/box.svg">\n', 6, NO_ALT),
    "an <img> inside <math>": ("<math><img src=images/box.svg></math>\n", 6, NO_ALT),
    "backslashes, which a URL reads as /": ('<img src="images\\..\\..\\logo.svg" alt="A logo">\n',
                                            6, "image 'images\\..\\..\\logo.svg' " + NOT_INSIDE),
}


@pytest.mark.parametrize("case", CONFUSIONS, ids=list(CONFUSIONS))
def test_raw_html_is_checked_as_the_sanitiser_reads_it(sources, case):
    body, line, message = CONFUSIONS[case]
    assert failure(sources, body) == [(line, message)]


def test_an_image_only_the_sanitiser_sees_is_checked_and_tracked(sources):
    # Printed, so it is an input of the PDF: the build renders again when it changes.
    doc = resolved(sources, '<!--> <img src="images/box.svg" alt="A box"> -->\n')
    assert '<img src="images/box.svg" alt="A box">' in doc.body_html
    assert doc.images == ((sources / "images" / "box.svg").resolve(),)


@pytest.mark.parametrize("raw", [
    f'<svg><image href="{OUTSIDE}" width="10" height="10"/></svg>',
    f'<svg><use href="{OUTSIDE}#a"/></svg>',
    f'<noscript><img src="{OUTSIDE}"></noscript>',
    f'<picture><source srcset="{OUTSIDE}"><img src="images/box.svg" alt="A box"></picture>',
])
def test_markup_that_could_bring_a_picture_in_is_taken_out(sources, raw):
    from handouts.content.markup import images_in

    doc = resolved(sources, f"Before.\n\n{raw}\n\nAfter.\n")
    assert [image.src for image in images_in(doc.body_html)] in ([], ["images/box.svg"])
    assert not re.search(r"<(svg|image|use|source|noscript)\b", doc.body_html)


@pytest.mark.parametrize("body", [
    "![A pill](images/a\x00b.png)\n",
    '<img src="images/a&#0;b.png" alt="A pill">\n',
    "![A pill](images/a%00b.png)\n",
])
def test_a_nul_in_an_image_address_is_one_line(sources, body):
    [(line, message)] = failure(sources, body)
    assert line == 6
    assert message.endswith("has a character no file name has (a NUL or a control character)")


def test_a_terminal_escape_in_an_address_is_shown_not_sent(sources):
    [(_, message)] = failure(sources, "![A pill](images/\x1b]0;owned\x07.png)\n")
    assert "\x1b" not in message and "\x07" not in message
    assert "images/\\x1b]0;owned\\x07.png" in message


@pytest.mark.parametrize("cell, attribute", [
    ('<td colspan="100000">x</td>', "colspan"),
    ("<td rowspan=65534>x</td>", "rowspan"),
    (f'<th colspan="{"9" * 5000}">x</th>', "colspan"),
])
def test_a_cell_spanning_more_than_a_page_holds_is_refused_at_its_line(sources, cell, attribute):
    [(line, message)] = failure(sources, f"Before.\n\n<table><tr>{cell}<td>y</td></tr></table>\n")
    assert line == 8
    assert message.startswith(f'{attribute}="') and message.endswith(
        f"is not a number of {'columns' if attribute == 'colspan' else 'rows'} from 1 to 50, "
        "as a table cell on a page may span")


def test_the_sanitiser_holds_spans_to_what_a_page_has():
    from handouts.content.markup import sanitize

    html = sanitize('<table><tr><td colspan="100000">a</td><td colspan="3" rowspan="2">b</td>'
                    "</tr></table>")
    assert html == ('<table><tbody><tr><td colspan="50">a</td><td colspan="3" rowspan="2">b</td>'
                    "</tr></tbody></table>")


# -- pictures within the budget, measured without drawing them ---------------------------

def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and header alone: all Pillow reads to give its size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # one bit a pixel, grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def svg(inside: str = "", size: str = 'width="100" height="100"') -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" {size}>{inside}</svg>').encode()


def nested_uses(levels: int) -> str:
    """Ten uses of the group before, `levels` deep: 10**levels shapes from a kilobyte."""
    groups = ['<rect id="g0" width="1" height="1"/>']
    groups += [f'<g id="g{i}">' + f'<use href="#g{i - 1}"/>' * 10 + "</g>" for i in range(1, levels)]
    return f'<defs>{"".join(groups)}</defs><use href="#g{levels - 1}"/>'


BUDGET = "more than the 40 megapixels a picture may have (a full page at 300 dpi is 8)"
BIG = f"12000×12000 pixels (144 megapixels), {BUDGET}"
INLINE_PNG = base64.b64encode(png_header(12000, 12000)).decode()
PICTURES = {
    # name: (file, bytes, the reason after "image 'images/<file>' ")
    "a PNG of 144 megapixels": ("big.png", png_header(12000, 12000), f"is {BIG}"),
    "past Pillow's own guard": ("bigger.png", png_header(30000, 30000),
                                f"is 900 megapixels, {BUDGET}"),
    "an SVG 100,000 px wide": ("wide.svg", svg(size='width="100000" height="100000"'),
                               f"is 100000×100000 pixels (10000 megapixels), {BUDGET}"),
    "an SVG in inches": ("inches.svg", svg(size='width="100in" height="100in"'),
                         f"is 9600×9600 pixels (92 megapixels), {BUDGET}"),
    "an SVG by its viewBox": ("box.svg", svg(size='viewBox="0 0 50000 50000"'),
                              f"is 50000×50000 pixels (2500 megapixels), {BUDGET}"),
    "a PNG inside an SVG": ("inline.svg", svg(f'<image href="data:image/png;base64,{INLINE_PNG}"/>'),
                            f"holds a picture that is {BIG}"),
    "a PNG beside an SVG": ("beside.svg", svg('<image href="big-beside.png"/>'),
                            f"holds a picture that is {BIG}"),
    "uses of uses": ("uses.svg", svg(nested_uses(7)),
                     "draws 2,222,224 shapes once each <use> is followed, more than the 100,000 "
                     "a picture may"),
    "a use inside what it names": ("loop.svg", svg('<g id="a"><use href="#a"/></g>'),
                                   "cannot be drawn: a <use> in it is inside what it names, so "
                                   "it never ends"),
    "elements 5,000 deep": ("deep.svg", svg("<g>" * 5000 + "</g>" * 5000),
                            "cannot be drawn: its elements are nested thousands deep"),
    "a file of 11 MB": ("heavy.svg", svg(" " * 11_000_000),
                        "is 11 MB, more than the 10 MB a picture may be"),
}


@pytest.mark.parametrize("case", PICTURES, ids=list(PICTURES))
def test_a_picture_over_the_budget_is_refused_with_the_reason(sources, case):
    name, data, reason = PICTURES[case]
    (sources / "images" / name).write_bytes(data)
    (sources / "images" / "big-beside.png").write_bytes(png_header(12000, 12000))
    started = time.perf_counter()
    assert failure(sources, f"Text.\n\n![A picture](images/{name})\n") == [
        (8, f"image 'images/{name}' {reason}")]
    assert time.perf_counter() - started < 5  # read from the header, never decoded


def test_a_picture_within_the_budget_is_printed(sources):
    (sources / "images" / "page.png").write_bytes(png_header(2550, 3300))  # letter at 300 dpi
    (sources / "images" / "uses.svg").write_bytes(svg(nested_uses(4)))  # 2,224 shapes
    doc = resolved(sources, "![A page](images/page.png)\n\n![Shapes](images/uses.svg)\n")
    assert len(doc.images) == 2
