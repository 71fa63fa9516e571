"""The handout as a reader gets it, read back from the built PDF."""

import json
import re
import shutil
import subprocess

import pikepdf
import pytest
from conftest import (
    REPO,
    Workspace,
    cited,
    font_size_at,
    page_texts,
    pdftotext,
    source_text,
    struct_elements,
    text_box,
    version_of,
    watermark_share,
)

INCH = 72


@pytest.fixture(scope="session")
def shipped(shipped_out):
    return shipped_out / "handout" / "klonopin-overview.pdf"


def test_is_tagged_pdf_ua_with_metadata(shipped):
    with pikepdf.open(shipped) as pdf:
        assert pdf.pdf_version == "1.7"
        assert str(pdf.Root.Lang) == "en"
        assert bool(pdf.Root.MarkInfo.Marked)
        assert "/StructTreeRoot" in pdf.Root
        assert str(pdf.docinfo.Title) == "Klonopin (clonazepam)"
        assert str(pdf.docinfo.Author) == "Essence Healthcare"
        assert str(pdf.docinfo.Subject).startswith("Klonopin can help with seizures and panic")
        assert str(pdf.docinfo.Keywords) == "benzodiazepines, medication safety, overdose, treatment"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
        tags = [str(e.S) for e in struct_elements(pdf)]
        assert {"/H1", "/H2", "/P", "/L", "/LI", "/Link", "/Figure"} <= set(tags)


def test_every_figure_has_alt_text(shipped):
    with pikepdf.open(shipped) as pdf:
        figures = [e for e in struct_elements(pdf) if e.S == "/Figure"]
        alts = [str(f.get("/Alt", "")) for f in figures]
    # The body's two pictures (one of them the overdose block's step pictures). The
    # logo (the clinic's name follows it) and the QR codes (the printed address beside
    # each is the link) are artifacts, not figures a screen reader stops at.
    assert len(figures) == 2
    assert all(alts)
    assert any(alt.startswith("Five steps") for alt in alts)
    assert not any("logo" in alt or "QR code" in alt for alt in alts)


