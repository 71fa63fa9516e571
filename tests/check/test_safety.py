"""What a family reads about overdose, read back from every built PDF."""

import functools
import re

import pikepdf
import pytest
from conftest import REPO, page_texts, pdftotext, struct_elements

# Advice that makes naloxone wait on a guess nobody at the scene can make.
CONDITIONAL = re.compile(
    r"if (?:opioids?|an opioid) (?:may|might|could) be involved"
    r"|(?:only|just) (?:works|work|helps?) (?:on|for|with) opioids"
    r"|works only (?:on|for) opioids"
    r"|si (?:puede|pudiera) haber opioides"
    r"|(?:solo|sólo) (?:sirve|funciona) (?:para|con) (?:los )?opioides",
    re.IGNORECASE)
OVERDOSE = re.compile(r"\boverdos(?:e|es|ed|ing)\b|\bsobredosis\b", re.IGNORECASE)
WHOLE_RESPONSE = {
    "en": ("Signs of an overdose", "No response", "Slow breathing, or no breathing",
           "Blue or gray lips", "Tiny pupils", "Snoring or choking", "Call 911",
           "Give naloxone", "2 to 3 minutes", "second dose", "on their side", "Stay with them",
           "wear off", "do not need a prescription"),
    "es": ("Señales de sobredosis", "No responde", "no respira", "azules o grises", "pupilas",
           "Ronca", "Llame al 911", "Dele naloxona", "2 a 3 minutos", "segunda dosis",
           "de lado", "Quédese con ella", "dejar de hacer efecto", "sin receta"),
}


# The running footer's margin, in inches, on the shipped Letter pages: a sentence that
# goes on over a page break is read whole, not with the footer in the middle of it.
FOOTER = {"handout": 0.72, "large-print": 1.15}


@functools.cache  # the shipped PDFs never change, and the tests here read them all
def text(pdf) -> str:
    """The words in the order they are drawn: columns (the signs of an overdose) read
    one after the other, not line by line across the page."""
    foot = FOOTER.get(pdf.parent.name)
    above = ("-x", "0", "-y", "0", "-W", "612", "-H", str(round(792 - foot * 72))) if foot else ()
    words = pdftotext(pdf, *above, mode="-raw").split()
    # A list's numbers are drawn after the page's text, where they can fall in mid-sentence.
    return " ".join(word for word in words if not re.fullmatch(r"\d+\.", word))


def shipped_pdfs(shipped_out):
    return sorted(shipped_out.glob("*/*.pdf"))


def test_no_built_pdf_gives_conditional_naloxone_advice(shipped_out):
    pdfs = shipped_pdfs(shipped_out)
    assert len(pdfs) > 40
    for pdf in pdfs:
        found = CONDITIONAL.search(text(pdf))
        assert found is None, (pdf.relative_to(shipped_out), found.group())


def test_the_pattern_finds_the_advice_it_is_for():
    for wrong in ("If opioids may be involved, give naloxone.", "Naloxone works only on opioids.",
                  "Si puede haber opioides, dele naloxona.", "solo sirve para opioides"):
        assert CONDITIONAL.search(wrong), wrong


