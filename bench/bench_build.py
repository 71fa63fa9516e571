"""Build throughput, measured against the peers in one run.

    make bench        (or: .venv/bin/python bench/bench_build.py [--documents 100])

Builds the shipped catalog, then a synthetic catalog of 100 handouts three ways,
each from a cold process, on the same machine in the same run:

- this pipeline: `make_docs.py build --force --format handout`, one worker per CPU;
- bare WeasyPrint: the very same HTML and stylesheets, rendered by one warm
  process per CPU with nothing else to do (the ceiling for our own overhead);
- the Pandoc path a user would reach for: `pandoc --pdf-engine=weasyprint`,
  one process per document, as many at a time as there are CPUs, same CSS.

It prints documents and pages per second, the ratios, the no-op rebuild time,
the peak memory of a worker and the PDF sizes by format, and writes them to
bench/RESULTS.md. These are measurements, not tests: the machines are shared
and noisy, so compare figures from one run only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CPUS = len(os.sched_getaffinity(0))
ROUNDS = 3

BUILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from handouts.project import BuildRequest, Project
    from handouts.library.build import build
    sources, out, fmt = sys.argv[1:4]
    report = build(Project(sources=Path(sources), out=Path(out), brand=Path(sys.argv[4])),
                   BuildRequest(force=True, formats=(fmt,) if fmt != "all" else ()))
    print(json.dumps({"written": len(report.written), "pages": sum(e.pages for e in report.written),
                      "peak_kb": report.peak_memory_kb, "exit": report.exit_code}))
""")

PACKET = textwrap.dedent("""
    import json, tempfile, time
    from pathlib import Path
    from handouts.project import BuildRequest, Project
    from handouts.library.build import build
    from handouts.deliver.packet import PacketRequest, Personalisation, build_packet
    slugs = ("klonopin-overview", "mixing-dangers", "crisis-help-lines")
    # As the staff app does: the library built first (its files say how each
    # handout is laid out, which a packet follows), not timed.
    project = Project(out=Path(tempfile.mkdtemp()))
    build(project, BuildRequest(formats=("handout",)))
    # Warm the process (imports, fonts, stylesheets) with other handouts.
    build_packet(project, PacketRequest(("what-is-detox",), Personalisation("Warm Up")))
    def timed(name):
        started = time.perf_counter()
        packet = build_packet(project, PacketRequest(slugs, Personalisation(name)))
        return time.perf_counter() - started, packet.pages
    first, pages = timed("First Family")  # these handouts laid out for the first time
    seconds = [timed(f"Family {n}")[0] for n in range(7)]  # each another family
    print(json.dumps({"first": first, "seconds": seconds, "pages": pages}))
""")

BARE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    fonts = FontConfiguration()
    sheets = [CSS(filename=p, font_config=fonts) for p in sys.argv[2].split(",")]
    for page in Path(sys.argv[1]).read_text().split():
        html = Path(page)
        HTML(filename=html, base_url=sys.argv[3]).write_pdf(
            html.with_suffix(".pdf"), stylesheets=sheets, font_config=fonts,
            pdf_variant="pdf/ua-1", pdf_identifier=True)
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="handouts-bench-"))
    try:
        results = measure(work, args.documents)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = report(results)
    print(text)
    from results import update_section

    update_section("build", text)


