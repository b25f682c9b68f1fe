"""Query and reason normalisation, the voter hash and record validation."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from kb.store import SearchRecord, VoteRecord, normalize_query, normalize_reason, voter_hash
from kb.store.records import MAX_QUERY_LENGTH, MAX_REASON_LENGTH


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Glemt Passord", "glemt passord"),
        ("  glemt \t\n  passord  ", "glemt passord"),
        ("GLEMT\u00a0PASSORD", "glemt passord"),  # no-break space is whitespace
        ("fa\u0308rge", "f\u00e4rge"),  # combining diaeresis composed (NFC)
        ("F\u00c5R", "f\u00e5r"),
        ("e\u00adpost", "epost"),  # soft hyphen dropped
        ("pass\u200bord", "passord"),  # zero-width space dropped
        ("nul\x00byte", "nulbyte"),  # PostgreSQL text cannot hold NUL
        ("lone \ud800 surrogate", "lone surrogate"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_query_examples(raw: str, expected: str) -> None:
    assert normalize_query(raw) == expected


def test_normalize_query_caps_the_length() -> None:
    assert normalize_query("a" * 1000) == "a" * MAX_QUERY_LENGTH
    assert normalize_query("ab " * 100) == ("ab " * 100)[:MAX_QUERY_LENGTH].strip()


@given(st.text(max_size=300))
def test_normalized_queries_are_nfc_lower_collapsed_capped_and_stable(raw: str) -> None:
    query = normalize_query(raw)
    assert normalize_query(query) == query
    assert unicodedata.is_normalized("NFC", query)
    assert query == unicodedata.normalize("NFC", query.lower())
    assert query == " ".join(query.split())
    assert len(query) <= MAX_QUERY_LENGTH
    query.encode("utf-8")  # no lone surrogates


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Zs", "Mn"]), max_size=60))
def test_case_and_spacing_variants_normalize_alike(raw: str) -> None:
    # Letters whose capital is other letters ("ß" -> "SS") make another query, not a variant.
    assume(normalize_query(raw).upper().lower() == normalize_query(raw))
    shouted = "  " + raw.upper().replace(" ", " \t ") + "\n"
    assert normalize_query(shouted) == normalize_query(normalize_query(raw).upper())


def test_normalize_reason_keeps_case_collapses_and_caps() -> None:
    assert normalize_reason("  Utdatert\n\nskjermbilde ") == "Utdatert skjermbilde"
    assert normalize_reason("   ") is None
    assert normalize_reason(None) is None
    assert normalize_reason("x" * 5000) == "x" * MAX_REASON_LENGTH


def test_voter_hash_is_daily_salted_and_hides_the_client() -> None:
    day = date(2024, 5, 10)
    one = voter_hash("secret", day, "203.0.113.9 Firefox")
    assert one == voter_hash(b"secret", day, "203.0.113.9 Firefox")
    assert len(one) == 64 and "203.0.113.9" not in one
    assert one != voter_hash("secret", date(2024, 5, 11), "203.0.113.9 Firefox")
    assert one != voter_hash("other", day, "203.0.113.9 Firefox")
    assert one != voter_hash("secret", day, "203.0.113.10 Firefox")


def test_records_refuse_unknown_fallbacks_and_sources() -> None:
    with pytest.raises(ValueError, match="fallback"):
        SearchRecord("q", "nb", 0, fallback="spelling")
    with pytest.raises(ValueError, match="source"):
        SearchRecord("q", "nb", 0, source="suggest")
    with pytest.raises(ValueError, match="negative"):
        SearchRecord("q", "nb", -1)


def test_the_day_of_a_record_is_its_utc_date() -> None:
    late = datetime.fromisoformat("2024-05-10T23:30:00-02:00")
    assert VoteRecord("nb", "a", True, "v", at=late).day == date(2024, 5, 11)
    assert SearchRecord("q", "nb", 1, at=datetime(2024, 5, 10, 1, tzinfo=UTC)).day == date(2024, 5, 10)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=250))
def test_plain_ascii_queries_follow_the_same_rules_as_any_other(raw: str) -> None:
    # ASCII takes a shortcut (no NFC, no invisible characters to look up): the same rules must hold.
    kept = "".join(" " if c.isspace() else c for c in raw if c.isspace() or unicodedata.category(c) != "Cc")
    assert normalize_query(raw) == " ".join(kept.lower().split())[:MAX_QUERY_LENGTH].strip()
