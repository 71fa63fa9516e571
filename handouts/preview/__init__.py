"""`make_docs.py preview`: the document being written, as it will print, beside its check.

A page on this computer (server.py) shows one document's pages as images and
reloads them by itself; one warm process (session.py) renders the document
on every save, the format on screen first, and reads it back as images
(pages.py).
"""
