"""Fuzzing with Hypothesis: the front-matter loader, the Markdown renderer, the query parser and search.

``make test`` runs a small fixed budget (the whole file in well under 30 s); ``make fuzz`` and the
soak set ``KB_FUZZ_EXAMPLES`` to run many more examples per test. With ``KB_FUZZ_REPORT=path`` the
number of inputs each test tried is written there as JSON. A crash found here becomes a regression
test with its exact input (``test_regressions``).
"""

from __future__ import annotations

import json
import os
import string
import time
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import kb.search.service
from kb.content.categories import CategoryTable
from kb.content.config import load_settings
from kb.content.loader import load_library, read_article
from kb.content.markup import render_markdown
from kb.errors import Problems
from kb.search.query import MAX_QUERY_CHARS, MAX_WORDS, parse_query
from kb.search.service import MAX_PAGE_SIZE, SearchRequest, SearchService
from kb.settings import Settings
from kb.web.app import create_app
from tests.helpers import audit, dangerous_link, make_web_kb

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "0"))
TRIED: Counter[str] = Counter()
PATH = "articles/nb/fuzz.md"
NO_CATEGORIES = CategoryTable({"nb": {}}, declared=False)


def budget(default: int) -> settings:
    """``default`` examples in ``make test``; ``KB_FUZZ_EXAMPLES`` of them on demand."""
    return settings(
        max_examples=EXAMPLES or default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )


@pytest.fixture(scope="module", autouse=True)
def report_inputs_tried() -> Iterator[None]:
    yield
    target = os.environ.get("KB_FUZZ_REPORT")
    if target:
        Path(target).write_text(json.dumps(dict(TRIED), indent=2), encoding="utf-8")


# --- strategies ---------------------------------------------------------------------------------------

MARKDOWN_BITS = [
    "#", "## ", "* ", "- ", "1. ", "> ", "```", "~~~", "    ", "\t", "|", "---", "===", "[", "]", "(", ")",
    "![", "](", "<", ">", "`", "*", "_", "**", "\\", "&", "&#x3C;", "&lt;", "\n", "\n\n", " ", "[^1]",
    "[^1]: ", "[ref]: ", "[x]", "- [ ] ", "javascript:", "JaVaScRiPt:", "data:text/html,", "vbscript:",
    "http://", "https://example.com/", "mailto:", "//", "<script>", "</script>",
    "<img src=x onerror=alert(1)>", "<a href=\"javascript:alert(1)\">", "<svg onload=alert(1)>", "\"", "'",
    "onerror=", "\x00", "\u200b", "\u202e", "\ufeff", "\r", "\r\n", ":--", "--:", "{{", "}}", "%3A",
    "&#106;", "\\u003c",
]  # fmt: skip
markdown_text = st.lists(st.one_of(st.sampled_from(MARKDOWN_BITS), st.text(max_size=12)), max_size=60).map(
    "".join
)

