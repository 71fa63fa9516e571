"""Personalised packets: the cover, the contents, page numbers, bookmarks, and privacy."""

import datetime as dt
import os
import re
import stat

import pikepdf
import pytest
from conftest import (
    REPO,
    cited,
    copy_shipped,
    page_texts,
    pdftotext,
    untranslated,
    version_of,
)

from handouts.check.tagtree import tag_tree_problems
from handouts.deliver.packet import PacketRequest, Personalisation, build_packet
from handouts.project import Project

NAME = '<b>O\'Brien & "Sons"</b>'
CLINICIAN = "Dr. Rivera"
NOTE = "See you on Tuesday at 10.\nBring this packet."
SLUGS = ("klonopin-overview", "mixing-dangers", "crisis-help-lines")


@pytest.fixture(scope="module")
def packet_file(tmp_path_factory):
    from handouts.cli import main

    folder = tmp_path_factory.mktemp("packet")
    target = folder / "for-the-session.pdf"
    code = main(["packet", *SLUGS, "--for", NAME, "--clinician", CLINICIAN, "--date", "2026-11-24",
                 "--note", NOTE, "-o", str(target), "--sources", str(REPO / "sources"),
                 "--brand", str(REPO / "_brand.yml"), "--out", str(folder / "output")])
    assert code == 0
    return target


def test_cover_names_the_family_exactly_as_typed(packet_file):
    cover = " ".join(page_texts(packet_file)[0].split())
    assert f"Prepared for {NAME} by {CLINICIAN} on November 24, 2026" in cover
    assert "See you on Tuesday at 10. Bring this packet." in cover
    assert "Help right now, any time" in cover


def test_contents_list_each_document_with_its_first_page(packet_file):
    pages = page_texts(packet_file)
    cover = pages[0]
    titles = ["Klonopin (clonazepam)", "Benzos, opioids and alcohol", "Crisis and help lines"]
    for title in titles:
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", cover, re.MULTILINE)
        assert match, title
        first = int(match.group(1))
        assert title in pages[first - 1].split("\n", 3)[2] or title in pages[first - 1]
        assert "Essence Healthcare" in pages[first - 1].strip().splitlines()[0]


def test_page_numbers_run_on_and_each_document_keeps_its_own_footer(packet_file):
    pages = page_texts(packet_file)
    total = len(pages)
    assert total >= 1 + 3 * 2
    for number, text in enumerate(pages, start=1):
        assert text.strip().splitlines()[-1].rstrip().endswith(f"Page {number} of {total}")
    codes = [re.search(r"EHC-ED-0\d\d", p.strip().splitlines()[-1]) for p in pages[1:]]
    found = [c.group() for c in codes if c]
    assert found == sorted(found) and set(found) == {"EHC-ED-001", "EHC-ED-003", "EHC-ED-011"}


def test_bookmarks_for_the_cover_and_each_documents_sections(packet_file):
    with pikepdf.open(packet_file) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == [
            "Information for you", "Klonopin (clonazepam)", "Benzos, opioids and alcohol",
            "Crisis and help lines"]
        cover, klonopin, *_ = outline.root
        assert not cover.children
        sections = [item.title for item in klonopin.children]
        assert sections[0] == "What is Klonopin?" and "Resources" in sections


def test_each_document_keeps_its_resource_list_and_links(packet_file):
    text = pdftotext(packet_file)
    assert text.count("Resources") == 3
    with pikepdf.open(packet_file) as pdf:
        names = [str(n) for n in pdf.Root.Names.Dests.Names[::2]]
    last = f"d1-ref-{len(cited('klonopin-overview'))}"
    assert {"d1-ref-1", last, "d2-ref-1", "d3-ref-2", "d1", "d2", "d3"} <= set(names)


