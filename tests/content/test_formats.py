"""Print formats read back from the built PDFs: sizes, panels, large type, cards, bleed."""

import re

import pikepdf
import pytest
from conftest import Workspace, baselines, char_boxes, font_size_at, page_texts, source_text

INCH = 72
CLEAR = 0.25 * INCH  # kept clear of every fold and edge


def boxes(pdf) -> list[list[float]]:
    with pikepdf.open(pdf) as doc:
        return [[float(v) for v in page.MediaBox] for page in doc.pages]


# -- sizes and page counts ----------------------------------------------------------

def test_every_format_has_its_size_and_page_count(shipped_out):
    assert boxes(shipped_out / "brochure" / "safe-storage-disposal.pdf") == [[0, 0, 792, 612]] * 2
    assert boxes(shipped_out / "card" / "wallet-card.pdf") == [[0, 0, 612, 792]] * 2
    handout = boxes(shipped_out / "handout" / "klonopin-overview.pdf")
    large = boxes(shipped_out / "large-print" / "klonopin-overview.pdf")
    assert set(map(tuple, handout)) == set(map(tuple, large)) == {(0, 0, 612, 792)}
    assert len(large) > len(handout)  # the same content, in larger type


def test_catalog_lists_every_format(shipped_out):
    import json
    catalog = json.loads((shipped_out / "catalog.json").read_text())
    formats = {(e["format"], e["slug"]) for e in catalog["files"]}
    assert {("handout", "klonopin-overview"), ("large-print", "klonopin-overview"),
            ("brochure", "safe-storage-disposal"), ("card", "wallet-card"),
            ("card", "naloxone")} <= formats


# -- the tri-fold brochure -------------------------------------------------------------

def panels(page_width: float, outside: bool) -> list[tuple[float, float]]:
    """Each panel's horizontal range in points: the flap is 1/16 in narrower."""
    wide = (page_width + INCH / 16) / 3
    widths = [wide - INCH / 16, wide, wide] if outside else [wide, wide, wide - INCH / 16]
    edges = [0]
    for width in widths:
        edges.append(edges[-1] + width)
    return list(zip(edges, edges[1:], strict=False))


def panel_of(box, ranges) -> int | None:
    left, _, right, _ = box
    for index, (start, end) in enumerate(ranges):
        if start + CLEAR - 0.5 <= left and right <= end - CLEAR + 0.5:
            return index
    return None


@pytest.fixture(scope="module")
def brochure(shipped_out):
    return shipped_out / "brochure" / "safe-storage-disposal.pdf"


def text_in_panel(pdf, page_index, text, ranges) -> set[int]:
    """The panels in which the characters of `text` lie."""
    chars = char_boxes(pdf, page_index)
    joined = "".join(c for c, _ in chars)
    start = joined.find(text.replace(" ", ""))
    assert start >= 0, f"{text!r} not on page {page_index + 1}"
    return {panel_of(box, ranges) for _, box in chars[start:start + len(text.replace(" ", ""))]}


def test_outside_is_flap_back_cover_front_cover(brochure):
    ranges = panels(11 * INCH, outside=True)
    assert text_in_panel(brochure, 0, "Resources", ranges) == {0}
    assert text_in_panel(brochure, 0, "Questions? Contact Essence Healthcare", ranges) == {1}
    assert text_in_panel(brochure, 0, "Help right now, any time", ranges) == {1}
    assert text_in_panel(brochure, 0, "Store and get rid of", ranges) == {2}
    assert text_in_panel(brochure, 0, "Lock them up, and take back", ranges) == {2}


def test_inside_carries_the_body_in_three_panels(brochure):
    ranges = panels(11 * INCH, outside=False)
    assert text_in_panel(brochure, 1, "Lock up your medicines", ranges) == {0}
    assert text_in_panel(brochure, 1, "What to do next", ranges) == {2}


