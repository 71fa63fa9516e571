"""Patient-education handouts: Markdown sources to branded, accessible PDFs."""

__version__ = "0.1.0"
