"""Writing and purging reader data on both engines: votes counted once per reader, article and day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kb.store import ClickRecord, SearchRecord, Store, VoteRecord, normalize_query, voter_hash
from kb.store.schema import searches, votes

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
SECRET = "site-secret"


def voter(client: str, moment: datetime = NOW) -> str:
    return voter_hash(SECRET, moment.date(), client)


def vote_rows(store: Store) -> list[tuple[str, bool, str | None]]:
    with store.engine.connect() as conn:
        query = select(votes.c.slug, votes.c.helpful, votes.c.reason).order_by(votes.c.slug, votes.c.id)
        return [(s, bool(h), r) for s, h, r in conn.execute(query)]


def test_a_repeated_vote_the_same_day_counts_once(store: Store) -> None:
    alice = voter("alice")
    for _ in range(3):
        store.record_votes([VoteRecord("nb", "passord", True, alice, at=NOW)])
    store.record_votes([VoteRecord("nb", "passord", True, alice, at=NOW + timedelta(hours=5))])
    assert vote_rows(store) == [("passord", True, None)]


def test_a_later_answer_the_same_day_replaces_the_earlier(store: Store) -> None:
    alice = voter("alice")
    store.record_votes([VoteRecord("nb", "passord", True, alice, at=NOW)])
    store.record_votes([VoteRecord("nb", "passord", False, alice, reason="Utdatert", at=NOW)])
    assert vote_rows(store) == [("passord", False, "Utdatert")]
    store.record_votes([VoteRecord("nb", "passord", True, alice, at=NOW)])
    assert vote_rows(store) == [("passord", True, None)]  # a "Yes" carries no reason


def test_a_no_with_its_reason_is_one_vote(store: Store) -> None:
    vote = VoteRecord("nb", "passord", False, voter("bob"), reason="  Mangler   bilder ", at=NOW)
    store.record_votes([vote])
    assert vote_rows(store) == [("passord", False, "Mangler bilder")]


def test_a_no_then_its_reason_in_a_second_post_is_one_vote(store: Store) -> None:
    bob = voter("bob")
    store.record_votes([VoteRecord("nb", "passord", False, bob, at=NOW)])
    store.record_votes([VoteRecord("nb", "passord", False, bob, reason="Utdatert", at=NOW)])
    store.record_votes([VoteRecord("nb", "passord", False, bob, at=NOW)])  # the reason stays
    assert vote_rows(store) == [("passord", False, "Utdatert")]


def test_duplicates_inside_one_batch_fold_into_one_vote(store: Store) -> None:
    bob = voter("bob")
    store.record(
        [
            VoteRecord("nb", "passord", False, bob, reason="Utdatert", at=NOW),
            VoteRecord("nb", "passord", False, bob, at=NOW),
            VoteRecord("nb", "faktura", True, bob, at=NOW),
            VoteRecord("nb", "faktura", True, bob, at=NOW),
        ]
    )
    assert vote_rows(store) == [("faktura", True, None), ("passord", False, "Utdatert")]


def test_votes_differ_by_day_language_article_and_reader(store: Store) -> None:
    tomorrow = NOW + timedelta(days=1)
    store.record_votes(
        [
            VoteRecord("nb", "passord", True, voter("alice"), at=NOW),
            VoteRecord("nb", "passord", True, voter("alice", tomorrow), at=tomorrow),
            VoteRecord("sv", "passord", True, voter("alice"), at=NOW),
            VoteRecord("nb", "faktura", True, voter("alice"), at=NOW),
            VoteRecord("nb", "passord", True, voter("carol"), at=NOW),
        ]
    )
    assert len(vote_rows(store)) == 5


def test_searches_and_clicks_are_stored_normalized(store: Store) -> None:
    counts = store.record(
        [
            SearchRecord("  Glemt   PASSORD ", "nb", 2, fallback="fuzzy", ms=12.5, source="api", at=NOW),
            ClickRecord("GLEMT passord", "nb", "tilbakestill-passord", 1, at=NOW),
        ]
    )
    assert counts == {"searches": 1, "clicks": 1, "votes": 0}
    with store.engine.connect() as conn:
        row = conn.execute(select(searches)).one()
    assert (row.query, row.lang, row.results, row.fallback, row.ms, row.source) == (
        "glemt passord",
        "nb",
        2,
        "fuzzy",
        12.5,
        "api",
    )
    assert row.day == NOW.date()
    assert row.at == NOW.replace(tzinfo=None)


def test_the_same_search_in_one_batch_is_one_row_counted_as_often_as_it_was_made(store: Store) -> None:
    """Readers repeat searches: a batch writes one row per distinct search (its hits, the first time,
    the mean time), and every report counts each search."""
    later = NOW + timedelta(seconds=1)
    batch = [SearchRecord("Glemt passord", "nb", 2, ms=10.0, at=later)] * 3
    batch += [SearchRecord("glemt  PASSORD", "nb", 2, ms=40.0, at=NOW)]  # the same, normalised
    batch += [SearchRecord("glemt passord", "nb", 2, ms=5.0, source="api", at=NOW)]  # another source
    batch += [SearchRecord("zzqx", "nb", 0, at=NOW)] * 2
    assert store.record_searches(batch) == 7
    with store.engine.connect() as conn:
        rows = conn.execute(select(searches).order_by(searches.c.query, searches.c.source)).all()
    assert [(r.query, r.source, r.hits) for r in rows] == [
        ("glemt passord", "api", 1), ("glemt passord", "page", 4), ("zzqx", "page", 2),
    ]  # fmt: skip
    assert rows[1].ms == 17.5 and rows[1].at == NOW.replace(tzinfo=None)
    since, until = NOW - timedelta(days=1), NOW + timedelta(days=1)
    assert store.search_count(since, until) == 7
    assert store.query_counts(since, until) == [("glemt passord", "nb", 5), ("zzqx", "nb", 2)]
    assert store.query_counts(since, until, zero_results=True) == [("zzqx", "nb", 2)]
    assert store.searches_per_day(since, until) == [(NOW.date(), 7, 2)]
    assert store.count_records()["searches"] == 7
    assert store.purge(0, now=NOW + timedelta(days=1)) == {"searches": 7, "clicks": 0, "votes": 0}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(max_size=250))
def test_any_query_text_round_trips_as_its_normalized_form(store: Store, raw: str) -> None:
    store.record_searches([SearchRecord(raw, "nb", 0)])
    with store.engine.connect() as conn:
        stored = conn.execute(select(searches.c.query).order_by(searches.c.id.desc()).limit(1)).scalar_one()
    assert stored == normalize_query(raw)


def test_purge_deletes_records_older_than_the_retention(store: Store) -> None:
    for age in (40, 10, 0):
        moment = NOW - timedelta(days=age)
        store.record(
            [
                SearchRecord(f"q{age}", "nb", 1, at=moment),
                ClickRecord(f"q{age}", "nb", "a", 1, at=moment),
                VoteRecord("nb", "a", True, voter("x", moment), at=moment),
            ]
        )
    assert store.purge(30, now=NOW) == {"searches": 1, "clicks": 1, "votes": 1}
    assert store.count_records() == {"searches": 2, "clicks": 2, "votes": 2}
    assert store.purge(30, now=NOW) == {"searches": 0, "clicks": 0, "votes": 0}
    assert store.purge(5, now=NOW) == {"searches": 1, "clicks": 1, "votes": 1}


def test_an_empty_batch_writes_nothing(store: Store) -> None:
    assert store.record([]) == {"searches": 0, "clicks": 0, "votes": 0}
    assert store.record_votes([]) == 0
