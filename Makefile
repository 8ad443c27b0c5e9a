# make run   -- PostgreSQL, pulpcore api + content app + worker with this plugin, in the foreground
# make test  -- unit tests, then functional tests against real processes
PYTHON ?= python3
VENV ?= .venv
STAMP := $(VENV)/.installed

.PHONY: install run test unit functional system-deps lint clean

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

test: install system-deps
	$(VENV)/bin/pytest

unit: install
	$(VENV)/bin/pytest tests/unit

functional: install system-deps
	$(VENV)/bin/pytest tests/functional

clean:
	rm -rf $(VENV) build *.egg-info
