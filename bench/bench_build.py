"""Build throughput, measured against the peers in one run.

    make bench        (or: .venv/bin/python bench/bench_build.py [--documents 40])

Builds the shipped catalog, then a synthetic catalog of 40 handouts four ways,
each from a cold process, turn about, on the same machine in the same run:

- this pipeline: `make_docs.py build --force --format handout`, one worker per CPU;
- bare WeasyPrint: the very same HTML and stylesheets, rendered by one warm
  process per CPU with nothing else to do (the ceiling for our own overhead);
- the Pandoc path a user would reach for: `pandoc --pdf-engine=weasyprint`,
  one process per document, as many at a time as there are CPUs, same CSS;
- Typst, through its Python package: `typst.compile` in one process per CPU,
  on the same text as Typst markup (typst_page.py says what its pages lack).

Then, warm in one process, one document at a time: our render of a handout
against `typst.compile` of the same text, and Typst's recompile after an edit.
It prints documents and pages per second, the ratios, the machine and its load,
the no-op rebuild time, the peak memory of a worker and the PDF sizes by format,
and writes them to bench/RESULTS.md. These are measurements, not tests: the
machines are shared and noisy, so compare figures from one run only.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from typst_page import typst_markup

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

# Tagged PDF/UA-1 too, in the brand's typeface alone (no scan of the system's fonts).
TYPST = textwrap.dedent("""
    import sys
    from pathlib import Path
    import typst
    for page in Path(sys.argv[1]).read_text().split():
        typst.compile(page, output=str(Path(page).with_suffix(".pdf")), root="/",
                      font_paths=[sys.argv[2]], ignore_system_fonts=True, pdf_standards="ua-1")
