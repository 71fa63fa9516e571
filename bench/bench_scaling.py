"""How the build's and the check's cost grows with the library: 100, 1,000, 5,000 documents.

    .venv/bin/python bench/bench_scaling.py [--sizes 100,1000,5000] [--repeat 3]

For each size, generates a library of that many Markdown sources in a temporary
folder, shaped like the shipped ones (their front matter's fields, headings,
paragraphs, a citation of the shipped resources) and made of the shipped
handouts' own words in a random order; one source in five is a Spanish
translation of the English one before it, with its `source_digest`. Every build
is of the handout format alone (`--format handout`: a handout is also built in
large print otherwise), so a full build renders one short PDF a source. Then it
times the real command line, each a fresh process as a writer runs it:

- full build: `make_docs.py build --format handout` into an empty output folder
  (everything stale);
- no-op build: the same command again, nothing changed (the median of --repeat);
- one-edit build: one English source edited, then built (the median of --repeat,
  each a different edit);
- check: `make_docs.py check` of the sources (the median of --repeat).

Each is timed by the wall clock and by the CPU time of the process and its
workers (the machine is shared: another's load slows the wall clock far more
than the CPU time). It fits each operation's growth exponent, the slope of log
time against log documents between consecutive sizes and over all of them (1
is linear; a fixed start-up cost makes it lower), draws time against documents
on log-log axes in bench/scaling.png, and writes the tables to bench/RESULTS.md. A full build of
5,000 documents takes many minutes of CPU: develop with `--sizes 100,1000`.
Measurements, not tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import math
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from results import update_section  # noqa: E402

from handouts.content.documents import content_digest, parse  # noqa: E402
from handouts.content.sources import discover, read_source  # noqa: E402
from handouts.library.search import body_of  # noqa: E402

PYTHON = sys.executable
PLOT = REPO / "bench" / "scaling.png"
OPERATIONS = ("full build", "no-op build", "one-edit build", "check")
NO_OP_TARGET = 2.0  # seconds, for 5,000 documents
TRANSLATED_EVERY = 5  # one source in five is a Spanish translation
# Words the safety check ties to the overdose block: left out, so a generated
# document's findings are the ordinary ones, not one per random sentence.
SAFETY_WORDS = ("overdos", "naloxon", "narcan", "sobredosis", "opioid", "opiate", "opioide")


@dataclass(frozen=True)
class Words:
    """The shipped sources' material: words by language, titles, cited resources."""

    en: tuple[str, ...]
    es: tuple[str, ...]
    titles: tuple[str, ...]
    citations: tuple[str, ...]


def shipped_words() -> Words:
    shipped = discover(REPO / "sources").sources

    def words(lang: str) -> tuple[str, ...]:
        text = " ".join(body_of(s.text, lang, {}) for s in shipped if s.lang == lang)
        return tuple(w for w in text.split() if w.isalpha()
                     and not w.lower().startswith(SAFETY_WORDS))

    english = [parse(s) for s in shipped if s.lang == "en"]
    cited = sorted({key for s in shipped if s.lang == "en"
                    for key in _citations(s.text)})
    return Words(words("en"), words("es"), tuple(d.meta.title for d in english), tuple(cited))


def _citations(text: str) -> list[str]:
    import re

    return re.findall(r"\[@([a-z0-9-]+)\]", text)


def sentence(rng: random.Random, words: tuple[str, ...]) -> str:
    chosen = rng.choices(words, k=rng.randint(7, 13))
    return " ".join([chosen[0].capitalize(), *chosen[1:]]) + "."


def paragraph(rng: random.Random, words: tuple[str, ...], sentences: int) -> str:
    return " ".join(sentence(rng, words) for _ in range(sentences))


def document(rng: random.Random, words: tuple[str, ...], title: str, code: str,
             citation: str, extra: dict[str, str] | None = None) -> str:
    """One source: front matter as the shipped ones have, three sections, one citation."""
    front = {
        "title": f'"{title}"',
        "subtitle": sentence(rng, words).rstrip("."),
        "summary": paragraph(rng, words, 2),
        "audience": "[patients, families]",
        "topics": f"[{', '.join(rng.sample(['detox', 'recovery', 'safety', 'family', 'treatment'], 2))}]",
        "formats": "[handout]",
        "code": code,
        "version": "1",
        **(extra or {}),
    }
    lines = ["---", *(f"{key}: {value}" for key, value in front.items()),
             "review:", "  status: draft", "---", ""]
    for number in range(3):
        lines += [f"## {sentence(rng, words)[:-1][:50].rstrip()}", "",
                  paragraph(rng, words, 3) + (f" [@{citation}]" if number == 0 else ""), "",
                  paragraph(rng, words, 2), ""]
    return "\n".join(lines)


