"""check/salvage: a source whose front matter is wrong is still checked for the rest."""

from pathlib import Path

from handouts.check.reading_level import reading_level
from handouts.check.salvage import salvaged
from handouts.content.sources import SourceFile


def source(text: str) -> SourceFile:
    return SourceFile(Path("sources/x.md"), "x", "en", text, "")


def test_what_can_be_read_of_broken_front_matter_is_kept():
    document = salvaged(source("---\ntitle: Naloxone\nresources: [samhsa-naloxone, 7]\n"
                               "summary: [broken\n---\n\nThe body.\n"))
    assert document is not None
    assert document.body_md.strip() == "The body." and document.body_line == 6
    assert document.meta.title == "" and document.meta.resources == ()  # the YAML did not parse
    fine = salvaged(source("---\ntitle: Naloxone\nresources: [samhsa-naloxone, 7]\n---\nBody"))
    assert fine.meta.title == "Naloxone" and fine.meta.resources == ("samhsa-naloxone",)


def test_no_front_matter_is_all_body_and_an_unclosed_one_is_nothing():
    assert salvaged(source("Just text.\n")).body_line == 1
    assert salvaged(source("---\ntitle: x\nno end")) is None
    assert salvaged(source("  \n")) is None


def test_a_salvaged_body_is_still_held_to_the_reading_level():
    hard = ("Pharmacological interventions necessitate comprehensive interdisciplinary "
            "consideration of contraindications, notwithstanding extraordinarily "
            "individualised therapeutic circumstances. ") * 6
    document = salvaged(source(f"---\ntitle: [\n---\n{hard}\n"))
    score, found = reading_level(document)
    assert score.value > 8
    assert any(p.rule == "grade" and p.is_error for p in found)
