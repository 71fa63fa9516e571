"""Shared fixtures: small projects in tmp_path, the CLI, and real PDF readers."""

from __future__ import annotations

import fcntl
import io
import re
import shutil
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from handouts.cli import main
from handouts.project import Project

REPO = Path(__file__).resolve().parent.parent

RESOURCES = """\
nida-benzodiazepines-opioids:
  title: Benzodiazepines and Opioids
  publisher: National Institute on Drug Abuse
  url: https://nida.nih.gov/research-topics/opioids/benzodiazepines-opioids
  accessed: 2026-11-24

medlineplus-clonazepam:
  title: Clonazepam
  publisher: MedlinePlus, National Library of Medicine
  url: https://medlineplus.gov/druginfo/meds/a682279.html

samhsa-national-helpline:
  title: SAMHSA's National Helpline
  publisher: Substance Abuse and Mental Health Services Administration
  url: https://www.samhsa.gov/find-help/national-helpline
"""

GOOD_SOURCE = """\
---
title: Staying safe with benzos
summary: Take your medicine as prescribed and never mix it with opioids.
topics: [benzodiazepines, safety]
code: TEST-001
version: 2
review:
  status: draft
---

## Why it matters

Benzos slow your breathing [@nida-benzodiazepines-opioids]. Opioids do too
[@nida-benzodiazepines-opioids; @medlineplus-clonazepam].

!!! danger "Never mix"
    Do not take benzos with opioids or alcohol.

| Medicine | Take with opioids? |
| --- | --- |
| Klonopin | No |

## What to do next

Call us with questions.
"""


def listed_files(out: Path) -> list[dict]:
    """Every file catalog.json lists: the built documents, and the printed catalog."""
    import json

    catalog = json.loads((out / "catalog.json").read_text())
    return catalog["files"] + ([catalog["printed_catalog"]] if "printed_catalog" in catalog else [])


def untranslated(folder: Path, slug: str, out: Path | None = None) -> tuple[Path, Path | None]:
    """Copies of the shipped sources, and of a built library `out`, in which `slug` has no
    Spanish: every shipped document has one, and a packet must still say when one does not."""
    import json

    sources = folder / "sources"
    shutil.copytree(REPO / "sources", sources, ignore=shutil.ignore_patterns(f"{slug}.es.md"))
    if out is None:
        return sources, None
    copy = folder / "output"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns(f"{slug}.es.pdf", ".lock"))
    catalog = json.loads((copy / "catalog.json").read_text())
    catalog["files"] = [e for e in catalog["files"] if (e["slug"], e["lang"]) != (slug, "es")]
    (copy / "catalog.json").write_text(json.dumps(catalog))
    return sources, copy


def where_of(problem: str) -> tuple[str, int | None]:
    """The path and line a printed problem names, whether or not it gives a column:
    `path:line:col: error: ...`, `path:line: error: ...` or `path: error: ...`."""
    place = re.match(r"(.*?)(?::(\d+))?(?::\d+)?: (?:error|warning)", problem)
    assert place, problem
    return place[1], int(place[2]) if place[2] else None


def source_text(front: str, body: str = "Some text.\n") -> str:
    """A source file from front matter and body, both dedented."""
    return f"---\n{textwrap.dedent(front).strip()}\n---\n\n{textwrap.dedent(body)}"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def summary(self) -> str:
        """The build's last line: `Built 3 PDFs (2 up to date) in 1.2 s`."""
        return self.out.strip().splitlines()[-1] if self.out.strip() else ""

    @property
    def error_lines(self) -> list[str]:
        """The problem lines: not the source excerpts and hints printed under them,
        which start with a space."""
        return [line for line in self.err.splitlines() if line.strip() and not line[0].isspace()]

    @property
    def excerpts(self) -> list[str]:
        return [line for line in self.err.splitlines() if line[:1].isspace()]


