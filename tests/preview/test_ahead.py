"""The preview's second process lays a document out as it was last fitted: the PDF
kept is the very one the document makes alone, whether the guess was right or not.
And each PDF's pages are drawn as soon as it is written, while the build stores it."""

import io

import pypdfium2 as pdfium
from conftest import REPO
from PIL import Image

from handouts.content.brand import read_brand
from handouts.content.formats import FORMATS
from handouts.content.sources import read_source
from handouts.preview.ahead import LaidOutAhead
from handouts.preview.pages import PageDrawer
from handouts.project import Project
from handouts.render.document import AHEAD, LOOSER, TIGHTER, read_documents, render_fitted


def test_a_guess_stands_in_for_its_turn_and_changes_no_byte():
    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml")
    brand = read_brand(project.brand)
    # The naloxone handout ends on a third page nearly blank, and is laid out tighter.
    [naloxone] = read_documents([read_source(REPO / "sources" / "naloxone.md")],
                                project.resources).resolved
    handout = FORMATS["handout"]
    alone = render_fitted(naloxone, handout, brand, project, False)
    assert alone[0] == TIGHTER

    written: list[bytes] = []
    ahead = LaidOutAhead(on_written=written.append)
    token = AHEAD.set(ahead)
    try:
        ahead.took(naloxone, handout, TIGHTER)
        guessed = render_fitted(naloxone, handout, brand, project, False)
        assert ahead._heard == 1  # made by the other process, and used
        ahead.took(naloxone, handout, LOOSER[-1])  # a wrong guess: not its turn
        wrong = render_fitted(naloxone, handout, brand, project, False)
    finally:
        AHEAD.reset(token)
        ahead.close()
    assert guessed[0] == wrong[0] == TIGHTER
    assert guessed[1].data == wrong[1].data == alone[1].data
    # Told of each PDF as it is written: the very bytes the build stores.
    assert written == [guessed[1].data, wrong[1].data]


def test_pages_drawn_ahead_are_those_of_the_file_the_build_stored(tmp_path):
    from weasyprint import HTML

    data = HTML(string="<style>@page { size: letter }</style><p>One page.</p>"
                       "<p style='break-before: page'>Another.</p>").write_pdf()
    drawer = PageDrawer()
    try:
        stored = tmp_path / "stored.pdf"
        stored.write_bytes(data)
        drawer.start(data)
        ahead = drawer.images(stored)  # the drawing begun by start
        assert drawer._drawing == {}  # and given out once
        again = drawer.images(stored)  # drawn anew: nothing was begun for it
        stored.write_bytes(b"%PDF-1.7 cut short")
        drawer.start(stored.read_bytes())
        assert drawer.images(stored) == ()  # a file that cannot be read has no pages
        assert drawer.images(tmp_path / "gone.pdf") == ()
    finally:
        drawer.close()
    assert ahead == again and len(ahead) == 2
    document = pdfium.PdfDocument(data)
    for image, page in zip(ahead, document, strict=True):
        drawn = Image.open(io.BytesIO(image))
        assert drawn.format == "PNG" and drawn.size == (816, 1056)  # Letter at 96 dpi
        assert drawn.convert("RGB").tobytes() == page.render(scale=96 / 72).to_pil().convert(
            "RGB").tobytes()
