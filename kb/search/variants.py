"""British and American spellings of one English word: ``colour`` is ``color``, ``centre`` is
``center``, ``cancelled`` is ``canceled``, ``cheque`` is ``check``.

A reader in London searching a help center written in Seattle (or the other way round) types the
word correctly, in their own English: it is no typo, and "did you mean" must not say it is. The
search reads a typed word also as its other spellings that the articles write (``variants``), at the
weight of the word itself; the offline index ships the same relation, from the written side
(``typed_forms``), for the words its articles write, so the browser reads them alike.

The relation holds both ways except for a few words whose American spelling is another British
word (``check`` is not ``cheque``; ``program`` is software, ``programme`` a schedule): those go
from British to American only. Closed classes are listed (``-our``, ``-re``, ``-ogue``, ``-ence``);
the two open ones are rules, and a form a rule makes up that no article writes is never looked up.
Standard library only, like ``kb.search.words``.
"""

from __future__ import annotations

import re
from functools import cache

# -our / -or: the words that take -our in British English, with the endings they take.
_OUR = [
    "ardour",
    "armour",
    "behaviour",
    "candour",
    "clamour",
    "colour",
    "demeanour",
    "endeavour",
    "favour",
    "fervour",
    "flavour",
    "glamour",
    "harbour",
    "honour",
    "humour",
    "labour",
    "neighbour",
    "odour",
    "parlour",
    "rigour",
    "rumour",
    "saviour",
    "savour",
    "splendour",
    "tumour",
    "valour",
    "vapour",
    "vigour",
]
_OUR_ENDINGS = ("", "s", "ed", "ing", "ite", "ites", "ful", "able", "ably", "al", "ally", "er", "ers", "less")
_OUR_PREFIXES = ("", "dis", "un", "mis", "re")
# -re / -er (British first): the word, plural, past and -ing forms.
_RE = [
    "calib",
    "cent",
    "centimet",
    "fib",
    "kilomet",
    "lit",
    "lust",
    "meag",
    "met",
    "millimet",
    "sab",
    "somb",
    "spect",
    "theat",
]
# -ogue / -og
_OGUE = ["analog", "catalog", "dialog", "epilog", "monolog", "prolog"]
# Pairs that hold both ways (British, American), inflected forms listed.
_BOTH = [
    ("acknowledgement", "acknowledgment"),
    ("acknowledgements", "acknowledgments"),
    ("ageing", "aging"),
    ("aluminium", "aluminum"),
    ("artefact", "artifact"),
    ("artefacts", "artifacts"),
    ("cosy", "cozy"),
    ("defence", "defense"),
    ("distil", "distill"),
    ("enrol", "enroll"),
    ("enrolment", "enrollment"),
    ("enrolments", "enrollments"),
    ("enrols", "enrolls"),
    ("fulfil", "fulfill"),
    ("fulfilment", "fulfillment"),
    ("fulfils", "fulfills"),
    ("grey", "gray"),
    ("greyed", "grayed"),
    ("instalment", "installment"),
    ("instalments", "installments"),
    ("instil", "instill"),
    ("jewellery", "jewelry"),
    ("judgement", "judgment"),
    ("judgements", "judgments"),
    ("licence", "license"),
    ("licences", "licenses"),
    ("manoeuvre", "maneuver"),
    ("mould", "mold"),
    ("offence", "offense"),
    ("plough", "plow"),
    ("practise", "practice"),
    ("practised", "practiced"),
    ("pretence", "pretense"),
    ("sceptical", "skeptical"),
    ("skilful", "skillful"),
]
# British to American only: the American spelling is also another British word.
_ONE_WAY = {
    "cheque": "check",
    "cheques": "checks",
    "chequebook": "checkbook",
    "chequebooks": "checkbooks",
    "enquiry": "inquiry",
    "enquiries": "inquiries",
    "kerb": "curb",
    "programme": "program",
    "programmes": "programs",
    "storey": "story",
    "storeys": "stories",
    "tyre": "tire",
    "tyres": "tires",
}
# -ise / -ize and -yse / -yze (customise, organisation, analyse), at least three letters before.
_ISE = re.compile(r"^(\w{3,}?)([iy])([sz])(e|es|ed|ing|er|ers|ation|ations|ational|able)$")
# -lled / -led: a doubled final l after a word of two syllables or more ending in a single vowel
# and l (cancelled, travelling, labelled, modeller; never filled or installed's "instal").
_LLED = re.compile(r"^(\w*[aeiouy][^aeiouy]+[aeo])(ll?)(ed|ing|er|ers|or|ors)$")


