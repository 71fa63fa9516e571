"""The tag tree as a screen reader hears it, in every format (see screen_reader.py).

Each test walks the structure tree of real PDFs, the shipped library built once
(`shipped_out`) or a packet, and asserts on what a blind reader is told, in the
order they are told it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, copy_shipped, main, untranslated
from screen_reader import read

from handouts.check.tagtree import tag_tree_problems

FORMATS = ("handout", "large-print", "brochure", "card")


@functools.cache  # the shipped PDFs never change, and many tests here read the same ones
def shipped(out: Path, fmt: str, name: str):
    return read(out / fmt / f"{name}.pdf")


def spoken_texts(reading, role: str | None = None) -> list[str]:
    return [s.text for s in reading.spoken() if role is None or s.role == role]


def spanish_packet_in(folder: Path, *slugs: str, options: tuple = ()) -> Path:
    """A Spanish packet of `slugs`, made as staff make one at the command line, from the
    shipped sources but with no Spanish for what-is-detox."""
    target = folder / "paquete.pdf"
    sources, _ = untranslated(folder, "what-is-detox")
    code = main(["packet", *slugs, "--lang", "es", *options, "--for", "Ana María",
                 "--date", "2026-11-24", "-o", str(target), "--sources", str(sources),
                 "--brand", str(REPO / "_brand.yml"), "--out", str(folder / "output")])
    assert code == 0
    return target


def contents_links(reading) -> list:
    """The links of a packet cover's contents (the others there call a crisis line)."""
    cover = reading.root.children[0].children[0]
    return [link for link in cover.find("Link") if link.annotations[0]["uri"] is None]


@pytest.fixture(scope="module")
def spanish_packet(tmp_path_factory) -> Path:
    """A Spanish packet with an English-only handout in it."""
    return spanish_packet_in(tmp_path_factory.mktemp("packet-es"), "naloxone", "what-is-detox",
                             "klonopin-overview")


# -- 1. artifacts for what is not content -------------------------------------------


@pytest.mark.parametrize("fmt", [*FORMATS, "packet"])
def test_nothing_marked_is_outside_the_tree_in_any_format(shipped_out, request, fmt):
    """Every shipped PDF read once (there are over a hundred), a format a test so that
    the test workers share them: nothing marked outside the tree, no problem in the
    tree, and no figure whose alt text repeats a printed address."""
    pdfs = (sorted((shipped_out / fmt).glob("*.pdf")) if fmt in FORMATS
            else [request.getfixturevalue("spanish_packet")])
    assert pdfs, fmt
    for pdf in pdfs:
        reading = shipped(shipped_out, fmt, pdf.stem) if fmt in FORMATS else read(pdf)
        assert reading.orphans() == [], pdf
        assert tag_tree_problems(pikepdf.open(pdf)) == [], pdf
        for figure in reading.elements("Figure"):
            assert not re.search(r"\.(gov|org|com)\b|www\.|https?:", figure.alt or ""), pdf


def test_running_footer_and_page_numbers_are_pagination_artifacts(shipped_out):
    reading = shipped(shipped_out, "handout", "klonopin-overview")
    footers = [m.text for m in reading.artifacts("/Pagination")]
    assert [t for t in footers if t.startswith("Page ")] == [
        f"Page {n} of {reading.pages}" for n in range(1, reading.pages + 1)]
    assert sum(t.startswith("EHC-ED-001") for t in footers) == reading.pages
    assert "Page 1 of" not in reading.words()
    # Borders, rules, icons and backgrounds are typed too: WeasyPrint leaves them untyped.
    assert {m.artifact_type for m in reading.artifacts()} == {"/Pagination", "/Layout"}


def test_logo_and_qr_codes_are_artifacts_not_figures(shipped_out):
    for fmt in ("handout", "large-print", "brochure"):
        reading = shipped(shipped_out, fmt, "safe-storage-disposal")
        alts = [f.alt or "" for f in reading.elements("Figure")]
        assert alts and not any("logo" in a or "QR" in a for a in alts), (fmt, alts)
        # The clinic's name is said once, as text, where the logo stood beside it.
        assert spoken_texts(reading)[0] == "Essence Healthcare"


# -- 2. links a reader can use ------------------------------------------------------------