YAML_TRAPS = [
    "no", "yes", "on", "off", "~", "null", "", "'", '"', "[", "]", "{", "}", "&a x", "*a",
    "!!python/object:os.system", "!!binary aGk=", "| \n  x", "> \n  x", "@x", "`x`", "%x", "2024-02-30",
    "2024-13-01", "0x1F", "1e400", ".nan", "-", "? x", ": x", "#x", "\t", "<script>alert(1)</script>",
    "../../etc/passwd", "\u202e", "\x07", "\\ud800",
]  # fmt: skip
KEYS = ["title", "author", "date", "category", "slug", "tags", "summary", "updated", "draft", "order"]
KEYS += ["keywords", "lang", "tittel", "Title", "<<", "? x", "- y", "", " "]
yaml_value = st.one_of(st.sampled_from(YAML_TRAPS), st.text(max_size=20))
json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.dates()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def raw_front_matter(draw: st.DrawFn) -> bytes:
    """Structured-but-wrong front-matter: real keys, raw trap values, odd indentation and fences."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = draw(st.sampled_from(["", "", "", " ", "  ", "\t"]))
        lines.append(f"{indent}{draw(st.sampled_from(KEYS))}: {draw(yaml_value)}")
    fence = draw(st.sampled_from(["---", "---", "...", "--- ", "----", ""]))
    body = draw(markdown_text)
    return f"---\n{chr(10).join(lines)}\n{fence}\n{body}".encode(
        draw(st.sampled_from(["utf-8", "utf-8-sig"]))
    )


@st.composite
def typed_front_matter(draw: st.DrawFn) -> bytes:
    """Valid YAML with the right keys and wrong (or right) types of value."""
    values = draw(st.dictionaries(st.sampled_from(KEYS), json_like, max_size=10))
    header = yaml.safe_dump(values, allow_unicode=True)
    return f"---\n{header}---\n\n{draw(markdown_text)}\n".encode()


any_article_bytes = st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=1000).map(lambda b: b"---\n" + b + b"\n---\n" + b),
    raw_front_matter(),
    typed_front_matter(),
)


# --- the front-matter loader ------------------------------------------------------------------------


def assert_loaded_or_reported(raw: bytes) -> None:
    problems = Problems()
    article = read_article(raw, PATH, "nb", NO_CATEGORIES, problems)
    errors = [p for p in problems.items if p.is_error]
    if article is None:
        assert errors, "a file that does not load must say why"
    else:
        assert not errors
        assert article.title and article.author and article.slug
    lines = raw.count(b"\n") + raw.count(b"\r") + 2
    for problem in problems.items:
        shown = str(problem)
        assert shown.startswith(f"{PATH}:{problem.line}: "), shown
        assert 1 <= problem.line <= lines, shown
        assert "\n" not in shown and "Traceback" not in shown, shown


@budget(200)
@given(any_article_bytes)
@example(b"---\ntitle: [\n---\n")
@example(b"---\ntags: " + b"[" * 5000 + b"\n---\n")
@example(b"---\ntitle: T\nauthor: A\ndate: 2024-01-01\ncategory: C\n---\n" + b"- " * 3000)
def test_loader_never_crashes_and_reports_every_failure(raw: bytes) -> None:
    TRIED["loader"] += 1
    assert_loaded_or_reported(raw)


@budget(40)
@given(st.lists(any_article_bytes, min_size=1, max_size=4))
def test_load_library_keeps_the_good_files(
    tmp_path_factory: pytest.TempPathFactory, files: list[bytes]
) -> None:
    TRIED["load_library"] += 1
    root = tmp_path_factory.mktemp("fuzzkb")
    (root / "articles" / "nb").mkdir(parents=True)
    (root / "kb.yml").write_text("languages: [nb]\n", encoding="utf-8")
    good = "---\ntitle: God\nauthor: A\ndate: 2024-01-01\ncategory: C\n---\n\nTekst.\n"
    (root / "articles" / "nb" / "aaa-good.md").write_text(good, encoding="utf-8")
    for number, raw in enumerate(files):
        (root / "articles" / "nb" / f"fuzz-{number}.md").write_bytes(raw)
    result = load_library(load_settings(root))
    assert result.library.get("nb", "aaa-good") is not None
    loaded = {a.path for a in result.library} | {a.path for a in result.drafts}
    failed = {p.path for p in result.errors}
    for number in range(len(files)):
        path = f"articles/nb/fuzz-{number}.md"
        assert (path in loaded) != (path in failed), path


# --- the Markdown renderer ---------------------------------------------------------------------------

MARKDOWN_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong",
    "a", "img", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "s", "input", "section", "sup",
    "span", "div", "label",
}  # fmt: skip


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.links += [v or "" for k, v in attrs if k in ("href", "src")]


def assert_safe_html(source: str) -> None:
    rendered = render_markdown(source)
    lowered = rendered.html.lower()
    assert "<script" not in lowered and "<style" not in lowered and "<iframe" not in lowered
    parser = Tags()
    parser.feed(rendered.html)
    assert parser.tags <= MARKDOWN_TAGS, parser.tags - MARKDOWN_TAGS
    assert [link for link in parser.links if dangerous_link(link)] == []
    assert audit(rendered.html) == []
    assert "\x00" not in rendered.html


@budget(200)
@given(markdown_text)
@example("[a](javascript:alert(1)) ![b](data:text/html,x) <javascript:alert(1)> [c]( JAVASCRIPT:x )")
@example("[a](\x01javascript:alert(1)) [b](java\u200bscript:x) [c](&#106;avascript:x)")
@example("- " * 50 + "x\n\nafter")
@example("| a |\n|:-:|\n| <script> |")
def test_renderer_never_emits_script_raw_tags_or_script_links(source: str) -> None:
    TRIED["renderer"] += 1
    assert_safe_html(source)


@budget(100)
@given(st.text(max_size=400))
def test_renderer_on_any_unicode(source: str) -> None:
    TRIED["renderer_unicode"] += 1
    assert_safe_html(source)


# --- the query parser and search -------------------------------------------------------------------------

QUERY_BITS = [
    '"', "(", ")", "*", "~", "~2", "-", "+", ":", " ", "AND", "OR", "NOT", "&&", "||", "category:", "author:",
    "tag:", "after:", "before:", "date:", "2024", "2024-02-30", "..", "passord", "password", "lösenord",
    "e-post", "kurs", "a", "p*", "*ord", "ab*", "\\", "'", "’", "\x00", "\u200b", "\u202e", "ß", "İ",
    "<script>", "%", "?", "[", "]", "{", "}", "^", "/", "\t", "\n",
]  # fmt: skip
query_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(QUERY_BITS), st.text(max_size=6)), max_size=40).map("".join),
    st.text(max_size=200),
    st.text(alphabet=string.ascii_lowercase + ' *~"-():', max_size=600),
)


@budget(300)
@given(query_text)
@example("(" * 1000 + "x")
@example('"' * 501)
@example("x~" + "9" * 50)
def test_query_parser_never_raises_and_stays_bounded(text: str) -> None:
    TRIED["query_parser"] += 1
    parsed = parse_query(text)
    assert len(parsed.words) + len(parsed.prefixes) + len(parsed.fuzzy) + len(parsed.phrases) <= MAX_WORDS
    assert all(len(word) <= MAX_QUERY_CHARS for word in parsed.words + parsed.prefixes + parsed.fuzzy)
    assert all(not word.startswith("*") for word in parsed.prefixes + parsed.words)
    assert parsed.raw == text


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_web_kb(tmp_path_factory.mktemp("fuzzweb") / "kb")


@pytest.fixture(scope="module")
def app(web_settings: Settings) -> Flask:
    return create_app(web_settings)


@pytest.fixture(scope="module")
def service(app: Flask, web_settings: Settings) -> SearchService:
    return SearchService(web_settings)


@pytest.fixture(scope="module")
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@budget(120)
@given(
    text=query_text,
    lang=st.sampled_from(["nb", "sv", "en"]),
    page=st.integers(-5, 10**6),
    category=st.one_of(st.none(), st.sampled_from(["account", "<x>", ""]), st.text(max_size=10)),
)
@example(text="*", lang="nb", page=1, category=None)
@example(text="a~2 " * 20, lang="en", page=1, category=None)
@example(text="x" * 5000, lang="sv", page=1, category=None)
def test_search_never_raises_and_answers_in_time(
    service: SearchService, text: str, lang: str, page: int, category: str | None
) -> None:
    TRIED["search"] += 1
    started = time.perf_counter()
    result = service.search(SearchRequest(text, lang, category=category, page=page))
    assert time.perf_counter() - started < 30.0, text  # a hang detector, not a speed test
    assert result.total >= 0 and len(result.hits) <= MAX_PAGE_SIZE
    for hit in result.hits:
        assert audit(hit.snippet) == [] and "<script" not in hit.snippet
    service.suggest(text, lang)


MARKER = "<kb-fuzz a='1'>"


@budget(100)
@given(query_text)
def test_search_page_and_api_escape_any_query(client: FlaskClient, text: str) -> None:
    TRIED["search_page"] += 1
    query = text + MARKER  # random text around a tag that must come back escaped
    for url in (f"/nb/search?q={quote(query)}", f"/api/search?q={quote(query)}&lang=en"):
        response = client.get(url)
        assert response.status_code in (200, 400), url
        body = response.get_data(as_text=True)
        assert MARKER not in body, url
        if response.mimetype == "text/html":
            assert audit(body) == [], url


# --- regressions: crashes and hangs fuzzing found, with their exact inputs -------------------------------


@pytest.mark.parametrize(
    ("source", "must_show"),
    [
        ("- " * 21 + "deep\n\nafter\n", "after"),  # nesting past the limit dropped the rest of the page
        (">" * 10_000 + " deep\n\nafter\n", "deep"),
        ("| a | b |\n|:--|--:|\n| 1 | 2 |\n", 'class="align-right"'),  # CSP blocks style attributes
    ],
)
def test_regressions_renderer(source: str, must_show: str) -> None:
    TRIED["regressions"] += 1
    rendered = render_markdown(source)
    assert must_show in rendered.html
    assert "style=" not in rendered.html


def test_regression_repeated_headings_are_linear() -> None:
    """20,000 identical headings took 51 s (each anchor retried every earlier suffix)."""
    started = time.perf_counter()
    rendered = render_markdown("## Steg\n\ntekst\n\n" * 20_000)
    assert time.perf_counter() - started < 10
    assert rendered.toc[-1].anchor == "steg-20000"


def test_regression_second_passes_respect_the_search_deadline(
    service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow query on a busy server ran up to three passes of 1 s each plus the spelling search: under
    a flood of such queries the workers' threads stayed busy for seconds (the soak's article p99 went
    from 40 ms to 950 ms). Past the deadline no second pass runs, and the reader is told."""
    TRIED["regressions"] += 1
    slow = "qqzzqq xxyyxx"  # no match: would run the any-term, spelling and fuzzy passes
    assert service.search(SearchRequest(slow, "en")).notices == ()
    monkeypatch.setattr(kb.search.service, "TIME_LIMIT", 0.0)
    result = service.search(SearchRequest("zzqqzz yyxxyy", "en"))  # another query: not in the result cache
    assert [n.message for n in result.notices] == [kb.search.service.LATE.message]
    assert result.fallback is None and result.suggestion is None
