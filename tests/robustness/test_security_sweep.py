"""Security sweep over every route: XSS payloads in every parameter, path traversal, headers on every answer.

The site runs on a temporary knowledge base holding hostile articles (injection in every front-matter
field, in categories.yml and in the body) next to real sample articles. Every response the sweep
sees is checked for the security headers, so the headers are asserted on hundreds of answers:
pages, 404s, 405s, 304s, static files, JSON and JSON errors.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.settings import Settings
from kb.web.app import create_app
from tests.helpers import (
    HOSTILE_ARTICLE,
    HOSTILE_DATA,
    PAYLOADS,
    REPO,
    SECURITY_HEADERS,
    SPECIAL,
    audit,
    dangerous_link,
)

SAMPLE_SLUGS = ("reset-password", "two-step-verification", "invite-participants")
HOSTILE_CATEGORY = "hostile"


def assert_headers(response: TestResponse, where: str) -> None:
    """The security headers every answer carries, whatever its status or type."""
    missing = [name for name in SECURITY_HEADERS if name not in response.headers]
    assert not missing, f"{where} ({response.status_code}) lacks {missing}"
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp, (where, directive)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer"), where
    assert response.headers["X-Frame-Options"] == "DENY", where


def assert_not_reflected(response: TestResponse, payload: str, where: str) -> None:
    """The payload never comes back as it was sent; HTML answers hold nothing a browser would run."""
    body = response.get_data(as_text=True)
    # JSON escapes a double quote as \", so there only the other markup characters must never be raw
    special = SPECIAL if response.mimetype != "application/json" else SPECIAL - {'"'}
    if special & set(payload):
        assert payload not in body, f"{where} reflects {payload!r} unescaped"
        assert payload.replace("\x00", "") not in body, f"{where} reflects {payload!r} unescaped"
    if response.mimetype == "text/html":
        assert audit(body) == [], where


# --- the site under test ----------------------------------------------------------------------------


def hostile_front(lang: str) -> str:
    """Front-matter with injection in every field that takes text."""
    return (
        "---\n"
        f'title: \'<script>alert("title-{lang}")</script> "><img src=x onerror=alert(1)>\'\n'
        'author: \'"><svg onload=alert("author")> </title><script>alert(2)</script>\'\n'
        "date: 2024-05-02\n"
        "updated: 2024-06-01\n"
        f"category: {HOSTILE_CATEGORY}\n"
        "tags: ['<b>bold</b>', '\"><svg onload=alert(3)>', 'javascript:alert(4)']\n"
        "keywords: ['<script>alert(\"kw\")</script>', \"' onmouseover='alert(5)\"]\n"
        "summary: 'javascript:alert(6) \"><img src=x onerror=alert(7)>"
        " </textarea><script>alert(8)</script>'\n"
        "---\n\n"
    )


def make_sweep_kb(target: Path) -> Settings:
    """Sample articles in three languages, a category whose names are injections, and hostile
    articles in every language (front-matter and body), plus the hostile corpus's good and bad files."""
    articles = target / "articles"
    categories = (REPO / "articles" / "categories.yml").read_text(encoding="utf-8")
    categories += f"{HOSTILE_CATEGORY}:\n  order: 99\n"
    for lang in ("nb", "sv", "en"):
        categories += (
            f"  {lang}: {{name: '<script>alert(\"cat-{lang}\")</script>Fiendtlig {lang}',"
            f' description: \'"><img src=x onerror=alert("desc-{lang}")> </p><script>alert(9)</script>\'}}\n'
        )
    (articles).mkdir(parents=True)
    (articles / "categories.yml").write_text(categories, encoding="utf-8")
    hostile_text = (HOSTILE_DATA / "articles" / "nb" / "ok-injection-everywhere.md").read_text(
        encoding="utf-8"
    )
    hostile_body = hostile_text.split("\n---\n", 1)[1]
    for lang in ("nb", "sv", "en"):
        (articles / lang).mkdir()
        for slug in SAMPLE_SLUGS:
            shutil.copy(REPO / "articles" / lang / f"{slug}.md", articles / lang / f"{slug}.md")
        (articles / lang / "injection.md").write_text(hostile_front(lang) + hostile_body, encoding="utf-8")
    (articles / "en" / "hostile.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    for source in (HOSTILE_DATA / "articles" / "nb").glob("bad-*.md"):
        shutil.copy(source, articles / "nb" / source.name)
    (target / "kb.yml").write_text(
        "site_name: Sweep Help Center\nlanguages: [nb, sv, en]\ndefault_language: nb\n", encoding="utf-8"
    )
    return load_settings(target)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_sweep_kb(tmp_path_factory.mktemp("sweep") / "kb")


@pytest.fixture(scope="module")
def app(settings: Settings) -> Flask:
    return create_app(settings)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def fetch(client: FlaskClient, url: str, method: str = "GET", **kwargs: object) -> TestResponse:
    """One request; its security headers are checked whatever it answers, and it is never a 500."""
    response = client.open(url, method=method, **kwargs)  # type: ignore[arg-type]
    assert response.status_code < 500, f"{method} {url} answered {response.status_code}"
    assert_headers(response, f"{method} {url}")
    return response


def test_the_hostile_articles_are_published(client: FlaskClient) -> None:
    for lang in ("nb", "sv", "en"):
        response = fetch(client, f"/{lang}/articles/injection/")
        assert response.status_code == 200
        assert f"&lt;script&gt;alert(&#34;title-{lang}&#34;)" in response.get_data(as_text=True)


# --- XSS: every parameter, every route ----------------------------------------------------------------


def surfaces(payload: str) -> list[str]:
    """Every place a request can carry text into the site: query parameters and path segments."""
    p = quote(payload, safe="")
    return [
        f"/nb/search?q={p}",
        f"/en/search?q=password&category={p}",
        f"/en/search?q={p}&category={p}&page={p}",
        f"/sv/search?q=l%C3%B6senord&page={p}",
        f"/api/search?q={p}&lang=en",
        f"/api/search?q=password&lang={p}",
        f"/api/search?q=password&lang=en&category={p}",
        f"/api/search?q=password&lang=en&page={p}",
        f"/api/suggest?q={p}&lang=nb",
        f"/api/suggest?q=pass&lang={p}",
        f"/api/articles?lang={p}",
        f"/api/articles/en/{p}",
        f"/api/articles/{p}/reset-password",
        f"/{p}/",
        f"/{p}/search?q=x",
        f"/en/articles/{p}/",
        f"/en/categories/{p}/",
        f"/{p}/feed.xml",
        f"/{p}/opensearch.xml",
        f"/static/{p}",
        f"/en/articles/reset-password/?q={p}&lang={p}&page={p}",
        f"/nb/?lang={p}",
    ]


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"payload{i:02d}" for i in range(len(PAYLOADS))])
def test_payload_is_never_reflected(client: FlaskClient, payload: str) -> None:
    for url in surfaces(payload):
        assert_not_reflected(fetch(client, url, follow_redirects=True), payload, url)
    headers = {"Accept-Language": payload.encode("latin-1", "replace").decode("latin-1")}
    response = fetch(client, "/", headers=headers)
    assert response.status_code == 302 and response.headers["Location"].endswith("/nb/")
    assert_not_reflected(response, payload, "Accept-Language")


