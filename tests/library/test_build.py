"""The build as a writer meets it: one line per problem, the rest still builds."""

import json

import pytest
from conftest import GOOD_SOURCE, listed_files, pdftotext, source_text, where_of

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


BAD_RESOURCES = [
    ("nida-benzodiazepines-opioids:\n  title: T\n url: broken\n", 3, "invalid YAML"),
    ("nida-benzodiazepines-opioids:\n  title: T\n  url: https://nida.nih.gov/\n"
     "  accessed: 2026-02-30\n", 4, "'2026-02-30' is not a real date"),
    ("nida-benzodiazepines-opioids:\n  title: No address\n", 1,
     "resource 'nida-benzodiazepines-opioids' has no url"),
    # What can make any YAML reader loop or work for minutes, here where the build
    # also reads the list to tell which entries changed.
    ("nida-benzodiazepines-opioids:\n  title: &t [T, *t]\n  url: https://nida.nih.gov/\n", 2,
     "the alias *t is inside the value it names"),
    ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "nida-benzodiazepines-opioids:\n  title: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
     "  url: https://nida.nih.gov/\n", 2, "more than 8 aliases"),
    ("nida-benzodiazepines-opioids:\n  title: T\n  url: https://nida.nih.gov/\n"
     f"  accessed: {'9' * 5000}\n", 4, "a number of 5000 characters"),
]


@pytest.mark.parametrize("resources, line, message", BAD_RESOURCES)
@pytest.mark.parametrize("built_before", [False, True], ids=["first build", "after a good build"])
def test_bad_resource_list(workspace, resources, line, message, built_before):
    workspace.write("other.md", OTHER)
    workspace.write("cites.md", source_text("title: T\nsummary: S",
                                            "Text [@nida-benzodiazepines-opioids].\n"))
    if built_before:  # then the build also reads the list to tell which entries changed
        assert workspace.run("build", "--format", "handout").code == 0
        workspace.pdf("cites.pdf").unlink()
    (workspace.sources / "resources.yaml").write_text(resources)
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert "Traceback" not in run.err
    resources_line, citing_line = run.error_lines
    assert where_of(resources_line) == (str(workspace.sources / "resources.yaml"), line)
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


def test_a_stale_translation_is_reported_by_every_build_and_parsed_only_when_it_changes(workspace, monkeypatch):
    """The manifest remembers each translation's comparison with its English: a build
    with nothing to do reports the same warning without parsing either file, and an
    edit to either is compared again."""
    from handouts.content import documents

    workspace.write("staying-safe.md", GOOD_SOURCE)
    spanish = workspace.write("staying-safe.es.md", OTHER.replace("title:", "source_digest: 0123abcd\ntitle:"))
    first = workspace.run("build", "--format", "handout")
    [warned] = [line for line in first.err.splitlines() if "staying-safe.es.md:2: warning:" in line]
    assert "staying-safe.md has changed since this translation was made" in warned

    parsed: list[str] = []
    real = documents.parse
    monkeypatch.setattr(documents, "parse", lambda source: parsed.append(source.path.name) or real(source))
    again = workspace.run("build", "--format", "handout")
    assert again.summary.startswith("Built 0 PDFs (2 up to date)")
    assert again.err.splitlines().count(warned) == 1 and parsed == []
    assert workspace.run("build", "--format", "handout", "--strict").code == 1  # still fatal when strict

    digest = warned.rsplit("source_digest: ", 1)[1]
    spanish.write_text(spanish.read_text().replace("0123abcd", digest))  # the translation updated
    fixed = workspace.run("build", "--format", "handout")
    assert "staying-safe.es.md" not in fixed.err and parsed == ["staying-safe.es.md", "staying-safe.md"]
    parsed.clear()
    english = workspace.sources / "staying-safe.md"
    english.write_text(english.read_text().replace("## ", "## Now ", 1))  # the English edited
    stale = workspace.run("build", "--format", "handout")
    assert "staying-safe.es.md:2: warning: staying-safe.md has changed" in stale.err
    assert sorted(set(parsed)) == ["staying-safe.es.md", "staying-safe.md"]


