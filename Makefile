# make run   -- PostgreSQL, pulpcore api + content app + worker with this plugin, in the foreground
# make lint  -- ruff check and ruff format --check over the code, tests and tools
# make format -- ruff format (and ruff's safe fixes) over the same files
# make test  -- lint, then unit tests, then functional tests against real processes
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed
LINTED := pulp_container devserver scripts bench tests setup.py

.PHONY: install run test unit functional system-deps lint format clean

$(STAMP): setup.py requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e . -r requirements-test.txt
	touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/python -m devserver

system-deps:
	scripts/system-deps.sh

lint: install
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

format: install
	$(VENV)/bin/ruff check --fix $(LINTED)
	$(VENV)/bin/ruff format $(LINTED)

test: lint system-deps
	$(VENV)/bin/pytest

unit: install
	$(VENV)/bin/pytest tests/unit

functional: install system-deps
	$(VENV)/bin/pytest tests/functional

clean:
	rm -rf $(VENV) build *.egg-info
