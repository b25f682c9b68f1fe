"""Shared set-up for search tests: a real knowledge base copied from the sample, indexed on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

from kb.content.config import load_settings
from kb.content.loader import load_library
from kb.search.indexing import update_indexes
from kb.search.service import SearchService
from kb.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def copy_sample(target: Path) -> Settings:
    """A copy of the sample knowledge base (articles, categories, kb.yml) in ``target``."""
    shutil.copytree(REPO / "articles", target / "articles")
    shutil.copy(REPO / "kb.yml", target / "kb.yml")
    return load_settings(target)


def indexed_service(settings: Settings) -> SearchService:
    """A SearchService over freshly built indexes of ``settings``' knowledge base."""
    update_indexes(settings, load_library(settings).library, rebuild=True)
    return SearchService(settings)
