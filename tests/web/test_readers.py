"""Reader feedback on the default engine (SQLite): settings, cacheable pages, export, charts, limits."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from kb.cli import cli
from kb.content.config import load_settings
from kb.errors import ConfigError
from kb.store import Store
from kb.web.app import create_app
from kb.web.charts import Series, share_line, stacked_bars
from kb.web.readers import RateLimiter, readers, site_secret
from tests.helpers import KnowledgeBase, audit, make_web_kb

ARTICLE = "/en/articles/reset-password/"


@pytest.fixture(scope="module")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readers-web") / "kb"
    make_web_kb(root, hostile=False)
    config = root / "kb.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "support_url: mailto:help@example.com\nretention_days: 90\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def app(site_root: Path) -> Flask:
    return create_app(load_settings(site_root))


# --- kb.yml -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["https://support.example.com/contact", "mailto:help@example.com", "http://intra.example/help?x=1"],
)
def test_support_url_accepts_web_and_mail_addresses(kb_root: KnowledgeBase, value: str) -> None:
    settings = load_settings(kb_root({"kb.yml": f"languages: [en]\nsupport_url: '{value}'\n"}, ["en"]))
    assert settings.support_url == value


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "ftp://x.example",
        "support.example.com",
        "mailto:nobody",
        "https://",
        "https://a b.c",
    ],
)
def test_support_url_refuses_everything_else(kb_root: KnowledgeBase, value: str) -> None:
    root = kb_root({"kb.yml": f"languages: [en]\nsupport_url: '{value}'\n"}, ["en"])
    with pytest.raises(ConfigError, match=r"kb.yml:2: .*support_url"):
        load_settings(root)


@pytest.mark.parametrize("value", ["0", "-3", "ten", "99999"])
def test_retention_days_must_be_a_sensible_number(kb_root: KnowledgeBase, value: str) -> None:
    with pytest.raises(ConfigError, match="retention_days"):
        load_settings(kb_root({"kb.yml": f"languages: [en]\nretention_days: {value}\n"}, ["en"]))


def test_settings_carry_the_reader_keys(app: Flask) -> None:
    with app.app_context():
        settings = readers().settings
    assert (settings.support_url, settings.retention_days) == ("mailto:help@example.com", 90)


# --- pages ---------------------------------------------------------------------------------------


def test_the_article_page_is_the_same_for_every_reader(app: Flask) -> None:
    client = app.test_client()
    first = client.get(ARTICLE, headers={"User-Agent": "one"}, environ_base={"REMOTE_ADDR": "10.0.0.1"})
    second = client.get(ARTICLE, headers={"User-Agent": "two"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    page = first.get_data(as_text=True)
    assert "Was this article helpful?" in page and 'href="mailto:help@example.com"' in page
    assert audit(page) == []


def test_the_zero_result_page_offers_the_support_link(app: Flask) -> None:
    page = app.test_client().get("/nb/search?q=qqqqzzzz").get_data(as_text=True)
    assert "Trenger du fortsatt hjelp?" in page and 'href="mailto:help@example.com"' in page
    assert "Kontakt oss" in page


def test_the_thank_you_page_without_javascript_asks_for_a_reason(app: Flask) -> None:
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', client.get(ARTICLE).get_data(as_text=True))
    assert token
    answer = client.post(ARTICLE + "feedback", data={"csrf_token": token.group(1), "helpful": "no"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'name="reason"' in page and "Contact us" in page and audit(page) == []
    yes = client.post(ARTICLE + "feedback", data={"csrf_token": token.group(1), "helpful": "yes"})
    assert 'name="reason"' not in yes.get_data(as_text=True)


def test_nothing_is_recorded_or_offered_when_switched_off(
    site_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KB_READER_DATA", "off")
    app = create_app(load_settings(site_root), index=False)
    client = app.test_client()
    assert "feedback-form" not in client.get(ARTICLE).get_data(as_text=True)
    assert "data-rank" not in client.get("/en/search?q=password").get_data(as_text=True)
    assert client.post(ARTICLE + "feedback", data={"helpful": "yes"}).status_code == 404
    with app.app_context():
        assert readers().recorder() is None


def test_the_export_has_no_feedback_and_no_beacons(site_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = CliRunner().invoke(
        cli, ["--root", str(site_root), "build", "--out", str(out)], env={"KB_LANG": "en"}
    )
    assert result.exit_code == 0, result.output
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    assert pages
    for text in pages:
        assert "feedback" not in text and "readers.js" not in text and "data-rank" not in text


# --- parts ---------------------------------------------------------------------------------------


def test_charts_escape_labels_and_carry_no_style() -> None:
    labels = ["<b>1</b>", "2"]
    bars = stacked_bars(
        "c1", "T<", "D&", labels, [Series("chart-bar", [3, 0]), Series("chart-bar-zero", [1, 0])]
    )
    line = share_line("c2", "T", "D", labels, [0.5, None], lambda s: f"{round(s * 100)} %")
    for svg in (bars, line):
        assert "<b>" not in svg and "style" not in svg and "<script" not in svg
    assert "&lt;b&gt;1&lt;/b&gt;: 3 / 1" in bars and 'role="img"' in bars
    assert "<polyline" in line and "50 %" in line


def test_the_rate_limiter_refills_and_forgets_old_clients() -> None:
    limiter = RateLimiter(rate=60, burst=2, max_clients=2)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("a", now=1.0)  # one token a second
    limiter.allow("b", now=1.0)
    limiter.allow("c", now=1.0)  # "a" is the least recently seen and is forgotten
    assert limiter.allow("a", now=1.0) and limiter.allow("a", now=1.0)


def test_the_site_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = make_web_kb(tmp_path / "kb", hostile=False)

    first = site_secret(settings, environ={})
    assert site_secret(settings, environ={}) == first
    assert (settings.instance_dir / "secret_key").stat().st_mode & 0o077 == 0
    assert site_secret(settings, environ={"KB_SECRET_KEY": "given"}) == b"given"


def test_a_stalled_or_missing_database_never_slows_a_search(
    site_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "stalled.sqlite3"
    Store.open(f"sqlite:///{database}").close()
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{database}")
    app = create_app(load_settings(site_root), index=False)
    blocker = sqlite3.connect(database, timeout=1)
    blocker.execute("BEGIN IMMEDIATE")  # every writer now waits for SQLite's busy timeout (10 s)
    try:
        started = time.perf_counter()
        for n in range(5):
            assert app.test_client().get(f"/en/search?q=password{n}").status_code == 200
        assert time.perf_counter() - started < 3.0
    finally:
        blocker.rollback()
        blocker.close()
    with app.app_context():
        recorder = readers().recorder(wait=30)
        assert recorder is not None and recorder.flush()
        assert recorder.store.count_records()["searches"] == 5  # held while the store opened, then written
    monkeypatch.setenv("KB_DATABASE_URL", "postgresql+psycopg://nobody@/kb?host=/nonexistent-kb-folder")
    down = create_app(load_settings(site_root), index=False)
    assert down.test_client().get("/en/search?q=password").status_code == 200
    with down.app_context():
        assert readers().recorder(wait=10) is None


def test_the_store_is_opened_without_holding_the_readers_lock(
    site_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under gevent workers starting a thread yields to other requests; with the (plain, made before
    # the fork) lock held, the opening thread then waited for it forever and froze its worker.
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path / 'reader-data.sqlite3'}")
    app = create_app(load_settings(site_root), index=False)
    held_at_start: list[bool] = []
    original_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        if thread.name == "kb-store-open":
            with app.app_context():
                held_at_start.append(readers()._lock.locked())
        original_start(thread)

    monkeypatch.setattr(threading.Thread, "start", start)
    assert app.test_client().get("/en/search?q=password").status_code == 200
    with app.app_context():
        recorder = readers().recorder(wait=30)
        assert recorder is not None and recorder.flush()
        assert recorder.store.count_records()["searches"] == 1
    assert held_at_start == [False]
