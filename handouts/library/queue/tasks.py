"""What a render worker does with a job from the queue: check that its copy of the
project is the build's, then render as the build's own pool would.

A job names its document and carries the build's fingerprint, never files: the
worker reads its own copy, found from `worker.py` as it starts (messages.Here). What it
sends back, a DocumentResult, names files portably (places.py)."""

from __future__ import annotations

from ...problems import ContentError
from .fingerprint import differences_here
from .messages import QueuedDocument, Refused, here, worker_name
from .places import Places, carried


def render_queued(job: QueuedDocument):
    """The DocumentResult of `job`, as the build's pool makes it; or Refused."""
    from ...content.blocks import read_blocks
    from ...content.brand import read_brand
    from ...content.resources import read_library
    from ...content.sources import read_source
    from ..jobs import Context, DocumentJob, render_document

    project = here()
    places = Places(project)
    differs = differences_here(project, job.fingerprint)
    source = None
    if job.source is not None:
        path = places.local(job.source)
        try:
            source = read_source(path)
        except ContentError:
            source = None
        if source is None or source.digest != job.source_digest:
            differs.append(f"its copy of {path.name}")
    if differs:
        return Refused(worker_name(), tuple(differs))
    context = Context(read_brand(project.brand), read_library(project.resources).library,
                      read_blocks(project.blocks).blocks, project, job.request)
    return carried(render_document(DocumentJob(context, source, job.only)), places)
