# Byline: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint format openapi openapi-check migrate demo stack bench bench-writes bench-events bench-cdn bench-import bench-scale soak startup clean

# Creates the virtual environment and installs Byline with its server and test extras.
$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Byline needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,dev]'
	@touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	$(BIN)/byline migrate
	$(BIN)/byline demo --if-empty
	$(BIN)/byline serve

test: $(INSTALLED)
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: $(INSTALLED)
	$(BIN)/byline openapi --output openapi/openapi.json

openapi-check: $(INSTALLED)
	@$(BIN)/byline openapi --output $(VENV)/openapi.json >/dev/null
	@cmp -s $(VENV)/openapi.json openapi/openapi.json || { echo "openapi/openapi.json is stale: run make openapi"; exit 1; }

migrate: $(INSTALLED)
	$(BIN)/byline migrate

demo: $(INSTALLED)
	$(BIN)/byline demo

# The production topology on this machine (as tests/test_topology.py runs it): two hosts,
# a worker, PostgreSQL and Redis (local), an S3 emulator, Varnish in front, until Ctrl-C.
# STACK_DATABASE_URL (its database is emptied), STACK_REDIS_URL (its database is flushed).
stack: $(INSTALLED)
	$(BIN)/python -m tests.stack

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache .mypy_cache

# Load test: BENCH_ARTICLES (10000), BENCH_SECONDS (10); writes data/bench/latest.json and
# prints the table with the goals met or not (BENCH_PROFILE=1: py-spy on a worker as well).
bench: $(INSTALLED)
	$(BIN)/python -m bench.run

# Mixed reads and writes at 2/s for SOAK_SECONDS (600), BENCH_ARTICLES (10000), worker memory
# sampled every 10 s; writes data/bench/soak.json and says whether memory stayed flat.
soak: $(INSTALLED)
	$(BIN)/python -m bench.soak

# Command to first 200 on /readyz with both workers up, BENCH_STARTS (3) times.
startup: $(INSTALLED)
	$(BIN)/python -m bench.startup

# Editorial writes: create, PATCH and publish, BENCH_WRITES (200) times.
bench-writes: $(INSTALLED)
	$(BIN)/python -m bench.writes

# Webhook delivery throughput and latency, and the live stream's fan-out: BENCH_EVENTS (2000),
# BENCH_STREAMS (200).
bench-events: $(INSTALLED)
	$(BIN)/python -m bench.events

# Reads through Varnish beside Byline direct and nginx static, and the purge delay:
# BENCH_ARTICLES (2000), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), BENCH_PURGES (30).
bench-cdn: $(INSTALLED)
	$(BIN)/python -m bench.cdn

# Import speed: BENCH_IMPORT_POSTS (10000) synthetic WordPress posts into SQLite, run twice.
bench-import: $(INSTALLED)
	$(BIN)/python -m bench.import_

# A big archive on PostgreSQL: BENCH_DATABASE_URL (an empty database; filled once, reused after),
# BENCH_ARTICLES (1000000), BENCH_CASE_SECONDS (10) per case; lists deep by cursor, counts,
# search, sync, feeds and writes under reads, sizes and EXPLAIN; writes data/bench/scale.json.
# BENCH_COMPARE_ARTICLES (with BENCH_COMPARE_DATABASE_URL, or an earlier run's JSON) adds a column;
# BENCH_CASES (lists,search,sync,feeds,writes) runs only those groups.
bench-scale: $(INSTALLED)
	$(BIN)/python -m bench.scale