def test_citation_links_have_area_and_say_their_source(shipped_out):
    reading = shipped(shipped_out, "handout", "klonopin-overview")
    citations = [link for link in reading.elements("Link") if link.printed == "1"]
    assert citations
    for link in citations:
        assert link.text == "Source 1: Clonazepam, MedlinePlus"
        [annotation] = link.annotations
        left, bottom, right, top = annotation["rect"]
        assert abs(top - bottom) >= 6 and abs(right - left) >= 3  # the number, to press
        assert annotation["contents"] == "Source 1: Clonazepam, MedlinePlus"
    spanish = shipped(shipped_out, "handout", "klonopin-overview.es")
    assert any(link.alt and link.alt.startswith("Fuente 1: ") for link in spanish.elements("Link"))


def test_an_address_is_one_link_however_it_wraps(shipped_out):
    reading = shipped(shipped_out, "handout", "klonopin-overview")
    url = "https://nida.nih.gov/research-topics/opioids/benzodiazepines-opioids"
    links = [link for link in reading.elements("Link")
             if any(a["uri"] == url for a in link.annotations)]
    assert len(links) == 1
    assert len(links[0].annotations) == 2  # two lines, two areas, one link
    assert links[0].text == "nida.nih.gov/research-topics/ opioids/benzodiazepines-opioids"


def test_contents_entries_are_one_link_with_title_and_page(spanish_packet):
    reading = read(spanish_packet)
    entries = contents_links(reading)
    assert [link.alt for link in entries] == [
        "Naloxona: cómo salvar una vida, página 3", "What detox is like, página 7",
        "Klonopin (clonazepam), página 11"]
    # What is printed is the title and the page: no dots to read out.
    assert [link.printed for link in entries] == [
        "Naloxona: cómo salvar una vida 3", "What detox is like 7", "Klonopin (clonazepam) 11"]
    contents = [a for a in reading.annotations if a["page"] == 0 and a["dest"]]
    # Each piece of a line (title, dots, number) is an area of its own: each says it all.
    assert {a["contents"] for a in contents} == {link.alt for link in entries}
    # The English handout's title is English in the Spanish contents.
    assert [e.lang for e in entries[1].walk() if e.printed == "What detox is like"][-1] == "en"


def test_a_cover_over_two_pages_still_says_where_its_links_go(tmp_path):
    """A cover too long for one page (large print) numbers its own pages, and its
    contents links are heard with the page each document starts on."""
    target = spanish_packet_in(tmp_path, "naloxone", "what-is-detox", options=("--large-print",))
    entries = contents_links(read(target))
    printed = [link.printed for link in entries]
    assert [p.rsplit(" ", 1)[0] for p in printed] == ["Naloxona: cómo salvar una vida",
                                                       "What detox is like"]
    pages = [p.rsplit(" ", 1)[1] for p in printed]
    assert pages[0] == "3"  # after the cover's two pages
    assert [a["contents"] for link in entries for a in link.annotations] == [
        f"Naloxona: cómo salvar una vida, página {pages[0]}",
        f"What detox is like, página {pages[1]}"]
    assert tag_tree_problems(pikepdf.open(target)) == []


# -- 3. structure that matches meaning ---------------------------------------------


def test_callout_titles_are_headings_that_say_their_kind(shipped_out):
    for fmt in ("handout", "large-print"):  # the brochures have no callouts
        reading = shipped(shipped_out, fmt, "klonopin-overview")
        headings = [(s.role, s.text) for s in reading.spoken() if s.role.startswith("H")]
        assert ("H3", "Warning: Do not stop a benzo on your own") in headings, headings
        assert ("H3", "Danger: Mixing can stop your breathing") in headings
        assert ("H3", "Danger: Thoughts of hurting yourself? Get help now") in headings
        # One level below the section each is in: the H2 before it.
        index = headings.index(("H3", "Danger: Mixing can stop your breathing"))
        assert headings[index - 1] == ("H2", "Never mix it with opioids or alcohol")
    spanish = spoken_texts(shipped(shipped_out, "handout", "klonopin-overview.es"), "H3")
    assert "Advertencia: No deje una benzo por su cuenta" in spanish
    # The kind is for the ear: on paper it is drawn a tenth of a point high, unseen.
    from conftest import char_sizes

    path = shipped_out / "handout" / "klonopin-overview.pdf"
    unseen = "".join(char for page in range(shipped(shipped_out, "handout", "klonopin-overview").pages)
                     for char, size in char_sizes(path, page) if size < 1)
    assert re.fullmatch(r"(?:(?:Warning|Danger): ?)+", unseen), unseen
    assert unseen.count("Warning:") == 1 and unseen.count("Danger:") == 2


