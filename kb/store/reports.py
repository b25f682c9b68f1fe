"""The authors' report (the ``kb report --json`` contract) built from a Store as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from difflib import SequenceMatcher
from typing import Any

from kb.store.records import as_utc, normalize_query, utc_now
from kb.store.store import QueryCount, Store

DEFAULT_SINCE_DAYS = 30
DEFAULT_LIMIT = 50
SUGGESTION_THRESHOLD = 0.6
SUGGESTIONS_PER_QUERY = 3

Titles = Mapping[str, Mapping[str, str]]  # lang -> {slug: title}


def _query_rows(rows: list[QueryCount]) -> list[dict[str, Any]]:
    return [{"query": query, "lang": lang, "count": count} for query, lang, count in rows]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _word_similarity(word: str, other: str) -> float:
    if other.startswith(word) or word.startswith(other):  # passord ~ passordet, konto ~ kontoen
        return 1.0 if min(len(word), len(other)) >= 3 else 0.0
    return SequenceMatcher(None, word, other).ratio()


def title_similarity(query: str, title: str) -> float:
    """How close a normalised query is to a title, 0..1: each query word's best match among the title's.

    The mean over the query's words of the best ratio (difflib) against a title word, a shared prefix
    of three letters or more counting as a full match; or the ratio of the whole strings, if higher.
    """
    words = query.split()
    title_words = normalize_query(title).split()
    if not words or not title_words:
        return 0.0
    per_word = sum(max(_word_similarity(w, t) for t in title_words) for w in words) / len(words)
    whole = SequenceMatcher(None, query, " ".join(title_words)).ratio()
    return round(max(per_word, whole), 3)


def suggest_articles(
    query: str, lang: str, titles: Titles, limit: int = SUGGESTIONS_PER_QUERY
) -> list[dict[str, Any]]:
    """The articles of ``lang`` whose titles are closest to ``query``, best first, ties by slug."""
    scored = [(title_similarity(query, title), slug, title) for slug, title in titles.get(lang, {}).items()]
    chosen = sorted((s for s in scored if s[0] >= SUGGESTION_THRESHOLD), key=lambda s: (-s[0], s[1]))
    return [{"slug": slug, "title": title, "score": score} for score, slug, title in chosen[:limit]]


def _articles(
    store: Store, since: datetime, until: datetime, lang: str | None, titles: Titles
) -> list[dict[str, Any]]:
    reasons: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for slug, article_lang, reason, count in store.vote_reasons(since, until, lang):
        reasons.setdefault((slug, article_lang), []).append({"reason": reason, "count": count})
    articles: list[dict[str, Any]] = [
        {
            "slug": slug,
            "lang": article_lang,
            "title": titles.get(article_lang, {}).get(slug),
            "yes": yes,
            "no": no,
            "helpful_share": round(yes / (yes + no), 3),
            "reasons": reasons.get((slug, article_lang), []),
        }
        for slug, article_lang, yes, no in store.article_votes(since, until, lang)
    ]
    # Least helpful first (that is where authors should look), then the most voted, then by name.
    articles.sort(key=lambda a: (a["helpful_share"], -(a["yes"] + a["no"]), a["slug"], a["lang"]))
    return articles


def build_report(
    store: Store,
    since_days: int = DEFAULT_SINCE_DAYS,
    lang: str | None = None,
    now: datetime | None = None,
    titles: Titles | None = None,
    limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The report of the last ``since_days`` days up to ``now``, one language or all; JSON-ready.

    Keys: ``searches`` (count), ``zero_result_queries``, ``top_queries`` and ``unopened_queries``
    (lists of ``{"query", "lang", "count"}``, most frequent first, at most ``limit``), ``articles``
    (``{"slug", "lang", "title", "yes", "no", "helpful_share", "reasons": [{"reason", "count"}]}``,
    least helpful first), ``searches_per_day`` (``{"day", "searches", "zero_results"}``),
    ``zero_result_share_per_day`` (``{"day", "share"}``), ``helpfulness_per_day`` (``{"day", "yes",
    "no"}``), one entry for every day of the period, and ``suggestions`` (``{"query", "lang", "count",
    "articles": [{"slug", "title", "score"}]}`` for zero-result queries close to an article title),
    plus ``period`` (``{"since", "until", "days", "lang"}``).
    A zero-result query is one whose reader got no result at all, after every fallback.
    """
    if since_days < 1:
        raise ValueError(f"since_days must be at least 1, not {since_days}")
    until = as_utc(now) if now is not None else utc_now()
    since = until - timedelta(days=since_days)
    titles = titles or {}

    zero = store.query_counts(since, until, lang, zero_results=True, limit=limit)
    per_day = {d: (n, z) for d, n, z in store.searches_per_day(since, until, lang)}
    votes_per_day = {d: (y, n) for d, y, n in store.votes_per_day(since, until, lang)}
    days = _days(since.date(), until.date())

    suggestions = []
    for query, query_lang, count in zero:
        found = suggest_articles(query, query_lang, titles)
        if found:
            suggestions.append({"query": query, "lang": query_lang, "count": count, "articles": found})

    return {
        "period": {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "days": since_days,
            "lang": lang,
        },
        "searches": store.search_count(since, until, lang),
        "top_queries": _query_rows(store.query_counts(since, until, lang, limit=limit)),
        "zero_result_queries": _query_rows(zero),
        "unopened_queries": _query_rows(
            store.query_counts(since, until, lang, zero_results=False, unopened=True, limit=limit)
        ),
        "articles": _articles(store, since, until, lang, titles),
        "searches_per_day": [
            {
                "day": d.isoformat(),
                "searches": per_day.get(d, (0, 0))[0],
                "zero_results": per_day.get(d, (0, 0))[1],
            }
            for d in days
        ],
        "zero_result_share_per_day": [
            {
                "day": d.isoformat(),
                "share": round(per_day[d][1] / per_day[d][0], 3) if per_day.get(d, (0, 0))[0] else 0.0,
            }
            for d in days
        ],
        "helpfulness_per_day": [
            {
                "day": d.isoformat(),
                "yes": votes_per_day.get(d, (0, 0))[0],
                "no": votes_per_day.get(d, (0, 0))[1],
            }
            for d in days
        ],
        "suggestions": suggestions,
    }
