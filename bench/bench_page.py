"""What a branded page costs WeasyPrint against the same text on a plain page.

    .venv/bin/python bench/bench_page.py [--rounds 7] [--profile]

In one warm process, each shipped English handout is laid out and written as a
PDF two ways, turn about:

- branded: the handout as the build renders it (masthead, callouts with their
  icons, pictures, QR codes, the DRAFT watermark, footer, tags);
- plain: the same text, its headings, paragraphs, lists and links only, on a
  Letter page in the same typeface and size, with no stylesheet of ours.

Both go through the same two calls (`render.pdf.lay_out`, `render.pdf.write_pdf`)
with the same PDF options (tagged PDF/UA-1), so the difference is the page alone.
The cost of a page is the sum, over the documents, of each one's median time,
divided by its pages. It prints the two and their ratio (target: 1.15 or less)
and writes them to bench/RESULTS.md; `--profile` prints where a branded page's
time goes instead. A measurement, not a test: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from results import update_section  # noqa: E402

from handouts.content.brand import read_brand  # noqa: E402
from handouts.content.formats import FORMATS  # noqa: E402
from handouts.content.sources import DEFAULT_LANG, discover  # noqa: E402
from handouts.project import Project  # noqa: E402
from handouts.render.document import laid_out_with, read_documents  # noqa: E402
from handouts.render.fetcher import FileAccess  # noqa: E402
from handouts.render.layout import DocumentHtml, layout  # noqa: E402
from handouts.render.pdf import PdfResult, lay_out, write_pdf  # noqa: E402

# What a plain page keeps of the text: its structure, nothing drawn.
TEXT_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "a", "strong", "em", "b", "i",
             "dl", "dt", "dd", "table", "thead", "tbody", "tr", "th", "td", "br", "blockquote"}


@dataclass(frozen=True)
class Timing:
    slug: str
    branded: float  # median seconds, laid out and written
    branded_pages: int
    plain: float
    plain_pages: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--parts", action="store_true",
                        help="what each part of the branding costs, by leaving it out")
    args = parser.parse_args()
    os.chdir(REPO)
    project = Project()
    if args.parts:
        print(parts_report(project, args.rounds))
        return
    pairs = documents(project)
    if args.profile:
        profile(pairs)
        return
    for pair in pairs:  # warm: imports, fonts, stylesheets, images
        pair.branded(), pair.plain()
    timings = measure(pairs, args.rounds)
    text = report(timings, args.rounds) + (
        "\n\nWhere a branded page's time goes: each handout laid out and written whole, "
        "then with one part left out, then without our stylesheets, turn about "
        f"({max(3, args.rounds // 2)} rounds, medians):\n\n"
        + parts_report(project, max(3, args.rounds // 2)))
    print(text)
    update_section("page", text)


@dataclass(frozen=True)
class Pair:
    slug: str
    branded: Callable[[], PdfResult]  # lays the handout out and writes it
    plain: Callable[[], PdfResult]  # the same for its text on a plain page


def documents(project: Project) -> list[Pair]:
    """Each English handout, both ways."""
    brand = read_brand(project.brand).in_language(DEFAULT_LANG)
    fmt = FORMATS["handout"]
    sources = [s for s in discover(project.sources).sources if s.lang == DEFAULT_LANG]
    access = FileAccess((brand.typeface.folder,))
    pairs = []
    for document in read_documents(sources, project.resources).resolved:
        if fmt.name not in document.meta.formats:
            continue
        page = plain_page(layout(document, fmt, brand, project.layouts), brand)
        pairs.append(Pair(
            document.document.slug,
            partial(_branded, document, fmt, brand, project),
            partial(_plain, page, access, brand.typeface.family)))
    return pairs


def _branded(document, fmt, brand, project) -> PdfResult:
    return write_pdf(laid_out_with(document, fmt, brand, project, False, None))


def _plain(page: DocumentHtml, access: FileAccess, family: str) -> PdfResult:
    return write_pdf(lay_out(page, access, family))


def plain_page(branded: DocumentHtml, brand) -> DocumentHtml:
    """The text of a handout's HTML (its <main>) on a plain page: same typeface and size."""
    import nh3

    main = re.search(r"<main\b.*?</main>", branded.html, re.DOTALL)
    text = nh3.clean(main.group(0), tags=TEXT_TAGS, attributes={}, link_rel=None)
    faces = "".join(
        f'@font-face {{ font-family: "{brand.typeface.family}"; src: url("{face.path.as_uri()}"); '
        f"font-weight: {weight}; font-style: {face.style}; }}\n"
        for face in brand.typeface.faces for weight in face.weights)
    style = (f"{faces}@page {{ size: letter; margin: 0.75in }} "
             f'body {{ font-family: "{brand.typeface.family}"; font-size: {brand.base_size}; '
             f"line-height: {brand.line_height} }}")
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>plain</title>'
            f"<style>{style}</style></head><body>{text}</body></html>")
    return DocumentHtml(html=html, base_url=REPO.as_uri() + "/", stylesheets=())


