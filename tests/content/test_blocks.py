"""Safety blocks: written once in sources/blocks, placed by name, read back from PDFs."""

import json
import shutil

import pytest
from conftest import REPO, page_texts, pdftotext, source_text, watermark_share, where_of

BLOCK = """\
title: Do not stop
review:
  status: {status}
en:
  text: |
    !!! warning "Do not stop on your own"
        Stopping all at once can cause seizures [@medlineplus-clonazepam].

        1. Talk with your doctor first.
        2. Ask for a slow plan.
  card: |
    **Do not stop on your own.**

    1. Talk with your doctor first.
es:
  text: |
    !!! warning "No la deje por su cuenta"
        Dejarla de golpe puede causar convulsiones [@medlineplus-clonazepam].

        1. Hable antes con su médico.
"""


def write_block(workspace, name="stop", text=None, status="draft"):
    folder = workspace.sources / "blocks"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text if text is not None else BLOCK.format(status=status), encoding="utf-8")
    return path


def text_of(pdf) -> str:
    return " ".join(pdftotext(pdf).split())


def test_a_block_prints_where_it_is_placed_with_its_citations_numbered(workspace):
    write_block(workspace)
    workspace.write("doc.md", source_text("title: T\nsummary: S", """\
        ## First

        Benzos slow your breathing [@nida-benzodiazepines-opioids].

        [[stop]]

        ## After

        More words.
        """))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 0, run.err
    text = text_of(workspace.pdf("doc.pdf"))
    assert text.index("slow your breathing") < text.index("Do not stop on your own") < text.index("After")
    assert "Talk with your doctor first." in text and "[[stop]]" not in text
    # The block's citation is numbered with the document's: the second resource.
    assert "can cause seizures2" in text.replace(" 2", "2")
    assert "Clonazepam" in text  # in the resource list


def test_a_translation_prints_the_blocks_own_translation(workspace):
    write_block(workspace)
    workspace.write("doc.es.md", source_text("title: T\nsummary: S", "[[stop]]\n"))
    assert workspace.run("build", "--format", "handout").code == 0
    text = text_of(workspace.pdf("doc.es.pdf"))
    assert "No la deje por su cuenta" in text and "Do not stop" not in text