def make_library(folder: Path, count: int, words: Words, seed: int = 19) -> None:
    """`count` sources in `folder`, with the shipped resources, images and blocks."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    shutil.copy(REPO / "sources" / "resources.yaml", folder)
    shutil.copy(REPO / "sources" / "synonyms.yml", folder)
    shutil.copytree(REPO / "sources" / "images", folder / "images")
    shutil.copytree(REPO / "sources" / "blocks", folder / "blocks")
    for number in range(count):
        if number % TRANSLATED_EVERY == TRANSLATED_EVERY - 1:
            english = folder / f"{slug(number - 1)}.md"
            followed = content_digest(parse(read_source(english)))
            text = document(rng, words.es, f"{rng.choice(words.titles)} ({number - 1}) ES",
                            code(number - 1), rng.choice(words.citations),
                            {"source_digest": followed})
            (folder / f"{slug(number - 1)}.es.md").write_text(text)
        else:
            text = document(rng, words.en, f"{rng.choice(words.titles)} ({number})",
                            code(number), rng.choice(words.citations))
            (folder / f"{slug(number)}.md").write_text(text)


def slug(number: int) -> str:
    return f"generated-{number:05d}"


def code(number: int) -> str:
    return f"GEN-{number:05d}"


def edited_source(sources: Path, count: int) -> Path:
    """An English source in the middle of the library with no translation to go stale."""
    number = count // 2
    while number % TRANSLATED_EVERY >= TRANSLATED_EVERY - 2:  # translated, or a translation
        number += 1
    return sources / f"{slug(number)}.md"


@dataclass
class Measured:
    count: int
    load: float  # the load average over the last minute, as it started
    seconds: dict[str, float] = field(default_factory=dict)  # wall clock, the median
    cpu: dict[str, float] = field(default_factory=dict)  # CPU time, the median
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def run(arguments: list[str]) -> tuple[float, float]:
    """Seconds `make_docs.py arguments` takes as a process of its own: by the wall clock,
    and of CPU time (its own and its workers', which it waits for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([PYTHON, str(REPO / "make_docs.py"), *arguments], cwd=REPO,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):  # 1: findings; anything else did not run
        raise RuntimeError(f"make_docs.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def measure(work: Path, count: int, words: Words, repeat: int) -> Measured:
    sources, out = work / f"sources-{count}", work / f"out-{count}"
    make_library(sources, count, words)
    build = ["build", "--sources", str(sources), "--out", str(out),
             "--brand", str(REPO / "_brand.yml"), "--format", "handout"]
    measured = Measured(count, os.getloadavg()[0])
    measured.runs["full build"] = [run(build)]
    measured.runs["no-op build"] = [run(build) for _ in range(repeat)]
    edited = edited_source(sources, count)
    original = edited.read_text()
    edits = []
    for number in range(repeat):
        edited.write_text(original.replace("\n## ", f"\n\nOne more sentence, edit {number}.\n\n## ",
                                           1))
        edits.append(run(build))
    measured.runs["one-edit build"] = edits
    measured.runs["check"] = [run(["check", "--sources", str(sources),
                                   "--brand", str(REPO / "_brand.yml")]) for _ in range(repeat)]
    measured.seconds = {name: statistics.median(t[0] for t in times)
                        for name, times in measured.runs.items()}
    measured.cpu = {name: statistics.median(t[1] for t in times)
                    for name, times in measured.runs.items()}
    shutil.rmtree(sources), shutil.rmtree(out)
    return measured


def slope(first: Measured, second: Measured, operation: str, cpu: bool = False) -> float:
    a, b = (first.cpu, second.cpu) if cpu else (first.seconds, second.seconds)
    return math.log(b[operation] / a[operation]) / math.log(second.count / first.count)


def fitted(results: list[Measured], operation: str, cpu: bool = False) -> float:
    """The least-squares slope of log time against log documents, over every size."""
    xs = [math.log(r.count) for r in results]
    ys = [math.log((r.cpu if cpu else r.seconds)[operation]) for r in results]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
            / sum((x - mx) ** 2 for x in xs))


def plot(results: list[Measured], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a file, no window
    import matplotlib.pyplot as plt

    counts = [r.count for r in results]
    figure, axes = plt.subplots(figsize=(9.5, 5), dpi=120)
    for operation in OPERATIONS:
        line, = axes.plot(counts, [r.seconds[operation] for r in results], marker="o",
                          label=f"{operation} (wall clock)")
        axes.plot(counts, [r.cpu[operation] for r in results], marker=".", linestyle="--",
                  linewidth=0.8, color=line.get_color(), label="  CPU time")
    # A line of slope 1 through the smallest no-op build, to read "no faster than linear"
    # by eye, and the no-op build's target.
    base = results[0].seconds["no-op build"]
    axes.plot(counts, [base * c / counts[0] for c in counts], linestyle=":", color="grey",
              label="linear (slope 1)")
    axes.axhline(NO_OP_TARGET, linestyle="--", color="grey", linewidth=0.8,
                 label=f"no-op target, {NO_OP_TARGET:.0f} s")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("documents in the library")
    axes.set_ylabel("seconds")
    axes.set_title("Build and check time against library size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")),
                platform.machine())


