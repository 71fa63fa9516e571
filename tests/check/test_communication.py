"""`check`'s clear-communication and safety gate: safety, jargon, steps, call, visual."""

import datetime as dt
import json
import textwrap

import pytest
from conftest import REPO, source_text

from handouts.check.communication import JARGON, jargon_before_definition
from handouts.check.wording import passages

TODAY = dt.date.today()
APPROVED = (f"\nreview:\n  status: approved\n  reviewed_by: Dr. A\n"
            f"  reviewed_on: {(TODAY - dt.timedelta(days=3)).isoformat()}\n"
            f"  next_review: {(TODAY + dt.timedelta(days=300)).isoformat()}")
OVERDOSE = """\
title: Overdose
review:
  status: approved
  reviewed_by: Dr. A
  reviewed_on: 2026-11-01
en:
  text: |
    ## If someone may be overdosing

    Naloxone is a medicine that can undo an opioid overdose. Opioids are
    drugs like strong pain pills, heroin and fentanyl.

    ![Five steps](images/steps.svg)

    ### What to do

    1. Call 911.
    2. Give naloxone.
es:
  translation_reviewed_by: A. Translator
  text: |
    ## Si alguien puede tener una sobredosis

    La naloxona es una medicina que puede revertir una sobredosis de opioides.
    Los opioides son drogas como la heroína y el fentanilo.

    ### Qué hacer

    1. Llame al 911.
    2. Dele naloxona.
"""
# Passes every rule of this gate: a picture, numbered steps, words explained.
GOOD = """\
## What it is

![A locked box](images/box.svg)

Klonopin is a medicine for panic. Take it just as your doctor says.

## What to do next

1. Take it just as your doctor says.
2. Ask your care team if you have questions.
"""


