"""British and American spellings as one word (``kb.search.variants``): the relation the server reads
from the typed side and the offline index ships from the written side must be the same relation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.search.variants import typed_forms, variant_table, variants

LISTED = [
    "colour",
    "color",
    "favourite",
    "behavioural",
    "centre",
    "centres",
    "catalogue",
    "dialogs",
    "licence",
    "license",
    "cheque",
    "check",
    "programme",
    "program",
    "grey",
    "judgement",
    "customise",
    "customized",
    "organisation",
    "organizational",
    "analyse",
    "analyzing",
    "cancelled",
    "canceling",
    "travellers",
    "labeled",
    "modelling",
    "filled",
    "installed",
    "size",
]
WORDS = st.one_of(st.sampled_from(LISTED), st.from_regex(r"[a-z]{1,16}", fullmatch=True))


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("colour", "color"),
        ("color", "colour"),
        ("favourite", "favorite"),
        ("centres", "centers"),
        ("catalogue", "catalog"),
        ("organisation", "organization"),
        ("customized", "customised"),
        ("analyse", "analyze"),
        ("cancelled", "canceled"),
        ("traveling", "travelling"),
        ("cheque", "check"),
        ("programme", "program"),
        ("licence", "license"),
    ],
)
def test_a_word_means_its_other_english_spelling(typed: str, meant: str) -> None:
    assert meant in variants("en", typed)
    assert typed in typed_forms("en", meant)


@pytest.mark.parametrize("word", ["check", "program", "filled", "filling", "size", "four", "hour", "store"])
def test_words_without_another_spelling_mean_only_themselves(word: str) -> None:
    """``check`` is not ``cheque`` (the American spelling of a British word is another British
    word); ``filled`` is no ``filed``; ``four`` no ``for``."""
    assert variants("en", word) == ()


def test_only_english_has_variants() -> None:
    assert variants("nb", "colour") == () and variants("en-GB", "colour") == ("color",)
    assert variant_table("sv", {"color"}) == {}


@given(WORDS)
def test_typed_forms_are_the_inverse_of_variants(word: str) -> None:
    for typed in typed_forms("en", word):
        assert word in variants("en", typed)
    for meant in variants("en", word):
        assert word in typed_forms("en", meant)


def test_the_table_maps_what_readers_type_to_the_words_written() -> None:
    table = variant_table("en", {"color", "center", "centre", "check", "install"})
    assert table["colour"] == ["color"] and table["cheque"] == ["check"]
    assert table["centre"] == ["center"] and table["center"] == ["centre"]
    assert "check" not in table
