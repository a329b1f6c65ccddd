# Two commands matter: `make demo` and `make test`. Both build .venv/ from nothing when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck layers unit bench screenshots golden golden-check clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[demo,dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lambdatop --demo

test: $(STAMP) lint typecheck layers unit

lint: $(STAMP)
	$(BIN)/ruff check lambdatop tests bench
	$(BIN)/ruff format --check lambdatop tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

screenshots: $(STAMP)
	$(BIN)/python -m bench.screenshots

# Golden diagnoses, for reshaping the diagnosis without changing a byte of what it says:
# `make golden` records at the starting commit, `make golden-check` compares today's engine.
GOLDEN ?= .golden

golden: $(STAMP)
	rm -rf $(GOLDEN)
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider -p tests.golden.plugin --golden-record $(GOLDEN) tests/diagnose tests/core tests/cli

golden-check: $(STAMP)
	$(BIN)/python -m tests.golden.check $(GOLDEN)

clean:
	rm -rf $(VENV) build dist *.egg-info
