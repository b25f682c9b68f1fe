"""The static export opened from disk (file://) in Debian's chromium: offline search agrees with the
server on the golden queries, the results page, search-as-you-type from an article page, the root
page's language choice, and load and query times of the index in the browser."""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
import yaml

from kb.export import Exporter
from kb.model import Article, Category
from kb.search.indexing import article_document
from kb.search.offline import Stemmer, write_offline_index
from kb.search.words import fold, pieces, surface_words
from kb.search.words import words as words_of
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, TESTS, copy_sample, make_web_kb

GOLDEN = yaml.safe_load((TESTS / "search" / "golden_queries.yml").read_text(encoding="utf-8"))
RESULTS = "#offline-results:not([hidden])"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Exporter:
    return Exporter(copy_sample(tmp_path_factory.mktemp("offline") / "kb"))


@pytest.fixture(scope="module")
def site(exporter: Exporter) -> Path:
    return exporter.build(exporter.settings.root / "build").out


def url(site: Path, path: str, query: str | None = None) -> str:
    address = (site / path).as_uri()
    return address + (f"?q={quote_plus(query)}" if query is not None else "")


def top_slugs(page: Any, limit: int = 5) -> list[str]:
    page.wait_for_selector(RESULTS)
    hrefs = page.eval_on_selector_all(".results .result h2 a", "links => links.map(a => a.href)")
    return [href.rstrip("/").split("/")[-2] for href in hrefs[:limit]]


def test_golden_queries_find_their_article_offline(page: Any, site: Path) -> None:
    """Each golden query typed into the offline search page: the expected article in the top five,
    MRR@5 at least 0.95 as on the server."""
    found, missed, reciprocal = 0, [], 0.0
    for case in GOLDEN:
        page.goto(url(site, f"{case['lang']}/search/index.html", case["query"]))
        slugs = top_slugs(page)
        if case["expected"] in slugs:
            found += 1
            reciprocal += 1.0 / (slugs.index(case["expected"]) + 1)
        if slugs[:1] != [case["expected"]]:
            missed.append(f"{case['lang']}: {case['query']} -> {slugs}")
    assert {c["lang"] for c in GOLDEN} == {"nb", "sv", "en"}
    assert found >= 0.95 * len(GOLDEN), f"{found}/{len(GOLDEN)}; missed: {missed}"
    mrr = reciprocal / len(GOLDEN)
    assert mrr >= 0.95, f"MRR@5 {mrr:.3f}; not first: {missed}"


def test_the_results_page_reads_the_query_and_shows_snippets(page: Any, site: Path) -> None:
    page.goto(url(site, "nb/search/index.html", "glemt passord"))
    page.wait_for_selector(RESULTS)
    assert page.input_value("#search-q") == "glemt passord"
    assert "glemt passord" in page.inner_text(".result-count")
    assert "glemt passord" in page.title()
    first = page.locator(".results .result").first
    assert first.locator("mark").count() >= 1
    assert "…" in first.locator(".snippet").inner_text() or first.locator(".snippet").inner_text()
    assert page.locator(".browse").is_hidden()
    assert page.locator(".facets li").count() >= 2
    first.locator("h2 a").click()
    page.wait_for_url("**/nb/articles/reset-password/index.html")
    assert page.locator("h1").inner_text() == "Tilbakestill passordet ditt"


def test_a_query_that_matches_nothing_shows_the_tips_and_categories(page: Any, site: Path) -> None:
    page.goto(url(site, "sv/search/index.html", "xqzzyv"))
    page.wait_for_selector(RESULTS)
    assert page.locator(".no-results").is_visible()
    assert page.locator(".browse").is_visible()
    assert page.locator(".results .result").count() == 0


def test_a_tag_link_lists_the_tagged_articles(page: Any, site: Path) -> None:
    page.goto(url(site, "en/articles/reset-password/index.html"))
    page.locator(".tags a").first.click()
    page.wait_for_selector(RESULTS)
    assert "reset-password" in top_slugs(page, 20)