@pytest.fixture
def ws(workspace):
    (workspace.sources / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (workspace.sources / "images" / "steps.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (workspace.sources / "blocks").mkdir()
    (workspace.sources / "blocks" / "overdose.yml").write_text(OVERDOSE)
    return workspace


def check(ws, name: str, body: str, front: str = "title: T\nsummary: Take it as prescribed."):
    ws.write(name, source_text(front, textwrap.dedent(body)))
    run = ws.run("check", "--json", "--brand", str(ws.brand))
    report = json.loads(run.out)
    return run.code, [(f["rule"], f["severity"], f["line"], f["message"]) for f in report["findings"]
                      if f["path"].endswith(name)]


def of(found, rule):
    return [f for f in found if f[0] == rule]


def test_a_document_that_passes_the_gate(ws):
    code, found = check(ws, "good.md", GOOD, "title: T\nsummary: S" + APPROVED)
    assert [f for f in found if f[0] in ("safety", "jargon", "steps", "call", "visual")] == []
    assert code == 0


# -- safety ----------------------------------------------------------------------------

def test_speaking_of_overdose_needs_the_overdose_block(ws):
    body = GOOD.replace("Take it just as your doctor says.\n\n##",
                        "Mixed with alcohol, it can cause an overdose.\n\n##", 1)
    code, found = check(ws, "od.md", body)
    [finding] = of(found, "safety")
    assert finding[1:3] == ("warning", 10) and "place [[overdose]]" in finding[3]
    code, found = check(ws, "od.md", body, "title: T\nsummary: S" + APPROVED)
    assert of(found, "safety")[0][1] == "error" and code == 1
    code, found = check(ws, "od.md", body + "\n[[overdose]]\n", "title: T\nsummary: S" + APPROVED)
    assert of(found, "safety") == [] and code == 0


def test_the_overdose_topic_counts_as_speaking_of_overdose(ws):
    code, found = check(ws, "topic.md", GOOD, "title: T\nsummary: S\ntopics: [overdose]")
    [finding] = of(found, "safety")
    assert finding[2] == 4  # the topics line


@pytest.mark.parametrize("name, sentence", [
    ("en.md", "If opioids may be involved, give naloxone if you have it."),
    ("en.md", "Naloxone works only on opioids, so use it if they took opioids."),
    ("en.md", "Give them naloxone (Narcan) and wait."),
    ("es.es.md", "Si puede haber opioides, dele naloxona si la tiene."),
    ("es.es.md", "La naloxona solo sirve para opioides."),
])
def test_naloxone_advice_outside_the_block_is_a_finding(ws, name, sentence):
    code, found = check(ws, name, GOOD.replace("Klonopin is a medicine for panic.", sentence))
    [finding] = of(found, "safety")
    assert finding[2] == 10 and "naloxone advice outside the [[overdose]] block" in finding[3]


@pytest.mark.parametrize("sentence", [
    "Keep naloxone at home, and never use alone.",
    "Naloxone does not undo benzos.",
    "Buy naloxone at a pharmacy. You do not need a prescription.",
])
def test_naloxone_mentioned_without_advice_is_not(ws, sentence):
    body = GOOD.replace("Klonopin is a medicine for panic.",
                        f"Naloxone is a medicine that can undo an opioid overdose. {sentence}")
    code, found = check(ws, "fine.md", body + "\n[[overdose]]\n")
    assert of(found, "safety") == []


def test_advice_in_the_summary_is_outside_the_block_too(ws):
    front = "title: T\nsummary: If someone will not wake, call 911 and give naloxone."
    code, found = check(ws, "sum.md", GOOD + "\n[[overdose]]\n", front)
    [finding] = of(found, "safety")
    assert finding[2] == 3


# -- jargon ----------------------------------------------------------------------------

def test_a_medical_word_used_before_it_is_explained_is_a_finding_once(ws):
    body = GOOD.replace("Klonopin is a medicine for panic.",
                        "Stopping can cause withdrawal.\n\nWithdrawal again.\n\n"
                        "Withdrawal means feeling sick when you stop.")
    code, found = check(ws, "j.md", body)
    [finding] = of(found, "jargon")
    assert finding[1:3] == ("warning", 10) and "'withdrawal' is a medical word" in finding[3]
    code, found = check(ws, "j.md", body, "title: T\nsummary: S" + APPROVED)
    assert of(found, "jargon")[0][1] == "error" and code == 1


@pytest.mark.parametrize("paragraph", [
    "Withdrawal means feeling sick when you stop a drug. Withdrawal can be hard.",
    "Withdrawal is what your body goes through when you stop.",
    "Your body reacts when you stop. This is called withdrawal.",
    "You may feel sick (withdrawal) when you stop.",
    "Withdrawal (feeling sick when you stop) can be hard.",
    "Withdrawal, the sickness after you stop, can be hard.",
    "**Withdrawal.** Feeling sick when you stop.",
    "Withdrawal: feeling sick when you stop.",
])
def test_every_plain_way_of_explaining_a_word_counts(ws, paragraph):
    code, found = check(ws, "d.md", GOOD.replace("Klonopin is a medicine for panic.", paragraph))
    assert of(found, "jargon") == [], paragraph


def test_an_explanation_in_an_earlier_paragraph_or_block_counts(ws):
    body = GOOD.replace("Klonopin is a medicine for panic.",
                        "Opioids are drugs like heroin.\n\nNever mix opioids with benzos, "
                        "calming medicines.")
    code, found = check(ws, "e.md", body)
    assert of(found, "jargon") == []
    # The overdose block explains naloxone and fentanyl for what follows it.
    body = "[[overdose]]\n\n" + GOOD.replace("Klonopin is a medicine for panic.",
                                             "Keep naloxone at home. Fentanyl is in fake pills.")
    code, found = check(ws, "f.md", body)
    assert of(found, "jargon") == []


def test_headings_and_callout_titles_are_labels_not_uses(ws):
    body = GOOD.replace("## What it is", "## Tapering and detox").replace(
        "Klonopin is a medicine for panic.", '!!! warning "Tolerance"\n    Go slowly.')
    code, found = check(ws, "h.md", body)
    assert of(found, "jargon") == []


def test_acronyms_match_their_case_only():
    spanish = passages("Mi médico dice que mi dosis es baja.", 1)
    assert list(jargon_before_definition([(p, True) for p in spanish], "es")) == []
    english = passages("MI can help you change.", 1)
    [(line, term, words)] = jargon_before_definition([(p, True) for p in english], "en")
    assert (line, term.name, words) == (1, "MI", "MI")


def test_the_shared_list_holds_the_words_the_instruments_name():
    names = {term.name for term in JARGON["en"]}
    assert {"CBT", "MI", "DBT", "MAT", "MOUD", "detox", "withdrawal", "tolerance", "taper",
            "dependence"} <= names
    assert {"TCC", "EM", "TDC", "desintoxicación", "abstinencia", "tolerancia",
            "reducción gradual", "dependencia"} <= {term.name for term in JARGON["es"]}


# -- steps -----------------------------------------------------------------------------

def test_a_what_to_do_heading_needs_numbered_steps(ws):
    body = GOOD.replace("1. Take it", "- Take it").replace("2. Ask", "- Ask")
    code, found = check(ws, "s.md", body)
    [finding] = of(found, "steps")
    assert finding[1:3] == ("warning", 12) and '"What to do next" lists no numbered steps' in finding[3]
    code, found = check(ws, "s.md", body, "title: T\nsummary: S" + APPROVED)
    assert of(found, "steps")[0][1] == "error" and code == 1


def test_a_document_with_no_steps_at_all_is_a_finding(ws):
    body = "## What it is\n\n![A box](images/box.svg)\n\nWords.\n\n## Questions\n\nAsk us.\n"
    code, found = check(ws, "none.md", body)
    [finding] = of(found, "steps")
    assert finding[2] == 5 and "no numbered steps for the reader" in finding[3]  # the body


def test_steps_placed_by_a_block_count(ws):
    body = "## What it is\n\n![A box](images/box.svg)\n\nWords.\n\n[[overdose]]\n\n## Questions\n\nAsk us.\n"
    code, found = check(ws, "block.md", body)
    assert of(found, "steps") == []


# -- call us ---------------------------------------------------------------------------

def test_call_us_while_the_phone_is_a_placeholder(ws):
    body = GOOD.replace("2. Ask your care team if you have questions.", "2. Questions? Call us.")
    code, found = check(ws, "c.md", body)
    [finding] = of(found, "call")
    assert finding[1:3] == ("warning", 15) and "[Clinic phone number]" in finding[3]
    code, found = check(ws, "c.es.md", body.replace("Call us.", "Llámenos."))
    assert "[Teléfono de la clínica]" in of(found, "call")[0][3]
    ws.brand.write_text(ws.brand.read_text().replace('en: "[Clinic phone number]"',
                                                     'en: "555-0100"'))
    code, found = check(ws, "c.md", body)
    assert of(found, "call") == []


# -- visual ----------------------------------------------------------------------------

def test_no_picture_is_a_warning_even_when_approved(ws):
    body = GOOD.replace("![A locked box](images/box.svg)\n\n", "")
    code, found = check(ws, "v.md", body, "title: T\nsummary: S" + APPROVED)
    [finding] = of(found, "visual")
    assert finding[1] == "warning" and code == 0
    code, found = check(ws, "v.md", body + "\n[[overdose]]\n")
    assert of(found, "visual") == []  # the block's picture


# -- the shipped library ---------------------------------------------------------------

def test_the_shipped_library_passes_the_gate_but_for_the_clinics_phone(capsys):
    from handouts.cli import main

    code = main(["check", "--json", "--sources", str(REPO / "sources"),
                 "--brand", str(REPO / "_brand.yml")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    gate = [f for f in report["findings"] if f["rule"] in ("safety", "jargon", "steps", "visual")]
    assert gate == []
    # Every "call us" waits only for the clinic's real number.
    assert all("placeholder" in f["message"] for f in report["findings"] if f["rule"] == "call")


def test_english_reads_at_grade_6_median_and_never_above_8(capsys):
    import statistics

    from handouts.cli import main

    main(["check", "--json", "--sources", str(REPO / "sources"), "--brand", str(REPO / "_brand.yml")])
    report = json.loads(capsys.readouterr().out)
    grades = [d["score"] for d in report["documents"] if d["lang"] == "en"]
    assert statistics.median(grades) <= 6 and max(grades) <= 8
    assert not [f for f in report["findings"] if f["rule"] == "grade" and f["severity"] == "error"]