def test_payload_list_is_long_enough() -> None:
    assert len(PAYLOADS) >= 20 and len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize(
    "bad",
    [
        "<script>alert(1)</script>",
        '<script src="https://evil.example/x.js"></script>',
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<img src="data:image/svg+xml,x">',
        '<p onclick="x()">',
        "<svg onload=alert(1)>",
        '<meta http-equiv="refresh" content="0">',
        "<iframe></iframe>",
        '<p style="x">',
    ],
)
def test_the_audit_catches_what_it_must(bad: str) -> None:
    assert audit(f"<p>fine</p>{bad}") != []
    assert audit('<script src="/static/search.js?v=0a1b" defer></script><svg aria-hidden="true"></svg>') == []
    assert audit('<script src="../../static/offline.js"></script>') == []
    assert audit('<script src="//evil.example/static/x.js"></script>') != []


def every_page(settings: Settings) -> list[str]:
    """Every page of the site: homes, categories, articles, feeds, sitemap, search and API views."""
    library = load_library(settings).library
    pages = ["/", "/sitemap.xml", "/robots.txt"]
    for lang in settings.languages:
        pages += [f"/{lang}/", f"/{lang}/feed.xml", f"/{lang}/opensearch.xml", f"/{lang}/search?q=alert"]
        pages += [f"/api/articles?lang={lang}", f"/api/search?q=alert&lang={lang}"]
        pages += [f"/{lang}/categories/{c.slug}/" for c in library.categories_in(lang)]
        pages += [f"/{lang}/search?category={c.slug}" for c in library.categories_in(lang)]
        for article in library.in_language(lang):
            pages += [article.url, f"/api/articles/{lang}/{article.slug}"]
    return pages


def test_every_page_showing_hostile_content_is_clean(client: FlaskClient, settings: Settings) -> None:
    pages = every_page(settings)
    assert len(pages) > 40
    for url in pages:
        response = fetch(client, url)
        assert response.status_code in (200, 302), url
        body = response.get_data(as_text=True)
        for marker in ("<script>alert", "<img src=x", "<svg onload", "<b>bold</b>", 'href="javascript:'):
            assert marker not in body, f"{url} holds {marker!r}"
        if response.mimetype == "text/html":
            assert audit(body) == [], url


def test_json_api_escapes_markup_characters(client: FlaskClient) -> None:
    """JSON answers decode to the hostile text as written, but the bytes never hold raw markup."""
    response = fetch(client, "/api/articles/nb/injection")
    body = response.get_data(as_text=True)
    assert "<" not in body and ">" not in body and "'" not in body
    data = response.get_json()
    assert data["title"].startswith('<script>alert("title-nb")</script>')
    assert "<script" not in data["html"]