""")

# One document at a time in one warm process: each distinct handout once, ours (the
# worker's whole job, then one layout and render alone) and Typst's in turn; then an
# edit (a paragraph added) recompiled by one typst.Compiler.
WARM = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import typst
    from handouts.content.blocks import load_blocks
    from handouts.content.brand import load_brand
    from handouts.content.documents import parse
    from handouts.content.formats import FORMATS
    from handouts.content.resources import load_library
    from handouts.content.sources import read_source
    from handouts.library.jobs import Context, DocumentJob, render_document
    from handouts.project import BuildRequest, Project
    from handouts.render.citations import resolve
    from handouts.render.fetcher import FileAccess
    from handouts.render.layout import layout
    from handouts.render.pdf import render_pdf
    sources, brand, typst_dir, fonts = map(Path, sys.argv[1:5])
    names = sys.argv[5:]
    project = Project(sources=sources, brand=brand)
    context = Context(load_brand(brand), load_library(project.resources).library,
                      load_blocks(project.blocks).blocks, project, BuildRequest(formats=("handout",)))
    access = FileAccess((sources, project.templates, project.styles, context.brand.typeface.folder),
                        context.brand.files)
    options = dict(root="/", font_paths=[str(fonts)], ignore_system_fonts=True)
    def timed(work):
        started = time.perf_counter()
        work()
        return time.perf_counter() - started
    def ours(name):  # read, resolve, lay out, render, fit the last page, judge
        assert render_document(DocumentJob(context, read_source(sources / f"{name}.md"))).files
    def once(name):  # read, resolve, lay out and render, once
        resolved = resolve(parse(read_source(sources / f"{name}.md")), context.library, context.blocks)
        html = layout(resolved, FORMATS["handout"], context.brand, project.layouts)
        render_pdf(html, access, context.brand.typeface.family)
    def theirs(name):
        typst.compile(str(typst_dir / f"{name}.typ"), pdf_standards="ua-1", **options)
    ours(names[0]), once(names[0]), theirs(names[0])  # warm up: imports, fonts, stylesheets
    times = [(timed(lambda: ours(n)), timed(lambda: once(n)), timed(lambda: theirs(n)))
             for n in names[1:]]
    edited = typst_dir.with_name("edited.typ")
    text = (typst_dir / f"{names[1]}.typ").read_text()
    edited.write_text(text)
    compiler = typst.Compiler(str(edited), **options)
    compiler.compile(pdf_standards="ua-1")
    edits = []
    for n in range(7):
        edited.write_text(text.replace("\\n\\n== ", f"\\n\\nEdit number {n}, one more sentence.\\n\\n== ", 1))
        edits.append(timed(lambda: compiler.compile(pdf_standards="ua-1")))
    print(json.dumps({"ours": [t[0] for t in times], "once": [t[1] for t in times],
                      "typst": [t[2] for t in times], "edits": edits}))
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=40)
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
    results: dict = {"machine": machine(), "documents": count, "load": [os.getloadavg()]}
    brand = REPO / "_brand.yml"

    shipped_out = work / "shipped"
    seconds, built = timed_build(REPO / "sources", shipped_out, "all", brand)
    results["shipped"] = {"seconds": seconds, **built, "sizes": sizes(shipped_out)}

    synthetic = make_synthetic(work / "synthetic", count)
    ours_out, html_dir = work / "ours", work / "html"
    sheets = export_html(synthetic, html_dir, brand)
    typst_dir = export_typst(html_dir, work / "typst", synthetic)
    paths: dict[str, Callable[[], dict]] = {
        "ours": lambda: this_pipeline(synthetic, ours_out, brand),
        "bare": lambda: in_processes(BARE, html_dir, ".html", ",".join(map(str, sheets[1:])),
                                     synthetic.resolve().as_uri() + "/"),
    }
    if shutil.which("pandoc"):
        paths["pandoc"] = pandoc_path(synthetic, work / "pandoc", brand)
    if fonts := typst_fonts():
        paths["typst"] = lambda: in_processes(TYPST, typst_dir, ".typ", str(fonts))
    # Every path in turn, ROUNDS times: the median of each is compared, so a noisy
    # neighbour on the machine hits them all alike.
    runs: dict[str, list[dict]] = {name: [] for name in paths}
    for _ in range(ROUNDS):
        for name, run in paths.items():
            runs[name].append(run())
    results["paths"] = {name: median_run(r) for name, r in runs.items()}
    results["rounds"] = {name: [round(r["seconds"], 2) for r in rs] for name, rs in runs.items()}
    results["noop"] = [timed([PYTHON, str(REPO / "make_docs.py"), "build", "--sources", str(synthetic),
                              "--out", str(ours_out), "--brand", str(brand), "--format", "handout"])
                       for _ in range(7)]
    if "typst" in paths:
        names = [f"synthetic-{n:03d}" for n in range(min(count, len(originals())))]
        results["warm"] = last_json([PYTHON, "-c", WARM, str(synthetic), str(brand), str(typst_dir),
                                     str(fonts), *names])
    results["packet"] = last_json([PYTHON, "-c", PACKET])
    results["load"].append(os.getloadavg())
    return results


def last_json(command: list[str]) -> dict:
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
    return json.loads(output.strip().splitlines()[-1])


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

    try:
        import typst

        typst_version = f"typst {typst.__version__} (Python package)"
    except ImportError:
        typst_version = "typst not installed"
    return {"cpu": model, "cpus": CPUS, "memory_gb": round(int(memory) / 1024 / 1024, 1),
            "system": platform.platform(), "python": platform.python_version(),
            "weasyprint": weasyprint.__version__, "pandoc": pandoc_version, "typst": typst_version,
            "date": dt.date.today().isoformat()}


def timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def this_pipeline(sources: Path, out: Path, brand: Path) -> dict:
    seconds, built = timed_build(sources, out, "handout", brand)
    return {"seconds": seconds, **built}


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


def originals() -> list[Path]:
    """The shipped English handouts."""
    return sorted(p for p in (REPO / "sources").glob("*.md") if p.stem.count(".") == 0)


def make_synthetic(folder: Path, count: int) -> Path:
    """`count` handouts made from the shipped English ones, each its own document."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "sources" / "resources.yaml", folder)
    shutil.copytree(REPO / "sources" / "images", folder / "images")
    shutil.copytree(REPO / "sources" / "blocks", folder / "blocks")
    for n in range(count):
        text = originals()[n % len(originals())].read_text()
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