@pytest.mark.parametrize("page_index, outside", [(0, True), (1, False)])
def test_nothing_within_a_quarter_inch_of_a_fold_or_edge(brochure, page_index, outside):
    ranges = panels(11 * INCH, outside)
    for char, box in char_boxes(brochure, page_index):
        assert panel_of(box, ranges) is not None, (char, box)
        assert box[1] >= CLEAR - 0.5 and box[3] <= 8.5 * INCH - CLEAR + 0.5, (char, box)


def test_a4_brochure_panels_follow_the_sheet(tmp_path):
    ws = Workspace(tmp_path)
    ws.brand.write_text(ws.brand.read_text().replace("paper: letter", "paper: a4"))
    ws.write("short.md", source_text("title: A short brochure\nsummary: Short.\nformats: [brochure]",
                                     "## What it is\n\nA few words.\n\n## What to do next\n\nCall us.\n"))
    assert ws.run("build", "short").code == 0
    pdf = ws.pdf("short.pdf", "brochure")
    width = 297 / 25.4 * INCH
    assert [round(v) for v in boxes(pdf)[0]] == [0, 0, round(width), round(210 / 25.4 * INCH)]
    assert text_in_panel(pdf, 0, "A short brochure", panels(width, outside=True)) == {2}
    for index, outside in ((0, True), (1, False)):
        for char, box in char_boxes(pdf, index):
            assert panel_of(box, panels(width, outside)) is not None, (char, box)


def test_content_that_does_not_fit_six_panels_is_an_error(tmp_path):
    ws = Workspace(tmp_path)
    paragraph = "Take your medicine as your prescriber says, and ask before you change it. " * 6
    body = "\n\n".join(f"## Part {n}\n\n{paragraph}" for n in range(14))
    ws.write("too-long.md", source_text("title: Too long\nsummary: Far too long.\nformats: [brochure]", body))
    run = ws.run("build", "too-long")
    assert run.code == 1
    [line] = run.error_lines
    assert re.search(r"too-long\.md: error: brochure: 'too-long' does not fit: about \d+\.\d in "
                     r"\(some \d+ lines\) more than its 2 pages hold", line), line
    assert not ws.pdf("too-long.pdf", "brochure").exists()  # never a silent cut, never a third page


def many_resources(ws: Workspace, count: int) -> str:
    """`count` resources in the workspace's list; the Markdown that cites them all."""
    entries = "".join(f"r{n}:\n  title: Resource {n}\n  publisher: A publisher\n"
                      f"  url: https://example.org/r{n}\n\n" for n in range(count))
    (ws.sources / "resources.yaml").write_text(entries)
    return " ".join(f"Fact {n} [@r{n}]." for n in range(count))


def test_more_resources_than_the_flap_holds_is_one_line_not_a_crash(tmp_path):
    """The flap is one panel: WeasyPrint cannot continue it on another sheet."""
    ws = Workspace(tmp_path)
    facts = many_resources(ws, 7)
    ws.write("many.md", source_text("title: Many sources\nsummary: Short.\n"
                                    "formats: [handout, brochure]", f"## Facts\n\n{facts}\n"))
    ws.write("other.md", source_text("title: Other\nsummary: Short.", "## Next\n\nCall us.\n"))
    run = ws.run("build")
    assert run.code == 1
    [line] = run.error_lines
    assert line == ("sources/many.md: error: brochure: 'many' cites 7 resources (with the safety "
                    "blocks it places), more than the 6 its list has room for; cite fewer, or "
                    "take brochure out of its formats").replace("sources/", f"{ws.sources}/")
    assert not ws.pdf("many.pdf").exists()  # a document builds whole, or not at all
    assert ws.pdf("other.pdf").exists()


# -- large print -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def large(shipped_out):
    return shipped_out / "large-print" / "klonopin-overview.pdf"