class Workspace:
    """A project in a temporary folder: its own sources and output, the real brand."""

    def __init__(self, root: Path):
        self._at(root)
        self.sources.mkdir()
        (self.sources / "images").mkdir()
        shutil.copy(REPO / "_brand.yml", root / "_brand.yml")
        shutil.copytree(REPO / "brand", root / "brand")
        (self.sources / "resources.yaml").write_text(RESOURCES)

    def _at(self, root: Path) -> None:
        self.root = root
        self.sources = root / "sources"
        self.out = root / "output"

    @classmethod
    def existing(cls, root: Path) -> Workspace:
        """The workspace already in `root`, as a copy of another leaves it."""
        workspace = cls.__new__(cls)
        workspace._at(root)
        return workspace

    @property
    def brand(self) -> Path:
        return self.root / "_brand.yml"

    @property
    def project(self) -> Project:
        return Project(sources=self.sources, out=self.out, brand=self.brand)

    def write(self, name: str, text: str) -> Path:
        path = self.sources / name
        path.write_text(text, encoding="utf-8")
        return path

    def run(self, *args: str) -> Run:
        """Run the command line as a user would, in this workspace."""
        command, *rest = args
        options = ["--sources", str(self.sources)]
        if command == "build":
            options += ["--out", str(self.out), "--brand", str(self.brand)]
            if "--jobs" not in rest:  # in this process, warm: the pool has tests of its own
                options += ["--jobs", "1"]
        out, err = io.StringIO(), io.StringIO()
        code = main([command, *options, *rest], stdout=out, stderr=err)
        return Run(code, out.getvalue(), err.getvalue())

    def pdf(self, name: str, fmt: str = "handout") -> Path:
        return self.out / fmt / name


def built_workspace(tmp_path_factory, name: str, write) -> tuple[Path, Path]:
    """A workspace `write(workspace)` fills and builds once, for tests that each begin
    from it: the folder it is in and a copy of it as built. The build records each
    source by its full path, so `put_back` returns a test's copy to that very folder,
    where it is up to date, as after a build of the test's own."""
    root = tmp_path_factory.getbasetemp() / name
    root.mkdir()
    write(Workspace(root))
    copy = tmp_path_factory.mktemp(f"{name}-built") / "project"
    shutil.copytree(root, copy, symlinks=True)
    return root, copy


def put_back(built: tuple[Path, Path]) -> Workspace:
    root, copy = built
    shutil.rmtree(root)
    shutil.copytree(copy, root, symlinks=True)  # times kept: as the build left them
    return Workspace.existing(root)


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)


def built_once(tmp_path_factory, worker_id, name: str, make) -> Path:
    """The folder `name`, made by `make(folder)` once for the whole session: by the first
    test worker to need it, in the folder all the workers share, while the others wait
    for it (the pattern pytest-xdist documents). Tests only read it."""
    if worker_id == "master":  # not under xdist
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        folder = shared / name
        done = shared / f"{name}.done"
        if not done.is_file():  # a worker that failed to make it left no mark
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def shipped_out(tmp_path_factory, worker_id) -> Path:
    """The shipped library in every format, built once for the whole session."""
    return built_once(tmp_path_factory, worker_id, "shipped", build_shipped)


def copy_shipped(shipped_out: Path, to: Path, *leave_out: str) -> Path:
    """A copy of the shipped build, without the staff app's store (and `leave_out`). The
    apps other tests serve on the build keep their sessions in that SQLite file, live:
    a copy of it would be torn, and a process that opens and closes it drops the locks
    SQLite holds on it for that process's own connections (POSIX locks are per process:
    SQLite's "How To Corrupt An SQLite Database File", 2.2). A clean-clone run once saw
    "disk I/O error" in the store of an app tested in a process that had copied it."""
    from handouts.web.store import STORE_NAME

    shutil.copytree(shipped_out, to, ignore=shutil.ignore_patterns(f"{STORE_NAME}*", *leave_out))
    return to


def build_shipped(out: Path) -> Path:
    code = main(["build", "--sources", str(REPO / "sources"), "--out", str(out),
                 "--brand", str(REPO / "_brand.yml")])
    assert code == 0
    return out


# Two shipped documents that between them are printed in every format and language.
PAIR = ("klonopin-overview", "crisis-help-lines")


@pytest.fixture(scope="session")
def pair_built(tmp_path_factory, worker_id) -> Path:
    """A copy of the shipped sources holding only the PAIR, built serially once for the
    session: the folder's `sources`, the build's `serial` output, and `serial.json`, its
    exit code and the number of files it wrote."""
    return built_once(tmp_path_factory, worker_id, "pair", build_pair)


