"""What the tag tree's last step costs (handouts/tagging.py), per format.

    .venv/bin/python bench/bench_tagging.py [--runs 15]

Lays each document out once, then writes its PDF many times, in turns with and
without the step that mends WeasyPrint's tag tree (joining what page breaks cut,
artifacts, headings, languages, link descriptions), in one process, so both
are measured under the same load. It prints the medians and writes them to
bench/RESULTS.md. Measurements, not tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from results import update_section  # noqa: E402

from handouts.content.brand import read_brand  # noqa: E402
from handouts.content.formats import FORMATS  # noqa: E402
from handouts.content.sources import read_source  # noqa: E402
from handouts.project import Project  # noqa: E402
from handouts.render import pdf, tagging  # noqa: E402
from handouts.render.document import read_documents  # noqa: E402
from handouts.render.fetcher import FileAccess  # noqa: E402
from handouts.render.layout import layout  # noqa: E402

DOCUMENTS = (("handout", "klonopin-overview"), ("large-print", "klonopin-overview"),
             ("brochure", "safe-storage-disposal"), ("card", "naloxone"))


def laid_out(fmt: str, slug: str):
    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml")
    brand = read_brand(project.brand)
    [resolved] = read_documents([read_source(REPO / "sources" / f"{slug}.md")],
                                REPO / "sources" / "resources.yaml").resolved
    html = layout(resolved, FORMATS[fmt], brand, project.layouts)
    access = FileAccess((project.sources, project.templates, project.styles,
                         brand.typeface.folder), brand.files)
    return pdf.lay_out(html, access, brand.typeface.family)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    finish = tagging.finish
    rows = []
    for fmt, slug in DOCUMENTS:
        document = laid_out(fmt, slug)
        pdf.write_pdf(document)  # warm: fonts subset, images read
        times = {"with": [], "without": []}
        step: list[float] = []

        def timed(doc, written, step=step):
            start = time.perf_counter()
            finish(doc, written)
            step.append(time.perf_counter() - start)

        for _ in range(runs):
            for name, hook in (("with", timed), ("without", lambda doc, written: None)):
                tagging.finish = hook
                start = time.perf_counter()
                result = pdf.write_pdf(document)
                times[name].append(time.perf_counter() - start)
        tagging.finish = finish
        with_, without = (statistics.median(times[n]) for n in ("with", "without"))
        rows.append((fmt, slug, result.pages, without, with_, statistics.median(step)))
        print(f"{fmt:12} {slug:24} {result.pages} pages  write {without * 1000:6.1f} ms, "
              f"with the step {with_ * 1000:6.1f} ms (the step alone "
              f"{statistics.median(step) * 1000:.1f} ms)")
    table = ["| format | document | pages | writing the PDF | with the tag step | the step alone |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    table += [f"| {fmt} | {slug} | {pages} | {without * 1000:.1f} ms | {with_ * 1000:.1f} ms "
              f"(×{with_ / without:.2f}) | {step * 1000:.1f} ms |"
              for fmt, slug, pages, without, with_, step in rows]
    update_section("tagging", "\n".join([
        "## The tag tree's last step (bench/bench_tagging.py)", "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}. Each document laid out once, then its PDF written "
        f"{runs} times with and {runs} times without `tagging.finish`, in turns, in one "
        "process; medians. Layout, which the step does not touch, is not in these figures.", "",
        *table]))


if __name__ == "__main__":
    main()
