"""The preview's page, on this computer only: Flask, served by waitress, as the staff app.

    /                   the page (templates/web/preview.html.j2, static/preview.js)
    /state?after=N      the view as JSON, once newer than version N (a long poll);
                        `source=` and `format=` choose what it shows
    /page/F/N.png       page N of format F, as an image
    /pdf/F              the PDF of format F, as built into the output folder

No sign-in: it listens on 127.0.0.1 and answers only requests addressed to it
there, so no other computer, and no web page that renames itself to this
address, can read the drafts it shows.
"""

from __future__ import annotations

from flask import Flask, Response, abort, jsonify, render_template, request, send_file

from ..content.sources import DEFAULT_LANG, SOURCE_NAME
from ..library.outputs import read_catalog
from ..project import PROJECT_ROOT
from ..web.access import addressed_here
from ..web.app import SECURITY_HEADERS
from ..web.settings import Settings
from .session import Preview

HOST = "127.0.0.1"
LONGEST_WAIT = 20.0  # seconds a poll is held open; the page asks again at once


def create_app(preview: Preview, port: int | None = None) -> Flask:
    project = preview.project
    here = Settings(host=HOST, port=port)
    app = Flask(__name__, template_folder=str(project.templates / "web"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.jinja_env.autoescape = True

    @app.before_request
    def only_here():
        if not addressed_here(request.host, here):
            abort(403)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        response.headers["Cache-Control"] = "no-store"  # every save makes it stale
        return response

    @app.get("/")
    def page():
        return render_template("preview.html.j2", sources=project.sources)

    @app.get("/state")
    def state():
        preview.show(request.args.get("source"), request.args.get("format"))
        after = request.args.get("after", "0")
        view = preview.wait(int(after) if after.isdigit() else 0, LONGEST_WAIT)
        return jsonify(view.state())

    @app.get("/page/<fmt>/<int:number>.png")
    def page_image(fmt: str, number: int):
        images = preview.view().pages.get(fmt, ())
        if not 1 <= number <= len(images):
            abort(404)
        return Response(images[number - 1], mimetype="image/png")

    @app.get("/pdf/<fmt>")
    def pdf(fmt: str):
        named = SOURCE_NAME.match(preview.view().source)
        key = (fmt, named["slug"], named["lang"] or DEFAULT_LANG) if named else None
        entry = read_catalog(project.out).get(key) if key else None
        if entry is None:
            abort(404)
        path = (project.out / entry["path"]).resolve()
        if project.out.resolve() not in path.parents or not path.is_file():
            abort(404)
        return send_file(path, mimetype="application/pdf")

    return app


def serve(preview: Preview, port: int) -> None:
    """Serve until interrupted."""
    import waitress

    waitress.serve(create_app(preview, port), host=HOST, port=port, threads=8,
                   ident="handouts-preview")
