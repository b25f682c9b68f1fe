"""Interface translation: complete, fuzzy-free catalogs that cover every extracted string, and the
site and command line speaking nb, sv and en (texts, dates, plurals, negotiation, switching)."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kb.cli import cli
from kb.content.config import load_settings
from kb.i18n import translations
from kb.web.app import create_app
from tests.helpers import REPO

LANGUAGES = ("nb", "sv", "en")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sd]")
MIXED = "use-on-mobile"  # written in nb only; translated by catalog, fully into sv and partly into en
EMAIL_ARTICLE = "hva-kan-jeg-gjore-nar-en-deltaker-ikke-mottar-noen-e-poster"  # date: 2024-07-24
PARTIAL_NOTICE = (
    "Parts of this article are not translated yet or have changed since they were translated. "
    "These parts are shown in the original language."
)
REFRESH = "run `.venv/bin/python locales/refresh_messages.py` and translate what it lists"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def shipped(lang: str) -> Catalog:
    return read_catalog(REPO / "kb" / "locales" / lang / "LC_MESSAGES" / "messages.po", lang)


def msgids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


def squash(html: str) -> str:
    """The visible text of ``html``: tags dropped, runs of whitespace (no-break spaces too) as one."""
    text = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


# --- the catalogs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str | tuple[str, ...]]:
    """The msgids that extraction finds in the code and templates right now (as babel.cfg says)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    mapping = str(REPO / "babel.cfg")
    CommandLineInterface().run(
        ["pybabel", "--quiet", "extract", "-F", mapping, "-k", "N_", "-o", str(pot), str(REPO)]
    )
    found = msgids(read_catalog(pot))
    assert len(found) > 100  # templates, N_ notices, CLI and content messages alike
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_without_fuzzy_entries_and_keeps_placeholders(lang: str) -> None:
    catalog = shipped(lang)
    assert str(catalog.locale) == lang
    assert catalog.num_plurals == 2 and catalog.plural_expr == "(n != 1)"
    assert not catalog.fuzzy, "the header is fuzzy"
    for message in catalog:
        if not message.id:
            continue
        assert not message.fuzzy, f"{lang}: fuzzy entry {message.id!r}"
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert len(strings) == (catalog.num_plurals if message.pluralizable else 1), message.id
        for index, text in enumerate(strings):
            assert text, f"{lang}: untranslated {message.id!r}"
            source = ids[min(index, len(ids) - 1)]
            assert placeholders(text) == placeholders(source), f"{lang}: {text!r} for {source!r}"
        if lang == "en":
            assert strings == ids if message.pluralizable else strings == [message.id]
        assert not list(message.check(catalog)), f"{lang}: {message.id!r}"  # Babel's format checks


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_covers_every_extracted_message(extracted: set[str | tuple[str, ...]], lang: str) -> None:
    have = msgids(shipped(lang))
    new, gone = sorted(map(str, extracted - have)), sorted(map(str, have - extracted))
    assert not new, f"{lang}: strings missing from messages.po ({REFRESH}): {new}"
    assert not gone, f"{lang}: messages.po has strings no longer in the code ({REFRESH}): {gone}"


def test_template_is_current(extracted: set[str | tuple[str, ...]]) -> None:
    have = msgids(read_catalog(REPO / "kb" / "locales" / "messages.pot"))
    assert have == extracted, f"kb/locales/messages.pot is out of date: {REFRESH}"


def test_plural_forms_choose_the_right_form() -> None:
    for lang, one, many in [("nb", "artikkel", "artikler"), ("sv", "artikel", "artiklar")]:
        catalog = translations(lang)
        assert catalog.ngettext("{n} article", "{n} articles", 1).format(n=1) == f"1 {one}"
        for n in (0, 2, 21):
            assert catalog.ngettext("{n} article", "{n} articles", n).format(n=n) == f"{n} {many}"


# --- the site -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The sample knowledge base (articles, kb.yml and its content catalogs) in a temp folder."""
    root = tmp_path_factory.mktemp("ui") / "kb"
    shutil.copytree(REPO / "articles", root / "articles")
    shutil.copy(REPO / "kb.yml", root / "kb.yml")
    for po in (REPO / "locales").glob("*/LC_MESSAGES/articles.po"):
        target = root / po.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(po, target)
    return create_app(load_settings(root), index=False)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


