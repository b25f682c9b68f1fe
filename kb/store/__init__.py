"""Reader data (searches, result clicks, article votes) in SQLite or PostgreSQL, and the report on it."""

from __future__ import annotations

from kb.store.recorder import Recorder
from kb.store.records import (
    ClickRecord,
    Record,
    SearchRecord,
    VoteRecord,
    normalize_query,
    normalize_reason,
    voter_hash,
)
from kb.store.reports import build_report
from kb.store.schema import LATEST_VERSION
from kb.store.store import Store, database_url, open_store

__all__ = [
    "LATEST_VERSION",
    "ClickRecord",
    "Record",
    "Recorder",
    "SearchRecord",
    "Store",
    "VoteRecord",
    "build_report",
    "database_url",
    "normalize_query",
    "normalize_reason",
    "open_store",
    "voter_hash",
]
