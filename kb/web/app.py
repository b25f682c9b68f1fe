"""The Flask application factory: settings in; an app with its state, blueprints and error pages out."""

from __future__ import annotations

import html
import logging
from typing import Any

from flask import Flask, g, render_template, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.errors import SearchError
from kb.i18n import published_language, translations
from kb.model import Library
from kb.search.indexing import update_indexes
from kb.search.service import SearchService
from kb.settings import Settings
from kb.web.api import api, json_error
from kb.web.feedback import feedback
from kb.web.feeds import feeds
from kb.web.headers import finish_response
from kb.web.hosts import configure_hosts, is_untrusted_host, untrusted_host_response
from kb.web.insights import insights
from kb.web.media import media
from kb.web.pages import bp
from kb.web.readers import init_readers
from kb.web.state import STATIC_DIR, TEMPLATES_DIR, State, asset_versions

log = logging.getLogger(__name__)

HTML_SAFE_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


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


def install_escaped_gettext(app: Flask, settings: Settings) -> None:
    """Templates' ``_()`` and ``ngettext()`` in the page's language, translations escaped.

    Jinja's newstyle gettext marks whatever the catalog says as safe markup; a translator's
    ``<meta http-equiv="refresh" …>`` would reach every page. So each translation is escaped here
    (Jinja then marks the escaped text safe, and escapes the ``%(name)s`` values it formats into
    it): messages carry no markup of their own.
    """

    def gettext(message: str) -> str:
        return html.escape(translations(g.get("lang", settings.default_language)).gettext(message))

    def ngettext(singular: str, plural: str, n: int) -> str:
        catalog = translations(g.get("lang", settings.default_language))
        return html.escape(catalog.ngettext(singular, plural, n))

    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


def create_app(settings: Settings | None = None, index: bool = True) -> Flask:
    """A Flask app serving the knowledge base of ``settings`` (default: ``KB_ROOT`` or here)."""
    settings = settings or load_settings()
    log.info("loading the articles of %s", settings.root)
    loaded = load_library(settings)
    languages = len({a.lang for a in loaded.library})
    log.info(
        "%d articles in %d languages (%d problems)", len(loaded.library), languages, len(loaded.problems)
    )
    if index:
        log.info("bringing the search indexes up to date")
        ensure_indexes(settings, loaded.library)
    app = Flask(__name__, static_folder=str(STATIC_DIR), template_folder=str(TEMPLATES_DIR))
    app.extensions["kb"] = State(settings, loaded, SearchService(settings), assets=asset_versions())
    app.json = HtmlSafeJSON(app)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    install_escaped_gettext(app, settings)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.register_blueprint(feeds)
    init_readers(app, settings)  # votes, search analytics, /admin/insights (kb.web.readers)
    app.register_blueprint(feedback)
    app.register_blueprint(insights)
    app.register_blueprint(media)

    app.after_request(finish_response)
    configure_hosts(app, settings)

    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(400)
    def client_error(error: HTTPException) -> Response | tuple[str, int]:
        if is_untrusted_host(error):
            return untrusted_host_response()
        if request.path.startswith("/api/"):
            return json_error(error.code or 400, error.description or "")
        status = error.code or 400
        if "lang" not in g:  # no route matched: take the language from the path when it names one
            first = request.path.strip("/").split("/")[0]
            g.lang = published_language(first, settings.languages) or settings.default_language
        return render_template("error.html", status=status), status

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=500), 500

    return app
