# Every target creates .venv itself, so a fresh clone needs only `make demo`
# or `make test`; `make test` also brings up what the suite needs
# (scripts/services.sh: Chromium, the Docker engine, its base image and a
# registry; as root it installs them, otherwise it says what is missing).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_JOBS ?= 2

.PHONY: demo test services lint bench stress clean

$(VENV)/.base: pyproject.toml
	PYTHON=$(PYTHON) bash scripts/services.sh venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[ml,ui,docker]"
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.base
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/quickstart/demo.sh

services:
	PYTHON=$(PYTHON) bash scripts/services.sh

test: services $(VENV)/.dev
	$(BIN)/pytest -n $(PYTEST_JOBS) -q --durations=15

lint: $(VENV)/.dev
	$(BIN)/ruff check repro tests benchmarks
	$(BIN)/ruff format --check repro tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py $(ARGS)

# The issue-19 campaign (kill -9, concurrency, tampered remotes, crafted
# records, hostile locks and configs): a Markdown table; exit 1 if a trial
# did not hold. ARGS="--quick" (under ~5 min), ARGS="--only kill-run", ...
stress: $(VENV)/.dev
	$(BIN)/python -m benchmarks.campaign $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache benchmarks/.data