def test_a_damaged_memory_of_translations_means_comparing_them_again(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("staying-safe.es.md", OTHER.replace("title:", "source_digest: 0123abcd\ntitle:"))
    assert workspace.run("build", "--format", "handout").code == 0
    path = workspace.out / ".manifest.json"
    manifest = json.loads(path.read_text())
    [remembered] = manifest["manifest"]["translations"]
    assert remembered["path"].endswith("staying-safe.es.md") and remembered["problem"]["line"] == 2
    remembered["problem"] = ["not", "a", "problem"]
    path.write_text(json.dumps(manifest))
    run = workspace.run("build", "--format", "handout")
    assert run.summary.startswith("Built 0 PDFs (2 up to date)")  # the records still stand
    assert "staying-safe.es.md:2: warning: staying-safe.md has changed" in run.err
    [mended] = json.loads(path.read_text())["manifest"]["translations"]
    assert mended["problem"]["line"] == 2  # remembered again, whole


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

    from handouts.deliver.packet import PacketRequest, Personalisation, build_packet
    from handouts.project import Project

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
    assert packet.pages == 1 + 1 + 1  # the cover, its blank back, the handout as it prints alone


def test_a_page_no_re_layout_fills_is_a_warning_naming_the_share_used(tmp_path):
    """What the build says of a handout whose every layout ends on a page 23% used."""
    from conftest import REPO

    from handouts.content.brand import load_brand
    from handouts.content.formats import FORMATS
    from handouts.render.document import judge
    from handouts.render.pdf import PdfResult

    brand = load_brand(REPO / "_brand.yml")
    result = PdfResult(b"", pages=3, warnings=(), refused=(), fonts=(), last_page_fill=0.23)
    [problem] = judge(result, tmp_path / "long.md", "handout", brand, FORMATS["handout"])
    assert problem.severity == "warning"
    assert problem.message == ("handout: ends on a page only 23% used (aim 40% or more), even "
                               "with its spacing tightened or loosened; shorten or lengthen the "
                               "document by a few lines")
    one_page = PdfResult(b"", pages=1, warnings=(), refused=(), fonts=(), last_page_fill=0.23)
    assert judge(one_page, tmp_path / "short.md", "handout", brand, FORMATS["handout"]) == []


# An output folder that cannot take the build's files: one line, exit 1, nothing changed.

import hashlib  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
from contextlib import contextmanager  # noqa: E402

NOT_WRITTEN = re.compile(r"^\S+: error: not written: (?P<reason>[^;]+); the output folder is as "
                         r"it was$")
REVISED = GOOD_SOURCE.replace("Staying safe with benzos", "Staying safe with benzos, revised")


def root_command(*args: str) -> None:
    """Run a mount or chattr; skip the test, saying why, where it is not allowed."""
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"needs `{' '.join(args[:3])}` (root, in a system that allows it): "
                    f"{done.stderr.strip()}")


@contextmanager
def read_only(out, how: str):
    folders = [out, *(p for p in out.iterdir() if p.is_dir())]
    if how == "read-only mount":
        root_command("mount", "--bind", str(out), str(out))
        try:
            root_command("mount", "-o", "remount,bind,ro", str(out))
            yield
        finally:
            subprocess.run(["umount", str(out)], check=True)
    else:  # root ignores permissions, not the immutable attribute
        root_command("chattr", "+i", *map(str, folders))
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, folders)], check=True)


