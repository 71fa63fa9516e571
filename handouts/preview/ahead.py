"""A second warm process for the preview, so that a document laid out twice on every
save costs one layout's wait.

A handout that would end on a page mostly blank is laid out again with other
spacing (render/document.py `fitted`): the writer would wait for two layouts.
While the preview's own process lays the document out as it is, this one lays
it out, and writes it, with the spacing it was fitted with last time; the
first layout then decides, exactly as alone, and the guess stands in for its
own turn if that turn comes. The PDF kept is the same either way, byte for
byte (the build is reproducible). On two cores the preview has one to spare:
the other formats and the check wait until the format on screen is done.

It is also told of every PDF the preview's builds write, as soon as it is written,
so that its pages can be drawn while the build stores it (`on_written`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.formats import Format
from ..render.citations import ResolvedDocument
from ..render.layout import Fit

if TYPE_CHECKING:
    from ..render.pdf import PdfResult

WAIT_SECONDS = 60.0  # a guess not back by then is given up on: the preview lays it out itself


class LaidOutAhead:
    """The `render.document.Ahead` the preview's rendering thread sets."""

    def __init__(self, on_written: Callable[[bytes], None] | None = None):
        self._on_written = on_written
        self._fits: dict[tuple[str, str], Fit] = {}  # how each was fitted last time
        self._connection: Any = None
        self._process: Any = None
        self._sent = self._heard = 0  # guesses asked for, and answers read

    def guess(self, resolved: ResolvedDocument, fmt: Format, brand, project,
              print_shop: bool) -> _Guess | None:
        fit = self._fits.get(_key(resolved, fmt))
        self.drain()
        if fit is None or self._sent != self._heard:  # none to make, or still making one
            return None
        self._start()
        self._sent += 1
        self._connection.send((self._sent, (resolved, fmt, brand, project, print_shop, fit)))
        return _Guess(fit, self, self._sent)

    def took(self, resolved: ResolvedDocument, fmt: Format, fit: Fit | None) -> None:
        if fit is None:
            self._fits.pop(_key(resolved, fmt), None)
        else:
            self._fits[_key(resolved, fmt)] = fit

    def wrote(self, result: PdfResult) -> None:
        if self._on_written is not None:
            self._on_written(result.data)

    def answer(self, number: int):
        """The PdfResult of guess `number`, or None if it failed or took too long."""
        while self._heard < number:
            if not self._connection.poll(WAIT_SECONDS):
                self.close()  # hung: a new process makes the next guess
                return None
            try:
                heard, result = self._connection.recv()
            except (EOFError, OSError):
                self.close()
                return None
            self._heard = heard
        return result if self._heard == number else None

    def drain(self) -> None:
        """Read the answer to a guess that was not needed, once it comes."""
        if self._sent != self._heard and self._connection.poll():
            self.answer(self._sent)

    def start(self) -> None:
        """Start the process now, so that it is warm by the first save."""
        self._start()

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        # A fork server's clean process: this one has run Pango in threads.
        context = multiprocessing.get_context("forkserver")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs,), daemon=True,
                                        name="preview-ahead")
        self._process.start()
        theirs.close()
        self._sent = self._heard = 0

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._connection.close()
        self._process = self._connection = None
        self._sent = self._heard = 0


@dataclass(frozen=True)
class _Guess:
    fit: Fit
    ahead: LaidOutAhead
    number: int

    def result(self):
        return self.ahead.answer(self.number)


def _key(resolved: ResolvedDocument, fmt: Format) -> tuple[str, str]:
    return str(resolved.document.source.path), fmt.name


def _serve(connection) -> None:
    """In the second process: lay out and write each guess asked for, until closed."""
    from ..render.document import laid_out_with
    from ..render.pdf import warm, write_pdf

    warm()  # while the writer reads, not on the first save

    os.nice(1)  # the format on screen's own layout comes first
    while True:
        try:
            number, (resolved, fmt, brand, project, print_shop, fit) = connection.recv()
        except (EOFError, OSError):
            return
        try:
            result = write_pdf(laid_out_with(resolved, fmt, brand, project, print_shop, fit))
        except Exception:  # noqa: BLE001 - the preview's own layout then says what is wrong
            result = None
        connection.send((number, result))
