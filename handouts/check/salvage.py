"""What can still be checked of a source whose front matter has a problem: its body,
and what of its front matter can be read."""

from __future__ import annotations

from ..content.documents import DocMeta, Document, closing_line
from ..content.sources import SourceFile
from ..content.yamltext import YamlText, load_yaml
from ..problems import ContentError


def salvaged(source: SourceFile) -> Document | None:
    """The source's body, and what of its front matter can be read: its words and
    reading level are still checked, and the resources it cites still count as used."""
    split = _split(source.text)
    if split is None:
        return None  # empty, or no telling where the front matter ends
    front_matter, body, body_line = split
    try:
        fm = load_yaml(front_matter, source.path, first_line=2)
    except ContentError:  # already reported, by parse
        fm = YamlText({}, source.path, 2)
    data = fm.data if isinstance(fm.data, dict) else {}
    meta = DocMeta(title=_plain(data.get("title")), summary=_plain(data.get("summary")),
                   subtitle=_plain(data.get("subtitle")) or None,
                   code=_plain(data.get("code")) or None,
                   resources=_names(data.get("resources")),
                   allow_terms=_names(data.get("allow_terms")))
    return Document(source, meta, body, body_line, fm)


def _split(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, body's first line), as documents.split_front_matter
    splits, but for YAML that may not parse; a file with no front matter is all body."""
    lines = text.split("\n")
    if not text.strip():
        return None
    if lines[0].strip() != "---":
        return "", text, 1
    end = closing_line(lines)
    if end is None:
        return None
    return "\n".join(lines[1:end]), "\n".join(lines[end + 1:]), end + 2


def _plain(value) -> str:
    return " ".join(str(value).split()) if isinstance(value, (str, int, float)) else ""


def _names(value) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(item.strip() for item in items if isinstance(item, str) and item.strip())