def export_typst(html_dir: Path, folder: Path, sources: Path) -> Path:
    """The same handouts as Typst markup, made from the HTML we lay out."""
    folder.mkdir()
    for page in html_dir.glob("*.html"):
        (folder / f"{page.stem}.typ").write_text(typst_markup(page.read_text(), sources))
    return folder


def typst_fonts() -> Path | None:
    """The folder of the brand's typeface, if Typst is installed to use it."""
    try:
        import typst  # noqa: F401
    except ImportError:
        return None
    from handouts.content.typeface import find_typeface

    return find_typeface("Atkinson Hyperlegible").faces[0].path.parent


def in_processes(script: str, folder: Path, suffix: str, *args: str) -> dict:
    """`script` run by one process per CPU, each given its share of the files in `folder`."""
    pages = sorted(str(p) for p in folder.glob(f"*{suffix}"))
    lists = []
    for index in range(CPUS):
        listing = folder / f"share-{index}.txt"
        listing.write_text("\n".join(pages[index::CPUS]))
        lists.append(listing)
    logs = [listing.with_suffix(".log") for listing in lists]
    with ExitStack() as files:
        started = time.perf_counter()
        processes = [subprocess.Popen([PYTHON, "-c", script, str(listing), *args],
                                      stderr=files.enter_context(log.open("w")))
                     for listing, log in zip(lists, logs, strict=True)]
        failed = any([process.wait() for process in processes])
    if failed:
        raise RuntimeError(f"rendering {folder}/*{suffix} failed:\n" +
                           "".join(log.read_text()[-2000:] for log in logs))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "written": len(pages), "pages": count_pages(folder)}


def pandoc_path(sources: Path, out: Path, brand_file: Path) -> Callable[[], dict]:
    """One `pandoc` process per document, as many at a time as CPUs, with our CSS."""
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

    def run() -> dict:
        started = time.perf_counter()
        with ThreadPoolExecutor(CPUS) as pool:
            list(pool.map(one, documents))
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "written": len(documents), "pages": count_pages(out)}

    return run


def count_pages(folder: Path) -> int:
    import pypdfium2 as pdfium

    total = 0
    for path in folder.glob("*.pdf"):
        pdf = pdfium.PdfDocument(path)
        total += len(pdf)
        pdf.close()
    return total


PATHS = {
    "ours": "this pipeline, a cold `build --force`, {cpus} workers",
    "bare": "bare WeasyPrint, same HTML, {cpus} processes",
    "pandoc": "Pandoc + WeasyPrint, a `pandoc` process per document, {cpus} at a time",
    "typst": "Typst, `typst.compile`, same text, {cpus} processes",
}