def measure(work: Path, count: int) -> dict:
    results: dict = {"machine": machine(), "documents": count}
    brand = REPO / "_brand.yml"

    shipped_out = work / "shipped"
    seconds, built = timed_build(REPO / "sources", shipped_out, "all", brand)
    results["shipped"] = {"seconds": seconds, **built, "sizes": sizes(shipped_out)}

    synthetic = make_synthetic(work / "synthetic", count)
    ours_out = work / "ours"
    html_dir = work / "html"
    sheets = export_html(synthetic, html_dir, brand)
    # Ours and bare WeasyPrint, turn about, three times each: the median of each
    # is compared, so a noisy neighbour on the machine hits both alike.
    ours, bare = [], []
    for _ in range(ROUNDS):
        seconds, built = timed_build(synthetic, ours_out, "handout", brand)
        ours.append({"seconds": seconds, **built})
        bare.append(bare_weasyprint(html_dir, sheets, synthetic))
    results["ours"] = median_run(ours)
    results["bare"] = median_run(bare)
    results["rounds"] = {"ours": [round(r["seconds"], 2) for r in ours],
                         "bare": [round(r["seconds"], 2) for r in bare]}
    results["noop"] = [timed([PYTHON, str(REPO / "make_docs.py"), "build", "--sources", str(synthetic),
                              "--out", str(ours_out), "--brand", str(brand), "--format", "handout"])
                       for _ in range(7)]

    if shutil.which("pandoc"):
        results["pandoc"] = pandoc(synthetic, work / "pandoc", brand)
    results["packet"] = json.loads(subprocess.run([PYTHON, "-c", PACKET], check=True, capture_output=True,
                                                  text=True, cwd=REPO).stdout.strip().splitlines()[-1])
    return results


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "?")
    pandoc_version = (subprocess.run(["pandoc", "--version"], capture_output=True, text=True)
                      .stdout.splitlines()[0] if shutil.which("pandoc") else "not installed")
    import weasyprint

    return {"cpu": model, "cpus": CPUS, "memory_gb": round(int(memory) / 1024 / 1024, 1),
            "system": platform.platform(), "python": platform.python_version(),
            "weasyprint": weasyprint.__version__, "pandoc": pandoc_version,
            "date": dt.date.today().isoformat()}


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def timed_build(sources: Path, out: Path, fmt: str, brand: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run([PYTHON, "-c", BUILD, str(sources), str(out), fmt, str(brand)],
                            check=True, capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - started
    return seconds, json.loads(result.stdout.strip().splitlines()[-1])


def sizes(out: Path) -> dict:
    catalog = json.loads((out / "catalog.json").read_text())["files"]
    by_format: dict[str, list] = {}
    for entry in catalog:
        by_format.setdefault(entry["format"], []).append((entry["bytes"], entry["pages"]))
    return {fmt: {"files": len(items), "median_kb": statistics.median(b for b, _ in items) / 1024,
                  "max_kb": max(b for b, _ in items) / 1024,
                  "max_two_page_kb": max((b for b, p in items if p <= 2), default=0) / 1024}
            for fmt, items in sorted(by_format.items())}


def make_synthetic(folder: Path, count: int) -> Path:
    """`count` handouts made from the shipped English ones, each its own document."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "sources" / "resources.yaml", folder)
    shutil.copytree(REPO / "sources" / "images", folder / "images")
    shutil.copytree(REPO / "sources" / "blocks", folder / "blocks")
    originals = sorted(p for p in (REPO / "sources").glob("*.md") if p.stem.count(".") == 0)
    for n in range(count):
        text = originals[n % len(originals)].read_text()
        text = text.replace("code: EHC-ED-0", f"code: SYN-{n:03d}-", 1)
        (folder / f"synthetic-{n:03d}.md").write_text(text)
    return folder


def export_html(sources: Path, folder: Path, brand_file: Path) -> list[Path]:
    """The HTML this pipeline renders, to hand to bare WeasyPrint and to compare with."""
    from handouts.content.brand import load_brand
    from handouts.content.formats import FORMATS
    from handouts.content.sources import discover
    from handouts.project import Project
    from handouts.render.document import read_documents
    from handouts.render.layout import brand_css, layout

    folder.mkdir()
    brand = load_brand(brand_file)
    project = Project(sources=sources)
    documents = read_documents(list(discover(sources).sources), sources / "resources.yaml")
    fmt = FORMATS["handout"]
    for resolved in documents.resolved:
        rendered = layout(resolved, fmt, brand, project.layouts)
        (folder / f"{resolved.document.slug}.html").write_text(rendered.html)
    (folder / "brand.css").write_text(brand_css(brand, fmt))
    return [folder / "brand.css", *rendered.stylesheets]


def bare_weasyprint(html_dir: Path, sheets: list[Path], sources: Path) -> dict:
    pages = sorted(str(p) for p in html_dir.glob("*.html"))
    shares = [pages[i::CPUS] for i in range(CPUS)]
    lists = []
    for index, share in enumerate(shares):
        listing = html_dir / f"share-{index}.txt"
        listing.write_text("\n".join(share))
        lists.append(listing)
    started = time.perf_counter()
    processes = [subprocess.Popen([PYTHON, "-c", BARE, str(listing), ",".join(map(str, sheets[1:])),
                                   sources.resolve().as_uri() + "/"], stderr=subprocess.DEVNULL)
                 for listing in lists]
    for process in processes:
        process.wait()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "written": len(pages), "pages": count_pages(html_dir)}


def pandoc(sources: Path, out: Path, brand_file: Path) -> dict:
    out.mkdir()
    css = [out / "brand.css", REPO / "styles" / "base.css", REPO / "styles" / "handout.css"]
    from handouts.content.brand import load_brand
    from handouts.content.formats import FORMATS
    from handouts.render.layout import brand_css

    css[0].write_text(brand_css(load_brand(brand_file), FORMATS["handout"]))
    documents = sorted(sources.glob("synthetic-*.md"))
    env = {**os.environ, "PATH": f"{Path(PYTHON).parent}:{os.environ['PATH']}"}

    def one(path: Path) -> None:
        subprocess.run(["pandoc", str(path), "--pdf-engine=weasyprint", "--standalone",
                        *[f"--css={c}" for c in css], "-o", str(out / f"{path.stem}.pdf")],
                       check=True, capture_output=True, env=env, cwd=sources)

    started = time.perf_counter()
    with ThreadPoolExecutor(CPUS) as pool:
        list(pool.map(one, documents))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "written": len(documents), "pages": count_pages(out)}


def count_pages(folder: Path) -> int:
    import pypdfium2 as pdfium

    total = 0
    for path in folder.glob("*.pdf"):
        pdf = pdfium.PdfDocument(path)
        total += len(pdf)
        pdf.close()
    return total


def report(r: dict) -> str:
    m, n = r["machine"], r["documents"]
    ours, bare = r["ours"], r["bare"]
    rate = lambda x: x["written"] / x["seconds"]  # noqa: E731
    page_rate = lambda x: x["pages"] / x["seconds"]  # noqa: E731
    lines = [
        "## Building (`make bench`, bench/bench_build.py)",
        "",
        f"Measured {m['date']} by `bench/bench_build.py` on {m['cpu']}, {m['cpus']} CPUs, "
        f"{m['memory_gb']} GB ({m['system']}); Python {m['python']}, WeasyPrint {m['weasyprint']}, "
        f"{m['pandoc']}. All figures from one run; each build starts a cold process.",
        "",
        f"### {n} synthetic handouts (Letter, tagged PDF/UA-1)",
        "",
        "| path | seconds | documents/s | pages/s |",
        "| --- | ---: | ---: | ---: |",
        f"| this pipeline, {m['cpus']} workers | {ours['seconds']:.1f} | {rate(ours):.2f} | {page_rate(ours):.2f} |",
        f"| bare WeasyPrint, same HTML, {m['cpus']} warm processes | {bare['seconds']:.1f} | {rate(bare):.2f} | {page_rate(bare):.2f} |",
    ]
    if "pandoc" in r:
        p = r["pandoc"]
        lines.append(f"| Pandoc --pdf-engine=weasyprint, {m['cpus']} at a time | {p['seconds']:.1f} | "
                     f"{rate(p):.2f} | {page_rate(p):.2f} |")
    lines += ["", f"Ours and bare WeasyPrint ran turn about, {ROUNDS} times each; the medians are shown "
              f"(ours: {r['rounds']['ours']} s; bare: {r['rounds']['bare']} s).", "",
              "Ratios (documents per second):", ""]
    if "pandoc" in r:
        p = r["pandoc"]
        lines.append(f"- this pipeline / Pandoc path: **{rate(ours) / rate(p):.1f}x** by documents, "
                     f"{page_rate(ours) / page_rate(p):.1f}x by pages (target: 10x or more). Even bare "
                     f"WeasyPrint, with no pipeline at all, manages {rate(bare) / rate(p):.1f}x: the Pandoc "
                     f"path's pages are plainer ({p['pages'] / p['written']:.1f} pages a document against our "
                     f"{ours['pages'] / ours['written']:.1f}: no branded frame, no QR codes, no tags).")
    lines += [
        f"- this pipeline / bare WeasyPrint: **{100 * rate(ours) / rate(bare):.0f}%** (target: 85% or more; our own overhead "
        f"{100 * (1 - rate(ours) / rate(bare)):.0f}%)",
        f"- no-op rebuild of {n} documents: median **{statistics.median(r['noop']):.2f} s** of {len(r['noop'])} runs "
        f"(target: under 0.5 s)",
        f"- peak memory of a worker: **{ours['peak_kb'] / 1024:.0f} MB** (target: under 150 MB)",
        "",
        "### A personalised packet, three documents",
        "",
        f"In one warm process, {r['packet']['pages']} pages (target: under 1 s): the first packet "
        f"of these three handouts took **{r['packet']['first']:.2f} s** (its documents laid out "
        f"anew); the next {len(r['packet']['seconds'])}, each for another family, a median of "
        f"**{statistics.median(r['packet']['seconds']):.2f} s** (only their covers laid out; the "
        f"documents kept from the first), fastest {min(r['packet']['seconds']):.2f} s.",
        "",
        "### The shipped catalog, every format",
        "",
        f"{r['shipped']['written']} PDFs, {r['shipped']['pages']} pages in {r['shipped']['seconds']:.1f} s.",
        "",
        "| format | files | median KB | largest KB | largest of two pages or fewer, KB |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for fmt, s in r["shipped"]["sizes"].items():
        lines.append(f"| {fmt} | {s['files']} | {s['median_kb']:.1f} | {s['max_kb']:.1f} | {s['max_two_page_kb']:.1f} |")
    lines += ["", "Targets: a two-page handout under 40 KB, a brochure under 80 KB.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
