# Two commands from clone to running: `make run` and `make test` (see README.md).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
UV_COMPILE := --python-version 3.11 --no-emit-index-url --no-emit-find-links --custom-compile-command "make lock"
PG_PROBE := import psycopg; psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()

export DJANGO_SETTINGS_MODULE := plughost.server.settings

.PHONY: venv run lint schema schema-check test test-sqlite test-postgres lock clean bench

venv: $(STAMP)

# Re-install only when a lock file or pyproject.toml changes.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

run: venv
	PLUGHOST_SAMPLE_PLUGINS=1 $(BIN)/plughost serve --with-worker

lint: venv
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/plughost src/plugin
	$(BIN)/mypy benchmarks
	$(BIN)/lint-imports
	$(BIN)/python -m django check --fail-level WARNING
	$(BIN)/python -m django makemigrations --check --dry-run
	$(MAKE) --no-print-directory schema-check

# Rewrite the committed OpenAPI document from the code.
schema: venv
	$(BIN)/plughost manage spectacular --validate --fail-on-warn --file openapi.yaml

schema-check: venv
	@tmp=$$(mktemp --suffix=.yaml); trap 'rm -f "$$tmp"' EXIT; \
	$(BIN)/plughost manage spectacular --validate --fail-on-warn --file "$$tmp"; \
	if ! diff -u openapi.yaml "$$tmp"; then \
	  echo "openapi.yaml is out of date: run 'make schema' and review the diff." >&2; exit 1; \
	fi

test: lint test-sqlite test-postgres

test-sqlite: venv
	$(BIN)/pytest

# The database-backed tiers again on PostgreSQL at 127.0.0.1:5432 (user postgres, no password).
test-postgres: venv
	@if $(BIN)/python -c '$(PG_PROBE)' 2>/dev/null; then \
	  PLUGHOST_TEST_POSTGRES=1 $(BIN)/pytest -m "(db or api or e2e) and not soak"; \
	elif [ "$${PLUGHOST_REQUIRE_POSTGRES:-0}" = 1 ]; then \
	  echo "FAILED: PostgreSQL at 127.0.0.1:5432 is unreachable and PLUGHOST_REQUIRE_POSTGRES=1." >&2; exit 1; \
	else \
	  echo "SKIPPED the PostgreSQL run: nothing answers at 127.0.0.1:5432 (set PLUGHOST_REQUIRE_POSTGRES=1 to fail instead)."; \
	fi

# Every endpoint against the floor, growth with the number of plugins, start-up, install:
# writes benchmarks/results/latest.json and prints Markdown tables. About 2.5 minutes on 2 cores;
# BENCH_QUICK=1 for a smoke run. Extra options: make bench BENCH_ARGS="--baseline HEAD~1".
bench: venv
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# Regenerate both lock files with uv (installed into a throwaway venv).
lock:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp" && "$$tmp/bin/pip" install --quiet "uv==$(UV_VERSION)"; \
	"$$tmp/bin/uv" pip compile pyproject.toml $(UV_COMPILE) -o requirements.lock; \
	"$$tmp/bin/uv" pip compile pyproject.toml --extra dev -c requirements.lock $(UV_COMPILE) -o requirements-dev.lock

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache src/*.egg-info
