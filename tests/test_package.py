"""The package's shape: its folders are its concerns, and they import only downward.

content (what staff wrote) <- render (one document) <- library (the whole
library) <- check <- deliver <- web <- preview (a writer's page, on the staff
app's parts) <- cli; the top-level project.py and
problems.py are shared by all and import none of them. No cycles, even lazy
imports inside functions or imports only for types.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "handouts"
LAYERS = {"content": 1, "render": 2, "library": 3, "check": 4, "deliver": 5, "web": 6,
          "preview": 7, "cli": 8}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Each module of the package, and the package modules it imports, anywhere in it."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        here = name.split(".")[:-1] if path.stem != "__init__" else name.split(".")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
                target = ".".join([*base, node.module] if node.module else base)
                if node.module:
                    found[name].add(target)
                else:  # from . import pictures, tagging
                    found[name].update(f"{target}.{a.name}".strip(".") for a in node.names
                                       if a.name != "__version__")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handouts."):
                found[name].add(node.module.removeprefix("handouts."))
    return found


def layer(module: str) -> int:
    return LAYERS.get(module.split(".")[0], 0)


def test_nothing_imports_upward():
    upward = sorted((a, b) for a, targets in imports().items() for b in targets
                    if layer(b) > layer(a))
    assert upward == []


def test_no_import_cycles():
    graph = imports()
    cycles, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(path[path.index(module):] + [module])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_listing_shows_the_concerns():
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert folders == ["check", "cli", "content", "deliver", "library", "preview", "render", "web"]
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == ["__init__", "problems", "project"]
    for folder in folders:  # each says what it is for
        assert ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))


def test_the_tests_mirror_the_package():
    """A test folder for each concern, and no test file left at the top but this one."""
    tests = REPO / "tests"
    folders = sorted(p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py")))
    concerns = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert folders == concerns
    assert [p.name for p in tests.glob("test_*.py")] == ["test_package.py"]
