"""A hostile Host header: never in an absolute URL (base_url wins), refused outside trusted_hosts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.content.config import load_settings
from kb.web.app import create_app
from tests.helpers import REPO, copy_sample

EVIL = "evil.example"
BASE = "https://help.example.com"
# Every answer that carries an absolute URL, and the redirects (the trailing-slash 308 included).
ABSOLUTE_URL_PAGES = [
    "/nb/",
    "/sv/",
    "/sitemap.xml",
    "/robots.txt",
    "/nb/feed.xml",
    "/en/feed.xml",
    "/nb/opensearch.xml",
    "/en/opensearch.xml",
]


def sample_with(folder: Path, config: str) -> Flask:
    copy_sample(folder)
    with (folder / "kb.yml").open("a", encoding="utf-8") as out:
        out.write(config)
    return create_app(load_settings(folder))


@pytest.fixture(scope="module")
def on_base_url(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    return sample_with(tmp_path_factory.mktemp("base") / "kb", f"base_url: {BASE}/\n").test_client()


@pytest.fixture(scope="module")
def trusted(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    config = "trusted_hosts: [help.example.com, .example.org]\n"
    return sample_with(tmp_path_factory.mktemp("trusted") / "kb", config).test_client()


def an_article_url() -> str:
    first = sorted((REPO / "articles" / "nb").glob("*.md"))[0]
    return f"/nb/articles/{first.stem}/"


@pytest.mark.parametrize("path", [*ABSOLUTE_URL_PAGES, "article"])
def test_absolute_urls_are_on_base_url_whatever_the_host(on_base_url: FlaskClient, path: str) -> None:
    path = an_article_url() if path == "article" else path
    response = on_base_url.get(path, headers={"Host": EVIL})
    assert response.status_code == 200, path
    body = response.get_data(as_text=True)
    assert EVIL not in body
    assert f"{BASE}/" in body  # canonical/hreflang links, <loc>, Sitemap:, Atom ids, OpenSearch templates


def test_a_page_names_its_canonical_and_hreflang_urls_on_base_url(on_base_url: FlaskClient) -> None:
    body = on_base_url.get("/nb/", headers={"Host": EVIL}).get_data(as_text=True)
    assert f'<link rel="canonical" href="{BASE}/nb/">' in body
    assert f'<link rel="alternate" hreflang="sv" href="{BASE}/sv/">' in body


@pytest.mark.parametrize("path", ["/nb", "/nb/categories/konto", "/", an_article_url().rstrip("/")])
def test_redirects_never_point_at_the_host_header(on_base_url: FlaskClient, path: str) -> None:
    response = on_base_url.get(path, headers={"Host": EVIL})
    assert 300 <= response.status_code < 400, path
    location = response.headers["Location"]
    assert EVIL not in location
    assert location.startswith((f"{BASE}/", "/")), location


def test_the_trailing_slash_redirect_goes_to_base_url(on_base_url: FlaskClient) -> None:
    response = on_base_url.get("/nb", headers={"Host": EVIL})
    assert response.status_code == 308
    assert response.headers["Location"] == f"{BASE}/nb/"


@pytest.mark.parametrize(
    "path",
    ["/nb/", "/nb", "/", "/sitemap.xml", "/nb/feed.xml", "/static/kb.css", "/api/search?q=passord", "/x"],
)
def test_unknown_hosts_are_refused(trusted: FlaskClient, path: str) -> None:
    response = trusted.get(path, headers={"Host": EVIL})
    assert response.status_code == 400, path
    assert EVIL not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("host", ["help.example.com", "help.example.com:8443", "docs.example.org"])
def test_trusted_hosts_are_answered_and_named_in_urls(trusted: FlaskClient, host: str) -> None:
    response = trusted.get("/sitemap.xml", headers={"Host": host})
    assert response.status_code == 200
    assert f"http://{host.lower()}/nb/" in response.get_data(as_text=True).lower()


def test_kb_trusted_hosts_replaces_the_kb_yml_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_sample(tmp_path)
    with (tmp_path / "kb.yml").open("a", encoding="utf-8") as out:
        out.write("trusted_hosts: [help.example.com]\n")
    monkeypatch.setenv("KB_TRUSTED_HOSTS", " kb.example.net , 127.0.0.1 ")
    assert load_settings(tmp_path).trusted_hosts == ("kb.example.net", "127.0.0.1")


def test_without_either_setting_the_development_server_answers_any_host(tmp_path: Path) -> None:
    shutil.copytree(REPO / "articles", tmp_path / "articles")
    client = create_app(load_settings(tmp_path)).test_client()
    assert client.get("/nb/", headers={"Host": "localhost:5000"}).status_code == 200
