"""What the renderer may read: the project's own files, nothing else.

By default WeasyPrint reads `file://` anywhere and fetches http(s). Here it
may read only files under the allowed folders (sources, templates, styles,
the typeface's package) and the brand's own files, after resolving `..` and
symlinks, plus `data:` URLs that the layout makes itself (QR codes). Every
refusal is recorded so the build can report it. This is the policy alone; the
PDF stage (`pdf.locked_fetcher`) gives it to WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..problems import HandoutsError


class FetchRefused(HandoutsError, ValueError):
    pass


class FileAccess:
    """The folders and files one render may read, and the URLs it was refused."""

    def __init__(self, folders: tuple[Path, ...], files: tuple[Path, ...] = ()):
        self.folders = tuple(folder.resolve() for folder in folders)
        self.files = frozenset(path.resolve() for path in files)
        self.refused: list[str] = []

    def check(self, url: str) -> Path | None:
        """The file `url` names, if it may be read; None for a `data:` URL.
        Raises FetchRefused, and remembers the URL, for anything else."""
        try:
            return self._check(url)
        except FetchRefused:
            self.refused.append(url)
            raise

    def _check(self, url: str) -> Path | None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return None
        if scheme != "file":
            raise FetchRefused(f"only the project's own files may be read, not {url}")
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused a file on another host: {url}")
        path = Path(url2pathname(parts.path)).resolve()  # follows symlinks, removes ..
        inside = path in self.files or any(path.is_relative_to(f) for f in self.folders)
        if not inside:
            raise FetchRefused(f"refused a file outside the project's folders: {url}")
        if not path.is_file():
            raise FetchRefused(f"file not found: {url}")
        return path
