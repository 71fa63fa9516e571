"""YAML that remembers where each value was written.

Front matter, `resources.yaml` and `_brand.yml` are all written by hand, so
every problem in them must name the line to fix. PyYAML's safe loader gives
plain data; composing the node tree beside it gives the line of every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from .problems import ContentError, Problem, error

KeyPath = tuple[Any, ...]


@dataclass(frozen=True)
class YamlText:
    """Parsed YAML data and the source line of every key and list item."""

    data: Any
    path: Path
    first_line: int = 1
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, *keys: Any) -> int:
        """The line of the deepest written part of `keys` (the top if none)."""
        for depth in range(len(keys), 0, -1):
            if keys[:depth] in self.lines:
                return self.lines[keys[:depth]]
        return self.first_line

    def error(self, keys: KeyPath, message: str, rule: str | None = None) -> Problem:
        return error(self.path, self.line(*keys), message, rule)


def load_yaml(text: str, path: Path, first_line: int = 1) -> YamlText:
    """Parse `text` safely; raise ContentError naming the line of a mistake.

    `first_line` is the file line where `text` starts (front matter starts on
    line 2, after the opening `---`).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark else first_line
        reason = getattr(exc, "problem", None) or str(exc)
        raise ContentError([error(path, line, f"invalid YAML: {reason}")]) from None
    except (ValueError, TypeError, OverflowError):
        # Well-formed YAML whose value cannot be made: a date such as 2026-13-45.
        raise ContentError([_unmade_value(yaml.SafeLoader(text), node, first_line, path)]) from None
    finally:
        loader.dispose()

    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), first_line, lines, problems, path)
    if problems:
        raise ContentError(problems)
    return YamlText(data, path, first_line, lines)


def _unmade_value(loader: yaml.SafeLoader, node, first_line: int, path: Path) -> Problem:
    """Name the line of the first value that PyYAML parses but cannot make."""
    stack = [node]
    while stack:
        current = stack.pop(0)
        if isinstance(current, yaml.ScalarNode):
            try:
                loader.construct_object(current)
            except (ValueError, TypeError, OverflowError) as exc:
                line = first_line + current.start_mark.line
                if current.tag.endswith(":timestamp"):
                    return error(path, line, f"'{current.value}' is not a real date ({exc}); "
                                 "write dates as YYYY-MM-DD")
                return error(path, line, f"'{current.value}' cannot be read: {exc}")
        elif isinstance(current, yaml.MappingNode):
            stack[:0] = [part for pair in current.value for part in pair]
        elif isinstance(current, yaml.SequenceNode):
            stack[:0] = list(current.value)
    return error(path, first_line, "invalid YAML: a value cannot be read")


def _walk(node, keys: KeyPath, first_line: int, lines, problems, path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = first_line + key_node.start_mark.line
            if key in seen:
                problems.append(error(path, line, f"'{key}' is given twice"))
            seen.add(key)
            lines[keys + (key,)] = line
            _walk(value_node, keys + (key,), first_line, lines, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[keys + (index,)] = first_line + item.start_mark.line
            _walk(item, keys + (index,), first_line, lines, problems, path)
