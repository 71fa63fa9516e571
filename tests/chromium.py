"""Debian's Chromium, headless, for the tests that drive a page as staff would."""

import os
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No background networking, no GPU, a fresh profile: nothing but the page under test.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def shot(page, name: str, tmp_path: Path) -> None:
    """Screenshots for looking at; kept in $HANDOUTS_SCREENSHOTS when it is set."""
    folder = Path(os.environ.get("HANDOUTS_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
