"""`check` in a language with no reading-level formula: Chinese, Vietnamese, Arabic and
Russian are held to the length of their sentences and paragraphs (in characters for
Chinese), and the check says plainly what it cannot judge in them."""

from pathlib import Path

from conftest import source_text

from handouts.check.gate import not_checked
from handouts.check.readability import measure_of, score
from handouts.check.reading_level import reading_level
from handouts.content.documents import parse
from handouts.content.sources import SourceFile

FRONT = "title: T\nsummary: S.\ncode: TEST-001\nreview:\n  status: draft"


def document(lang: str, body: str):
    text = source_text(FRONT, body)
    return parse(SourceFile(Path(f"/library/doc.{lang}.md"), "doc", lang, text, "0" * 64))


def rules(found) -> list[str]:
    return [f.rule for f in found]


def test_english_and_spanish_keep_their_formulas_and_the_others_have_none():
    assert (measure_of("en"), measure_of("es")) == ("grade", "ease")
    assert {measure_of(lang) for lang in ("zh", "vi", "ar", "ru")} == {"sentence-length"}
    assert not_checked("en") == not_checked("es") == ()
    assert not_checked("ru")[0] == "reading-level formula (sentence and paragraph length instead)"


def test_chinese_is_counted_in_characters_and_split_at_its_own_full_stops():
    # 10 characters, then 7: no spaces between words, and none after a full stop.
    result = score(["请按医生说的方法服药。不要和酒一起吃。"], "zh")
    assert [s.words for s in result.sentences] == [10, 7]  # the stop is not a character
    assert result.value == 8.5  # the average sentence, in characters
    # A drug's Latin name or a number inside it counts once, as a word would.
    assert score(["每天吃一次 Suboxone 药。"], "zh").words == 7


def test_a_long_chinese_sentence_and_paragraph_are_found_in_characters():
    long = "这种药会让您的呼吸变慢所以不要和酒一起服用也不要和其他让人想睡觉的药一起服用否则可能很危险。"
    found = reading_level(document("zh", f"## 为什么\n\n{long}{long}{long}\n\n{long}\n"))[1]
    assert "grade" not in rules(found)  # no formula is applied to Chinese
    [sentences] = [f for f in found if f.rule == "sentence-length"]
    assert "sentences average" in sentences.message and "characters (aim under 35)" in sentences.message
    [paragraph] = [f for f in found if f.rule == "paragraph-length"]
    assert "a paragraph of 135 characters (aim 100 or fewer" in paragraph.message
    assert paragraph.message.endswith('"这种药会让您的呼吸变慢所以不要和酒一起服用也不要..."')
    assert paragraph.line == 11  # where the paragraph starts in the file


def test_russian_is_held_to_its_sentences_and_paragraphs_in_words():
    short = "Это лекарство замедляет дыхание. Не пейте его с алкоголем.\n"
    found = reading_level(document("ru", f"## Почему\n\n{short}"))[1]
    assert found == []
    paragraph = " ".join(["Позвоните нам, если вам плохо."] * 13)  # 65 words in one paragraph
    found = reading_level(document("ru", f"## Почему\n\n{paragraph}\n"))[1]
    assert rules(found) == ["paragraph-length"]
    assert "a paragraph of 65 words (aim 60 or fewer" in found[0].message


def test_the_table_says_how_a_language_without_a_formula_reads():
    from handouts.check.gate import DocumentSummary

    row = DocumentSummary(Path("x.zh.md"), "x", "zh", "sentence-length", 12.5, 100,
                          unit="characters")
    assert row.reading == "12.5 characters a sentence"
