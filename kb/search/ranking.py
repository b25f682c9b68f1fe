"""The ranking model: a query's words as plans of weighted terms, scored over one generation's arrays.

Each query word becomes a ``WordPlan``: *primary* alternatives (its stem in title, keywords,
headings and body, its exact form, the word itself where it is the stem of other words, a synonym,
a prefix expansion, the parts of an unknown compound)
and *secondary* ones (accent-folded form, compound tails, hyphen parts), each a set of
(field, term, boost). A word's score in an article is the best primary alternative, or, only where
none matches, the best secondary one scaled down: folding never outranks the exact word.

An article's score is the sum of its word scores times a soft coordination factor (the share of
the query's weight it matches, each word weighted by its idf, so everyday words count little) and
a title factor (the share of that weight its title matches). Which articles are results at all is
``kb.search.query.required_matches``: up to two words all, three to six all but one, longer
questions any; a plain multi-word query's adjacent words add a phrase bonus to the top candidates.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from kb.search.scoring import Floats, Generation
from kb.search.variants import variants
from kb.search.words import (
    COMBINING_MARK,
    COMPOUNDING,
    MARK,
    WORD_CHAR,
    fold,
    has_single,
    is_pair,
    is_run,
    is_single,
    pieces,
)

Term = tuple[str, str, float]  # field, term, boost
PRIMARY_FIELDS = (("title", 3.0), ("keywords", 2.8), ("headings", 1.5), ("body", 1.0))
EXACT_BOOST = 2.0
FOLDED_BOOST = 0.6
COMPOUND_BOOST = 0.5
SECONDARY = 0.5  # a secondary-only match scores at most half, and counts half in coordination
SYNONYM_SCALE = 0.9
DECOMPOUND_SCALE = 0.7
COORDINATION_POWER = 1.0
COORDINATION_FLOOR = 0.5  # the factor of an article matching none of the weight (1: no coordination)
IMPORTANCE_POWER = 1.0  # idf ** this: how much rarer words weigh more in coordination
LONG_QUERY = 5  # more words than this: a whole question, coordinated more strictly
LONG_FLOOR = 0.3
LONG_POWER = 3.0
MIN_COVERAGE = 0.0  # three words or more: the share of the query's weight a result must match
TITLE_FACTOR = 3.0
TITLE_SHAPE = 2.0  # title coverage ** this: a title matching most of the query's weight counts most
PHRASE_FACTOR = 0.3
PHRASE_CANDIDATES = 40
MIN_PART = 3
DECOMPOUND_LANGUAGES = COMPOUNDING
MIN_PART_APART = 2  # the shortest word of two typed apart that join (one letter: service.joined_words)
LINKS = ("", "s", "e")  # the letters joining a Nordic compound's parts (lønnsslipp, varetelling)
RARE_COMPOUND = 2  # a compound in at most this many articles is also matched by its parts
GUESS_SCALE = 0.8  # an unknown word read as an inflection of a known stem, or a close longer word
LOOSE_SCALE = 0.4  # ... or a longer word it starts (secondary)
MIN_GUESS = 3
GUESS_TRIM = 4  # an inflection drops at most this many letters
CLOSE_LONGER = 3  # a longer word with at most this many letters more is a close guess
MAX_GUESSES = 40
MIN_CORRECTABLE = 4  # shorter words are never corrected ("did you mean", fuzzy)
LONG_TYPO = 7  # words this long may be two edits from the word meant, shorter ones one
TYPO_CANDIDATES = 3  # the words one edit away a word no article writes is also read as
COMPOUND_INFLECTION = 0.75  # a compound's inflection guess keeps at least this share of its letters
MIN_HEAD = 4  # the shortest last part an unknown compound is read as (sykefravær: fravær), a guess


@dataclass(frozen=True)
class Alternative:
    """One way a word can match: terms summed (times ``scale``); ``parts`` all required (compounds)."""

    terms: tuple[Term, ...]
    scale: float = 1.0
    parts: tuple[tuple[Term, ...], ...] = ()


@dataclass
class WordPlan:
    """What one query word matches, and how much it weighs in coordination."""

    text: str
    primary: list[Alternative] = field(default_factory=list)
    secondary: list[Alternative] = field(default_factory=list)
    mask: np.ndarray | None = None  # a quoted phrase: only these documents match
    importance: float = 1.0
    misspelled: bool = False  # no article has it in any form: matched only by its close spellings

    def written(self) -> tuple[str, ...]:
        """The articles' words this word matches by (its primary terms: stems and written forms,
        guesses, corrections, compound parts and synonyms included), for the snippet to mark."""
        return tuple(dict.fromkeys(term for a in self.primary for _name, term, _boost in a.terms))


@dataclass(frozen=True)
class Scored:
    """A query's scores over every document, and which documents match how many words."""

    scores: Floats
    counts: np.ndarray
    words: int
    coverage: Floats | None = None


