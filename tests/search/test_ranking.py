"""Search v2 as a reader meets it: the ranking model, synonyms, search-as-you-type and "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import cli
from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.search.indexing import HASHES_FILE, current_dir, update_indexes
from kb.search.service import SearchRequest, SearchService
from tests.helpers import copy_sample, indexed_service

SEED = "hva-kan-jeg-gjore-nar-en-deltaker-ikke-mottar-noen-e-poster"


def write(root: Path, slug: str, title: str, body: str, lang: str = "nb", summary: str = "") -> None:
    folder = root / "articles" / lang
    folder.mkdir(parents=True, exist_ok=True)
    front = f"title: {title}\nauthor: Test Author\ndate: 2024-05-01\ncategory: Hjelp"
    front += f"\nsummary: {summary}" if summary else ""
    (folder / f"{slug}.md").write_text(f"---\n{front}\n---\n\n{body}\n", encoding="utf-8")


def slugs(service: SearchService, text: str, lang: str = "nb", limit: int = 10) -> list[str]:
    return [h.slug for h in service.search(SearchRequest(text, lang, limit=limit)).hits]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    return indexed_service(copy_sample(tmp_path_factory.mktemp("sample")))


def test_the_seed_question_finds_its_article_first(sample: SearchService) -> None:
    """Articles that only link to it (its title as link text) no longer outrank it."""
    assert slugs(sample, "deltaker får ikke e-post")[0] == SEED


@pytest.mark.parametrize("typed", ["e-po", "e-pos", "sopp", "soppel", "epos"])
def test_search_as_you_type_completes_through_hyphens_and_accents(sample: SearchService, typed: str) -> None:
    assert SEED in [h.slug for h in sample.suggest(typed, "nb")]


def test_did_you_mean_completes_to_a_word_with_results_never_a_stop_word(sample: SearchService) -> None:
    result = sample.search(SearchRequest("sopp", "nb"))
    assert result.suggestion is not None and result.suggestion.startswith("søppel")
    assert sample.search(SearchRequest("soppel", "nb")).suggestion not in ("stoppet", "som")
    assert sample.search(SearchRequest("glemt passord", "nb")).suggestion is None


def test_e_post_is_one_word_distinct_from_post(tmp_path: Path) -> None:
    write(tmp_path, "epost", "Send e-post", "Slik sender du e-post til deltakerne.")
    write(tmp_path, "bokfort", "Bokført post", "En bokført post i regnskapet kan ikke endres.")
    service = indexed_service(load_settings(tmp_path))
    for typed in ("e-post", "epost", "e post"):
        assert slugs(service, typed) == ["epost"], typed
    assert slugs(service, "bokført post")[0] == "bokfort"
    assert slugs(service, "post")[0] == "bokfort"  # e-post's part only as a compound tail, far down


def test_a_hyphenated_nordic_word_counts_as_each_of_its_words(tmp_path: Path) -> None:
    """``mva-rapporter`` in a title is a title about ``mva``: it outranks articles that only mention
    mva in their text (the server and the offline index alike hold the parts)."""
    write(tmp_path, "rapport", "Sende mva-rapporter til skattemyndighetene", "Send rapporten hver termin.")
    body = "Mva beregnes på fakturaen. Mva trekkes fra for mva-pliktige."
    for n in range(3):
        write(tmp_path, f"annet{n}", f"Fakturaer {n}", body)
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "mva melding")[0] == "rapport"
    assert slugs(service, "mva-rapport")[0] == "rapport"
    # its parts stand where it stands: a quoted phrase with a word after it matches as written
    result = service.search(SearchRequest('"mva-rapporter til skattemyndighetene"', "nb"))
    assert [h.slug for h in result.hits] == ["rapport"] and result.fallback is None


def test_a_word_is_also_the_stem_of_the_articles_words_that_stem_to_it(tmp_path: Path) -> None:
    """``bruker`` (a user) stems as ``bruk`` (use), while ``brukere`` and ``brukeren`` stem as
    ``bruker``: a reader typing the noun finds the article about users, not only verbs."""
    write(tmp_path, "brukere", "Behandle brukere", "Her sletter du brukere og endrer brukerens roller.")
    write(tmp_path, "flyt", "Arbeidsflyter", "Du bruker knappen Slett for å slette en arbeidsflyt.")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "slette bruker")[0] == "brukere"


def test_a_misspelled_word_in_a_longer_query_still_counts(tmp_path: Path) -> None:
    """``kopiier`` is no article's word but one letter from ``kopier``: it is read as that word, so
    the article about copies comes first, with "did you mean" and the similar-spellings notice."""
    write(tmp_path, "kopi", "Kopier av fakturaer", "Slik sender du kopier av en faktura.")
    for n in range(3):
        write(
            tmp_path,
            f"send{n}",
            f"Send fakturaer {n}",
            "Send fakturaer til kunder hver måned. Send dem tidlig.",
        )
    service = indexed_service(load_settings(tmp_path))
    result = service.search(SearchRequest("send kopiier", "nb"))
    assert [h.slug for h in result.hits][:1] == ["kopi"]
    assert result.suggestion == "send kopier"
    assert result.fallback == "fuzzy"
    assert service.search(SearchRequest("send kopier", "nb")).fallback is None


def test_snippets_mark_the_words_a_query_matched_by_not_only_the_words_typed(tmp_path: Path) -> None:
    """A reader sees why an article was found: the corrected spelling, the synonym and the parts of
    an unknown compound are marked in the snippet (as the offline search marks the terms it matched)."""
    write(tmp_path, "kopi", "Kopier av fakturaer", "Slik sender du kopier av en faktura.")
    write(tmp_path, "retur", "Salgsretur", "Registrer en salgsretur når kunden sender varen tilbake.")
    write(tmp_path, "telle", "Lager", "Tell hver vare på lageret og før opp telling i listen.")
    (tmp_path / "synonyms").mkdir()
    (tmp_path / "synonyms" / "nb.yml").write_text("kreditnota: [salgsretur]\n", encoding="utf-8")
    service = indexed_service(load_settings(tmp_path))
    for query, slug, marked in [
        ("kopiier", "kopi", ["kopier"]),
        ("send kopiier", "kopi", ["kopier", "sender"]),
        ("kreditnota", "retur", ["salgsretur"]),
        ("varetelling", "telle", ["vare", "telling"]),
    ]:
        hit = service.search(SearchRequest(query, "nb")).hits[0]
        assert hit.slug == slug
        for word in marked:
            assert f'term0">{word}</mark>' in hit.snippet, (query, hit.snippet)


def test_british_and_american_spellings_are_one_word(tmp_path: Path) -> None:
    """A reader writing British English on a help center written in American (or the other way)
    types no typo: ``colour`` finds the article about ``color``, without "did you mean" or the
    similar-spellings notice; ``cheque`` finds ``check``, but ``check`` (to verify) never
    ``cheque``; ``centre`` finds both spellings."""
    write(tmp_path, "color", "Change the color of the theme", "Pick a color for the header.", "en")
    write(tmp_path, "checks", "Print checks", "Print a check to pay a vendor.", "en")
    write(tmp_path, "uk", "Pay by cheque", "A cheque from the data centre.", "en")
    write(tmp_path, "center", "Data center", "Where the data center is.", "en")
    service = indexed_service(load_settings(tmp_path))
    colour = service.search(SearchRequest("colour", "en"))
    assert [h.slug for h in colour.hits] == ["color"]
    assert colour.fallback is None and colour.suggestion is None
    assert 'term0">color</mark>' in colour.hits[0].snippet
    assert slugs(service, "theme colour", "en") == ["color"]
    assert slugs(service, "cheque", "en")[0] == "uk" and "checks" in slugs(service, "cheque", "en")
    assert "uk" not in slugs(service, "check", "en")
    assert (
        sorted(slugs(service, "centre", "en")) == sorted(slugs(service, "center", "en")) == ["center", "uk"]
    )


def test_words_typed_apart_find_the_word_the_articles_write_as_one(tmp_path: Path) -> None:
    """``kunde faktura`` is ``kundefaktura`` (Norwegian compounds are often typed apart), ``lønn
    slipp`` is ``lønnsslipp`` (with its linking s); an article writing the two words apart still
    matches, but the one writing the compound comes first; never a typo."""
    write(tmp_path, "kundefaktura", "Kundefaktura", "Slik lager du en kundefaktura.")
    write(tmp_path, "kunde", "Kunder", "En kunde kan få en faktura eller en kreditnota.")
    write(tmp_path, "lonn", "Lønnsslipp", "Last ned lønnsslippen for måneden.")
    for n in range(3):
        write(tmp_path, f"annet{n}", f"Kundekort {n}", "Kunden står på kundekortet.")
    service = indexed_service(load_settings(tmp_path))
    result = service.search(SearchRequest("kunde faktura", "nb"))
    assert [h.slug for h in result.hits][:2] == ["kundefaktura", "kunde"]
    assert result.fallback is None and result.suggestion is None
    assert slugs(service, "lønn slipp")[:1] == ["lonn"]
    write(tmp_path, "lonnsom", "Lønnsom drift", "Slik blir driften lønnsom.")
    write(tmp_path, "utbetaling", "Utbetale lønn", "Lønn utbetales hver måned.")
    service = indexed_service(load_settings(tmp_path))
    assert "lonnsom" not in slugs(service, "lønn som")  # "som" is ignored: no lønnsom
    english = tmp_path / "en"
    write(english, "username", "Change your username", "Your username is shown on the profile.", "en")
    write(english, "names", "Rename a report", "Give the report a new name.", "en")
    service = indexed_service(load_settings(english))
    assert slugs(service, "user name", "en") == ["username"]
    assert slugs(service, "change user name", "en")[:1] == ["username"]
    write(english, "update", "Update the app", "Install the update.", "en")
    write(english, "date", "Date format", "Choose a date format.", "en")
    service = indexed_service(load_settings(english))
    assert slugs(service, "set up date format", "en") == ["date"]  # up date is no update


def test_the_summary_is_searched_like_the_keywords(tmp_path: Path) -> None:
    """The summary is the author's own line about the article (its excerpt in every listing): a
    reader's word that only the summary has finds the article, ahead of a passing mention."""
    write(tmp_path, "annet", "Kurs", "Et kurs starter når du publiserer det. Videoer lastes opp i modulen.")
    summary = "Feilsøk videoer som ikke starter eller viser svart skjerm."
    write(tmp_path, "video", "Videoen spilles ikke av", "Sjekk nettleseren først.", summary=summary)
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "videoen starter ikke")[0] == "video"


