# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export ARTME_DATA_DIR ?= ./var
# pytest-xdist workers: one per core; 0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: run test test-postgres test-deps migrate demo bench bench-dialogue clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[postgres,redis]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## run: install, migrate, load the demo consortium (first run only) and serve on :8000
run: $(VENV)/.run-installed
	$(BIN)/artme-cop demo
	$(BIN)/artme-cop serve --host 127.0.0.1 --port 8000 --no-migrate

## test-deps: what the tests need beyond Python packages (Debian's Chromium for the browser
## tests, Debian's clamav-daemon for the malware-scanning tests)
test-deps: $(VENV)/.test-installed
	@command -v chromium >/dev/null 2>&1 && [ -x /usr/sbin/clamd ] || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium and clamav-daemon for the tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium clamav-daemon >/dev/null; \
	  else \
	    echo "The tests need Debian's chromium and clamav-daemon: sudo apt-get install chromium clamav-daemon"; exit 1; \
	  fi; }

## test: the whole suite on SQLite (PostgreSQL/Redis-marked tests use the local servers)
test: test-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

## test-postgres: the whole suite again with PostgreSQL as the database, but for the browser
## tests: they drive a demo server on its own SQLite file whatever the suite's database, so
## the SQLite pass has run them already
test-postgres: test-deps
	ARTMETEST_DB=postgres $(BIN)/python -m pytest -n $(PYTEST_WORKERS) -m "not browser"

migrate: $(VENV)/.run-installed
	$(BIN)/artme-cop migrate

demo: $(VENV)/.run-installed
	$(BIN)/artme-cop demo

## bench: the fan-out benchmark against a bare websockets server (about 5 minutes)
bench: $(VENV)/.test-installed
	$(BIN)/python bench/fanout.py --full --json var/bench.json

## bench-dialogue: one 300-person Chats for Change session, breakouts + main room (about 2 minutes)
bench-dialogue: $(VENV)/.test-installed
	$(BIN)/python bench/dialogue.py

clean:
	rm -rf $(VENV) var .pytest_cache
