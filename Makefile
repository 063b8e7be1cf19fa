# `make demo` and `make test` work from a fresh clone: both create .venv and install when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/issue-assets demo

lint: $(STAMP)
	$(BIN)/ruff check .

# `dg check defs` loads the code location as `dg dev` would (VIRTUAL_ENV: the project's environment is the active one).
test: $(STAMP)
	$(BIN)/ruff check .
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/dg check defs
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
