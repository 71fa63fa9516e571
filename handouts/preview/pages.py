"""A built PDF as page images at screen resolution, for the preview."""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

SCREEN_DPI = 96  # a page 816 pixels wide on Letter: as on paper, on a laptop's screen
KEPT = 8  # PDFs drawn ahead and not yet asked for: a document's formats, and to spare


class PageDrawer:
    """Draws each PDF's pages as soon as it is written, while the build stores it.

    The build writes a PDF's bytes to the output folder as they came from the renderer,
    so `start(data)` can draw them in a thread of its own (pdfium and zlib let go of
    the interpreter), and `images(path)` finds them by the file's digest once the build
    is done. Every drawing runs in that one thread: pdfium is not safe to use from two
    threads at once."""

    def __init__(self, dpi: int = SCREEN_DPI):
        self.dpi = dpi
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="preview-pages")
        self._drawing: dict[str, Future] = {}  # by the PDF's sha256, oldest first

    def start(self, data: bytes) -> None:
        """Begin drawing `data`, a PDF just written."""
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._drawing:
            self._drawing[digest] = self._thread.submit(page_images_of, data, self.dpi)
        while len(self._drawing) > KEPT:  # drawn for a build that was cut short
            del self._drawing[next(iter(self._drawing))]

    def images(self, pdf: Path) -> tuple[bytes, ...]:
        """Each page of `pdf` as a PNG; none if the file is gone or cannot be read (a build
        replaces its PDFs atomically, so a file read whole is one build's)."""
        try:
            data = pdf.read_bytes()
        except OSError:
            return ()
        drawing = self._drawing.pop(hashlib.sha256(data).hexdigest(), None)
        if drawing is None:  # written before the preview began, or not by it
            drawing = self._thread.submit(page_images_of, data, self.dpi)
        return drawing.result()

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
        self._drawing.clear()


def page_images_of(data: bytes, dpi: int = SCREEN_DPI) -> tuple[bytes, ...]:
    """Each page of the PDF `data` as a PNG; none if it cannot be read."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return ()
    try:
        images = [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()
    # Encoded side by side: zlib lets go of the interpreter while it compresses, and
    # the encoding is most of the time a page image costs (pdfium draws it in 10 ms).
    with ThreadPoolExecutor(max(1, min(len(images), os.cpu_count() or 1))) as pool:
        return tuple(pool.map(_png, images))


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # the fastest level: served once, on loopback
    return out.getvalue()
