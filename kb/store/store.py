"""The Store: one database (SQLite by default, PostgreSQL when configured) holding reader data."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Insert,
    and_,
    case,
    create_engine,
    delete,
    event,
    exists,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite as sq
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

from kb.settings import Settings
from kb.store.location import database_url
from kb.store.records import (
    MAX_LANG_LENGTH,
    MAX_SLUG_LENGTH,
    ClickRecord,
    Record,
    SearchRecord,
    VoteRecord,
    as_utc,
    normalize_query,
    normalize_reason,
    utc_now,
)
from kb.store.schema import clicks, migrate, schema_version, searches, votes

SQLITE_BUSY_TIMEOUT_MS = 10_000

WRITE_ATTEMPTS = 3
QueryCount = tuple[str, str, int]  # (query, lang, count)

# PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply be retried.
_TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})


def _is_transient(error: OperationalError) -> bool:
    """A write that failed only because another writer got in the way (deadlock, SQLite still busy)."""
    if getattr(error.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    message = str(error.orig).lower()
    return isinstance(error.orig, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


def engine_url(url: str) -> str:
    """``url`` with the driver kb uses: psycopg 3 for PostgreSQL (``postgres://`` accepted too)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _day_and_time(moment: datetime) -> tuple[date, datetime]:
    utc = as_utc(moment)
    return utc.date(), utc.replace(tzinfo=None)


def _naive_utc(moment: datetime | None) -> datetime:
    return as_utc(moment or utc_now()).replace(tzinfo=None)


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL (it stays so); retry, since this PRAGMA answers "locked" without waiting."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            busy = "locked" in str(error) or "busy" in str(error)
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, and transactions kb begins itself (IMMEDIATE for writes)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy's "begin" below emit BEGIN, so DDL is transactional too (SQLAlchemy's recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # A write that starts deferred can fail with SQLITE_BUSY when it upgrades its lock; take the
        # write lock up front (waiting up to the busy timeout) instead.
        immediate = conn.get_execution_options().get("kb_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str) -> Engine:
    """An Engine for ``url``: SQLite tuned for several writers, PostgreSQL through psycopg 3."""
    resolved = engine_url(url)
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            resolved,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(resolved, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Store:
    """Reader data in one database: write batches, query for reports, purge old records.

    Thread-safe (one Engine, a connection per call). Open one Store per process, after any fork:
    an Engine's pooled connections must not cross ``fork()``.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = engine.execution_options(kb_write=True)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and migrate its schema to the latest version."""
        engine = create_store_engine(url)
        try:
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @classmethod
    def open_for(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Store:
        """The store of a knowledge base: ``KB_DATABASE_URL`` or the SQLite file in its instance folder."""
        return cls.open(database_url(settings, environ))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table(schema_version.name):
                return 0
            return int(conn.execute(select(func.max(schema_version.c.version))).scalar_one() or 0)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # -- writing --------------------------------------------------------------------------------

    def record(self, records: Iterable[Record]) -> dict[str, int]:
        """Write a mixed batch in ONE transaction (all of it or none); return the rows per kind.

        A transaction that lost to another writer (a deadlock, SQLite busy beyond its timeout) is
        tried again, up to ``WRITE_ATTEMPTS`` times.
        """
        found_searches: list[SearchRecord] = []
        found_clicks: list[ClickRecord] = []
        found_votes: list[VoteRecord] = []
        for item in records:
            if isinstance(item, SearchRecord):
                found_searches.append(item)
            elif isinstance(item, ClickRecord):
                found_clicks.append(item)
            else:
                found_votes.append(item)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with self._write() as conn:
                    return {
                        "searches": self._insert_searches(conn, found_searches),
                        "clicks": self._insert_clicks(conn, found_clicks),
                        "votes": self._upsert_votes(conn, found_votes),
                    }
            except OperationalError as error:
                # The transaction was rolled back whole, so trying again cannot count anything twice.
                if attempt == WRITE_ATTEMPTS or not _is_transient(error):
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def record_searches(self, batch: Sequence[SearchRecord]) -> int:
        with self._write() as conn:
            return self._insert_searches(conn, batch)

    def record_clicks(self, batch: Sequence[ClickRecord]) -> int:
        with self._write() as conn:
            return self._insert_clicks(conn, batch)

    def record_votes(self, batch: Sequence[VoteRecord]) -> int:
        """Write votes; the same reader's later vote on an article the same day replaces the earlier one."""
        with self._write() as conn:
            return self._upsert_votes(conn, batch)

    @staticmethod
    def _insert_searches(conn: Connection, batch: Sequence[SearchRecord]) -> int:
        """One row per distinct search of the batch (the same normalised query, language, day,
        results, fallback and source), its ``hits`` the searches it stands for, ``at`` the first of
        them and ``ms`` their mean: readers repeat searches, and each row costs index updates."""
        rows: dict[tuple[object, ...], dict[str, Any]] = {}
        for item in batch:
            day, at = _day_and_time(item.at)
            lang, query = item.lang[:MAX_LANG_LENGTH], normalize_query(item.query)
            key = (day, lang, query, item.results, item.fallback, item.source)
            row = rows.get(key)
            if row is None:
                rows[key] = {
                    "at": at, "day": day, "lang": lang, "query": query, "results": item.results,
                    "fallback": item.fallback, "ms": float(item.ms), "source": item.source, "hits": 1,
                }  # fmt: skip
            else:
                row["ms"] += (float(item.ms) - row["ms"]) / (row["hits"] + 1)  # the running mean
                row["hits"] += 1
                row["at"] = min(row["at"], at)
        if rows:
            conn.execute(searches.insert(), list(rows.values()))
        return len(batch)

    @staticmethod
    def _insert_clicks(conn: Connection, batch: Sequence[ClickRecord]) -> int:
        rows = []
        for item in batch:
            day, at = _day_and_time(item.at)
            rows.append(
                {
                    "at": at,
                    "day": day,
                    "lang": item.lang[:MAX_LANG_LENGTH],
                    "query": normalize_query(item.query),
                    "slug": item.slug[:MAX_SLUG_LENGTH],
                    "rank": item.rank,
                }
            )
        if rows:
            conn.execute(clicks.insert(), rows)
        return len(rows)

    def _upsert_votes(self, conn: Connection, batch: Sequence[VoteRecord]) -> int:
        # One row per (day, lang, slug, voter). Fold the batch first: one INSERT ... ON CONFLICT may not
        # touch the same row twice (PostgreSQL refuses), then let the database fold it into what it holds.
        folded: dict[tuple[date, str, str, str], dict[str, Any]] = {}
        for item in batch:
            day, at = _day_and_time(item.at)
            key = (day, item.lang[:MAX_LANG_LENGTH], item.slug[:MAX_SLUG_LENGTH], item.voter)
            reason = None if item.helpful else normalize_reason(item.reason)
            earlier = folded.get(key)
            if earlier is not None and reason is None and earlier["helpful"] == item.helpful:
                reason = earlier["reason"]
            folded[key] = {
                "at": at,
                "day": key[0],
                "lang": key[1],
                "slug": key[2],
                "voter": key[3],
                "helpful": item.helpful,
                "reason": reason,
            }
        if not folded:
            return 0
        statement: Any = (pg.insert if self.dialect == "postgresql" else sq.insert)(votes)
        new = statement.excluded
        # A later answer replaces the earlier one; a later "No" without a reason keeps the reason given.
        kept_reason = case(
            (new.reason.is_not(None), new.reason),
            (new.helpful == votes.c.helpful, votes.c.reason),
            else_=None,
        )
        upsert: Insert = statement.on_conflict_do_update(
            index_elements=["day", "lang", "slug", "voter"],
            set_={"helpful": new.helpful, "reason": kept_reason, "at": new.at},
        )
        # In key order: two processes upserting overlapping votes then lock rows in the same order
        # instead of deadlocking (PostgreSQL aborts one of them otherwise).
        conn.execute(upsert, [folded[key] for key in sorted(folded)])
        return len(folded)

    # -- retention ------------------------------------------------------------------------------

    def purge(self, older_than_days: int, now: datetime | None = None) -> dict[str, int]:
        """Delete every record older than ``older_than_days`` days; return the records deleted per
        kind (searches by their rows' hits)."""
        if older_than_days < 0:
            raise ValueError(f"older_than_days must not be negative, not {older_than_days}")
        cutoff = _naive_utc(now) - timedelta(days=older_than_days)
        deleted: dict[str, int] = {}
        with self._write() as conn:
            old = searches.c.at < cutoff
            deleted["searches"] = int(
                conn.execute(select(func.coalesce(func.sum(searches.c.hits), 0)).where(old)).scalar_one()
            )
            conn.execute(delete(searches).where(old))
            for name, table in (("clicks", clicks), ("votes", votes)):
                deleted[name] = conn.execute(delete(table).where(table.c.at < cutoff)).rowcount
        return deleted

    # -- queries for reports --------------------------------------------------------------------

    @staticmethod
    def _window(table: Any, since: datetime, until: datetime, lang: str | None) -> ColumnElement[bool]:
        condition = and_(table.c.at >= _naive_utc(since), table.c.at <= _naive_utc(until))
        return and_(condition, table.c.lang == lang) if lang is not None else condition

    def count_records(self) -> dict[str, int]:
        """How many records each table holds (searches by their rows' hits; for tests and checks)."""
        with self.engine.connect() as conn:
            found = {
                name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for name, table in (("clicks", clicks), ("votes", votes))
            }
            hits = conn.execute(select(func.coalesce(func.sum(searches.c.hits), 0))).scalar_one()
        return {"searches": int(hits), **found}

    def search_count(self, since: datetime, until: datetime, lang: str | None = None) -> int:
        query = select(func.coalesce(func.sum(searches.c.hits), 0)).where(
            self._window(searches, since, until, lang)
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def query_counts(
        self,
        since: datetime,
        until: datetime,
        lang: str | None = None,
        *,
        zero_results: bool | None = None,
        unopened: bool = False,
        limit: int | None = None,
    ) -> list[QueryCount]:
        """(query, lang, searches) most searched first; ``zero_results`` filters on results after fallbacks.

        ``unopened`` keeps only queries no reader opened a result of in the same window and language.
        """
        condition = self._window(searches, since, until, lang)
        if zero_results is True:
            condition = and_(condition, searches.c.results == 0)
        elif zero_results is False:
            condition = and_(condition, searches.c.results > 0)
        if unopened:
            opened = exists().where(
                clicks.c.query == searches.c.query,
                clicks.c.lang == searches.c.lang,
                self._window(clicks, since, until, None),
            )
            condition = and_(condition, ~opened)
        count = func.sum(searches.c.hits).label("n")
        query = (
            select(searches.c.query, searches.c.lang, count)
            .where(condition)
            .group_by(searches.c.query, searches.c.lang)
            .order_by(count.desc(), searches.c.query, searches.c.lang)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [(str(q), str(la), int(n)) for q, la, n in conn.execute(query)]

    def article_votes(
        self, since: datetime, until: datetime, lang: str | None = None
    ) -> list[tuple[str, str, int, int]]:
        """(slug, lang, yes, no) for every article voted on."""
        yes = func.sum(case((votes.c.helpful.is_(True), 1), else_=0))
        no = func.sum(case((votes.c.helpful.is_(True), 0), else_=1))
        query = (
            select(votes.c.slug, votes.c.lang, yes, no)
            .where(self._window(votes, since, until, lang))
            .group_by(votes.c.slug, votes.c.lang)
            .order_by(votes.c.slug, votes.c.lang)
        )
        with self.engine.connect() as conn:
            return [(str(s), str(la), int(y), int(n)) for s, la, y, n in conn.execute(query)]

    def vote_reasons(
        self, since: datetime, until: datetime, lang: str | None = None
    ) -> list[tuple[str, str, str, int]]:
        """(slug, lang, reason, count) for the reasons given with "No", most frequent first."""
        count = func.count().label("n")
        query = (
            select(votes.c.slug, votes.c.lang, votes.c.reason, count)
            .where(self._window(votes, since, until, lang), votes.c.reason.is_not(None))
            .group_by(votes.c.slug, votes.c.lang, votes.c.reason)
            .order_by(votes.c.slug, votes.c.lang, count.desc(), votes.c.reason)
        )
        with self.engine.connect() as conn:
            return [(str(s), str(la), str(r), int(n)) for s, la, r, n in conn.execute(query)]

    def searches_per_day(
        self, since: datetime, until: datetime, lang: str | None = None
    ) -> list[tuple[date, int, int]]:
        """(day, searches, zero-result searches) for each day that had searches."""
        zero = func.sum(case((searches.c.results == 0, searches.c.hits), else_=0))
        query = (
            select(searches.c.day, func.sum(searches.c.hits), zero)
            .where(self._window(searches, since, until, lang))
            .group_by(searches.c.day)
            .order_by(searches.c.day)
        )
        with self.engine.connect() as conn:
            return [(d, int(n), int(z)) for d, n, z in conn.execute(query)]

    def votes_per_day(
        self, since: datetime, until: datetime, lang: str | None = None
    ) -> list[tuple[date, int, int]]:
        """(day, yes, no) for each day that had votes."""
        yes = func.sum(case((votes.c.helpful.is_(True), 1), else_=0))
        no = func.sum(case((votes.c.helpful.is_(True), 0), else_=1))
        query = (
            select(votes.c.day, yes, no)
            .where(self._window(votes, since, until, lang))
            .group_by(votes.c.day)
            .order_by(votes.c.day)
        )
        with self.engine.connect() as conn:
            return [(d, int(y), int(n)) for d, y, n in conn.execute(query)]


def open_store(settings: Settings, environ: Mapping[str, str] | None = None) -> Store:
    """The store of a knowledge base, migrated: shorthand for ``Store.open_for(settings)``."""
    return Store.open_for(settings, environ)


def sqlite_integrity(path: str | os.PathLike[str]) -> str:
    """``PRAGMA integrity_check`` of a SQLite file ("ok" when whole), read with the standard library."""
    with closing(sqlite3.connect(path)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
