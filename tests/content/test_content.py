"""Loading content: front-matter validation, exact error lines, YAML traps, and robustness."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.content.categories import CategoryTable
from kb.content.config import load_settings
from kb.content.frontmatter import dump_front_matter
from kb.content.loader import LoadResult, load_library, read_article
from kb.errors import ConfigError, ContentError, Problems
from tests.helpers import BROKEN, KnowledgeBase, article

pytestmark = pytest.mark.usefixtures("english_messages")

# Each broken file and exactly what `kb check` must say about it.
BROKEN_CASES = {
    "articles/nb/malformed-yaml.md": [
        "articles/nb/malformed-yaml.md:3: error: bad YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence that starts on line 2)"
    ],
    "articles/nb/never-closed.md": [
        "articles/nb/never-closed.md:1: error: front-matter is never closed: add a '---' line after it"
    ],
    "articles/nb/no-front-matter.md": [
        "articles/nb/no-front-matter.md:1: error: no front-matter: the file must start with a '---' line"
    ],
    "articles/nb/missing-author.md": [
        "articles/nb/missing-author.md:1: error: missing required field 'author'"
    ],
    "articles/nb/bad-date-us.md": [
        "articles/nb/bad-date-us.md:4: error: bad date '07/24/2024' for 'date': write it as YYYY-MM-DD"
    ],
    "articles/nb/bad-date-feb30.md": [
        "articles/nb/bad-date-feb30.md:4: error: bad date '2024-02-30' for 'date':"
        " day is out of range for month"
    ],
    "articles/nb/tags-mapping.md": [
        "articles/nb/tags-mapping.md:6: error: 'tags' must be a list like [a, b], not a mapping"
    ],
    "articles/nb/order-text.md": [
        "articles/nb/order-text.md:6: error: 'order' must be a whole number, not 'først'"
    ],
    "articles/nb/draft-maybe.md": [
        "articles/nb/draft-maybe.md:6: error: 'draft' must be true or false, not 'maybe'"
    ],
    "articles/nb/not-utf8.md": [
        "articles/nb/not-utf8.md:5: error: not valid UTF-8: byte 0xf8 at offset 75; save the file as UTF-8"
    ],
    "articles/nb/duplicate-two.md": [
        "articles/nb/duplicate-two.md:1: error: duplicate slug 'delt-lenke' in 'nb':"
        " also used by articles/nb/duplicate-one.md"
    ],
    "articles/de/unbekannte-sprache.md": [
        "articles/de/unbekannte-sprache.md:1: error: unknown language folder 'de' (languages: nb, sv, en)"
    ],
    "articles/no/feil-mappenavn.md": [
        "articles/no/feil-mappenavn.md:1: error: unknown language folder 'no' (did you mean 'nb'?)"
    ],
    "articles/nb/unknown-key.md": [
        "articles/nb/unknown-key.md:1: error: missing required field 'title'",
        "articles/nb/unknown-key.md:2: error: unknown key 'tittle' (did you mean 'title'?)",
    ],
    "articles/nb/duplicate-key.md": [
        "articles/nb/duplicate-key.md:5: error: duplicate key 'title' (first given on line 2)"
    ],
    "articles/nb/unknown-category.md": [
        "articles/nb/unknown-category.md:5: error: unknown category 'Feilsoking' (did you mean 'Feilsøking'?)"
    ],
}
GOOD = {
    ("nb", "good"),
    ("nb", "bom-crlf"),
    ("nb", "yaml-traps"),
    ("nb", "delt-lenke"),
    ("sv", "citerat-datum"),
    ("en", "unquoted-date"),
}


@pytest.fixture(scope="module")
def broken() -> LoadResult:
    return load_library(load_settings(BROKEN))


@pytest.mark.parametrize("path", sorted(BROKEN_CASES))
def test_each_broken_file_gets_its_exact_error_lines(broken: LoadResult, path: str) -> None:
    reported = [str(p) for p in broken.problems if p.path == path]
    assert reported == BROKEN_CASES[path]


def test_the_broken_tree_reports_nothing_else(broken: LoadResult) -> None:
    expected = sorted(line for lines in BROKEN_CASES.values() for line in lines)
    assert sorted(str(p) for p in broken.problems) == expected
    assert not broken.warnings


def test_every_broken_case_is_a_real_file() -> None:
    for path in BROKEN_CASES:
        assert (BROKEN / path).is_file(), path


def test_good_files_load_next_to_broken_ones(broken: LoadResult) -> None:
    assert {(a.lang, a.slug) for a in broken.library} == GOOD
    first = broken.library.get("nb", "delt-lenke")
    assert first is not None and first.title == "Delt lenke (den første)"


def test_bom_and_crlf_are_accepted(broken: LoadResult) -> None:
    raw = (BROKEN / "articles/nb/bom-crlf.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf---\r\n")
    found = broken.library.get("nb", "bom-crlf")
    assert found is not None
    assert found.title == "BOM og CRLF"
    assert found.category.name == "Feilsøking"
    assert (
        found.html == '<h2 id="fra-windows">Fra Windows</h2>\n<p>Lagret i Notisblokk med BOM og CRLF.</p>\n'
    )
    assert [(s.line, s.kind) for s in found.segments if s.kind in ("heading", "paragraph")] == [
        (8, "heading"),
        (10, "paragraph"),
    ]


def test_yaml_1_1_booleans_are_read_as_the_author_wrote_them(broken: LoadResult) -> None:
    found = broken.library.get("nb", "yaml-traps")
    assert found is not None
    assert found.title == "no"
    assert found.lang == "nb"  # `lang: no` in the nb folder is Norwegian, not false
    assert found.tags == ("no", "yes", "on")
    assert found.updated == dt.date(2024, 7, 25)


def test_quoted_and_unquoted_dates_are_both_dates(broken: LoadResult) -> None:
    quoted = broken.library.get("sv", "citerat-datum")
    unquoted = broken.library.get("en", "unquoted-date")
    assert quoted is not None and unquoted is not None
    assert quoted.date == unquoted.date == dt.date(2024, 7, 24)
    assert type(quoted.date) is dt.date


def test_categories_come_from_categories_yml(broken: LoadResult) -> None:
    names = {(c.lang, c.name, c.slug) for c in broken.library.categories}
    assert names == {
        ("nb", "Feilsøking", "feilsoking"),
        ("sv", "Felsökning", "felsokning"),
        ("en", "Troubleshooting", "troubleshooting"),
    }


# --- one file at a time ---------------------------------------------------------------------------


def load_one(kb_root: KnowledgeBase, text: str | bytes, name: str = "articles/nb/x.md") -> LoadResult:
    return load_library(load_settings(kb_root({name: text})))


def messages(result: LoadResult) -> list[str]:
    return [str(p) for p in result.problems]


def test_a_full_article_loads_with_every_field(kb_root: KnowledgeBase) -> None:
    text = article(
        "Intro with a [link](https://example.com).\n\n## Steps\n\n1. One\n2. Two",
        tags="[e-post, innlogging]",
        keywords="lenke, passord",
        summary="Short summary.",
        updated="2024-08-01",
        order="3",
        slug="my-slug",
    )
    result = load_one(kb_root, text)
    assert messages(result) == []
    found = result.library.get("nb", "my-slug")
    assert found is not None
    assert (found.title, found.author, found.date) == ("A title", "Ester Andersson", dt.date(2024, 7, 24))
    assert found.tags == ("e-post", "innlogging")
    assert found.keywords == ("lenke", "passord")
    assert (found.summary, found.excerpt) == ("Short summary.", "Short summary.")
    assert (found.order, found.updated, found.draft) == (3, dt.date(2024, 8, 1), False)
    assert found.links == ("https://example.com",)
    assert [h.text for h in found.toc] == ["Steps"]
    assert found.category.name == "General" and found.category.slug == "general"
    assert found.path == "articles/nb/x.md"
    assert len(found.source_hash) == 64


def test_drafts_are_kept_apart(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, article(draft="yes"))
    assert len(result.library) == 0
    assert [a.slug for a in result.drafts] == ["x"]


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        ({"title": '""'}, "articles/nb/x.md:2: error: 'title' is empty"),
        ({"title": ""}, "articles/nb/x.md:2: error: 'title' is empty"),
        ({"author": "[a, b]"}, "articles/nb/x.md:3: error: 'author' must be text, not a list"),
        ({"date": "2024-7-4"}, "articles/nb/x.md:4: error: bad date '2024-7-4' for 'date':"
                               " write it as YYYY-MM-DD"),
        ({"order": "1.5"}, "articles/nb/x.md:6: error: 'order' must be a whole number, not '1.5'"),
        ({"order": '"3"'}, "articles/nb/x.md:6: error: 'order' must be a whole number, not '3'"),
        ({"order": "9" * 60}, "articles/nb/x.md:6: error: 'order' must be a whole number,"
                              " not '" + "9" * 39 + "…'"),
        ({"slug": "bad slug"}, "articles/nb/x.md:6: error: bad slug 'bad slug': use letters, digits and '-'"),
        ({"lang": "sv"}, "articles/nb/x.md:6: error: 'lang: sv' does not match the folder's language 'nb'"),
        ({"tags": "[[a]]"}, "articles/nb/x.md:6: error: 'tags' must be text, not a list"),
        ({"summary": "a\x07b"}, "articles/nb/x.md:6: error: bad YAML: character U+0007 is not allowed"
                                " (control characters are not allowed)"),
        ({"? [a, b]": "c"}, "articles/nb/x.md:6: error: a key must be a plain name, not a list or mapping"),
    ],
)  # fmt: skip
def test_bad_values_are_reported_at_their_line(
    kb_root: KnowledgeBase, front: dict[str, str], expected: str
) -> None:
    result = load_one(kb_root, article(**front))
    assert messages(result) == [expected]
    assert len(result.library) == 0


def test_a_tab_in_the_front_matter_gets_a_hint(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, "---\ntitle: x\ntags:\n\t- a\n---\n")
    assert messages(result) == [
        "articles/nb/x.md:4: error: bad YAML: found character that cannot start any token"
        " (while scanning for the next token that starts on line 4) (indent with spaces, not tabs)"
    ]


def test_front_matter_that_is_a_list_is_refused(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, "---\n- title\n- author\n---\n")
    assert messages(result) == [
        "articles/nb/x.md:2: error: expected 'key: value' lines, not a list or plain text"
    ]


def test_updated_before_date_is_a_warning_and_the_article_still_loads(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, article(updated="2024-01-01"))
    assert messages(result) == ["articles/nb/x.md:6: warning: 'updated' is earlier than 'date'"]
    assert result.errors == ()
    assert len(result.library) == 1


def test_an_empty_body_is_a_warning(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, "---\ntitle: T\nauthor: A\ndate: 2024-07-24\ncategory: C\n---\n")
    assert messages(result) == ["articles/nb/x.md:6: warning: the article has no text after its front-matter"]


def test_a_nul_byte_means_not_a_text_file(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, article("line\n\x00"))
    assert messages(result) == [
        "articles/nb/x.md:9: error: contains a NUL character: this is not a text file"
    ]


def test_an_article_outside_a_language_folder(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, article(), name="articles/stray.md")
    assert messages(result) == [
        "articles/stray.md:1: error: article outside a language folder: move it to articles/<lang>/"
    ]


def test_without_categories_yml_any_category_is_accepted(kb_root: KnowledgeBase) -> None:
    result = load_one(kb_root, article(category="Kom i gang"))
    assert messages(result) == []
    assert [(c.name, c.slug, c.key) for c in result.library.categories] == [
        ("Kom i gang", "kom-i-gang", "kom-i-gang")
    ]


def test_a_category_can_be_named_by_its_key(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/categories.yml": (
                "start:\n  order: 2\n  nb: {name: Kom i gang, description: Første steg}\n"
            ),
            "articles/nb/x.md": article(category="start"),
        },
        languages=["nb"],
    )
    found = load_library(load_settings(root)).library.get("nb", "x")
    assert found is not None
    assert (found.category.key, found.category.name, found.category.order) == ("start", "Kom i gang", 2)
    assert found.category.description == "Første steg"


def test_problems_in_categories_yml_are_located(kb_root: KnowledgeBase) -> None:
    categories = (
        "start:\n"
        "  nb: {name: Kom i gang}\n"
        "  nx: {name: Typo}\n"  # not a language
        "empty:\n"
        "  nb: {description: no name}\n"
        "flat: Feilsøking\n"
    )
    root = kb_root({"articles/categories.yml": categories, "articles/nb/x.md": article(category="start")})
    result = load_library(load_settings(root))
    assert messages(result) == [
        "articles/categories.yml:3: error: unknown language 'nx' in category 'start'",
        "articles/categories.yml:5: error: category 'empty' has no 'name' in 'nb'",
        "articles/categories.yml:6: error: 'flat' must be a mapping of names to values",
    ]
    assert len(result.library) == 1


def test_a_broken_categories_yml_is_reported_once_and_articles_still_load(kb_root: KnowledgeBase) -> None:
    root = kb_root({"articles/categories.yml": "start: [\n", "articles/nb/x.md": article()})
    result = load_library(load_settings(root))
    assert messages(result) == [
        "articles/categories.yml:2: error: bad YAML: did not find expected node content"
        " (while parsing a flow node that starts on line 2)"
    ]
    assert len(result.library) == 1


def test_translations_share_a_slug(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {
            "articles/nb/reset.md": article(title="Nullstill passord"),
            "articles/en/reset.md": article(title="Reset password"),
        }
    )
    library = load_library(load_settings(root)).library
    english = library.get("en", "reset")
    assert english is not None
    assert {lang: a.title for lang, a in library.translations(english).items()} == {
        "nb": "Nullstill passord",
        "en": "Reset password",
    }


# --- kb.yml ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("site_name: [x\n", "kb.yml:2: error: bad YAML: did not find expected ',' or ']'"
                            " (while parsing a flow sequence that starts on line 1)"),
        ("langauges: [nb]\n", "kb.yml:1: error: unknown key 'langauges' (did you mean 'languages'?)"),
        ("languages: [nb, xx]\n", "kb.yml:1: error: unknown language code 'xx' in 'languages'"),
        ("languages: [nb]\ndefault_language: sv\n",
         "kb.yml:2: error: default_language 'sv' is not one of the languages (nb)"),
        ("languages: {nb: 1}\n", "kb.yml:1: error: 'languages' must be a list like [a, b], not a mapping"),
        (b"site_name: \xe6\n", "kb.yml:1: error: not valid UTF-8: byte 0xe6 at offset 11;"
                               " save the file as UTF-8"),
        ("- nb\n- sv\n", "kb.yml:1: error: expected 'key: value' lines, not a list or plain text"),
    ],
)  # fmt: skip
def test_a_bad_kb_yml_is_a_located_config_error(
    kb_root: KnowledgeBase, config: str | bytes, expected: str
) -> None:
    root = kb_root({"kb.yml": config})
    with pytest.raises(ConfigError) as caught:
        load_settings(root)
    assert str(caught.value) == expected


def test_kb_yml_reads_no_as_norwegian(kb_root: KnowledgeBase) -> None:
    root = kb_root(
        {"kb.yml": "site_name: Hjelp\nlanguages: [no, sv]\ndefault_language: no\nbase_url: https://x/\n"}
    )
    found = load_settings(root)
    assert (found.site_name, found.languages, found.default_language) == ("Hjelp", ("nb", "sv"), "nb")
    assert found.base_url == "https://x"


def test_without_kb_yml_languages_come_from_the_folders(tmp_path: Path) -> None:
    for folder in ("sv", "nb", "not-a-language"):
        (tmp_path / "articles" / folder).mkdir(parents=True)
    found = load_settings(tmp_path)
    assert (found.languages, found.default_language) == (("nb", "sv"), "nb")


def test_dump_front_matter_round_trips_tricky_values(kb_root: KnowledgeBase) -> None:
    front = {
        "title": "no",
        "author": "Ester: Andersson",
        "date": dt.date(2024, 7, 24),
        "category": "Feilsøking",
        "tags": ["yes", "#1"],
        "summary": "",
    }
    text = dump_front_matter(front)
    assert text.startswith("---\ntitle: 'no'\n") and text.endswith("---\n")
    found = load_one(kb_root, text + "\nBody.\n").library.get("nb", "x")
    assert found is not None
    assert (found.title, found.author, found.date, found.tags) == (
        "no",
        "Ester: Andersson",
        dt.date(2024, 7, 24),
        ("yes", "#1"),
    )


# --- nothing a file holds makes the loader raise ----------------------------------------------------

FRAGMENTS = [
    "---",
    "...",
    "title: x",
    "title: no",
    "author: A",
    "date: 2024-07-24",
    "date: 2024-02-30",
    "date: 07/24/2024",
    "category: c",
    "tags: {a: 1}",
    "tags: [a, [b]]",
    "order: 99999999999",
    "draft: maybe",
    "lang: no",
    "slug: ../../etc",
    "? [a]\n: b",
    "&a x",
    "title: *a",
    "title: !!binary AAA",
    "title: [",
    "\t",
    "\ufeff",
    "\r\n",
    "\r",
    "\x00",
    "\x85",
    "\u2028",
    "# heading",
    "[x](javascript:alert(1))",
    "<script>",
    "```",
    "> " * 50,
    "1. " * 30,
]
FILE_TEXT = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=25).map(
    lambda parts: "\n".join(parts).encode("utf-8", "surrogatepass")
)
ANY_BYTES = st.one_of(
    st.binary(max_size=300),
    FILE_TEXT,
    FILE_TEXT.map(lambda b: b"---\n" + b),
    st.builds(lambda a, b: a + b"\n---\n" + b, FILE_TEXT, st.binary(max_size=50)),
)


@settings(max_examples=200, deadline=None)
@given(raw=ANY_BYTES)
def test_read_article_never_raises(raw: bytes) -> None:
    problems = Problems()
    found = read_article(raw, "articles/nb/x.md", "nb", CategoryTable({}, declared=False), problems)
    assert (found is None) == any(p.is_error for p in problems.items)
    for problem in problems.items:
        assert isinstance(problem, ContentError)
        assert problem.path == "articles/nb/x.md"
        assert problem.line >= 1
        assert "\n" not in str(problem)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.lists(ANY_BYTES, min_size=1, max_size=3))
def test_load_library_never_raises(files: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "articles" / "nb").mkdir(parents=True)
        (root / "articles" / "categories.yml").write_bytes(files[0])
        for i, raw in enumerate(files):
            (root / "articles" / "nb" / f"a{i}.md").write_bytes(raw)
        result = load_library(load_settings(root))
    assert all("\n" not in str(p) for p in result.problems)
    assert len(result.library) + len(result.drafts) <= len(files)
