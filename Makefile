# clue-pipeline: `make run` (demo) and `make test` on a fresh machine.
#
#   make run     create .venv, install, install Debian chromium if missing, run `clues demo`
#   make test    the whole test suite (junit XML in test-artifacts/)
#   make lint    ruff check + ruff format --check
#   make bench   the speed/quality figures of bench/*.py (BENCH=bench/crawl.py for one)
#   make airflow Airflow 3 standalone on this checkout's dags/ (UI on 127.0.0.1:8080)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PIP_INSTALL_ARGS ?=
PYTEST_ARGS ?=
BENCH ?= $(wildcard bench/*.py)

# sentence-transformers must never reach for the network.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

# root needs no sudo; others use it when it exists.
SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then echo sudo; fi)

# `make airflow`: Airflow's state under var/airflow, the DAGs of dags/, sized
# for a small machine (4 task slots, one DAG file parser, no example DAGs).
AIRFLOW_HOME ?= $(CURDIR)/var/airflow
AIRFLOW_PORT ?= 8080

.PHONY: help run test lint bench venv chromium airflow

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# (Re)install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_INSTALL_ARGS) -e '.[dev]'
	@touch $@

venv: $(STAMP)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing Debian chromium (for platforms with render: true)"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi
	@if command -v fc-list >/dev/null && ! fc-list :lang=zh | grep -q .; then \
		echo "installing a Chinese font (screenshots of the web UI in the browser tests)"; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-wqy-microhei \
			|| echo "no Chinese font: screenshots will show boxes"; \
	fi

run: venv chromium
	$(BIN)/clues demo

test: venv chromium
	@mkdir -p test-artifacts
	$(BIN)/pytest -p no:cacheprovider -q -rfEs --junitxml=test-artifacts/junit.xml \
		$(PYTEST_ARGS) tests/

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	@for script in $(BENCH); do \
		echo "== $$script"; \
		$(BIN)/python $$script; \
	done

airflow: venv
	AIRFLOW_HOME=$(AIRFLOW_HOME) \
	AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False \
	AIRFLOW__CORE__PARALLELISM=4 \
	AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG=4 \
	AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES=1 \
	AIRFLOW__API__HOST=127.0.0.1 \
	AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
	AIRFLOW__CORE__EXECUTION_API_SERVER_URL=http://127.0.0.1:$(AIRFLOW_PORT)/execution/ \
	CLUES_HOME=$(CURDIR) \
	BIN=$(BIN) \
	tools/airflow_standalone.sh
