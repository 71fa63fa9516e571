"""Languages: Spanish PDFs with no English in their frame, and translations that go stale."""

import re

import pikepdf
from babel.messages.pofile import read_po
from conftest import REPO, Workspace, page_texts, pdftotext, source_text

from handouts.content.documents import content_digest, parse
from handouts.content.i18n import LOCALE, translations, untranslated
from handouts.content.sources import discover, read_source
from handouts.render.document import read_documents


def english_frame_words() -> list[str]:
    """Every English phrase the templates and the brand file print, without placeholders.
    (Not the titles of the resources cited: those are the English pages' own titles.)"""
    with (LOCALE / "messages.pot").open("rb") as pot:
        messages = [text for m in read_po(pot) if m.id
                    for text in (m.id if isinstance(m.id, tuple) else (m.id,))
                    # the same in both languages: "crisis", "alcohol"
                    if translations("es").gettext(text) != text]
    brand = (REPO / "_brand.yml").read_text()
    messages += re.findall(r"^\s+en: (.+)$", brand, re.MULTILINE)
    cited = (REPO / "sources" / "resources.yaml").read_text()
    words = []
    for message in messages:
        for fragment in re.split(r"%\(\w+\)s|\{\w+\}", message):
            fragment = fragment.strip(" .?,")
            if len(fragment) >= 5 and not fragment.startswith("[") and fragment not in cited:
                words.append(fragment)
    return words


def test_every_template_string_has_a_spanish_translation():
    assert untranslated("es") == []
    assert translations("es").gettext("Resources") == "Recursos"


def test_every_language_the_project_prints_has_every_template_string_and_crisis_line():
    from handouts.content.brand import load_brand
    from handouts.content.i18n import untranslated_problems
    from handouts.content.sources import languages

    assert {"es", "ru"} <= set(languages())
    brand = load_brand(REPO / "_brand.yml")
    for lang in languages():
        assert untranslated(lang) == [], lang
        assert untranslated_problems([lang], brand) == [], lang
    # The SAMHSA helpline's languages, said truthfully in each: English and Spanish.
    assert "на английском и испанском" in brand.in_language("ru").crisis_lines[2].details


def test_spanish_pdfs_are_tagged_es_with_no_english_frame(shipped_out):
    spanish = sorted(shipped_out.rglob("*.es.pdf"))
    assert len(spanish) >= 5 * 2  # five translations, each with its large-print twin
    english = english_frame_words()
    assert "Questions? Contact" in english and "Call or text 988" in english
    assert any(words.startswith("This handout is for learning") for words in english)
    for pdf in spanish:
        with pikepdf.open(pdf) as doc:
            assert str(doc.Root.Lang) == "es", pdf
            alts = [str(e.get("/Alt", "")) for e in _figures(doc)]
        text = " ".join(pdftotext(pdf).split()) + " " + " ".join(alts)
        for words in english:
            assert words not in text, (pdf.name, words)
        if pdf.parent.name in ("handout", "large-print"):
            assert "Página 1 de" in text


def _figures(doc):
    stack = [doc.Root.StructTreeRoot]
    while stack:
        kids = stack.pop().get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                if kid.S == "/Figure":
                    yield kid
                stack.append(kid)


def test_spanish_dates_and_review_line(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("doc.es.md", source_text("""
        title: Aprobado
        summary: Un resumen.
        review:
          status: approved
          reviewed_by: Equipo clínico
          reviewed_on: 2026-11-24
          next_review: 2027-11-24
        """))
    assert ws.run("build", "--format", "handout").code == 0
    footer = page_texts(ws.pdf("doc.es.pdf"))[0].strip().splitlines()[-1]
    assert "Versión 1 · Revisado en noviembre de 2026 · Próxima revisión en noviembre de 2027" in footer
    assert footer.rstrip().endswith("Página 1 de 1")


def test_every_shipped_document_cites_two_resources_and_each_resolves():
    sources = REPO / "sources"
    documents = read_documents(list(discover(sources).sources), sources / "resources.yaml")
    assert documents.problems == () and documents.failed == ()
    english = [r for r in documents.resolved if r.document.lang == "en"]
    spanish = [r for r in documents.resolved if r.document.lang == "es"]
    assert len(english) >= 10 and len(spanish) >= 5
    for resolved in documents.resolved:
        meta = resolved.document.meta
        cited = {c.resource.key for c in resolved.citations if c.cited}
        assert len(cited) >= 2, resolved.document.source.path.name
        assert meta.summary and meta.topics and meta.audience
        assert meta.review.status == "draft"


def test_every_shipped_translation_is_current():
    for path in sorted((REPO / "sources").glob("*.es.md")):
        translation = parse(read_source(path))
        english = parse(read_source(path.with_name(f"{translation.slug}.md")))
        assert translation.meta.source_digest == content_digest(english), path.name


def test_stale_translation_is_a_build_warning_and_shows_in_list(tmp_path):
    ws = Workspace(tmp_path)
    english = ws.write("doc.md", source_text("title: Hello\nsummary: A summary."))
    digest = content_digest(parse(read_source(english)))
    ws.write("doc.es.md", source_text(f"title: Hola\nsummary: Un resumen.\nsource_digest: {digest}"))
    fresh = ws.run("build", "--format", "handout")
    assert fresh.code == 0 and fresh.err == ""
    assert "(stale)" not in ws.run("list").out

    english.write_text(source_text("title: Hello again\nsummary: A new summary."))
    stale = ws.run("build", "--format", "handout")
    assert stale.code == 0  # a warning, not an error: the old translation still prints
    [line] = [found for found in stale.error_lines if "doc.es.md" in found]
    assert re.search(r"doc\.es\.md:4: warning: doc\.md has changed since this translation was made", line)
    listing = ws.run("list").out
    assert re.search(r"doc\s+es\s+draft \(stale\)", listing)
    assert ws.run("build", "--format", "handout", "--strict").code == 1


def test_a_translation_with_no_english_says_so(tmp_path):
    """A translation whose English source is gone (renamed, deleted) still prints, with
    a warning that there is nothing for it to follow, at build and at check."""
    ws = Workspace(tmp_path)
    ws.write("doc.es.md", source_text("title: Hola\nsummary: Un resumen.\nsource_digest: x"))
    built = ws.run("build", "--format", "handout")
    assert built.code == 0
    assert any(re.search(r"doc\.es\.md:1: warning: a translation of 'doc', but there is no "
                         r"doc\.md to follow", line) for line in built.error_lines), built.err
    assert "there is no doc.md to follow" in ws.run("check").out + ws.run("check").err


def test_brand_text_without_a_translation_is_a_warning(tmp_path):
    ws = Workspace(tmp_path)
    ws.brand.write_text(ws.brand.read_text().replace(
        "          es: Ayuda en caso de envenenamiento\n", ""))
    ws.write("doc.es.md", source_text("title: Hola\nsummary: Un resumen."))
    run = ws.run("build", "--format", "handout")
    assert any("no 'es' text for crisis line 4" in line for line in run.error_lines)
