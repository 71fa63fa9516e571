"""`check`: each rule fails on a source that breaks it and passes on one that keeps it."""

import datetime as dt
import json
import re
import subprocess
import sys

import pytest
from conftest import REPO, source_text

from handouts.cli import main

TODAY = dt.date.today()
EASY = """\
## What it is

Klonopin is a medicine. It helps with panic. It can make you sleepy. Take it
just as your doctor says. Do not take more. Do not stop on your own. Your
doctor can help you stop slowly. Ask us if you have questions.

## What to do next

1. Take it just as your doctor says.
2. Ask your care team if you have questions. We are here to help you.
"""
HARD = """\
## Pharmacology

Clonazepam, a long-acting benzodiazepine derivative, potentiates gamma-aminobutyric
acid neurotransmission, consequently producing anxiolytic, anticonvulsant, sedative
and muscle-relaxant pharmacodynamic effects that necessitate individualized
therapeutic monitoring, particularly considering interindividual variability in
hepatic metabolism.

## What to do next

Call us.
"""


def front(**extra) -> str:
    lines = {"title": "Klonopin basics", "summary": "Take it as prescribed.", **extra}
    return "\n".join(f"{key}: {value}" for key, value in lines.items())


def findings(workspace, *args):
    run = workspace.run("check", "--json", "--brand", str(workspace.brand), *args)
    report = json.loads(run.out)
    return run.code, report


def rules(report, path=None):
    return [(f["rule"], f["severity"]) for f in report["findings"]
            if path is None or f["path"].endswith(path)]


def of_rule(report, rule):
    return [f for f in report["findings"] if f["rule"] == rule]


# -- the shipped library ----------------------------------------------------------

def test_shipped_library_passes(capsys):
    code = main(["check", "--sources", str(REPO / "sources"), "--brand", str(REPO / "_brand.yml")])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == ["DOCUMENT", "LANG", "READING", "WORDS", "WARNINGS", "ERRORS"]
    assert "klonopin-overview.md" in out


def test_terminal_output_is_compiler_style_with_rule_ids(workspace):
    workspace.write("hard.md", source_text(front(), HARD))
    run = workspace.run("check", "--brand", str(workspace.brand))
    assert run.code == 1
    line = next(found for found in run.err.splitlines() if "[grade]" in found)
    assert line.startswith(f"{workspace.sources / 'hard.md'}:")
    assert ": error[grade]: " in line
    assert "reads at grade" in line and "(aim 6, limit 8)" in line
    row = next(found for found in run.out.splitlines() if "hard.md" in found).split()
    assert row[1:3] == ["en", "grade"] and int(row[-1]) >= 1
    assert "[grade]" not in run.out and "DOCUMENT" not in run.err  # findings apart from the table


# -- 1. reading level ---------------------------------------------------------------

def test_hard_english_is_an_error_naming_its_longest_sentence(workspace):
    workspace.write("hard.md", source_text(front(), HARD))
    code, report = findings(workspace)
    assert code == 1
    grade = of_rule(report, "grade")
    assert {f["severity"] for f in grade} == {"error"}
    section = next(f for f in grade if f["message"].startswith('section "Pharmacology"'))
    assert section["line"] == 6
    assert 'longest sentence: "Clonazepam, a long-acting benzodiazepine' in section["message"]
    [doc] = report["documents"]
    assert doc["measure"] == "grade" and doc["score"] > 8


