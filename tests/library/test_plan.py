"""Incremental builds: only what changed is rendered; nothing to do costs nothing."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOOD_SOURCE, REPO, Workspace, built_workspace, put_back, source_text

OTHER = source_text("title: Other handout\nsummary: Nothing wrong here.\nformats: [handout, brochure]",
                    "## What it is\n\nA short text.\n\n## What to do next\n\nCall us.\n")


def build_two(ws: Workspace) -> None:
    (ws.sources / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    ws.write("staying-safe.md", GOOD_SOURCE + "\n![A locked box](images/box.svg)\n")
    ws.write("other.md", OTHER)
    run = ws.run("build")
    assert run.code == 0, run.err
    assert run.summary.startswith("Built 6 PDFs in")


@pytest.fixture(scope="module")
def two_built(tmp_path_factory) -> tuple[Path, Path]:
    return built_workspace(tmp_path_factory, "plan-project", build_two)


@pytest.fixture
def built(two_built) -> Workspace:
    """The two documents as one build left them: each test's own copy."""
    return put_back(two_built)


def rebuilt(ws, *args) -> list[str]:
    run = ws.run("build", *args)
    assert run.code == 0, run.err
    return sorted(path for line in run.out.splitlines() if line.startswith("[")
                  for path in line.split(" ", 1)[1].split(", "))


def test_nothing_changed_nothing_rendered(built):
    run = built.run("build")
    assert run.out.strip() == run.summary
    assert run.summary.startswith("Built 0 PDFs (6 up to date) in")


def test_changing_one_source_rebuilds_its_formats_only(built):
    path = built.sources / "other.md"
    path.write_text(path.read_text().replace("A short text.", "A short, new text."))
    assert rebuilt(built) == ["brochure/other.pdf", "handout/other.pdf", "large-print/other.pdf"]


def test_one_format_built_after_an_edit_is_not_built_again_with_the_rest(built):
    # As the preview does: the format on screen first, then the others.
    path = built.sources / "other.md"
    path.write_text(path.read_text().replace("A short text.", "A short, new text."))
    assert rebuilt(built, "--format", "handout") == ["handout/other.pdf"]
    assert rebuilt(built) == ["brochure/other.pdf", "large-print/other.pdf"]
    assert rebuilt(built) == []


def test_changing_a_cited_resource_rebuilds_the_documents_citing_it(built):
    resources = built.sources / "resources.yaml"
    resources.write_text(resources.read_text().replace("title: Clonazepam", "title: Clonazepam (Klonopin)"))
    assert rebuilt(built) == ["handout/staying-safe.pdf", "large-print/staying-safe.pdf"]