def test_link_text_does_not_count_as_the_linking_articles_content(tmp_path: Path) -> None:
    write(tmp_path, "passord", "Endre passord", "Velg Innstillinger og skriv det nye passordet to ganger.")
    write(tmp_path, "kurs", "Lag et kurs", "Legg til moduler. Se også [Endre passord](passord.md).")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "endre passord") == ["passord"]


def test_an_unknown_compound_is_found_by_its_parts(tmp_path: Path) -> None:
    write(tmp_path, "telle", "Telle lageret", "Tell hver vare på lageret og før opp telling i listen.")
    write(tmp_path, "annet", "Fakturaer", "Send fakturaer til kunder hver måned.")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "varetelling") == ["telle"]


def test_a_rare_compound_also_finds_articles_that_write_its_parts(tmp_path: Path) -> None:
    """``momsdeklarasjon`` in one article only: the article about ``mva``'s ``deklarasjon`` (the
    same words, written apart) is found too."""
    write(tmp_path, "ord", "Ordliste", "En momsdeklarasjon er det samme som en mva-melding.")
    write(tmp_path, "sende", "Sende deklarasjon", "Send deklarasjon for moms hver annen måned.")
    write(tmp_path, "annet", "Fakturaer", "Send fakturaer til kunder hver måned.")
    service = indexed_service(load_settings(tmp_path))
    assert sorted(slugs(service, "momsdeklarasjon")) == ["ord", "sende"]


