"""The build as a writer meets it: one line per problem, the rest still builds."""

import json

import pytest

from conftest import GOOD_SOURCE, source_text

OTHER = source_text("title: Other handout\nsummary: This one has nothing wrong with it.",
                    "## What to do next\n\nCall us.\n")


def test_builds_pdfs_and_catalog(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    run = workspace.run("build")
    assert run.code == 0, run.err
    assert run.err == ""
    # The handout, its large-print twin, and the clinic's wallet card from the brand.
    assert run.summary.startswith("Built 3 PDFs in ")
    assert sorted(run.out.splitlines()[:2]) == [
        "[1/2] handout/staying-safe.pdf, large-print/staying-safe.pdf", "[2/2] card/wallet-card.pdf"]
    pdf = workspace.pdf("staying-safe.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-1.7")
    assert workspace.pdf("staying-safe.pdf", "large-print").exists()
    assert workspace.pdf("wallet-card.pdf", "card").exists()
    catalog = json.loads((workspace.out / "catalog.json").read_text())
    assert [(e["format"], e["slug"]) for e in catalog["files"]] == [
        ("card", "wallet-card"), ("handout", "staying-safe"), ("large-print", "staying-safe")]
    entry = catalog["files"][1]
    assert entry["slug"] == "staying-safe"
    assert entry["lang"] == "en"
    assert entry["format"] == "handout"
    assert entry["path"] == "handout/staying-safe.pdf"
    assert entry["bytes"] == pdf.stat().st_size
    assert entry["pages"] >= 1
    assert entry["status"] == "draft"
    assert entry["source"] == "sources/staying-safe.md"
    assert entry["profile"] == "office"
    assert len(entry["sha256"]) == 64
    assert not [p for p in workspace.out.rglob("*.tmp")]


def test_translation_gets_its_own_file(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("staying-safe.es.md", OTHER)
    assert workspace.run("build", "--format", "handout").code == 0
    assert workspace.pdf("staying-safe.es.pdf").exists()


def test_only_named_documents_are_built(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("other.md", OTHER)
    run = workspace.run("build", "other")
    assert run.code == 0, run.err
    assert workspace.pdf("other.pdf").exists()
    assert not workspace.pdf("staying-safe.pdf").exists()


BAD_SOURCES = {
    "empty file": (b"", 1, "the file is empty"),
    "missing front matter": (b"# Title\n\nText.\n", 1, "missing front matter"),
    "malformed front matter": (b"---\ntitle: A\nsummary: [oops\n---\nText\n", 3, "invalid YAML"),
    "missing title": (b"---\nsummary: S\n---\nText\n", 2, "'title' is required"),
    "missing summary": (b"---\ntitle: T\n---\nText\n", 2, "'summary' is required"),
    "impossible date": (b"---\ntitle: T\nsummary: S\nreview:\n  status: draft\n"
                        b"  next_review: 2026-13-45\n---\nText\n", 6,
                        "'2026-13-45' is not a real date (month must be in 1..12); "
                        "write dates as YYYY-MM-DD"),
    "link to a file": (b"---\ntitle: T\nsummary: S\n---\n\nSee [the other page](other.md).\n", 6,
                       "link 'other.md' cannot be followed from a handout"),
    "unknown citation key": (
        b"---\ntitle: T\nsummary: S\n---\n\nText.\n\nMore [@nida-bzo].\n", 8,
        "unknown citation key 'nida-bzo'"),
    "missing image": (b"---\ntitle: T\nsummary: S\n---\n\n![Pill box](images/box.png)\n", 6,
                      "image 'images/box.png' not found"),
    "image without alt": (b"---\ntitle: T\nsummary: S\n---\n\n![](images/real.svg)\n", 6,
                          "has no alt text"),
    "invalid UTF-8": (b"---\ntitle: T\nsummary: S\n---\n\nCaf\xe9\n", 6, "not valid UTF-8"),
    "character not in the typeface": (
        "---\ntitle: T\nsummary: S\n---\n\nGo \u2192 there\n".encode(), 6,
        "'\u2192' (U+2192 RIGHTWARDS ARROW) is not in the Atkinson Hyperlegible typeface"),
}


@pytest.mark.parametrize("case", BAD_SOURCES, ids=list(BAD_SOURCES))
def test_bad_source_is_one_clear_line_and_the_rest_builds(workspace, case):
    data, line, message = BAD_SOURCES[case]
    (workspace.sources / "images" / "real.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    workspace.write("other.md", OTHER)
    (workspace.sources / "broken.md").write_bytes(data)
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert "Traceback" not in run.err
    [problem] = run.error_lines
    where = f"{workspace.sources / 'broken.md'}:{line}:" if line else f"{workspace.sources / 'broken.md'}:"
    assert problem.startswith(where), problem
    assert ": error: " in problem and message in problem
    assert workspace.pdf("other.pdf").exists()
    assert "1 document failed" in run.out


@pytest.mark.parametrize("resources, line, message", [
    ("nida-benzodiazepines-opioids:\n  title: T\n url: broken\n", 3, "invalid YAML"),
    ("nida-benzodiazepines-opioids:\n  title: T\n  url: https://nida.nih.gov/\n"
     "  accessed: 2026-02-30\n", 4, "'2026-02-30' is not a real date"),
    ("nida-benzodiazepines-opioids:\n  title: No address\n", 1,
     "resource 'nida-benzodiazepines-opioids' has no url"),
])
def test_bad_resource_list(workspace, resources, line, message):
    (workspace.sources / "resources.yaml").write_text(resources)
    workspace.write("other.md", OTHER)
    workspace.write("cites.md", source_text("title: T\nsummary: S",
                                            "Text [@nida-benzodiazepines-opioids].\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    resources_line, citing_line = run.error_lines
    assert resources_line.startswith(f"{workspace.sources / 'resources.yaml'}:{line}: error: ")
    assert message in resources_line
    assert citing_line.endswith("citation key 'nida-benzodiazepines-opioids' cannot be used "
                                "until its entry in resources.yaml is fixed")
    assert workspace.pdf("other.pdf").exists()
    assert not workspace.pdf("cites.pdf").exists()


def test_failed_document_keeps_its_last_good_pdf(workspace):
    path = workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build", "--format", "handout").code == 0
    pdf = workspace.pdf("staying-safe.pdf")
    good = pdf.read_bytes()
    path.write_text(GOOD_SOURCE.replace("@medlineplus-clonazepam", "@nope"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert pdf.read_bytes() == good
    catalog = json.loads((workspace.out / "catalog.json").read_text())
    assert [e["slug"] for e in catalog["files"]] == ["staying-safe"]


def test_catalog_keeps_files_built_earlier(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("other.md", OTHER)
    assert workspace.run("build", "--format", "handout").code == 0
    assert workspace.run("build", "other", "--format", "handout").code == 0
    catalog = json.loads((workspace.out / "catalog.json").read_text())
    assert sorted(e["slug"] for e in catalog["files"]) == ["other", "staying-safe"]


def test_brand_problem_builds_nothing(workspace):
    workspace.write("other.md", OTHER)
    workspace.brand.write_text(workspace.brand.read_text().replace("paper: letter", "paper: legal"))
    run = workspace.run("build")
    assert run.code == 1
    [problem] = run.error_lines
    assert problem.startswith(f"{workspace.brand}:") and "paper must be letter or a4" in problem
    assert not workspace.pdf("other.pdf").exists()


def test_unreadable_sources_are_reported_and_the_rest_builds(workspace):
    workspace.write("other.md", OTHER)
    (workspace.sources / "folder.md").mkdir()
    (workspace.sources / "gone.md").symlink_to(workspace.sources / "nowhere.md")
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert "Traceback" not in run.err
    assert sorted(run.error_lines) == [
        f"{workspace.sources / 'folder.md'}: error: cannot be read: Is a directory",
        f"{workspace.sources / 'gone.md'}: error: cannot be read: No such file or directory"]
    assert workspace.pdf("other.pdf").exists()


def test_a_picture_that_reaches_outside_fails_its_document(workspace):
    # The SVG is the project's own, but the image inside it is on the web: it is
    # refused while the page is drawn, and that is an error, not a warning.
    (workspace.sources / "images" / "sneaky.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="https://example.org/tracker.png" width="10" height="10"/></svg>')
    workspace.write("pic.md", source_text("title: T\nsummary: S", "![A picture](images/sneaky.svg)\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert "handout: https://example.org/tracker.png was not loaded" in run.err
    assert not workspace.pdf("pic.pdf").exists()


@pytest.mark.parametrize("args, message", [
    (("nope",), "error: no source named 'nope'"),
    (("--format", "poster"), "error: unknown format 'poster'"),
    (("--brand", "missing.yml"), "error: brand file not found: missing.yml"),
    (("--out", "_brand.yml"), "error: the output folder is a file: _brand.yml"),
])
def test_usage_errors_exit_2(workspace, args, message):
    workspace.write("other.md", OTHER)
    run = workspace.run("build", *args)
    assert run.code == 2
    assert run.err.strip().startswith(message)


def test_strict_fails_on_warnings(workspace):
    # A translation that no longer follows its English is a warning; --strict makes it
    # fatal, and the translation keeps its last PDF (here: none) until it is updated.
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("staying-safe.es.md", OTHER.replace("title:", "source_digest: 0123abcd\ntitle:"))
    relaxed = workspace.run("build", "--format", "handout")
    assert relaxed.code == 0
    assert "staying-safe.es.md:2: warning: staying-safe.md has changed" in relaxed.err
    workspace.pdf("staying-safe.es.pdf").unlink()
    strict = workspace.run("build", "--format", "handout", "--strict")
    assert strict.code == 1
    assert not workspace.pdf("staying-safe.es.pdf").exists()
    assert workspace.pdf("staying-safe.pdf").exists()


def test_an_image_that_cannot_be_read_fails_its_document(workspace):
    (workspace.sources / "images" / "broken.png").write_bytes(b"not a png")
    workspace.write("pic.md", source_text("title: T\nsummary: S", "![A broken picture](images/broken.png)\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert ": error: handout: the picture 'images/broken.png' cannot be drawn" in run.err
    assert not workspace.pdf("pic.pdf").exists()


def test_list_shows_sources(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("other.es.md", OTHER)
    run = workspace.run("list")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[0].split() == ["SLUG", "LANG", "STATUS", "NEXT", "REVIEW", "FORMATS", "TITLE"]
    assert lines[1].split()[:3] == ["other", "es", "draft"]
    data = json.loads(workspace.run("list", "--json").out)
    assert [d["slug"] for d in data["documents"]] == ["other", "staying-safe"]


def test_list_reports_broken_sources(workspace):
    workspace.write("broken.md", "no front matter")
    run = workspace.run("list")
    assert run.code == 1
    assert "missing front matter" in run.err


def test_naming_an_unreadable_source_reports_it(workspace):
    (workspace.sources / "broken.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n")
    workspace.write("other.md", OTHER)
    workspace.write("bad-too.md", "no front matter")
    run = workspace.run("build", "broken")
    assert run.code == 1
    [problem] = run.error_lines  # bad-too.md was not asked for
    assert "broken.md:2: error: not valid UTF-8" in problem
    assert not workspace.pdf("other.pdf").exists()


def test_a_short_last_page_is_laid_out_again_and_the_packet_follows(workspace):
    """Laid out as written, this handout spills a few lines onto a second page; a
    slightly tighter layout holds it on one. The build keeps that, the manifest
    remembers it, and a packet lays the handout out the same way."""
    import pikepdf

    from handouts.build import Project
    from handouts.packet import PacketRequest, Personalisation, build_packet

    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build", "--format", "handout").code == 0
    with pikepdf.open(workspace.pdf("staying-safe.pdf")) as pdf:
        assert len(pdf.pages) == 1
    manifest = json.loads((workspace.out / ".manifest.json").read_text())["manifest"]
    [record] = [r for r in manifest["records"] if r["path"] == "handout/staying-safe.pdf"]
    spacing, apart = record["fit"]
    assert spacing < 0 and not apart
    packet = build_packet(Project(sources=workspace.sources, out=workspace.out,
                                  brand=workspace.brand),
                          PacketRequest(("staying-safe",), Personalisation("Ana")))
    assert packet.pages == 1 + 1  # the cover, then the handout as it prints alone


def test_a_page_no_re_layout_fills_is_a_warning_naming_the_share_used(tmp_path):
    """What the build says of a handout whose every layout ends on a page 23% used."""
    from handouts.brand import load_brand
    from handouts.formats import FORMATS
    from handouts.pdf import PdfResult
    from handouts.render import judge

    from conftest import REPO

    brand = load_brand(REPO / "_brand.yml")
    result = PdfResult(b"", pages=3, warnings=(), refused=(), fonts=(), last_page_fill=0.23)
    [problem] = judge(result, tmp_path / "long.md", "handout", brand, FORMATS["handout"])
    assert problem.severity == "warning"
    assert problem.message == ("handout: ends on a page only 23% used (aim 40% or more), even "
                               "with its spacing tightened or loosened; shorten or lengthen the "
                               "document by a few lines")
    one_page = PdfResult(b"", pages=1, warnings=(), refused=(), fonts=(), last_page_fill=0.23)
    assert judge(one_page, tmp_path / "short.md", "handout", brand, FORMATS["handout"]) == []
