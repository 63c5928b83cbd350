# mesoclinic: `make demo` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MESOCLINIC_DATA_DIR ?= $(CURDIR)/var
export MESOCLINIC_PORT ?= 8000

.PHONY: demo test test-postgres test-browser lint bench install clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=python3"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic migrate --noinput
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic collectstatic --noinput --verbosity 0
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic demo
	@# The background worker (reminder emails) runs beside gunicorn and stops with it.
	MESOCLINIC_HTTPS=False $(BIN)/mesoclinic worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	MESOCLINIC_HTTPS=False $(BIN)/gunicorn mesoclinic.wsgi --bind 127.0.0.1:$(MESOCLINIC_PORT) \
		--workers 2 --threads 4 --access-logfile - --forwarded-allow-ips=""

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Run the suite against PostgreSQL: MESOCLINIC_DATABASE_URL=postgresql://... make test-postgres
test-postgres: $(STAMP)
	@test -n "$$MESOCLINIC_DATABASE_URL" || { echo "set MESOCLINIC_DATABASE_URL=postgresql://..."; exit 2; }
	$(BIN)/python -m pytest

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Benchmarks at clinic-chain scale (README "Benchmarks"); QUICK=1 for a short run.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
