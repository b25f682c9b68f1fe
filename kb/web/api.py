"""The JSON API under /api/: search, suggestions and articles; errors are JSON with a status code."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, jsonify, request
from werkzeug.wrappers import Response

from kb.i18n import published_language
from kb.model import Article
from kb.search.service import SearchRequest
from kb.web.gate import RETRY_AFTER, off_the_loop
from kb.web.readers import record_search
from kb.web.state import state

api = Blueprint("api", __name__, url_prefix="/api")

MAX_QUERY = 500
MAX_PAGE = 1000
API_CACHE = "public, max-age=60"


def json_error(status: int, message: str, **extra: str) -> Response:
    response = jsonify({"error": {"status": status, "message": message, **extra}})
    response.status_code = status
    return response


def busy() -> Response:
    """503: this process answers as many searches as it may at once; the client should retry soon."""
    response = json_error(503, "too many searches at once; try again shortly")
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


class BadParameter(Exception):
    """A missing or invalid query parameter: answered with 400 and the parameter's name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


@api.errorhandler(BadParameter)
def bad_parameter(error: BadParameter) -> Response:
    return json_error(400, error.message, parameter=error.name)


def language_arg() -> str:
    languages = state().settings.languages
    asked = request.args.get("lang") or state().settings.default_language
    lang = published_language(asked, languages)
    if lang is None:
        raise BadParameter("lang", f"unknown language {asked!r}; use one of {', '.join(languages)}")
    return lang


def text_arg(required: bool = True) -> str:
    text = request.args.get("q", "")
    if required and not text.strip():
        raise BadParameter("q", "the query parameter 'q' is required")
    if len(text) > MAX_QUERY:
        raise BadParameter("q", f"the query is longer than {MAX_QUERY} characters")
    return text


def page_arg() -> int:
    value = request.args.get("page", "1")
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise BadParameter("page", f"'page' must be a whole number from 1 to {MAX_PAGE}")
    return int(value)


def cached(response: Response) -> Response:
    response.headers["Cache-Control"] = API_CACHE
    return response


@api.route("/search")
def search() -> Response:
    lang, page = language_arg(), page_arg()
    category = request.args.get("category") or None
    text = text_arg(required=category is None)
    started = time.perf_counter()
    result = state().answer(SearchRequest(text, lang, category=category, page=page))
    if result is None:
        return busy()
    record_search(text, lang, result, time.perf_counter() - started, "api")
    return cached(jsonify(result.to_json()))


@api.route("/suggest")
def suggest() -> Response:
    lang, text = language_arg(), text_arg(required=False)
    if not text.strip():
        return cached(jsonify({"query": text, "lang": lang, "results": []}))
    service = state().search
    with state().gate.slot() as admitted:
        if not admitted:
            return busy()
        hits = off_the_loop(lambda: service.suggest(text, lang))
    return cached(jsonify({"query": text, "lang": lang, "results": [h.to_json() for h in hits]}))


def article_summary(article: Article) -> dict[str, Any]:
    return {
        "slug": article.slug,
        "lang": article.lang,
        "title": article.title,
        "url": article.url,
        "category": {
            "key": article.category.key,
            "name": article.category.name,
            "slug": article.category.slug,
        },
        "author": article.author,
        "date": article.date.isoformat(),
        "updated": article.updated.isoformat() if article.updated else None,
        "excerpt": article.excerpt,
        "tags": list(article.tags),
    }


@api.route("/articles")
def articles() -> Response:
    lang = language_arg()
    found = sorted(state().library.in_language(lang), key=lambda a: a.slug)
    return cached(
        jsonify({"lang": lang, "total": len(found), "articles": [article_summary(a) for a in found]})
    )


@api.route("/articles/<lang>/<slug>")
def article(lang: str, slug: str) -> Response:
    library = state().library
    found = library.get(lang, slug) if published_language(lang, state().settings.languages) == lang else None
    if found is None:
        abort(404, description="no such article")
    body = article_summary(found)
    body["html"] = found.html
    body["toc"] = [{"level": h.level, "text": h.text, "anchor": h.anchor} for h in found.toc]
    body["translations"] = {code: a.url for code, a in library.translations(found).items() if code != lang}
    return cached(jsonify(body))
