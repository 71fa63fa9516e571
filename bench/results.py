"""bench/RESULTS.md is written by several benchmarks: each replaces its own section."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = ("# Benchmark results\n\nWritten by the scripts in `bench/`; each section says which "
          "and when. Figures are measurements from one run on a shared, noisy machine: compare "
          "figures within a section, not across sections.\n")


def update_section(name: str, text: str) -> None:
    """Put `text` in RESULTS.md between the markers for `name`, keeping the other sections."""
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else HEADER
    if not current.startswith("# Benchmark results"):
        current = HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(updated)