def test_a_category_facet_filters_the_results(page: Any, site: Path) -> None:
    page.goto(url(site, "en/search/index.html", "participants"))
    page.wait_for_selector(RESULTS)
    total = page.locator(".results .result").count()
    page.locator(".facets li a", has_text="Troubleshooting").click()
    page.wait_for_selector(RESULTS)
    assert "Troubleshooting" in page.inner_text(".result-count")
    assert 0 < page.locator(".results .result").count() <= total
    for meta in page.locator(".results .result .meta").all_inner_texts():
        assert meta.startswith("Troubleshooting")


def test_search_as_you_type_from_an_article_page(page: Any, site: Path) -> None:
    page.goto(url(site, "en/articles/reset-password/index.html"))
    box = page.locator("#header-q")
    box.click()
    box.press_sequentially("certif", delay=30)
    options = page.locator(".header-search [role=option]")
    options.first.wait_for()
    assert "Issue course certificates" in options.all_inner_texts()[0]
    assert box.get_attribute("aria-expanded") == "true"
    box.press("Enter")
    page.wait_for_url("**/en/search/index.html?q=certif")
    assert "issue-certificates" in top_slugs(page)


def test_choosing_a_suggestion_with_the_keyboard_opens_the_article(page: Any, site: Path) -> None:
    page.goto(url(site, "sv/articles/custom-domain/index.html"))
    box = page.locator("#header-q")
    box.click()
    box.press_sequentially("lösen", delay=30)
    page.locator(".header-search [role=option]").first.wait_for()
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant")
    box.press("Enter")
    page.wait_for_url("**/sv/articles/**/index.html")
    assert "custom-domain" not in page.url


@pytest.mark.parametrize(
    ("locale", "expected"), [("sv-SE", "sv"), ("nb-NO", "nb"), ("no", "nb"), ("en-GB", "en"), ("de-DE", "nb")]
)
def test_the_root_page_picks_the_readers_language(
    browser: Any, site: Path, locale: str, expected: str
) -> None:
    context = browser.new_context(locale=locale)
    try:
        opened = context.new_page()
        opened.goto(url(site, "index.html"))
        opened.wait_for_url(f"**/{expected}/index.html")
        assert opened.locator("html").get_attribute("lang") == expected
    finally:
        context.close()


def load_index(page: Any, lang: str) -> float:
    """Load a language's index in the open page; the load time the script measured, in ms."""
    page.evaluate(
        """lang => new Promise((done, failed) => KBOffline.load(
               document.querySelector('input[data-index]').getAttribute('data-index'), lang,
               index => index ? done() : failed(new Error('no index'))))""",
        lang,
    )
    return float(page.evaluate("KBOffline.timings.load"))


@pytest.mark.parametrize("lang", ["nb", "sv", "en"])
def test_the_browser_stems_every_word_as_the_server(
    page: Any, exporter: Exporter, site: Path, lang: str
) -> None:
    """Every word of the articles (as a reader would type it, hyphenated words joined: their parts
    are compound tails, not words, on both sides) is stemmed in the browser exactly as the server's
    analyzer stems it; stop words are dropped alike."""
    page.goto(url(site, f"{lang}/index.html"))
    load_index(page, lang)
    stem = Stemmer(lang)
    words = sorted(
        {
            w
            for a in exporter.library.in_language(lang)
            for w in surface_words(str(article_document(a)["exact"]))
            if w in joined_forms(str(article_document(a)["exact"]))
        }
    )
    assert len(words) > 1000
    stems = page.evaluate("([lang, words]) => words.map(w => KBOffline.lookup(lang, w))", [lang, words])
    wrong = {w: (found, stem(w)) for w, found in zip(words, stems, strict=True) if found != stem(w)}
    assert wrong == {}


def joined_forms(text: str) -> set[str]:
    """The words of ``text`` as the main fields hold them: hyphenated words joined only."""
    return {pieces(w)[0] for w in words_of(text)}


def test_the_browser_folds_accents_as_the_server(page: Any, site: Path) -> None:
    page.goto(url(site, "sv/index.html"))
    words = ["søppelpost", "påminnelse", "tvåstegsverifiering", "kursutvärdering", "æble", "œuvre", "straße",
             "þorn", "dóttir", "façade", "naïve", "ångström", "ĳssel"]  # fmt: skip
    folded = page.evaluate("words => words.map(KBOffline.fold)", words)
    assert folded == [fold(w) for w in words]


# --- size and speed with a thousand articles ----------------------------------------------------

