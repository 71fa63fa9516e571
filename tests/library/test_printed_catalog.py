"""output/catalog.pdf: the front desk's printed index, made by every full build."""

import hashlib
import json

import pikepdf
from conftest import GOOD_SOURCE, pdftotext, source_text
from screen_reader import read

FOR_FAMILIES = source_text("""
    title: Helping a family member
    summary: What a family can do today.
    audience: [families]
    topics: [families]
    formats: [handout, brochure]
    code: TEST-002
    review:
      status: approved
      reviewed_by: A. Clinician, MD
      reviewed_on: 2026-11-01
      next_review: 2027-11-01
""", "## What to do next\n\nCall us.\n")


def printed_entry(out) -> dict:
    return json.loads((out / "catalog.json").read_text())["printed_catalog"]


def text_of(pdf) -> str:
    return " ".join(pdftotext(pdf).split())


def test_a_full_build_prints_every_document_with_its_code_formats_and_status(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("helping.md", FOR_FAMILIES)
    assert workspace.run("build").code == 0
    pdf = workspace.out / "catalog.pdf"
    entry = printed_entry(workspace.out)
    data = pdf.read_bytes()
    assert entry["path"] == "catalog.pdf" and entry["documents"] == 3  # and the wallet card
    assert (entry["bytes"], entry["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    text = text_of(pdf)
    assert "TEST-001 Staying safe with benzos" in text
    assert "TEST-002 Helping a family member" in text
    assert "Essence Healthcare wallet card" in text
    # Grouped by whom each is for, each document once, then by topic.
    assert text.index("For patients") < text.index("Staying safe") < text.index("For families")
    assert text.index("For families") < text.index("Helping a family member") < text.index("By topic")
    assert text.count("Staying safe with benzos") == 1
    assert "Benzodiazepines: TEST-001" in text and "Safety: TEST-001" in text  # its topics
    reading = read(pdf)
    [row] = [r for r in reading.elements("TR") if "TEST-002" in r.text]
    assert row.text == ("TEST-002 Helping a family member English Handout, large print, brochure "
                        "Approved; next review November 2027")
    assert "Draft" in text
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == entry["pages"] == 1
        assert str(doc.Root.Lang) == "en"
        assert str(doc.open_metadata().get("dc:title")) == "Document catalog"
    # A screen reader meets a real table: headers, then a row per document.
    assert [h.text for h in reading.elements("TH")][:5] == [
        "Code", "Title", "Languages", "Formats", "Review"]
    assert not reading.orphans()


def test_each_title_is_printed_and_tagged_in_its_own_language(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    spanish = GOOD_SOURCE.replace("title: Staying safe with benzos", "title: Cómo usar las benzos")
    workspace.write("staying-safe.es.md", spanish)
    assert workspace.run("build").code == 0
    pdf = workspace.out / "catalog.pdf"
    reading = read(pdf)
    [row] = [r for r in reading.elements("TR") if "TEST-001" in r.text]
    assert row.text == ("TEST-001 Staying safe with benzos Cómo usar las benzos "
                        "English Spanish Handout, large print Draft")
    # Read in Spanish by a screen reader, the rest of the row in English.
    assert [e.printed for e in reading.root.walk() if e.own_lang == "es"] == ["Cómo usar las benzos"]
    assert row.lang == "en"


def test_it_is_made_again_only_when_what_it_lists_changes(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build").code == 0
    pdf = workspace.out / "catalog.pdf"
    first = pdf.stat().st_mtime_ns, printed_entry(workspace.out)
    assert workspace.run("build").code == 0
    assert (pdf.stat().st_mtime_ns, printed_entry(workspace.out)) == first
    # A build of one document cannot tell what else is on the shelf: it keeps the old one.
    workspace.write("staying-safe.md", GOOD_SOURCE.replace("Staying safe", "Keeping safe"))
    assert workspace.run("build", "staying-safe").code == 0
    assert printed_entry(workspace.out) == first[1]
    assert "Staying safe with benzos" in text_of(pdf)
    # The next full build lists the new title.
    assert workspace.run("build").code == 0
    assert "Keeping safe with benzos" in text_of(pdf)
    assert printed_entry(workspace.out)["sha256"] != first[1]["sha256"]


def test_a_build_with_nothing_to_do_makes_the_catalogs_text_once_and_leaves_it(workspace, monkeypatch):
    """The catalog with the printed catalog's entry is made into text once (a library of
    thousands of documents has a catalog of megabytes), and is the text already there."""
    from handouts.library import build

    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("for-families.md", FOR_FAMILIES)
    assert workspace.run("build").code == 0
    catalog = workspace.out / "catalog.json"
    before = catalog.read_bytes(), catalog.stat().st_mtime_ns
    made: list[dict] = []
    real = build.json_text
    monkeypatch.setattr(build, "json_text", lambda value: made.append(value) or real(value))
    assert workspace.run("build").summary.startswith("Built 0 PDFs")
    assert [list(value) for value in made] == [["files", "printed_catalog"]]
    assert (catalog.read_bytes(), catalog.stat().st_mtime_ns) == before
    assert list(json.loads(before[0])) == ["files", "printed_catalog"]
