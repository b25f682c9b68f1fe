"""The versioned schema: made on an empty database, idempotent, migrating older versions, opened at once."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from kb.settings import Settings
from kb.store import LATEST_VERSION, SearchRecord, Store, database_url
from kb.store.schema import migrate, schema_version
from kb.store.store import create_store_engine, engine_url, sqlite_integrity
from tests.helpers import StoreFactory

TABLES = {"kb_schema_version", "kb_searches", "kb_clicks", "kb_votes"}


def versions(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        query = select(schema_version.c.version).order_by(schema_version.c.version)
        return list(conn.execute(query).scalars())


def test_an_empty_database_gets_the_latest_schema(store: Store) -> None:
    assert store.schema_version() == LATEST_VERSION == 3
    assert set(inspect(store.engine).get_table_names()) >= TABLES
    assert versions(store) == [1, 2, 3]
    if store.dialect == "postgresql":  # each test has a schema of its own, on the search path
        with store.engine.connect() as conn:
            assert str(conn.exec_driver_sql("SELECT current_schema()").scalar()).startswith("kb_")


def test_reopening_changes_nothing_and_keeps_the_data(store: Store, open_again: StoreFactory) -> None:
    store.record_searches([SearchRecord("passord", "nb", 3)])
    again = open_again()
    assert again.schema_version() == LATEST_VERSION
    assert versions(again) == [1, 2, 3]
    assert again.count_records()["searches"] == 1


def test_a_database_at_an_older_version_is_migrated(database_url: str) -> None:
    engine = create_store_engine(database_url)
    assert migrate(engine, target=1) == 1
    old = Store(engine)
    assert old.schema_version() == 1
    old.record_searches([SearchRecord("written by version 1", "nb", 0)])
    assert "ix_kb_searches_at" not in {i["name"] for i in inspect(engine).get_indexes("kb_searches")}
    engine.dispose()

    with Store.open(database_url) as store:
        assert store.schema_version() == 3
        assert versions(store) == [1, 2, 3]
        indexes = {i["name"] for i in inspect(store.engine).get_indexes("kb_searches")}
        assert {"ix_kb_searches_at", "ix_kb_searches_lang_query"} <= indexes
        assert store.count_records()["searches"] == 1


def test_a_version_2_database_gets_search_hits_and_keeps_its_rows(database_url: str) -> None:
    """Version 2 wrote one row per search: after the migration each old row counts one search."""
    engine = create_store_engine(database_url)
    assert migrate(engine, target=2) == 2
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE kb_searches DROP COLUMN hits")  # as version 2 made it
        for query in ("passord", "passord", "e-post"):
            conn.exec_driver_sql(
                "INSERT INTO kb_searches (at, day, lang, query, results, fallback, ms, source) "
                f"VALUES ('2026-11-01 10:00:00', '2026-11-01', 'nb', '{query}', 2, NULL, 1.5, 'page')"
            )
    engine.dispose()
    with Store.open(database_url) as store:
        assert store.schema_version() == 3
        assert store.count_records()["searches"] == 3
        store.record_searches([SearchRecord("passord", "nb", 2)] * 4)
        since, until = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        assert store.query_counts(since, until, "nb") == [("passord", "nb", 6), ("e-post", "nb", 1)]


def test_an_unknown_target_version_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown"):
        migrate(store.engine, target=LATEST_VERSION + 1)


def test_stores_opening_at_once_migrate_exactly_once(database_url: str) -> None:
    opened: list[Store] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(Store.open(database_url))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(opened) == 4
    assert versions(opened[0]) == [1, 2, 3]
    for store in opened:
        store.close()


def test_the_database_url_comes_from_the_environment_or_the_instance_folder(tmp_path: Path) -> None:
    settings = Settings(root=tmp_path)
    assert database_url(settings, {}) == f"sqlite:///{tmp_path / 'instance' / 'kb.sqlite3'}"
    url = "postgresql://kb@db.example/kb"
    assert database_url(settings, {"KB_DATABASE_URL": url}) == url
    assert engine_url(url) == "postgresql+psycopg://kb@db.example/kb"
    assert engine_url("postgres://kb:pw@db/kb") == "postgresql+psycopg://kb:pw@db/kb"


def test_the_default_store_is_sqlite_in_wal_mode_in_the_instance_folder(tmp_path: Path) -> None:
    with Store.open_for(Settings(root=tmp_path), {}) as store:
        assert store.dialect == "sqlite"
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 5000
    path = tmp_path / "instance" / "kb.sqlite3"
    assert path.exists()
    assert sqlite_integrity(path) == "ok"
