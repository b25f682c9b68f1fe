"""Real questions over the Business Central help: kb's MRR@5, success@1 and @5 next to plain BM25.

The questions (``bench/data/bc_questions.yml``) are written the way readers type them into a
help-center search box, in en, nb, sv and da, each with the article(s) that answer it. The corpus is
converted by ``business_central.convert`` into a temporary knowledge base, loaded and indexed by kb
exactly as ``business_central.py`` does, and every question goes through
``SearchService.search(q, lang, limit=10)``.

Next to it, in the same run and over the same converted article texts (``Article.text``, the plain
text kb indexes), plain BM25: bm25s (Lucene variant, k1=1.2, b=0.75) with the language's Snowball
stemmer from PyStemmer, lower-cased ``\\w+`` tokens, no stop words, and the title counted three
times (title ×3 + body text). ``bm25_stopwords`` is the same with bm25s's stop-word list for the
language (NLTK's), a second, often stronger, reference.

    .venv/bin/python bench/real_questions.py
    .venv/bin/python bench/real_questions.py --lang nb --show-misses
    .venv/bin/python bench/real_questions.py --root /tmp/bc-kb   # keep (and reuse) the converted kb
    .venv/bin/python bench/real_questions.py --offline           # also the export's offline search

With ``--offline``, each language's offline search index (what ``kb build`` ships) is written and
the same questions go through ``KBOffline.search`` (``kb/static/offline.js``) in Debian's
chromium: its MRR@5 next to the server's, and how often the two agree on the first answer.

MRR@5 counts 1/rank of the first answer in the top 5 (0 below); s@1 and s@5 are the share of
questions answered at rank 1 and within the top 5. Prints one JSON object. Corpus: Microsoft
Dynamics 365 Business Central docs, CC-BY-4.0.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import bm25s
import Stemmer
import yaml
from bm25s.stopwords import STOPWORDS_DANISH, STOPWORDS_EN, STOPWORDS_NORWEGIAN, STOPWORDS_SWEDISH

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

# kb imports: all of them here, to re-point in one place when the modules move.
from business_central import LANGUAGES, convert  # noqa: E402
from relevance import SNOWBALL  # noqa: E402

from kb.content.config import load_settings  # noqa: E402
from kb.content.loader import load_library  # noqa: E402
from kb.model import Article, slugify  # noqa: E402
from kb.search.indexing import update_indexes  # noqa: E402
from kb.search.offline import write_offline_index  # noqa: E402
from kb.search.service import SearchRequest, SearchService  # noqa: E402
from kb.search.synonyms import Synonyms  # noqa: E402
from kb.web.state import STATIC_DIR  # noqa: E402

QUESTIONS = BENCH / "data" / "bc_questions.yml"
STEMMERS = SNOWBALL  # PyStemmer's language names, by kb language code (bench/relevance.py)
STOPWORDS = {
    "english": STOPWORDS_EN,
    "norwegian": STOPWORDS_NORWEGIAN,
    "swedish": STOPWORDS_SWEDISH,
    "danish": STOPWORDS_DANISH,
}
CHROMIUM = Path("/usr/bin/chromium")
TITLE_WEIGHT = 3
LIMIT = 10
CUTOFF = 5
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    answers: tuple[str, ...]  # source paths relative to the language folder
    slugs: frozenset[str]


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    """The questions, each checked: its slugs must be what business_central.py makes of its paths."""
    questions: list[Question] = []
    for number, entry in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")), start=1):
        answers = tuple(str(a) for a in entry["answers"])
        derived = {slugify(PurePosixPath(a).with_suffix("").as_posix()) for a in answers}
        listed = {str(s) for s in entry.get("slugs", derived)}
        if derived != listed:
            raise SystemExit(f"{path}: question {number} ({entry['q']!r}): slugs {listed} != paths {derived}")
        questions.append(Question(str(entry["q"]), str(entry["lang"]), answers, frozenset(listed)))
    return questions


# --- plain BM25 ----------------------------------------------------------------------------------


class PlainBM25:
    """bm25s over title ×3 + body text, Snowball-stemmed with PyStemmer, for one language."""

    def __init__(self, lang: str, articles: list[Article], stopwords: bool = False) -> None:
        self.stemmer = Stemmer.Stemmer(STEMMERS[lang])
        self.stopwords = frozenset(STOPWORDS[STEMMERS[lang]]) if stopwords else frozenset()
        self.slugs = [a.slug for a in articles]
        self.titles = [a.title for a in articles]
        corpus = [self.tokens(" ".join([a.title] * TITLE_WEIGHT + [a.text])) for a in articles]
        self.retriever = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
        self.retriever.index(corpus, show_progress=False)

    def tokens(self, text: str) -> list[str]:
        words = [w for w in WORD.findall(text.lower()) if w not in self.stopwords]
        return list(self.stemmer.stemWords(words))

    def search(self, text: str, limit: int = LIMIT) -> list[str]:
        """The slugs of the best ``limit`` articles with a score above zero."""
        tokens = self.tokens(text)
        if not tokens:
            return []
        k = min(limit, len(self.slugs))
        found = self.retriever.retrieve([tokens], k=k, show_progress=False)
        return [self.slugs[int(d)] for d, s in zip(found.documents[0], found.scores[0], strict=True) if s > 0]


# --- measuring -----------------------------------------------------------------------------------


def rank_of(ranked: list[str], answers: frozenset[str]) -> int | None:
    return next((i for i, slug in enumerate(ranked, start=1) if slug in answers), None)


def figures(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "mrr@5": round(sum(1 / r for r in ranks if r is not None and r <= CUTOFF) / n, 3),
        "s@1": round(sum(1 for r in ranks if r == 1) / n, 3),
        "s@5": round(sum(1 for r in ranks if r is not None and r <= CUTOFF) / n, 3),
    }


def prepare(root: Path, languages: tuple[str, ...], rebuild: bool) -> dict[str, Any]:
    """Convert (unless ``root`` already holds the converted kb) and index; timings for the report."""
    timings: dict[str, Any] = {}
    if not (root / "kb.yml").is_file():
        started = time.perf_counter()
        convert(root, languages=languages)
        timings["convert_s"] = round(time.perf_counter() - started, 1)
        rebuild = True
    settings = load_settings(root)
    started = time.perf_counter()
    loaded = load_library(settings)
    timings["load_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    update_indexes(settings, loaded.library, rebuild=rebuild)
    timings["index_s"] = round(time.perf_counter() - started, 1)
    return {"settings": settings, "library": loaded.library, "timings": timings}


BC_SYNONYMS = BENCH / "data" / "bc_synonyms"


def with_synonyms(root: Path, questions: list[Question], languages: tuple[str, ...]) -> dict[str, Any]:
    """kb's figures again with the benchmark's own per-corpus synonyms file (``data/bc_synonyms``,
    Business Central's wording; never shipped with kb), copied into the kb for this run only."""
    folder = root / "synonyms"
    folder.mkdir(exist_ok=True)
    for lang in languages:
        source = BC_SYNONYMS / f"{lang}.yml"
        if source.is_file():
            (folder / f"{lang}.yml").write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        service = SearchService(load_settings(root))
        found: dict[str, Any] = {}
        for lang in languages:
            ranks = [
                rank_of(
                    [h.slug for h in service.search(SearchRequest(q.text, lang, limit=LIMIT)).hits], q.slugs
                )
                for q in questions
                if q.lang == lang
            ]
            if ranks:
                found[lang] = figures(ranks)
        return found
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def offline_rankings(settings: Any, library: Any, questions: list[Question]) -> dict[Question, list[str]]:
    """Each question's slugs from the export's offline search (offline.js in chromium)."""
    from playwright.sync_api import sync_playwright

    languages = sorted({q.lang for q in questions})
    found: dict[Question, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="kb-offline-questions-") as tmp:
        folder = Path(tmp)
        synonyms = Synonyms(settings)
        for lang in languages:
            write_offline_index(folder, lang, library.in_language(lang), synonyms.table(lang))
        shutil.copy(STATIC_DIR / "offline.js", folder / "offline.js")
        (folder / "page.html").write_text(
            '<!doctype html><meta charset="utf-8"><title>q</title><script src="offline.js"></script>',
            encoding="utf-8",
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page()
            page.goto((folder / "page.html").as_uri())
            for lang in languages:
                page.evaluate(
                    "([src, lang]) => new Promise(done => KBOffline.load(src, lang, done))",
                    [f"{lang}/search/index.js", lang],
                )
                asked = [q for q in questions if q.lang == lang]
                slugs = page.evaluate(
                    "([lang, qs]) => qs.map(q => (KBOffline.search(lang, q) || []).slice(0, 10))",
                    [lang, [q.text for q in asked]],
                )
                found.update(zip(asked, slugs, strict=True))
            browser.close()
    return found


def measure(
    root: Path, languages: tuple[str, ...], rebuild: bool, show_misses: bool, offline: bool = False
) -> dict[str, Any]:
    questions = [q for q in read_questions() if q.lang in languages]
    prepared = prepare(root, languages, rebuild)
    settings, library = prepared["settings"], prepared["library"]
    report: dict[str, Any] = {"questions": len(questions), **prepared["timings"]}
    service = SearchService(settings)
    per_lang: dict[str, Any] = {}
    kb_misses: list[dict[str, Any]] = []
    bm25_misses: list[dict[str, Any]] = []
    all_kb: list[int | None] = []
    all_bm25: list[int | None] = []
    all_bm25_sw: list[int | None] = []
    kb_seconds = 0.0
    offline_ranked = offline_rankings(settings, library, questions) if offline else {}
    all_offline: list[int | None] = []
    agreed = 0
    for lang in languages:
        asked = [q for q in questions if q.lang == lang]
        if not asked:
            continue
        articles = library.in_language(lang)
        known = {a.slug for a in articles}
        titles = {a.slug: a.title for a in articles}
        for q in asked:
            if not q.slugs & known:
                raise SystemExit(f"{lang}: no answer of {q.text!r} is in the converted kb: {sorted(q.slugs)}")
        started = time.perf_counter()
        bm25 = PlainBM25(lang, articles)
        bm25_index_s = time.perf_counter() - started
        bm25_sw = PlainBM25(lang, articles, stopwords=True)
        kb_ranks: list[int | None] = []
        bm25_ranks: list[int | None] = []
        bm25_sw_ranks: list[int | None] = []
        offline_ranks: list[int | None] = []
        for q in asked:
            started = time.perf_counter()
            result = service.search(SearchRequest(q.text, lang, limit=LIMIT))
            kb_seconds += time.perf_counter() - started
            kb_ranked = [hit.slug for hit in result.hits]
            bm25_ranked = bm25.search(q.text)
            kb_rank, bm25_rank = rank_of(kb_ranked, q.slugs), rank_of(bm25_ranked, q.slugs)
            kb_ranks.append(kb_rank)
            bm25_ranks.append(bm25_rank)
            bm25_sw_ranks.append(rank_of(bm25_sw.search(q.text), q.slugs))
            if offline:
                offline_ranks.append(rank_of(offline_ranked[q], q.slugs))
                agreed += offline_ranked[q][:1] == kb_ranked[:1]
            miss = {
                "query": q.text,
                "lang": lang,
                "kb_rank": kb_rank,
                "bm25_rank": bm25_rank,
                "answers": [titles.get(s, s) for s in sorted(q.slugs)],
            }
            if kb_rank is None or kb_rank > CUTOFF:
                kb_misses.append({**miss, "kb_top3": [hit.title for hit in result.hits[:3]]})
            if show_misses and (bm25_rank is None or bm25_rank > CUTOFF):
                bm25_misses.append({**miss, "bm25_top3": [titles[s] for s in bm25_ranked[:3]]})
        per_lang[lang] = {
            "n": len(asked),
            "kb": figures(kb_ranks),
            "bm25": figures(bm25_ranks),
            "bm25_stopwords": figures(bm25_sw_ranks),
            "bm25_index_s": round(bm25_index_s, 1),
        }
        if offline:
            per_lang[lang]["offline"] = figures(offline_ranks)
        all_offline += offline_ranks
        all_kb += kb_ranks
        all_bm25 += bm25_ranks
        all_bm25_sw += bm25_sw_ranks
    service.close()
    report["per_language"] = per_lang
    report["overall"] = {
        "n": len(all_kb),
        "kb": figures(all_kb),
        "bm25": figures(all_bm25),
        "bm25_stopwords": figures(all_bm25_sw),
    }
    if offline:
        report["overall"]["offline"] = figures(all_offline)
        report["offline_first_answer_as_server"] = round(agreed / max(1, len(all_offline)), 3)
    report["kb_ms_per_query"] = round(1000 * kb_seconds / max(1, len(all_kb)), 1)
    report["kb_above_bm25_in_every_language"] = all(
        v["kb"]["mrr@5"] > v["bm25"]["mrr@5"] for v in per_lang.values()
    )
    report["kb_misses"] = kb_misses
    if show_misses:
        report["bm25_misses"] = bm25_misses
    report["bm25"] = (
        "bm25s Lucene k1=1.2 b=0.75, PyStemmer Snowball, \\w+ lower-cased, no stop words, "
        f"title x{TITLE_WEIGHT}"
    )
    return report


def print_misses(misses: list[dict[str, Any]]) -> None:
    """A readable list of kb's misses on stderr (the JSON stays on stdout)."""
    for m in misses:
        print(
            f"[{m['lang']}] {m['query']!r}: kb {m['kb_rank']}, bm25 {m['bm25_rank']}; "
            f"wanted {m['answers'][0]!r}; kb top 3: {m['kb_top3']}",
            file=sys.stderr,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=LANGUAGES, action="append", help="only this language (repeatable)")
    parser.add_argument(
        "--show-misses", action="store_true", help="also list BM25's misses, and kb's on stderr"
    )
    parser.add_argument(
        "--root", type=Path, help="keep the converted kb here (reused when it already holds kb.yml)"
    )
    parser.add_argument("--rebuild", action="store_true", help="with --root: rebuild the indexes")
    parser.add_argument(
        "--synonyms", action="store_true", help="also kb with the benchmark's own bc_synonyms files"
    )
    parser.add_argument(
        "--offline", action="store_true", help="also the export's offline search, in Debian's chromium"
    )
    args = parser.parse_args()
    languages = tuple(args.lang) if args.lang else LANGUAGES
    started = time.perf_counter()
    questions = [q for q in read_questions() if q.lang in languages]
    if args.root is not None:
        report = measure(args.root.resolve(), languages, args.rebuild, args.show_misses, args.offline)
        if args.synonyms:
            report["kb_with_bc_synonyms"] = with_synonyms(args.root.resolve(), questions, languages)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-real-questions-") as tmp:
            report = measure(Path(tmp), languages, True, args.show_misses, args.offline)
            if args.synonyms:
                report["kb_with_bc_synonyms"] = with_synonyms(Path(tmp), questions, languages)
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["attribution"] = "Microsoft Dynamics 365 Business Central docs, CC-BY-4.0 (code MIT)"
    if args.show_misses:
        print_misses(report["kb_misses"])
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
