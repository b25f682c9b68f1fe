"""The web site over a real temporary knowledge base with real indexes: pages, API, discovery and HTTP."""

from __future__ import annotations

import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from babel.support import NullTranslations
from flask import Flask
from flask.testing import FlaskClient

import kb.web.app
from kb.i18n import closest_language
from kb.search.indexing import open_index
from kb.web.app import create_app
from kb.web.pages import page_numbers
from kb.web.state import State, state
from tests.helpers import NB_ONLY, make_web_kb

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "atom": "http://www.w3.org/2005/Atom",
    "os": "http://a9.com/-/spec/opensearch/1.1/",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(make_web_kb(tmp_path_factory.mktemp("web") / "kb", hostile=False))


def state_of(app: Flask) -> State:
    found = app.extensions["kb"]
    assert isinstance(found, State)
    return found


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def text(client: FlaskClient, url: str, status: int = 200, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def squash(html: str) -> str:
    """Text with runs of whitespace (no-break spaces included) as one space."""
    return re.sub(r"\s+", " ", html.replace("\xa0", " ").replace("\u202f", " "))


# --- app and language negotiation ---------------------------------------------------------------


def test_create_app_builds_missing_indexes(app: Flask) -> None:
    with app.app_context():
        settings = state().settings
        for lang in settings.languages:
            assert open_index(settings, lang) is not None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-SE,sv;q=0.9,en;q=0.8", "/sv/"),
        ("en-GB,en;q=0.9", "/en/"),
        ("no", "/nb/"),
        ("nn-NO", "/nb/"),
        ("nn", "/nb/"),
        ("no-NO,en;q=0.5", "/nb/"),
        ("nb-NO", "/nb/"),
        ("de-DE,de;q=0.9", "/nb/"),
        ("de;q=0.9,sv;q=0.2,en;q=0.5", "/en/"),
        ("", "/nb/"),
    ],
)
def test_root_redirects_by_accept_language(client: FlaskClient, header: str, expected: str) -> None:
    response = client.get("/", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(expected)
    assert "Accept-Language" in response.headers["Vary"]


def test_choose_language_prefers_bokmal_for_any_norwegian() -> None:
    assert closest_language(["nn"], ("nn", "nb")) == "nn"
    assert closest_language(["no"], ("sv", "en")) is None
    assert closest_language(["fr", "no"], ("nb", "en")) == "nb"


# --- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nb", "sv", "en"])
def test_home_lists_categories_with_counts_and_recent_articles(client: FlaskClient, lang: str) -> None:
    html = text(client, f"/{lang}/")
    assert f'<html lang="{lang}">' in html
    assert 'role="search"' in html and 'for="home-q"' in html
    assert 'href="#main"' in html and '<main id="main"' in html
    names = {"nb": "Konto og sikkerhet", "sv": "Konto och säkerhet", "en": "Account and security"}
    assert names[lang] in html
    assert re.search(r"\d+ articles?", html) or lang != "en"
    assert 'class="link-list"' in html  # recently updated


def test_home_category_counts_and_descriptions(client: FlaskClient) -> None:
    html = squash(text(client, "/en/"))
    assert "Passwords, two-step verification, single sign-on" in html
    assert "3 articles" in html  # account and security: reset-password, two-step, sso
    assert "0 articles" in html  # reports: declared but empty in this kb


def test_category_page_orders_articles_and_has_breadcrumbs(client: FlaskClient) -> None:
    html = text(client, "/en/categories/account-and-security/")
    assert 'aria-label="Breadcrumb"' in html
    titles = re.findall(r'<h2><a href="/en/articles/([^/]+)/">', html)
    assert titles == ["reset-password", "two-step-verification", "single-sign-on"]
    assert "<h1>Account and security</h1>" in html


def test_article_page(client: FlaskClient) -> None:
    html = squash(text(client, "/nb/articles/reset-password/"))
    assert '<h1 id="article-title">Tilbakestill passordet ditt</h1>' in html
    assert "Sara Holm" in html
    assert "14. september 2023" in html and "5. mars 2024" in html  # localized date and "updated"
    assert 'href="/nb/categories/konto-og-sikkerhet/"' in html  # breadcrumb
    assert 'class="toc"' in html
    assert 'rel="tag"' in html and "q=tag:passord" in html
    assert 'rel="next"' in html and "/nb/articles/two-step-verification/" in html
    assert 'id="related-title"' in html and "/nb/articles/single-sign-on/" in html
    assert 'href="/sv/articles/reset-password/" hreflang="sv" lang="sv"' in html
    assert '<link rel="canonical" href="http://localhost/nb/articles/reset-password/">' in html
    for code in ("nb", "sv", "en"):
        assert (
            f'<link rel="alternate" hreflang="{code}" href="http://localhost/{code}/articles/reset-password/">'
            in html
        )
    assert 'hreflang="x-default" href="http://localhost/nb/articles/reset-password/"' in html


def test_article_previous_and_next_follow_category_order(client: FlaskClient) -> None:
    html = text(client, "/en/articles/two-step-verification/")
    assert re.search(r'href="/en/articles/reset-password/" rel="prev"', html)
    assert re.search(r'href="/en/articles/single-sign-on/" rel="next"', html)


def test_language_switcher_goes_to_same_page_or_home(client: FlaskClient) -> None:
    html = text(client, f"/nb/articles/{NB_ONLY}/")
    switcher = html[html.index('class="languages"') :]
    assert 'href="/sv/" hreflang="sv"' in switcher  # no Swedish version: Swedish home
    assert 'href="/en/" hreflang="en"' in switcher
    head = html[: html.index("</head>")]
    assert 'hreflang="sv"' not in head  # hreflang only names real equivalents
    html = text(client, "/sv/categories/konto-och-sakerhet/")
    assert 'href="/nb/categories/konto-og-sikkerhet/" hreflang="nb"' in html
    assert 'href="/en/categories/account-and-security/" hreflang="en"' in html
    html = text(client, "/en/search?q=password")
    assert 'href="/sv/search?q=password" hreflang="sv"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/xx/",
        "/de/articles/reset-password/",
        "/en/articles/no-such-article/",
        "/en/categories/no-such-category/",
        "/sv/articles/kun-pa-norsk/",
        "/en/nothing-here",
        "/nb/feed.json",
    ],
)
def test_unknown_pages_are_localized_404s(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    lang = url.split("/")[1]
    lang = lang if lang in ("nb", "sv", "en") else "nb"
    assert f'<html lang="{lang}">' in html
    assert {"nb": "Fant ikke siden", "sv": "Sidan hittades inte", "en": "Page not found"}[lang] in html


def test_pseudo_translated_ui_strings_go_through_gettext(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    class Pseudo(NullTranslations):
        def gettext(self, message: str) -> str:
            return f"«{message}»"

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            return f"«{singular if n == 1 else plural}»"

    monkeypatch.setattr(kb.web.app, "translations", lambda lang: Pseudo())
    client = create_app(state_of(app).settings, index=False).test_client()  # pages cached with other catalogs
    home = text(client, "/en/")
    assert "«How can we help?»" in home and "«Skip to content»" in home and "«Recently updated»" in home
    assert re.search(r"«\d+ articles?»", home)
    search = text(client, "/en/search?q=password")
    assert "«Filter by category»" in search and "results for “password”»" in search
    assert "«Page not found»" in text(client, "/en/missing/", 404)


# --- search page -----------------------------------------------------------------------------------


def test_search_results_have_highlights_facets_and_links(client: FlaskClient) -> None:
    html = text(client, "/en/search?q=password")
    assert 'value="password"' in html
    assert '<mark class="match term0">' in html
    assert 'role="status"' in html and "results for “password”" in html
    assert "/en/search?q=password&amp;category=account-and-security" in html
    assert 'class="facet-count"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_search_category_filter(client: FlaskClient) -> None:
    html = text(client, "/en/search?q=password&category=participants")
    hits = re.findall(r'<h2><a href="(/en/articles/[^"]+)">', html)
    assert hits == ["/en/articles/invite-participants/"]
    assert 'aria-current="true">Participants' in html
    assert 'name="category" value="participants"' in html


def test_search_did_you_mean_and_fallback(client: FlaskClient) -> None:
    html = text(client, "/en/search?q=pasword")
    assert "Did you mean:" in html and "/en/search?q=password" in html
    html = text(client, "/en/search?q=password+xylophone")
    assert "match some of them" in html


def test_search_zero_results_page_helps(client: FlaskClient) -> None:
    html = text(client, "/en/search?q=qqqzzzxxx")
    assert "No articles found" in html
    assert "Browse by category" in html and "/en/categories/account-and-security/" in html


def test_search_notices_and_empty_query(client: FlaskClient) -> None:
    html = text(client, "/en/search?q=*word")
    assert "Wildcards at the start of a word are not supported." in html
    html = text(client, "/en/search?q=")
    assert "Browse by category" in html and 'role="status"' not in html


def test_search_page_past_the_end_and_odd_page_numbers(client: FlaskClient) -> None:
    assert "This page has no results." in text(client, "/en/search?q=password&page=9")
    for page in ("abc", "-1", "0", "99999999999999"):
        text(client, f"/en/search?q=password&page={page}")


def test_page_numbers_window() -> None:
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(10, 20) == [1, None, 8, 9, 10, 11, 12, None, 20]


def test_search_category_only_lists_the_category(client: FlaskClient) -> None:
    html = text(client, "/en/search?category=account-and-security")
    assert len(re.findall(r'class="result"', html)) == 3


# --- JSON API -----------------------------------------------------------------------------------------


def test_api_search(client: FlaskClient) -> None:
    response = client.get("/api/search?q=password&lang=en")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["query"] == "password" and data["lang"] == "en" and data["total"] >= 3
    assert set(data) >= {"results", "facets", "suggestion", "fallback", "notices", "page", "pages"}
    assert data["results"][0]["url"].startswith("/en/articles/")


def test_api_suggest(client: FlaskClient) -> None:
    data = client.get("/api/suggest?q=passw&lang=en").get_json()
    assert any(hit["slug"] == "reset-password" for hit in data["results"])
    assert client.get("/api/suggest?q=&lang=en").get_json()["results"] == []


def test_api_articles(client: FlaskClient) -> None:
    data = client.get("/api/articles?lang=nb").get_json()
    assert data["total"] == 7 and {a["slug"] for a in data["articles"]} >= {NB_ONLY, "reset-password"}
    one = client.get("/api/articles/sv/reset-password").get_json()
    assert one["lang"] == "sv" and one["html"].startswith("<") and one["translations"]["en"]


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/api/search?lang=en", 400, "q"),
        ("/api/search?q=x&lang=xx", 400, "lang"),
        ("/api/search?q=x&lang=en&page=0", 400, "page"),
        ("/api/search?q=x&lang=en&page=abc", 400, "page"),
        ("/api/suggest?q=x&lang=de", 400, "lang"),
        ("/api/articles?lang=zz", 400, "lang"),
        ("/api/search?q=" + "x" * 600, 400, "q"),
        ("/api/articles/en/no-such", 404, None),
        ("/api/articles/xx/reset-password", 404, None),
        ("/api/nothing", 404, None),
    ],
)
def test_api_errors_are_json(client: FlaskClient, url: str, status: int, parameter: str | None) -> None:
    response = client.get(url)
    assert response.status_code == status and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    if parameter:
        assert error["parameter"] == parameter


