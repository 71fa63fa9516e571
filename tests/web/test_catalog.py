"""web/catalog: the built library as the app shows it, read from catalog.json alone."""

import json

from handouts.web.catalog import Catalog


def entry(slug, lang="en", fmt="handout", status="approved", **more):
    return {"slug": slug, "lang": lang, "format": fmt, "title": more.pop("title", slug.title()),
            "path": f"{slug}-{fmt}-{lang}.pdf", "pages": 2, "sha256": "0" * 64,
            "status": status, "source": f"sources/{slug}.md", **more}


def write(out, *entries):
    (out / "catalog.json").write_text(json.dumps({"files": list(entries)}))
    for e in entries:
        (out / e["path"]).write_bytes(b"%PDF-1.7\n")


def test_one_card_per_document_with_every_language_and_format(tmp_path):
    write(tmp_path, entry("naloxone", topics=["overdose"], audience=["family"]),
          entry("naloxone", "es", title="Naloxona"), entry("naloxone", fmt="brochure"),
          entry("safe-storage", status="draft"))
    catalog = Catalog(tmp_path)
    assert [c.slug for c in catalog.cards()] == ["naloxone", "safe-storage"]
    card = catalog.card("naloxone")
    assert card.languages == ("en", "es") and set(card.formats) == {"handout", "brochure"}
    assert card.title_in("es") == "Naloxona" and card.status == "approved"
    assert catalog.card("safe-storage").status == "draft"
    assert catalog.choices()["languages"] == ["en", "es"]


def test_files_are_found_only_as_the_catalog_lists_them(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "escape.pdf").write_bytes(b"%PDF-1.7\n")
    outside = {**entry("escape"), "path": "../escape.pdf"}  # a catalog edited by hand
    write(out, entry("naloxone"))
    (out / "catalog.json").write_text(json.dumps({"files": [entry("naloxone"), outside]}))
    catalog = Catalog(out)
    found, path = catalog.find("handout", "naloxone", "en")
    assert found.slug == "naloxone" and path == (out / "naloxone-handout-en.pdf").resolve()
    assert catalog.find("handout", "escape", "en") is None  # listed, but outside the folder
    assert catalog.find("handout", "naloxone", "zz") is None
    assert catalog.find("handout", "../naloxone", "en") is None


def test_filters_narrow_and_a_changed_catalog_is_read_again(tmp_path):
    write(tmp_path, entry("naloxone", topics=["overdose"]), entry("detox", topics=["treatment"]))
    catalog = Catalog(tmp_path)
    assert [c.slug for c in catalog.search(topic="overdose").cards] == ["naloxone"]
    assert [c.slug for c in catalog.search(lang="es").cards] == []
    write(tmp_path, entry("naloxone", topics=["overdose"]), entry("naloxone", "es"),
          entry("detox", topics=["treatment"]), entry("fentanyl", topics=["overdose"]))
    assert [c.slug for c in catalog.search(topic="overdose").cards] == ["fentanyl", "naloxone"]
    assert [c.slug for c in catalog.search(lang="es").cards] == ["naloxone"]


def test_no_catalog_yet_is_an_empty_library(tmp_path):
    assert Catalog(tmp_path).cards() == [] and Catalog(tmp_path).card("x") is None