# --- links in rendered articles ------------------------------------------------------------------------


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.targets += [v or "" for k, v in attrs if k in ("href", "src", "srcset", "action", "data")]


def link_targets(text: str) -> list[str]:
    parser = Links()
    parser.feed(text)
    return parser.targets


def test_no_script_or_data_links_in_any_rendered_article(settings: Settings) -> None:
    library = load_library(settings).library
    hostile = [a for a in library if a.slug in ("injection", "hostile")]
    assert len(hostile) == 4
    for article in library:
        targets = link_targets(article.html)
        assert [t for t in targets if dangerous_link(t)] == [], article.path
        assert audit(article.html) == [], article.path
    injected = library.get("nb", "injection")
    assert injected is not None
    assert "https://example.com" in " ".join(link_targets(injected.html))  # safe links still work


# --- path traversal ----------------------------------------------------------------------------------


TRAVERSALS = [
    "../{f}",
    "..%2f{f}",
    "..%2F..%2F{f}",
    "%2e%2e/{f}",
    "%2e%2e%2f{f}",
    "%252e%252e%252f{f}",
    "..%252f..%252f{f}",
    "..%5c{f}",
    "..%5c..%5c{f}",
    "..\\..\\{f}",
    "%c0%ae%c0%ae/{f}",
    "..%00/{f}",
    "{f}%00.md",
    "....//....//{f}",
    "..;/{f}",
    "./../{f}",
    "%2f{f}",
    "//{f}",
]
TARGETS = {
    "kb.yml": "Sweep Help Center",  # the knowledge base's own configuration
    "../../../../../../etc/passwd": "root:x:0:0",
    "../../pyproject.toml": "[build-system]",  # the repository, seen from kb/static
    "../app.py": "SECURITY_HEADERS",  # the code, seen from kb/static
    "articles/categories.yml": "description:",
}
ROUTES = [
    "/static/{t}",
    "/{t}",
    "/{t}/",
    "/nb/articles/{t}/",
    "/nb/categories/{t}/",
    "/api/articles/nb/{t}",
    "/api/articles/{t}/reset-password",
    "/{t}/feed.xml",
]


@pytest.mark.parametrize("route", ROUTES)
def test_path_traversal_never_serves_a_file(client: FlaskClient, route: str) -> None:
    tried = 0
    for form in TRAVERSALS:
        for target, marker in TARGETS.items():
            url = route.format(t=form.format(f=target))
            response = fetch(client, url, follow_redirects=True)
            assert response.status_code in (400, 404), (url, response.status_code)
            body = response.get_data(as_text=True)
            for content in TARGETS.values():
                if content != "Sweep Help Center":  # the site's name is on every page
                    assert content not in body, f"{url} shows {content!r}"
            assert marker == "Sweep Help Center" or marker not in body
            tried += 1
    assert tried == len(TRAVERSALS) * len(TARGETS)


def test_static_files_are_only_the_static_folder(client: FlaskClient) -> None:
    assert fetch(client, "/static/kb.css").status_code == 200
    for name in ("__init__.py", "../__init__.py", ".hidden", "kb.css%00.py", "kb.css%2f..%2f..%2fapp.py"):
        assert fetch(client, f"/static/{name}", follow_redirects=True).status_code == 404, name


# --- headers on every kind of answer ------------------------------------------------------------------


def test_headers_on_errors_conditional_and_static_answers(client: FlaskClient) -> None:
    seen: dict[int, str] = {}
    for url in (
        "/nb/",
        "/en/articles/reset-password/",
        "/static/kb.css",
        "/api/articles?lang=en",
        "/sitemap.xml",
    ):
        first = fetch(client, url)
        assert first.status_code == 200 and first.headers.get("ETag"), url
        again = fetch(client, url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, url
        seen[304] = url
    cases = {
        "/xx/": 404,
        "/nb/articles/no-such-article/": 404,
        "/static/no-such-file.css": 404,
        "/api/articles/nb/no-such-article": 404,
        "/api/search?q=x&lang=en&page=0": 400,
        "/api/search?lang=en": 400,
        "/api/nothing-here": 404,
    }
    for url, status in cases.items():
        assert fetch(client, url).status_code == status, url
        seen[status] = url
    assert fetch(client, "/nb/", method="POST").status_code == 405
    assert fetch(client, "/api/search?q=x", method="DELETE").status_code == 405
    assert fetch(client, "/nb/", method="HEAD").status_code == 200
    assert fetch(client, "/nb/", method="OPTIONS").status_code == 200
    assert fetch(client, "/", method="GET").status_code == 302
    assert set(seen) == {304, 404, 400}


def test_error_answers_are_not_cached(client: FlaskClient) -> None:
    for url in ("/xx/", "/api/search?lang=en", "/static/nope.css"):
        assert fetch(client, url).headers["Cache-Control"] == "no-store", url