def test_contact_details_are_heard_as_label_and_value(shipped_out):
    for fmt in ("handout", "large-print", "brochure"):
        name = "safe-storage-disposal"
        reading = shipped(shipped_out, fmt, name)
        items = [item for item in reading.elements("LI") if item.children
                 and item.children[0].role == "Lbl" and item.children[0].text == "Phone"]
        assert len(items) == 1, fmt
        assert [c.role for c in items[0].children] == ["Lbl", "LBody"]
        assert items[0].text == "Phone [Clinic phone number]"


def test_a_list_a_page_break_splits_stays_one_list(shipped_out):
    reading = shipped(shipped_out, "large-print", "crisis-help-lines")
    [crisis] = [lst for lst in reading.elements("L") if "Call or text 988" in lst.text
                and "Emergency" in lst.text]
    # Printed three on one page and one on the next: heard as one list of four.
    assert len([item for item in crisis.children if item.role == "LI"]) == 4
    assert set().union(*(e.pages for e in crisis.walk())) == {0, 1}


def test_a_list_item_split_across_brochure_columns_is_one_item(shipped_out):
    reading = shipped(shipped_out, "brochure", "safe-storage-disposal")
    [item] = [i for i in reading.elements("LI") if i.text.startswith("• Opioids")]
    assert [c.role for c in item.children] == ["Lbl", "LBody"]
    assert "fentanyl patches" in item.text


# -- 4. reading order that matches the paper -------------------------------------------


def test_brochure_reads_cover_inside_flap_back(shipped_out):
    reading = shipped(shipped_out, "brochure", "safe-storage-disposal")
    said = spoken_texts(reading)
    order = [said.index(text) for text in (
        "Store and get rid of medicines safely",  # cover
        "Lock up your medicines",  # inside, first panel
        "What to do next",  # inside, last panel
        "Resources",  # flap
        "Questions? Contact Essence Healthcare",  # back
        "Help right now, any time")]
    assert order == sorted(order)
    titles = [title for _, title in reading.outline]
    assert titles[:2] == ["Store and get rid of medicines safely", "Lock up your medicines"]
    assert titles.index("What to do next") < titles.index("Resources") < titles.index(
        "Questions? Contact Essence Healthcare")


def test_wallet_card_sheet_is_one_card_per_side(shipped_out):
    for name in ("naloxone", "crisis-help-lines", "wallet-card"):
        reading = shipped(shipped_out, "card", name)
        said = spoken_texts(reading)
        headings = [s for s in reading.spoken() if s.role.startswith("H")]
        assert [h.role for h in headings] == ["H1", "H2"], (name, headings)
        assert "".join(said).count("Essence Healthcare") == 1, name
        tagged = [a for a in reading.annotations if a["tagged"]]
        assert len(reading.annotations) == len(tagged)
    crisis = shipped(shipped_out, "card", "crisis-help-lines")
    assert len(crisis.annotations) == 4  # one card's four lines, not forty
    assert [s.text for s in crisis.spoken() if s.role == "H2"] == ["Help right now, any time"]
    naloxone = shipped(shipped_out, "card", "naloxone")
    assert [s.text for s in naloxone.spoken() if s.role == "H2"] == ["Overdose? Act fast."]
    assert len(naloxone.artifacts()) > len(naloxone.marked) / 2  # nine copies of two sides


def test_packet_has_one_article_per_handout_and_the_cover_apart(spanish_packet):
    reading = read(spanish_packet)
    [document] = reading.root.children
    assert [c.role for c in document.children] == ["Sect", "Art", "Art", "Art"]
    assert [c.lang for c in document.children] == ["es", "es", "en", "es"]
    titles = [(depth, title) for depth, title in reading.outline if depth == 0]
    assert titles == [(0, "Información para usted"), (0, "Naloxona: cómo salvar una vida"),
                      (0, "What detox is like"), (0, "Klonopin (clonazepam)")]
    sections = [title for depth, title in reading.outline if depth == 1]
    assert "Recursos" in sections and "Resources" in sections


