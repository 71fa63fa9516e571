"""The one URL fetcher WeasyPrint is given: the project's own files, nothing else.

By default WeasyPrint reads `file://` anywhere and fetches http(s). Here it
may read only files under the allowed folders (sources, templates, styles,
the typeface's package) and the brand's own files, after resolving `..` and
symlinks, plus `data:` URLs that the layout makes itself (QR codes). Every
refusal is recorded so the build can report it. Imported only by the PDF stage.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class FetchRefused(ValueError):
    pass


class LockedFetcher(URLFetcher):
    def __init__(self, folders: tuple[Path, ...], files: tuple[Path, ...] = ()):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.folders = tuple(folder.resolve() for folder in folders)
        self.files = frozenset(path.resolve() for path in files)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        try:
            return self._fetch(url)
        except FetchRefused:
            self.refused.append(url)
            raise

    def _fetch(self, url: str) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url)
        if scheme != "file":
            raise FetchRefused(f"only the project's own files may be read, not {url}")
        path = self.allowed_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    def allowed_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused a file on another host: {url}")
        path = Path(url2pathname(parts.path)).resolve()  # follows symlinks, removes ..
        inside = path in self.files or any(path.is_relative_to(f) for f in self.folders)
        if not inside:
            raise FetchRefused(f"refused a file outside the project's folders: {url}")
        if not path.is_file():
            raise FetchRefused(f"file not found: {url}")
        return path