def report(results: list[Measured], repeat: int, load: tuple[tuple[float, ...], ...]) -> str:
    machine = f"{cpu_model()}, {len(os.sched_getaffinity(0))} CPUs"
    loads = " and ".join(", ".join(f"{v:.2f}" for v in avg) for avg in load)
    sizes = [r.count for r in results]
    lines = [
        "## Scaling (bench/bench_scaling.py)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}; Python "
        f"{platform.python_version()}. Load average (1, 5, 15 minutes) before and after: "
        f"{loads}. Generated libraries of {', '.join(f'{n:,}' for n in sizes)} sources "
        f"(one in {TRANSLATED_EVERY} a Spanish translation), each a one-page handout made of "
        "the shipped handouts' words; each command a fresh `make_docs.py` process, wall "
        f"clock, then (in brackets) CPU time of the process and its workers. Full build once; "
        f"no-op build, one-edit build and check the median of {repeat}.",
        "",
        "| documents | " + " | ".join(OPERATIONS) + " | load as it started |",
        "| ---: | " + " | ".join("---:" for _ in OPERATIONS) + " | ---: |",
        *[f"| {r.count:,} | " + " | ".join(f"{r.seconds[o]:.2f} s ({r.cpu[o]:.2f} s)"
                                          for o in OPERATIONS) + f" | {r.load:.2f} |"
          for r in results],
        "",
        *(exponents(results) if len(results) >= 2 else []),
        f"Plot: bench/{PLOT.name}. Targets: nothing grows faster than linearly; a no-op build "
        "of 5,000 documents under 2 s.",
    ]
    return "\n".join(lines)


def exponents(results: list[Measured]) -> list[str]:
    pairs = list(itertools.pairwise(results))
    return [
        "Growth exponents (slope of log time against log documents; 1 is linear), of the "
        "wall clock, then (in brackets) of CPU time:",
        "",
        "| operation | " + " | ".join(f"{a.count:,} to {b.count:,}" for a, b in pairs)
        + " | fitted over all |",
        "| --- | " + " | ".join("---:" for _ in results) + " |",
        *[f"| {o} | " + " | ".join(f"{slope(a, b, o):.2f} ({slope(a, b, o, cpu=True):.2f})"
                                   for a, b in pairs)
          + f" | {fitted(results, o):.2f} ({fitted(results, o, cpu=True):.2f}) |"
          for o in OPERATIONS],
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000",
                        help="library sizes, comma-separated (default: 100,1000,5000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each quick operation, the median kept (default: 3)")
    args = parser.parse_args()
    sizes = sorted(int(size) for size in args.sizes.split(","))
    words = shipped_words()
    before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="handouts-scaling-") as folder:
        for count in sizes:
            results.append(measure(Path(folder), count, words, args.repeat))
            print(f"{count:,} documents: " + ", ".join(
                f"{o} {results[-1].seconds[o]:.2f} s" for o in OPERATIONS), flush=True)
    text = report(results, args.repeat, (before, os.getloadavg()))
    print(text)
    if len(results) >= 2:
        plot(results, PLOT)
        update_section("scaling", text)


if __name__ == "__main__":
    main()
