"""Reader data (searches, result clicks, article votes) in SQLite or PostgreSQL, and the report on it.

The records, the recorder and the store's address import no database library; ``Store``,
``open_store``, ``build_report`` and ``LATEST_VERSION`` load SQLAlchemy on first use (a command
that never opens the store, such as ``kb build``, never pays for it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from kb.store.location import database_url
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

if TYPE_CHECKING:
    from kb.store.reports import build_report
    from kb.store.schema import LATEST_VERSION
    from kb.store.store import Store, open_store

_LAZY = {
    "Store": "kb.store.store",
    "open_store": "kb.store.store",
    "build_report": "kb.store.reports",
    "LATEST_VERSION": "kb.store.schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kb.store' has no attribute {name!r}")


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
