"""Discovery for machines: the sitemap with hreflang alternates, Atom feeds, OpenSearch and robots.txt."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any
from urllib.parse import urljoin

from flask import Blueprint, abort, g, render_template, url_for
from werkzeug.wrappers import Response

from kb.i18n import published_language
from kb.model import XML_FORBIDDEN, Article
from kb.web.pages import absolute
from kb.web.state import state

feeds = Blueprint("feeds", __name__)

FEED_ENTRIES = 30
XML_CACHE = "public, max-age=3600"
HTML_LINK = re.compile(r'(?P<attr>\s(?:href|src)=")(?P<value>[^"]*)"')


def xml_response(body: str, mimetype: str) -> Response:
    """An XML document, well-formed whatever the content: characters XML 1.0 forbids are left out."""
    response = Response(XML_FORBIDDEN.sub("", body), mimetype=mimetype)
    response.headers["Cache-Control"] = XML_CACHE
    return response


def timestamp(day: dt.date) -> str:
    """An RFC 3339 time for a date: midnight UTC."""
    return f"{day.isoformat()}T00:00:00Z"


def sitemap_entries() -> list[dict[str, Any]]:
    """One entry per page, each with its last change and its versions in every language."""
    settings, library = state().settings, state().library
    entries: list[dict[str, Any]] = []
    homes = {code: absolute(f"/{code}/") for code in settings.languages}
    newest = {code: max((a.last_changed for a in library.in_language(code)), default=None) for code in homes}
    entries.extend({"loc": url, "lastmod": newest[code], "alternates": homes} for code, url in homes.items())
    for code in settings.languages:
        for category in library.categories_in(code):
            versions = {
                other: absolute(url_for("kb.category", lang=other, slug=found.slug))
                for other in settings.languages
                if (found := library.category_by_key(other, category.key)) is not None
            }
            changed = max((a.last_changed for a in library.in_category(category)), default=None)
            entries.append({"loc": versions[code], "lastmod": changed, "alternates": versions})
        for article in sorted(library.in_language(code), key=lambda a: a.slug):
            versions = {other: absolute(a.url) for other, a in library.translations(article).items()}
            entries.append({"loc": versions[code], "lastmod": article.last_changed, "alternates": versions})
    return entries


@feeds.route("/sitemap.xml")
def sitemap() -> Response:
    return xml_response(render_template("sitemap.xml", entries=sitemap_entries()), "application/xml")


@feeds.route("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", "Disallow: /api/"]
    lines += [f"Disallow: /{code}/search" for code in state().settings.languages]
    lines += ["", f"Sitemap: {absolute('/sitemap.xml')}", ""]
    response = Response("\n".join(lines), mimetype="text/plain")
    response.headers["Cache-Control"] = XML_CACHE
    return response


def use_language(lang: str) -> None:
    if published_language(lang, state().settings.languages) != lang:
        abort(404)
    g.lang = lang


def entry_html(article: Article) -> str:
    """An article's HTML for a feed entry, every link and image absolute on the article's address:
    a feed reader resolves relative links against the feed, where ``../other-slug/`` leads nowhere."""
    base = absolute(article.url)

    def resolve(match: re.Match[str]) -> str:
        target = urljoin(base, html.unescape(match["value"]))
        return f'{match["attr"]}{html.escape(target)}"'

    return HTML_LINK.sub(resolve, article.html)


@feeds.route("/<lang>/feed.xml")
def atom(lang: str) -> Response:
    """New and updated articles of one language, newest first."""
    use_language(lang)
    library = state().library
    articles: list[Article] = sorted(
        library.in_language(lang), key=lambda a: (a.last_changed, a.slug), reverse=True
    )[:FEED_ENTRIES]
    updated = articles[0].last_changed if articles else state().loaded_at.date()
    body = render_template(
        "feed.xml",
        articles=articles,
        updated=timestamp(updated),
        timestamp=timestamp,
        entry_html=entry_html,
        feed_lang=lang,
    )
    return xml_response(body, "application/atom+xml")


@feeds.route("/<lang>/opensearch.xml")
def opensearch(lang: str) -> Response:
    use_language(lang)
    return xml_response(render_template("opensearch.xml"), "application/opensearchdescription+xml")