def test_a_block_without_the_documents_language_is_an_error_never_english(workspace):
    write_block(workspace, text=BLOCK.format(status="draft").split("es:\n")[0])
    workspace.write("doc.es.md", source_text("title: T\nsummary: S", "Texto.\n\n[[stop]]\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    [line] = [line for line in run.error_lines if ": error: " in line]
    assert line.endswith("doc.es.md:8: error: the [[stop]] block has no 'es' text yet: add 'es: "
                         "text: |' to stop.yml (never print another language's safety advice)")
    assert not workspace.pdf("doc.es.pdf").exists()


@pytest.mark.parametrize("body, line, message", [
    ("[[stpo]]\n", "6:1", "'[[stpo]]' is not a block this project has; known: [[crisis-lines]], "
                        "[[contact]], [[stop]]"),
    ("Words [[stop]] here.\n", 6, "write [[stop]] on a line of its own, with a blank line "
                                  "before and after"),
    ("Words.\n[[stop]]\n", 7, "write [[stop]] on a line of its own, with a blank line before "
                              "and after"),
])
def test_a_mark_that_cannot_be_placed_is_an_error_at_its_line(workspace, body, line, message):
    write_block(workspace)
    workspace.write("doc.md", source_text("title: T\nsummary: S", body))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert [found for found in run.error_lines if ": error: " in found] == [
        f"{workspace.sources / 'doc.md'}:{line}: error: {message}"]
    if "stpo" in body:  # under it, the line with a caret, and the name it comes near
        assert run.excerpts == ["  6 | [[stpo]]", "    | ^^^^^^^^", "    = hint: did you mean [[stop]]?"]


@pytest.mark.parametrize("text, line, message", [
    ("title: T\nreview:\n  status: draft\nes:\n  text: Hola\n", 1,
     "a block needs its English text, under 'en: text: |'"),
    ("title: T\nen:\n  text: Hi\n  cards: Hi\n", 4, "unknown setting 'cards' under 'en:'"),
    ("title: T\nen:\n  text: Hi\nreview:\n  status: done\n", 5,
     "review status must be 'draft' or 'approved', not 'done'"),
    ("title: T\nen: Hi\n", 2, "'en:' holds 'text: |' and the block's Markdown below it"),
    ("en:\n  text: Hi\n", 1, "'title' is required"),
    ("title: [T\n", 2, "invalid YAML"),
])
def test_a_broken_block_file_names_its_line_and_its_documents_fail(workspace, text, line, message):
    path = write_block(workspace, text=text)
    workspace.write("doc.md", source_text("title: T\nsummary: S", "[[stop]]\n"))
    workspace.write("other.md", source_text("title: Other\nsummary: S", "No block here.\n"))
    run = workspace.run("build", "--format", "handout")
    assert run.code == 1
    assert any(where_of(found) == (str(path), line) and f"error: {message}" in found
               for found in run.error_lines), run.err
    assert any(found.endswith("doc.md:6: error: the [[stop]] block cannot be used until stop.yml "
                          "in the blocks folder is fixed") for found in run.error_lines), run.err
    assert workspace.pdf("other.pdf").exists() and not workspace.pdf("doc.pdf").exists()


def test_a_draft_block_makes_an_approved_document_print_as_a_draft(workspace):
    write_block(workspace, status="draft")
    front = ("title: T\nsummary: S\nreview:\n  status: approved\n  reviewed_by: Dr. A\n"
             "  reviewed_on: 2026-11-01")
    workspace.write("doc.md", source_text(front, "[[stop]]\n"))
    assert workspace.run("build", "--format", "handout").code == 0
    pdf = workspace.pdf("doc.pdf")
    assert watermark_share(pdf, 0) > 0.01
    assert "Draft, not yet clinically reviewed" in page_texts(pdf)[0]
    catalog = json.loads((workspace.out / "catalog.json").read_text())
    [entry] = [e for e in catalog["files"] if e["slug"] == "doc"]
    assert entry["status"] == "draft"

    write_block(workspace, status="approved")  # the clinician approves the block
    assert workspace.run("build", "--format", "handout").code == 0
    assert watermark_share(workspace.pdf("doc.pdf"), 0) < 0.001


def test_editing_a_block_rebuilds_the_documents_that_place_it_and_only_those(workspace):
    write_block(workspace)
    workspace.write("with.md", source_text("title: With\nsummary: S", "[[stop]]\n"))
    workspace.write("without.md", source_text("title: Without\nsummary: S", "Words.\n"))
    assert workspace.run("build", "--format", "handout").code == 0
    assert workspace.run("build", "--format", "handout").summary.startswith("Built 0 PDFs")
    path = write_block(workspace, text=BLOCK.format(status="draft").replace(
        "Talk with your doctor first.", "Talk with your prescriber first."))
    run = workspace.run("build", "--format", "handout")
    assert run.summary.startswith("Built 1 PDF"), run.out
    assert "Talk with your prescriber first." in text_of(workspace.pdf("with.pdf"))
    assert path.exists()


def test_a_card_carries_the_blocks_short_form_on_its_back(workspace):
    write_block(workspace)
    workspace.write("doc.md", source_text("title: A card\nsummary: S\nformats: [card]", "[[stop]]\n"))
    assert workspace.run("build", "--format", "card").code == 0
    fronts, backs = page_texts(workspace.pdf("doc.pdf", "card"))
    assert backs.count("Do not stop on your own.") == 10  # ten cards to a sheet
    assert "Help right now, any time" not in backs and "A card" in fronts


CARD = "  card: |\n    **Do not stop on your own.**\n\n    1. Talk with your doctor first.\n"


@pytest.mark.parametrize("card, message", [
    # Before: exit 0, the words piled onto the next card and "Call 911" was on none.
    ("  card: |\n    " + "Filler words here. " * 60 + "\n\n    **Do not stop on your own.**\n",
     "card: the words on the card run "),
    ("  card: |\n    Ask first [@medlineplus-clonazepam].\n",  # printed as written
     "a wallet card has no resource list, so its text cites nothing"),
    ("  card: |\n    [Call](javascript:alert(1)) first.\n",  # dropped without a word
     "cannot be printed on a card"),
    ("  card: |\n    ![A box](images/none.svg)\n",  # failed, with no line
     "card: image 'images/none.svg' not found"),
])
def test_a_cards_text_is_checked_as_a_body_is_at_its_line(workspace, card, message):
    path = write_block(workspace, text=BLOCK.format(status="draft").replace(CARD, card))
    workspace.write("doc.md", source_text("title: A card\nsummary: S\nformats: [card]",
                                          "[[stop]]\n"))
    workspace.write("other.md", source_text("title: Other\nsummary: S", "Words.\n"))
    run = workspace.run("build", "--format", "card,handout")
    assert run.code == 1 and "Traceback" not in run.err
    [problem] = [line for line in run.error_lines if "doc.md" not in line or "card" in line]
    assert where_of(problem) == (str(path), 12), problem  # the line card: | is on
    assert message in problem
    assert workspace.pdf("other.pdf").exists()


def test_a_block_may_not_place_another(workspace):
    write_block(workspace)
    write_block(workspace, name="outer", text="title: Outer\nen:\n  text: |\n    Words.\n\n"
                                              "    [[stop]]\n")
    run = workspace.run("check", "--json", "--brand", str(workspace.brand))
    findings = json.loads(run.out)["findings"]
    assert any(f["rule"] == "blocks" and f["line"] == 6 and "cannot place another block"
               in f["message"] for f in findings)


# -- the shipped blocks ---------------------------------------------------------------

def shipped_blocks():
    from handouts.content.blocks import load_blocks

    loaded = load_blocks(REPO / "sources" / "blocks")
    assert loaded.problems == ()
    return loaded.blocks


def test_the_shipped_blocks_are_the_safety_passages_in_both_languages():
    blocks = shipped_blocks()
    assert set(blocks.entries) == {"overdose", "withdrawal-danger", "do-not-stop",
                                   "do-not-stop-opioid-medicine"}
    for block in blocks.entries.values():
        assert set(block.texts) >= {"en", "es"}
        assert block.review.is_draft  # written here: a clinician approves them


def test_the_opioid_medicine_block_names_the_lower_tolerance_in_both_languages():
    """CONTENT.md: every MOUD document names the danger of a lower tolerance."""
    block = shipped_blocks().get("do-not-stop-opioid-medicine")
    english = " ".join(block.texts["en"].markdown.split())
    spanish = " ".join(block.texts["es"].markdown.split())
    assert "tolerance" in english and "can kill you" in english
    assert "tolerancia" in spanish and "le puede matar" in spanish
    for slug in ("buprenorphine", "methadone"):
        for suffix in ("", ".es"):
            text = (REPO / "sources" / f"{slug}{suffix}.md").read_text()
            assert "[[do-not-stop-opioid-medicine]]" in text, (slug, suffix)


def test_the_overdose_block_is_the_whole_response_in_order():
    """CONTENT.md: 911; naloxone if you have it; a second dose after 2 to 3 minutes;
    on their side; stay, because naloxone can wear off; never a condition."""
    overdose = shipped_blocks().get("overdose")
    english = " ".join(overdose.texts["en"].markdown.split())
    steps = ["Call 911", "Give naloxone", "2 to 3 minutes", "second dose", "on their side",
             "Stay with them", "wear off"]
    steps_text = english[english.index("### What to do"):]
    places = [steps_text.index(step) for step in steps]
    assert places == sorted(places)
    for sign in ("No response", "Slow breathing, or no breathing", "Blue or gray lips",
                 "Tiny pupils", "Snoring or choking"):
        assert sign in english
    assert "do not need a prescription" in english and "does no harm" in english
    spanish = " ".join(overdose.texts["es"].markdown.split())
    for words in ("Llame al 911", "Dele naloxona", "2 a 3 minutos", "segunda dosis", "de lado",
                  "Quédese", "sin receta", "naloxona (Narcan)"):
        assert words in spanish
    for text in (english, spanish):
        assert "images/overdose-steps.svg" in text
    assert "if opioids may be involved" not in english.lower()
    assert "si puede haber opioides" not in spanish.lower()
    assert "Call 911" in overdose.texts["en"].card and "911" in overdose.texts["es"].card


def test_the_withdrawal_block_sends_every_danger_sign_to_911():
    block = shipped_blocks().get("withdrawal-danger")
    english = " ".join(block.texts["en"].markdown.split())
    assert "call 911" in english.lower()
    for sign in ("seizure", "confusion", "hallucinations", "days after the last"):
        assert sign in english
    assert "prescriber" not in english  # an emergency, never a call to the prescriber


def test_a_block_edited_in_place_is_read_again(tmp_path):
    # A long-running process (the staff app, the preview) reads blocks through the cache;
    # an edit in place leaves the folder's own time unchanged.
    import os

    from handouts.content.blocks import read_blocks

    folder = tmp_path / "blocks"
    folder.mkdir()
    shutil.copy(REPO / "sources" / "blocks" / "overdose.yml", folder)
    before = folder.stat()
    assert "Call 911" in read_blocks(folder).blocks.entries["overdose"].texts["en"].markdown
    path = folder / "overdose.yml"
    path.write_text(path.read_text("utf-8").replace("Call 911", "Call 911 now"), "utf-8")
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "Call 911 now" in read_blocks(folder).blocks.entries["overdose"].texts["en"].markdown
