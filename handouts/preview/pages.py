"""A built PDF as page images at screen resolution, for the preview."""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SCREEN_DPI = 96  # a page 816 pixels wide on Letter: as on paper, on a laptop's screen


def page_images(pdf: Path, dpi: int = SCREEN_DPI) -> tuple[bytes, ...]:
    """Each page of `pdf` as a PNG; none if the file is gone or cannot be read (a build
    replaces its PDFs atomically, so a file read whole is one build's)."""
    import pypdfium2 as pdfium

    try:
        data = pdf.read_bytes()
        document = pdfium.PdfDocument(data)
    except (OSError, pdfium.PdfiumError):
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