VOCABULARY = """
deltaker kurs prosjekt modul lenke passord innstillinger administrator rapport fremdrift kursbevis
invitasjon påminnelse gruppe domene organisasjon spørsmål video fil meny knapp bruker konto tilgang
oversikt resultat søppelpost nettleser innlogging økt kalender mal evaluering faktura abonnement
betaling integrasjon nøkkel rolle eksport import språk varsel
"""
WORDS = VOCABULARY.split()
ENDINGS = ("", "en", "er", "ene", "et", "s", "ing", "ingen")


def synthetic_articles(n: int) -> list[Article]:
    """``n`` articles of 400-800 words with a realistic Norwegian vocabulary (compounds, endings)."""
    rng = random.Random(6)
    category = Category("general", "nb", "Generelt", "generelt")
    compounds = [a + b for a in WORDS for b in WORDS if a != b]
    articles = []
    for i in range(n):
        words = [
            rng.choice(compounds) if rng.random() < 0.2 else rng.choice(WORDS) + rng.choice(ENDINGS)
            for _ in range(rng.randint(400, 800))
        ]
        text = " ".join(words)
        title = " ".join(words[:5]).capitalize()
        slug = f"artikkel-{i}"
        path = f"articles/nb/{slug}.md"
        day = dt.date(2024, 5, 1)
        articles.append(Article("nb", slug, title, "A", day, category, path, "", text, text[:200]))
    return articles


@pytest.fixture(scope="module")
def big_site(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """The exported Norwegian search page with the index of 1,000 synthetic articles."""
    root = tmp_path_factory.mktemp("big")
    (root / "static").mkdir()
    (root / "static" / "offline.js").write_bytes((site / "static" / "offline.js").read_bytes())
    (root / "nb" / "search").mkdir(parents=True)
    (root / "nb" / "search" / "index.html").write_bytes((site / "nb" / "search" / "index.html").read_bytes())
    size = write_offline_index(root, "nb", synthetic_articles(1000))
    return root, size.raw, size.gzipped


def test_a_thousand_articles_load_and_answer_fast(browser: Any, big_site: tuple[Path, int, int]) -> None:
    root, raw, gzipped = big_site
    assert gzipped / 1000 <= 2048
    loads, medians = [], []
    for _ in range(3):  # a fresh page each time: no cache of the parsed index
        context = browser.new_context()
        try:
            opened = context.new_page()
            opened.goto(url(root, "nb/search/index.html"))
            loads.append(load_index(opened, "nb"))
            queries = [
                "passord",
                "kursbevis pdf",
                "innloggingslenke",
                "soppelpost",
                "deltakere rapport",
                "pass",
            ]
            opened.evaluate("qs => qs.forEach(q => KBOffline.search('nb', q))", queries)  # warm the JIT
            opened.evaluate("KBOffline.timings.queries.length = 0")
            opened.evaluate(
                "qs => { for (let i = 0; i < 5; i++) qs.forEach(q => KBOffline.search('nb', q + ' ' + i)); }",
                queries,
            )
            medians.append(statistics.median(opened.evaluate("KBOffline.timings.queries")))
        finally:
            context.close()
    print(
        json.dumps({"index_raw": raw, "index_gzipped": gzipped, "load_ms": loads, "median_query_ms": medians})
    )
    assert min(loads) < 100, loads
    assert min(medians) < 10, medians


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("nb/search/index.html", "glemt passord"),
        ("sv/search/index.html", "xqzzyv"),
        ("en/articles/reset-password/index.html", None),
    ],
)
def test_axe_finds_no_violations_in_the_exported_pages(
    browser: Any, site: Path, axe_script: Path, path: str, query: str | None
) -> None:
    context = browser.new_context(bypass_csp=True)  # only so axe can be injected
    try:
        opened = context.new_page()
        opened.goto(url(site, path, query))
        if query is not None:
            opened.wait_for_selector(RESULTS)
        else:
            opened.locator("#header-q").press_sequentially("pass", delay=20)
            opened.get_by_role("listbox").wait_for(state="visible")
        opened.add_script_tag(path=str(axe_script))
        found = opened.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}}).then(r => r.violations)",
            AXE_TAGS,
        )
    finally:
        context.close()
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found] == []


