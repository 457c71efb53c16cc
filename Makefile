# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint mutants mutants-survivors bench soak audit lock docs clean

# Every install comes from a lock file of requirements/ (exact versions, hashes checked), then the project
# itself without its dependencies: a fresh clone installs the same packages whatever the day's releases.
# `make lock` re-resolves them (after a change to the dependencies in pyproject.toml).
PIP_INSTALL = $(BIN)/pip install --quiet --disable-pip-version-check
define install_locked
	$(PIP_INSTALL) --require-hashes --no-deps -r $(1)
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
endef

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml requirements/run.txt | $(BIN)/python
	$(call install_locked,requirements/run.txt)
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements/test.txt | $(BIN)/python
	$(call install_locked,requirements/test.txt)
	touch $@ $(VENV)/.installed-run

## Run the shop on the embedded default (SQLite under var/, no services) at http://127.0.0.1:8000
run: $(VENV)/.installed-run
	$(BIN)/jiadian serve

## Lint, type-check, check the layers, run every test (and docs/examples), and the mutation floor.
## The mutation run goes on beside the tests at the lowest CPU priority (`nice`), in a temporary
## directory of its own: it takes the CPU the tests leave while they wait on the databases, the
## browser and the servers they start. Its report follows the tests'; the slowest tests are listed
## (CI must stay well under 30 minutes). Within `make test` the mutation run covers the domain
## (TEST_MUTANTS_ONLY; about 1,100 of the 2,400 mutants): the whole scope beside the suite took CI near 30
## minutes. `make mutants` alone covers everything.
TEST_MUTANTS_ONLY ?= jiadian.domain.
test: $(VENV)/.installed-test node_modules/.installed lint
	@mkdir -p test-output/mutants-tmp
	@TMPDIR=$(CURDIR)/test-output/mutants-tmp nice -n 19 $(MAKE) --no-print-directory mutants \
		MUTANTS_ONLY=$(TEST_MUTANTS_ONLY) > test-output/mutants.out 2>&1 & mutated=$$!; \
	$(BIN)/python -m pytest --durations=30; tests=$$?; \
	echo "waiting for the mutation run (log: test-output/mutants.out)"; \
	wait $$mutated; mutants=$$?; cat test-output/mutants.out; \
	exit $$(( tests != 0 || mutants != 0 ))

# The browser tests' own tools (axe-core for the accessibility audit), exactly as package-lock.json pins
# them; nothing runs at install. Without npm the audit skips (and fails under CI=true).
node_modules/.installed: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else echo "npm not found: the accessibility audit will skip (apt-get install nodejs npm)"; fi

## Mutation testing (mutmut) of the domain and the application's money and stock rules against the unit
## tests: the score per module, and a floor of 90 % of the non-equivalent mutants (mutation/equivalents.toml).
## A fresh run each time; the log is test-output/mutmut.log. Options: make mutants MUTANTS_CHILDREN=4,
## MUTANTS_ONLY=jiadian.domain. (the modules under a prefix only)
MUTANTS_CHILDREN ?= 2
MUTANTS_ONLY ?=
mutants: $(VENV)/.installed-test
	rm -rf mutants
	mkdir -p test-output
	@start=$$(date +%s); \
	$(BIN)/mutmut run --max-children $(MUTANTS_CHILDREN) $(if $(MUTANTS_ONLY),"$(MUTANTS_ONLY)*") \
		> test-output/mutmut.log 2>&1 \
		|| { tail -c 3000 test-output/mutmut.log; exit 1; }; \
	echo "mutmut run: $$(( $$(date +%s) - start )) s (log: test-output/mutmut.log)"
	$(BIN)/python mutation/score.py $(if $(MUTANTS_ONLY),--only $(MUTANTS_ONLY))

## After `make mutants`: the diff of every surviving mutant that is not listed as equivalent
mutants-survivors: $(VENV)/.installed-test
	$(BIN)/python mutation/score.py --survivors

$(VENV)/.installed-bench: pyproject.toml requirements/bench.txt | $(BIN)/python
	$(call install_locked,requirements/bench.txt)
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

$(VENV)/.installed-audit: pyproject.toml requirements/audit.txt | $(BIN)/python
	$(call install_locked,requirements/audit.txt)
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

## Re-resolve the lock files of requirements/ from pyproject.toml (uv, with hashes, for Python 3.11 on any
## platform). test.txt is resolved first; the others take its versions where they share a package.
UV_COMPILE = $(VENV)/lock/bin/uv pip compile pyproject.toml requirements/build.in --universal \
	--python-version 3.11 --generate-hashes --quiet --custom-compile-command 'make lock'
lock:
	test -x $(VENV)/lock/bin/uv || ($(PYTHON) -m venv $(VENV)/lock && \
		$(VENV)/lock/bin/pip install --quiet --disable-pip-version-check uv==0.13.9)
	$(UV_COMPILE) --extra test --extra dev --extra browser -o requirements/test.txt
	$(UV_COMPILE) -c requirements/test.txt -o requirements/run.txt
	$(UV_COMPILE) -c requirements/test.txt --extra bench -o requirements/bench.txt
	$(UV_COMPILE) -c requirements/test.txt --extra audit -o requirements/audit.txt

## Regenerate what is generated from the code: the README's configuration table (from the settings)
docs: $(VENV)/.installed-run
	$(BIN)/jiadian settings table --write README.md

clean:
	rm -rf $(VENV) var mutants .mypy_cache .ruff_cache .pytest_cache node_modules