def test_an_unknown_compound_whose_first_part_is_unknown_finds_its_last_part(tmp_path: Path) -> None:
    """``sykefravær`` (no article has ``syke``): the article about ``fravær``, never nothing."""
    write(tmp_path, "fravaer", "Håndtere fravær", "Registrer fravær for ansatte, med dato og årsak.")
    write(tmp_path, "annet", "Fakturaer", "Send fakturaer til kunder hver måned.")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "registrere sykefravær") == ["fravaer"]


def test_a_word_typed_without_its_accents_counts_as_the_word(tmp_path: Path) -> None:
    """``bokfora manga fakturor``: ``bokföra`` is the word meant (no article writes ``bokfora``), so
    the article titled with it outranks one that mentions ``fakturor`` once in passing, as a title
    match outranks a body match of the same word; ``manga`` (``många``, a word search ignores)
    matches nothing."""
    write(tmp_path, "bokfora", "Bokföra dokument", "Så bokför du ett dokument.", "sv")
    body = "Skicka en kopia till kunden per e-post. Kunden får också fakturor varje månad om de vill."
    write(tmp_path, "kopia", "Skicka kopior till kunder", body, "sv")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "bokfora manga fakturor", "sv") == ["bokfora", "kopia"]


def test_the_title_matching_the_content_words_outranks_body_only_matches(tmp_path: Path) -> None:
    write(tmp_path, "tittel", "Eksportere resultater", "Velg Rapporter og last ned filen.")
    body = "Du kan eksportere resultater, eksportere lister og eksportere resultater til Excel."
    write(tmp_path, "tekst", "Rapporter", body)
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "eksportere resultater")[0] == "tittel"


