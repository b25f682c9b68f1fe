# kb: each target sets itself up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := node_modules/.installed
POSTGRES_STAMP := $(VENV)/.postgresql
# Benchmarks drive Debian's C tools: wrk + nginx (bench-web), hugo (bench-build).
BENCH_WEB_STAMP   := $(VENV)/.bench-web-tools
BENCH_BUILD_STAMP := $(VENV)/.bench-build-tools
APT_INSTALL := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: setup serve build test lint typecheck pytest bench bench-web bench-build bench-search relevance questions soak fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the distribution was called "kb" before it became kb-helpcenter: drop a stale install of it
	$(BIN)/pip uninstall --quiet --yes kb 2>/dev/null || true
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Browser tests drive Debian's chromium (never a downloaded browser) and inject axe-core from npm.
$(BROWSER_STAMP): package.json
	command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	npm ci --no-audit --no-fund --silent
	touch $(BROWSER_STAMP)

# The store's tests start a throwaway PostgreSQL from Debian's package (tests/store/conftest.py).
$(POSTGRES_STAMP): $(STAMP)
	command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	touch $(POSTGRES_STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/kb serve --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check kb tests bench
	$(BIN)/ruff format --check kb tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(BROWSER_STAMP) $(POSTGRES_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/load_content.py

build: $(STAMP)
	$(BIN)/kb build

$(BENCH_BUILD_STAMP): $(STAMP)
	command -v hugo >/dev/null 2>&1 || { $(APT_INSTALL) hugo; }
	touch $@

# kb build of Business Central cold / warm / after one changed article, next to Hugo (and MkDocs).
BUILD_BENCH_ARGS ?=
bench-build: $(STAMP) $(BENCH_BUILD_STAMP)
	$(BIN)/python bench/build_bench.py $(BUILD_BENCH_ARGS)

bench-search: $(STAMP)
	$(BIN)/python bench/search_bench.py

relevance: $(STAMP)
	$(BIN)/python bench/relevance.py

questions: $(STAMP)
	$(BIN)/python bench/real_questions.py

$(BENCH_WEB_STAMP): $(STAMP)
	command -v wrk >/dev/null 2>&1 && { command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } \
	  || { $(APT_INSTALL) wrk nginx-light; } || { $(APT_INSTALL) wrk nginx; }
	touch $@

# wrk against kb serve --production (articles, searches, pathological mix) and nginx on the export.
LOAD_WEB_ARGS ?=
bench-web: $(STAMP) $(BENCH_WEB_STAMP)
	$(BIN)/python bench/load_web.py $(LOAD_WEB_ARGS)

# Load at rising concurrency, re-index under load, pathological queries, long fuzzing and
# kill -9 / full-disk / read-only faults; prints the summary table (under 10 minutes).
soak: $(STAMP)
	$(BIN)/python bench/soak.py

KB_FUZZ_EXAMPLES ?= 5000
fuzz: $(STAMP)
	KB_FUZZ_EXAMPLES=$(KB_FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider tests/robustness/test_fuzz.py

clean:
	rm -rf $(VENV) node_modules build instance .pytest_cache .mypy_cache .ruff_cache .hypothesis