@pytest.mark.parametrize("fmt", ["handout", "large-print"])
def test_every_document_that_speaks_of_overdose_gives_the_whole_response(shipped_out, fmt):
    speaking = 0
    for pdf in sorted((shipped_out / fmt).glob("*.pdf")):
        words = text(pdf)
        body = words.split("Questions? Contact")[0].split("¿Tiene preguntas?")[0]
        if not OVERDOSE.search(body):
            continue
        lang = pdf.name.split(".")[-2] if pdf.name.count(".") == 2 else "en"
        if lang not in WHOLE_RESPONSE:
            continue  # read in its own words by test_scripts.py
        speaking += 1
        missing = [step for step in WHOLE_RESPONSE[lang] if step not in words]
        assert missing == [], (pdf.name, missing)
        # In the order CONTENT.md gives: 911, naloxone, a second dose, on their side, stay.
        steps = WHOLE_RESPONSE[lang][6:11]
        after = words[words.index(WHOLE_RESPONSE[lang][0]):]
        assert [after.index(s) for s in steps] == sorted(after.index(s) for s in steps), pdf.name
    assert speaking >= 10


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_naloxone_handout_with_step_pictures_large_print_and_a_card(shipped_out, lang):
    name = "naloxone.pdf" if lang == "en" else "naloxone.es.pdf"
    for fmt in ("handout", "large-print", "card"):
        assert (shipped_out / fmt / name).is_file()
    with pikepdf.open(shipped_out / "handout" / name) as pdf:
        assert str(pdf.Root.Lang) == lang
        alts = [str(e.get("/Alt", "")) for e in _figures(pdf)]
    steps = "Five steps" if lang == "en" else "Cinco pasos"
    assert any(alt.startswith(steps) for alt in alts)
    assert len([a for a in alts if "QR" not in a and "logo" not in a]) >= 2  # and the kit
    fronts, backs = page_texts(shipped_out / "card" / name)
    first_step = "1. Call 911." if lang == "en" else "1. Llame al 911."
    assert " ".join(backs.split()).count(first_step) == 10


def test_the_english_naloxone_handout_is_one_sheet_with_the_response_on_its_front(shipped_out):
    pages = page_texts(shipped_out / "handout" / "naloxone.pdf")
    assert len(pages) == 2
    front = " ".join(pages[0].split())
    assert all(step in front for step in WHOLE_RESPONSE["en"] if step != "do not need a prescription")


def test_poison_help_says_to_stay_and_when_to_call_911(shipped_out):
    sheet = text(shipped_out / "handout" / "crisis-help-lines.pdf")
    assert "Stay with them, and call 911 if they get sleepier or breathe slowly." in sheet
    hoja = text(shipped_out / "handout" / "crisis-help-lines.es.pdf")
    assert "Quédese con la persona y llame al 911 si le da más sueño o respira lento." in hoja


def test_every_handout_has_a_picture_with_alt_text(shipped_out):
    for pdf in sorted((shipped_out / "handout").glob("*.pdf")):
        with pikepdf.open(pdf) as doc:
            alts = [str(e.get("/Alt", "")) for e in _figures(doc)]
        pictures = [a for a in alts if a and not a.startswith(("QR code", "Código QR"))
                    and "logo" not in a]
        assert pictures, pdf.name


def _figures(pdf):
    return (element for element in struct_elements(pdf) if element.S == "/Figure")


def test_no_source_or_block_says_it_either():
    for path in [*(REPO / "sources").glob("*.md"), *(REPO / "sources" / "blocks").glob("*.yml")]:
        found = CONDITIONAL.search(" ".join(path.read_text("utf-8").split()))
        assert found is None, (path.name, found.group())


def test_the_signs_and_the_steps_share_a_page_in_every_handout(shipped_out):
    """A page turned over between the signs of an overdose and what to do is a page a
    parent may not turn: in a handout they are kept together."""
    heads = {"en": ("Signs of an overdose", "Stay with them"),
             "es": ("Señales de sobredosis", "Quédese con ella")}
    checked = 0
    for pdf in sorted((shipped_out / "handout").glob("*.pdf")):
        lang = "es" if pdf.name.endswith(".es.pdf") else "en"
        pages = [" ".join(p.split()) for p in page_texts(pdf)]
        signs = [i for i, p in enumerate(pages) if heads[lang][0] in p]
        if not signs:
            continue
        checked += 1
        assert heads[lang][1] in pages[signs[0]], pdf.name
    assert checked >= 10


def test_a_spanish_handout_says_its_resources_are_in_english(shipped_out):
    text = " ".join(pdftotext(shipped_out / "handout" / "mixing-dangers.es.pdf").split())
    assert "Estas páginas están en inglés." in text
    english = " ".join(pdftotext(shipped_out / "handout" / "mixing-dangers.pdf").split())
    assert "These pages are in" not in english and "(in English)" not in english
