"""The preview's second process lays a document out as it was last fitted: the PDF
kept is the very one the document makes alone, whether the guess was right or not."""

from conftest import REPO

from handouts.content.brand import read_brand
from handouts.content.formats import FORMATS
from handouts.content.sources import read_source
from handouts.preview.ahead import LaidOutAhead
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

    ahead = LaidOutAhead()
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
