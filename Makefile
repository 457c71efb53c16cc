# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench soak audit clean

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

## Lint, type-check, check the layers, and run every test
test: $(VENV)/.installed-test node_modules/.installed lint
	$(BIN)/python -m pytest

# The browser tests' own tools (axe-core for the accessibility audit), exactly as package-lock.json pins
# them; nothing runs at install. Without npm the audit skips (and fails under CI=true).
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility audit will skip (apt-get install nodejs npm)"; fi

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
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache node_modules
