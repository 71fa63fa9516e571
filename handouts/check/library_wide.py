"""What is checked once for the whole library rather than per document: each safety
block in each language, the translations against their English, document codes, the
resource list and the search synonyms."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

from ..content.blocks import Blocks, SafetyBlock
from ..content.brand import Brand
from ..content.documents import DocMeta, Document
from ..content.i18n import read_document, translation_problem
from ..content.markup import BLOCK_MARK
from ..content.resources import Library
from ..content.sources import SourceFile
from ..content.yamltext import load_yaml
from ..library.search import read_synonyms
from ..problems import Problem, error, warning
from ..render.numbering import CITATION, citation_keys
from .communication import jargon_before_definition, missing_steps
from .per_document import (
    alt_text_problems,
    phone_number_problems,
    reference_problems,
    review_problems,
    ruled,
    word_problems,
)
from .reading_level import reading_level
from .wording import passages

ACCESSED_LIMIT = dt.timedelta(days=365)



def block_problems(blocks: Blocks, library: Library, brand: Brand | None,
            today: dt.date) -> list[Problem]:
    found: list[Problem] = []
    for block in blocks.entries.values():
        found += review_problems(_block_document(block, "en"), today)
        for lang in block.texts:
            found += _block_text(block, lang, blocks, library, brand)
    return found


def _block_text(block: SafetyBlock, lang: str, blocks: Blocks, library: Library,
                brand: Brand | None) -> list[Problem]:
    document = _block_document(block, lang)
    path, text = block.path, block.texts[lang]
    report = warning if block.review.is_draft else error
    problems, body_html = reference_problems(document, library, blocks, brand,
                                      images_root=blocks.folder.parent)
    found = [*problems, *word_problems(document), *phone_number_problems(document),
             *alt_text_problems(document, body_html)]
    found += reading_level(document)[1]
    own = [(part, True) for part in passages(text.markdown, text.line)]
    found += [report(path, line, f"'{words}' is a medical word: a block is read wherever it is "
                     "placed, so explain it in the block, the first time", "jargon")
              for line, _, words in jargon_before_definition(own, lang)]
    found += [report(path, f.line, f.message, "steps")
              for f in missing_steps(document, blocks, required=False)]
    for offset, line in enumerate(text.markdown.split("\n")):
        for mark in BLOCK_MARK.finditer(line):
            if blocks.get(mark[1]) is not None:
                found.append(error(path, text.line + offset, f"{mark.group()}: a block cannot "
                                   "place another block", "blocks"))
    if lang != "en" and not block.review.is_draft and not text.translation_reviewed_by:
        found.append(error(path, block.front_matter.line(lang), f"approved, but its '{lang}' "
                           "text has no 'translation_reviewed_by': a qualified medical "
                           "translator reviews it first", "reviewer"))
    return found


def _block_document(block: SafetyBlock, lang: str) -> Document:
    """A block's text in one language, read as a document of its own, at its own lines."""
    text = block.texts[lang]
    source = SourceFile(block.path, block.name, lang, text.markdown, "")
    meta = DocMeta(title=block.title, summary="", review=block.review)
    return Document(source, meta, text.markdown, text.line, block.front_matter)


def translation_problems(documents: list[Document]) -> list[Problem]:
    """Stale translations, each compared with its English as parsed among `documents`
    (read from its file only if it is not there)."""
    parsed = {document.source.path: document for document in documents}

    def english_of(path: Path) -> Document:
        return parsed[path] if path in parsed else read_document(path)

    return [p for p in (translation_problem(d, english_of) for d in documents) if p]


def code_problems(documents: list[Document]) -> list[Problem]:
    by_code: defaultdict[str, set[str]] = defaultdict(set)
    for document in documents:
        if document.meta.code:
            by_code[document.meta.code].add(document.slug)
    found = []
    for document in documents:
        others = by_code.get(document.meta.code or "", set()) - {document.slug}
        if others:
            found.append(error(document.source.path, document.front_matter.line("code"),
                               f"code {document.meta.code} is also used by "
                               f"{', '.join(sorted(others))}", "duplicate-code"))
    return found


def resource_problems(library: Library, documents: list[Document], blocks: Blocks,
               today: dt.date) -> list[Problem]:
    used: Counter[str] = Counter()
    for document in documents:
        used.update(document.meta.resources)
    cited_in = [d.body_md for d in documents]
    cited_in += [t.markdown for b in blocks.entries.values() for t in b.texts.values()]
    used.update(key for text in cited_in for match in CITATION.finditer(text)
                for key in citation_keys(match.group(1)))
    found = []
    for key, resource in library.entries.items():
        if resource.accessed and today - resource.accessed > ACCESSED_LIMIT:
            found.append(warning(library.path, resource.line, f"'{key}' was last checked on "
                                 f"{resource.accessed.isoformat()}: open it, check it still says "
                                 "what we cite it for, and update 'accessed'", "resource-accessed"))
        if not used[key]:
            found.append(warning(library.path, resource.line,
                                 f"'{key}' is not used by any document",
                                 "unused-resource"))
    return found


def synonym_problems(path: Path) -> list[Problem]:
    """The search's synonyms are reviewed like content: a wrong group sends staff to
    the wrong handout. Until a clinician approves them, `check` says so."""
    synonyms, problems = read_synonyms(path)
    found = [ruled(p, "synonyms") for p in problems]
    if path.is_file() and synonyms.draft and not problems:
        found.append(warning(path, load_yaml(path.read_text("utf-8"), path).line("review"),
                             "the synonyms staff search by are a draft: a clinician or "
                             "pharmacist checks each group, then sets review: status: approved",
                             "synonyms"))
    return found
