"""The database tables and the versioned schema that migrates itself when a store opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from kb.store.records import MAX_LANG_LENGTH, MAX_QUERY_LENGTH, MAX_REASON_LENGTH, MAX_SLUG_LENGTH

# One key for every kb process sharing a PostgreSQL database ("kbst" in ASCII).
ADVISORY_LOCK_KEY = 0x6B627374

metadata = MetaData()

# A 64-bit key on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-numbered rowid.
_Id = BigInteger().with_variant(Integer(), "sqlite")

schema_version = Table(
    "kb_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime(timezone=False), nullable=False),
)

searches = Table(
    "kb_searches",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=False), nullable=False),  # UTC
    Column("day", Date, nullable=False),  # UTC
    Column("lang", String(MAX_LANG_LENGTH), nullable=False),
    Column("query", String(MAX_QUERY_LENGTH), nullable=False),
    Column("results", Integer, nullable=False),  # after every fallback
    Column("fallback", String(16), nullable=True),  # None, "any-term", "fuzzy"
    Column("ms", Float, nullable=False),  # the mean time of the row's searches
    Column("source", String(16), nullable=False),  # "page", "api", "suggest-final"
    # How many searches the row stands for: the same search answered again within one batch of the
    # recorder is one row (since schema version 3; a row written before counts one).
    Column("hits", Integer, nullable=False, server_default="1"),
)

clicks = Table(
    "kb_clicks",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=False), nullable=False),
    Column("day", Date, nullable=False),
    Column("lang", String(MAX_LANG_LENGTH), nullable=False),
    Column("query", String(MAX_QUERY_LENGTH), nullable=False),
    Column("slug", String(MAX_SLUG_LENGTH), nullable=False),
    Column("rank", Integer, nullable=False),
)

votes = Table(
    "kb_votes",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=False), nullable=False),
    Column("day", Date, nullable=False),
    Column("lang", String(MAX_LANG_LENGTH), nullable=False),
    Column("slug", String(MAX_SLUG_LENGTH), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("reason", String(MAX_REASON_LENGTH), nullable=True),
    Column("voter", String(64), nullable=False),  # voter_hash: salted, daily; never an address
    UniqueConstraint("day", "lang", "slug", "voter", name="uq_kb_votes_one_per_reader_day"),
)


def _v1_tables(conn: Connection) -> None:
    for table in (searches, clicks, votes):
        table.create(conn)


def _v2_indexes(conn: Connection) -> None:
    # Reports and purges select by time; the report groups searches by language and query.
    for statement in (
        "CREATE INDEX IF NOT EXISTS ix_kb_searches_at ON kb_searches (at)",
        "CREATE INDEX IF NOT EXISTS ix_kb_searches_lang_query ON kb_searches (lang, query)",
        "CREATE INDEX IF NOT EXISTS ix_kb_clicks_at ON kb_clicks (at)",
        "CREATE INDEX IF NOT EXISTS ix_kb_clicks_lang_query ON kb_clicks (lang, query)",
        "CREATE INDEX IF NOT EXISTS ix_kb_votes_at ON kb_votes (at)",
    ):
        conn.execute(text(statement))


def _v3_search_hits(conn: Connection) -> None:
    # Identical searches of one batch become one row: writes cost per distinct search, not per search.
    if "hits" not in {c["name"] for c in inspect(conn).get_columns("kb_searches")}:
        conn.execute(text("ALTER TABLE kb_searches ADD COLUMN hits INTEGER NOT NULL DEFAULT 1"))


# MIGRATIONS[n - 1] brings a database from version n - 1 to version n. Append, never edit.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1_tables, _v2_indexes, _v3_search_hits)
LATEST_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The schema version recorded in the database; 0 for an empty database."""
    schema_version.create(conn, checkfirst=True)
    found = conn.execute(select(func.max(schema_version.c.version))).scalar_one_or_none()
    return int(found or 0)


def migrate(engine: Engine, target: int = LATEST_VERSION) -> int:
    """Bring the database up to ``target`` in one locked transaction; return the version it is at.

    Safe when several processes open the store at once: PostgreSQL serialises them with an advisory
    lock, SQLite with ``BEGIN IMMEDIATE`` (the store's write transactions); both run DDL inside the
    transaction, so a migration is applied whole or not at all. A database at ``target`` or newer is
    left untouched.
    """
    if not 0 <= target <= LATEST_VERSION:
        raise ValueError(f"schema version {target} is unknown (latest: {LATEST_VERSION})")
    with engine.execution_options(kb_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        version = current_version(conn)
        for number in range(version + 1, target + 1):
            MIGRATIONS[number - 1](conn)
            conn.execute(
                insert(schema_version).values(
                    version=number, applied_at=datetime.now(UTC).replace(tzinfo=None)
                )
            )
            version = number
        return version
