"""Each language's Snowball stemmer (PyStemmer): a reader's word finds the article's other forms of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.search.analysis import SnowballFilter, stem_analyzer, stemmer_code
from kb.search.service import SearchRequest
from tests.helpers import indexed_articles, search_slugs


def stems(lang: str, text: str) -> list[str]:
    return [token.text for token in stem_analyzer(lang)(text)]


def test_a_swedish_word_finds_its_definite_form(tmp_path: Path) -> None:
    """Swedish writes "the option" as alternativet: Whoosh's copy of the stemmer kept the -et, so a
    reader typing alternativ found only the articles that write the bare word."""
    service = indexed_articles(
        tmp_path,
        [
            ("sv", "language", "Välj ett annat språk", "Alternativet för språk finns under inställningar."),
            ("sv", "export", "Exportera data", "Ett alternativ är att exportera listan till Excel."),
            ("sv", "print", "Skriva ut", "Skriv ut rapporten från menyn."),
        ],
    )
    assert sorted(search_slugs(service, "alternativ", "sv")) == ["export", "language"]
    assert sorted(search_slugs(service, "alternativet", "sv")) == ["export", "language"]


def test_an_english_past_tense_is_not_read_as_another_word(tmp_path: Path) -> None:
    """ "added" is a form of add: Whoosh's copy of the stemmer made it "ad", the stem of ads."""
    service = indexed_articles(
        tmp_path,
        [
            ("en", "users", "Add a user", "Everyone you add gets an email with a sign-in link."),
            ("en", "ads", "Ads in the app", "An ad is shown at the bottom of the page. Ads can be hidden."),
        ],
    )
    assert search_slugs(service, "added", "en") == ["users"]
    assert search_slugs(service, "user added", "en") == ["users"]


def test_greek_and_indonesian_words_find_their_other_forms(tmp_path: Path) -> None:
    """Languages Whoosh has no stemmer for: the word as typed found only the articles that write
    that very form (a noun's other case, a verb's noun), never the others."""
    service = indexed_articles(
        tmp_path,
        [
            ("el", "download", "Λήψη χαρτών", "Κατεβάστε τους χάρτες πριν ταξιδέψετε."),
            ("el", "update", "Ενημέρωση", "Ο χάρτης ενημερώνεται κάθε μήνα."),
            ("el", "route", "Δημιουργία διαδρομής", "Επιλέξτε προορισμό και πατήστε Έναρξη."),
            ("id", "methods", "Metode pembayaran", "Pilih metode pembayaran di pengaturan."),
            ("id", "card", "Kartu kredit", "Anda dapat membayar dengan kartu kredit."),
            ("id", "maps", "Peta offline", "Peta dapat diunduh untuk digunakan tanpa internet."),
        ],
    )
    assert sorted(search_slugs(service, "χάρτης", "el")) == ["download", "update"]  # map; maps (of maps)
    assert sorted(search_slugs(service, "membayar", "id")) == ["card", "methods"]  # to pay; payment


@pytest.mark.parametrize(
    ("lang", "forms"),
    [
        ("nb", ["deltakere", "deltakerne", "deltakeren"]),
        ("da", ["fakturaer", "fakturaen", "fakturaerne"]),
        ("de", ["Rechnungen", "Rechnung"]),
        ("fr", ["factures", "facture"]),
        ("el", ["χάρτες", "χάρτη", "χαρτών"]),
        ("ca", ["factures", "factura"]),
        ("pl", ["faktury", "fakturę", "faktura"]),
    ],
)
def test_the_forms_of_a_word_share_one_stem(lang: str, forms: list[str]) -> None:
    assert stemmer_code(lang) is not None
    assert len({stems(lang, form)[0] for form in forms}) == 1, [stems(lang, f) for f in forms]


def test_a_language_without_a_snowball_stemmer_keeps_its_words_whole() -> None:
    """Hebrew has none: the words are matched as written (a warning says so when its index is made)."""
    assert stemmer_code("he") is None
    assert stems("he", "מפות להורדה") == ["מפות", "להורדה"]


def test_the_stemmer_survives_the_pickle_whoosh_keeps_in_the_index() -> None:
    import pickle

    again = pickle.loads(pickle.dumps(SnowballFilter("sv")))
    assert again == SnowballFilter("sv")
    assert pickle.loads(pickle.dumps(stem_analyzer("sv")))("kundkorten").__next__().text == "kundkort"


def test_a_lone_surrogate_is_kept_whole_not_an_error() -> None:
    """Snowball's C library takes UTF-8, which a lone surrogate is not (Python's own stemmers took it)."""
    analyzer = stem_analyzer("sv")
    assert [t.text for t in analyzer("kund\ud800kortet", tokenize=False)] == ["kund\ud800kortet"]
    assert [t.text for t in analyzer("kund\ud800kortet alternativet")] == ["kund", "kortet", "alternativ"]


def test_threads_searching_at_once_each_stem_alike() -> None:
    """The analyzers are shared by the threads that search; a Snowball stemmer must not be called
    concurrently, so each thread has its own, and every thread gets the stems one thread gets."""
    from concurrent.futures import ThreadPoolExecutor

    words = [
        f"{stem}{ending}"
        for stem in ("kund", "faktur", "alternativ", "leverantör")
        for ending in ("", "en", "et", "erna")
    ]
    alone = [stems("sv", w) for w in words]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda _n: [stems("sv", w) for w in words], range(32)))
    assert all(found == alone for found in together)


def test_a_snippet_marks_the_word_as_written_whatever_its_accents(tmp_path: Path) -> None:
    """The snippet finds the query's words in the text by their folded letters: every letter that
    folds to one (Greek ά, Czech ř, Polish ę), not only the handful of Latin accents it once knew."""
    service = indexed_articles(
        tmp_path,
        [
            ("el", "download", "Λήψη χαρτών", "Κατεβάστε τους χάρτες πριν ταξιδέψετε."),
            ("cs", "drive", "Navigace", "Navigace pro řízení auta v noci."),
            ("pl", "send", "Wysyłanie", "Możesz wysłać fakturę do klienta."),
        ],
    )
    for lang, typed, marked in [
        ("el", "χάρτη", "χάρτες"),
        ("cs", "rizeni", "řízení"),
        ("pl", "fakture", "fakturę"),
    ]:
        hit = service.search(SearchRequest(typed, lang)).hits[0]
        assert f">{marked}</mark>" in hit.snippet, (typed, hit.snippet)
