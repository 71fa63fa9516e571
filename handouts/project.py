"""Where a run reads and writes, and what it is asked to build.

Every command starts from a Project (the sources, the output folder, the brand
file; the templates and styles that ship with the pipeline) and, for a build,
a BuildRequest. They are plain values, imported by every concern and importing
none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BRAND_CARD = "wallet-card"


@dataclass(frozen=True)
class Templates:
    """Where the layouts and stylesheets live."""

    templates: Path
    styles: Path


@dataclass(frozen=True)
class Project:
    """Where a build reads and writes. Templates and styles ship with the pipeline."""

    sources: Path = Path("sources")
    out: Path = Path("output")
    brand: Path = Path("_brand.yml")
    templates: Path = PROJECT_ROOT / "templates"
    styles: Path = PROJECT_ROOT / "styles"

    @property
    def resources(self) -> Path:
        return self.sources / "resources.yaml"

    @property
    def blocks(self) -> Path:
        """The safety blocks: `[[overdose]]` in a source prints `blocks/overdose.yml`."""
        return self.sources / "blocks"

    @property
    def layouts(self) -> Templates:
        return Templates(self.templates, self.styles)


@dataclass(frozen=True)
class BuildRequest:
    slugs: tuple[str, ...] = ()  # empty: every source
    formats: tuple[str, ...] = ()  # empty: each document's own formats
    langs: tuple[str, ...] = ()  # empty: every language
    strict: bool = False  # warnings fail the document too
    print_shop: bool = False  # bleed and crop marks, whatever the brand says
    force: bool = False  # render everything, up to date or not
    jobs: int | None = None  # worker processes; None: one per CPU
    queue: str | None = None  # a Redis URL: render on its workers instead (queue/)

    @property
    def everything(self) -> bool:
        return not (self.slugs or self.formats or self.langs)