# --- hostile content ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = make_web_kb(tmp_path_factory.mktemp("hostile") / "kb", hostile=True)
    return Exporter(settings).build(settings.root / "build").out


def test_hostile_titles_and_text_stay_text_in_offline_results(page: Any, hostile_site: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url(hostile_site, "en/search/index.html", "hostile password"))
    page.wait_for_selector(RESULTS)
    titles = page.locator(".results .result h2 a").all_inner_texts()
    assert any('<script>alert("title")</script>' in t for t in titles)
    assert page.locator(".results script, .results img, .results svg").count() == 0
    box = page.locator("#search-q")
    box.fill("")
    box.press_sequentially("hostil", delay=20)
    page.locator("[role=option]").first.wait_for()
    assert page.locator(".suggestions img, .suggestions script").count() == 0
    assert dialogs == []


def test_chromium_is_the_debian_one() -> None:
    assert Path("/usr/bin/chromium") == CHROMIUM
    assert "--no-sandbox" in CHROMIUM_ARGS


def exported(page: Any, tmp_path: Path, lang: str, articles: dict[str, tuple[str, str]]) -> tuple[Any, Path]:
    """A knowledge base of ``articles`` (slug: title, body) in ``lang``, indexed for the server and
    exported, its offline index loaded in ``page``: the server's search service and the export."""
    from kb.content.config import load_settings
    from tests.helpers import indexed_service

    folder = tmp_path / "kb" / "articles" / lang
    folder.mkdir(parents=True)
    for slug, (title, body) in articles.items():
        front = f"---\ntitle: {title}\nauthor: Test Author\ndate: 2024-05-01\ncategory: Help\n---\n\n"
        (folder / f"{slug}.md").write_text(front + body + "\n", encoding="utf-8")
    settings = load_settings(tmp_path / "kb")
    service = indexed_service(settings)
    out = Exporter(settings).build(tmp_path / "kb" / "build").out
    page.goto(url(out, f"{lang}/index.html"))
    load_index(page, lang)
    return service, out


def test_words_no_article_uses_are_split_and_guessed_as_on_the_server(page: Any, tmp_path: Path) -> None:
    """A Nordic compound no article uses is split into two words they use; an unknown word is read
    as an inflection of a known stem or the start of a longer word, or a compound whose first part
    is unknown as its last part; a typo is left to "did you mean"; ``mva-rapporter`` is also ``mva``;
    ``bruker`` is also the stem of ``brukere``; a misspelled word in a longer query still counts.
    The offline search answers each as the server does."""
    from kb.search.service import SearchRequest

    articles = {
        "telle": ("Telle lageret", "Tell hver vare på lageret og før opp telling i listen."),
        "faktura": ("Fakturaer", "Send fakturaer til kunder hver måned."),
        "timer": ("Tidrapporter", "Før tidrapporter for hver uke, og send tidrapporter til godkjenning."),
        "orgnr": ("Valider org-nr.", "Kontroller at org-nr. for kunden stemmer."),
        "kurs": ("Kursbevis", "Last ned kursbevis når kurset er fullført."),
        "fravaer": ("Fravær", "Registrer fravær for ansatte, med dato og årsak."),
        "bokfore": ("Bokføre bilag", "Slik bokfører du et bilag."),
        "kopi": ("Sende kopier", "Send en kopi til kunden. Kunden kan også få et bilag på e-post."),
        "mvarapport": ("Sende mva-rapporter", "Send rapporten til skattemyndighetene hver termin."),
        "avgift": ("Avgift på fakturaer", "Mva beregnes på fakturaen, og mva trekkes fra."),
        "brukere": ("Behandle brukere", "Her sletter du brukere og endrer brukerens roller."),
        "flyt": ("Arbeidsflyter", "Du bruker knappen Slett for å slette en arbeidsflyt."),
        "kundefaktura": ("Kundefaktura", "Slik lager du en kundefaktura."),
        "lonn": ("Lønnsslipp", "Last ned lønnsslippen for måneden."),
        "lonnsom": ("Lønnsom drift", "Slik blir driften lønnsom."),
        "utbetaling": ("Utbetale lønn", "Lønn utbetales hver måned."),
    }
    service, out = exported(page, tmp_path, "nb", articles)
    queries = {
        "varetelling": "telle",
        "tidrapportering": "timer",
        "org": "orgnr",
        "kursbevs": None,
        "sykefravær": "fravaer",  # its first part unknown: read as its last
        "bokfore bilag": "bokfore",  # typed without its accents: the word meant, not a lesser match
        "mva": "mvarapport",  # a hyphenated word's parts are words of their own
        "slette bruker": "brukere",  # bruker stems as bruk (use), and is the stem of brukere (users)
        "send kopiier": "kopi",  # a misspelled word still counts, read as the word one letter off
        "kunde faktura": "kundefaktura",  # typed apart, written as one
        "lønn slipp": "lonn",  # ... with a linking s
        "lønn som": "utbetaling",  # but "som" is ignored: no lønnsom
    }
    offline = page.evaluate("qs => qs.map(q => KBOffline.search('nb', q))", list(queries))
    for (query, expected), found in zip(queries.items(), offline, strict=True):
        server = [h.slug for h in service.search(SearchRequest(query, "nb")).hits]
        if expected is None:  # a typo: nothing guessed, the fuzzy fallback finds the word meant
            assert server == found == ["kurs"], query
        else:
            assert server[:1] == found[:1] == [expected], (query, server, found)
    page.goto(url(out, "nb/search/index.html", "send kopiier"))
    page.wait_for_selector(RESULTS)
    assert page.locator('[data-fallback="fuzzy"]').is_visible()  # as the server's result.fallback
    assert service.search(SearchRequest("send kopiier", "nb")).fallback == "fuzzy"