def files_of(out) -> dict[str, str]:
    """Every file in the output folder, hidden ones too, by its sha256."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in out.rglob("*") if p.is_file()}


def assert_catalog_describes(out) -> None:
    """catalog.json lists exactly the PDFs beside it, with their true sizes and digests."""
    catalog = listed_files(out)
    pdfs = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.pdf")}
    assert {e["path"]: (e["bytes"], e["sha256"]) for e in catalog} == {
        path: (len(data), hashlib.sha256(data).hexdigest()) for path, data in pdfs.items()}


@pytest.mark.parametrize("how", ["read-only mount", "immutable folder"])
def test_a_read_only_output_folder_is_one_line_and_keeps_the_last_good_files(workspace, how):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build").code == 0
    before = files_of(workspace.out)
    workspace.write("staying-safe.md", REVISED)
    with read_only(workspace.out, how):
        run = workspace.run("build")
        assert run.code == 1
        [line] = run.error_lines
        assert NOT_WRITTEN.match(line), line
        assert files_of(workspace.out) == before
    assert_catalog_describes(workspace.out)
    workspace.write("staying-safe.md", GOOD_SOURCE)
    with read_only(workspace.out, how):  # nothing to write: a read-only folder is fine
        run = workspace.run("build")
    if "Built 0 PDFs (3 up to date)" in run.summary:  # unless the pipeline's code changed
        assert (run.code, run.err) == (0, ""), run.err
    else:
        assert NOT_WRITTEN.match(run.err.strip()), run.err
    workspace.write("staying-safe.md", REVISED)
    assert workspace.run("build").code == 0
    assert_catalog_describes(workspace.out)
    assert not (workspace.out / ".tmp").exists()


def test_a_full_disk_is_one_line_and_keeps_the_last_good_files(workspace):
    workspace.out.mkdir()
    root_command("mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(workspace.out))
    try:
        workspace.write("staying-safe.md", GOOD_SOURCE)
        assert workspace.run("build").code == 0
        before = files_of(workspace.out)
        filler = workspace.out.parent / "filler"
        fill(workspace.out, filler)
        workspace.write("staying-safe.md", REVISED)
        run = workspace.run("build")
        assert run.code == 1
        [line] = run.error_lines
        assert NOT_WRITTEN.match(line)["reason"] == "the disk is full", line
        after = files_of(workspace.out)
        del after[filler.name]
        assert after == before  # and what it had begun to write is gone: no .tmp
        assert_catalog_describes(workspace.out)
        (workspace.out / filler.name).unlink()
        run = workspace.run("build")
        assert run.code == 0, run.err
        assert_catalog_describes(workspace.out)
        assert files_of(workspace.out) != before and not (workspace.out / ".tmp").exists()
    finally:
        subprocess.run(["umount", str(workspace.out)], check=True)


def fill(out, filler) -> None:
    """Leave the output folder's disk 8 KB: less than any PDF."""
    stat = os.statvfs(out)
    free = stat.f_bavail * stat.f_frsize
    (out / filler.name).write_bytes(b"\0" * max(free - 8192, 0))


def test_a_catalog_that_disagrees_with_the_files_is_mended_by_the_next_build(workspace):
    """As a build of an earlier version could leave it when killed: wrong sizes and
    digests, and an entry for a file that is gone. A build with nothing to render mends it."""
    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build").code == 0
    path = workspace.out / "catalog.json"
    catalog = json.loads(path.read_text())
    catalog["files"][0].update(bytes=1, sha256="0" * 64)
    workspace.pdf("staying-safe.pdf", "large-print").unlink()
    path.write_text(json.dumps(catalog))
    run = workspace.run("build", "staying-safe", "--format", "handout")
    assert run.code == 0, run.err
    assert_catalog_describes(workspace.out)
    assert [e["path"] for e in json.loads(path.read_text())["files"]] == [
        "card/wallet-card.pdf", "handout/staying-safe.pdf"]


# -- Bounded work, and only what is in the folder: each hostile source is one line, ------
# -- quickly, and the rest of the library still builds. --------------------------------

import struct  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402


def png_header(width: int, height: int) -> bytes:
    """A PNG's signature and header, all that says its size (12000 x 12000: 1.2 GB drawn)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # one bit a pixel, grey
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def nested_aliases(levels: int) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    return "\n".join(lines + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]"
                              for i in range(1, levels)])


def nested_uses(levels: int) -> str:
    groups = "".join(f'<g id="g{i}">' + f'<use href="#g{i - 1}"/>' * 10 + "</g>"
                     for i in range(1, levels))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><defs>'
            f'<rect id="g0" width="1" height="1"/>{groups}</defs><use href="#g{levels - 1}"/></svg>')


def marker_bomb() -> str:
    """A marker of 200 circles on a line of 20,000 points: some 4 million drawn."""
    circles = '<circle r="1"/>' * 200
    points = " ".join(f"{n},{n % 7}" for n in range(20000))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><defs>'
            f'<marker id="m">{circles}</marker></defs>'
            f'<polyline points="{points}" marker-mid="url(#m)"/></svg>')


def big_png_by_address(workspace) -> str:
    """An SVG showing a huge PNG through a file:// address inside the sources folder."""
    images = workspace.sources / "images"
    (images / "big.png").write_bytes(png_header(12000, 12000))
    (images / "wrap.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><image href="'
        f'{(images / "big.png").resolve().as_uri()}" width="100" height="100"/></svg>')
    workspace.write("bad.md", body("![A picture](images/wrap.svg)\n"))
    return "bad.md"


def front(setting: str) -> str:
    return source_text(f"title: T\nsummary: S\n{setting}", "Text.\n")


def body(text: str) -> str:
    return source_text("title: T\nsummary: S", text)


