# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint mutants mutants-survivors bench soak audit clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,browser]'
	touch $@ $(VENV)/.installed-run

## Run the shop on the embedded default (SQLite under var/, no services) at http://127.0.0.1:8000
run: $(VENV)/.installed-run
	$(BIN)/jiadian serve

## Lint, type-check, check the layers, run every test (and docs/examples), then the mutation floor
test: $(VENV)/.installed-test lint
	$(BIN)/python -m pytest
	$(MAKE) mutants

## Mutation testing (mutmut) of the domain and the application's money and stock rules against the unit
## tests: the score per module, and a floor of 90 % of the non-equivalent mutants (mutation/equivalents.toml).
## A fresh run each time; the log is test-output/mutmut.log. Options: make mutants MUTANTS_CHILDREN=4
MUTANTS_CHILDREN ?= 2
mutants: $(VENV)/.installed-test
	rm -rf mutants
	mkdir -p test-output
	@start=$$(date +%s); \
	$(BIN)/mutmut run --max-children $(MUTANTS_CHILDREN) > test-output/mutmut.log 2>&1 \
		|| { tail -c 3000 test-output/mutmut.log; exit 1; }; \
	echo "mutmut run: $$(( $$(date +%s) - start )) s (log: test-output/mutmut.log)"
	$(BIN)/python mutation/score.py

## After `make mutants`: the diff of every surviving mutant that is not listed as equivalent
mutants-survivors: $(VENV)/.installed-test
	$(BIN)/python mutation/score.py --survivors

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed-run

## Benchmark the production profile (MariaDB + Redis, 2 workers) with wrk: bench/results/latest.{md,json,png}
## Options: make bench BENCH_ARGS='--products 2000 --duration 4'
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## Soak the production profile (MariaDB + Redis + worker, 2 HTTP workers) with mixed shoppers for 10 minutes,
## then check stock, wallets, stuck orders and memory: bench/results/soak.json. Not part of `make test`.
## Options: make soak SOAK_ARGS='--minutes 2 --shoppers 8'
soak: $(VENV)/.installed-run
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

$(VENV)/.installed-audit: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[audit]'
	touch $@ $(VENV)/.installed-run

## Audit every installed dependency for known vulnerabilities (pip-audit, PyPI's advisories); --strict
## fails when a package cannot be checked, so an unreachable advisory service is never a green audit
audit: $(VENV)/.installed-audit
	$(BIN)/pip-audit --strict --skip-editable --progress-spinner off

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench docs/examples mutation
	$(BIN)/ruff format --check src tests bench docs/examples mutation
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var mutants .mypy_cache .ruff_cache .pytest_cache
