import re
from pathlib import Path

import pytest

from handouts.citations import resolve
from handouts.documents import parse
from handouts.problems import ContentError
from handouts.resources import load_library
from handouts.sources import read_source

from conftest import RESOURCES, source_text


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
    assert "A<sup" in doc.body_html  # the space before a citation is dropped


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
    from handouts.markup import sanitize

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
