"""The search index: made with the catalog, from the words a handout prints, with the
synonyms staff search by; read by the staff app."""

import pytest
from conftest import GOOD_SOURCE, source_text, where_of

from handouts.library.search import INDEX, SearchIndex, read_synonyms


def search(workspace, text: str):
    return SearchIndex(workspace.out).search(text)


def test_a_build_makes_the_index_with_the_catalog(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    workspace.write("other.md", source_text("title: Other\nsummary: Something else.",
                                            "Keep it locked away from children.\n"))
    assert workspace.run("build", "--format", "handout").code == 0
    assert (workspace.out / INDEX).is_file()
    assert search(workspace, "opioids").slugs == ("staying-safe",)  # in its body
    assert search(workspace, "children").slugs == ("other",)
    assert search(workspace, "KLONOPIN").slugs == ("staying-safe",)  # from its table, any case


def test_the_index_is_made_again_only_when_what_it_is_made_from_changes(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build", "--format", "handout").code == 0
    index = workspace.out / INDEX
    made = index.stat().st_mtime_ns
    assert workspace.run("build", "--format", "handout").code == 0
    assert index.stat().st_mtime_ns == made  # nothing changed: not written again
    assert search(workspace, "zzbrand").slugs == ()
    (workspace.sources / "synonyms.yml").write_text(
        "review:\n  status: draft\nsynonyms:\n  - [clonazepam, Klonopin, Zzbrand]\n")
    assert workspace.run("build", "--format", "handout").code == 0  # no PDF to render
    assert index.stat().st_mtime_ns != made
    assert search(workspace, "zzbrand").slugs == ("staying-safe",)


def test_a_misspelling_is_corrected_and_the_nearest_title_offered(workspace):
    workspace.write("staying-safe.md", GOOD_SOURCE)
    assert workspace.run("build", "--format", "handout").code == 0
    found = search(workspace, "benzoss")
    assert found.slugs == ("staying-safe",) and found.searched == "benzos"
    assert found.nearest == ("staying-safe", "Staying safe with benzos")
    nothing = search(workspace, "qqqzzz")
    assert nothing.slugs == () and nothing.searched is None and nothing.nearest is None


@pytest.mark.parametrize("text, line, message", [
    ("synonyms: [naloxone, Narcan]\n", 1, "synonyms is a list of groups, one a line"),
    ("synonyms:\n  - [naloxone]\n", 2, "a group of synonyms is a list of 2 to 20 names"),
    ("synonyms:\n  - [naloxone, 'Nar;can']\n", 2, "'Nar;can' is not a name"),
    ("synonym:\n  - [a, b]\n", 1, "unknown field 'synonym'; known: review, synonyms"),
    ("synonyms:\n  - [a, b\n", 3, "invalid YAML"),
])
def test_a_synonyms_table_mistake_is_one_line_at_its_place(workspace, text, line, message):
    path = workspace.sources / "synonyms.yml"
    path.write_text(text)
    _, problems = read_synonyms(path)
    [problem] = problems
    assert problem.line == line and message in problem.message, problem
    workspace.write("staying-safe.md", GOOD_SOURCE)
    run = workspace.run("build", "--format", "handout")
    assert any(where_of(p) == (str(path), line) for p in run.error_lines), run.err
    assert workspace.pdf("staying-safe.pdf").exists()  # the documents still build


def test_check_says_the_synonyms_are_a_draft_until_approved(workspace):
    path = workspace.sources / "synonyms.yml"
    path.write_text("review:\n  status: draft\nsynonyms:\n  - [naloxone, Narcan]\n")
    workspace.write("staying-safe.md", GOOD_SOURCE)
    run = workspace.run("check")
    assert any(line.startswith(f"{path}:1: warning[synonyms]:") for line in run.error_lines)
    path.write_text("review:\n  status: approved\nsynonyms:\n  - [naloxone, Narcan]\n")
    assert not any("[synonyms]" in line for line in workspace.run("check").error_lines)