@cache
def _pairs() -> dict[str, str]:
    """Every listed word with its other spelling (both ways, but the one-way list)."""
    both: list[tuple[str, str]] = list(_BOTH)
    for british in _OUR:
        american = british[:-3] + "or"
        both += [
            (prefix + british + ending, prefix + american + ending)
            for prefix in _OUR_PREFIXES
            for ending in _OUR_ENDINGS
        ]
    for stem in _RE:
        both += [(stem + "re", stem + "er"), (stem + "res", stem + "ers")]
        both += [(stem + "red", stem + "ered"), (stem + "ring", stem + "ering")]
    for stem in _OGUE:
        both += [(stem + "ue", stem), (stem + "ues", stem + "s")]
        both += [(stem + "ued", stem + "ed"), (stem + "uing", stem + "ing")]
    pairs: dict[str, str] = {}
    for british, american in both:
        pairs[british] = american
        pairs[american] = british
    return pairs


@cache
def _one_way_back() -> dict[str, tuple[str, ...]]:
    back: dict[str, list[str]] = {}
    for british, american in _ONE_WAY.items():
        back.setdefault(american, []).append(british)
    return {american: tuple(britishs) for american, britishs in back.items()}


def is_english(lang: str) -> bool:
    return lang.lower().split("-")[0].split("_")[0] == "en"


def _both_ways(word: str) -> list[str]:
    found = []
    listed = _pairs().get(word)
    if listed:
        found.append(listed)
    ise = _ISE.match(word)
    if ise:
        start, vowel, letter, ending = ise.groups()
        found.append(start + vowel + ("z" if letter == "s" else "s") + ending)
    lled = _LLED.match(word)
    if lled:
        start, ls, ending = lled.groups()
        found.append(start + ("l" if ls == "ll" else "ll") + ending)
    return [f for f in found if f != word]


def variants(lang: str, word: str) -> tuple[str, ...]:
    """The other spellings a reader typing ``word`` (lowercased) means: ``colour`` gives ``color``,
    ``cheque`` gives ``check``; none but for English."""
    if not is_english(lang) or not word.isalpha():
        return ()
    found = _both_ways(word)
    if word in _ONE_WAY:
        found.append(_ONE_WAY[word])
    return tuple(dict.fromkeys(found))


def typed_forms(lang: str, written: str) -> tuple[str, ...]:
    """The words a reader may type meaning ``written``, the inverse of ``variants``: ``t`` is among
    ``typed_forms(w)`` exactly when ``w`` is among ``variants(t)``."""
    if not is_english(lang) or not written.isalpha():
        return ()
    return tuple(dict.fromkeys([*_both_ways(written), *_one_way_back().get(written, ())]))


def variant_table(lang: str, vocabulary: set[str] | frozenset[str]) -> dict[str, list[str]]:
    """For the offline index: each typed form with the words of ``vocabulary`` it means (sorted)."""
    if not is_english(lang):
        return {}
    table: dict[str, list[str]] = {}
    for written in vocabulary:
        for typed in typed_forms(lang, written):
            table.setdefault(typed, []).append(written)
    return {typed: sorted(words) for typed, words in sorted(table.items())}
