"""Separate OS processes: two writers to one PostgreSQL lose nothing; SIGKILL mid-write corrupts nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

from sqlalchemy import func, select

from kb.store import Store
from kb.store.schema import clicks, searches, votes
from kb.store.store import sqlite_integrity

ROOT = Path(__file__).resolve().parents[2]
PER_WORKER = 1500


def worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.worker", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_writing_to_one_postgresql_lose_nothing(fresh_postgres_database: str) -> None:
    url = fresh_postgres_database
    processes = [worker("write", url, tag, str(PER_WORKER)) for tag in ("a", "b")]  # both migrate at once
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert "lost a batch" not in err, err
        assert json.loads(out) == {
            "closed": True,
            "queued": 0,
            "written": 3 * PER_WORKER,
            "dropped": 0,
            "failed": 0,
        }
    with Store.open(url) as store, store.engine.connect() as conn:
        queries = Counter(conn.execute(select(searches.c.query)).scalars())
        assert len(queries) == 2 * PER_WORKER and set(queries.values()) == {1}
        assert {f"{tag} {i}" for tag in "ab" for i in range(PER_WORKER)} == set(queries)
        assert conn.execute(select(func.count()).select_from(clicks)).scalar_one() == 2 * PER_WORKER
        # Both processes voted on the same 10 articles as the same 4 readers on one day: 10 x 4 pairs
        # at most, and each (article, reader) is one row, however the writes interleaved.
        keys = Counter(conn.execute(select(votes.c.slug, votes.c.voter)).all())
        assert set(keys.values()) == {1}
        assert len(keys) == 20  # article-i is voted on by voter-(i mod 4) for i = article number mod 10


def test_a_writer_killed_mid_batch_leaves_a_whole_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite3"
    size = 400
    process = worker("rounds", f"sqlite:///{path}", str(size))
    try:
        deadline = time.monotonic() + 30
        written = 0
        while written < 5 * size:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, f"only {written} rows after 30 s"
            time.sleep(0.02)
            if path.exists():
                try:
                    with closing(sqlite3.connect(path, timeout=5)) as conn:
                        written = conn.execute("SELECT coalesce(sum(hits), 0) FROM kb_searches").fetchone()[0]
                except sqlite3.OperationalError:  # the table is not there yet
                    written = 0
        os.kill(process.pid, signal.SIGKILL)  # the writer is writing round after round
    finally:
        process.kill()
        process.wait(10)

    assert sqlite_integrity(path) == "ok"
    with Store.open(f"sqlite:///{path}") as store, store.engine.connect() as conn:
        rows = conn.execute(select(searches.c.query)).scalars().all()
    per_round = Counter(int(query.split()[0][1:]) for query in rows)
    assert set(per_round.values()) == {size}  # whole batches only
    assert sorted(per_round) == list(range(len(per_round)))  # in order, none lost before the last
    assert len(per_round) >= 5
