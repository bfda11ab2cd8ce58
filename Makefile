# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    set up .venv and open the app on the embedded SQLite database
#   make test   set up .venv with the test extras and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test screens bench bench-journey clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "wsnego-tui needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/wsnego-tui $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(ARGS)

screens: $(VENV)/.installed-test
	$(BIN)/python scripts/make_screens.py

bench: $(VENV)/.installed-test
	$(BIN)/python scripts/bench_startup.py

bench-journey: $(VENV)/.installed-test
	$(BIN)/python scripts/bench_journey.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
