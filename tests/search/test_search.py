"""Search behaviour on real Whoosh indexes: languages, ranking, filters, suggestions and index updates."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.errors import SearchError
from kb.model import Library
from kb.search.analysis import compound_analyzer, exact_analyzer, folded_analyzer, stem_analyzer
from kb.search.indexing import current_dir, open_index, update_indexes, writer_lock
from kb.search.service import SearchRequest, SearchService
from kb.settings import Settings
from tests.helpers import copy_sample, indexed_service

SEED = "hva-kan-jeg-gjore-nar-en-deltaker-ikke-mottar-noen-e-poster"
PATHOLOGICAL = [
    "*",
    "*ord",
    "p*",
    "a~2",
    "title:(",
    '"unclosed',
    "AND OR NOT",
    "x" * 5000,
    "(" * 500 + "passord" + ")" * 500,
    "category:",
    "after:2024-13-45",
    "-",
    '""',
    "\x00\u202e\u200b",
    "tag:<script>",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return copy_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def service(sample: Settings) -> SearchService:
    return indexed_service(sample)


def slugs(service: SearchService, query: str, lang: str, **options: object) -> list[str]:
    return [hit.slug for hit in service.search(SearchRequest(query, lang, **options)).hits]  # type: ignore[arg-type]


def write_article(root: Path, lang: str, slug: str, title: str, body: str, **extra: str) -> None:
    folder = root / "articles" / lang
    folder.mkdir(parents=True, exist_ok=True)
    fields = {"title": title, "author": "Test Author", "date": "2024-05-01", "category": "Hjelp"}
    fields.update(extra)
    front = "\n".join(f"{key}: {value}" for key, value in fields.items())
    (folder / f"{slug}.md").write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def stems(analyzer: object, text: str) -> list[str]:
    return [t.text for t in analyzer(text)]  # type: ignore[operator]


# --- analyzers ----------------------------------------------------------------------------------


def test_norwegian_agent_nouns_share_one_stem() -> None:
    forms = stems(stem_analyzer("nb"), "deltaker deltakere deltakeren deltakerne")
    assert len(set(forms)) == 1


@pytest.mark.parametrize("code", ["nb", "nn", "no"])
def test_every_norwegian_code_uses_the_norwegian_stemmer(code: str) -> None:
    assert stems(stem_analyzer(code), "innloggingslenken") == stems(stem_analyzer("nb"), "innloggingslenke")


@pytest.mark.parametrize(
    ("lang", "a", "b"),
    [
        ("sv", "deltagarna", "deltagare"),
        ("da", "adgangskoden", "adgangskode"),
        ("en", "invitations", "invitation"),
        ("de", "Einstellungen", "Einstellung"),
        ("fi", "käyttäjät", "käyttäjä"),
        ("fr", "paramètres", "paramètre"),
    ],
)
def test_each_language_stems_its_own_words(lang: str, a: str, b: str) -> None:
    assert stems(stem_analyzer(lang), a) == stems(stem_analyzer(lang), b)


def test_a_language_without_a_stemmer_gets_a_plain_analyzer_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stem_analyzer.cache_clear()
    with caplog.at_level(logging.WARNING, logger="kb.search.analysis"):
        words = stems(stem_analyzer("ja"), "running runs")
    assert words == ["running", "runs"]
    assert "no stemmer for language 'ja'" in caplog.text


def test_hyphenated_words_are_one_word_and_their_parts_only_compound_tails() -> None:
    """``e-post`` is ``epost`` in the main fields, never ``post`` (a *bokført post* is not an e-mail);
    the parts live in the low-weighted compound field only."""
    assert stems(exact_analyzer("nb"), "e-post allow-liste") == ["epost", "allowliste"]
    assert "post" not in stems(stem_analyzer("nb"), "e-post")
    assert "post" in stems(compound_analyzer("nb"), "e-post")


def test_a_nordic_hyphenated_word_of_words_is_also_its_parts() -> None:
    """``mva-rapporter`` is a report about VAT: in nb/sv/da its parts are main-field words too, where
    each has two letters or more; ``e-post`` stays whole, and English keeps ``follow-up`` whole."""
    assert stems(stem_analyzer("nb"), "mva-rapporter") == ["mvarapport", "mva", "rapport"]
    assert stems(stem_analyzer("da"), "CVR-nummer CVR-nr") == ["cvrnum", "cvr", "num", "cvrnr", "cvr", "nr"]
    assert stems(stem_analyzer("nb"), "e-post e-postadresse") == ["epost", "epostadress"]
    assert stems(stem_analyzer("en"), "follow-up") == ["followup"]
    assert stems(exact_analyzer("nb"), "mva-rapporter") == ["mvarapporter"]


def test_folding_happens_after_stemming_and_covers_ae() -> None:
    folded = folded_analyzer("nb")
    typed = [t.text for t in folded("soppelposten", mode="query")]
    assert stems(folded, "søppelposten") == typed
    assert stems(folded, "kjære")[0].startswith("kjae")


def test_the_folded_field_holds_only_words_folding_changes() -> None:
    assert stems(folded_analyzer("nb"), "søppelpost passord") == ["soppelpost"]


# --- matching and ranking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("søppelpostmappen", "nb", SEED),
        ("inställningarna", "sv", "set-up-your-organisation"),
        ("invitations", "en", "invite-participants"),
    ],
)
def test_inflected_forms_find_the_article(
    service: SearchService, query: str, lang: str, expected: str
) -> None:
    assert expected in slugs(service, query, lang, limit=10)


def test_agent_noun_forms_find_the_same_articles(service: SearchService) -> None:
    found = {q: set(slugs(service, q, "nb", limit=100)) for q in ("deltaker", "deltakere", "deltakerne")}
    assert len(found["deltaker"]) > 10
    assert found["deltaker"] == found["deltakere"] == found["deltakerne"]


def test_accentless_queries_find_accented_words(service: SearchService) -> None:
    assert SEED in slugs(service, "soppelpost", "nb")
    assert "reset-password" in slugs(service, "losenord", "sv")[:3]


@pytest.mark.parametrize("query", ["e-post", "epost", "e-poster"])
def test_hyphenated_queries_match_joined_and_split_forms(service: SearchService, query: str) -> None:
    assert SEED in slugs(service, query, "nb", limit=10)


def test_compound_heads_and_inflected_compounds_match(service: SearchService) -> None:
    assert "two-step-verification" in slugs(service, "passord", "nb", limit=10)
    assert slugs(service, "innloggingslenke", "nb")[0] == "login-link-does-not-work"


def test_exact_spelling_ranks_above_the_folded_match(tmp_path: Path) -> None:
    write_article(tmp_path, "nb", "far", "Om far", "Far og mor kan begge være foresatte i kurset.")
    write_article(tmp_path, "nb", "faar", "Om å få", "Deltakeren får beskjed når kurset starter.")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "får", "nb") == ["faar", "far"]
    assert slugs(service, "far", "nb") == ["far", "faar"]


def test_title_matches_rank_above_body_matches(tmp_path: Path) -> None:
    write_article(tmp_path, "en", "body", "Other things", "A word about certificates in the body.")
    write_article(tmp_path, "en", "title", "Certificates", "Everything else is said here.")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "certificates", "en") == ["title", "body"]


def test_all_terms_are_required_and_the_fallback_is_announced(service: SearchService) -> None:
    both = service.search(SearchRequest("kursbevis pdf", "nb"))
    assert both.fallback is None and both.total >= 1
    assert all("kursbevis" in h.snippet.lower() or "Kursbevis" in h.title for h in both.hits)
    some = service.search(SearchRequest("kursbevis zzyzxqq", "nb"))
    assert some.fallback == "any-term"
    assert some.hits[0].slug == "issue-certificates"


def test_of_three_to_six_words_one_may_be_missing(service: SearchService) -> None:
    question = service.search(
        SearchRequest("deltaker får ikke e-post", "nb")
    )  # no article says "får" and "e-post"
    assert SEED in [h.slug for h in question.hits][:5]
    result = service.search(SearchRequest("kursbevis pdf zzyzxqq", "nb"))
    assert result.hits[0].slug == "issue-certificates"
    assert result.fallback == "any-term"  # said, because no article has every word
    assert all(h.slug != "reset-password" for h in result.hits)  # one word alone is not enough


def test_quoted_phrases_must_appear_in_order(service: SearchService) -> None:
    assert slugs(service, '"sende innloggingslenken"', "nb") == [SEED]
    assert slugs(service, '"innloggingslenken sende"', "nb") != [SEED]


def test_excluded_words_remove_articles(service: SearchService) -> None:
    assert "reset-password" in slugs(service, "passord", "nb", limit=20)
    assert "reset-password" not in slugs(service, "passord -tilbakestill", "nb", limit=20)


# --- suggestions, filters, facets, paging -------------------------------------------------------


def test_a_misspelling_gets_a_suggestion_and_a_fuzzy_fallback(service: SearchService) -> None:
    result = service.search(SearchRequest("kursbevs", "nb"))
    assert result.suggestion == "kursbevis"
    assert result.fallback == "fuzzy"
    assert result.hits[0].slug == "issue-certificates"


def test_snippets_mark_the_words_searched_not_the_words_search_ignores(service: SearchService) -> None:
    snippet = service.search(SearchRequest("videoen starter ikke", "nb")).hits[0].snippet
    assert '<mark class="match term0">video' in snippet.lower()
    assert ">ikke</mark>" not in snippet.lower()


def test_a_correct_query_gets_no_suggestion(service: SearchService) -> None:
    assert service.search(SearchRequest("kursbevis", "nb")).suggestion is None
    assert service.search(SearchRequest("e-post", "nb")).suggestion is None


def test_category_filter_and_facets(service: SearchService) -> None:
    everything = service.search(SearchRequest("deltaker", "nb", limit=100))
    assert sum(everything.facets.values()) == everything.total
    assert everything.facets["Feilsøking"] >= 2
    filtered = service.search(SearchRequest("deltaker", "nb", category="feilsoking", limit=100))
    assert filtered.total == everything.facets["Feilsøking"]
    assert {h.category for h in filtered.hits} == {"Feilsøking"}
    assert filtered.facets == everything.facets  # facets ignore the category filter
    assert service.search(SearchRequest("category:troubleshooting deltaker", "nb")).total == filtered.total


def test_author_tag_and_date_filters(service: SearchService) -> None:
    by_author = service.search(SearchRequest('author:"Ester Andersson"', "nb", limit=100))
    assert by_author.total >= 1 and {h.author for h in by_author.hits} == {"Ester Andersson"}
    assert slugs(service, "tag:passord", "nb") == ["reset-password"]
    recent = service.search(SearchRequest("deltaker after:2024-07-01", "nb", limit=100))
    assert recent.total >= 1 and all(h.date >= "2024-07-01" for h in recent.hits)
    window = service.search(SearchRequest("deltaker date:2024-07", "nb", limit=100))
    assert all(h.date.startswith("2024-07") for h in window.hits)


def test_pagination_and_sorting(service: SearchService) -> None:
    first = service.search(SearchRequest("deltaker", "nb", limit=5, page=1))
    second = service.search(SearchRequest("deltaker", "nb", limit=5, page=2))
    assert first.total == second.total > 10
    assert not {h.slug for h in first.hits} & {h.slug for h in second.hits}
    beyond = service.search(SearchRequest("deltaker", "nb", limit=5, page=99))
    assert beyond.hits == () and beyond.total == first.total  # never silently the last page
    by_date = service.search(SearchRequest("deltaker", "nb", limit=100, sort="date"))
    dates = [h.date for h in by_date.hits]
    assert dates == sorted(dates, reverse=True)


def test_snippets_are_escaped_and_highlighted(tmp_path: Path) -> None:
    body = "Skriv <script>alert(1)</script> i feltet for passord og trykk lagre."
    write_article(tmp_path, "nb", "xss", "Farlig tekst", body)
    service = indexed_service(load_settings(tmp_path))
    snippet = service.search(SearchRequest("passord", "nb")).hits[0].snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert '<mark class="match term0">passord</mark>' in snippet


def test_search_as_you_type_completes_the_last_word(service: SearchService) -> None:
    assert "reset-password" in [h.slug for h in service.suggest("tilbakest", "nb")]
    assert service.suggest("   ", "nb") == []


@pytest.mark.parametrize("query", PATHOLOGICAL)
def test_pathological_queries_answer_without_raising(service: SearchService, query: str) -> None:
    result = service.search(SearchRequest(query, "nb"))
    assert result.total >= 0 and result.to_json()["query"] == query


def test_leading_wildcards_are_refused_with_a_notice(service: SearchService) -> None:
    result = service.search(SearchRequest("*ord", "nb"))
    assert [n.message for n in result.notices] == ["Wildcards at the start of a word are not supported."]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_random_query_strings_never_raise(service: SearchService, query: str) -> None:
    result = service.search(SearchRequest(query, "sv", page=2, limit=3))
    assert len(result.hits) <= 3


# --- the index on disk --------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Settings:
    write_article(tmp_path, "nb", "alpha", "Alfa", "Første artikkel om kaffe.")
    write_article(tmp_path, "nb", "beta", "Beta", "Andre artikkel om te.")
    return load_settings(tmp_path)


def reindex(settings: Settings, rebuild: bool = False) -> tuple[int, int, int]:
    (report,) = update_indexes(settings, load_library(settings).library, rebuild=rebuild)
    return report.added, report.changed, report.removed


def test_incremental_update_touches_only_what_changed(small: Settings) -> None:
    service = SearchService(small)
    assert reindex(small) == (2, 0, 0)
    assert reindex(small) == (0, 0, 0)
    write_article(small.root, "nb", "alpha", "Alfa", "Første artikkel om sjokolade.")
    assert reindex(small) == (0, 1, 0)
    assert slugs(service, "sjokolade", "nb") == ["alpha"] and slugs(service, "kaffe", "nb") == []
    (small.articles_dir / "nb" / "beta.md").unlink()
    assert reindex(small) == (0, 0, 1)
    assert slugs(service, "te", "nb") == []
    (small.articles_dir / "nb" / "alpha.md").rename(small.articles_dir / "nb" / "gamma.md")
    assert reindex(small) == (1, 0, 1)
    assert slugs(service, "sjokolade", "nb") == ["gamma"]


def test_a_rebuild_is_swapped_in_while_a_reader_keeps_its_index(small: Settings) -> None:
    reindex(small)
    service = SearchService(small)
    before = current_dir(small, "nb")
    old_ix = open_index(small, "nb")
    assert old_ix is not None
    with old_ix.searcher() as old_reader:
        write_article(small.root, "nb", "delta", "Delta", "Ny artikkel om kakao.")
        reindex(small, rebuild=True)
        assert current_dir(small, "nb") != before
        assert old_reader.doc_count() == 2  # the open reader still sees its own, whole index
        assert slugs(service, "kakao", "nb") == ["delta"]  # new readers see the new one


def test_a_second_writer_is_told_an_index_run_is_in_progress(small: Settings) -> None:
    with writer_lock(small), pytest.raises(SearchError, match="another index run is in progress"):
        update_indexes(small, load_library(small).library, wait=0.3)


def test_a_failed_rebuild_leaves_the_previous_index_serving(small: Settings) -> None:
    reindex(small)
    before = current_dir(small, "nb")
    library = load_library(small).library
    # An article that breaks half way through the build (no date to index).
    bad = dataclasses.replace(library.articles[1], date=None, updated=None)
    broken = Library(articles=(library.articles[0], bad), languages=("nb",))
    with pytest.raises(AttributeError):
        update_indexes(small, broken, rebuild=True)
    assert current_dir(small, "nb") == before
    assert slugs(SearchService(small), "kaffe", "nb") == ["alpha"]


def test_an_index_from_another_version_is_rebuilt(small: Settings) -> None:
    reindex(small)
    meta = (current_dir(small, "nb") or Path()) / "kb-index.json"
    meta.write_text(json.dumps({"version": -1}), encoding="utf-8")
    assert current_dir(small, "nb") is None
    assert reindex(small) == (2, 0, 0)


# --- the command line ---------------------------------------------------------------------------


def test_kb_search_json_follows_the_contract(tmp_path: Path) -> None:
    shutil.copytree(copy_sample(tmp_path / "kb").articles_dir, tmp_path / "other" / "articles")
    result = CliRunner().invoke(cli, ["--root", str(tmp_path / "kb"), "search", "glemt passord", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"query", "lang", "total", "page", "results", "facets", "suggestion", "fallback"}
    top = data["results"][0]
    assert set(top) >= {"slug", "lang", "title", "category", "author", "date", "url", "score", "snippet"}
    assert top["url"] == "/nb/articles/reset-password/" and data["lang"] == "nb"
    assert isinstance(data["facets"]["category"], dict)


def test_kb_index_reports_per_language(tmp_path: Path) -> None:
    write_article(tmp_path, "nb", "alpha", "Alfa", "Tekst.")
    runner = CliRunner()
    first = runner.invoke(cli, ["--root", str(tmp_path), "index"])
    assert first.exit_code == 0 and "nb: 1 article (1 added" in first.output
    again = runner.invoke(cli, ["--root", str(tmp_path), "index"])
    assert "nb: 1 article (0 added, 0 changed, 0 removed)" in again.output


def test_accentless_matches_still_get_a_highlighted_snippet(service: SearchService) -> None:
    hit = service.search(SearchRequest("soppelpost", "nb")).hits[0]
    assert hit.slug == SEED
    assert 'term0">søppelpostmappen</mark>' in hit.snippet


def test_soft_hyphens_and_zero_width_characters_do_not_split_words(tmp_path: Path) -> None:
    write_article(
        tmp_path, "nb", "limt", "Limt inn", "Bytt engangs\u00adpassord og søppel\u200bpost-innstillinger."
    )
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "engangspassord", "nb") == ["limt"]
    assert slugs(service, "søppelpost", "nb") == ["limt"]
    assert slugs(service, "søppel\u200bpost", "nb") == ["limt"]  # as pasted into the search box
