# The README's two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

AXE := tests/a11y/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

## Start the bot: web chat on http://127.0.0.1:8080 (SQLite, no token needed).
run: $(STAMP)
	$(BIN)/laocai-bot db upgrade
	$(BIN)/laocai-bot run

## axe-core for the accessibility checks, from the npm registry (pinned in the lock file).
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --silent
	touch $(AXE)

## Run the whole test suite (SQLite, PostgreSQL if reachable, headless Chromium).
test: $(STAMP) $(AXE)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/faq_eval.py
	$(BIN)/python bench/faq_bench.py
	$(BIN)/python bench/commune_bench.py
	$(BIN)/python bench/startup_bench.py
