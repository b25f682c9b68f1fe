"""The reader-facing pages under /<lang>/: home, category and article."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.app import state
from kb.i18n import format_date, normalize_language

bp = Blueprint("kb", __name__)


@bp.url_defaults
def add_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang" not in values and endpoint != "kb.root" and "lang" in g:
        values["lang"] = g.lang


@bp.url_value_preprocessor
def pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "lang" in values:
        lang = values.pop("lang")
        if lang not in state().settings.languages:
            abort(404)
        g.lang = lang


@bp.app_context_processor
def template_globals() -> dict[str, Any]:
    settings = state().settings
    return {
        "site_name": settings.site_name,
        "languages": settings.languages,
        "lang": g.get("lang", settings.default_language),
        "format_date": lambda d: format_date(d, g.get("lang", settings.default_language)),
    }


@bp.route("/")
def root() -> Response:
    """Send the reader to the language their browser asks for, if the site has it."""
    settings = state().settings
    offered = {normalize_language(lang): q for lang, q in request.accept_languages}
    chosen = next((lang for lang in offered if lang in settings.languages), None)
    return redirect(url_for("kb.home", lang=chosen or settings.default_language))


@bp.route("/<lang>/")
def home() -> str:
    library = state().library
    categories = [(c, library.in_category(c)) for c in library.categories_in(g.lang)]
    return render_template("index.html", categories=categories, recent=library.recent(g.lang))


@bp.route("/<lang>/categories/<slug>/")
def category(slug: str) -> str:
    library = state().library
    found = library.category(g.lang, slug)
    if found is None:
        abort(404)
    return render_template("category.html", category=found, articles=library.in_category(found))


@bp.route("/<lang>/articles/<slug>/")
def article(slug: str) -> str:
    library = state().library
    found = library.get(g.lang, slug)
    if found is None:
        abort(404)
    return render_template("article.html", article=found, translations=library.translations(found))
