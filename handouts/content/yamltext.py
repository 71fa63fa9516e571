"""YAML that remembers where each value was written.

Front matter, `resources.yaml` and `_brand.yml` are all written by hand, so
every problem in them must name the line to fix. PyYAML's safe loader gives
plain data; composing the node tree beside it gives the line of every key.

The loader is bounded, because a few hundred bytes of YAML can ask for
gigabytes: aliases (`*name`) that repeat an anchored value that itself
repeats one, an alias inside the value it names, a value nested thousands of
levels deep, a number of thousands of digits. None of these has a place in a
handout's settings, so each is refused at its line before anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..problems import ContentError, Problem, error

KeyPath = tuple[Any, ...]

ALIAS_BUDGET = 8  # aliases per file: the shipped files use none; a few cannot multiply far
MAX_DEPTH = 32  # levels of nesting: the deepest setting is three levels down
MAX_NUMBER_CHARS = 30  # far more than any version, size or count, far under int's 4300 digits
SHOWN_CHARS = 60  # how much of a value a message repeats


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


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that asks for more work than a settings file may."""


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a budget of aliases and nesting, and short numbers.

    Aliases are counted as the document is composed, before any value is made,
    so a file is refused after reading each of its nodes once."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._open: list[str | None] = []  # anchors of the nodes being composed

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if event.anchor in self._open:
                raise _Refused(problem=f"the alias *{event.anchor} is inside the value it "
                               "names, so it never ends; write the value out in full",
                               problem_mark=event.start_mark)
            if self._aliases > ALIAS_BUDGET:
                raise _Refused(problem=f"more than {ALIAS_BUDGET} aliases (*{event.anchor}); "
                               "write each value out in full", problem_mark=event.start_mark)
            return super().compose_node(parent, index)
        if len(self._open) >= MAX_DEPTH:
            raise _Refused(problem=f"values nested more than {MAX_DEPTH} levels deep",
                           problem_mark=event.start_mark)
        self._open.append(getattr(event, "anchor", None))
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()

    def construct_yaml_int(self, node):
        # int() of a long decimal raises; a long hex or base-60 number is made, then
        # cannot be printed, or takes minutes to make. No setting needs one.
        digits = len(node.value.replace("_", ""))
        if digits > MAX_NUMBER_CHARS:
            raise ValueError(f"a number of {digits} characters; no setting needs more "
                             f"than {MAX_NUMBER_CHARS}")
        return super().construct_yaml_int(node)


BoundedLoader.add_constructor("tag:yaml.org,2002:int", BoundedLoader.construct_yaml_int)


def load_yaml(text: str, path: Path, first_line: int = 1) -> YamlText:
    """Parse `text` safely; raise ContentError naming the line of a mistake.

    `first_line` is the file line where `text` starts (front matter starts on
    line 2, after the opening `---`).
    """
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        mark = exc.problem_mark
        raise ContentError([error(path, first_line + mark.line, exc.problem,
                                  column=mark.column + 1)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + mark.line if mark else first_line
        reason = getattr(exc, "problem", None) or str(exc)
        raise ContentError([error(path, line, f"invalid YAML: {reason}",
                                  column=mark.column + 1 if mark else None)]) from None
    except RecursionError:  # not reached within MAX_DEPTH; kept so no traceback ever is
        raise ContentError([error(path, first_line, "values nested too deeply")]) from None
    except (ValueError, TypeError, OverflowError):
        # Well-formed YAML whose value cannot be made: a date such as 2026-13-45.
        raise ContentError([_unmade_value(BoundedLoader(text), node, first_line, path)]) from None
    finally:
        loader.dispose()

    lines: dict[KeyPath, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), first_line, lines, problems, path, set())
    if problems:
        raise ContentError(problems)
    return YamlText(data, path, first_line, lines)


def shown(value: str) -> str:
    """A value as a message repeats it: short, on one line."""
    value = value.replace("\n", " ")
    return value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS - 1] + "…"


def _unmade_value(loader: yaml.SafeLoader, node, first_line: int, path: Path) -> Problem:
    """Name the line of the first value that PyYAML parses but cannot make."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:  # an alias: its value was tried where it was written
            continue
        seen.add(id(current))
        if isinstance(current, yaml.ScalarNode):
            try:
                loader.construct_object(current)
            except (ValueError, TypeError, OverflowError) as exc:
                line = first_line + current.start_mark.line
                at = {"column": current.start_mark.column + 1, "width": len(current.value)}
                if current.tag.endswith(":timestamp"):
                    return error(path, line, f"'{shown(current.value)}' is not a real date "
                                 f"({exc}); write dates as YYYY-MM-DD", **at)
                return error(path, line, f"'{shown(current.value)}' cannot be read: {exc}", **at)
        elif isinstance(current, yaml.MappingNode):
            stack.extend(reversed([part for pair in current.value for part in pair]))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return error(path, first_line, "invalid YAML: a value cannot be read")


def _walk(node, keys: KeyPath, first_line: int, lines, problems, path, walked: set[int]) -> None:
    """Record the line of every key and item, walking each node once: a value
    reached again through an alias keeps the line of the alias."""
    if id(node) in walked:
        return
    walked.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            line = first_line + key_node.start_mark.line
            if key in seen:
                problems.append(error(path, line, f"'{key}' is given twice"))
            seen.add(key)
            lines[keys + (key,)] = line
            _walk(value_node, keys + (key,), first_line, lines, problems, path, walked)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[keys + (index,)] = first_line + item.start_mark.line
            _walk(item, keys + (index,), first_line, lines, problems, path, walked)