def test_plain_english_passes(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    code, report = findings(workspace)
    assert of_rule(report, "grade") == [] and of_rule(report, "sentence-length") == []
    assert report["documents"][0]["score"] <= 6


MIDDLING = """\
## What it is

Klonopin is a medicine. It helps with panic. Medication management requires
consistent communication with prescribers. Take it just as your doctor says.
Unsupervised discontinuation produces withdrawal. Do not stop on your own.
Your doctor can help you stop slowly. Ask us if you have questions.

## What to do next

Call us with your questions about this medicine.
"""


def test_middling_english_is_a_warning(workspace):
    workspace.write("mid.md", source_text(front(), MIDDLING))
    code, report = findings(workspace)
    severities = {f["severity"] for f in of_rule(report, "grade")}
    assert severities == {"warning"}, report["findings"]
    assert 6 < report["documents"][0]["score"] <= 8


def test_long_sentences_are_a_warning(workspace):
    sentence = ("You can call us on any day of the week and we will help you find a time "
                "that works for you and your family to come in and talk. ")
    workspace.write("long.md", source_text(front(), f"## Talk to us\n\n{sentence * 4}\n\n## What to do next\n\nCall us.\n"))
    code, report = findings(workspace)
    [finding] = of_rule(report, "sentence-length")
    assert finding["severity"] == "warning"
    assert "longest: \"You can call us on any day" in finding["message"]
    assert finding["line"] == 8


def test_long_sentences_are_found_across_wrapped_lines_and_named_apart(workspace):
    body = ("## Talk to us\n\n"
            "You can call us on any day of the week and we will ask you a few questions about\n"
            "your health, your medicines and your family before you come in to see us here. You can\n"
            "call us on any day of the week and we will help you find a time that works for you\n"
            "and for your family and your friends to come in and talk with us about your care and your plans.\n\n"
            "## What to do next\n\nCall us.\n")
    workspace.write("long.md", source_text(front(), body))
    code, report = findings(workspace)
    [finding] = of_rule(report, "sentence-length")
    assert finding["line"] == 9  # where the longest sentence starts, mid-line
    named = finding["message"].split("longest: ")[1].split('"')[1::2]
    assert len(named) == 2 and named[0] != named[1]
    assert named[0].startswith("You can call us") and named[1].startswith("You can call us")
    assert "(line 9, 42 words)" in finding["message"] and "(line 8, " in finding["message"]


def test_tables_and_addresses_are_not_scored(workspace):
    plain = "\n## Read more\n\nRead the guide. Ask us about it.\n"
    extras = ("\n## Read more\n\nRead the [guide](https://www.accessdata.fda.gov/extraordinarily/"
              "complicated/pharmacological/address). Ask us about it.\n\n"
              "<https://www.accessdata.fda.gov/extraordinarily/complicated>\n\n"
              "| Medicine | Pharmacological classification |\n| --- | --- |\n"
              "| Clonazepam | Benzodiazepine anticonvulsant anxiolytic pharmacotherapy |\n")
    workspace.write("plain.md", source_text(front(), EASY + plain))
    workspace.write("table.md", source_text(front(code="X-2"), EASY + extras))
    code, report = findings(workspace)
    plain_doc, table_doc = sorted(report["documents"], key=lambda d: d["slug"])
    assert (table_doc["score"], table_doc["words"]) == (plain_doc["score"], plain_doc["words"])


def test_addresses_leave_the_sentences_around_them_whole():
    from handouts.check.readability import prose

    assert prose("Read the [guidance](https://www.fda.gov/drugs/x). Then call us.") == [
        "Read the guidance. Then call us."]
    assert prose("Use FindTreatment.gov to find care. See findtreatment.gov/locator, or "
                 "www.samhsa.gov.") == ["Use to find care. See, or."]
    assert prose("Go to <https://nida.nih.gov/research>. Ask us.") == ["Go to. Ask us."]


def short_section(workspace, text):
    body = EASY.replace("## What to do next", f"## Short\n\n{text}\n\n## What to do next")
    workspace.write("short.md", source_text(front(), body))
    code, report = findings(workspace)
    return [f for f in of_rule(report, "grade") if f["message"].startswith('section "Short"')]


def test_a_short_hard_section_is_an_error(workspace):
    [finding] = short_section(workspace, "Clonazepam potentiates gamma-aminobutyric acid "
                                         "neurotransmission, producing anxiolytic and anticonvulsant effects.")
    heading = (workspace.sources / "short.md").read_text().split("\n").index("## Short") + 1
    assert finding["severity"] == "error" and finding["line"] == heading


def test_a_short_section_is_held_to_the_limit_not_the_aim(workspace):
    # Grade 6.5 over fourteen words is within the formula's noise: no finding.
    assert short_section(workspace, "Your prescriber can gradually reduce the dose over several "
                                    "weeks. Call us about it.") == []
    # Too few words for any formula to judge (grade 24): scored with the document only.
    assert short_section(workspace, "Benzodiazepine withdrawal is dangerous.") == []


HARD_SPANISH = """\
## Farmacología

La administración concomitante de benzodiacepinas con analgésicos opioides
incrementa considerablemente la probabilidad de depresión respiratoria
potencialmente irreversible, particularmente en pacientes con comorbilidades
cardiopulmonares preexistentes.

## Qué hacer ahora

Llámenos.
"""
EASY_SPANISH = """\
## Qué es

Es un medicamento. Le ayuda con el pánico. Le puede dar sueño. Tómelo como le
dice su médico. No tome más. No lo deje de golpe. Su médico le puede ayudar.

## Qué hacer ahora

Llámenos si tiene preguntas. Estamos aquí para usted.
"""


def test_hard_spanish_is_an_error_and_plain_spanish_passes(workspace):
    workspace.write("dificil.es.md", source_text(front(), HARD_SPANISH))
    workspace.write("facil.es.md", source_text(front(), EASY_SPANISH))
    code, report = findings(workspace)
    hard = [f for f in of_rule(report, "grade") if f["path"].endswith("dificil.es.md")]
    assert {f["severity"] for f in hard} == {"error"}
    assert "Fernández-Huerta" in hard[0]["message"]
    assert not [f for f in of_rule(report, "grade") if f["path"].endswith("facil.es.md")]
    easy = next(d for d in report["documents"] if d["path"].endswith("facil.es.md"))
    assert easy["measure"] == "ease" and easy["score"] >= 80


MIDDLING_SPANISH = """\
## Qué es

Es un medicamento para la ansiedad. Su médico le indicará la dosis adecuada para
usted. No lo deje de tomar sin hablar antes con su médico, porque puede tener
síntomas de abstinencia.

## Qué hacer ahora

Llámenos si tiene preguntas.
"""


def test_middling_spanish_is_a_warning_given_to_one_decimal(workspace):
    workspace.write("regular.es.md", source_text(front(summary="Tómelo como le dicen."), MIDDLING_SPANISH))
    code, report = findings(workspace)
    grade = of_rule(report, "grade")
    assert {f["severity"] for f in grade} == {"warning"} and len(grade) == 2, grade
    assert all(re.search(r"Fernández-Huerta 7\d\.\d \(aim 80, limit 70\)", f["message"]) for f in grade)
    assert 70 <= report["documents"][0]["score"] < 80


def test_english_scoring_never_touches_the_network(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    # Any attempt to open a connection ends the process with exit code 3.
    code = ("import os, sys\n"
            "sys.addaudithook(lambda event, args: os._exit(3) if event == 'socket.connect' else None)\n"
            "from handouts.check.readability import score\n"
            "print(score(['The cat sat on the mat. We like it.'], 'en').value)\n"
            "print('nltk' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={"HOME": str(workspace.root), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "False"


# -- 2. respectful language ------------------------------------------------------------

def test_stigmatising_terms_are_errors_with_a_replacement(workspace):
    body = ("## What it is\n\nAn addict can get help. Substance abuse is common.\n"
            "Her test came back dirty. Call us.\n\n## What to do next\n\nCall us.\n")
    workspace.write("words.md", source_text(front(), body))
    code, report = findings(workspace)
    assert code == 1
    words = of_rule(report, "words")
    messages = [(f["line"], f["message"]) for f in words]
    assert (8, "'addict': say 'person with a substance use disorder; person in recovery'") in messages
    assert (8, "'Substance abuse': say 'substance use'") in messages
    assert any(line == 9 and "testing negative / testing positive" in m for line, m in messages)


def test_agency_names_quotations_and_allowed_terms_pass(workspace):
    body = ("## Who we cite\n\nThe National Institute on Drug Abuse and the Substance Abuse and "
            "Mental Health Services Administration help. One man said, \"I was an addict.\"\n\n"
            "A relapse is not a failure.\n\n"
            "## What to do next\n\nCall us.\n")
    workspace.write("fine.md", source_text(front(allow_terms="[relapse]"), body))
    code, report = findings(workspace)
    assert of_rule(report, "words") == []
    workspace.write("fine.md", source_text(front(), body))
    code, report = findings(workspace)
    assert [f["message"].split("'")[1] for f in of_rule(report, "words")] == ["relapse"]


def test_block_quotations_are_someone_elses_words(workspace):
    body = ("## Stories\n\n> I was an addict for ten years. Then I\n"
            "got clean, and my tests came back clean.\n\n"  # a quotation runs on, as Markdown reads it
            "You are not an addict.\n\n## What to do next\n\nCall us.\n")
    workspace.write("quote.md", source_text(front(), body))
    code, report = findings(workspace)
    assert [(f["line"], f["message"].split("'")[1]) for f in of_rule(report, "words")] == [(11, "addict")]


def test_names_and_quotations_that_wrap_are_still_names_and_quotations(workspace):
    body = ("## Who we cite\n\nRead what the National Institute on\nDrug Abuse and the "
            "Substance Abuse and Mental\nHealth Services Administration say. One man said, "
            "\"I was\nan addict once.\" Alcoholics\nAnonymous meets here.\n\n"
            "## What to do next\n\nCall us.\n")
    workspace.write("wrapped.md", source_text(front(), body))
    code, report = findings(workspace)
    assert of_rule(report, "words") == []


def test_terms_that_wrap_are_found_at_the_line_they_start(workspace):
    body = ("## What it is\n\nMany people live with a substance\nabuse problem. Some call\n"
            "them addicts.\n\n## What to do next\n\nCall us.\n")
    workspace.write("wrapped.md", source_text(front(), body))
    code, report = findings(workspace)
    assert [(f["line"], f["message"].split("'")[1]) for f in of_rule(report, "words")] == [
        (8, "substance abuse"), (10, "addicts")]


def test_callout_titles_are_checked_not_taken_for_quotations(workspace):
    body = ('## What it is\n\nText here.\n\n!!! warning "Addicts welcome"\n'
            '    Everyone is welcome here.\n\n## What to do next\n\nCall us.\n')
    workspace.write("callout.md", source_text(front(), body))
    code, report = findings(workspace)
    [finding] = of_rule(report, "words")
    assert finding["line"] == 10 and finding["message"].startswith("'Addicts':")


@pytest.mark.parametrize("sentence", [
    "Nicotine replacement therapy can help you quit smoking.",
    "Hormone replacement therapy is another matter.",
    "Wash the spoon, and you keep them clean.",
    "We keep it clean and locked.",
    "Child abuse must be reported.",
    "Put it in a clean box.",
    "You can get clean needles and supplies here.",
])
def test_words_with_another_meaning_pass(workspace, sentence):
    workspace.write("other.md", source_text(front(), f"## What it is\n\n{sentence}\n\n"
                                                    "## What to do next\n\nCall us.\n"))
    code, report = findings(workspace)
    assert of_rule(report, "words") == []


@pytest.mark.parametrize("sentence, words, instead", [
    ("Opioid replacement therapy works.", "Opioid replacement therapy", "medication for opioid use disorder"),
    ("Last week he tested dirty.", "tested dirty", "testing negative / testing positive"),
    ("Substance-abuse is common.", "Substance-abuse", "substance use"),
    ("He has been clean for a year.", "He has been clean", "not using; in recovery"),
    ("I'm staying clean.", "I'm staying clean", "not using; in recovery"),
    ("She was dirty again.", "She was dirty", "using; testing positive"),
    ("An ex-addict can help.", "ex-addict", "person in recovery"),
])
def test_each_stigmatising_use_is_one_finding(workspace, sentence, words, instead):
    workspace.write("term.md", source_text(front(), f"## What it is\n\n{sentence}\n\n"
                                                   "## What to do next\n\nCall us.\n"))
    code, report = findings(workspace)
    [finding] = of_rule(report, "words")
    assert finding["message"].startswith(f"'{words}': say") and instead in finding["message"]


def test_spanish_terms(workspace):
    body = "## Qué es\n\nUn adicto puede pedir ayuda.\n\n## Qué hacer ahora\n\nLlámenos.\n"
    workspace.write("palabras.es.md", source_text(front(), body))
    code, report = findings(workspace)
    [finding] = of_rule(report, "words")
    assert "persona con un trastorno por consumo de sustancias" in finding["message"]


@pytest.mark.parametrize("sentence, words", [
    ("Los adictos pueden pedir ayuda.", "adictos"),
    ("Un exadicto puede ayudar.", "exadicto"),
    ("No ayuda a los usuarios de drogas.", "usuarios de drogas"),
    ("El abuso de medicamentos es peligroso.", "abuso de medicamentos"),
    ("No abuse de sus pastillas.", "abuse de sus pastillas"),
    ("La prueba de orina salió sucia.", "prueba de orina salió sucia"),
    ("Su prueba salió limpia.", "prueba salió limpia"),
    ("La terapia de sustitución ayuda.", "terapia de sustitución"),
])
def test_more_spanish_terms(workspace, sentence, words):
    workspace.write("palabras.es.md", source_text(front(), f"## Qué es\n\n{sentence}\n\n"
                                                           "## Qué hacer ahora\n\nLlámenos.\n"))
    code, report = findings(workspace)
    assert [f["message"].split("'")[1] for f in of_rule(report, "words")] == [words]


def test_spanish_agency_names_and_other_meanings_pass(workspace):
    body = ("## Qué es\n\nEl Instituto Nacional sobre el\nAbuso de Drogas y la Administración de "
            "Servicios de Salud Mental y\nAbuso de Sustancias ayudan. Evite las bebidas alcohólicas "
            "y la bebida alcohólica. La terapia de reemplazo de nicotina ayuda a dejar de fumar.\n\n"
            "## Qué hacer ahora\n\nLlámenos.\n")
    workspace.write("nombres.es.md", source_text(front(), body))
    code, report = findings(workspace)
    assert of_rule(report, "words") == []


def test_allow_terms_that_name_no_term_are_a_warning(workspace):
    workspace.write("allow.md", source_text(front(allow_terms="\n  - relapse\n  - relapses"), EASY))
    code, report = findings(workspace)
    [finding] = of_rule(report, "allow-terms")
    assert finding["severity"] == "warning" and finding["line"] == 6
    assert "'relapses'" in finding["message"] and "did you mean 'relapse'?" in finding["message"]


# -- 3. structure ----------------------------------------------------------------------

def test_structure_problems(workspace):
    body = ("## Introduction\n\nText here.\n\n#### Too deep\n\nMore.\n\n## Side effects\n\nSleepy.\n")
    workspace.write("shape.md", source_text(front(title="A" * 61), body))
    code, report = findings(workspace)
    found = set(rules(report, "shape.md"))
    assert {("title-length", "warning"), ("main-message", "warning"), ("headings", "warning"),
            ("next-step", "warning")} <= found


def headings_found(workspace, body):
    workspace.write("shape.md", source_text(front(), body))
    code, report = findings(workspace)
    return [(f["line"], f["message"]) for f in of_rule(report, "headings")]


def test_a_top_level_heading_in_the_body_is_a_warning(workspace):
    found = headings_found(workspace, "# What it is\n\nText here.\n\n## What to do next\n\nCall us.\n")
    assert found == [(6, "use ## for sections: the title is the page's only top-level heading")]


def test_a_skipped_heading_level_is_a_warning(workspace):
    found = headings_found(workspace, "## What it is\n\nText.\n\n#### Details\n\nMore.\n\n"
                                      "## Part two\n\n### Its details\n\nMore.\n\n## What to do next\n\nCall us.\n")
    assert found == [(10, "more than three heading levels (title, ##, ###)")]
    found = headings_found(workspace, "### What it is\n\nText.\n\n## What to do next\n\nCall us.\n")
    assert found == [(6, "heading level jumps from 1 to 3")]


def test_underlined_headings_count_as_headings(workspace):
    body = ("Overview\n========\n\nText here.\n\nWhat to do next\n---------------\n\nCall us.\n")
    workspace.write("shape.md", source_text(front(), body))
    code, report = findings(workspace)
    found = rules(report, "shape.md")
    assert ("headings", "warning") in found and ("main-message", "warning") in found
    assert ("next-step", "warning") not in found
    assert [f["line"] for f in of_rule(report, "headings")] == [6]


def test_good_structure_passes(workspace):
    workspace.write("shape.md", source_text(front(), EASY))
    code, report = findings(workspace)
    assert not {r for r, _ in rules(report, "shape.md")} & {
        "title-length", "main-message", "headings", "next-step"}


@pytest.mark.parametrize("summary", [None, '""'])
def test_missing_or_empty_summary_is_an_error(workspace, summary):
    front_matter = "title: T" + (f"\nsummary: {summary}" if summary else "")
    workspace.write("nosummary.md", f"---\n{front_matter}\n---\n\n## What to do next\n\nCall us.\n")
    code, report = findings(workspace)
    assert code == 1
    assert [r for r in rules(report, "nosummary.md") if r[0] == "summary"] == [("summary", "error")]
    assert report["documents"][0]["slug"] == "nosummary"


def test_a_summary_passes(workspace):
    workspace.write("summary.md", "---\ntitle: T\nsummary: Take it as prescribed.\n---\n\n"
                                  "## What to do next\n\nCall us.\n")
    code, report = findings(workspace)
    assert "summary" not in {r for r, _ in rules(report, "summary.md")} and code == 0


@pytest.mark.parametrize("front_matter", [
    "title: Klonopin basics\nsummary: Take it as prescribed.\nreview:\n  status: published",
    "title: [Klonopin basics\nsummary: Take it as prescribed.",  # YAML that does not parse
])
def test_a_front_matter_error_leaves_the_rest_checked(workspace, front_matter):
    body = EASY.replace("Ask us if you have questions.",
                        "An addict can ask us [@medlineplus-clonazepam].")
    workspace.write("broken.md", f"---\n{front_matter}\n---\n\n{body}")
    code, report = findings(workspace)
    assert code == 1
    found = rules(report, "broken.md")
    assert ("source", "error") in found and ("words", "error") in found
    assert [d["slug"] for d in report["documents"]] == ["broken"]
    unused = [f["message"].split("'")[1] for f in of_rule(report, "unused-resource")]
    assert "medlineplus-clonazepam" not in unused and "samhsa-national-helpline" in unused


# -- 4. governance --------------------------------------------------------------------

def review(status="approved", by="Clinical team", on=None, next_review=None, dated=True) -> str:
    on = on or TODAY - dt.timedelta(days=30)
    lines = [f"  status: {status}"]
    if by:
        lines.append(f"  reviewed_by: {by}")
    if dated:
        lines.append(f"  reviewed_on: {on.isoformat()}")
    if next_review:
        lines.append(f"  next_review: {next_review.isoformat()}")
    return "\n" + "\n".join(lines)


def test_review_dates(workspace):
    workspace.write("overdue.md", source_text(front(review=review(next_review=TODAY - dt.timedelta(days=1))), EASY))
    workspace.write("soon.md", source_text(front(code="X-2", review=review(next_review=TODAY + dt.timedelta(days=30))), EASY))
    workspace.write("fine.md", source_text(front(code="X-3", review=review(next_review=TODAY + dt.timedelta(days=200))), EASY))
    code, report = findings(workspace)
    assert ("review-due", "error") in rules(report, "overdue.md")
    assert ("review-due", "warning") in rules(report, "soon.md")
    assert "review-due" not in {r for r, _ in rules(report, "fine.md")}


def test_approved_needs_a_reviewer(workspace):
    workspace.write("who.md", source_text(front(review=review(by=None, next_review=TODAY + dt.timedelta(days=300))), EASY))
    code, report = findings(workspace)
    [finding] = of_rule(report, "reviewer")
    assert finding["severity"] == "error" and "reviewed_by" in finding["message"]
    assert finding["line"] == 5 and code == 1


def test_approved_needs_a_review_date(workspace):
    workspace.write("when.md", source_text(front(review=review(dated=False, next_review=TODAY + dt.timedelta(days=300))), EASY))
    code, report = findings(workspace)
    [finding] = of_rule(report, "reviewer")
    assert finding["severity"] == "error" and "'reviewed_on'" in finding["message"] and code == 1


def test_approved_with_reviewer_and_date_passes(workspace):
    workspace.write("done.md", source_text(front(review=review(next_review=TODAY + dt.timedelta(days=300))), EASY))
    workspace.write("draft.md", source_text(front(code="X-2", review=review(status="draft", by=None, dated=False)), EASY))
    code, report = findings(workspace)
    assert of_rule(report, "reviewer") == [] and of_rule(report, "review-due") == []
    assert code == 0


def test_translations_stale_and_fresh(workspace):
    from handouts.content.documents import content_digest, parse
    from handouts.content.sources import read_source

    english = workspace.write("basics.md", source_text(front(), EASY))
    digest = content_digest(parse(read_source(english)))
    workspace.write("basics.es.md", source_text(front(source_digest=digest), EASY_SPANISH))
    code, report = findings(workspace)
    assert of_rule(report, "stale-translation") == []

    english.write_text(source_text(front(), EASY.replace("It helps with panic.", "It helps with seizures.")))
    code, report = findings(workspace)
    [stale] = of_rule(report, "stale-translation")
    assert stale["severity"] == "warning" and stale["path"].endswith("basics.es.md")
    assert "basics.md has changed since this translation was made" in stale["message"]


def test_a_translation_is_compared_with_the_english_the_check_parsed(workspace, monkeypatch):
    """The check has parsed every source already: a translation's English is not read
    from its file again (a library of thousands would parse each English twice)."""
    from handouts.check import library_wide
    from handouts.content.documents import content_digest, parse
    from handouts.content.sources import read_source

    def read_again(path):
        raise AssertionError(f"read again: {path}")

    monkeypatch.setattr(library_wide, "read_document", read_again)
    english = workspace.write("basics.md", source_text(front(), EASY))
    digest = content_digest(parse(read_source(english)))
    workspace.write("basics.es.md", source_text(front(source_digest=digest), EASY_SPANISH))
    assert of_rule(findings(workspace)[1], "stale-translation") == []
    english.write_text(source_text(front(), EASY.replace("It helps with panic.", "It helps with seizures.")))
    [stale] = of_rule(findings(workspace)[1], "stale-translation")
    assert "basics.md has changed since this translation was made" in stale["message"]


def test_resource_checks(workspace):
    resources = workspace.sources / "resources.yaml"
    old = (TODAY - dt.timedelta(days=400)).isoformat()
    resources.write_text(resources.read_text().replace("accessed: 2026-11-24", f"accessed: {old}"))
    workspace.write("cites.md", source_text(front(), EASY.replace("questions.", "questions "
                                                                  "[@nida-benzodiazepines-opioids].", 1)))
    code, report = findings(workspace)
    [accessed] = of_rule(report, "resource-accessed")
    assert "nida-benzodiazepines-opioids" in accessed["message"] and accessed["line"] == 1
    unused = sorted(f["message"].split("'")[1] for f in of_rule(report, "unused-resource"))
    assert unused == ["medlineplus-clonazepam", "samhsa-national-helpline"]


def test_resources_checked_lately_and_used_pass(workspace):
    resources = workspace.sources / "resources.yaml"
    recent = (TODAY - dt.timedelta(days=300)).isoformat()
    resources.write_text(resources.read_text().replace("accessed: 2026-11-24", f"accessed: {recent}"))
    body = EASY.replace("questions.", "questions [@nida-benzodiazepines-opioids; @medlineplus-clonazepam].", 1)
    workspace.write("cites.md", source_text(front(resources="[samhsa-national-helpline]"), body))
    code, report = findings(workspace)
    assert of_rule(report, "resource-accessed") == [] and of_rule(report, "unused-resource") == []
    assert code == 0


def test_duplicate_codes(workspace):
    workspace.write("one.md", source_text(front(code="EHC-ED-001"), EASY))
    workspace.write("two.md", source_text(front(code="EHC-ED-001"), EASY))
    workspace.write("three.md", source_text(front(code="EHC-ED-003"), EASY))
    code, report = findings(workspace)
    duplicates = of_rule(report, "duplicate-code")
    assert sorted(f["path"].rsplit("/", 1)[-1] for f in duplicates) == ["one.md", "two.md"]
    assert code == 1


# -- 5. accessibility ------------------------------------------------------------------

@pytest.mark.parametrize("alt, bad", [
    ("image", True), ("box.svg", True), ("Picture", True),
    ("A locked metal box for medicines", False),
])
def test_alt_text_must_describe_the_picture(workspace, alt, bad):
    (workspace.sources / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    workspace.write("pic.md", source_text(front(), EASY + f"\n![{alt}](images/box.svg)\n"))
    code, report = findings(workspace)
    assert bool(of_rule(report, "alt-text")) is bad


def brand_line(workspace, text):
    return workspace.brand.read_text().split("\n").index(text) + 1


def test_low_contrast_brand_colours(workspace):
    text = workspace.brand.read_text().replace('deep-teal: "#0e5a5f"', 'deep-teal: "#8fc1c4"')
    workspace.brand.write_text(text)
    workspace.write("easy.md", source_text(front(), EASY))
    code, report = findings(workspace)
    contrast = of_rule(report, "contrast")
    assert code == 1 and contrast
    assert all(f["path"].endswith("_brand.yml") for f in contrast)
    [headings] = [f for f in contrast if "primary on background (headings and links" in f["message"]]
    assert headings["line"] == brand_line(workspace, "  primary: deep-teal")


def test_primary_text_on_the_light_tint_is_checked(workspace):
    # A darker tint: body text on it still reads (7:1), the contact box's heading does not.
    workspace.brand.write_text(workspace.brand.read_text().replace('mist: "#e4f0ee"', 'mist: "#9fc4c0"'))
    workspace.write("easy.md", source_text(front(), EASY))
    code, report = findings(workspace)
    [finding] = of_rule(report, "contrast")
    assert finding["message"].startswith("primary on light (the contact box's heading and links")
    assert finding["line"] == brand_line(workspace, "  primary: deep-teal") and code == 1


def test_shipped_brand_colours_pass(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    code, report = findings(workspace)
    assert of_rule(report, "contrast") == [] and code == 0


def test_white_text_is_checked_where_the_background_is_not_white(workspace):
    # On cream paper the band's text is cream, but the email's header is always white.
    text = workspace.brand.read_text().replace('background: "#ffffff"', 'background: "#fffdf5"')
    workspace.brand.write_text(text.replace('deep-teal: "#0e5a5f"', 'deep-teal: "#4f8a8f"'))
    workspace.write("easy.md", source_text(front(), EASY))
    code, report = findings(workspace)
    wheres = [f["message"].split(" (", 1)[0] for f in of_rule(report, "contrast")]
    assert "#ffffff on primary" in wheres and "background on primary" in wheres


def test_built_pdfs_are_read_back(workspace):
    (workspace.sources / "images" / "box.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40"/></svg>')
    workspace.write("easy.md", source_text(front(), EASY + "\n![A locked metal box for medicines](images/box.svg)\n"))
    assert workspace.run("build").code == 0
    code, report = findings(workspace, "--built", "--out", str(workspace.out))
    assert [f for f in report["findings"] if f["rule"].startswith("pdf")] == []

    # A figure whose alt text is lost on the way to the PDF is caught.
    import pikepdf
    handout = workspace.out / "handout" / "easy.pdf"
    with pikepdf.open(handout, allow_overwriting_input=True) as pdf:
        figures = [e for e in _struct_elements(pdf.Root) if e.get("/S") == "/Figure" and "/Alt" in e]
        assert figures
        del figures[0].Alt
        pdf.save(handout)
    code, report = findings(workspace, "--built", "--out", str(workspace.out))
    [missing] = of_rule(report, "pdf-alt")
    assert missing["path"].endswith("handout/easy.pdf") and "1 figure without alt text" in missing["message"]
    assert code == 1

    # A PDF made without tags, language or title is caught.
    import weasyprint
    weasyprint.HTML(string="<p>No tags here</p><img src='data:,x'>").write_pdf(handout)
    code, report = findings(workspace, "--built", "--out", str(workspace.out))
    assert code == 1
    assert {"pdf-tagged", "pdf-lang", "pdf-title"} <= {f["rule"] for f in report["findings"]}


def _struct_elements(root):
    import pikepdf

    stack = [root.StructTreeRoot]
    while stack:
        kids = stack.pop().get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield kid
                stack.append(kid)


# -- 6. brand ----------------------------------------------------------------------------

FILLED_IN = {"phone": "555-0100", "address": "1 Main St", "hours": "Mon-Fri 8-5", "website": "example.org"}


def placeholders(brand, lang):
    """The shipped brand's placeholder contact details in one language, as written."""
    import yaml

    contact = yaml.safe_load(brand.read_text())["defaults"]["handouts"]["contact"]
    return {name: value[lang] for name, value in contact.items() if value[lang].startswith("[")}


def fill_in(brand, written):
    text = brand.read_text()
    for name, placeholder in written.items():
        text = text.replace(f'"{placeholder}"', f'"{FILLED_IN[name]}"')
    brand.write_text(text)


def test_placeholder_contact_details_warn_until_filled_in(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    english, spanish = placeholders(workspace.brand, "en"), placeholders(workspace.brand, "es")
    assert sorted(english) == sorted(spanish) == ["address", "hours", "phone", "website"]
    code, report = findings(workspace)
    found = of_rule(report, "placeholder")
    assert sorted(f["message"].split()[1] for f in found) == sorted(english)
    brand_lines = workspace.brand.read_text().split("\n")
    for finding in found:  # each at the line of its value, naming every language's
        name = finding["message"].split()[1]
        assert english[name] in brand_lines[finding["line"] - 1]
        assert spanish[name] in finding["message"]
    for lang in ("en", "es", "ru", "vi", "ar", "zh"):
        fill_in(workspace.brand, placeholders(workspace.brand, lang))
    code, report = findings(workspace)
    assert of_rule(report, "placeholder") == []
    assert code == 0


def test_translated_placeholders_warn_too(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    spanish = placeholders(workspace.brand, "es")
    for lang in ("en", "ru", "vi", "ar", "zh"):  # every language but Spanish
        fill_in(workspace.brand, placeholders(workspace.brand, lang))
    code, report = findings(workspace)
    found = of_rule(report, "placeholder")
    assert len(found) == 4
    brand_lines = workspace.brand.read_text().split("\n")
    for finding in found:
        name = finding["message"].split()[1]
        assert spanish[name] in brand_lines[finding["line"] - 1]
        assert "(es)" in finding["message"] and FILLED_IN[name] not in finding["message"]


def test_strict_fails_on_warnings(workspace):
    workspace.write("easy.md", source_text(front(), EASY))
    assert workspace.run("check", "--brand", str(workspace.brand)).code == 0
    assert workspace.run("check", "--brand", str(workspace.brand), "--strict").code == 1


# -- safety lines come from one place ------------------------------------------------------

def test_phone_numbers_typed_in_a_source_are_errors(workspace):
    body = EASY.replace("Ask your care team if you have questions.",
                        "Call SAMHSA at 1-800-662-4357 or 1-800-662-HELP.")
    workspace.write("numbers.md", source_text(front(), body))
    code, report = findings(workspace)
    found = of_rule(report, "safety-lines")
    assert [f["message"].split("'")[1] for f in found] == ["1-800-662-4357", "1-800-662-HELP"]
    assert code == 1


def test_brand_blocks_print_the_lines_instead(workspace):
    body = EASY.replace("## What to do next", "## Who to call\n\n[[crisis-lines]]\n\n## What to do next")
    workspace.write("lines.md", source_text(front(), body))
    code, report = findings(workspace)
    assert of_rule(report, "safety-lines") == [] and code == 0


def test_alt_text_findings_name_each_images_own_line(workspace):
    (workspace.sources / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    body = EASY + ("\n![A locked metal box for medicines](images/box.svg)\n\n"
                   "Keep the key apart from the box.\n\n![image](images/box.svg)\n")
    path = workspace.write("pic.md", source_text(front(), body))
    code, report = findings(workspace)
    [finding] = of_rule(report, "alt-text")
    lines = path.read_text().split("\n")
    assert lines[finding["line"] - 1] == "![image](images/box.svg)"


@pytest.mark.parametrize("heading, last_step", [
    ("Helpful side effects", False), ("Recalled medicines", False),
    ("Who to call", True), ("Getting help", True), ("Questions?", True),
])
def test_next_step_heading_is_read_word_by_word(workspace, heading, last_step):
    body = EASY.replace("## What to do next", f"## {heading}")
    workspace.write("ending.md", source_text(front(), body))
    code, report = findings(workspace)
    assert bool(of_rule(report, "next-step")) is not last_step


def test_a_check_of_one_document_judges_it_alone_against_the_whole_library(tmp_path):
    # The preview's check: one source's own rules; the library's still see every source.
    from conftest import GOOD_SOURCE, Workspace

    from handouts.check.gate import CheckOptions, check

    ws = Workspace(tmp_path)
    mine = ws.write("mine.md", GOOD_SOURCE.replace("Call us", "An addict can call us"))
    ws.write("theirs.md", GOOD_SOURCE.replace("Call us", "An addict can call us"))  # same code
    report = check(ws.project, CheckOptions(only=frozenset({mine})))
    assert {d.path.name for d in report.documents} == {"mine.md"}
    words = [f for f in report.findings if f.rule == "words"]
    assert words and {f.path.name for f in words} == {"mine.md"}
    assert any(f.rule == "duplicate-code" and f.path == mine for f in report.findings)  # seen across both
