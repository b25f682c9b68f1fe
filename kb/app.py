"""The Flask application factory: state in app.extensions["kb"], error pages and HTTP headers."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from kb.content import LoadResult, load_library, load_settings
from kb.errors import SearchError
from kb.i18n import translations
from kb.indexing import update_indexes
from kb.model import Library
from kb.search import SearchService
from kb.settings import Settings

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
PAGE_CACHE = "public, max-age=300"
STATIC_CACHE = "public, max-age=3600"
VERSIONED_STATIC_CACHE = "public, max-age=31536000, immutable"
COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/atom+xml", "image/svg+xml")
COMPRESSIBLE_EXTRA = ("application/javascript", "application/opensearchdescription+xml")
MIN_GZIP_BYTES = 512
STATIC_DIR = Path(__file__).resolve().parent / "static"
HTML_SAFE_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


@dataclass(frozen=True)
class State:
    """What the app serves: its settings, the Library loaded from them and the search service."""

    settings: Settings
    loaded: LoadResult
    search: SearchService
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    assets: dict[str, str] = field(default_factory=dict)

    @property
    def library(self) -> Library:
        return self.loaded.library


def state() -> State:
    """The kb state of the current app."""
    from flask import current_app

    found = current_app.extensions["kb"]
    assert isinstance(found, State)
    return found


def asset_versions(folder: Path = STATIC_DIR) -> dict[str, str]:
    """A short content hash per static file, appended to its URL so it can be cached for a year."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def ensure_indexes(settings: Settings, library: Library) -> None:
    """Create missing search indexes and bring stale ones up to date (incremental, so cheap when current)."""
    try:
        for report in update_indexes(settings, library):
            if report.added or report.changed or report.removed:
                log.info(
                    "index %s: %d added, %d changed, %d removed",
                    *(report.lang, report.added, report.changed, report.removed),
                )
    except SearchError as exc:  # a read-only deployment still serves the indexes it has
        log.warning("search index not updated: %s", exc)


class HtmlSafeJSON(DefaultJSONProvider):
    """JSON with ``<``, ``>``, ``&`` and ``'`` as \\u escapes: the text stays inert if pasted into HTML."""

    sort_keys = False
    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return super().dumps(obj, **kwargs).translate(HTML_SAFE_JSON)


def create_app(settings: Settings | None = None, index: bool = True) -> Flask:
    """A Flask app serving the knowledge base of ``settings`` (default: ``KB_ROOT`` or here)."""
    settings = settings or load_settings()
    loaded = load_library(settings)
    if index:
        ensure_indexes(settings, loaded.library)
    app = Flask(__name__)
    app.extensions["kb"] = State(settings, loaded, SearchService(settings), assets=asset_versions())
    app.json = HtmlSafeJSON(app)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(g.get("lang", settings.default_language)).gettext(message),
        lambda s, p, n: translations(g.get("lang", settings.default_language)).ngettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from kb.api import api
    from kb.feeds import feeds
    from kb.views import bp

    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.register_blueprint(feeds)

    app.after_request(finish_response)

    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(400)
    def client_error(error: HTTPException) -> Response | tuple[str, int]:
        if request.path.startswith("/api/"):
            from kb.api import json_error

            return json_error(error.code or 400, error.description or "")
        status = error.code or 400
        if "lang" not in g:  # no route matched: take the language from the path when it names one
            first = request.path.strip("/").split("/")[0]
            g.lang = first if first in settings.languages else settings.default_language
        return render_template("error.html", status=status), status

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=500), 500

    return app


def finish_response(response: Response) -> Response:
    """Security headers, caching validators (ETag, Last-Modified, 304) and gzip, in that order."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_compressible(response):
        response.vary.add("Accept-Encoding")  # on 200 and 304 alike
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        add_validators(response)
        response = response.make_conditional(request)
    if response.status_code == 200 and request.method == "GET" and is_compressible(response):
        compress(response)
    elif response.status_code >= 400:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_validators(response: Response) -> None:
    """ETag from the body (static files have one already), Last-Modified and a Cache-Control policy."""
    if request.endpoint == "static":
        versioned = request.args.get("v")
        name = (request.view_args or {}).get("filename", "")
        fresh = versioned is not None and versioned == state().assets.get(name)
        response.headers["Cache-Control"] = VERSIONED_STATIC_CACHE if fresh else STATIC_CACHE
        return
    response.headers.setdefault("Cache-Control", PAGE_CACHE)
    if response.direct_passthrough or response.is_streamed:
        return
    if "ETag" not in response.headers:
        response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:32])
    if response.last_modified is None:
        response.last_modified = state().loaded_at


def is_compressible(response: Response) -> bool:
    mimetype = response.mimetype or ""
    return mimetype.startswith(COMPRESSIBLE) or mimetype in COMPRESSIBLE_EXTRA


def compress(response: Response) -> None:
    """Gzip a text response when the client accepts it; Vary tells caches the body depends on that."""
    if (
        "gzip" not in request.headers.get("Accept-Encoding", "").lower()
        or "Content-Encoding" in response.headers
    ):
        return
    response.direct_passthrough = False
    data = response.get_data()
    if len(data) < MIN_GZIP_BYTES:
        return
    response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # another representation of the same content: a weak validator
        response.set_etag(etag, weak=True)