def build_pair(folder: Path) -> None:
    import json

    from handouts.library.build import build
    from handouts.project import BuildRequest

    sources = folder / "sources"
    shutil.copytree(REPO / "sources", sources)
    for path in sources.glob("*.md"):
        if path.stem.split(".")[0] not in PAIR:
            path.unlink()
    report = build(Project(sources=sources, out=folder / "serial", brand=REPO / "_brand.yml"),
                   BuildRequest(jobs=1))
    (folder / "serial.json").write_text(json.dumps({"exit_code": report.exit_code,
                                                    "written": len(report.written)}))


# A number reserved for fiction (555-0100 to 555-0199): a test never prints a real one.
PILOT_PHONE = "555-0100"


def pilot_brand(folder: Path, allow_drafts: bool = True, phone: str = PILOT_PHONE) -> Path:
    """The shipped brand as a clinic's looks once it may email families: its phone number
    filled in and, for a pilot, drafts allowed (every shipped handout is a draft)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "brand", folder / "brand", dirs_exist_ok=True)
    text = (REPO / "_brand.yml").read_text()
    for placeholder in ('"[Clinic phone number]"', '"[Teléfono de la clínica]"'):
        assert placeholder in text
        text = text.replace(placeholder, f'"{phone}"')
    assert "allow_drafts: false" in text
    text = text.replace("allow_drafts: false", f"allow_drafts: {str(allow_drafts).lower()}")
    path = folder / "_brand.yml"
    path.write_text(text)
    return path


def shipped_source(slug: str, lang: str = "en"):
    """A shipped source, read as the build reads it."""
    from handouts.content.sources import read_source

    return read_source(REPO / "sources" / (f"{slug}.md" if lang == "en" else f"{slug}.{lang}.md"))


def version_of(slug: str, lang: str = "en") -> str:
    """The version a shipped source's front matter gives, as its footer prints it: tests
    follow the content as it is edited."""
    from handouts.content.documents import parse

    return parse(shipped_source(slug, lang)).meta.version


def cited(slug: str, lang: str = "en") -> list:
    """The resources a shipped source cites, in their numbered order, as the pipeline
    resolves them: counts in tests follow the content as it is edited."""
    from handouts.render.document import read_documents

    documents = read_documents([shipped_source(slug, lang)], REPO / "sources" / "resources.yaml")
    [resolved] = documents.resolved
    return [c.resource for c in resolved.citations]


def struct_elements(pdf):
    """Every structure element of a pikepdf PDF's tag tree, depth first."""
    import pikepdf

    stack = [pdf.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        kids = node.get("/K")
        if kids is None:
            continue
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield kid
                stack.append(kid)


def figure_boxes(path: Path) -> dict[int, list[tuple[float, float, float, float]]]:
    """The boxes (left, bottom, right, top) in points of the tagged figures of each
    page, by page index: the pictures and QR codes, whose own text is sized with the
    picture. WeasyPrint writes a figure's /BBox in CSS pixels from the page's top."""
    import pikepdf

    found: dict[int, list] = {}
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
        heights = [float(page.MediaBox[3]) for page in pdf.pages]
        for element in struct_elements(pdf):
            box = element.get("/A", {}).get("/BBox") if element.S == "/Figure" else None
            if box is not None and "/Pg" in element:
                index = pages[element.Pg.objgen]
                left, top, right, bottom = (float(v) * 0.75 for v in box)
                found.setdefault(index, []).append(
                    (left, heights[index] - bottom, right, heights[index] - top))
    return found


def char_boxes(path: Path, page_index: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every drawn character of a page and its box (left, bottom, right, top) in points."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_index].get_textpage()
        text = textpage.get_text_range()
        return [(text[i], textpage.get_charbox(i)) for i in range(textpage.count_chars())
                if i < len(text) and not text[i].isspace()]
    finally:
        pdf.close()


def char_sizes(path: Path, page_index: int) -> list[tuple[str, float]]:
    """Every drawn character of a page and the size in points it is drawn at."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_index].get_textpage()
        text = textpage.get_text_range()
        found = []
        for index in range(min(textpage.count_chars(), len(text))):
            if text[index].isspace():
                continue
            matrix = raw.FS_MATRIX()
            raw.FPDFText_GetMatrix(textpage, index, ctypes.byref(matrix))
            scale = (matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            found.append((text[index], round(raw.FPDFText_GetFontSize(textpage, index) * scale, 2)))
        return found
    finally:
        pdf.close()


def qr_squares(path: Path, page_index: int) -> list[tuple[float, float, float, float]]:
    """The boxes (left, bottom, right, top) of the QR codes drawn on a page: square
    vector drawings at least 0.6 in a side, of hundreds of strokes (a picture's
    square panel is a few)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path)
    try:
        squares = []
        for obj in pdf[page_index].get_objects(max_depth=1):
            if obj.type != raw.FPDF_PAGEOBJ_PATH:
                continue
            edges = [ctypes.c_float() for _ in range(4)]
            raw.FPDFPageObj_GetBounds(obj.raw, *[ctypes.byref(e) for e in edges])
            left, bottom, right, top = (e.value for e in edges)
            if (right - left >= 0.6 * 72 and abs((right - left) - (top - bottom)) < 2
                    and raw.FPDFPath_CountSegments(obj.raw) > 100):
                squares.append((left, bottom, right, top))
        return squares
    finally:
        pdf.close()


def pdffonts(path) -> list[str]:
    """The fonts of a PDF, as poppler lists them, without the subset tag."""
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split()[0].split("+", 1)[-1] for line in out.splitlines()[2:]]


