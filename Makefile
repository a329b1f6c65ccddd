# Two commands matter: `make demo` and `make test`. Both build .venv/ from nothing when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck layers unit bench screenshots golden golden-check mutation coverage clean

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

# Mutation testing (mutmut 3, config in pyproject.toml), one module at a time, niced: each mutant
# runs only the tests that reach its function. A full run takes hours on 2 cores, so by default
# MUTATION_SAMPLE=fiftieth tries each function's first mutant and every fiftieth after it; `tenth`
# and `all` try more. Fails when a module's score falls below tests/mutation/scores.json
# (`.venv/bin/python -m tests.mutation.score record` updates it).
MUTATION_MODULES ?= core/parse core/classify diagnose aws/pollers
MUTATION_SAMPLE ?= fiftieth

mutation: $(STAMP)
	mkdir -p mutants
	for module in $(MUTATION_MODULES); do \
		log=mutants/$$(echo $$module | tr / -).log; echo "mutating $$module (log: $$log)"; \
		nice -n 10 $(BIN)/mutmut run --max-children 2 \
			$$($(BIN)/python -m tests.mutation.score patterns $$module $(MUTATION_SAMPLE)) \
			> $$log 2>&1 || { tail -20 $$log; exit 1; }; \
	done
	$(BIN)/python -m tests.mutation.score check

coverage: $(STAMP)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider --cov=lambdatop --cov-report=term

clean:
	rm -rf $(VENV) build dist *.egg-info
