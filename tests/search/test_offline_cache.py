"""The offline index's cache of article terms: an export after one change analyses only that article,
and what it writes is the same as without the cache, whatever state the cache is in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from kb.content.loader import load_library
from kb.model import Article
from kb.search.offline import TEXT_CHARS, IndexSize, TermCache, opening, read_term_cache, write_offline_index
from kb.settings import Settings
from tests.helpers import copy_sample


def written(folder: Path, lang: str) -> tuple[bytes, bytes]:
    search = folder / lang / "search"
    return (search / "index.js").read_bytes(), (search / "text.js").read_bytes()


def test_the_cache_never_changes_what_the_offline_index_holds(tmp_path: Path) -> None:
    settings: Settings = copy_sample(tmp_path / "kb")
    articles = list(load_library(settings).library.in_language("nb"))
    cache = tmp_path / "cache" / "offline-nb.pickle"

    def build(name: str, chosen: list[Article], cached: bool) -> tuple[bytes, bytes]:
        size = write_offline_index(tmp_path / name, "nb", chosen, None, cache if cached else None)
        assert isinstance(size, IndexSize) and size.articles == len(chosen)
        return written(tmp_path / name, "nb")

    plain = build("plain", articles, cached=False)
    assert build("cold", articles, cached=True) == plain  # cache written
    assert len(read_term_cache(cache).articles) == len(articles)
    assert build("warm", articles, cached=True) == plain  # cache read

    # One article changed: the new text is searchable, exactly as a build without the cache has it.
    first = articles[0]
    edited = [dataclasses.replace(first, text=first.text + " kvasirhjelp"), *articles[1:]]
    changed = build("changed", edited, cached=True)
    assert changed == build("changed-plain", edited, cached=False)
    assert b"kvasirhjelp" in changed[0] and changed != plain
    summarised = [dataclasses.replace(edited[0], summary=first.summary + " flammeskjerm"), *articles[1:]]
    assert b"flammeskjerm" in build("summary", summarised, cached=True)[0]  # searched: part of the key

    # A removed article leaves the cache; a damaged cache is rebuilt, never trusted.
    assert build("removed", edited[1:], cached=True) == build("removed-plain", edited[1:], cached=False)
    assert len(read_term_cache(cache).articles) == len(articles) - 1
    cache.write_bytes(cache.read_bytes()[:-10] + b"0123456789")
    assert read_term_cache(cache) == TermCache()
    assert build("damaged", edited, cached=True) == build("damaged-plain", edited, cached=False)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcæøå-.\u00a0", max_size=40), st.sampled_from([" ", "\n", "  \t ", "\u2003"])
        ),
        max_size=400,
    )
)
@example([("ord" * 9, " ")] * 200)  # long: the first prefix ends inside a word
@example([("a", " " * 1500)] * 3 + [("b" * 30, " ")] * 100)  # a prefix of whitespace only
def test_the_snippet_opening_is_the_whole_texts_opening(chunks: list[tuple[str, str]]) -> None:
    """The snippet text read from a bounded prefix is exactly the whole text's, whitespace
    collapsed and cut at ``TEXT_CHARS``, wherever the prefix ends (in a word or in whitespace)."""
    text = "".join(word + space for word, space in chunks)
    assert opening(text) == " ".join(text.split())[:TEXT_CHARS]
