"""Full-build indexing rate of one kb checkout, to compare two checkouts side by side in one session.

    /work/main/.venv/bin/python bench/index_rate.py /work/main 3000
    .venv/bin/python bench/index_rate.py . 3000

Generates ``n`` help articles (``help_corpus``, nb/sv/en) and times ``update_indexes(rebuild=True)``
of the checkout given first (its ``kb`` and ``bench`` folders go first on ``sys.path``). Prints one
JSON object.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    root, n = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    sys.path[:0] = [str(root), str(root / "bench")]
    from help_corpus import LANGUAGES, generate, to_article
    from search_bench import library_of

    from kb.search.indexing import update_indexes
    from kb.settings import Settings

    articles = [to_article(item, keep_html=False) for item in generate(n, 1)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(root=Path(tmp), languages=LANGUAGES, default_language="en")
        started = time.perf_counter()
        update_indexes(settings, library_of(articles), rebuild=True)
        seconds = time.perf_counter() - started
    report = {"checkout": str(root), "articles": n, "seconds": round(seconds, 1)}
    print(json.dumps({**report, "articles_per_s": round(n / seconds)}))


if __name__ == "__main__":
    main()