def test_no_personal_value_in_metadata(packet_file):
    with pikepdf.open(packet_file) as pdf:
        values = [str(v) for v in pdf.docinfo.values()]
        with pdf.open_metadata() as xmp:
            values += [str(v) for v in dict(xmp).values()]
        assert str(pdf.docinfo.Title) == "Handouts from Essence Healthcare"
        raw = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
    for secret in ("O'Brien", "O&apos;Brien", "Brien", "Rivera", "Tuesday"):
        assert not any(secret in v for v in values), secret
        assert secret not in raw
    assert "Sons" not in raw


def test_default_file_name_and_output_folder_hold_nothing_personal(tmp_path, monkeypatch, capsys):
    """The packet is saved where staff are, named by its date alone; the output folder
    gets only its handouts as packets print them (the cache the app's workers share),
    nameless."""
    from collections import OrderedDict

    from handouts.cli import main
    from handouts.deliver import packet_parts

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(packet_parts, "_KEPT", OrderedDict())  # laid out here, not before
    args = ["packet", "crisis-help-lines", "--for", "Maria Lopez", "--date", "2026-11-24",
            "--sources", str(REPO / "sources"), "--brand", str(REPO / "_brand.yml")]
    assert main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "packet-2026-11-24.pdf"]
    cached = {p for p in (tmp_path / "output").rglob("*") if p.is_file()}
    assert len(cached) == 2 and {p.parent for p in cached} == {
        tmp_path / "output" / packet_parts.PARTS_FOLDER}
    assert not any(b"Maria" in p.read_bytes() for p in cached)
    out = capsys.readouterr()
    assert "Maria" not in out.out + out.err
    # Never into the shared output folder.
    assert main([*args, "-o", "output/for-maria.pdf"]) == 2
    assert {p for p in (tmp_path / "output").rglob("*") if p.is_file()} == cached


def test_spanish_large_print_packet(tmp_path):
    request = PacketRequest(("klonopin-overview", "therapies-explained"),
                            Personalisation("Ana", date=dt.date(2026, 11, 24)), lang="es",
                            large_print=True)
    sources, _ = untranslated(tmp_path, "therapies-explained")
    packet = build_packet(Project(sources=sources, brand=REPO / "_brand.yml"), request)
    path = tmp_path / "p.pdf"
    path.write_bytes(packet.data)
    cover = " ".join(page_texts(path)[0].split())
    assert "Preparado para Ana el 24 de noviembre de 2026" in cover
    assert packet.contents == (("klonopin-overview", "es"), ("therapies-explained", "en"))
    [note] = packet.problems  # therapies-explained has no Spanish here: said, not hidden
    assert "no 'es' translation" in note.message
    with pikepdf.open(path) as pdf:
        assert str(pdf.Root.Lang) == "es"


def test_a_document_in_another_language_keeps_its_own_frame(tmp_path):
    """An English handout in a Spanish packet: English headings, contact box, crisis lines
    and page numbers around its English text, never Spanish labels; the Spanish ones keep
    theirs."""
    request = PacketRequest(("klonopin-overview", "therapies-explained"),
                            Personalisation("Ana", date=dt.date(2026, 11, 24)), lang="es")
    sources, _ = untranslated(tmp_path, "therapies-explained")
    packet = build_packet(Project(sources=sources, brand=REPO / "_brand.yml"), request)
    path = tmp_path / "p.pdf"
    path.write_bytes(packet.data)
    pages = [" ".join(text.split()) for text in page_texts(path)]
    english = [page for page in pages if "EHC-ED-006" in page]  # therapies-explained
    spanish = [page for page in pages if "EHC-ED-001" in page]  # klonopin-overview, in Spanish
    assert english and spanish
    for page in english:
        assert (f"Version {version_of('therapies-explained')} · Draft, not yet clinically "
                "reviewed") in page
        assert re.search(r"Page \d+ of \d+", page) and "Página" not in page
    assert "Questions? Contact" in " ".join(english) and "Help right now" in " ".join(english)
    assert "¿Tiene preguntas?" not in " ".join(english)
    for page in spanish:
        assert f"Versión {version_of('klonopin-overview', 'es')}" in page
        assert re.search(r"Página \d+ de \d+", page)


