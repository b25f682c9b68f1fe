"""A separate OS process that writes reader data through a Recorder (run with ``python -m``).

``write URL TAG N``: N searches (query ``TAG <i>``), N clicks and votes on keys shared with other
workers, then a clean close; prints the recorder's counters as JSON.
``rounds URL SIZE``: rounds of SIZE searches (query ``r<round> <i>``), each flushed as one batch,
until the process is killed.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from kb.store import ClickRecord, Recorder, SearchRecord, Store, VoteRecord

# Every worker votes at the same moment, so that their votes collide on (day, lang, slug, voter).
VOTE_TIME = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


def write(url: str, tag: str, count: int) -> None:
    store = Store.open(url)
    recorder = Recorder(store, batch_size=100, interval=0.1, maxsize=count * 3 + 10)
    for i in range(count):
        recorder.record(SearchRecord(f"{tag} {i}", "nb", i % 3, source="api"))
        recorder.record(ClickRecord(f"{tag} {i}", "nb", f"article-{i % 7}", 1 + i % 5))
        recorder.record(VoteRecord("nb", f"article-{i % 10}", i % 2 == 0, f"voter-{i % 4}", at=VOTE_TIME))
    closed = recorder.close(timeout=60)
    store.close()
    print(json.dumps({"closed": closed, **recorder.stats()}))


def rounds(url: str, size: int) -> None:
    store = Store.open(url)
    recorder = Recorder(store, batch_size=size, interval=60, maxsize=size * 2)
    number = 0
    while True:
        for i in range(size):
            recorder.record(SearchRecord(f"r{number} {i}", "nb", 1))
        recorder.flush(timeout=60)
        number += 1


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    if mode == "write":
        write(url, rest[0], int(rest[1]))
    elif mode == "rounds":
        rounds(url, int(rest[0]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
