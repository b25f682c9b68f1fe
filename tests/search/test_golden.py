"""Golden queries: realistic reader queries against the sample knowledge base, MRR@5 at least 0.95."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.search.service import SearchRequest, SearchService
from tests.helpers import copy_sample, indexed_service

GOLDEN = yaml.safe_load((Path(__file__).parent / "golden_queries.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    return indexed_service(copy_sample(tmp_path_factory.mktemp("golden")))


def reciprocal_rank(service: SearchService, case: dict[str, str]) -> float:
    slugs = [hit.slug for hit in service.search(SearchRequest(case["query"], case["lang"], limit=5)).hits]
    return 1.0 / (slugs.index(case["expected"]) + 1) if case["expected"] in slugs else 0.0


def test_the_golden_set_is_realistic() -> None:
    assert len(GOLDEN) >= 40
    assert {c["lang"] for c in GOLDEN} == {"nb", "sv", "en"}
    assert {"inflected", "misspelled", "accentless"} <= {c["kind"] for c in GOLDEN}


def test_golden_queries_mrr_at_5(service: SearchService) -> None:
    ranks = {f"{c['lang']}: {c['query']}": reciprocal_rank(service, c) for c in GOLDEN}
    mrr = sum(ranks.values()) / len(ranks)
    misses = [query for query, rr in ranks.items() if rr == 0]
    assert mrr >= 0.95, f"MRR@5 {mrr:.3f}; not in the top 5: {misses}"


@pytest.mark.parametrize("kind", ["accentless", "misspelled", "inflected", "compound"])
def test_each_kind_mostly_finds_its_article(service: SearchService, kind: str) -> None:
    cases = [c for c in GOLDEN if c["kind"] == kind]
    found = [c["query"] for c in cases if reciprocal_rank(service, c) > 0]
    assert len(found) >= 0.8 * len(cases), f"{kind}: only {found} of {[c['query'] for c in cases]}"