def stem_terms(stem: str, exact: str | None) -> tuple[Term, ...]:
    """The primary terms of a word: its stem in the weighted fields and its exact form."""
    terms: list[Term] = [(name, stem, boost) for name, boost in PRIMARY_FIELDS]
    if exact:
        terms.append(("exact", exact, EXACT_BOOST))
    return tuple(terms)


def written_terms(gen: Generation, word: str) -> tuple[Term, ...]:
    """The primary terms of a word the articles write: its stem (the word itself where the stemmed
    fields ignore it) and its exact form."""
    return stem_terms(gen.analyse("body", word) or word, word)


def importance(gen: Generation, df: int) -> float:
    """An idf: how much a word with ``df`` articles tells (a word no article has, the most)."""
    return float(math.log(1.0 + (gen.live_count - df + 0.5) / (df + 0.5)) ** IMPORTANCE_POWER)


def stem_df(gen: Generation, stem: str) -> int:
    """Articles with ``stem`` in any weighted field (the offline index counts the same union)."""
    docs = [gen.postings(name, stem).docs for name, _boost in PRIMARY_FIELDS]
    return len(np.unique(np.concatenate(docs))) if any(len(d) for d in docs) else 0


def written_variants(gen: Generation, word: str) -> list[str]:
    """The other spellings of ``word`` the articles write (British ``colour``, American ``color``:
    ``kb.search.variants``), read as the word itself, never as a typo."""
    return [v for v in variants(gen.lang, word) if gen.postings("exact", v).df]


def known(gen: Generation, word: str) -> bool:
    """Whether ``word`` occurs in the index as typed, by its stem, accent-folded or in its other
    English spelling."""
    if written_variants(gen, word):
        return True
    exact = gen.analyse("exact", word)
    stem = gen.analyse("body", word)
    if exact and gen.postings("exact", exact).df:
        return True
    if stem and any(gen.postings(name, stem).df for name, _b in PRIMARY_FIELDS):
        return True
    folded = gen.analyse("folded", word)
    return bool(folded and gen.postings("folded", folded).df)


def split_compound(gen: Generation, word: str) -> tuple[str, str] | None:
    """An unknown Nordic compound as two words the articles use (``varetelling``: ``vare`` +
    ``telling``; a linking ``s`` or ``e`` dropped), the split whose parts are most frequent."""
    best: tuple[float, tuple[str, str]] | None = None
    for at in range(MIN_PART, len(word) - MIN_PART + 1):
        right = word[at:]
        for left in {word[:at], *([word[: at - 1]] if word[at - 1] in "se" and at - 1 >= MIN_PART else [])}:
            dfs = [gen.postings("exact", part).df for part in (left, right)]
            if min(dfs) == 0:
                continue
            value = math.sqrt(dfs[0] * dfs[1]) * (len(left) + len(right))
            if best is None or value > best[0]:
                best = (value, (left, right))
    return best[1] if best else None


def compound_head(gen: Generation, word: str) -> str | None:
    """The last part of an unknown Nordic compound whose first part the articles do not use: the
    longest word of theirs it ends with (``sykefravær``: ``fravær``). Nordic compounds name a kind
    of their last part, so articles about it are the nearest answer."""
    for at in range(MIN_PART, len(word) - MIN_HEAD + 1):
        if gen.postings("exact", word[at:]).df:
            return word[at:]
    return None