def test_british_and_american_spellings_are_one_word_offline_as_on_the_server(
    page: Any, tmp_path: Path
) -> None:
    """``colour`` finds the article about ``color`` with no similar-spellings notice, ``cheque``
    finds ``check`` and ``check`` never ``cheque``, in the browser as on the server."""
    from kb.search.service import SearchRequest

    articles = {
        "color": ("Change the color of the theme", "Pick a color for the header."),
        "checks": ("Print checks", "Print a check to pay a vendor."),
        "uk": ("Pay by cheque", "A cheque from the data centre."),
        "center": ("Data center", "Where the data center is."),
        "cancel": ("Canceled orders", "Find the orders a customer canceled."),
        "username": ("Change your username", "Your username is shown on the profile."),
        "update": ("Update the app", "Install the update."),
        "date": ("Date format", "Choose a date format."),
    }
    service, out = exported(page, tmp_path, "en", articles)
    queries = ["colour", "theme colour", "cheque", "check", "centre", "cancelled orders", "change user name"]
    queries += ["set up date format"]
    offline = page.evaluate("qs => qs.map(q => KBOffline.search('en', q))", queries)
    for query, found in zip(queries, offline, strict=True):
        server = [h.slug for h in service.search(SearchRequest(query, "en")).hits]
        assert sorted(server) == sorted(found), (query, server, found)
        assert server[:1] == found[:1], (query, server, found)
    assert offline[0] == ["color"] and offline[5][:1] == ["cancel"] and "uk" not in offline[3]
    assert offline[6][:1] == ["username"]  # typed apart, written as one
    assert offline[7] == ["date"]  # but up date is no update
    page.goto(url(out, "en/search/index.html", "colour"))
    page.wait_for_selector(RESULTS)
    assert page.locator(".result").count() == 1
    assert not page.locator('[data-fallback="fuzzy"]').is_visible()


