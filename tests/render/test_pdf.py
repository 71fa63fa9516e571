"""The PDF stage on its own: real WeasyPrint, the locked fetcher, and what it reports."""

import http.server
import subprocess
import sys
import threading

import pytest
from conftest import REPO

from handouts.content.brand import load_brand
from handouts.content.documents import parse
from handouts.content.sources import SourceFile
from handouts.render.document import judge
from handouts.render.fetcher import FileAccess
from handouts.render.layout import DocumentHtml
from handouts.render.pdf import render_pdf


@pytest.fixture
def server():
    """A real HTTP server on loopback that counts the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"body{}")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


def html(body: str, head: str = "") -> str:
    return f'<html lang="en"><head><title>T</title>{head}</head><body>{body}</body></html>'


def test_renderer_never_reaches_the_network_or_other_files(tmp_path, server):
    base, hits = server
    allowed = tmp_path / "sources"
    allowed.mkdir()
    page = html(
        f'<p>Hello</p><img src="{base}/pixel.png" alt="remote">'
        f'<img src="file:///etc/hostname" alt="local">'
        f'<a rel="attachment" href="{base}/attachment.pdf">attach</a>',
        head=f'<link rel="stylesheet" href="{base}/style.css">'
             f'<style>@import url("{base}/imported.css"); p {{ background: url("{base}/bg.png") }}</style>',
    )
    result = render_pdf(DocumentHtml(page, allowed.as_uri() + "/", ()), FileAccess(folders=(allowed,)))
    assert hits == []
    assert set(result.refused) >= {f"{base}/pixel.png", "file:///etc/hostname",
                                   f"{base}/style.css", f"{base}/imported.css"}
    assert result.pages == 1


def test_text_drawn_in_a_fallback_font_is_found(tmp_path):
    brand = load_brand(REPO / "_brand.yml")
    face = brand.typeface.faces[0].path
    head = (f'<style>@font-face {{ font-family: "Atkinson Hyperlegible"; src: url("{face.as_uri()}") }}'
            'body { font-family: "Atkinson Hyperlegible" }</style>')
    access = FileAccess(folders=(tmp_path, brand.typeface.folder))
    # U+2713 CHECK MARK is not in Atkinson Hyperlegible: Pango falls back to a system font.
    result = render_pdf(DocumentHtml(html("<p>Done \u2713</p>", head), tmp_path.as_uri() + "/", ()), access)
    families = {font.family for font in result.fonts}
    assert "Atkinson Hyperlegible" in families and len(families) == 2
    source = SourceFile(tmp_path / "doc.md", "doc", "en", "---\ntitle: T\nsummary: S\n---\n", "0")
    [problem] = [p for p in judge(result, parse(source).source.path, "handout", brand, _handout())
                 if p.is_error]
    assert "was drawn in the fallback font" in problem.message


def _handout():
    from handouts.content.formats import FORMATS
    return FORMATS["handout"]


def test_commands_that_render_nothing_do_not_import_weasyprint():
    code = ("import sys, io; from handouts.cli import main; "
            f"main(['list', '--sources', r'{REPO / 'sources'}'], stdout=io.StringIO()); "
            "print('weasyprint' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_panel_too_full_to_keep_its_foot_clear_is_an_error(tmp_path):
    """A brochure panel that is too full spills towards the sheet's edge rather than
    onto a page of its own: measured from the laid-out lines, and an error."""
    from handouts.content.formats import FORMATS

    brochure, brand = FORMATS["brochure"], load_brand(REPO / "_brand.yml")
    face = brand.typeface.faces[0].path.as_uri()
    page = ('<style>@font-face { font-family: "Atkinson Hyperlegible"; src: url("%s") }'
            '@page { size: 11in 8.5in; margin: 0 } body { margin: 0; font-family: "Atkinson Hyperlegible" }'
            '.spacer { height: %sin }</style><div class="spacer"></div><p>Last line</p>')
    access = FileAccess(folders=(tmp_path, brand.typeface.folder))
    source = tmp_path / "doc.md"

    def problems(spacer: float):
        result = render_pdf(DocumentHtml(html(page % (face, spacer)), tmp_path.as_uri() + "/", (),
                                         max_pages=2), access)
        return result, [p.message for p in judge(result, source, "brochure", brand, brochure)]

    clear, none = problems(7.5)
    assert clear.foot_clearance > 0.25 and none == []
    tight, [message] = problems(8.1)
    assert 0 < tight.foot_clearance < 0.25
    assert message == (f"brochure: 'doc' runs {0.25 - tight.foot_clearance:.2f} in into the 0.25 in "
                       "kept clear at the foot of a panel; shorten it (a long resource list counts too)")


def test_a_picture_drawn_again_is_copied_and_prints_the_same(tmp_path, monkeypatch):
    """The DRAFT watermark (a page background) and a callout's icon are walked once a
    document, however many pages draw them, and the PDF is the very one WeasyPrint
    writes walking them on every page. A picture with text is drawn anew each time."""
    from collections import Counter
    from urllib.parse import quote

    import weasyprint.svg
    from weasyprint.images import SVGImage

    from handouts.render.pdf import lay_out, write_pdf

    (tmp_path / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">'
        '<path d="M2 2h20v20H2z" fill="#a11d1d" fill-opacity="0.5"/></svg>')
    (tmp_path / "label.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 20" width="60" height="20">'
        '<text x="2" y="15">Call 911</text></svg>')
    watermark = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 40">'
                 '<path d="M0 0L100 40" stroke="#a11d1d" stroke-opacity="0.13"/></svg>')
    page = ('<p style="break-after: page"><img src="icon.svg" alt="">'
            '<img src="label.svg" alt="Call 911"> Page</p>') * 3
    head = (f"<style>@page {{ background: url('data:image/svg+xml,{quote(watermark)}') "
            "center / 80% auto no-repeat }</style>")
    document = DocumentHtml(html(page, head), tmp_path.as_uri() + "/", ())
    access = FileAccess(folders=(tmp_path,))

    walked = Counter()  # pictures WeasyPrint walked, by name: a tree walk each drawing
    walk = weasyprint.svg.SVG.draw

    def walking(svg, stream, width, height, base_url, context):
        walked[base_url.rsplit("/", 1)[-1] if base_url.startswith("file:") else "watermark"] += 1
        return walk(svg, stream, width, height, base_url, context)

    monkeypatch.setattr(weasyprint.svg.SVG, "draw", walking)
    copied = write_pdf(lay_out(document, access))
    assert copied.pages == 3
    assert walked == {"watermark": 1, "icon.svg": 1, "label.svg": 3}

    monkeypatch.setattr(SVGImage, "draw", SVGImage.draw.__wrapped__)
    walked.clear()
    drawn = write_pdf(lay_out(document, access))
    assert walked == {"watermark": 3, "icon.svg": 3, "label.svg": 3}
    assert copied.data == drawn.data


def test_the_brand_colours_written_into_the_stylesheets_draw_what_var_drew(tmp_path):
    """The stylesheets are parsed with the brand's colours in place of var(): the PDF is
    byte for byte the one WeasyPrint writes working each var() out, and the colours are
    the brand's own, not those of another brand parsed first in the same process."""
    from dataclasses import replace

    import pypdfium2 as pdfium

    from handouts.content.brand import read_brand
    from handouts.content.formats import FORMATS
    from handouts.content.sources import discover
    from handouts.project import Project
    from handouts.render.document import read_documents
    from handouts.render.layout import layout
    from handouts.render.pdf import lay_out, write_pdf

    project = Project(sources=REPO / "sources", brand=REPO / "_brand.yml")
    brand = read_brand(project.brand)
    [source] = [s for s in discover(project.sources).sources
                if (s.slug, s.lang) == ("naloxone", "en")]
    [document] = read_documents([source], project.resources).resolved
    page = layout(document, FORMATS["handout"], brand, project.layouts)
    assert page.colors and "--primary" in dict(page.colors)
    access = FileAccess((project.sources, project.templates, project.styles,
                         brand.typeface.folder), brand.files)

    def written(html: DocumentHtml) -> bytes:
        return write_pdf(lay_out(html, access, brand.typeface.family)).data

    assert written(page) == written(replace(page, colors=()))
    green = tuple((name, "#006400" if name == "--primary" else value)
                  for name, value in page.colors)
    (tmp_path / "green.pdf").write_bytes(written(replace(page, colors=green)))
    pdf = pdfium.PdfDocument(tmp_path / "green.pdf")
    try:
        image = pdf[0].render(scale=1).to_pil().convert("RGB")  # 72 dpi: a pixel a point
    finally:
        pdf.close()
    # The masthead band, in the primary colour, at its right-hand end near the top.
    assert image.getpixel((image.width - 75, 40)) == (0, 100, 0)


def test_no_stylesheet_or_template_sets_a_brand_colour_of_its_own():
    """A colour written into the stylesheets is the brand's everywhere: a rule that set
    --primary for some elements would be ignored, so there is none."""
    import re

    from handouts.content.brand import read_brand
    from handouts.render.layout import brand_colors

    names = [name for name, _ in brand_colors(read_brand(REPO / "_brand.yml"))]
    files = [*(REPO / "styles").glob("*.css"), *(REPO / "templates").rglob("*.j2")]
    assert len(names) >= 5 and len(files) >= 10
    setting = {(path.name, name) for path in files for name in names
               if re.search(rf"{re.escape(name)}\s*:", path.read_text(encoding="utf-8"))}
    assert not setting