def word_plan(gen: Generation, word: str, synonyms: dict[str, tuple[str, ...]]) -> WordPlan | None:
    """The plan of one typed word; None for a word the index ignores (a stop word)."""
    joined = pieces(word)[0]
    stem = gen.analyse("body", joined)
    exact = gen.analyse("exact", joined)
    if stem is None or exact is None:
        return None
    plan = WordPlan(word)
    plan.primary.append(Alternative(stem_terms(stem, exact)))
    if stem != joined and stem_df(gen, joined):  # bruker (user) stems as bruk (use); brukere as bruker
        plan.primary.append(Alternative(stem_terms(joined, None)))
    folded = gen.analyse("folded", joined)
    if folded:
        plan.secondary.append(Alternative((("folded", folded, FOLDED_BOOST),)))
    plan.secondary.append(Alternative((("compound", stem, COMPOUND_BOOST),)))
    if fold(exact) != exact:  # typed with accents, written without (café, cafe)
        plan.secondary.append(Alternative((("exact", fold(exact), FOLDED_BOOST),)))
    for synonym in synonyms_of(gen, joined, stem, synonyms):
        alternative = synonym_alternative(gen, synonym)
        if alternative is not None:
            plan.primary.append(alternative)
    df = stem_df(gen, stem) or gen.postings("exact", exact).df
    spelled = written_variants(gen, joined)
    for variant in spelled:  # the same word in the other English: as the word itself
        terms = written_terms(gen, variant)
        plan.primary.append(Alternative(terms))
        df = max(df, stem_df(gen, terms[0][1]) or gen.postings("exact", variant).df)
    unknown = not df and not known(gen, joined)
    if not df and not unknown:  # typed without the accents the articles write (bokfora: bokföra)
        df = accented(gen, plan, joined)
    split = None
    if gen.lang in DECOMPOUND_LANGUAGES and len(joined) >= 2 * MIN_PART and (unknown or df <= RARE_COMPOUND):
        split = split_compound(gen, joined)
        if split is not None:
            parts = [written_terms(gen, part) for part in split]
            plan.primary.append(Alternative(parts[0] + parts[1], DECOMPOUND_SCALE, tuple(parts)))
            if unknown:
                df = min(gen.postings("exact", p).df for p in split)
    written = bool(gen.postings("exact", exact).df or spelled)
    close = close_spellings(gen, joined) if not written else []  # a typo?
    if close and joined.isalpha():
        best = misspelled(gen, plan, close)
        if unknown:
            df = max(df, best)
            plan.misspelled = best > 0
    if unknown and len(joined) >= MIN_GUESS and not typo(close):  # unknown: no article writes it
        df = max(df, guess(gen, plan, joined, compound=split is not None))
        if split is None and gen.lang in DECOMPOUND_LANGUAGES:
            head = compound_head(gen, joined)
            if head is not None:
                plan.primary.append(Alternative(written_terms(gen, head), GUESS_SCALE))
                df = max(df, gen.postings("exact", head).df)
    plan.importance = importance(gen, df)
    return plan


def written_together(gen: Generation, first: str, second: str) -> str | None:
    """Two words typed apart that the articles write as one: ``user name`` (``username``), ``sign
    in`` (``signin``), ``kunde faktura`` (``kundefaktura``), in nb/nn/sv/da also with a linking
    ``s`` or ``e`` (``lønn slipp``: ``lønnsslipp``); None when the articles do not, or the word is
    one search ignores."""
    a, b = pieces(first)[0], pieces(second)[0]
    if is_pair(a + b):  # two characters the articles write side by side (编, 辑: 编辑)
        return a + b if gen.postings("exact", a + b).df else None
    if len(a) < MIN_PART_APART or len(b) < MIN_PART_APART or not (a + b).isalpha():
        return None
    for link in LINKS if gen.lang in DECOMPOUND_LANGUAGES else ("",):
        joined = a + link + b
        if joined not in gen.stop and gen.postings("exact", joined).df:
            return joined
    return None


