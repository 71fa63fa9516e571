"""Rendering on a job queue (RQ on Redis), for a library or a front desk bigger than
one machine: the build enqueues each stale document, workers anywhere that hold the
same project render them, and the PDFs come back to the build, which writes them as
it writes its own pool's. The pool in library/workers.py stays the default."""
