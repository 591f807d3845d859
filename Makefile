# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The suite in parallel, one worker per core (at most four): each worker starts its own
# throwaway PostgreSQL server and browser.
PYTEST_ARGS ?= --numprocesses=auto --maxprocesses=4
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Brink needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-run

## Set up, load the sample crisis into an empty database, and serve it on http://$(HOST):$(PORT)
run: $(VENV)/.installed-run
	$(BIN)/brink migrate
	$(BIN)/brink load-sample --if-empty
	$(BIN)/brink serve --host $(HOST) --port $(PORT)

## Set up and run the whole suite: SQLite and PostgreSQL, browser tests included
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