def test_each_document_starts_on_a_front_side(packet_file):
    """Printed on both sides, no handout starts on the back of another's last page: each
    starts on an odd page (as the cover's contents say), and a side left blank before it
    holds nothing but its page number."""
    pages = [" ".join(text.split()) for text in page_texts(packet_file)]
    contents = pages[0].split("In this packet")[1].split("Help right now")[0]
    starts = [int(n) for n in re.findall(r"(\d+)(?=\s+\d\.\s|\s*$)", contents)]
    assert len(starts) == len(SLUGS) and all(n % 2 == 1 for n in starts), starts
    blank = [n for n in range(2, len(pages) + 1) if "EHC-" not in pages[n - 1]]
    assert blank and all(n + 1 in starts for n in blank), (blank, starts)
    for n in blank:
        assert re.fullmatch(r"Page \d+ of \d+", pages[n - 1]), pages[n - 1]


def test_names_outside_the_typeface_still_print(tmp_path):
    request = PacketRequest(("crisis-help-lines",), Personalisation("Nguyễn Thị Ánh"))
    packet = build_packet(Project(sources=REPO / "sources", brand=REPO / "_brand.yml"), request)
    assert any("not in the typeface" in p.message for p in packet.problems)
    assert all("Nguy" not in p.message for p in packet.problems)
    path = tmp_path / "p.pdf"
    path.write_bytes(packet.data)
    # Drawn partly in a fallback font, which may leave a gap the text reader takes for a space.
    assert "NguyễnThịÁnh" in "".join(page_texts(path)[0].split())


def test_unknown_document_is_a_usage_error(tmp_path, capsys):
    from handouts.cli import main

    code = main(["packet", "no-such-handout", "--for", "Ana", "-o", str(tmp_path / "p.pdf"),
                 "--sources", str(REPO / "sources"), "--brand", str(REPO / "_brand.yml")])
    assert code == 2
    assert "no source named 'no-such-handout'" in capsys.readouterr().err


def test_nothing_personal_reaches_the_catalog_or_output(tmp_path, shipped_out, monkeypatch):
    """The built library is left as it was; what a packet adds is its handouts as
    packets print them, in the cache kept for the app's workers, with no name in them."""
    from collections import OrderedDict

    from handouts.deliver import packet_parts

    out = tmp_path / "output"  # a copy of the shipped library as its build left it
    # (without the parts the staff app's tests may have laid out in it meanwhile)
    copy_shipped(shipped_out, out, packet_parts.PARTS_FOLDER.name)
    project = Project(sources=REPO / "sources", out=out, brand=REPO / "_brand.yml")
    monkeypatch.setattr(packet_parts, "_KEPT", OrderedDict())  # laid out here, not before
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    build_packet(project, PacketRequest(("crisis-help-lines",), Personalisation("Zoe Q. Public")))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert {p: after[p] for p in before} == before
    added = set(after) - set(before)
    assert len(added) == 2 and all(p.parent == out / packet_parts.PARTS_FOLDER for p in added)
    # The name, in the files as written and in the added PDF's streams once inflated (a
    # compressed stream elsewhere may hold those three bytes by chance: the files the
    # build made are checked above to be as they were).
    for path in added:
        assert b"Zoe" not in path.read_bytes(), path
        if path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                inflated = b"".join(o.read_bytes() for o in pdf.objects
                                    if isinstance(o, pikepdf.Stream))
            assert b"Zoe" not in inflated and "Zoe" not in pdftotext(path), path


def test_the_next_family_gets_the_same_pages_and_only_their_own_name(tmp_path):
    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml")
    first = build_packet(project, PacketRequest(SLUGS, Personalisation("Family One")))
    second = build_packet(project, PacketRequest(SLUGS, Personalisation("Family Two")))
    paths = []
    for name, packet in (("one", first), ("two", second)):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(packet.data)
        paths.append(path)
    one, two = (page_texts(p) for p in paths)
    assert one[1:] == two[1:] and len(one) == first.pages
    assert "Family One" in one[0] and "Family Two" in two[0]
    assert "Family One" not in "".join(two) and "Family Two" not in "".join(one)
    with pikepdf.open(paths[1]) as pdf:  # the cover's contents still link into the documents
        targets = {str(a.Dest) for a in pdf.pages[0].get("/Annots", []) if "/Dest" in a}
        assert {"d1", "d2", "d3"} <= targets