def test_chinese_and_hindi_are_searched_offline_as_on_the_server(page: Any, tmp_path: Path) -> None:
    """A Chinese word inside a sentence written without spaces (each character a word, the pair of
    characters side by side first) and a Hindi word whole through its vowel signs, in the browser as
    on the server; an author's synonyms of two characters and more too; the snippet marks 编辑 once,
    not each character."""
    from kb.search.service import SearchRequest

    articles = {
        "download": ("如何下载地图", "打开应用，选择要下载的地区，然后点击下载按钮。"),
        "edit": ("如何编辑地图", "你可以在应用中编辑地图上的地点和营业时间。"),
        "voice": ("听不到语音指示", "请在设置中打开语音指示，然后开始导航。"),
        "scattered": ("常见问题", "辑录了地区的下载说明：图片、编号和地址。"),
        "maps": ("मानचित्र डाउनलोड करें", "ऑफ़लाइन उपयोग के लिए मानचित्र डाउनलोड करें।"),
        "honour": ("सम्मान", "नए मान तय करें और चित्र जोड़ें।"),
        "guide": ("路线指引", "选择目的地后，应用会显示路线指引。"),
    }
    (tmp_path / "kb" / "synonyms").mkdir(parents=True)
    (tmp_path / "kb" / "synonyms" / "zh.yml").write_text("编辑: [修改]\n导航: [路线指引]\n", encoding="utf-8")
    service, out = exported(page, tmp_path, "zh", articles)
    queries = ["编辑", "语音", "导航", "编辑地图", "下载地图", "地图", "मानचित्र", "修改", "路线指引"]
    offline = page.evaluate("qs => qs.map(q => KBOffline.search('zh', q))", queries)
    for query, found in zip(queries, offline, strict=True):
        server = [h.slug for h in service.search(SearchRequest(query, "zh")).hits]
        assert server[:1] == found[:1], (query, server, found)
        assert sorted(server) == sorted(found), (query, server, found)
    firsts = ["edit", "voice", "guide", "edit", "download", "edit", "maps", "edit", "guide"]
    assert [found[0] for found in offline] == firsts
    assert offline[6] == ["maps"]  # not the article with मान and चित्र
    for query in ("编辑", "修改"):  # the synonym's article marks the word it writes
        page.goto(url(out, "zh/search/index.html", query))
        page.wait_for_selector(RESULTS)
        assert page.locator(".result mark").first.text_content() == "编辑", query


def test_the_offline_search_gives_the_servers_first_answer(page: Any, exporter: Exporter, site: Path) -> None:
    """Each golden query and each article's title typed lower-case (the questions readers type most)
    gets the same first answer offline as from the server, nearly always: the two rank with the same
    rule; the browser lacks only the phrase bonus and per-field postings (ARCHITECTURE.md)."""
    from kb.search.service import SearchRequest
    from tests.helpers import indexed_service

    service = indexed_service(exporter.settings)
    asked = [(c["lang"], c["query"]) for c in GOLDEN]
    asked += [(a.lang, a.title.lower()) for a in exporter.library]
    same, differ = 0, []
    for lang in sorted({lang for lang, _q in asked}):
        page.goto(url(site, f"{lang}/index.html"))
        load_index(page, lang)
        queries = [q for code, q in asked if code == lang]
        offline = page.evaluate("([lang, qs]) => qs.map(q => KBOffline.search(lang, q))", [lang, queries])
        for query, found in zip(queries, offline, strict=True):
            server = [h.slug for h in service.search(SearchRequest(query, lang)).hits]
            if server[:1] == found[:1]:
                same += 1
            else:
                differ.append(f"{lang}: {query!r}: server {server[:2]}, offline {found[:2]}")
    assert same >= 0.9 * len(asked), differ


def test_greek_words_find_their_other_forms_offline_as_on_the_server(page: Any, tmp_path: Path) -> None:
    """Greek has a stemmer now (Snowball's, through PyStemmer): the offline index groups the
    articles' words under the server's stems, so χάρτης finds χάρτες and χαρτών in the browser too."""
    from kb.search.service import SearchRequest

    articles = {
        "download": ("Λήψη χαρτών", "Κατεβάστε τους χάρτες πριν ταξιδέψετε."),
        "update": ("Ενημέρωση", "Ο χάρτης ενημερώνεται κάθε μήνα."),
        "route": ("Δημιουργία διαδρομής", "Επιλέξτε προορισμό και πατήστε Έναρξη."),
    }
    service, _out = exported(page, tmp_path, "el", articles)
    queries = ["χάρτης", "χάρτες", "διαδρομή", "χάρτη"]
    offline = page.evaluate("qs => qs.map(q => KBOffline.search('el', q))", queries)
    for query, found in zip(queries, offline, strict=True):
        server = [h.slug for h in service.search(SearchRequest(query, "el")).hits]
        assert sorted(server) == sorted(found), (query, server, found)
    assert [sorted(found) for found in offline] == [
        ["download", "update"],
        ["download", "update"],
        ["route"],
        ["download", "update"],
    ]