def test_changing_an_image_rebuilds_the_documents_showing_it(built):
    (built.sources / "images" / "box.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"/>')
    assert rebuilt(built) == ["handout/staying-safe.pdf", "large-print/staying-safe.pdf"]


def test_changing_a_partial_rebuilds_the_formats_that_use_it(built, tmp_path):
    templates = tmp_path / "templates"
    styles = tmp_path / "styles"
    import shutil
    shutil.copytree(REPO / "templates", templates)
    shutil.copytree(REPO / "styles", styles)
    from handouts.library.build import build
    from handouts.project import BuildRequest, Project
    project = Project(sources=built.sources, out=built.out, brand=built.brand,
                      templates=templates, styles=styles)
    serial = BuildRequest(jobs=1)
    assert build(project, serial).up_to_date == 6  # the same templates, by content
    footer = templates / "partials" / "footer.html.j2"  # used by handouts and large print only
    footer.write_text(footer.read_text() + "\n")
    report = build(project, serial)
    assert sorted(e.path for e in report.written) == [
        "handout/other.pdf", "handout/staying-safe.pdf",
        "large-print/other.pdf", "large-print/staying-safe.pdf"]
    icon = styles / "icons" / "danger.svg"  # drawn by large print's danger callouts only
    icon.write_text(icon.read_text().replace("#1d2b30", "#000000"))
    brochure = styles / "brochure.css"
    brochure.write_text(brochure.read_text() + "\n/* changed */\n")
    report = build(project, serial)
    assert sorted(e.path for e in report.written) == [
        "brochure/other.pdf", "large-print/other.pdf", "large-print/staying-safe.pdf"]


def test_changing_the_brand_rebuilds_everything(built):
    built.brand.write_text(built.brand.read_text().replace('"#0e5a5f"', '"#0d595e"'))
    assert len(rebuilt(built)) == 6


def test_force_rebuilds_everything(built):
    assert len(rebuilt(built, "--force")) == 6


def test_a_deleted_or_damaged_output_is_rebuilt(built):
    built.pdf("other.pdf").unlink()
    built.pdf("other.pdf", "brochure").write_bytes(b"%PDF-1.7 broken")
    assert rebuilt(built) == ["brochure/other.pdf", "handout/other.pdf"]


def test_a_deleted_source_takes_its_files_with_it(built):
    (built.sources / "other.md").unlink()
    assert rebuilt(built) == []
    assert not built.pdf("other.pdf").exists()
    catalog = json.loads((built.out / "catalog.json").read_text())
    assert {e["slug"] for e in catalog["files"]} == {"staying-safe", "wallet-card"}


def test_a_damaged_manifest_means_a_full_build(built):
    (built.out / ".manifest.json").write_text("{not json")
    assert len(rebuilt(built)) == 6
    assert len(rebuilt(built)) == 0


def test_asking_for_another_format_builds_what_is_missing(tmp_path):
    ws = Workspace(tmp_path)
    ws.write("other.md", OTHER)
    assert ws.run("build", "--format", "handout").code == 0
    assert rebuilt(ws) == ["brochure/other.pdf", "card/wallet-card.pdf", "large-print/other.pdf"]


def test_a_build_with_nothing_to_do_imports_no_heavy_stage(built):
    code = ("import sys, io; from handouts.cli import main; "
            f"code = main(['build', '--sources', r'{built.sources}', '--out', r'{built.out}', "
            f"'--brand', r'{built.brand}'], stdout=io.StringIO()); "
            "heavy = [m for m in ('weasyprint', 'brand_yml', 'markdown', 'jinja2', 'babel') if m in sys.modules]; "
            "print(code, heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "0 []"


def test_which_code_shapes_a_pdf_follows_from_the_folders(tmp_path, monkeypatch):
    """Editing the app, the check or delivery leaves every PDF up to date; editing a
    content or render module, or adding one there, makes them all stale. Nothing is
    listed by hand: a new module is counted by the folder it is put in."""
    from handouts.library import plan

    package = tmp_path / "handouts"
    shutil.copytree(REPO / "handouts", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(plan, "PACKAGE", package)

    def pipeline() -> str:
        return plan.Inputs(REPO / "templates", REPO / "styles", REPO / "sources", (), False).pipeline

    first = pipeline()
    for module in ("web/app.py", "web/views/packet.py", "web/packet_pool.py", "check/gate.py", "check/tagtree.py",
                   "deliver/mail.py", "library/workers.py", "cli/delivery.py"):
        with (package / module).open("a") as code:
            code.write("\n# a comment\n")
        assert pipeline() == first, module
    for module in ("render/layout.py", "content/markup.py", "problems.py"):
        with (package / module).open("a") as code:
            code.write("\n# a comment\n")
        changed = pipeline()
        assert changed != first, module
        first = changed
    (package / "render" / "new_stage.py").write_text('"""A stage added later."""\n')
    assert pipeline() != first


def test_a_formats_templates_and_stylesheets_are_read_once_a_build(monkeypatch):
    """Every document's digest includes its format's layout: found by reading the
    templates and stylesheets once a format, not once for each of thousands of documents."""
    from pathlib import Path

    from handouts.content.formats import FORMATS
    from handouts.library import plan

    inputs = plan.Inputs(REPO / "templates", REPO / "styles", REPO / "sources" / "resources.yaml", (), False)
    reads: list[Path] = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or real(self, *a, **k))
    first = inputs.layout(FORMATS["handout"])
    read_once = sorted(reads)
    assert read_once and len(set(read_once)) == len(read_once)
    assert [inputs.layout(FORMATS["handout"]) for _ in range(3)] == [first] * 3
    assert sorted(reads) == read_once
    assert inputs.layout(FORMATS["brochure"]) != first  # each format its own
    fresh = plan.Inputs(REPO / "templates", REPO / "styles", REPO / "sources" / "resources.yaml", (), False)
    assert fresh.layout(FORMATS["handout"]) == first  # the same digest as before


def test_files_made_from_the_same_inputs_share_one_digest_worked_out_once(monkeypatch):
    from handouts.content.formats import FORMATS
    from handouts.library import plan

    def inputs():
        return plan.Inputs(REPO / "templates", REPO / "styles", REPO / "sources" / "resources.yaml", (), False)

    kept = inputs()
    worked_out = []
    real = kept._digest
    monkeypatch.setattr(kept, "_digest", lambda *args: worked_out.append(args) or real(*args))
    handout, brochure = FORMATS["handout"], FORMATS["brochure"]
    asked = [(handout, "en", ("fda-mat",), (), ()), (handout, "es", ("fda-mat",), (), ()),
             (brochure, "en", ("fda-mat",), (), ()), (handout, "en", ("lifeline-988",), (), ())]
    digests = [kept.digest(*args) for args in asked * 3]
    assert worked_out == asked  # each once
    assert digests == [inputs().digest(*args) for args in asked] * 3  # as a fresh one finds them
    assert len(set(digests)) == len(asked)


def test_source_keys_are_the_resolved_paths(tmp_path, monkeypatch):
    """Records name their sources by resolved path; the keys a build looks them up by are
    the same, for a plain file, a link beside it, a folder that is a link, a relative path."""
    from pathlib import Path

    from handouts.library.plan import source_keys

    real = tmp_path / "real"
    real.mkdir()
    (real / "a.md").write_text("a")
    (real / "b.md").symlink_to("a.md")
    (tmp_path / "elsewhere.md").write_text("c")
    (real / "c.md").symlink_to(tmp_path / "elsewhere.md")
    (tmp_path / "linked").symlink_to(real)
    monkeypatch.chdir(tmp_path)
    paths = [real / "a.md", real / "b.md", real / "c.md", tmp_path / "linked" / "a.md",
             Path("linked") / "b.md", Path("real") / "a.md", real / "gone.md"]
    assert source_keys(paths) == {path: str(path.resolve()) for path in paths}
