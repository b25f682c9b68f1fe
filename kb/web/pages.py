"""The reader-facing pages under /<lang>/ (the language lives in the URL): home, category, article, search."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kb.i18n import closest_language, format_date, language_name, published_language, translations
from kb.model import Article, Category, Library
from kb.search.service import SearchRequest
from kb.web.gate import RETRY_AFTER
from kb.web.pagecache import CachedPage, page_key
from kb.web.readers import record_search
from kb.web.state import state

bp = Blueprint("kb", __name__)

SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
MAX_PAGE = 1000
RELATED = 5


@bp.url_defaults
def add_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang" not in values and endpoint != "kb.root":
        values["lang"] = g.get("lang") or state().settings.default_language


@bp.url_value_preprocessor
def pull_language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if values is not None and "lang" in values:
        lang = values.pop("lang")
        if published_language(lang, state().settings.languages) != lang:  # only the canonical form
            abort(404)
        g.lang = lang


def absolute(path: str) -> str:
    """``path`` as an absolute URL: on the configured base URL, else on the host that was asked."""
    base = state().settings.base_url or request.host_url.rstrip("/")
    return base + path


def static_url(filename: str) -> str:
    """A static file's URL with its content hash, so browsers may keep it for a year."""
    return url_for("static", filename=filename, v=state().assets.get(filename, "0"))


@bp.app_context_processor
def template_globals() -> dict[str, Any]:
    settings = state().settings
    lang = g.get("lang", settings.default_language)
    return {
        "site_name": settings.site_name,
        "languages": settings.languages,
        "language_name": language_name,
        "lang": lang,
        "format_date": lambda d: format_date(d, lang),
        "static_url": static_url,
        "absolute": absolute,
        "shared_url": shared_url,
        # The static export (kb.export) renders the same templates with these set: offline.js
        # instead of search.js, and OpenSearch only when the export knows its absolute address.
        "offline": current_app.config.get("KB_OFFLINE", False),
        "offline_base_url": current_app.config.get("KB_OFFLINE_BASE_URL", ""),
    }


def alternates(find: Callable[[str], str | None]) -> tuple[dict[str, str], dict[str, str]]:
    """Where the language switcher goes (the same page, else that language's home) and the hreflang
    links (only the languages that really have the same page)."""
    switch: dict[str, str] = {}
    same: dict[str, str] = {}
    for code in state().settings.languages:
        found = find(code)
        if found is not None:
            same[code] = found
        switch[code] = found or url_for("kb.home", lang=code)
    return switch, same


def render_page(template: str, find: Callable[[str], str | None], **context: Any) -> str:
    switch, same = alternates(find)
    default = state().settings.default_language
    return render_template(
        template,
        switch=switch,
        hreflangs=same,
        x_default=same.get(default),
        canonical=same.get(g.lang),
        **context,
    )


def cached_page(view: Callable[..., str]) -> Callable[..., Response]:
    """Serve ``view``'s HTML from the state's page cache, rendering it only on a miss.

    The response carries the page's ETag (so no hash of the body per request) and its gzipped form
    for ``headers.compress``. Not in debug mode (pages change with the author's edits) and not for
    the static export (which renders each page once anyway).
    """

    @functools.wraps(view)
    def serve(*args: object, **kwargs: object) -> Response:
        if current_app.debug or current_app.config.get("KB_OFFLINE"):
            return Response(view(*args, **kwargs), mimetype="text/html")
        cache = state().pages
        key = page_key()
        page = cache.get(key)
        if page is None:
            page = CachedPage.of(view(*args, **kwargs))
            cache.put(key, page)
        return page_response(page)

    return serve


def page_response(page: CachedPage) -> Response:
    """A cached page as a response: its ETag, and its gzipped form for ``headers.compress``."""
    response = Response(page.body, mimetype="text/html")
    response.set_etag(page.etag)
    response.gzipped = page.gzipped  # type: ignore[attr-defined]
    return response


@bp.route("/")
def root() -> Response:
    """Send the reader to the language their browser asks for (no, nn, no-NO and nb-NO all mean nb)."""
    settings = state().settings
    chosen = closest_language(request.accept_languages.values(), settings.languages)
    response = redirect(url_for("kb.home", lang=chosen or settings.default_language))
    response.vary.add("Accept-Language")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _home_url(code: str) -> str:
    return url_for("kb.home", lang=code)


@bp.route("/<lang>/")
@cached_page
def home() -> str:
    library = state().library
    categories = [(c, library.in_category(c)) for c in library.categories_in(g.lang)]
    return render_page("index.html", _home_url, categories=categories, recent=library.recent(g.lang, 6))


@bp.route("/<lang>/categories/<slug>/")
@cached_page
def category(slug: str) -> str:
    library = state().library
    found = library.category(g.lang, slug)
    if found is None:
        abort(404)

    def same(code: str) -> str | None:
        other = library.category_by_key(code, found.key)
        return url_for("kb.category", lang=code, slug=other.slug) if other else None

    articles = library.in_category(found)
    return render_page("category.html", same, category=found, articles=articles)


def neighbours(library: Library, article: Article) -> tuple[Article | None, Article | None]:
    """The articles before and after ``article`` in its category's order."""
    siblings = library.in_category(article.category)
    at = next(i for i, a in enumerate(siblings) if a.slug == article.slug)
    previous = siblings[at - 1] if at > 0 else None
    following = siblings[at + 1] if at + 1 < len(siblings) else None
    return previous, following


