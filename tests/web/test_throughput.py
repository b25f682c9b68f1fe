"""Pages from memory and the search gate: what a reader sees when pages are cached and searches are capped."""

from __future__ import annotations

import dataclasses
import gzip
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.model import Library
from kb.web.app import create_app
from kb.web.gate import SearchGate
from kb.web.pagecache import CachedPage, PageCache
from kb.web.state import State
from tests.helpers import make_web_kb

ARTICLE = "/nb/articles/reset-password/"


@pytest.fixture
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(make_web_kb(tmp_path_factory.mktemp("throughput") / "kb", hostile=False))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def kb_state(app: Flask) -> State:
    found = app.extensions["kb"]
    assert isinstance(found, State)
    return found


def test_a_page_is_rendered_once_and_then_served_from_memory_with_its_etag(
    app: Flask, client: FlaskClient
) -> None:
    first = client.get(ARTICLE)
    second = client.get(ARTICLE)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    cache = kb_state(app).pages
    assert (cache.misses, cache.hits) == (1, 1)
    assert client.get(ARTICLE, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    zipped = client.get(ARTICLE, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    assert zipped.headers["ETag"] == "W/" + first.headers["ETag"]  # another representation: weak


def test_each_language_host_and_query_is_its_own_page(app: Flask, client: FlaskClient) -> None:
    nb = client.get("/nb/").get_data(as_text=True)
    sv = client.get("/sv/").get_data(as_text=True)
    assert 'lang="nb"' in nb and 'lang="sv"' in sv
    other_host = client.get("/nb/", headers={"Host": "help.example"})
    assert other_host.status_code == 200
    assert len(kb_state(app).pages) == 3


def test_new_content_is_a_new_generation_with_an_empty_cache(app: Flask, client: FlaskClient) -> None:
    assert "Tilbakestill" in client.get(ARTICLE).get_data(as_text=True)
    old = kb_state(app)
    renamed = tuple(
        dataclasses.replace(a, title="Helt ny tittel") if a.url == ARTICLE else a
        for a in old.library.articles
    )
    library = Library(renamed, old.library.categories, old.library.languages)
    app.extensions["kb"] = dataclasses.replace(old, loaded=dataclasses.replace(old.loaded, library=library))
    assert "Helt ny tittel" in client.get(ARTICLE).get_data(as_text=True)
    assert kb_state(app).pages is not old.pages


def test_a_repeated_search_is_one_page_until_its_answer_changes(app: Flask, client: FlaskClient) -> None:
    url = "/nb/search?q=passord"
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.headers["ETag"] == second.headers["ETag"]
    assert "reset-password" in first.get_data(as_text=True)
    cache = kb_state(app).search_pages
    assert (cache.misses, cache.hits) == (1, 1)
    assert client.get(url + "&page=1").status_code == 200 and cache.misses == 2  # its own page
    # A synonym added by the site's editor changes what "hemmeligord" finds: the page follows at once.
    before = client.get("/nb/search?q=hemmeligord").get_data(as_text=True)
    assert "reset-password" not in before
    synonyms = kb_state(app).settings.root / "synonyms"
    synonyms.mkdir(exist_ok=True)
    (synonyms / "nb.yml").write_text("passord: [hemmeligord]\n", encoding="utf-8")
    after = client.get("/nb/search?q=hemmeligord").get_data(as_text=True)
    assert "reset-password" in after


def test_readers_typing_new_searches_never_push_articles_out_of_memory(
    app: Flask, client: FlaskClient
) -> None:
    client.get(ARTICLE)
    pages = kb_state(app).pages
    kb_state(app).search_pages.budget = 50_000  # a few search pages' worth
    for number in range(60):
        assert client.get(f"/nb/search?q=passord+{number}").status_code == 200
    assert kb_state(app).search_pages.used <= 50_000
    client.get(ARTICLE)
    assert pages.hits == 1 and len(pages) == 1


def test_the_cache_keeps_to_its_byte_budget_dropping_the_least_recently_used() -> None:
    page = CachedPage.of("<p>" + "x" * 2000 + "</p>")
    cache = PageCache(budget=page.size * 2)
    cache.put(("/a", "h", "d"), page)
    cache.put(("/b", "h", "d"), page)
    assert cache.get(("/a", "h", "d")) is page  # /a is now the most recently used
    cache.put(("/c", "h", "d"), page)
    assert cache.get(("/b", "h", "d")) is None
    assert cache.get(("/a", "h", "d")) is page and cache.get(("/c", "h", "d")) is page
    assert cache.used <= cache.budget


@pytest.fixture
def full_gate(app: Flask) -> Iterator[SearchGate]:
    """Every search slot of the app's process taken, as by slow searches still running."""
    gate = kb_state(app).gate
    held = threading.Event()
    release = threading.Event()

    def occupy() -> None:
        with gate.slot() as admitted:
            assert admitted
            held.set()
            release.wait(10)

    threads = [threading.Thread(target=occupy) for _ in range(gate.limit)]
    for thread in threads:
        held.clear()
        thread.start()
        held.wait(5)
    yield gate
    release.set()
    for thread in threads:
        thread.join(5)


def test_a_search_past_the_cap_is_refused_politely_in_the_readers_language(
    client: FlaskClient, full_gate: SearchGate
) -> None:
    page = client.get("/nb/search?q=passord")
    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    assert "Prøv igjen om et øyeblikk" in page.get_data(as_text=True)
    api = client.get("/api/search?q=passord&lang=nb")
    assert api.status_code == 503 and api.get_json()["error"]["status"] == 503
    assert client.get("/api/suggest?q=pass&lang=nb").status_code == 503
    assert client.get(ARTICLE).status_code == 200  # pages are not held up by searches
    assert full_gate.refused == 3


def test_searches_are_answered_again_once_a_slot_is_free(app: Flask, client: FlaskClient) -> None:
    with kb_state(app).gate.slot() as admitted:
        assert admitted  # one slot taken, one still free
        assert client.get("/nb/search?q=passord").status_code == 200
    assert client.get("/api/search?q=passord&lang=nb").status_code == 200


def test_a_freed_slot_goes_to_the_reader_who_waited_not_to_a_newcomer() -> None:
    gate = SearchGate(limit=1, wait=2.0)
    assert gate.acquire()
    waited = threading.Event()

    def waiter() -> None:
        if gate.acquire():
            waited.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    while not gate._waiting:  # the waiter is in line
        threading.Event().wait(0.01)
    gate.release()
    gate.wait = 0.05
    assert not gate.acquire()  # the newcomer does not jump the line
    thread.join(5)
    assert waited.is_set()
    gate.release()
    assert gate.acquire()  # and once it is done, the slot is free again