def test_the_next_familys_cover_is_part_of_the_tree_a_reader_walks(tmp_path):
    """The second family's cover is put in front of the documents written for the first
    (deliver/splice.py): its elements come first in the tree, each of its links belongs
    to a /Link element (or a part of one) that names that very link, every marked piece
    of the cover page finds its element, and the bookmarks start with it."""
    import subprocess

    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml")
    build_packet(project, PacketRequest(SLUGS, Personalisation("Family One")))
    second = build_packet(project, PacketRequest(SLUGS, Personalisation("Family Two")))
    path = tmp_path / "two.pdf"
    path.write_bytes(second.data)
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
        assert [str(kid.S) for kid in document.K] == ["/Sect", "/Art", "/Art", "/Art"]
        cover = pdf.pages[0].obj
        nums = root.ParentTree.Nums
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert len(entries) == len(nums) // 2  # each number once
        links = [a for a in cover.Annots if a.Subtype == "/Link"]
        assert len(links) >= len(SLUGS)
        for link in links:
            element = entries[int(link.StructParent)]
            assert "/Link" in (element.S, element.P.S)
            assert any(kid.get("/Obj") is not None and kid.Obj.objgen == link.objgen
                       for kid in element.K if isinstance(kid, pikepdf.Dictionary))
        marked = entries[int(cover.StructParents)]
        assert any(element is not None for element in marked)
        assert all(element.Pg.objgen == cover.objgen for element in marked if element is not None)
        assert document.K[0].P.objgen == document.objgen
        assert pdf.open_outline().root[0].title == "Information for you"


def whole_packet(project: Project, request: PacketRequest) -> bytes:
    """The packet laid out in one go, as a cover too long for its page is."""
    from handouts.content.brand import read_brand
    from handouts.content.formats import FORMATS
    from handouts.deliver.packet import choose_sources, resolved_documents
    from handouts.library.jobs import fit_of
    from handouts.render.fetcher import FileAccess
    from handouts.render.layout import layout_packet
    from handouts.render.pdf import render_pdf

    brand = read_brand(project.brand)
    resolved = resolved_documents(project, choose_sources(project, request)[0], brand)
    fmt = FORMATS["large-print" if request.large_print else "handout"]
    folders = {brand.typeface_of(lang).folder
               for lang in (request.lang, *(r.document.lang for r in resolved))}
    access = FileAccess((project.sources, project.templates, project.styles, *folders),
                        brand.files)
    return render_pdf(layout_packet(resolved, brand, project.layouts, request.person,
                                    request.lang, request.large_print,
                                    fits=[fit_of(r, fmt, brand, project) for r in resolved]),
                      access,
                      brand.typeface_of(request.lang).family).data


def reading(path) -> dict:
    """Where a reader is led in a PDF: where each name for a place and each link
    leads, the bookmarks, and the structure tree's elements in order with their
    languages."""
    with pikepdf.open(path) as pdf:
        numbers = {page.objgen: n for n, page in enumerate(pdf.pages, start=1)}
        names = pdf.Root.Names.Dests.Names
        places = {str(names[i]): numbers[names[i + 1][0].objgen] for i in range(0, len(names), 2)}
        links = [(n, str(a.Dest)) for n, page in enumerate(pdf.pages, start=1)
                 for a in page.get("/Annots", ()) if isinstance(a.get("/Dest"), pikepdf.String)]
        # The cover laid out alone may break a contents line's link into other pieces.
        links = sorted({link for link in links if re.fullmatch(r"d\d+", link[1])}) + [
            link for link in links if not re.fullmatch(r"d\d+", link[1])]
        with pdf.open_outline() as outline:
            bookmarks = [(item.title, numbers[item.destination[0].objgen], len(item.children))
                         for item in outline.root]

        def walk(element, depth=0):
            yield depth, str(element.S), str(element.get("/Lang", ""))
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    yield from walk(kid, depth + 1)
        tree = list(walk(pdf.Root.StructTreeRoot.K[0]))
        return {"pages": len(pdf.pages), "places": places, "links": links,
                "bookmarks": bookmarks, "tree": tree, "lang": str(pdf.Root.Lang)}


