"""Real-corpus benchmark: Business Central help (en/nb/sv/da) as a kb knowledge base: load, index, search.

``convert(out_dir)`` turns the DocFX Markdown of /work/shared/data/help-corpora/business-central
into ``articles/<lang>/<slug>.md`` files with kb front-matter (title, author, date as YYYY-MM-DD,
category from the sub-folder or ``ms.topic``, keywords from ``ms.search.keywords``). It expands
``[!INCLUDE …]`` snippets, turns ``> [!NOTE]`` alerts into bold labels, keeps the alt text of
``:::image`` blocks and drops the other ``:::`` fences, removes raw HTML (injected heading anchors,
``<br>``, comments), strips BOMs, and skips ``TOC.md`` and ``includes/``. It is importable, for
other benchmarks (a static export, for one).

    .venv/bin/python bench/business_central.py                 # into a temporary folder
    .venv/bin/python bench/business_central.py --out /tmp/bc   # keep the knowledge base

The corpus is CC-BY-4.0 (docs) / MIT (code samples), © Microsoft: see its LICENSE files. Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.model import slugify
from kb.search.indexing import update_indexes
from kb.search.service import SearchRequest, SearchService

SOURCE = Path(__file__).resolve().parent.parent.parent / "shared/data/help-corpora/business-central"
LANGUAGES = ("en", "nb", "sv", "da")
CORPUS_DATE = dt.date(2024, 9, 18)
FENCE = re.compile(r"^---[ \t]*$")
INCLUDE = re.compile(r"\[!INCLUDE\s*\[[^\]]*\]\(([^)\s]+)\)\s*\]", re.IGNORECASE)
ALERT = re.compile(r"^(\s*>\s*)\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*$", re.IGNORECASE)
IMAGE_ALT = re.compile(r'alt-text="([^"]*)"')
INLINE_IMAGE = re.compile(r":::image\b[^:]*?(?:alt-text=\"(?P<alt>[^\"]*)\"[^:]*)?:::")
HEADING = re.compile(r"^(#{1,6})\s+")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
XREF_LINK = re.compile(r"\[([^\]]*)\]\(xref:[^)]*\)")
XREF_AUTO = re.compile(r"<xref:[^>]*>")
CODE_FENCE = re.compile(r"^\s*(```|~~~)")
ALERT_KINDS = ("NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION")
ALERT_LABELS = {
    "en": dict(zip(ALERT_KINDS, ("Note", "Tip", "Important", "Warning", "Caution"), strict=True)),
    "nb": dict(zip(ALERT_KINDS, ("Merk", "Tips", "Viktig", "Advarsel", "Forsiktig"), strict=True)),
    "sv": dict(zip(ALERT_KINDS, ("Obs!", "Tips", "Viktigt", "Varning", "Försiktigt"), strict=True)),
    "da": dict(zip(ALERT_KINDS, ("Bemærk", "Tip", "Vigtigt", "Advarsel", "Forsigtig"), strict=True)),
}
QUERIES = {
    "en": ["sales invoice", "post purchase order", "bank reconciliation", "inventory",
           "fixed assets depreciation", '"payment terms"', "vat category:how-to", "warehuose"],
    "nb": ["salgsfaktura", "bokføre innkjøpsordre", "bankavstemming", "lager",
           "anleggsmidler avskrivning", '"betalingsbetingelser"', "mva", "varelagr"],
    "sv": ["försäljningsfaktura", "bokför inköpsorder", "bankavstämning", "lager",
           "anläggningstillgångar avskrivning", '"betalningsvillkor"', "moms", "lagr"],
    "da": ["salgsfaktura", "bogfør købsordre", "bankafstemning", "lager",
           "anlægsaktiver afskrivning", '"betalingsbetingelser"', "moms", "varelagr"],
}  # fmt: skip
REPEATS = 5


# --- conversion ------------------------------------------------------------------------------------


def split_source(text: str) -> tuple[dict[str, Any], str]:
    """DocFX front-matter as a dict (tolerating bad YAML and typo'd keys) and the body."""
    lines = text.split("\n")
    if not lines or not FENCE.match(lines[0]):
        return {}, text
    end = next((i for i in range(1, len(lines)) if FENCE.match(lines[i])), None)
    if end is None:
        return {}, text
    yaml_text, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    try:
        loaded = yaml.safe_load(yaml_text)
        values = loaded if isinstance(loaded, dict) else {}
    except yaml.YAMLError:
        values = {}
        for line in yaml_text.split("\n"):
            key, sep, value = line.partition(":")
            if sep:
                values[key] = value.strip().strip("'\"")
    normalized = {re.sub(r"\s+", "", str(k)).replace("-", ".").lower(): v for k, v in values.items()}
    return normalized, body


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def expand_includes(body: str, folder: Path, root: Path, depth: int = 0) -> str:
    """``[!INCLUDE [name](includes/x.md)]`` replaced by the snippet's text (front-matter dropped)."""

    def replace(match: re.Match[str]) -> str:
        target = (folder / match[1]).resolve()
        if depth > 3 or not target.is_file() or root not in target.parents:
            return ""
        _front, snippet = split_source(read_text(target))
        snippet = expand_includes(snippet.strip(), target.parent, root, depth + 1)
        return snippet if "\n" in snippet else snippet.strip()

    return INCLUDE.sub(replace, body)


def clean_body(body: str, lang: str) -> str:
    """DocFX and raw HTML turned into the CommonMark kb renders; code blocks left as they are."""
    body = HTML_COMMENT.sub("", body)
    out: list[str] = []
    in_code = False
    dropped_h1 = False
    for line in body.split("\n"):
        if CODE_FENCE.match(line):
            in_code = not in_code
            out.append(line)
            continue
        if in_code:
            out.append(line)
            continue
        stripped = line.strip()
        if stripped.startswith(":::"):
            alt = IMAGE_ALT.search(stripped)
            if stripped.startswith(":::image") and alt and alt[1].strip():
                out.append(f"*{alt[1].strip()}*")
            continue
        alert = ALERT.match(line)
        if alert:
            out.append(f"{alert[1]}**{ALERT_LABELS[lang][alert[2].upper()]}:**")
            continue
        line = INLINE_IMAGE.sub(lambda m: m["alt"] or "", line) if ":::" in line else line
        line = HTML_TAG.sub(" ", line) if "<" in line else line
        line = HEADING.sub(r"\1 ", line)
        line = XREF_AUTO.sub("", XREF_LINK.sub(r"\1", line))
        if not dropped_h1 and re.match(r"^#\s", line):  # the title is in the front-matter
            dropped_h1 = True
            continue
        out.append(line.rstrip() if not line.endswith("  ") else line)
    return "\n".join(out).strip() + "\n"


def first_heading(body: str) -> str:
    for line in body.split("\n"):
        if re.match(r"^#\s", line):
            return " ".join(HTML_TAG.sub(" ", line[2:]).split())
    return ""


def us_date(value: object) -> dt.date:
    text = str(value or "").strip().strip("'\"")
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        return dt.date(int(match[3]), int(match[1]), int(match[2])) if match else CORPUS_DATE
    except ValueError:
        return CORPUS_DATE


def text_value(value: object) -> str:
    text = " ".join(str(value).split()) if value is not None else ""
    return "" if text.lower() in ("null", "none") else text


def category_of(relative: Path, front: dict[str, Any]) -> str:
    if len(relative.parts) > 1:
        return relative.parts[0].replace("-", " ").capitalize()
    topic = text_value(front.get("ms.topic")) or "article"
    return topic.replace("-", " ").capitalize()


def convert_file(path: Path, lang: str, source_root: Path) -> tuple[str, str] | None:
    """The slug and kb Markdown of one DocFX article, or None for a file that is not an article."""
    front, body = split_source(read_text(path))
    relative = path.relative_to(source_root / lang)
    raw_body = expand_includes(body, path.parent, source_root / lang)
    title = text_value(front.get("title")) or first_heading(raw_body) or relative.stem.replace("-", " ")
    keywords_value = front.get("ms.search.keywords")
    if isinstance(keywords_value, list):
        keywords = [text_value(k) for k in keywords_value]
    else:
        keywords = [k.strip() for k in text_value(keywords_value).split(",")]
    meta: dict[str, Any] = {
        "title": title,
        "author": text_value(front.get("author")) or text_value(front.get("ms.author")) or "Microsoft",
        "date": us_date(front.get("ms.date")),
        "category": category_of(relative, front),
    }
    keywords = [k for k in dict.fromkeys(keywords) if k]
    if keywords:
        meta["keywords"] = keywords
    description = text_value(front.get("description"))
    if description:
        meta["summary"] = description
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    slug = slugify(relative.with_suffix("").as_posix()) or "article"
    return slug, f"---\n{header}---\n\n{clean_body(raw_body, lang)}"


def convert(out_dir: Path, source: Path = SOURCE, languages: tuple[str, ...] = LANGUAGES) -> Path:
    """Write the corpus as a kb knowledge base in ``out_dir`` (kb.yml + articles/<lang>/); return it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(languages)
    (out_dir / "kb.yml").write_text(
        f"site_name: Business Central help\nlanguages: [{listed}]\ndefault_language: {languages[0]}\n",
        encoding="utf-8",
    )
    for lang in languages:
        folder = out_dir / "articles" / lang
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted((source / lang).rglob("*.md")):
            relative = path.relative_to(source / lang)
            if relative.name.lower() == "toc.md" or "includes" in relative.parts:
                continue
            converted = convert_file(path, lang, source)
            if converted is not None:
                slug, text = converted
                (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    return out_dir


# --- measuring --------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def measure(root: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    started = time.perf_counter()
    convert(root)
    report["convert_s"] = round(time.perf_counter() - started, 1)

    settings = load_settings(root)
    started = time.perf_counter()
    loaded = load_library(settings)
    load_s = time.perf_counter() - started
    files = {lang: len(list((root / "articles" / lang).glob("*.md"))) for lang in settings.languages}
    report["check"] = {
        "files": files,
        "loaded": {lang: len(loaded.library.in_language(lang)) for lang in settings.languages},
        "errors": len(loaded.errors),
        "warnings": len(loaded.warnings),
        "first_problems": [str(p) for p in loaded.problems[:5]],
        "load_s": round(load_s, 1),
        "articles_per_s": round(len(loaded.library) / load_s),
    }

    started = time.perf_counter()
    reports = update_indexes(settings, loaded.library, rebuild=True)
    index_s = time.perf_counter() - started
    report["index"] = {
        "seconds": round(index_s, 1),
        "articles_per_s": round(len(loaded.library) / index_s),
        "per_language": {r.lang: {"articles": r.articles, "seconds": round(r.seconds, 1)} for r in reports},
    }

    service = SearchService(settings)
    samples: list[float] = []
    answers: dict[str, dict[str, Any]] = {}
    for lang, queries in QUERIES.items():
        answers[lang] = {}
        for text in queries:
            service.search(SearchRequest(text, lang))  # warm-up
            for _ in range(REPEATS):
                started = time.perf_counter()
                result = service.search(SearchRequest(text, lang))
                samples.append(time.perf_counter() - started)
            top = result.hits[0].title if result.hits else None
            answers[lang][text] = {"total": result.total, "fallback": result.fallback, "top": top}
            if result.suggestion:
                answers[lang][text]["suggestion"] = result.suggestion
    service.close()
    report["queries"] = {**percentiles(samples), "samples": len(samples), "answers": answers}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, help="write the knowledge base here (default: a temporary folder)"
    )
    args = parser.parse_args()
    if args.out is not None:
        report = measure(args.out.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="kb-business-central-") as tmp:
            report = measure(Path(tmp))
    report["attribution"] = "Microsoft Dynamics 365 Business Central docs, CC-BY-4.0 (code MIT)"
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
