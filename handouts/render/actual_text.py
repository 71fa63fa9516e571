"""The words of a joined script, as the PDF gives them back: each run of Arabic text
carries its own letters as `/ActualText`.

A PDF maps each glyph to one text (its ToUnicode map). Noto Sans Arabic draws a
dotted letter as a shared skeleton and a shared dots glyph, in the forms the
letter takes where it joins; WeasyPrint 70 gives each glyph the first letter it
drew it for (Kozea/WeasyPrint#2841). The page looks right, but a screen reader,
a search or a copy reads other letters, or other words. So each text run that
holds such letters is marked with the text it stands for, as PDF/UA asks where
the glyphs do not say it (ISO 32000 14.9.4): readers take that text instead.
Its direction marks are left out: they are not words.

One wrapper around WeasyPrint's marked-content step, like tag_origins.py;
WeasyPrint is pinned below 71, and the tests read the words back with poppler.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache

# Scripts whose letters join, and whose glyphs therefore cannot map one to one.
JOINED = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@lru_cache(maxsize=1)
def mark_actual_text() -> None:
    """Replace WeasyPrint's marked-content step (Stream.marked, the same but for the
    /ActualText) so a text run of a joined script carries its letters."""
    import pydyf
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf.stream import Stream

    @contextmanager
    def marked(self, box, tag):
        if self._tags is not None:
            mcid = len(self._tags)
            assert box not in self._tags
            self._tags[box] = {"tag": tag, "mcid": mcid}
            properties = pydyf.Dictionary({"MCID": mcid})
            if isinstance(box, boxes.TextBox) and JOINED.search(box.text):
                properties["ActualText"] = pydyf.String(BIDI_CONTROLS.sub("", box.text))
            super(Stream, self).begin_marked_content(tag, properties)
        try:
            yield
        finally:
            if self._tags is not None:
                super(Stream, self).end_marked_content()

    Stream.marked = marked
