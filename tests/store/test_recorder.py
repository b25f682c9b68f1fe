"""The Recorder: records reach the database within seconds, a full queue drops at once, close flushes."""

from __future__ import annotations

import statistics
import time

import pytest

from kb.store import ClickRecord, Recorder, SearchRecord, Store, VoteRecord


def wait_for(store: Store, table: str, count: int, timeout: float = 5.0) -> float:
    """Seconds until ``table`` holds ``count`` records; fails the test after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if store.count_records()[table] >= count:
            return time.monotonic() - start
        time.sleep(0.05)
    held = store.count_records()[table]
    raise AssertionError(f"{table} holds {held} records after {timeout} s, not {count}")


def test_records_reach_the_database_within_seconds(store: Store) -> None:
    recorder = Recorder(store)  # the defaults the web layer uses
    try:
        for i in range(50):
            assert recorder.record(SearchRecord(f"q {i}", "nb", i % 2))
        assert wait_for(store, "searches", 50) < 3.0
        assert recorder.stats() == {"queued": 0, "written": 50, "dropped": 0, "failed": 0}
    finally:
        recorder.close()


def test_a_full_queue_drops_and_counts_without_blocking(sqlite_store: Store) -> None:
    recorder = Recorder(sqlite_store, maxsize=10, start=False)  # no writer: the queue stays full
    for i in range(10):
        assert recorder.record(SearchRecord(f"q {i}", "nb", 1))
    timings = []
    for i in range(1000):
        start = time.perf_counter()
        accepted = recorder.record(SearchRecord(f"over {i}", "nb", 1))
        timings.append(time.perf_counter() - start)
        assert not accepted
    assert recorder.dropped == 1000
    assert max(timings) < 0.010  # never waits for room
    assert statistics.median(timings) < 0.001
    assert recorder.close()  # what was queued is still written
    assert sqlite_store.count_records()["searches"] == 10


def test_close_flushes_the_queue_and_may_be_called_twice(store: Store) -> None:
    recorder = Recorder(store, interval=30.0, batch_size=10_000)  # would wait 30 s on its own
    for i in range(120):
        recorder.record(SearchRecord(f"q {i}", "nb", 1))
    recorder.record(VoteRecord("nb", "a", True, "v"))
    start = time.monotonic()
    assert recorder.close(timeout=10)
    assert time.monotonic() - start < 5
    assert store.count_records() == {"searches": 120, "clicks": 0, "votes": 1}
    assert recorder.close()
    assert not recorder.record(SearchRecord("after close", "nb", 1))
    assert recorder.dropped == 1


def test_flush_waits_until_what_was_queued_is_written(store: Store) -> None:
    with Recorder(store, interval=30.0, batch_size=10_000) as recorder:
        for i in range(40):
            recorder.record(SearchRecord(f"q {i}", "nb", 1))
        assert recorder.flush(timeout=10)
        assert store.count_records()["searches"] == 40
        recorder.record(SearchRecord("more", "nb", 1))
        assert recorder.flush(timeout=10)
        assert store.count_records()["searches"] == 41


def test_writes_come_in_batches_of_at_most_batch_size(sqlite_store: Store) -> None:
    recorder = Recorder(sqlite_store, batch_size=25, interval=0.2, start=False)
    for i in range(100):
        recorder.record(SearchRecord(f"q {i}", "nb", 1))
    sizes: list[int] = []
    original = sqlite_store.record

    def counting(records: object) -> dict[str, int]:
        batch = list(records)  # type: ignore[call-overload]
        sizes.append(len(batch))
        return original(batch)

    sqlite_store.record = counting  # type: ignore[method-assign]
    recorder.start()
    assert recorder.close()
    assert sizes == [25, 25, 25, 25]


def test_a_failing_database_loses_the_batch_but_not_the_writer(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with Recorder(sqlite_store, interval=0.05) as recorder:
        sqlite_store.engine.dispose()
        with sqlite_store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE kb_clicks")  # the next write of a click fails
        recorder.record(ClickRecord("q", "nb", "a", 1))
        assert recorder.flush(timeout=5)
        recorder.record(SearchRecord("still written", "nb", 1))
        assert recorder.flush(timeout=5)
    assert recorder.stats()["failed"] == 1
    assert "lost a batch of 1 records" in caplog.text
    assert recorder.stats()["written"] == 1
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM kb_searches").scalar() == 1