def looks(path, folder) -> list:
    """Each page as poppler draws it at 60 dpi."""
    import subprocess

    from PIL import Image

    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(folder / "p")], check=True)
    return [Image.open(page).convert("RGB") for page in sorted(folder.glob("*.png"))]


def same_look(ours, theirs) -> bool:
    """The same page to the eye: no more than 1 pixel in 2,000 apart by more than a
    shade (a letter may be placed a fraction of a pixel apart). The pale watermark
    left out is thousands; a page number, hundreds."""
    from PIL import ImageChops

    red, green, blue = ImageChops.difference(ours, theirs).split()
    apart = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return apart.point(lambda v: 255 if v > 16 else 0).histogram()[255] <= \
        ours.width * ours.height / 2000


@pytest.mark.parametrize("lang, large_print, slugs", [
    ("ar", False, ("naloxone", "mixing-dangers", "crisis-help-lines")),
    ("en", True, ("klonopin-overview", "naloxone", "crisis-help-lines")),  # a 2-page cover
])
def test_a_packet_put_together_is_the_same_packet_laid_out_whole(tmp_path, lang, large_print,
                                                                 slugs):
    """Put together from each document written on its own, a cover and a frame of page
    numbers (deliver/splice.py), a packet is the one WeasyPrint lays out whole: the
    same pages to the eye (page numbers and each document's line included), the same
    words, the same places named and links leading to them, the same bookmarks, and
    the same structure tree. In Arabic, written right to left, and in large print;
    both with drafts, so with the watermark on every page."""
    import subprocess

    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml", out=tmp_path / "out")
    request = PacketRequest(slugs, Personalisation("Family One", date=dt.date(2026, 11, 24)),
                            lang=lang, large_print=large_print)
    put_together = tmp_path / "put-together.pdf"
    put_together.write_bytes(build_packet(project, request).data)
    whole = tmp_path / "whole.pdf"
    whole.write_bytes(whole_packet(project, request))
    assert subprocess.run(["qpdf", "--check", str(put_together)],
                          capture_output=True).returncode == 0
    assert reading(put_together) == reading(whole)
    for pdf in (put_together, whole):  # as a screen reader walks them: nothing missed
        assert tag_tree_problems(pikepdf.open(pdf)) == [], pdf.name
    pairs = list(zip(looks(put_together, tmp_path / "ours"), looks(whole, tmp_path / "theirs"),
                     strict=True))
    assert [n for n, (ours, theirs) in enumerate(pairs, start=1) if not same_look(ours, theirs)] == []
    if lang != "ar":  # poppler reads Arabic by each font subset's own table: not comparable
        assert page_texts(put_together) == page_texts(whole)
    # Each document starts on a front side, an odd page, right to left as well.
    starts = [page for name, page in reading(put_together)["places"].items()
              if re.fullmatch(r"d\d", name)]
    assert len(starts) == len(slugs) and all(page % 2 for page in starts)