def outside_link(workspace) -> str:
    secret = workspace.root / "secret.md"
    secret.write_text(OTHER.replace("Call us.", "The server's own notes."))
    (workspace.sources / "bad.md").symlink_to(secret)
    return "bad.md"


def picture(name: str, data: bytes, text: str):
    def write(workspace) -> str:
        (workspace.sources / "images" / name).write_bytes(data)
        workspace.write("bad.md", body(text))
        return "bad.md"
    return write


def source(text: str, name: str = "bad.md"):
    return lambda workspace: workspace.write(name, text).name


def logo(workspace) -> str:
    """A picture the renderer may read (the brand's), but from outside the sources folder."""
    return str(workspace.root / "brand" / "logo.svg")


HOSTILE = {
    # before this change: what it did -> (write it, line, message)
    "aliases nested six deep (1.4 s; 9 deep ran out of memory)": (
        source(front(nested_aliases(6))), 5, "more than 8 aliases (*a0); write each value out"),
    "an alias inside what it names (RecursionError)": (
        source(front("x: &loop [*loop]")), 4, "the alias *loop is inside the value it names"),
    "an integer of 5,000 digits (the whole number echoed)": (
        source(front("version: " + "9" * 5000)), 4, "a number of 5000 characters"),
    "a colspan of 20,000 (5 s; 1,000,000: hung)": (
        source(body('<table><tr><td colspan="20000">x</td></tr></table>\n')), 6,
        'colspan="20000" is not a number of columns from 1 to 50'),
    "a PNG of 12000 x 12000 (1.2 GB)": (
        picture("big.png", png_header(12000, 12000), "![A big picture](images/big.png)\n"), 6,
        "image 'images/big.png' is 12000×12000 pixels (144 megapixels), more than the 40"),
    "an SVG of uses of uses (six deep: 20 s; seven: never ended)": (
        picture("uses.svg", nested_uses(6).encode(), "![Shapes](images/uses.svg)\n"), 6,
        "image 'images/uses.svg' draws 222,224 shapes once each <use> is followed"),
    "uses of this very file's ids (a.svg#g1: not counted; 10 million drawn, 60 s)": (
        picture("uses.svg", nested_uses(6).replace('href="#', 'href="uses.svg#').encode(),
                "![Shapes](images/uses.svg)\n"), 6,
        "image 'images/uses.svg' draws 222,224 shapes once each <use> is followed"),
    "uses in an SVG without a namespace (not checked at all)": (
        picture("uses.svg", nested_uses(6).replace(' xmlns="http://www.w3.org/2000/svg"', "")
                .encode(), "![Shapes](images/uses.svg)\n"), 6,
        "image 'images/uses.svg' draws 222,224 shapes once each <use> is followed"),
    "a marker on 20,000 vertices (markers not counted; 60 s, 549 MB)": (
        picture("marks.svg", marker_bomb().encode(), "![Marks](images/marks.svg)\n"), 6,
        "image 'images/marks.svg' draws 4,"),
    "a huge PNG behind a file:// address in an SVG (834 MB, exit 0)": (
        big_png_by_address, 6, "image 'images/wrap.svg' holds a picture that is 12000×12000"),
    "a source of 200 KB (15 s a format; 5 MB, minutes)": (
        source(body("Benzos slow your breathing; talk with your care team first.\n" * 3400)),
        1672, "the source is 204 KB, more than the 100 KB a source may be"),
    "a NUL in an image's address (ValueError)": (
        source(body("![A pill](images/a\x00b.png)\n")), 6, "has a character no file name has"),
    "a language the project does not print (built with an English frame)": (
        source(OTHER, "bad.zz.md"), None, "'zz' is not a language this project prints (known: "
                                          "en, ar, es, ru, vi, zh)"),
    "lists nested 150 deep (RecursionError: the whole build stopped)": (
        source(body("".join("    " * level + "- a step\n" for level in range(150)))), 155,
        "nested more than 16 levels deep here"),
    "quotes nested 3,000 deep (RecursionError)": (
        source(body(">" * 3000 + " Call us.\n")), 6, "nested more than 16 levels deep here"),
    "bold in bold, 3,000 deep, in raw HTML (RecursionError)": (
        source(body("Text.\n\n" + "<b>" * 3000 + "x" + "</b>" * 3000 + "\n")), 8,
        "nested more than 16 levels deep here"),
    "a table of 5,000 columns (12 s; 12,000: 30 s, 16 of them printed)": (
        source(body("|x" * 5000 + "|\n" + "|-" * 5000 + "|\n" + "|y" * 5000 + "|\n")), 6,
        "a table row of 5,000 cells: a page holds at most 20 columns"),
    "2,000 pictures (9 s)": (
        picture("box.svg", b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
                "![A box](images/box.svg)\n" * 2000), None,
        "2,000 pictures: a handout may have at most 60"),
    "a layout class over the crisis lines (exit 0)": (
        source(body('<div class="cover-graphic"></div>\n')), 6,
        "class 'cover-graphic' belongs to the layout, not to a source"),
    "a link to a file outside the folder (printed)": (
        outside_link, None, "is a link to a file outside the sources folder"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_source_is_one_line_quickly_and_the_rest_builds(workspace, case):
    write, line, message = HOSTILE[case]
    workspace.write("other.md", OTHER)
    name = write(workspace)
    started = time.perf_counter()
    run = workspace.run("build", "--format", "handout")
    assert time.perf_counter() - started < 30
    assert run.code == 1
    assert "Traceback" not in run.err
    [problem] = run.error_lines
    where = workspace.sources / name
    assert where_of(problem) == (str(where), line) and ": error: " in problem, problem
    assert message in problem
    assert workspace.pdf("other.pdf").exists()
    assert not list(workspace.out.rglob("bad*.pdf"))


def test_nesting_a_page_can_lay_out_still_prints_in_every_format(workspace):
    """15 quotes deep (16 elements with the paragraph): each level is indented, and the
    words must still fit the narrowest column, a brochure's panel."""
    workspace.write("quoted.md", source_text("title: T\nsummary: S\nformats: [handout, "
                                             "large-print, brochure]",
                                             "> " * 15 + "Call us when the medicine runs low.\n"))
    run = workspace.run("build")
    assert run.code == 0, run.err
    built = sorted(workspace.out.rglob("quoted*.pdf"))
    assert len(built) == 3
    for pdf in built:
        words = " ".join(pdftotext(pdf, mode="-raw").split())
        assert "Call us when the medicine runs low." in words, pdf


@pytest.mark.parametrize("html, message", [
    ('<!--> <img src="images/real.svg"> -->', "image 'images/real.svg' has no alt text"),
    ('<!--> <img src="{logo}" alt="The clinic\'s logo"> -->',
     "image '{logo}' must be a file inside the sources folder"),
    ('<img src="{logo}" src="images/real.svg" alt="A picture">',
     "image '{logo}' must be a file inside the sources folder"),
])
def test_what_is_checked_is_what_is_printed(workspace, html, message):
    # The alt-text and folder checks read raw HTML with Python's parser, nh3 with
    # html5ever: `<!-->` hid a picture from the first only, and it was printed, exit 0.
    (workspace.sources / "images" / "real.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    workspace.write("other.md", OTHER)
    workspace.write("bad.md", body("Text.\n\n" + html.format(logo=logo(workspace)) + "\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [problem] = run.error_lines
    assert where_of(problem) == (str(workspace.sources / 'bad.md'), 8) and ": error: " in problem
    assert message.format(logo=logo(workspace)) in problem
    assert workspace.pdf("other.pdf").exists() and not workspace.pdf("bad.pdf").exists()


def test_a_document_past_its_time_is_one_line_and_the_rest_builds(workspace, monkeypatch):
    # A table of 2,000 rows is a legal source that renders for some 12 s; given 4 s
    # where the pool is made, its worker is stopped and the other document builds.
    monkeypatch.setenv("HANDOUTS_RENDER_SECONDS", "4")
    rows = "".join(f"| {i} | a word | more words | x |\n" for i in range(2000))
    workspace.write("slow.md", body("| A | B | C | D |\n| --- | --- | --- | --- |\n" + rows))
    workspace.write("other.md", OTHER)
    started = time.perf_counter()
    run = workspace.run("build", "--format", "handout", "--jobs", "2")
    assert time.perf_counter() - started < 40
    assert run.code == 1
    assert "Traceback" not in run.err
    assert run.error_lines == [f"{workspace.sources / 'slow.md'}: error: not built: rendering it "
                               "took longer than 4 s (the budget; HANDOUTS_RENDER_SECONDS sets it)"]
    assert workspace.pdf("other.pdf").exists() and not workspace.pdf("slow.pdf").exists()
