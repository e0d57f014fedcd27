# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST_PORT ?= 127.0.0.1:8000

.PHONY: run test install migrate demo lint format check-migrations bench bench-till bench-credit bench-reports bench-import clean

$(INSTALLED): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_data

## Run the back office on http://127.0.0.1:8000 with SQLite and demo data, and beside it the
## background worker (large imports); Ctrl+C stops both.
run: demo
	@echo ""
	@echo "Back office: http://$(HOST_PORT)/"
	$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST_PORT)

## The whole suite: SQLite unless DATABASE_URL is set; browser tests need /usr/bin/chromium.
test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

BENCH_DB := $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_bench}

## Every benchmark on PostgreSQL, one after the other, each in a throwaway database dropped after.
bench: bench-till bench-credit bench-reports bench-import
.NOTPARALLEL: bench

## Sale-commit latency at 1, 4 and 16 cashiers.
## Options: make bench-till BENCH_ARGS="--sales-per-level 800 --json bench.json"
bench-till: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_till $(BENCH_ARGS)

## The credit report at 100,000 credit customers and 1,600,000 ledger rows (about 5 minutes).
## Options: make bench-credit BENCH_CREDIT_ARGS="--repeat 11 --json credit.json"
bench-credit: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_credit_report $(BENCH_CREDIT_ARGS)

## Every report page at 1,000,000 customers and 10,000,000 sales (about 12 minutes to seed).
## Options: make bench-reports BENCH_REPORTS_ARGS="--customers 20000 --sales 200000 --repeat 3"
bench-reports: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_reports $(BENCH_REPORTS_ARGS)

## Customer import throughput (rows a second) for a 100,000-row file: new, updated, unchanged.
## Options: make bench-import BENCH_IMPORT_ARGS="--rows 20000 --json import.json"
bench-import: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_import $(BENCH_IMPORT_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var