def pdftotext(path: Path, *args: str, mode: str = "-layout") -> str:
    """The text poppler reads: `-layout` keeps the page's look, `-raw` content order."""
    return subprocess.run(["pdftotext", mode, *args, str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def page_texts(path: Path) -> list[str]:
    return pdftotext(path).split("\f")[:-1]


def font_size_at(path: Path, page_index: int, text: str) -> float:
    """The size in points at which `text` is drawn on a page, read with pdfium."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_index].get_textpage()
        index = textpage.get_text_range().find(text)
        assert index >= 0, f"{text!r} not on page {page_index + 1}"
        matrix = raw.FS_MATRIX()
        raw.FPDFText_GetMatrix(textpage, index, ctypes.byref(matrix))
        scale = (matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
        return round(raw.FPDFText_GetFontSize(textpage, index) * scale, 2)
    finally:
        pdf.close()


def text_box(path: Path, page_index: int, text: str) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in points of the first character of `text`."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_index].get_textpage()
        index = textpage.get_text_range().find(text)
        assert index >= 0, f"{text!r} not on page {page_index + 1}"
        return textpage.get_charbox(index)
    finally:
        pdf.close()


def watermark_share(path: Path, page_index: int) -> float:
    """The share of a page covered by the draft watermark's faint red, as printed."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        image = pdf[page_index].render(scale=40 / 72).to_pil().convert("RGB")
    finally:
        pdf.close()
    pixels = image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata()
    faint_red = sum(1 for r, g, b in pixels if abs(r - 235) <= 8 and abs(g - 216) <= 10 and abs(b - 216) <= 10)
    return faint_red / (image.width * image.height)


def baselines(path: Path, page_index: int, text: str, length: int) -> list[float]:
    """The baselines, top to bottom, of the lines holding `length` characters from `text` on,
    leaving out superscripts (drawn smaller than the text around them)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    pdf = pdfium.PdfDocument(path)
    try:
        textpage = pdf[page_index].get_textpage()
        start = textpage.get_text_range().find(text)
        assert start >= 0, f"{text!r} not on page {page_index + 1}"
        sizes, origins = [], []
        for index in range(start, start + length):
            x, y = ctypes.c_double(), ctypes.c_double()
            raw.FPDFText_GetCharOrigin(textpage, index, ctypes.byref(x), ctypes.byref(y))
            sizes.append(raw.FPDFText_GetFontSize(textpage, index))
            origins.append(round(y.value, 1))
        usual = max(set(sizes), key=sizes.count)
        return sorted({y for y, size in zip(origins, sizes, strict=True) if size == usual}, reverse=True)
    finally:
        pdf.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on loopback for this test process, stopped after its tests."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The server's database 0, empty before the test and after it."""
    redis_server.client.flushdb()
    yield redis_server.url
    redis_server.client.flushdb()