def join_apart(gen: Generation, words: list[str], plans: list[WordPlan | None]) -> None:
    """Each pair of words typed apart that the articles write as one (``written_together``) also
    matches that word, in both words' plans at half weight each, so the one word counts once (an
    ignored word has no plan: ``sign in``'s ``sign`` alone, at full weight); never a typo then. An
    ignored word may only come second, as the particle of an English verb (``log in``, ``set
    up``): first, it starts other words (``up date`` is no ``update``, ``in come`` no ``income``);
    in nb/nn/sv/da, where such verbs are written apart, it ends them (``lønn som``: ``lønnsom``).
    Two Chinese, Japanese or Korean characters are such a pair."""
    for at in range(len(words) - 1):
        if plans[at] is None or (plans[at + 1] is None and gen.lang in DECOMPOUND_LANGUAGES):
            continue
        joined = written_together(gen, words[at], words[at + 1])
        if joined is None:
            continue
        pair = [plan for plan in plans[at : at + 2] if plan is not None]
        alternative = Alternative(written_terms(gen, joined), 1.0 / len(pair))
        for plan in pair:
            plan.primary.append(alternative)
            plan.misspelled = False


def run_synonyms(
    gen: Generation, words: list[str], plans: list[WordPlan | None], synonyms: dict[str, tuple[str, ...]]
) -> None:
    """The synonyms of a Chinese, Japanese or Korean word, typed as its characters (编辑: 修改,
    다운로드: 내려받기): where a key's characters stand side by side among the query's words, each
    of its synonyms is an alternative in those characters' plans, split between them so that it
    counts once, a little below the words typed (a synonym of characters needs every pair of them
    side by side in the article: ``run_alternative``)."""
    for at in range(len(words)):  # each run of characters in the query, looked up (not the table)
        end = at + 1
        while end < len(words) and is_single(words[at]) and is_single(words[end]):
            end += 1
            covered = [plan for plan in plans[at:end] if plan is not None]
            for synonym in synonyms.get("".join(words[at:end]), ()) if covered else ():
                found = (
                    run_alternative(gen, synonym) if is_run(synonym) else synonym_alternative(gen, synonym)
                )
                if found is None:
                    continue
                split = Alternative(found.terms, SYNONYM_SCALE / len(covered), found.parts)
                for plan in covered:
                    plan.primary.append(split)
                    plan.misspelled = False


def run_alternative(gen: Generation, run: str) -> Alternative:
    """Chinese, Japanese or Korean characters as one alternative: each two side by side (the words
    ``kb.search.words.token_matches`` indexes), all of them required."""
    parts = tuple(written_terms(gen, run[at : at + 2]) for at in range(len(run) - 1))
    return Alternative(tuple(term for part in parts for term in part), 1.0, parts if len(parts) > 1 else ())


def accented(gen: Generation, plan: WordPlan, word: str) -> int:
    """The words the articles write as ``word`` but with accents, as guesses of the word itself (the
    offline search reads them so too); their best df. An exact word, where there is one, always
    comes first: it is the word typed, so this is only for a word no article writes as typed."""
    best = 0
    for written in gen.spelling().accented(word)[:MAX_GUESSES]:
        stem = gen.analyse("body", written)
        if stem is not None:  # never a stop word (många for manga)
            plan.primary.append(Alternative(stem_terms(stem, written), GUESS_SCALE))
            best = max(best, gen.postings("exact", written).df)
    return best


def close_spellings(gen: Generation, word: str) -> list[tuple[int, str]]:
    """The words the articles write that a typo of ``word`` could have meant: within one edit (two
    for long words), accents aside, closest then most frequent first; none for short words."""
    if len(word) < MIN_CORRECTABLE:
        return []
    limit = 1 if len(word) < LONG_TYPO else 2
    return [(distance, w) for distance, w in gen.spelling().corrections(word) if distance <= limit]


def misspelled(gen: Generation, plan: WordPlan, close: list[tuple[int, str]]) -> int:
    """A word no article writes, read as the words they write one edit away (``close_spellings``)
    as guesses: the closest and most frequent few (``avskrivnig``: ``avskrivning``, though its stem
    is some article's; ``wharehouse``: ``warehouse``), so a misspelled word in a longer query still
    counts; their best df. "Did you mean" still offers the correction."""
    best = 0
    for _distance, written in close[:TYPO_CANDIDATES]:
        stem = gen.analyse("body", written)
        if stem is not None:
            plan.primary.append(Alternative(stem_terms(stem, written), GUESS_SCALE))
            best = max(best, gen.postings("exact", written).df)
    return best