def test_api_wrong_method_is_json_405(client: FlaskClient) -> None:
    response = client.post("/api/search?q=x")
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405


# --- discovery -----------------------------------------------------------------------------------------


def test_sitemap_has_every_page_with_hreflang_alternates(client: FlaskClient) -> None:
    root = ET.fromstring(client.get("/sitemap.xml").data)
    urls = {u.findtext("sm:loc", namespaces=NS): u for u in root.findall("sm:url", NS)}
    assert "http://localhost/nb/" in urls and "http://localhost/sv/articles/reset-password/" in urls
    links = urls["http://localhost/en/articles/reset-password/"].findall("xhtml:link", NS)
    assert {link.get("hreflang") for link in links} == {"nb", "sv", "en"}
    only = urls[f"http://localhost/nb/articles/{NB_ONLY}/"].findall("xhtml:link", NS)
    assert [link.get("hreflang") for link in only] == ["nb"]
    assert urls["http://localhost/en/articles/reset-password/"].findtext("sm:lastmod", namespaces=NS)


def test_atom_feed_per_language(client: FlaskClient) -> None:
    response = client.get("/sv/feed.xml")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall("atom:entry", NS)
    assert len(entries) == 6
    updated = [e.findtext("atom:updated", namespaces=NS) or "" for e in entries]
    assert updated == sorted(updated, reverse=True)
    assert all(
        (e.findtext("atom:id", namespaces=NS) or "").startswith("http://localhost/sv/") for e in entries
    )
    assert client.get("/xx/feed.xml").status_code == 404


