# Two commands set everything up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= demo-data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install install-test lint format bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The data directory is deleted only if the demo made it (scripts/demo-data.sh: a marker file);
# DATA=… naming a real archive is refused, never wiped.
demo: install
	scripts/demo-data.sh reset $(DATA)
	$(BIN)/gongkai --data $(DATA) import $(filter-out examples/README.md,$(wildcard examples/*.*))
	$(BIN)/gongkai --data $(DATA) serve --host $(HOST) --port $(PORT)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# axe-core for the browser tests' accessibility checks (tests/package.json); without npm
# those checks skip (CI installs npm and requires them).
AXE := tests/node_modules/axe-core/axe.min.js
$(AXE): tests/package.json tests/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility checks of the browser tests will skip"; fi

test: install-test lint $(AXE)
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/import_search.py

# Relevance of both engines and stock Whoosh on the judged queries (bench/eval/queries.jsonl).
eval: install-test
	$(BIN)/python bench/eval.py $(EVAL_ARGS)

clean:
	scripts/demo-data.sh remove $(DATA)
	rm -rf $(VENV) .pytest_cache