def test_three_words_are_a_soft_rule_and_the_fallback_says_so(tmp_path: Path) -> None:
    write(tmp_path, "a", "Glemt passord", "Tilbakestill passordet fra innloggingssiden.")
    write(tmp_path, "b", "Kursbevis", "Last ned kursbevis som pdf.")
    service = indexed_service(load_settings(tmp_path))
    result = service.search(SearchRequest("glemt passord kursbevis", "nb"))
    assert [h.slug for h in result.hits][:1] == ["a"]  # two of three words, the rarer ones
    assert result.fallback == "any-term"  # no article has every word: the page says so
    assert service.search(SearchRequest("glemt kursbevis", "nb")).fallback == "any-term"


def test_deleted_articles_never_come_back(tmp_path: Path) -> None:
    write(tmp_path, "borte", "Slettet artikkel", "Denne artikkelen om kalendere forsvinner.")
    write(tmp_path, "blir", "Kalender", "Kalenderen viser alle kurs.")
    settings_ = load_settings(tmp_path)
    service = indexed_service(settings_)
    assert "borte" in slugs(service, "kalendere")
    (tmp_path / "articles" / "nb" / "borte.md").unlink()
    update_indexes(settings_, load_library(settings_).library)
    assert slugs(service, "kalendere") == ["blir"]
    assert service.search(SearchRequest("kalendere", "nb")).total == 1


def test_synonyms_authors_keep_are_applied_and_checked(tmp_path: Path) -> None:
    write(tmp_path, "retur", "Salgsretur", "Registrer en salgsretur når kunden sender varen tilbake.")
    (tmp_path / "synonyms").mkdir()
    (tmp_path / "synonyms" / "nb.yml").write_text("kreditnota: [salgsretur]\n", encoding="utf-8")
    service = indexed_service(load_settings(tmp_path))
    assert slugs(service, "kreditnota") == ["retur"]
    (tmp_path / "synonyms" / "nb.yml").write_text(
        "kreditnota: [salgsretur]\nto ord: [x]\nbad: [to ord]\n", encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "check"])
    assert result.exit_code == 1
    assert "synonyms/nb.yml:2: error:" in result.output
    assert "synonyms/nb.yml:3: error:" in result.output


def test_results_are_cached_per_generation_and_a_change_is_seen(tmp_path: Path) -> None:
    write(tmp_path, "a", "Kalender", "Kalenderen viser alle kurs.")
    settings_ = load_settings(tmp_path)
    service = indexed_service(settings_)
    assert slugs(service, "kalender") == ["a"]
    write(tmp_path, "b", "Kalender for grupper", "Hver gruppe har sin kalender.")
    update_indexes(settings_, load_library(settings_).library)
    assert sorted(slugs(service, "kalender")) == ["a", "b"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("aeøå -*~\"'e-postsoppelOR:()")), max_size=40))
def test_any_query_gives_a_consistent_answer(sample: SearchService, text: str) -> None:
    result = sample.search(SearchRequest(text, "nb", limit=5))
    assert result.total >= len(result.hits)
    assert result.fallback in (None, "any-term", "fuzzy")
    assert sum(result.facets.values()) >= result.total or result.total == 0


def test_an_update_reads_the_hashes_side_file_and_survives_a_stale_one(tmp_path: Path) -> None:
    write(tmp_path, "a", "Kalender", "Kalenderen viser alle kurs.")
    settings_ = load_settings(tmp_path)
    service = indexed_service(settings_)
    folder = current_dir(settings_, "nb")
    assert folder is not None and (folder / HASHES_FILE).is_file()
    (folder / HASHES_FILE).write_text('{"generation": -1, "hashes": {}}', encoding="utf-8")  # stale
    write(tmp_path, "a", "Kalender", "Kalenderen viser alle kurs og grupper.")
    reports = update_indexes(settings_, load_library(settings_).library)
    assert [(r.added, r.changed) for r in reports] == [(0, 1)]  # not taken for a new article
    assert slugs(service, "grupper") == ["a"]
