"""Where reader data lives: ``KB_DATABASE_URL`` when set, else a SQLite file in the instance folder.

Kept apart from ``kb.store.store`` so that the web app, which needs the address when it starts,
imports SQLAlchemy only when it first opens the store (``kb build`` and ``kb check`` never do).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kb.settings import Settings

DATABASE_URL_ENV = "KB_DATABASE_URL"
SQLITE_FILENAME = "kb.sqlite3"


def database_url(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """``KB_DATABASE_URL`` when set, else the SQLite file ``<instance_dir>/kb.sqlite3``."""
    env = os.environ if environ is None else environ
    configured = env.get(DATABASE_URL_ENV, "").strip()
    if configured:
        return configured
    return f"sqlite:///{settings.instance_dir / SQLITE_FILENAME}"