@bp.route("/<lang>/articles/<slug>/")
@cached_page
def article(slug: str) -> str:
    library = state().library
    found = library.get(g.lang, slug)
    if found is None:
        moved = library.by_alias(g.lang, slug)
        if moved is None:
            abort(404)
        abort(redirect(url_for("kb.article", slug=moved.slug), 301))  # an old slug (aliases)
    translations = library.translations(found)

    def same(code: str) -> str | None:
        return url_for("kb.article", lang=code, slug=slug) if code in translations else None

    siblings = [a for a in library.in_category(found.category) if a.slug != found.slug]
    previous, following = neighbours(library, found)
    return render_page(
        "article.html",
        same,
        json_ld=article_json_ld(found),
        edit_url=edit_url(found),
        article=found,
        translations=translations,
        related=siblings[:RELATED],
        previous=previous,
        following=following,
    )


def _ui(message: str) -> str:
    return translations(g.lang).gettext(message)


def shared_url(url: str) -> str:
    """An address other sites can fetch: external ones as they are, the site's own made absolute."""
    return url if url.startswith(("https://", "http://")) else absolute(url)


def edit_url(found: Article) -> str:
    """Where an author edits the article's file (``edit_url`` of kb.yml); "" when not set."""
    pattern = state().settings.edit_url
    return pattern.replace("{path}", quote(found.path)) if pattern else ""


def article_json_ld(found: Article) -> str:
    """JSON-LD of an article page (Article and its BreadcrumbList), safe inside a script element."""
    crumbs = [
        (_ui("Help center"), absolute(url_for("kb.home"))),
        (found.category.name, absolute(url_for("kb.category", slug=found.category.slug))),
        (found.title, absolute(found.url)),
    ]
    data: list[dict[str, Any]] = [
        {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": found.title,
            "description": found.excerpt,
            "inLanguage": found.lang,
            "author": {"@type": "Person", "name": found.author},
            "datePublished": found.date.isoformat(),
            "dateModified": found.last_changed.isoformat(),
            "mainEntityOfPage": absolute(found.url),
            **({"image": shared_url(found.image)} if found.image else {}),
        },
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                {"@type": "ListItem", "position": n, "name": name, "item": url}
                for n, (name, url) in enumerate(crumbs, 1)
            ],
        },
    ]
    return json.dumps(data, ensure_ascii=False).translate(SCRIPT_SAFE)


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter, bounded; anything unreadable is the default."""
    value = request.args.get(name, "")
    return min(max(int(value), low), high) if value.isdigit() and len(value) < 8 else default


def category_param(library: Library, lang: str, value: str) -> Category | None:
    """The category a search is limited to, by slug (or key); unknown values are no filter."""
    if not value:
        return None
    return library.category(lang, value) or library.category_by_key(lang, value)


@bp.route("/<lang>/search")
def search() -> Response | tuple[str, int, dict[str, str]]:
    """The search page. A search whose result is already in the search service's result cache
    (readers' searches repeat a lot) skips the gate and the thread pool, and its page, rendered once
    for that result, comes from the search page cache; every search is recorded all the same."""
    settings, library = state().settings, state().library
    text = request.args.get("q", "")[:500]
    chosen = category_param(library, g.lang, request.args.get("category", ""))
    page = int_arg("page", 1, 1, MAX_PAGE)
    result = None
    busy = False
    if text.strip() or chosen is not None:
        started = time.perf_counter()
        result = state().answer(
            SearchRequest(text, g.lang, category=chosen.key if chosen else None, page=page)
        )
        busy = result is None
        if result is not None:
            record_search(text, g.lang, result, time.perf_counter() - started, "page")
    caching = not busy and not current_app.debug and not current_app.config.get("KB_OFFLINE")
    key = page_key()
    if caching:
        kept = state().search_pages.get(key)
        if kept is not None and kept.source is result:
            return page_response(kept)
    by_name = {c.name: c for c in library.categories_in(g.lang)}

    def same(code: str) -> str:
        other = library.category_by_key(code, chosen.key) if chosen else None
        return url_for("kb.search", lang=code, q=text or None, category=other.slug if other else None)

    body = render_page(
        "search.html",
        same,
        query=text,
        result=result,
        chosen=chosen,
        by_name=by_name,
        pages=page_numbers(result.page, result.pages) if result else [],
        categories=[(c, len(library.in_category(c))) for c in library.categories_in(g.lang)],
        settings=settings,
        busy=busy,
    )
    if busy:  # too many searches at once in this process: the reader is asked to try again
        return body, 503, {"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"}
    rendered = CachedPage.of(body, source=result)
    if caching:
        state().search_pages.put(key, rendered)
    return page_response(rendered)


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last and a window around the current one; None marks a gap."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def site_urls(library: Library, languages: tuple[str, ...]) -> list[str]:
    """Every page of the site (homes, categories, articles), for the sitemap and the static export."""
    urls: list[str] = []
    for code in languages:
        urls.append(f"/{code}/")
        urls.extend(f"/{code}/categories/{c.slug}/" for c in library.categories_in(code))
        urls.extend(a.url for a in library.in_language(code))
    return urls