def typo(close: list[tuple[int, str]]) -> bool:
    """Whether a word's ``close_spellings`` make it a misspelling of a word the articles use: then
    it is read as those words (``misspelled``), never guessed at as an inflection or the start of a
    longer word (the same word with other accents is no typo)."""
    return any(distance > 0 for distance, _word in close)


def guess(gen: Generation, plan: WordPlan, word: str, compound: bool = False) -> int:
    """Alternatives for a word no article uses, as the offline search guesses (``kb/static/offline.js``):
    an inflection of a known stem (the longest stem the word starts with, a few letters shorter:
    ``tidrapportering`` finds ``tidrapport``), and the words the articles use that start with it
    (``cvr`` finds ``cvr-nr``), close ones as primary, longer ones as secondary; the best df. A word
    split as a compound is read as an inflection only of a stem that is most of it (``momsfil`` is
    not ``moms``)."""
    best = 0
    shortest = max(MIN_GUESS, len(word) - GUESS_TRIM)
    if compound:
        shortest = max(shortest, math.ceil(COMPOUND_INFLECTION * len(word)))
    for length in range(len(word) - 1, shortest - 1, -1):
        head = gen.analyse("body", word[:length]) or word[:length]
        df = stem_df(gen, head)
        if df:
            plan.primary.append(Alternative(stem_terms(head, None), GUESS_SCALE))
            best = df
            break
    for longer in gen.spelling().prefixed(word, MAX_GUESSES):
        terms = written_terms(gen, longer)
        if len(longer) - len(word) <= CLOSE_LONGER:
            plan.primary.append(Alternative(terms, GUESS_SCALE))
            best = max(best, gen.postings("exact", longer).df)
        else:
            plan.secondary.append(Alternative(terms, LOOSE_SCALE))
    return best