def test_a_handout_kept_on_disk_is_used_only_whole(tmp_path, monkeypatch):
    """A packet's handouts are kept on disk for the app's other workers; one cut short
    (a disk filled, a worker killed mid-write), or whose record was changed by hand
    (its language lands in CSS), is laid out again, never printed, and the packet is
    the same to the byte."""
    from collections import OrderedDict

    from handouts.deliver import packet_parts

    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml", out=tmp_path / "out")
    request = PacketRequest(("naloxone", "crisis-help-lines"),
                            Personalisation("Family One", date=dt.date(2026, 11, 24)))
    monkeypatch.setattr(packet_parts, "_KEPT", OrderedDict())  # none kept by an earlier test
    first = build_packet(project, request).data
    kept = sorted((project.out / packet_parts.PARTS_FOLDER).glob("*.pdf"))
    assert len(kept) == 2
    cut, changed = kept
    cut.write_bytes(cut.read_bytes()[:1000])
    record = changed.with_suffix(".json")
    record.write_text(record.read_text().replace('"lang": "en"', '"lang": "en} body {x: y"'))
    monkeypatch.setattr(packet_parts, "_KEPT", OrderedDict())  # as in another worker
    assert build_packet(project, request).data == first
    assert cut.stat().st_size > 1000 and '"lang": "en"' in record.read_text()  # made again


def test_a_document_in_another_language_keeps_its_own_in_a_packet(tmp_path):
    """An English handout in an Arabic packet is laid out as its English handout: tagged
    English, its page number in English words on the left-to-right side, on a front
    side like the others."""
    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml", out=tmp_path / "out")
    packet = build_packet(project, PacketRequest(("klonopin-overview", "naloxone"),
                                                 Personalisation("Family One"), lang="ar"))
    path = tmp_path / "p.pdf"
    path.write_bytes(packet.data)
    read = reading(path)
    assert read["lang"] == "ar"
    assert [lang for depth, kind, lang in read["tree"] if kind == "/Art"] == ["en", ""]
    start, then = read["places"]["d1"], read["places"]["d2"]
    assert (start, then % 2) == (3, 1)
    pages = page_texts(path)
    for number in range(start, then - 1):
        assert pages[number - 1].strip().splitlines()[-1].rstrip().endswith(
            f"Page {number} of {packet.pages}")


# -- no traceback, whatever is typed -----------------------------------------------------

def packet_command(tmp_path, *extra) -> tuple[int, str, str]:
    import io

    from handouts.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["packet", "crisis-help-lines", "--for", "Ana", "--sources", str(REPO / "sources"),
                 "--brand", str(REPO / "_brand.yml"), "--out", str(tmp_path / "output"), *extra],
                stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("lang, line", [
    ("zz", "error: nothing is written in 'zz' (no handout, no translation of the cover): the "
           "packet's language can be ar, en, es, ru, vi, zh"),
    ("fr", "error: nothing is written in 'fr' (no handout, no translation of the cover): the "
           "packet's language can be ar, en, es, ru, vi, zh"),  # Babel knows French; the library does not
    ("ES", "error: --lang takes a two-letter language code: ar, en, es, ru, vi, zh"),
    ("\x1b[2Jes", "error: --lang takes a two-letter language code: ar, en, es, ru, vi, zh"),  # not echoed
])
def test_a_language_with_nothing_in_it_is_a_usage_error(tmp_path, lang, line):
    """A packet in a language the library has nothing in would be English text tagged as
    another language: refused, in one line, before anything is made."""
    code, out, err = packet_command(tmp_path, "--lang", lang, "-o", str(tmp_path / "p.pdf"))
    assert (code, err.strip().splitlines(), out) == (2, [line], "")
    assert list(tmp_path.iterdir()) == []


def not_a_plain_file(tmp_path, kind: str):
    """A place -o may name that cannot hold a packet, and the line that says so."""
    if kind == "folder":
        (tmp_path / "packets").mkdir()
        return tmp_path / "packets", "is a folder: give the packet's file name, in it or elsewhere"
    if kind == "pipe":
        os.mkfifo(tmp_path / "pipe")
        return tmp_path / "pipe", PLAIN_FILE
    if kind == "device":  # /dev/null's own kind, made here: the real one is never risked
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        return tmp_path / "null", PLAIN_FILE
    if kind == "link to a pipe":
        os.mkfifo(tmp_path / "pipe")
        (tmp_path / "link.pdf").symlink_to(tmp_path / "pipe")
        return tmp_path / "link.pdf", PLAIN_FILE
    if kind == "under a file":
        (tmp_path / "notes.txt").write_text("mine")
        return (tmp_path / "notes.txt" / "p.pdf",
                f"cannot be saved: {tmp_path / 'notes.txt'} is not a folder")
    if kind == "link loop":
        (tmp_path / "a.pdf").symlink_to(tmp_path / "b.pdf")
        (tmp_path / "b.pdf").symlink_to(tmp_path / "a.pdf")
        return tmp_path / "a.pdf", "is a loop of symbolic links: give another file name"
    raise AssertionError(kind)