def test_passes_qpdf_check(shipped):
    result = subprocess.run(["qpdf", "--check", str(shipped)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_only_atkinson_hyperlegible_embedded_and_subset(shipped):
    listing = subprocess.run(["pdffonts", str(shipped)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    fonts = [line.split() for line in listing]
    assert 2 <= len(fonts) <= 4  # regular and bold; italic for a picture's caption
    for name, *_, emb, sub, uni, _obj, _gen in fonts:
        assert re.fullmatch(r"[A-Z]{6}\+Atkinson-Hyperlegible(-Bold|-Italic|-BoldItalic)?", name), name
        assert (emb, sub, uni) == ("yes", "yes", "yes")


def test_page_one_opens_with_logo_name_title_and_main_message(shipped):
    first = page_texts(shipped)[0]
    lines = [line.strip() for line in first.splitlines() if line.strip()]
    assert lines[:3] == ["Essence Healthcare", "Klonopin (clonazepam)", "What it is and how to stay safe"]
    assert lines[3].startswith("Klonopin can help with seizures and panic")
    # The band is at the top of the page: the clinic name sits in its top 1.25 inches.
    _, _, _, top = text_box(shipped, 0, "Essence Healthcare")
    assert top > 11 * INCH - 1.25 * INCH
    assert font_size_at(shipped, 0, "Klonopin (clonazepam)") >= 24


def test_body_text_is_at_least_12_points(shipped):
    assert font_size_at(shipped, 0, "Klonopin is a brand name") >= 12
    assert font_size_at(shipped, 0, "Doctors prescribe it") >= 12


def test_running_footer_on_every_page(shipped):
    pages = page_texts(shipped)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        footer = text.strip().splitlines()[-1]
        assert "EHC-ED-001" in footer
        assert f"Version {version_of('klonopin-overview')}" in footer
        assert "Draft, not yet clinically reviewed" in footer
        assert footer.rstrip().endswith(f"Page {number} of {len(pages)}")


def test_draft_watermark_on_every_page_but_not_in_the_text(shipped):
    pages = page_texts(shipped)
    for index, text in enumerate(pages):
        assert watermark_share(shipped, index) > 0.01
        assert "DRAFT" not in text  # drawn as shapes: never read aloud or copied


def test_approved_document_has_no_watermark_and_shows_review_dates(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("doc.md", source_text("""
        title: Approved
        summary: S
        code: EHC-ED-099
        version: 3
        review:
          status: approved
          reviewed_by: Clinical team
          reviewed_on: 2026-11-24
          next_review: 2027-11-24
        """))
    assert ws.run("build", "--format", "handout").code == 0
    pdf = ws.pdf("doc.pdf")
    assert watermark_share(pdf, 0) < 0.001
    footer = page_texts(pdf)[0].strip().splitlines()[-1]
    assert "EHC-ED-099 · Version 3 · Reviewed November 2026 · Next review November 2027" in footer


def test_resources_numbered_linked_and_cited(shipped):
    text = pdftotext(shipped)
    assert "Resources" in text
    with pikepdf.open(shipped) as pdf:
        uris, internal = [], []
        for page_number, page in enumerate(pdf.pages):
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and action.get("/S") == "/URI":
                    uris.append(str(action.URI))
                elif "/Dest" in annot or (action is not None and action.get("/S") == "/GoTo"):
                    internal.append(page_number)
        named = {str(k) for k in pdf.Root.Names.Dests.Names[::2]} if "/Names" in pdf.Root else set()
    assert "https://medlineplus.gov/druginfo/meds/a682279.html" in uris
    assert "https://nida.nih.gov/research-topics/opioids/benzodiazepines-opioids" in uris
    assert "tel:988" in uris and "tel:+18006624357" in uris
    # Superscript citations link inside the document, to the numbered entries.
    count = len(cited("klonopin-overview"))
    assert len(internal) >= count
    assert {f"ref-{n}" for n in range(1, count + 1)} <= named


def test_resource_entries_show_title_publisher_and_address(shipped):
    text = " ".join(pdftotext(shipped, mode="-raw").split())
    text = re.sub(r"([/-]) (?=\w)", r"\1", text)  # an address wraps after a slash or dash
    assert "Clonazepam MedlinePlus, National Library of Medicine medlineplus.gov/druginfo/meds/a682279.html" in text
    for n in range(1, len(cited("klonopin-overview")) + 1):
        assert re.search(rf"\b{n} [A-Z]", text)


def test_closes_with_contact_and_crisis_lines_from_the_brand(shipped):
    """Right after what to do next, whom to call: the two boxes side by side, on one
    page, before the resource list."""
    pages = [" ".join(text.split()) for text in page_texts(shipped)]
    [last] = [text for text in pages if "Questions? Contact Essence" in text]
    assert "Help right now, any time" in last
    whole = " ".join(pages)
    assert whole.index("What to do next") < whole.index("Questions?") < whole.index("Resources")
    assert "[Clinic phone number]" in last
    for words in ("Call 911", "Call or text 988", "Call 1-800-662-HELP (4357)",
                  "TTY 1-800-487-4889", "Call 1-800-222-1222"):
        assert words in last
    # The contact box takes 42% of the band (the 6.7 in of text and 5 pt over each side)
    # less its three 5 pt gaps; the crisis lines, after a gap and their 2.5 pt border,
    # the rest. Each box's text starts 11 pt inside it.
    page = pages.index(last)
    contact = text_box(shipped, page, "Questions? Contact")[0]
    crisis = text_box(shipped, page, "Help right now")[0]
    assert contact == pytest.approx(0.9 * INCH + 11, abs=1.5)
    assert crisis - contact == pytest.approx(0.42 * (6.7 * INCH + 10 - 15) + 5 + 2.5, abs=1.5)


def test_letter_by_default_and_a4_by_brand(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("doc.md", source_text("title: Paper sizes\nsummary: S"))
    assert ws.run("build", "--format", "handout").code == 0
    with pikepdf.open(ws.pdf("doc.pdf")) as pdf:
        assert [float(v) for v in pdf.pages[0].MediaBox] == [0, 0, 612, 792]
    ws.brand.write_text(ws.brand.read_text().replace("paper: letter", "paper: a4"))
    assert ws.run("build", "--format", "handout").code == 0
    with pikepdf.open(ws.pdf("doc.pdf")) as pdf:
        assert [round(float(v)) for v in pdf.pages[0].MediaBox] == [0, 0, 595, 842]


def test_identical_input_gives_identical_bytes(pair_built, shipped_out):
    # Two of the shipped documents built again, apart from the rest (and serially):
    # every file of theirs is the shipped one, but the printed catalog, which lists
    # only them.
    again = pair_built / "serial"
    assert json.loads((pair_built / "serial.json").read_text())["exit_code"] == 0
    rebuilt = sorted(p for p in again.rglob("*.pdf") if p != again / "catalog.pdf")
    assert len(rebuilt) >= 10  # every format, English and Spanish
    for path in rebuilt:
        assert path.read_bytes() == (shipped_out / path.relative_to(again)).read_bytes(), path


def test_two_page_handout_is_under_40_kb(tmp_path):
    ws = Workspace(tmp_path)
    paragraph = ("Take your medicine just as your prescriber says. Keep it locked up, "
                 "away from children and pets. Ask us before you stop or change it. ")
    body = "\n\n".join(f"## Part {n}\n\n{paragraph * 3} [@medlineplus-clonazepam]" for n in range(5))
    ws.write("two-pages.md", source_text(
        "title: A two-page handout\nsummary: Long enough for two pages.", body))
    assert ws.run("build", "--format", "handout").code == 0
    pdf = ws.pdf("two-pages.pdf")
    assert len(page_texts(pdf)) == 2
    assert pdf.stat().st_size < 40_000


def test_template_syntax_in_a_source_prints_as_written(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("doc.md", source_text("title: \"Six times seven is {{ 6*7 }}\"\nsummary: \"{% if 1 %}yes{% endif %}\"",
                                   "Seven times seven is {{ 7*7 }}.\n"))
    assert ws.run("build", "--format", "handout").code == 0
    text = " ".join(pdftotext(ws.pdf("doc.pdf")).split())
    assert "Six times seven is {{ 6*7 }}" in text
    assert "{% if 1 %}yes{% endif %}" in text
    assert "Seven times seven is {{ 7*7 }}." in text
    assert "42" not in text and "49" not in text
    with pikepdf.open(ws.pdf("doc.pdf")) as pdf:
        assert str(pdf.docinfo.Title) == "Six times seven is {{ 6*7 }}"


def test_callouts_tables_and_images_render(tmp_path):
    ws = Workspace(tmp_path)
    shutil.copy(REPO / "brand" / "logo.svg", ws.sources / "images" / "sprout.svg")
    ws.write("doc.md", source_text("title: Parts\nsummary: S", """\
        !!! danger "Call 911 first"
            Naloxone does not undo benzos.

        !!! tip "A small step"
            Write your questions down.

        | Day | Dose change |
        | --- | --- |
        | Monday | Ask your prescriber |

        ![A green sprout](images/sprout.svg)
        """))
    assert ws.run("build", "--format", "handout").code == 0
    pdf = ws.pdf("doc.pdf")
    text = " ".join(pdftotext(pdf).split())
    assert "Call 911 first Naloxone does not undo benzos." in text
    assert "Day Dose change Monday Ask your prescriber" in text
    assert font_size_at(pdf, 0, "Call 911 first") >= 14  # the danger title stands out
    with pikepdf.open(pdf) as doc:
        tags = [e for e in struct_elements(doc)]
        assert "/Table" in {str(e.S) for e in tags}
        assert "A green sprout" in {str(e.get("/Alt", "")) for e in tags}


@pytest.mark.parametrize("fmt, slug", [("handout", "klonopin-overview"),
                                       ("brochure", "safe-storage-disposal"),
                                       ("large-print", "klonopin-overview")])
def test_every_qr_code_scans_to_its_address(shipped_out, tmp_path, fmt, slug):
    """Read back with a real barcode reader (zbar) from the page as printed at 150 dpi."""
    pdf = shipped_out / fmt / f"{slug}.pdf"
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    found = set()
    for image in sorted(tmp_path.glob("page*.png")):
        result = subprocess.run(["zbarimg", "-q", "--raw", str(image)], capture_output=True, text=True)
        found |= set(result.stdout.split())
    with pikepdf.open(pdf) as doc:
        links = {str(a.A.URI) for page in doc.pages for a in page.get("/Annots", [])
                 if a.get("/A") is not None and a.A.get("/S") == "/URI"}
    addresses = {url for url in links if not url.startswith("tel:")}
    assert addresses == {resource.url for resource in cited(slug)}
    assert found == addresses


@pytest.mark.parametrize("fmt", ["handout", "large-print"])
def test_qr_codes_are_square_pixels_never_smoothed(shipped_out, fmt):
    """Each code is a picture of four pixels a module, which no reader may smooth into
    grey (/Interpolate false): the squares print sharp at any size."""
    import segno

    from handouts.render.filters import QR_MODULE_PIXELS

    expected = sorted(segno.make(r.url, error="m", micro=False).symbol_size(border=0)[0]
                      * QR_MODULE_PIXELS for r in cited("klonopin-overview"))
    with pikepdf.open(shipped_out / fmt / "klonopin-overview.pdf") as doc:
        pictures = [o for o in doc.objects if isinstance(o, pikepdf.Stream)
                    and o.get("/Subtype") == "/Image" and o.get("/ColorSpace") == "/DeviceRGB"]
        sharp = sorted(int(p.Width) for p in pictures if p.get("/Interpolate") is False)
    assert sharp == expected


def test_crisis_lines_in_a_body_say_when_to_call_each(shipped_out):
    """[[crisis-lines]] in a source prints each line with when to call it, from the
    brand file; the closing block of other handouts keeps to the numbers."""
    from handouts.content.brand import load_brand

    brand = load_brand(REPO / "_brand.yml")
    sheet = " ".join(pdftotext(shipped_out / "handout" / "crisis-help-lines.pdf").split())
    overview = " ".join(pdftotext(shipped_out / "handout" / "klonopin-overview.pdf").split())
    for line in brand.crisis_lines:
        assert line.when and line.when in sheet
        assert line.when not in overview and line.action in overview


def test_the_document_line_has_no_empty_parts(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("done.md", source_text("title: T\nsummary: S\ncode: EHC-ED-099\n"
                                    "review:\n  status: approved"))
    assert ws.run("build", "--format", "handout").code == 0
    footer = [line for line in page_texts(ws.pdf("done.pdf"))[0].splitlines() if "EHC-ED-099" in line]
    assert footer and footer[0].split("Page")[0].strip() == "EHC-ED-099 · Version 1"


# A value that would close a CSS string and add rules hiding what must print.
HIDING = "} .crisis, .resources, .contact, .closing { display: none !important } @page { background: none } x {"
HOSTILE = [
    f'\\"{HIDING}',  # a quote, as YAML writes it
    f"\\r{HIDING}",  # YAML escapes: a carriage return, a form feed, a line feed
    f"\\f{HIDING}",
    f"\\n{HIDING}",
    f"\\u2028{HIDING}",
    f"\\\\\\\"{HIDING}",  # a backslash, then a quote
    f"'{HIDING}",
    f"</style><style>{HIDING}</style>",
    f"\\e[2J{HIDING}",
    "\\r}*{display:none}",  # short enough for a version
    "\\f}*{display:none}",
]


@pytest.mark.parametrize("field", ["title", "subtitle", "summary", "code", "version"])
@pytest.mark.parametrize("value", HOSTILE)
def test_no_front_matter_value_can_hide_the_safety_parts(tmp_path, field, value):
    """The crisis lines, the resource list, the contact box and the DRAFT watermark
    print whatever a value in the front matter says; the value prints as written."""
    ws = Workspace(tmp_path)
    front = {"title": "T", "summary": "S", "code": "EHC-1", "version": "2"}
    front[field] = value
    yaml = "\n".join(f'{key}: "{text}"' for key, text in front.items())
    ws.write("doc.md", f"---\n{yaml}\n---\n\n## Why\n\nBenzos slow breathing "
             "[@nida-benzodiazepines-opioids].\n")
    run = ws.run("build", "--format", "handout")
    if field == "version" and len(value) > 30:  # a version is short: a long one is refused
        assert run.code == 1 and "'version' must be a number or short text" in run.err
        return
    assert run.code == 0, run.err
    pdf = ws.pdf("doc.pdf")
    text = " ".join(pdftotext(pdf).split())
    for part in ("Help right now, any time", "Call or text 988", "Questions? Contact",
                 "Resources", "Benzodiazepines and Opioids"):
        assert part in text, (field, part)
    for page in range(len(page_texts(pdf))):
        assert watermark_share(pdf, page) > 0.01
