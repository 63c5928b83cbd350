# mesoclinic: `make demo` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MESOCLINIC_DATA_DIR ?= $(CURDIR)/var
export MESOCLINIC_PORT ?= 8000

.PHONY: demo test test-postgres test-browser lint lock bench mutate install clean api-fuzz

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# requirements.lock pins every package, dev tools included, with hashes (make lock); the
# project itself is installed on top without resolving anything again.
$(STAMP): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic migrate --noinput
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic collectstatic --noinput --verbosity 0
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic demo
	@# The background worker (reminder emails) runs beside gunicorn and stops with it.
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	MESOCLINIC_HTTPS=False $(BIN)/gunicorn mesoclinic.wsgi --config gunicorn.conf.py \
		--bind 127.0.0.1:$(MESOCLINIC_PORT) --access-logfile -

test: lint
	$(BIN)/python -m pytest

# Run the suite against PostgreSQL: MESOCLINIC_DATABASE_URL=postgresql://... make test-postgres
test-postgres: $(STAMP)
	@test -n "$$MESOCLINIC_DATABASE_URL" || { echo "set MESOCLINIC_DATABASE_URL=postgresql://..."; exit 2; }
	$(BIN)/python -m pytest

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Regenerate requirements.lock from pyproject.toml after changing a dependency there;
# UPGRADE=1 also moves every other pin to its newest release. Index locations stay in pip's
# own configuration, not in the lock.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade) \
		-o requirements.lock pyproject.toml

# Benchmarks at clinic-chain scale (README "Benchmarks"); QUICK=1 for a short run.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

# The JSON API against its own OpenAPI document: schemathesis on a live demo server with
# a token per role (also run by .ci/run); API_FUZZ_SECONDS per token, 40 by default.
api-fuzz: $(STAMP)
	.ci/api-fuzz

# Mutation testing of the dose rules and the treatment day ([tool.mutmut] in pyproject.toml):
# every mutant should make a test fail. Not part of `make test`: it takes long. Results are
# cached in mutants/; ONLY='mesoclinic.rules.doses*' runs one module's mutants.
mutate: $(STAMP)
	MESOCLINIC_TEST_SQLITE=$(CURDIR)/mutants/test-db.sqlite3 $(BIN)/mutmut run $(if $(ONLY),"$(ONLY)")
	@$(BIN)/mutmut export-cicd-stats >/dev/null
	@$(BIN)/python -c 'import json; s = json.load(open("mutants/mutmut-cicd-stats.json")); \
		n = sum(v for k, v in s.items() if k not in ("total", "skipped", "check_was_interrupted_by_user")); \
		print("mutation score: {killed} killed / {n} checked = {p:.1f}% ({survived} survived, " \
		"{timeout} timed out, {no_tests} reached by no test; {total} mutants in all)".format( \
		n=n, p=100 * s["killed"] / max(n, 1), **s))'

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache mutants
