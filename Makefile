# The project's verbs. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BROWNIE_VENV := .venv-brownie
PY := $(VENV)/bin/python
BROWNIE := $(BROWNIE_VENV)/bin/brownie
ANVIL_DIR := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin
SETUP_STAMP := $(VENV)/.setup-done

.PHONY: help setup run test test-py test-chain lint bench deploy clean

help:
	@echo "make run    - the whole system at http://127.0.0.1:8000 (local Anvil, SQLite)"
	@echo "make test   - every test: backend (SQLite + PostgreSQL if reachable), browser, contracts"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - benchmarks -> bench/results/latest.json"
	@echo "make deploy - deploy contracts to KSP_RPC_URL (or the local chain)"
	@echo "make setup  - install everything (pip, npm, solc shim, chromium); run by the others"

# Re-run setup when any of its inputs change.
$(SETUP_STAMP): pyproject.toml package.json package-lock.json tools/setup.sh tools/install_solc.py
	PYTHON=$(PYTHON) bash tools/setup.sh
	@touch $@

setup: $(SETUP_STAMP)

run: setup
	$(VENV)/bin/ksp run

deploy: setup
	$(VENV)/bin/ksp deploy

test: setup
	@bash tools/test.sh

test-py: setup
	$(PY) -m pytest tests

test-chain: setup
	PATH="$(ANVIL_DIR):$$PATH" $(BROWNIE) test

lint: setup
	$(VENV)/bin/ruff check backend tests bench scripts tools chain_tests
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench

clean:
	rm -rf build artifacts reports .pytest_cache .mypy_cache .ruff_cache
