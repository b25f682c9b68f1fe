"""Benchmark of content loading: N generated help articles through ``load_library`` vs a baseline.

The baseline is the least any loader must do with the same files: ``yaml.safe_load`` on the
front-matter and ``MarkdownIt("js-default").render`` on the body. The ratio of the two times is
kb's own overhead (validation, plugins, highlighting, anchors, plain text, segments, the Library).

    .venv/bin/python bench/load_content.py            # 10,000 articles
    .venv/bin/python bench/load_content.py --n 2000 --profile

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml
from help_corpus import generate, write_knowledge_base
from markdown_it import MarkdownIt

from kb.content.config import load_settings
from kb.content.loader import load_library


def write_corpus(root: Path, n: int, seed: int) -> None:
    """``n`` valid articles spread over nb, sv and en (the generator shared with the search bench)."""
    write_knowledge_base(root, list(generate(n, seed=seed)))


# --- measuring ----------------------------------------------------------------------------------


def load_baseline(root: Path) -> int:
    """Front-matter through ``yaml.safe_load`` and the body through plain markdown-it-py."""
    md = MarkdownIt("js-default")
    count = 0
    for path in sorted((root / "articles").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        yaml.safe_load(front)
        md.render(body)
        count += 1
    return count


def rss_mb() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of articles")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of load_library")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        write_corpus(root, args.n, args.seed)
        generated = time.perf_counter() - started
        size = sum(p.stat().st_size for p in (root / "articles").rglob("*.md"))

        rss_before = rss_mb()
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = load_library(load_settings(root))
        if profiler:
            profiler.disable()
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        rss_after = rss_mb()
        words = sum(len(a.text.split()) for a in result.library)
        loaded = len(result.library) + len(result.drafts)
        if result.errors or loaded != args.n:
            sys.exit(f"bench corpus did not load cleanly: {result.errors[:3]}")

        started, cpu = time.perf_counter(), time.process_time()
        baseline_count = load_baseline(root)
        baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu

    report = {
        "articles": loaded,
        "avg_words": round(words / loaded),
        "corpus_mb": round(size / 2**20, 1),
        "generate_s": round(generated, 2),
        "ours": {
            "what": "kb.content.load_library",
            "seconds": round(ours, 2),
            "cpu_seconds": round(ours_cpu, 2),
            "articles_per_s": round(loaded / ours),
        },
        "baseline": {
            "what": "yaml.safe_load + MarkdownIt('js-default').render",
            "seconds": round(baseline, 2),
            "cpu_seconds": round(baseline_cpu, 2),
            "articles_per_s": round(baseline_count / baseline),
        },
        "ratio_ours_to_baseline": round(ours / baseline, 2),
        "cpu_ratio_ours_to_baseline": round(ours_cpu / baseline_cpu, 2),
        "peak_rss_mb": round(rss_after, 1),
        "rss_growth_during_load_mb": round(rss_after - rss_before, 1),
        "python": sys.version.split()[0],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
        stats.print_stats(40)


if __name__ == "__main__":
    main()