def test_opensearch_and_robots(client: FlaskClient) -> None:
    description = ET.fromstring(client.get("/en/opensearch.xml").data)
    url = description.find("os:Url[@type='text/html']", NS)
    assert url is not None and url.get("template") == "http://localhost/en/search?q={searchTerms}"
    robots = text(client, "/robots.txt")
    assert "Sitemap: http://localhost/sitemap.xml" in robots and "Disallow: /api/" in robots
    html = text(client, "/en/")
    assert 'rel="search" type="application/opensearchdescription+xml" href="/en/opensearch.xml"' in html
    assert 'type="application/atom+xml" href="/en/feed.xml"' in html


# --- HTTP ----------------------------------------------------------------------------------------------


PAGES = [
    "/nb/",
    "/en/articles/reset-password/",
    "/sv/categories/konto-och-sakerhet/",
    "/en/search?q=password",
]


@pytest.fixture(params=PAGES)
def page(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


def test_pages_have_validators_and_answer_304(client: FlaskClient, page: str) -> None:
    first = client.get(page)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get(page, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert client.get(page, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(page, headers={"If-None-Match": '"other"'}).status_code == 200


def test_static_files_are_cached_and_conditional(client: FlaskClient) -> None:
    home = text(client, "/en/")
    css = re.search(r'href="(/static/kb\.css\?v=[0-9a-f]+)"', home)
    assert css is not None
    response = client.get(css.group(1))
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert client.get(css.group(1), headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    plain = client.get("/static/search.js")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert plain.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))


def test_gzip_when_accepted(client: FlaskClient, page: str) -> None:
    zipped = client.get(page, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    plain = client.get(page)
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    assert int(zipped.headers["Content-Length"]) == len(zipped.data) < len(plain.data)
    again = client.get(page, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304


def test_gzip_for_static_json_and_xml(client: FlaskClient) -> None:
    for url in ("/static/kb.css", "/api/articles?lang=en", "/sitemap.xml", "/en/feed.xml"):
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.headers.get("Content-Encoding") == "gzip", url
        gzip.decompress(response.data)


def test_head_requests(client: FlaskClient) -> None:
    response = client.head("/en/articles/reset-password/")
    assert response.status_code == 200 and response.headers["ETag"] and not response.data
