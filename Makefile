# Every target creates .venv itself, so a fresh clone needs only `make demo`
# or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_JOBS ?= 2

.PHONY: demo test lint bench clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[ml,ui]"
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.base
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/quickstart/demo.sh

test: $(VENV)/.dev
	$(BIN)/pytest -n $(PYTEST_JOBS) -q

lint: $(VENV)/.dev
	$(BIN)/ruff check repro tests benchmarks
	$(BIN)/ruff format --check repro tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache benchmarks/.data
