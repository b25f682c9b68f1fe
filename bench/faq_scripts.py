"""Search in scripts without spaces or with vowel signs: the Organic Maps FAQ in Chinese and Indic languages.

The FAQ (``shared/data/help-corpora/organicmaps-faq``, Apache-2.0, 16 articles per language) is
converted into a temporary knowledge base (Zola front-matter to kb's: title, category from the
``faq`` taxonomy, date from ``updated``; the ``{{ shortcode() }}`` calls dropped) and indexed by kb.

* **zh questions**: short questions written the way readers type them in Chinese (no spaces, a
  word inside a longer run of characters in the articles), each with the article that answers it:
  MRR@5 and how many questions find anything at all.
* **known item** (zh, hi, mr, te, ml, ar, en; with ``--all`` each of the FAQ's 32 languages with
  articles): each article's title, and its body's opening words (eight words; twelve characters in
  Chinese), as queries: MRR@5 of finding that article.

    .venv/bin/python bench/faq_scripts.py
    .venv/bin/python bench/faq_scripts.py --code /path/to/other/checkout   # the same, older code
    .venv/bin/python bench/faq_scripts.py --all                            # every FAQ language

Prints one JSON object. Corpus: Organic Maps website FAQ, Apache-2.0.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

SOURCE = Path(__file__).resolve().parent.parent.parent / "shared/data/help-corpora/organicmaps-faq"
LANGUAGES = {"en": "en", "zh": "zh-Hans", "hi": "hi", "mr": "mr", "te": "te", "ml": "ml", "ar": "ar"}
EVERY = {  # --all: every language of the FAQ, by kb's code for it
    **LANGUAGES,
    **{folder: folder for folder in ("af", "ca", "cs", "cy", "de", "el", "es", "et", "eu", "fr", "gl", "he")},
    **{folder: folder for folder in ("hu", "id", "it", "lt", "nl", "oc", "pl", "pt", "ru", "sv", "tr", "uk")},
    "fa": "fa-IR",  # pt-BR is left out: kb reads it as pt, which the FAQ has too
}
SHORTCODE = re.compile(r"\{\{.*?\}\}", re.S)
QUESTIONS = [  # (question, the slug of the article that answers it)
    ("下载地图", "cant-download-maps"),
    ("无法下载", "cant-download-maps"),
    ("语音", "cant-hear-instructions"),
    ("听不到声音", "cant-hear-instructions"),
    ("崩溃", "crash"),
    ("应用停止运行", "crash"),
    ("导出书签", "how-to-export"),
    ("分享书签", "how-to-export"),
    ("导入GPX", "how-to-import"),
    ("导入 KML", "how-to-import"),
    ("创建路线", "how-to-create-a-route"),
    ("导航", "how-to-create-a-route"),
    ("位置错误", "can-not-find-position"),
    ("找不到我的位置", "can-not-find-position"),
    ("搜索找不到地点", "search-cannot-find-a-place"),
    ("后台录制轨迹", "android-track-recording"),
    ("支持的版本", "which-ios-and-android-versions-are-supported"),
    ("编辑地图", "organic-maps-map-editing"),
    ("高级编辑", "advanced-map-editing"),
    ("地图错误", "map-errors"),
    ("地名错误", "map-errors"),
    ("文本转语音", "text-to-speech-android-tts"),
    ("flatpak", "how-to-use-flatpak"),
    ("Android Auto", "how-to-use-android-auto"),
]


def convert(out: Path, languages: dict[str, str] = LANGUAGES) -> None:
    """The FAQ as a kb knowledge base in ``out``: ``articles/<lang>/<folder name>.md``."""
    for lang, folder in languages.items():
        target = out / "articles" / lang
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted((SOURCE / folder).glob("*/*/index*.md")):
            text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
            _, front, body = text.split("---\n", 2)
            meta = yaml.safe_load(front)
            category = ((meta.get("taxonomies") or {}).get("faq") or ["FAQ"])[0]
            kept = {"title": meta["title"], "author": "Organic Maps", "category": category}
            kept["date"] = str(meta.get("updated") or "2024-01-01")
            front_matter = yaml.safe_dump(kept, allow_unicode=True)
            (target / f"{path.parent.name}.md").write_text(
                f"---\n{front_matter}---\n{SHORTCODE.sub('', body)}", encoding="utf-8"
            )
    codes = ", ".join(languages)
    (out / "kb.yml").write_text(f"site_name: FAQ\nlanguages: [{codes}]\ndefault_language: en\n")


def reciprocal(hits: list[str], wanted: str) -> float:
    rank = hits.index(wanted) + 1 if wanted in hits else None
    return 1 / rank if rank is not None and rank <= 5 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--all", action="store_true", help="known items in every language of the FAQ")
    args = parser.parse_args()
    languages = EVERY if args.all else LANGUAGES
    sys.path.insert(0, str(args.code.resolve()))
    from kb.content.config import load_settings
    from kb.content.loader import load_library
    from kb.search.indexing import update_indexes
    from kb.search.service import SearchRequest, SearchService

    report: dict[str, Any] = {"code": str(args.code.resolve())}
    with tempfile.TemporaryDirectory(prefix="kb-faq-") as tmp:
        convert(Path(tmp), languages)
        settings = load_settings(Path(tmp))
        library = load_library(settings).library
        update_indexes(settings, library, rebuild=True)
        service = SearchService(settings, result_cache=0)

        def slugs(text: str, lang: str) -> list[str]:
            return [h.slug for h in service.search(SearchRequest(text, lang, limit=10)).hits]

        answered = [slugs(q, "zh") for q, _slug in QUESTIONS]
        report["zh_questions"] = {
            "n": len(QUESTIONS),
            "mrr@5": round(
                sum(reciprocal(h, s) for h, (_q, s) in zip(answered, QUESTIONS, strict=True))
                / len(QUESTIONS),
                3,
            ),
            "with_results": sum(1 for h in answered if h),
        }
        known: dict[str, dict[str, float]] = {}
        for lang in languages:
            articles = list(library.in_language(lang))
            opening = [
                (a.text.replace("\n", " ")[:12] if lang == "zh" else " ".join(a.text.split()[:8]))
                for a in articles
            ]
            titles = [reciprocal(slugs(a.title, lang), a.slug) for a in articles]
            bodies = [
                reciprocal(slugs(text, lang), a.slug) for a, text in zip(articles, opening, strict=True)
            ]
            known[lang] = {
                "articles": len(articles),
                "title_mrr@5": round(sum(titles) / len(titles), 3),
                "opening_mrr@5": round(sum(bodies) / len(bodies), 3),
            }
        report["known_item"] = known
        service.close()
    report["attribution"] = "Organic Maps website FAQ, Apache-2.0"
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
