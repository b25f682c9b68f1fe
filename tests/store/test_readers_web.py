"""Reader data through the web layer, on SQLite and on PostgreSQL: votes, searches, clicks, the admin page.

The app writes through its real recorder into the engine of each run (``KB_DATABASE_URL``); the
assertions read what reached the database through ``build_report``, the ``kb report --json`` contract.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kb.cli import cli
from kb.content.loader import load_library
from kb.search.indexing import update_indexes
from kb.settings import Settings
from kb.store import Store, build_report
from kb.web.app import create_app
from kb.web.readers import readers
from tests.helpers import REPO, make_web_kb

ARTICLE = "/en/articles/reset-password/"
FEEDBACK = ARTICLE + "feedback"
HOSTILE_QUERY = '<script>alert("q")</script> &amp; zqxj'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One knowledge base with its indexes, shared by the module (each test has its own database)."""
    settings = make_web_kb(tmp_path_factory.mktemp("readers") / "kb", hostile=False)
    update_indexes(settings, load_library(settings).library, rebuild=True)
    return settings


@pytest.fixture
def app(site: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("KB_DATABASE_URL", database_url)
    monkeypatch.setenv("KB_SECRET_KEY", "test secret")
    monkeypatch.delenv("KB_ADMIN_TOKEN", raising=False)
    made = create_app(site, index=False)
    yield made
    with made.app_context():
        recorder = readers().recorder()
        if recorder is not None:
            recorder.close()
            recorder.store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def token_of(client: FlaskClient, path: str = ARTICLE) -> str:
    page = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert found, "the article page has no vote form"
    return found.group(1)


def written(app: Flask) -> Store:
    """Flush the app's recorder and hand back its store."""
    with app.app_context():
        recorder = readers().recorder()
        assert recorder is not None
        assert recorder.flush()
        return recorder.store


def vote(client: FlaskClient, data: dict[str, str], agent: str = "reader-1", **headers: str) -> Any:
    return client.post(FEEDBACK, data=data, headers={"User-Agent": agent, **headers})


# --- votes ---------------------------------------------------------------------------------------


def test_the_vote_form_follows_the_contract(client: FlaskClient) -> None:
    page = client.get(ARTICLE).get_data(as_text=True)
    form = re.search(r'<form class="feedback-form" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form and form.group(1) == FEEDBACK
    assert 'type="hidden" name="csrf_token"' in form.group(2)
    assert 'name="helpful" value="yes"' in form.group(2)
    assert 'name="helpful" value="no"' in form.group(2)
    assert 'name="reason"' in form.group(2)


def test_a_yes_and_a_no_with_its_reason_are_counted_once_per_reader(app: Flask, client: FlaskClient) -> None:
    token = token_of(client)
    assert vote(client, {"csrf_token": token, "helpful": "yes"}, agent="a").status_code == 200
    answer = vote(client, {"csrf_token": token, "helpful": "no", "reason": "Too  short"}, agent="b")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Thank you for your feedback" in answer.get_data(as_text=True)
    # The same reader again the same day (with a preset this time): still one vote, the later answer.
    again = {"csrf_token": token, "helpful": "no", "reason_preset": "outdated", "reason": "Too short"}
    assert vote(client, again, agent="b").status_code == 200
    report = build_report(written(app))
    (article,) = report["articles"]
    assert (article["slug"], article["lang"], article["yes"], article["no"]) == ("reset-password", "en", 1, 1)
    assert article["reasons"] == [{"reason": "outdated: Too short", "count": 1}]


def test_the_script_gets_json_and_a_later_reason_keeps_one_vote(app: Flask, client: FlaskClient) -> None:
    token = token_of(client)
    json_headers = {"Accept": "application/json", "Origin": "http://localhost"}
    first = vote(client, {"csrf_token": token, "helpful": "no"}, **json_headers)
    assert first.get_json() == {"ok": True, "helpful": "no", "reason": False}
    second = vote(client, {"csrf_token": token, "helpful": "no", "reason": "no screenshots"}, **json_headers)
    assert second.get_json()["reason"] is True
    (article,) = build_report(written(app))["articles"]
    assert (article["yes"], article["no"]) == (0, 1)
    assert article["reasons"] == [{"reason": "no screenshots", "count": 1}]


@pytest.mark.parametrize(
    ("data", "headers", "status"),
    [
        ({"helpful": "yes"}, {}, 400),
        ({"csrf_token": "0" * 40, "helpful": "yes"}, {}, 403),
        ({"csrf_token": "TOKEN", "helpful": "yes"}, {"Origin": "https://evil.example"}, 403),
        ({"csrf_token": "TOKEN", "helpful": "yes"}, {"Referer": "https://evil.example/x"}, 403),
        ({"csrf_token": "TOKEN", "helpful": "maybe"}, {}, 400),
    ],
)
def test_refused_votes_count_nothing(
    app: Flask, client: FlaskClient, data: dict[str, str], headers: dict[str, str], status: int
) -> None:
    token = token_of(client)
    data = {k: token if v == "TOKEN" else v for k, v in data.items()}
    assert vote(client, data, **headers).status_code == status
    assert written(app).count_records()["votes"] == 0


def test_a_token_of_another_article_is_refused(app: Flask, client: FlaskClient) -> None:
    other = token_of(client, "/en/articles/single-sign-on/")
    assert vote(client, {"csrf_token": other, "helpful": "yes"}).status_code == 403
    assert written(app).count_records()["votes"] == 0


def test_votes_are_rate_limited_and_size_capped(app: Flask, client: FlaskClient) -> None:
    token = token_of(client)
    big = vote(client, {"csrf_token": token, "helpful": "no", "reason": "x" * 5000})
    assert big.status_code == 413
    data = {"csrf_token": token, "helpful": "yes"}
    statuses = [vote(client, data, agent=f"r{n}").status_code for n in range(15)]
    assert statuses[:10] == [200] * 10 and 429 in statuses
    assert written(app).count_records()["votes"] == 10


def test_the_stored_vote_has_no_address_or_user_agent(app: Flask, client: FlaskClient) -> None:
    token = token_of(client)
    vote(client, {"csrf_token": token, "helpful": "yes"}, agent="Mozilla/5.0 UniqueAgent")
    store = written(app)
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.exec_driver_sql("SELECT * FROM kb_votes")]
    assert len(rows) == 1
    flat = json.dumps(rows, default=str)
    assert "UniqueAgent" not in flat and "127.0.0.1" not in flat
    assert re.fullmatch(r"[0-9a-f]{64}", rows[0]["voter"])


# --- searches and clicks ----------------------------------------------------------------------


def test_searches_are_recorded_after_every_fallback(app: Flask, client: FlaskClient) -> None:
    assert client.get("/en/search?q=%20%20QQQQZZZZ%20%20Xyzzy%20").status_code == 200  # nothing at all
    assert client.get("/en/search?q=password").status_code == 200
    assert client.get("/en/search?q=password&page=2").status_code == 200  # the same search: not again
    assert client.get("/api/search?q=Password&lang=en").status_code == 200
    assert client.get("/api/suggest?q=passw&lang=en").status_code == 200  # as-you-type: not recorded
    report = build_report(written(app))
    assert report["searches"] == 3
    assert report["zero_result_queries"] == [{"query": "qqqqzzzz xyzzy", "lang": "en", "count": 1}]
    assert {"query": "password", "lang": "en", "count": 2} in report["top_queries"]


def test_click_beacons_and_the_final_suggestion(app: Flask, client: FlaskClient) -> None:
    page = client.get("/en/search?q=password").get_data(as_text=True)
    assert 'data-rank="1"' in page and 'data-query="password"' in page
    beacon = {"q": "password", "lang": "en", "slug": "reset-password", "rank": "1"}
    assert client.post("/api/analytics/click", data=beacon).status_code == 204
    chosen = {**beacon, "q": "two-st", "slug": "two-step-verification", "suggestions": "3"}
    assert client.post("/api/analytics/click", data=chosen).status_code == 204
    assert client.post("/api/analytics/click", data={**beacon, "slug": "nope"}).status_code == 400
    assert client.post("/api/analytics/click", data={**beacon, "rank": "0"}).status_code == 400
    foreign = client.post("/api/analytics/click", data=beacon, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert client.post("/api/analytics/click", data={**beacon, "q": "x" * 2000}).status_code == 413
    store = written(app)
    assert store.count_records() == {"searches": 2, "clicks": 2, "votes": 0}
    report = build_report(store)
    assert report["unopened_queries"] == []  # "password" was opened, "two-st" too


# --- the admin page -----------------------------------------------------------------------------


def test_insights_is_404_without_a_configured_token(client: FlaskClient) -> None:
    for path in ("/admin/insights", "/admin/login", "/admin/insights.json"):
        assert client.get(path, headers={"Authorization": "Bearer anything"}).status_code == 404


def test_insights_with_the_token_escapes_every_query(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_ADMIN_TOKEN", "s3cret-token")
    client.get("/en/search?" + urllib.parse.urlencode({"q": HOSTILE_QUERY}))
    token = token_of(client)
    vote(client, {"csrf_token": token, "helpful": "no", "reason": "<img src=x onerror=alert(1)>"})
    written(app)
    assert client.get("/admin/insights").status_code == 404
    assert client.get("/admin/insights", headers={"Authorization": "Bearer wrong"}).status_code == 404
    answer = client.get("/admin/insights", headers={"Authorization": "Bearer s3cret-token"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    page = answer.get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt; &amp;amp; zqxj" in page
    assert page.count('<svg class="chart"') == 3
    assert "style=" not in page and "<style" not in page
    data = client.get("/admin/insights.json", headers={"Authorization": "Bearer s3cret-token"})
    assert data.headers["Cache-Control"] == "private, no-store"
    assert "<" not in data.get_data(as_text=True)
    assert data.get_json()["zero_result_queries"][0]["query"] == '<script>alert("q")</script> &amp; zqxj'


def test_the_login_form_sets_a_strict_cookie(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_ADMIN_TOKEN", "s3cret-token")
    assert client.get("/admin/login").status_code == 200
    assert client.post("/admin/login", data={"token": "wrong"}).status_code == 404
    answer = client.post("/admin/login", data={"token": "s3cret-token"})
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/admin" in cookie
    assert "s3cret-token" not in cookie
    assert client.get("/admin/insights").status_code == 200


# --- the command line ---------------------------------------------------------------------------


def test_kb_report_json_and_table(app: Flask, client: FlaskClient, site: Settings, database_url: str) -> None:
    client.get("/en/search?q=zqxj")
    vote(client, {"csrf_token": token_of(client), "helpful": "no", "reason": "unclear"})
    written(app)
    runner = CliRunner()
    env = {"KB_DATABASE_URL": database_url, "KB_LANG": "en"}
    result = runner.invoke(cli, ["--root", str(site.root), "report", "--json", "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["searches"] == 1
    assert report["zero_result_queries"] == [{"query": "zqxj", "lang": "en", "count": 1}]
    assert report["articles"][0]["reasons"] == [{"reason": "unclear", "count": 1}]
    table = runner.invoke(cli, ["--root", str(site.root), "report", "--since", "7d", "--purge"], env=env)
    assert table.exit_code == 0, table.output
    assert "zqxj" in table.output and "Reset your password" in table.output
    bad = runner.invoke(cli, ["--root", str(site.root), "report", "--since", "soon"], env=env)
    assert bad.exit_code == 2


# --- two server processes, one database -----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def test_two_server_processes_lose_nothing(site: Settings, database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "KB_DATABASE_URL": database_url, "KB_SECRET_KEY": "shared", "PYTHONPATH": str(REPO)}
    env.pop("KB_ADMIN_TOKEN", None)
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "kb", "--root", str(site.root), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"server-{port}.log").open("wb"),
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/en/")
        page = urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}{ARTICLE}").read().decode()
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert token
        searches_each, votes_each = 40, 10
        for n, port in enumerate(ports):
            for i in range(searches_each):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/en/search?q=word{n}x{i}").read()
            for i in range(votes_each):
                body = urllib.parse.urlencode({"csrf_token": token.group(1), "helpful": "yes"}).encode()
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}{FEEDBACK}", data=body, headers={"User-Agent": f"p{n}-r{i}"}
                )
                urllib.request.urlopen(request).read()
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)  # a graceful stop writes what is still queued
        for server in servers:
            server.wait(timeout=30)
    store = Store.open(database_url)
    try:
        assert store.count_records() == {"searches": 2 * searches_each, "clicks": 0, "votes": 2 * votes_each}
    finally:
        store.close()
