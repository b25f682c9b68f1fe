"""Web security: escaping of hostile content and queries, path traversal, headers, no inline code."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.web.app import create_app
from tests.helpers import HOSTILE, make_web_kb

HOSTILE_QUERIES = [
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "'><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "*<script>",
    'tag:"><b>x</b>',
    "category:<i>x</i> password",
    "\x00\u202e<script>",
]
RAW_MARKERS = ["<script>alert", "<svg onload", "<img src=x onerror", "<b>x</b>", "<i>x</i>", "<b>bold</b>"]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(make_web_kb(tmp_path_factory.mktemp("websec") / "kb"))


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Audit(HTMLParser):
    """Collects what a strict CSP would block or what signals injected markup."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        values = dict(attrs)
        data_block = tag == "script" and values.get("type") == "application/ld+json"  # never executed
        if tag == "script":
            self._in_script = not data_block
            if "src" not in names and not data_block:
                self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems.extend(f"event handler {n} on <{tag}>" for n in names if n.startswith("on"))
        for name in ("href", "src", "action"):
            target = (values.get(name) or "").strip().lower()
            if target.startswith(("javascript:", "data:text", "vbscript:")):
                self.problems.append(f"{name}={target[:30]} on <{tag}>")
        own_image = tag == "img" and (values.get("src") or "").startswith("/media/")
        if tag in ("img", "svg", "iframe", "object", "embed") and not own_image:
            self.problems.append(
                f"unexpected <{tag}>"
            ) if tag != "svg" or "aria-hidden" not in names else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script content")


def audit(html: str) -> list[str]:
    parser = Audit()
    parser.feed(html)
    return parser.problems


def assert_clean(html: str) -> None:
    assert audit(html) == []
    for marker in RAW_MARKERS:
        assert marker not in html, marker


# --- hostile content ------------------------------------------------------------------------------


def test_hostile_article_is_escaped_everywhere(client: FlaskClient) -> None:
    html = client.get(f"/en/articles/{HOSTILE}/").get_data(as_text=True)
    assert_clean(html)
    assert "&lt;script&gt;alert(" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html or "&quot;&gt;&lt;img" in html
    assert 'href="javascript' not in html.lower()


@pytest.mark.parametrize(
    "url",
    [
        "/en/",
        "/en/categories/account-and-security/",
        "/en/search?q=password",
        "/en/search?q=hostile",
        "/en/articles/reset-password/",
        "/en/articles/two-step-verification/",
    ],
)
def test_pages_listing_the_hostile_article_are_escaped(client: FlaskClient, url: str) -> None:
    assert_clean(client.get(url).get_data(as_text=True))


def test_hostile_article_in_feed_sitemap_and_api(client: FlaskClient) -> None:
    feed = client.get("/en/feed.xml").get_data(as_text=True)
    assert "<script>" not in feed and "<img src=x" not in feed
    data = client.get(f"/api/articles/en/{HOSTILE}").get_json()
    assert data["title"].startswith("<script>")  # JSON carries the text as it is; readers must escape it
    assert "<script>" not in data["html"]
    suggest = client.get("/api/suggest?q=hostile&lang=en")
    assert suggest.mimetype == "application/json"
    assert "<script>" not in suggest.get_data(as_text=True).replace("\\u003c", "<").split('"snippet"')[-1]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_are_escaped(client: FlaskClient, query: str) -> None:
    for url in (
        f"/en/search?q={quote(query)}",
        f"/en/search?q={quote(query)}&category={quote(query)}",
        f"/nb/search?q={quote(query)}&page={quote(query)}",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_clean(response.get_data(as_text=True))
    for url in (f"/api/search?q={quote(query)}&lang=en", f"/api/suggest?q={quote(query)}&lang=en"):
        response = client.get(url)
        assert response.status_code in (200, 400) and response.mimetype == "application/json"


def test_hostile_language_in_api_error_is_json_not_html(client: FlaskClient) -> None:
    response = client.get("/api/search?q=x&lang=%3Cscript%3E")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hostile_accept_language(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": '"><script>alert(1)</script>'})
    assert response.status_code == 302 and response.headers["Location"].endswith("/nb/")


# --- paths ----------------------------------------------------------------------------------------------


TRAVERSALS = [
    "/static/../kb.yml",
    "/static/..%2fkb.yml",
    "/static/%2e%2e/kb.yml",
    "/static/%2e%2e%2fkb.yml",
    "/static/%252e%252e%252fkb.yml",
    "/static/..%5ckb.yml",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/../../../../etc/passwd",
    "/%2e%2e/",
    "/%2e%2e/kb.yml",
    "/..%2fkb.yml",
    "/nb/articles/..%2f..%2fkb.yml/",
    "/nb/articles/%2e%2e%2f%2e%2e%2fkb.yml/",
    "/nb/articles/%252e%252e%252fkb.yml/",
    "/nb/articles/../../kb.yml/",
    "/nb/categories/..%2f..%2farticles/",
    "/..%2f..%2fetc/feed.xml",
    "/%2e%2e/opensearch.xml",
    "/api/articles/nb/..%2f..%2fkb.yml",
    "/api/articles/..%2f../kb.yml",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(client: FlaskClient, path: str) -> None:
    response = client.get(path, follow_redirects=True)  # "//" is merged into "/" by a redirect first
    assert response.status_code == 404, path
    body = response.get_data(as_text=True)
    assert "site_name:" not in body and "root:" not in body


# --- headers --------------------------------------------------------------------------------------------


HEADER_URLS = [
    "/nb/",
    "/en/articles/reset-password/",
    "/en/search?q=x",
    "/en/missing/",
    "/static/kb.css",
    "/api/search?q=password&lang=en",
    "/api/search",
    "/sitemap.xml",
    "/en/feed.xml",
    "/robots.txt",
    "/",
]


@pytest.mark.parametrize("url", HEADER_URLS)
def test_security_headers_everywhere(client: FlaskClient, url: str) -> None:
    headers = client.get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "url",
    [
        "/nb/",
        "/sv/categories/konto-och-sakerhet/",
        "/en/articles/add-video-to-a-course/",
        "/en/search?q=password",
        "/en/search?q=qqqzzz",
        "/en/missing/",
    ],
)
def test_no_inline_script_or_style(client: FlaskClient, url: str) -> None:
    html = client.get(url).get_data(as_text=True)
    assert audit(html) == []
    assert re.findall(r"<script\b[^>]*>", html) == [
        s
        for s in re.findall(r"<script\b[^>]*>", html)
        if 'src="/static/' in s or s == '<script type="application/ld+json">'  # JSON-LD is never run
    ]


def test_errors_are_not_cached_and_not_500(client: FlaskClient) -> None:
    response = client.get("/en/articles/%00/")
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/en/search?q=%00%00").status_code == 200
    assert client.get("/en/search?q=" + "(" * 400 + "x").status_code == 200