HOME = {
    "nb": (
        "Hopp til hovedinnhold",
        "Søk i hjelpesenteret",
        "Hva kan vi hjelpe deg med?",
        "Bla gjennom kategoriene",
    ),
    "sv": (
        "Hoppa till huvudinnehållet",
        "Sök i hjälpcentret",
        "Hur kan vi hjälpa dig?",
        "Bläddra bland kategorierna",
    ),
    "en": ("Skip to content", "Search the help center", "How can we help?", "Browse by category"),
}
DATES = {
    "nb": ("Publisert 24. juli 2024", "Oppdatert 5. mars 2024", "Skrevet av Ester Andersson"),
    "sv": ("Publicerad 24 juli 2024", "Uppdaterad 5 mars 2024", "Skriven av Ester Andersson"),
    "en": ("Published July 24, 2024", "Updated March 5, 2024", "Written by Ester Andersson"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_speak_their_own_language(client: FlaskClient, lang: str) -> None:
    home = page(client, f"/{lang}/")
    skip, label, title, browse = HOME[lang]
    assert f'<a class="skip-link" href="#main">{skip}</a>' in home
    assert f'<label class="visually-hidden" for="home-q">{label}</label>' in home
    assert f'<h1 id="hero-title">{title}</h1>' in home and browse in home
    for other in LANGUAGES:
        if other != lang:
            assert not any(text in home for text in HOME[other]), (lang, other)
    count = {"nb": r"\d+ artikler", "sv": r"\d+ artiklar", "en": r"\d+ articles"}[lang]
    assert re.search(count, home)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_article_dates_in_the_reader_s_format(client: FlaskClient, lang: str) -> None:
    published, updated, written = DATES[lang]
    text = squash(page(client, f"/{lang}/articles/{EMAIL_ARTICLE}/"))
    assert published in text and written in text
    assert updated in squash(page(client, f"/{lang}/articles/reset-password/"))


@pytest.mark.parametrize(
    ("header", "expected", "greeting"),
    [
        ("no", "/nb/", "Hva kan vi hjelpe deg med?"),
        ("nn-NO", "/nb/", "Hva kan vi hjelpe deg med?"),
        ("no-NO", "/nb/", "Hva kan vi hjelpe deg med?"),
        ("nb-NO", "/nb/", "Hva kan vi hjelpe deg med?"),
        ("sv-SE", "/sv/", "Hur kan vi hjälpa dig?"),
        ("en-US,en;q=0.8", "/en/", "How can we help?"),
    ],
)
def test_root_sends_each_browser_to_its_language(
    client: FlaskClient, header: str, expected: str, greeting: str
) -> None:
    response = client.get("/", headers={"Accept-Language": header})
    assert response.status_code == 302 and response.headers["Location"].endswith(expected)
    assert greeting in page(client, expected)


def test_partly_translated_article_says_so_and_marks_the_source_language(client: FlaskClient) -> None:
    html = page(client, f"/en/articles/{MIXED}/")
    assert f'<p class="notice">{PARTIAL_NOTICE}</p>' in html
    body = html[html.index('class="article-body"') :]
    assert re.search(r'<(p|li|h[1-6])[^>]* lang="nb"', body)


def test_fully_translated_article_has_no_notice(client: FlaskClient) -> None:
    html = page(client, f"/sv/articles/{MIXED}/")
    assert '<p class="notice">' not in html and PARTIAL_NOTICE not in html
    assert 'lang="nb"' not in html[html.index('class="article-body"') :]
    assert "Publicerad" in html and '<html lang="sv">' in html


def test_partial_notice_is_translated() -> None:
    notice = {lang: translations(lang).gettext(PARTIAL_NOTICE) for lang in LANGUAGES}
    assert notice["en"] == PARTIAL_NOTICE
    assert notice["nb"].startswith("Deler av denne artikkelen") and "originalspråket" in notice["nb"]
    assert notice["sv"].startswith("Delar av den här artikeln") and "originalspråket" in notice["sv"]


def test_language_switcher_keeps_the_category(client: FlaskClient) -> None:
    home = page(client, "/nb/")
    url = re.search(r'href="(/nb/categories/[^"]+/)">Feilsøking</a>', home)
    assert url, "no link to Feilsøking on the Norwegian home page"
    html = page(client, url.group(1))
    switcher = html[html.index('class="languages"') :]
    target = re.search(r'href="([^"]+)" hreflang="sv"', switcher)
    assert target and target.group(1).startswith("/sv/categories/")
    swedish = page(client, target.group(1))
    assert "<h1>Felsökning</h1>" in swedish and '<html lang="sv">' in swedish
    assert 'aria-label="Länkstig"' in swedish and ">Hjälpcenter</a>" in swedish


def test_feed_and_opensearch_are_localised(client: FlaskClient) -> None:
    assert "Learnifier Help Center: nye og oppdaterte artikler" in page(client, "/nb/feed.xml")
    assert "Sök bland artiklarna på Learnifier Help Center." in page(client, "/sv/opensearch.xml")


def test_not_found_page_is_localised(client: FlaskClient) -> None:
    response = client.get("/sv/articles/finns-inte/")
    assert response.status_code == 404 and "Sidan hittades inte" in response.get_data(as_text=True)


# --- the command line -----------------------------------------------------------------------------

GOOD = "---\ntitle: Endre passord\nauthor: Sara Holm\ndate: 2024-07-24\ncategory: Konto\n---\n\nTekst.\n"
BAD = "---\ntittle: Endre passord\nauthor: Sara Holm\ndate: 2024-07-24\ncategory: Konto\n---\n\nTekst.\n"


@pytest.mark.parametrize(
    ("env", "summary", "problem"),
    [
        (
            "nb",
            "1 artikkel, 1 språk, 2 feil, 0 advarsler",
            "error: ukjent nøkkel 'tittle' (mente du 'title'?)",
        ),
        (
            "sv_SE.UTF-8",
            "1 artikel, 1 språk, 2 fel, 0 varningar",
            "error: okänd nyckel 'tittle' (menade du 'title'?)",
        ),
        (
            "en",
            "1 article, 1 language, 2 errors, 0 warnings",
            "error: unknown key 'tittle' (did you mean 'title'?)",
        ),
    ],
)
def test_kb_check_speaks_kb_lang(tmp_path: Path, env: str, summary: str, problem: str) -> None:
    (tmp_path / "kb.yml").write_text("languages: [nb]\n", encoding="utf-8")
    (tmp_path / "articles" / "nb").mkdir(parents=True)
    (tmp_path / "articles" / "nb" / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "articles" / "nb" / "b.md").write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--root", str(tmp_path), "check"], env={"KB_LANG": env})
    assert result.exit_code == 1
    assert result.stdout.strip() == summary
    assert f"articles/nb/b.md:2: {problem}" in result.stderr
