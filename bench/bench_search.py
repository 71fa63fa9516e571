"""Search latency with a library of 1,000 documents.

    .venv/bin/python bench/bench_search.py [--documents 1000]

Generates a library of that many documents, each in English and half of them in
Spanish too, from the shipped sources' own words (so the vocabulary is a real
handout's), with the shipped synonyms; makes the search index exactly as a build
does (`search.index_bytes`); then times the queries staff type, each many times,
through the same `SearchIndex` the staff app uses: found as typed, found by a
brand name, a misspelling corrected by trigrams, and nothing found (the slowest
path: every fallback runs). It prints the medians and writes them to
bench/RESULTS.md. Measurements, not tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from results import update_section  # noqa: E402

from handouts.content.sources import discover  # noqa: E402
from handouts.library.search import (  # noqa: E402
    INDEX,
    IndexedDocument,
    SearchIndex,
    body_of,
    index_bytes,
    read_synonyms,
)

QUERIES = {
    "a word in the body": "fentanyl",
    "two words": "safe storage",
    "a brand name (synonyms)": "Narcan",
    "a number": "988",
    "a misspelling (trigram fallback)": "Klonipin",
    "nothing to find (every fallback)": "zzqqxxw",
}
RUNS = 200


def library(count: int, seed: int = 7) -> list[IndexedDocument]:
    """`count` documents in English, every other one in Spanish as well, made of the
    shipped sources' words in a random order, with titles from theirs."""
    rng = random.Random(seed)
    shipped = [s for s in discover(REPO / "sources").sources]
    words = {lang: " ".join(body_of(s.text, lang, {}) for s in shipped if s.lang == lang).split()
             for lang in ("en", "es")}
    titles = [s.text.split("title:", 1)[1].split("\n", 1)[0].strip() for s in shipped
              if "title:" in s.text]
    documents = []
    for number in range(count):
        for lang in ("en", "es") if number % 2 == 0 else ("en",):
            body = " ".join(rng.choices(words[lang], k=rng.randint(250, 450)))
            title = f"{rng.choice(titles)} ({number})"
            documents.append(IndexedDocument(f"doc-{number:04d}", lang, title,
                                             " ".join(rng.choices(words[lang], k=14)),
                                             tuple(rng.choices(["benzodiazepines", "opioids",
                                                                "safety", "family"], k=2)),
                                             body))
    return documents


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    args = parser.parse_args()
    synonyms, _ = read_synonyms(REPO / "sources" / "synonyms.yml")
    documents = library(args.documents)
    started = time.perf_counter()
    data = index_bytes(documents, synonyms)
    made = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / INDEX).write_bytes(data)
        index = SearchIndex(Path(folder))
        index.search("warm")  # opened once, as the app keeps it open
        rows = []
        for what, query in QUERIES.items():
            times, found = [], None
            for _ in range(RUNS):
                start = time.perf_counter()
                found = index.search(query)
                times.append((time.perf_counter() - start) * 1000)
            rows.append((what, query, statistics.median(times), max(times), len(found.slugs)))
    machine = f"{platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} CPUs"
    lines = [
        "## Search (bench/bench_search.py)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine}; Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}. "
        f"{args.documents:,} generated documents ({len(documents):,} with their Spanish copies, "
        f"made of the shipped handouts' words), indexed as a build does in {made:.2f} s, "
        f"{len(data) / 1e6:.1f} MB. Each query {RUNS} times through the app's `SearchIndex`.",
        "",
        "| query | typed | median ms | slowest ms | documents found |",
        "| --- | --- | ---: | ---: | ---: |",
        *[f"| {what} | `{query}` | {median:.2f} | {slowest:.2f} | {found} |"
          for what, query, median, slowest, found in rows],
    ]
    text = "\n".join(lines)
    print(text)
    update_section("search", text)


if __name__ == "__main__":
    main()