def test_large_print_type_sizes(large):
    assert font_size_at(large, 0, "Klonopin is a brand name") >= 18
    assert font_size_at(large, 0, "What is Klonopin?") >= 22
    assert font_size_at(large, 0, "Klonopin (clonazepam)") >= 22
    pages = page_texts(large)
    resources = next(i for i, text in enumerate(pages) if "Resources" in text)
    assert font_size_at(large, resources, "Resources") >= 22


def test_large_print_lines_are_spaced_and_short(large):
    lines = baselines(large, 0, "Klonopin is a brand name", 150)
    assert len(lines) >= 3
    gaps = [a - b for a, b in zip(lines, lines[1:], strict=False)]
    assert min(gaps) >= 1.5 * 18 - 0.5  # line spacing at least 1.5
    chars = char_boxes(large, 0)
    left = min(box[0] for _, box in chars)
    right = max(box[2] for _, box in chars if box[1] > 1 * INCH)  # above the footer
    assert right - left <= 6 * INCH + 1


def test_large_print_has_no_text_on_shading(large):
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(large)
    try:
        # Every character sits on white paper: sample the pixel under each one's corner.
        image = pdf[0].render(scale=3).to_pil().convert("RGB")
    finally:
        pdf.close()
    def watermark(rgb):  # the draft mark's faint red, or its blend with white, is not shading
        r, g, b = rgb
        return r >= 230 and abs(g - b) <= 3 and 3 <= r - g <= 25

    for char, (left, bottom, right, top) in char_boxes(large, 0):
        # The lightest pixel of a character's box is the paper showing between its strokes.
        # (widened by a point each way: a hyphen's box is all ink)
        region = image.crop((int(3 * (left - 1)), int(3 * (792 - top - 1)), int(3 * (right + 1)),
                             int(3 * (792 - bottom + 1))))
        pixels = region.get_flattened_data() if hasattr(region, "get_flattened_data") else region.getdata()
        paper = max(pixels, key=sum)
        assert min(paper) >= 245 or watermark(paper), (char, paper)


# -- the wallet card -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def cards(shipped_out):
    return shipped_out / "card" / "wallet-card.pdf"


def test_ten_cards_a_sheet_fronts_then_backs(cards):
    front, back = page_texts(cards)
    assert front.count("Essence Healthcare") == 10
    assert front.count("[Clinic phone number]") == 10
    assert back.count("Help right now, any time") == 10
    assert back.count("Call or text 988") == 10
    assert back.count("Call 1-800-662-HELP (4357)") == 10