PLAIN_FILE = ("is not a plain file (it is a device, a pipe or a socket): give the name of a "
              "PDF file to write")


def unchanged(path):
    """What writing would change. Not the access time: reading a link may move it."""
    found = path.lstat()
    return found.st_ino, found.st_mode, found.st_size, found.st_mtime_ns


@pytest.mark.parametrize("kind", ["folder", "pipe", "device", "link to a pipe", "under a file",
                                  "link loop"])
def test_output_that_cannot_be_a_packet_file_is_a_usage_error(tmp_path, kind):
    target, reason = not_a_plain_file(tmp_path, kind)
    before = {p: unchanged(p) for p in tmp_path.rglob("*")}
    code, out, err = packet_command(tmp_path, "-o", str(target))
    assert (code, err.strip().splitlines(), out) == (2, [f"error: -o {target} {reason}"], "")
    after = {p: unchanged(p) for p in tmp_path.rglob("*")}
    assert after == before  # nothing written, replaced or left half-done beside it


def test_a_packet_the_file_system_refuses_is_one_line(tmp_path):
    target = tmp_path / ("p" * 300 + ".pdf")  # longer than any file system's name
    code, out, err = packet_command(tmp_path, "-o", str(target))
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        f"error: could not save the packet to {target} (File name too long); nothing was saved"]
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_a_right_to_left_override_in_a_name_cannot_reorder_the_cover(tmp_path):
    """Pasted with a stray U+202E, "Ann" once reversed the date after it
    ("6202 ,2 rebmeceD no"): what staff type is isolated from the words around it."""
    request = PacketRequest(("crisis-help-lines",),
                            Personalisation("Ann\u202e", "Dr. Rivera\u202e",
                                            date=dt.date(2026, 12, 2), note="Hi\u202e there"))
    packet = build_packet(Project(sources=REPO / "sources", brand=REPO / "_brand.yml"), request)
    path = tmp_path / "p.pdf"
    path.write_bytes(packet.data)
    cover = " ".join(page_texts(path)[0].split())
    assert "by" in cover and "on December 2, 2026" in cover
    assert "rebmeceD" not in cover


@pytest.mark.parametrize("field", ["for_name", "clinician", "note"])
def test_a_control_character_in_what_staff_type_is_refused(tmp_path, field):
    from handouts.problems import UsageError

    values = {"for_name": "Ana", "clinician": None, "note": None, field: "Ana\x1b[2J"}
    request = PacketRequest(("crisis-help-lines",), Personalisation(**values))
    with pytest.raises(UsageError, match="control character"):
        build_packet(Project(sources=REPO / "sources", brand=REPO / "_brand.yml"), request)


def test_packet_says_which_documents_are_drafts(tmp_path):
    """Printed with the watermark, but not to be emailed: said at each draft's source."""
    import io

    from handouts.cli import main

    err = io.StringIO()
    code = main(["packet", "crisis-help-lines", "--for", "Ana", "-o", str(tmp_path / "p.pdf"),
                 "--sources", str(REPO / "sources"), "--brand", str(REPO / "_brand.yml"),
                 "--out", str(tmp_path / "output")], stdout=io.StringIO(), stderr=err)
    assert code == 0
    [line] = [line for line in err.getvalue().splitlines() if "is a draft" in line]
    assert line.endswith("crisis-help-lines.md: warning: \u201cCrisis and help lines\u201d is a "
                         "draft: it prints with the DRAFT mark, and is not emailed to a family "
                         "until a clinician approves it")
