# Ladder: every command bootstraps .venv from uv.lock first (only when it is missing or stale).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .ladder/tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.ladder-synced

BIN := $(CURDIR)/$(VENV)/bin

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: venv demo docs test test-fast lint format airflow bench bench-generate bench-extract bench-transform bench-orchestration bench-clv bench-segments bench-segments-nights bench-loop bench-early bench-publish bench-nightly warehouse-stop clean

venv: $(STAMP)

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS)/uv uv==$(UV_VERSION)

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

demo: venv
	$(BIN)/ladder demo

# dbt docs for the warehouse in use: the catalog reads the built tables.
docs: venv
	$(BIN)/ladder dbt docs generate
	@echo "dbt docs: dbt_project/target/index.html (serve: .venv/bin/ladder dbt docs serve)"

test: venv
	$(BIN)/pytest

# The inner loop: everything but the whole-night end-to-end tests (marked slow).
test-fast: venv
	$(BIN)/pytest -m "not slow"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ladder sqlfluff lint .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/ladder sqlfluff fix .

# A small production on this machine (docs/scheduler.md), in demo mode: the sandboxes and
# the demo's databases stand in for undefined connections.
airflow: venv
	LADDER_MODE=demo $(BIN)/ladder airflow

bench: bench-generate bench-extract bench-transform bench-orchestration bench-clv bench-segments \
	bench-publish bench-nightly

bench-generate: venv
	$(BIN)/python -m benchmarks.generate

warehouse-stop: venv
	$(BIN)/ladder warehouse stop

clean:
	-$(BIN)/ladder warehouse stop
	rm -rf .ladder $(VENV)

bench-extract: venv
	$(BIN)/python -m benchmarks.extract

bench-transform: venv
	$(BIN)/python -m benchmarks.transform

# A backtest of the early identification model on a 3¼-year demo company of its own.
bench-early: venv
	$(BIN)/python -m benchmarks.early

bench-orchestration: venv
	$(BIN)/python -m benchmarks.orchestration

bench-clv: venv
	$(BIN)/python -m benchmarks.clv

# Options pass through ARGS, e.g. make bench-segments ARGS="--seed 42 --customers 50000".
bench-segments: venv
	$(BIN)/python -m benchmarks.segments $(ARGS)

bench-segments-nights: venv
	$(BIN)/python -m benchmarks.segments_nights $(ARGS)

# The demo company responds to its lists; planted effects against measured uplift.
bench-loop: venv
	$(BIN)/python -m benchmarks.loop $(ARGS)

bench-publish: venv
	$(BIN)/python -m benchmarks.publish

bench-nightly: venv
	$(BIN)/python -m benchmarks.nightly
