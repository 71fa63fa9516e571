"""The process pool: the same files as a serial build, byte for byte."""

import shutil

from handouts.build import BuildRequest, Project, build

from conftest import REPO


def test_parallel_build_is_identical_to_serial(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(REPO / "sources", sources)
    for path in sources.glob("*.md"):  # a handful of documents, every format among them
        if path.stem.split(".")[0] not in ("klonopin-overview", "crisis-help-lines"):
            path.unlink()
    serial = Project(sources=sources, out=tmp_path / "serial", brand=REPO / "_brand.yml")
    parallel = Project(sources=sources, out=tmp_path / "parallel", brand=REPO / "_brand.yml")
    first = build(serial, BuildRequest(jobs=1))
    second = build(parallel, BuildRequest(jobs=2))
    assert first.exit_code == second.exit_code == 0
    assert len(second.written) == len(first.written) >= 10
    assert second.peak_memory_kb > 0
    files = sorted(p.relative_to(serial.out) for p in serial.out.rglob("*.pdf"))
    assert files == sorted(p.relative_to(parallel.out) for p in parallel.out.rglob("*.pdf"))
    for relative in files:
        assert (serial.out / relative).read_bytes() == (parallel.out / relative).read_bytes(), relative
    assert (serial.out / "catalog.json").read_text() == (parallel.out / "catalog.json").read_text()