def test_cards_sit_in_a_grid_registered_for_duplex(cards):
    """Flipped on its long edge, the back of the sheet puts each back behind a front:
    the backs' grid is the fronts' grid mirrored about the middle of the sheet."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(cards)
    try:
        bands = []  # each front's band in the brand colour, inset 0.15 in in its card
        for obj in pdf[0].get_objects(max_depth=1):
            edges = [ctypes.c_float() for _ in range(4)]
            raw.FPDFPageObj_GetBounds(obj.raw, *[ctypes.byref(e) for e in edges])
            left, bottom, right, top = (e.value for e in edges)
            if obj.type == raw.FPDF_PAGEOBJ_PATH and 3 * INCH < right - left < 3.5 * INCH:
                bands.append((left, top))
    finally:
        pdf.close()
    inset = 0.15 * INCH
    card_lefts = {round(left - inset, 1) for left, _ in bands}
    assert len(bands) == 10 and len(card_lefts) == 2
    chars = char_boxes(cards, 1)
    joined = "".join(c for c, _ in chars)
    backs, start = [], joined.find("Helprightnow")
    while start >= 0:
        backs.append(chars[start][1])
        start = joined.find("Helprightnow", start + 1)
    assert len(backs) == 10
    mirrored = {round(8.5 * INCH - (left + 3.5 * INCH), 1) for left in card_lefts}
    back_lefts = sorted({round(box[0] - inset) for box in backs})
    assert len(back_lefts) == 2  # a glyph's side bearing is well under the 1.5 pt allowed
    assert all(abs(a - b) <= 1.5 for a, b in zip(back_lefts, sorted(mirrored), strict=True))
    # Row by row too: each back's first line sits in the band of the same row's front.
    front_rows = sorted({round(top) for _, top in bands}, reverse=True)
    back_rows = sorted({round(box[3]) for box in backs}, reverse=True)
    assert len(front_rows) == len(back_rows) == 5
    assert all(0 <= front - back <= 0.5 * INCH for front, back in zip(front_rows, back_rows, strict=True))


def test_card_for_a_source_that_asks_for_one(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("help-lines.md", source_text("title: Help lines\nsummary: Who to call.\nformats: [card]",
                                          "## What to do next\n\nCall us.\n"))
    assert ws.run("build", "help-lines").code == 0
    front, back = page_texts(ws.pdf("help-lines.pdf", "card"))
    assert front.count("Help lines") == 10


# -- print profiles ---------------------------------------------------------------------

def test_office_profile_keeps_everything_inside_printable_margins(shipped_out):
    for fmt, name in [("handout", "klonopin-overview"), ("large-print", "klonopin-overview"),
                      ("brochure", "safe-storage-disposal"), ("card", "wallet-card")]:
        pdf = shipped_out / fmt / f"{name}.pdf"
        for index, (_, _, width, height) in enumerate(boxes(pdf)):
            for char, (left, bottom, right, top) in char_boxes(pdf, index):
                assert left >= CLEAR and bottom >= CLEAR, (fmt, char)
                assert right <= width - CLEAR and top <= height - CLEAR, (fmt, char)
        with pikepdf.open(pdf) as doc:
            for page in doc.pages:
                assert [float(v) for v in page.TrimBox] == [float(v) for v in page.MediaBox]


def test_print_shop_adds_bleed_and_crop_marks(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("short.md", source_text("title: A short brochure\nsummary: Short.\nformats: [brochure]",
                                     "## What it is\n\nA few words.\n\n## What to do next\n\nCall us.\n"))
    assert ws.run("build", "--print-shop").code == 0
    bleed = 0.125 * INCH
    with pikepdf.open(ws.pdf("short.pdf", "brochure")) as doc:
        for page in doc.pages:
            assert [float(v) for v in page.TrimBox] == [0, 0, 792, 612]
            assert [float(v) for v in page.BleedBox] == [-bleed, -bleed, 792 + bleed, 612 + bleed]
    with pikepdf.open(ws.pdf("wallet-card.pdf", "card")) as doc:
        assert len(doc.pages) == 2  # one card, front and back, for the shop to impose
        for page in doc.pages:
            assert [float(v) for v in page.TrimBox] == [0, 0, 252, 144]
            assert [float(v) for v in page.BleedBox] == [-bleed, -bleed, 252 + bleed, 144 + bleed]
    import json
    catalog = json.loads((ws.out / "catalog.json").read_text())
    profiles = {e["format"]: e["profile"] for e in catalog["files"]}
    assert profiles == {"brochure": "print-shop", "card": "print-shop"}


def test_print_shop_is_a_brand_setting_too(tmp_path):
    ws = Workspace(tmp_path)
    ws.brand.write_text(ws.brand.read_text().replace("print_profile: office", "print_profile: print-shop"))
    assert ws.run("build", "wallet-card").code == 0
    with pikepdf.open(ws.pdf("wallet-card.pdf", "card")) as doc:
        assert [float(v) for v in doc.pages[0].TrimBox] == [0, 0, 252, 144]


@pytest.mark.parametrize("fmt", ["handout", "large-print"])
def test_no_text_runs_under_a_qr_code(shipped_out, fmt):
    from conftest import qr_squares

    for pdf in sorted((shipped_out / fmt).glob("*.pdf")):
        for index in range(len(boxes(pdf))):
            squares = qr_squares(pdf, index)
            for char, (left, bottom, right, top) in char_boxes(pdf, index):
                for q_left, q_bottom, q_right, q_top in squares:
                    inside = left < q_right and right > q_left and bottom < q_top and top > q_bottom
                    assert not inside, (pdf.name, index + 1, char)


def test_large_print_is_18_pt_throughout(shipped_out):
    """Every character of every large-print page, footers included, at 18 pt or more;
    only the superscript citation numbers are smaller (and a callout's kind in words,
    drawn invisible at 0.1 pt for screen readers)."""
    from conftest import char_boxes, char_sizes, figure_boxes

    for pdf in sorted((shipped_out / "large-print").glob("*.pdf")):
        figures = figure_boxes(pdf)
        for index in range(len(boxes(pdf))):
            # The words a picture draws on itself ("911" on a phone) are sized with it.
            in_pictures = {i for i, (_, (left, bottom, right, top)) in enumerate(char_boxes(pdf, index))
                           if any(fl <= left and right <= fr and fb <= bottom and top <= ft
                                  for fl, fb, fr, ft in figures.get(index, []))}
            small = {char for i, (char, size) in enumerate(char_sizes(pdf, index))
                     if 1 <= size < 18 and i not in in_pictures}
            assert small <= set("0123456789,"), (pdf.name, index + 1, small)  # citations


def test_one_page_crisis_sheet_and_one_sheet_naloxone(shipped_out):
    pages = {pdf.name: len(boxes(pdf)) for pdf in (shipped_out / "handout").glob("*.pdf")}
    assert pages["crisis-help-lines.pdf"] == pages["crisis-help-lines.es.pdf"] == 1
    # The naloxone handout is one sheet: the whole response on its front page.
    assert pages["naloxone.pdf"] == 2
    front = " ".join(page_texts(shipped_out / "handout" / "naloxone.pdf")[0].split())
    assert "Signs of an overdose" in front and "5. Stay with them until help comes." in front
    assert max(pages.values()) <= 5, pages


@pytest.mark.parametrize("fmt", ["handout", "large-print"])
def test_no_handout_ends_on_a_page_mostly_blank(shipped_out, fmt):
    """A handout of two pages or more ends on a page at least 40% used: the text and
    pictures of its last page reach at least that far down the text area."""
    from conftest import char_boxes

    for pdf in sorted((shipped_out / fmt).glob("*.pdf")):
        sizes = boxes(pdf)
        if len(sizes) < 2:
            continue
        page_top, page_bottom = text_area(fmt)
        lowest = min(bottom for _, (_, bottom, _, _) in char_boxes(pdf, len(sizes) - 1)
                     if bottom > page_bottom)  # the running footer sits below the text area
        used = (page_top - lowest) / (page_top - page_bottom)
        assert used >= 0.4, (pdf.name, len(sizes), round(used, 2))


def text_area(fmt: str) -> tuple[float, float]:
    """The top and bottom of a Letter page's text area, in PDF points from its foot
    (the margins of styles/handout.css and styles/large-print.css)."""
    top, bottom = {"handout": (0.6, 0.72), "large-print": (0.75, 1.15)}[fmt]
    return 11 * INCH - top * INCH, bottom * INCH


def test_a_cover_whose_words_run_into_its_picture_is_an_error(tmp_path):
    ws = Workspace(tmp_path)
    summary = " ".join(["This summary goes on and on, far longer than a cover can hold."] * 9)
    ws.write("wordy.md", source_text(f"title: A title long enough to take three lines of the cover\n"
                                     f"summary: {summary}\nformats: [brochure]",
                                     "## What to do next\n\nCall us.\n"))
    run = ws.run("build", "wordy")
    assert run.code == 1
    [problem] = run.error_lines
    assert re.search(r"wordy\.md: error: brochure: the words run \d\.\d\d in over the cover "
                     r"picture; shorten the title, subtitle or summary$", problem), problem
    assert not ws.pdf("wordy.pdf", "brochure").exists()