# -- 5. language where it changes --------------------------------------------------------


def test_english_resource_titles_in_a_spanish_handout_are_tagged_english(shipped_out):
    reading = shipped(shipped_out, "handout", "klonopin-overview.es")
    assert reading.lang == "es"
    english = {e.text for e in reading.root.walk() if e.lang == "en" and e.role in ("Span", "P")
               and (e.parent is None or e.parent.lang != "en")}
    assert any(t.startswith("FDA requiring Boxed Warning") for t in english), english
    assert "U.S. Food and Drug Administration (Drug Safety Communication, September 23, 2020)" \
        in english
    # Said only where the language changes: never again what an element inherits.
    changes = [e for e in reading.root.walk() if e.own_lang is not None]
    assert changes and all(e.own_lang == "en" and e.parent.lang == "es" for e in changes)
    spanish_words = spoken_texts(reading, "H2")
    assert "Recursos" in spanish_words
    assert reading.info["Keywords"] == ("benzodiacepinas, seguridad de los medicamentos, "
                                        "sobredosis, tratamiento")
    assert reading.info["Subject"].startswith("Klonopin puede ayudar")


def test_a_source_cannot_hide_or_reorder_what_is_heard(workspace):
    """The controls the templates use (aria-hidden, role, data-reading-order) never come
    from a source: the sanitiser drops them, so no handout can hide its words from a
    screen reader or move them."""
    from conftest import GOOD_SOURCE

    hostile = GOOD_SOURCE + (
        '\n<p aria-hidden="true">Hidden words one.</p>\n\n'
        '<div role="presentation" data-reading-order="1"><p>Moved words two.</p></div>\n\n'
        '<p role="heading" aria-level="1">Fake heading three.</p>\n')
    workspace.write("benzo-safety.md", hostile)
    assert workspace.run("build", "--format", "handout").code == 0  # the handout is read
    reading = read(workspace.pdf("benzo-safety.pdf"))
    said = spoken_texts(reading)
    assert "Hidden words one." in said and "Fake heading three." in said
    assert said.index("Moved words two.") > said.index("Why it matters")
    assert [s.text for s in reading.spoken() if s.role == "H1"] == ["Staying safe with benzos"]


# -- 6. check --built ------------------------------------------------------------------


PLAIN = """<!doctype html><html lang="en"><head><title>Plain</title><style>
@page { @bottom-right { content: "Page " counter(page) } }</style></head><body>
<h1 id="top">Plain</h1><p>See <a href="#top">the top</a>.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
 alt="QR code for www.example.org/page" style="width:20px">
</body></html>"""


def test_check_built_fails_what_a_screen_reader_would_miss(shipped_out, tmp_path):
    """A PDF as WeasyPrint writes it on its own: footer outside the tree, an internal
    link described by its anchor, a QR code's alt text repeating the address."""
    from weasyprint import HTML

    out = tmp_path / "output"
    copy_shipped(shipped_out, out)
    HTML(string=PLAIN).write_pdf(out / "handout" / "naloxone.pdf", pdf_variant="pdf/ua-1")
    problems = {rule for rule, _ in tag_tree_problems(pikepdf.open(out / "handout" / "naloxone.pdf"))}
    assert problems == {"pdf-orphans", "pdf-link-description", "pdf-alt-address"}

    code, lines = _check_built(out)
    assert code == 1
    mine = [line for line in lines if line.startswith(str(out / "handout" / "naloxone.pdf"))]
    assert any("outside the tag tree" in line for line in mine), lines
    assert any("no description ('top')" in line for line in mine)
    assert any("repeats an address" in line for line in mine)
    assert all(": error[pdf-" in line for line in mine), mine


def _check_built(out: Path) -> tuple[int, list[str]]:
    import contextlib
    import io

    stream = io.StringIO()
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        code = main(["check", "--built", "--sources", str(REPO / "sources"), "--out", str(out),
                     "--brand", str(REPO / "_brand.yml")])
    return code, stream.getvalue().splitlines()
