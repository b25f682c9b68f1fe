"""The ``kb report --json`` contract, numbers checked exactly on both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kb.store import ClickRecord, SearchRecord, Store, VoteRecord, build_report
from kb.store.reports import suggest_articles, title_similarity

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
HOUR_AGO = NOW - timedelta(hours=1)
YESTERDAY = NOW - timedelta(days=1)
TITLES = {
    "nb": {
        "faktura-og-betaling": "Faktura og betaling",
        "tilbakestill-passord": "Tilbakestill passordet ditt",
    },
    "en": {"reset-password": "Reset your password"},
}


@pytest.fixture
def filled(store: Store) -> Store:
    """Nine searches, two clicks and eight votes (seven verdicts) in the window, and two searches outside."""
    store.record(
        [
            *[SearchRecord("Passord", "nb", 3, at=HOUR_AGO) for _ in range(3)],
            SearchRecord("  FAKTURA ", "nb", 0, at=YESTERDAY),
            SearchRecord("faktura", "nb", 0, at=HOUR_AGO),
            SearchRecord("fakturaa", "nb", 2, fallback="fuzzy", at=HOUR_AGO),  # fell back, found
            SearchRecord("betaling kort", "nb", 4, fallback="any-term", at=HOUR_AGO),
            SearchRecord("xyz", "nb", 0, fallback="fuzzy", at=HOUR_AGO),  # nothing even after fallbacks
            SearchRecord("password", "en", 5, source="api", at=HOUR_AGO),
            SearchRecord("gammel", "nb", 0, at=NOW - timedelta(days=40)),  # outside the window
            SearchRecord("fremtid", "nb", 0, at=NOW + timedelta(days=1)),  # after `now`
            ClickRecord("passord", "nb", "tilbakestill-passord", 1, at=HOUR_AGO),
            ClickRecord("password", "sv", "reset-password", 1, at=HOUR_AGO),  # another language
            VoteRecord("nb", "tilbakestill-passord", True, "v1", at=HOUR_AGO),
            VoteRecord("nb", "tilbakestill-passord", True, "v1", at=HOUR_AGO),  # the same reader again
            VoteRecord("nb", "tilbakestill-passord", True, "v2", at=HOUR_AGO),
            VoteRecord("nb", "tilbakestill-passord", False, "v3", reason="Utdatert", at=HOUR_AGO),
            VoteRecord("nb", "tilbakestill-passord", False, "v4", reason="Utdatert", at=HOUR_AGO),
            VoteRecord("nb", "tilbakestill-passord", False, "v5", at=HOUR_AGO),
            VoteRecord("en", "reset-password", True, "v1", at=HOUR_AGO),
            VoteRecord("nb", "faktura-og-betaling", False, "v6", reason="Mangler bilder", at=YESTERDAY),
        ]
    )
    return store


def q(query: str, lang: str, count: int) -> dict[str, Any]:
    return {"query": query, "lang": lang, "count": count}


def test_the_report_keeps_its_contract(filled: Store) -> None:
    report = build_report(filled, since_days=30, now=NOW, titles=TITLES)
    json.dumps(report)  # JSON-ready as it is
    assert report["searches"] == 9
    assert report["top_queries"] == [
        q("passord", "nb", 3),
        q("faktura", "nb", 2),
        q("betaling kort", "nb", 1),
        q("fakturaa", "nb", 1),
        q("password", "en", 1),
        q("xyz", "nb", 1),
    ]
    assert report["zero_result_queries"] == [q("faktura", "nb", 2), q("xyz", "nb", 1)]
    assert report["unopened_queries"] == [
        q("betaling kort", "nb", 1),
        q("fakturaa", "nb", 1),
        q("password", "en", 1),
    ]
    assert report["articles"] == [
        {
            "slug": "faktura-og-betaling",
            "lang": "nb",
            "title": "Faktura og betaling",
            "yes": 0,
            "no": 1,
            "helpful_share": 0.0,
            "reasons": [{"reason": "Mangler bilder", "count": 1}],
        },
        {
            "slug": "tilbakestill-passord",
            "lang": "nb",
            "title": "Tilbakestill passordet ditt",
            "yes": 2,
            "no": 3,
            "helpful_share": 0.4,
            "reasons": [{"reason": "Utdatert", "count": 2}],
        },
        {
            "slug": "reset-password",
            "lang": "en",
            "title": "Reset your password",
            "yes": 1,
            "no": 0,
            "helpful_share": 1.0,
            "reasons": [],
        },
    ]
    assert report["suggestions"] == [
        {
            "query": "faktura",
            "lang": "nb",
            "count": 2,
            "articles": [{"slug": "faktura-og-betaling", "title": "Faktura og betaling", "score": 1.0}],
        }
    ]
    assert report["period"] == {
        "since": "2024-04-10T12:00:00+00:00",
        "until": "2024-05-10T12:00:00+00:00",
        "days": 30,
        "lang": None,
    }


def test_the_series_have_one_entry_per_day_for_the_charts(filled: Store) -> None:
    report = build_report(filled, since_days=30, now=NOW)
    per_day = report["searches_per_day"]
    assert len(per_day) == 31  # 10 April to 10 May, both ends included
    assert per_day[0] == {"day": "2024-04-10", "searches": 0, "zero_results": 0}
    assert per_day[-2:] == [
        {"day": "2024-05-09", "searches": 1, "zero_results": 1},
        {"day": "2024-05-10", "searches": 8, "zero_results": 2},
    ]
    assert report["zero_result_share_per_day"][-2:] == [
        {"day": "2024-05-09", "share": 1.0},
        {"day": "2024-05-10", "share": 0.25},
    ]
    assert report["zero_result_share_per_day"][0] == {"day": "2024-04-10", "share": 0.0}
    assert report["helpfulness_per_day"][-2:] == [
        {"day": "2024-05-09", "yes": 0, "no": 1},
        {"day": "2024-05-10", "yes": 3, "no": 3},
    ]


def test_one_language(filled: Store) -> None:
    report = build_report(filled, now=NOW, lang="en", titles=TITLES)
    assert report["searches"] == 1
    assert report["top_queries"] == [q("password", "en", 1)]
    assert report["zero_result_queries"] == []
    assert report["unopened_queries"] == [q("password", "en", 1)]  # the click was in Swedish
    assert [(a["slug"], a["yes"], a["no"]) for a in report["articles"]] == [("reset-password", 1, 0)]
    assert report["suggestions"] == []


def test_a_shorter_period(filled: Store) -> None:
    report = build_report(filled, since_days=1, now=NOW)
    assert report["searches"] == 9  # yesterday 11:00 is within a day of today 12:00
    report = build_report(filled, since_days=1, now=NOW + timedelta(hours=2))
    assert report["searches"] == 8
    assert report["zero_result_queries"] == [q("faktura", "nb", 1), q("xyz", "nb", 1)]


def test_a_fallback_that_found_something_is_not_a_zero_result(store: Store) -> None:
    store.record(
        [
            SearchRecord("a", "nb", 1, fallback="any-term", at=HOUR_AGO),
            SearchRecord("b", "nb", 2, fallback="fuzzy", at=HOUR_AGO),
            SearchRecord("c", "nb", 0, fallback="any-term", at=HOUR_AGO),
            SearchRecord("d", "nb", 0, fallback=None, at=HOUR_AGO),
        ]
    )
    report = build_report(store, now=NOW)
    assert [z["query"] for z in report["zero_result_queries"]] == ["c", "d"]


def test_an_opened_query_is_not_unopened_even_once(store: Store) -> None:
    store.record(
        [
            *[SearchRecord("passord", "nb", 3, at=HOUR_AGO) for _ in range(4)],
            SearchRecord("faktura", "nb", 3, at=HOUR_AGO),
            ClickRecord("Passord", "nb", "tilbakestill-passord", 2, at=HOUR_AGO),
            ClickRecord("faktura", "nb", "x", 1, at=NOW - timedelta(days=60)),  # too old to count
        ]
    )
    report = build_report(store, now=NOW)
    assert report["unopened_queries"] == [q("faktura", "nb", 1)]


def test_an_empty_store_reports_zeros(store: Store) -> None:
    report = build_report(store, since_days=7, now=NOW)
    assert report["searches"] == 0
    for key in ("top_queries", "zero_result_queries", "unopened_queries", "articles", "suggestions"):
        assert report[key] == []
    assert len(report["searches_per_day"]) == 8


def test_suggestions_are_close_titles_best_first() -> None:
    assert title_similarity("passord", "Tilbakestill passordet ditt") == 1.0
    assert title_similarity("pasord", "Tilbakestill passordet ditt") > 0.6
    assert title_similarity("kvittering", "Tilbakestill passordet ditt") < 0.6
    found = suggest_articles("tilbakestil pasord", "nb", TITLES)
    assert [a["slug"] for a in found] == ["tilbakestill-passord"]
    assert suggest_articles("passord", "sv", TITLES) == []


def test_the_period_must_be_a_day_at_least(store: Store) -> None:
    with pytest.raises(ValueError, match="since_days"):
        build_report(store, since_days=0)