def measure(pairs: list[Pair], rounds: int) -> list[Timing]:
    times: dict[str, dict[str, list[float]]] = {}
    pages: dict[str, dict[str, int]] = {}
    for _ in range(rounds):
        for pair in pairs:
            for name, work in (("branded", pair.branded), ("plain", pair.plain)):
                started = time.perf_counter()
                result = work()
                times.setdefault(pair.slug, {}).setdefault(name, []).append(
                    time.perf_counter() - started)
                pages.setdefault(pair.slug, {})[name] = result.pages
    return [Timing(slug, statistics.median(t["branded"]), pages[slug]["branded"],
                   statistics.median(t["plain"]), pages[slug]["plain"])
            for slug, t in times.items()]


def profile(pairs: list[Pair]) -> None:
    for pair in pairs:
        pair.branded()
    profiler = cProfile.Profile()
    profiler.enable()
    for pair in pairs:
        pair.branded()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


# The branded page with one part left out: what is left costs what that part does not.
WITHOUT = {
    "pictures and QR codes": lambda html: re.sub(r"<img\b[^>]*>|<svg\b.*?</svg>", "", html,
                                                  flags=re.DOTALL),
    "the DRAFT watermark": lambda html: re.sub(r"@page \{ background: url\([^)]*\)[^}]*\}", "",
                                               html),
    "the running footer": lambda html: re.sub(r"@bottom-\w+ \{[^}]*\}", "", html),
}


def parts_report(project: Project, rounds: int) -> str:
    """Each handout laid out and written whole, without one part, and without our
    stylesheets, turn about: milliseconds a page."""
    brand = read_brand(project.brand).in_language(DEFAULT_LANG)
    fmt = FORMATS["handout"]
    sources = [s for s in discover(project.sources).sources if s.lang == DEFAULT_LANG]
    access = FileAccess((project.sources, project.templates, project.styles,
                         brand.typeface.folder), brand.files)
    variants: dict[str, list[DocumentHtml]] = {}
    for document in read_documents(sources, project.resources).resolved:
        if fmt.name not in document.meta.formats:
            continue
        page = layout(document, fmt, brand, project.layouts)
        variants.setdefault("branded", []).append(page)
        for part, leave_out in WITHOUT.items():
            variants.setdefault(f"without {part}", []).append(
                replace(page, html=leave_out(page.html)))
        variants.setdefault("without our stylesheets", []).append(
            DocumentHtml(page.html, page.base_url, ()))
        variants.setdefault("plain", []).append(plain_page(page, brand))
    times = {name: [[] for _ in pages] for name, pages in variants.items()}
    counts = {name: [0] * len(pages) for name, pages in variants.items()}
    for round_ in range(rounds + 1):  # the first round warms
        for index in range(len(variants["branded"])):
            for name, pages in variants.items():
                started = time.perf_counter()
                result = write_pdf(lay_out(pages[index], access, brand.typeface.family))
                if round_:
                    times[name][index].append(time.perf_counter() - started)
                counts[name][index] = result.pages
    lines = ["| the handouts | pages | ms a page | against plain |", "| --- | ---: | ---: | ---: |"]
    plain = _per_page(times["plain"], counts["plain"])
    for name in variants:
        cost = _per_page(times[name], counts[name])
        lines.append(f"| {name} | {sum(counts[name])} | {1000 * cost:.1f} | {cost / plain:.2f}x |")
    return "\n".join(lines)


def _per_page(times: list[list[float]], pages: list[int]) -> float:
    return sum(statistics.median(t) for t in times) / sum(pages)


def report(timings: list[Timing], rounds: int) -> str:
    branded = sum(t.branded for t in timings) / sum(t.branded_pages for t in timings)
    plain = sum(t.plain for t in timings) / sum(t.plain_pages for t in timings)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "## A branded page against a plain one (bench/bench_page.py)", "",
        f"Measured on {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs (load average "
        f"at the end {load}); Python {platform.python_version()}. Each of "
        f"{len(timings)} English handouts laid out and written {rounds} times each way, turn "
        "about, in one warm process; medians. Plain: the same text (headings, paragraphs, "
        "lists, links) on a Letter page in the same typeface and size, no stylesheet of ours; "
        "both tagged PDF/UA-1.", "",
        "| document | branded pages | branded s | plain pages | plain s | a page, branded/plain |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in sorted(timings, key=lambda t: t.slug):
        ratio = (t.branded / t.branded_pages) / (t.plain / t.plain_pages)
        lines.append(f"| {t.slug} | {t.branded_pages} | {t.branded:.3f} | {t.plain_pages} | "
                     f"{t.plain:.3f} | {ratio:.2f} |")
    lines += ["", f"A page: branded **{1000 * branded:.1f} ms**, plain {1000 * plain:.1f} ms: "
              f"**{branded / plain:.2f}x** (target: 1.15x or less)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
