# Ladder: every command bootstraps .venv from uv.lock first (only when it is missing or stale).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .ladder/tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
STAMP := $(VENV)/.ladder-synced
AIRFLOW_HOME ?= $(CURDIR)/.ladder/airflow

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: venv demo test lint format airflow bench bench-generate warehouse-stop clean

venv: $(STAMP)

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(TOOLS)/uv uv==$(UV_VERSION)

$(STAMP): uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

demo: venv
	ladder warehouse start
	ladder demo-data

test: venv
	pytest

lint: venv
	ruff check .
	ruff format --check .
	cd dbt_project && sqlfluff lint .

format: venv
	ruff check --fix .
	ruff format .
	cd dbt_project && sqlfluff fix .

airflow: venv
	AIRFLOW_HOME=$(AIRFLOW_HOME) \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__PLUGINS_FOLDER=$(CURDIR)/plugins \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	airflow standalone

bench: bench-generate

bench-generate: venv
	python -m benchmarks.generate

warehouse-stop: venv
	ladder warehouse stop

clean:
	-ladder warehouse stop
	rm -rf .ladder $(VENV)