def synonyms_of(
    gen: Generation, word: str, stem: str, synonyms: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The synonyms of a typed word: by the word itself, else by its stem (``abonnemanget`` finds
    the line of ``abonnemang``)."""
    if word in synonyms:
        return synonyms[word]
    found: list[str] = []
    for key, others in synonyms.items():
        if not has_single(key) and gen.analyse("body", key) == stem:  # 编辑 is a pair's, not 编's
            found.extend(o for o in others if o not in found)
    return tuple(found)


def synonym_alternative(gen: Generation, synonym: str) -> Alternative | None:
    """A synonym (one word) as a primary alternative, scored a little below the word typed."""
    joined = pieces(synonym)[0]
    stem = gen.analyse("body", joined)
    if stem is None:
        return None
    return Alternative(stem_terms(stem, gen.analyse("exact", joined)), SYNONYM_SCALE)


def expansion_plan(gen: Generation, text: str, words: list[str], compound: list[str]) -> WordPlan:
    """A prefix (or fuzzy) word: each of its expansions a primary alternative, compound tails secondary."""
    plan = WordPlan(text)
    best_df = 0
    for word in words:
        plan.primary.append(Alternative(written_terms(gen, word)))
        best_df = max(best_df, gen.postings("exact", word).df)
    for tail in compound:
        plan.secondary.append(Alternative((("compound", tail, COMPOUND_BOOST),)))
    plan.importance = importance(gen, best_df)
    return plan


def _alternative_scores(gen: Generation, alternative: Alternative, title: np.ndarray | None) -> Floats:
    scores = np.zeros(gen.size, dtype=np.float32)
    titled = np.zeros(gen.size, dtype=bool)
    for name, term, boost in alternative.terms:
        posting = gen.postings(name, term)
        if posting.df:
            scores[posting.docs] += posting.scores * boost
            if name == "title":
                titled[posting.docs] = True
    if alternative.parts:
        every = np.ones(gen.size, dtype=bool)
        every_title = np.ones(gen.size, dtype=bool)
        for part in alternative.parts:
            has = np.zeros(gen.size, dtype=bool)
            has_title = np.zeros(gen.size, dtype=bool)
            for name, term, _boost in part:
                docs = gen.postings(name, term).docs
                has[docs] = True
                if name == "title":
                    has_title[docs] = True
            every &= has
            every_title &= has_title
        scores[~every] = 0.0
        titled = every_title
    if title is not None:
        title |= titled & (scores > 0)
    return (scores * alternative.scale).astype(np.float32)


def score_words(gen: Generation, plans: list[WordPlan]) -> tuple[Scored, Floats, Floats]:
    """Each document's summed word scores, matched-word counts, coverage and title coverage."""
    total = np.zeros(gen.size, dtype=np.float32)
    counts = np.zeros(gen.size, dtype=np.int32)
    covered = np.zeros(gen.size, dtype=np.float32)
    titled = np.zeros(gen.size, dtype=np.float32)
    weight = sum(p.importance for p in plans) or 1.0
    for plan in plans:
        title = np.zeros(gen.size, dtype=bool)
        primary = np.zeros(gen.size, dtype=np.float32)
        for alternative in plan.primary:
            primary = np.maximum(primary, _alternative_scores(gen, alternative, title))
        secondary = np.zeros(gen.size, dtype=np.float32)
        for alternative in plan.secondary:
            secondary = np.maximum(secondary, _alternative_scores(gen, alternative, None))
        word = np.where(primary > 0, primary, secondary * SECONDARY)
        matched = np.where(primary > 0, 1.0, np.where(secondary > 0, SECONDARY, 0.0)).astype(np.float32)
        if plan.mask is not None:
            word = np.where(plan.mask, word, 0.0).astype(np.float32)
            matched = np.where(plan.mask, matched, 0.0).astype(np.float32)
            title &= plan.mask
        total += word
        counts += matched > 0
        covered += matched * plan.importance
        titled += title * plan.importance
    return (
        Scored(total, counts, len(plans)),
        (covered / weight).astype(np.float32),
        (titled / weight).astype(np.float32),
    )


def coordination_shape(words: int) -> tuple[float, float]:
    """The coordination factor's floor and power for a query of ``words`` words: soft for the short
    queries readers type, stricter for whole questions (more words carry more noise)."""
    if words > LONG_QUERY:
        return LONG_FLOOR, LONG_POWER
    return COORDINATION_FLOOR, COORDINATION_POWER


def rank(gen: Generation, plans: list[WordPlan]) -> Scored:
    """The final scores: word scores times coordination and title factors."""
    scored, coverage, title = score_words(gen, plans)
    floor, power = coordination_shape(len(plans))
    coordination = (floor + (1.0 - floor) * coverage) ** power
    factor = coordination * (1.0 + TITLE_FACTOR * title**TITLE_SHAPE)
    return Scored((scored.scores * factor).astype(np.float32), scored.counts, scored.words, coverage)


def loose(word: str, accents: dict[str, str]) -> str:
    """A regex for a folded word in lowercased text: each letter with the accented forms of it the
    articles use (``accents``: ``Generation.accents``), hyphens allowed between letters (``epost``
    matches ``e-post``, ``soppel`` matches ``søppel``), and the marks folding drops after a letter of
    another script (a virama: ``हिनदी`` matches ``हिन्दी``)."""
    letters = [
        (f"[{accents[c]}]" if c in accents else re.escape(c)) + ("" if c.isascii() else f"{COMBINING_MARK}*")
        for c in word
    ]
    return "-?".join(letters)


def phrase_pattern(words: list[str], accents: dict[str, str]) -> re.Pattern[str] | None:
    """Adjacent query words in stored text (each word's first letters, where a word starts:
    ``kb.search.words.word_matches``), for the phrase bonus; a
    Chinese, Japanese or Korean character next to the one after it, with no space between (地图 of 地, 图)."""
    heads: list[tuple[bool, str]] = []  # (a character of its own, its pattern)
    for w in words:
        if is_single(w):
            heads.append((True, re.escape(w)))
        elif len(w) >= 2:
            heads.append((False, loose(fold(pieces(w)[0])[: max(3, len(w) - 2)], accents)))
    if len(heads) < 2:
        return None
    rest = rf"(?:{WORD_CHAR}|{MARK})*"
    pairs = [
        rf"{a}\s*{b}" if single_a else rf"{a}{rest}" + (rf"\s*{b}" if single_b else rf"[\s\-]+{b}")
        for (single_a, a), (single_b, b) in itertools.pairwise(heads)
    ]
    return re.compile("|".join(pairs))