def report(r: dict) -> str:
    m, n, paths = r["machine"], r["documents"], r["paths"]
    ours, bare = paths["ours"], paths["bare"]
    rate = lambda x: x["written"] / x["seconds"]  # noqa: E731
    page_rate = lambda x: x["pages"] / x["seconds"]  # noqa: E731
    load = lambda x: ", ".join(f"{v:.2f}" for v in x)  # noqa: E731
    lines = [
        "## Building (`make bench`, bench/bench_build.py)",
        "",
        f"Measured {m['date']} by `bench/bench_build.py` on {m['cpu']}, {m['cpus']} CPUs, "
        f"{m['memory_gb']} GB ({m['system']}); Python {m['python']}, WeasyPrint {m['weasyprint']}, "
        f"{m['pandoc']}, {m['typst']}. Load average (1, 5, 15 minutes) {load(r['load'][0])} "
        f"before, {load(r['load'][-1])} after: the machine is shared. All figures from one run.",
        "",
        f"### {n} synthetic handouts, Letter, from cold processes",
        "",
        "| path | seconds | documents/s | pages/s | pages a document | each round, s |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, label in PATHS.items():
        if x := paths.get(name):
            lines.append(f"| {label.format(cpus=m['cpus'])} | {x['seconds']:.1f} | {rate(x):.2f} | "
                         f"{page_rate(x):.2f} | {x['pages'] / x['written']:.1f} | "
                         f"{', '.join(map(str, r['rounds'][name]))} |")
    lines += ["", f"The paths ran turn about, {ROUNDS} rounds; the median round of each is shown. Ours, "
              "bare WeasyPrint's and Typst's PDFs are tagged PDF/UA-1; the Pandoc path's are not.", "",
              "Ratios (documents per second, then pages per second):", ""]
    if p := paths.get("pandoc"):
        lines.append(f"- this pipeline / Pandoc + WeasyPrint: **{rate(ours) / rate(p):.1f}x**, "
                     f"{page_rate(ours) / page_rate(p):.1f}x (target: 5x or more). Bare WeasyPrint, with "
                     f"no pipeline at all, manages {rate(bare) / rate(p):.1f}x: the Pandoc path's pages "
                     f"are plainer ({p['pages'] / p['written']:.1f} pages a document against our "
                     f"{ours['pages'] / ours['written']:.1f}: no branded frame, no QR codes, no tags).")
    lines.append(f"- this pipeline / bare WeasyPrint: **{100 * rate(ours) / rate(bare):.0f}%**, "
                 f"{100 * page_rate(ours) / page_rate(bare):.0f}% (target: 85% or more; our own "
                 f"overhead {100 * (1 - rate(ours) / rate(bare)):.0f}%)")
    if t := paths.get("typst"):
        lines.append(f"- this pipeline / Typst: **{rate(ours) / rate(t):.2f}x**, "
                     f"{page_rate(ours) / page_rate(t):.2f}x: Typst builds them "
                     f"{rate(t) / rate(ours):.1f} times as fast.")
    lines += [
        f"- no-op rebuild of {n} documents: median **{statistics.median(r['noop']):.2f} s** of {len(r['noop'])} runs "
        f"(target: under 0.5 s)",
        f"- peak memory of a worker: **{ours['peak_kb'] / 1024:.0f} MB** (target: under 150 MB)",
        "",
    ]
    if "typst" in paths:
        lines += [TYPST_PAGES, "", *warm_report(r["warm"]), ""]
    lines += [
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


TYPST_PAGES = (
    "Typst sets the text of the HTML we lay out, converted by bench/typst_page.py: the same "
    "words, safety blocks, callouts, numbered citations and resource list, on a page like ours "
    "(Letter, our margins, Atkinson Hyperlegible 12.5 pt, our heading sizes and colours, the "
    "masthead band with the logo, boxes, the footer with the code and page numbers), with the "
    "pictures at our sizes. Its pages lack: the QR codes, the DRAFT watermark and the callout "
    "icons; a picture we set beside the text stands on a line of its own; a last page mostly "
    "blank is not laid out again; and none of our build's checks, catalog, manifest or search "
    "index is made. Its PDFs are tagged and asked for PDF/UA-1, which Typst checks itself; "
    "their tag tree was not compared with ours (our tests read ours as a screen reader does).")


def warm_report(warm: dict) -> list[str]:
    ours, once, typst, edits = (statistics.median(warm[k]) for k in ("ours", "once", "typst", "edits"))
    return [
        "### One document at a time, warm",
        "",
        f"In one process, each of {len(warm['ours'])} different handouts once, after one to warm up "
        f"(imports, fonts, stylesheets): this pipeline's `render_document` (read, resolve, lay out, "
        f"render the handout, fit its last page, judge it) took a median of **{ours:.3f} s**, and "
        f"one layout and render alone {once:.3f} s; `typst.compile` of the same text "
        f"**{typst:.3f} s**: Typst {ours / typst:.1f} times as fast ({once / typst:.1f} times "
        f"against one layout alone). "
        f"Typst's recompile of an edited document (a paragraph added, by one `typst.Compiler`) took "
        f"a median of **{1000 * edits:.1f} ms** of {len(warm['edits'])}; this pipeline has no "
        f"incremental layout, so an edited document is rendered whole again, as above.",
    ]


if __name__ == "__main__":
    main()
