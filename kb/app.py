"""The Flask application factory: state in app.extensions["kb"], error pages and security headers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, g, render_template

from kb.content import LoadResult, load_library, load_settings
from kb.i18n import translations
from kb.model import Library
from kb.settings import Settings

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class State:
    """What the app serves: its settings and the Library loaded from them."""

    settings: Settings
    loaded: LoadResult

    @property
    def library(self) -> Library:
        return self.loaded.library


def state() -> State:
    """The kb state of the current app."""
    from flask import current_app

    found = current_app.extensions["kb"]
    assert isinstance(found, State)
    return found


def create_app(settings: Settings | None = None) -> Flask:
    """A Flask app serving the knowledge base of ``settings`` (default: ``KB_ROOT`` or here)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.extensions["kb"] = State(settings, load_library(settings))
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: translations(g.get("lang", settings.default_language)).gettext(message),
        lambda s, p, n: translations(g.get("lang", settings.default_language)).ngettext(s, p, n),
        newstyle=True,
    )

    from kb.views import bp

    app.register_blueprint(bp)

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=404), 404

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=500), 500

    return app
