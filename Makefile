# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST_PORT ?= 127.0.0.1:8000

.PHONY: run serve test loadtest lightness install migrate demo lint format check-migrations bench bench-till bench-credit bench-reports bench-import clean

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
	$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST_PORT)

## The back office as a shop runs it: production settings under gunicorn (config/gunicorn.conf.py),
## static files from WhiteNoise, PostgreSQL (SERVE_DATABASE_URL, created if missing), and the
## background worker beside it. Plain HTTP on 127.0.0.1:8000 (HTTPS=off) for this machine or a
## proxy in front; behind a proxy that terminates HTTPS: make serve HTTPS=on BIND=0.0.0.0:8000
## ALLOWED_HOSTS=backoffice.example.co.ke. The secret key is made once, in var/secret_key.
## No demo data: create the first login with manage.py createsuperuser (same environment).
SERVE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/backoffice
HTTPS ?= off
BIND ?= 127.0.0.1:8000
ALLOWED_HOSTS ?= 127.0.0.1,localhost
SERVE_ENV = DJANGO_SETTINGS_MODULE=config.settings.production DATABASE_URL=$(SERVE_DATABASE_URL) \
	HTTPS=$(HTTPS) BIND=$(BIND) ALLOWED_HOSTS=$(ALLOWED_HOSTS) SECRET_KEY="$$(cat var/secret_key)"

var/secret_key: | $(INSTALLED)
	mkdir -p var
	umask 077 && $(PY) -c "from django.core.management.utils import get_random_secret_key as k; print(k())" > $@

serve: install var/secret_key
	$(SERVE_ENV) $(PY) manage.py create_database
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "Back office (production settings, gunicorn): http://$(BIND)/"
	$(SERVE_ENV) $(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(SERVE_ENV) $(VENV)/bin/gunicorn -c config/gunicorn.conf.py config.wsgi

## The whole suite: SQLite unless DATABASE_URL is set; browser tests need /usr/bin/chromium.
test: install
	$(PY) -m pytest

## 50 staff at once (35 cashiers, 15 managers, each their own login) for 5 minutes on the
## production server (gunicorn, as make serve runs it, with the worker) over loopback, in a
## throwaway PostgreSQL database holding the demo shop; then 2 minutes more with PostgreSQL
## stopped as a crash and started again in the middle. Fails on any failed request outside that
## outage, on a sale or payment whose receipt was shown but is not recorded exactly once, and
## on a credit balance that differs from its ledger. Writes bench/loadtest.md (p95 per page).
## Options: make loadtest LOADTEST_ARGS="--seconds 60 --fault-seconds 0"
LOADTEST_DB := $${LOADTEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_load}
loadtest: install
	DATABASE_URL=$(LOADTEST_DB) $(PY) manage.py loadtest \
		--json bench/loadtest.json --markdown bench/loadtest.md $(LOADTEST_ARGS)

## How light the till is on a slow mobile link: the production server (gunicorn, compression on,
## as make serve runs it) in a throwaway PostgreSQL database holding the demo shop; Chromium
## (/usr/bin/chromium) through Playwright on a link emulated through CDP (400 ms round trip,
## 400 kbit/s each way) opens the till cold and warm, then sells two products on credit to a known
## customer by keyboard as the demo cashier. Prints the first load's bytes on the wire by type,
## each step's bytes, round trips, time and non-typing keys, and the whole sale's time (typing
## excluded), each beside its target; writes bench/lightness.json and bench/lightness.md (about
## 3 minutes, most of it loading the demo shop). A benchmark: it fails only if the sale fails.
## Options: make lightness LIGHTNESS_ARGS="--latency 150 --kbits 1600 --fail-on-miss"
LIGHTNESS_DB := $${LIGHTNESS_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_light}
lightness: install
	DATABASE_URL=$(LIGHTNESS_DB) $(PY) manage.py lightness \
		--json bench/lightness.json --markdown bench/lightness.md $(LIGHTNESS_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check-migrations: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

BENCH_DB := $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_bench}

## Everything measured on one data set on PostgreSQL, in a throwaway database dropped after: at
## --scale 1 (the default) 1,000,000 customers, 10,000,000 sales and 100,000 customers on credit
## with 1,600,000 ledger entries (seeded and checked in 9 minutes here; measuring takes 10 more
## with --repeat 5 --export-repeat 1, most of it the CSV export of a million rows). Times the
## customer list (test client and HTTP) beside Django admin's changelist, the exports beside stock
## django-import-export, the credit report, the other reports and the till; writes
## bench/results.json and bench/results.md. The import has its own target (bench-import).
## Options: make bench BENCH_ARGS="--scale 0.01 --repeat 3"; --keep-database, then
## --reuse-database to measure again without seeding.
bench: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench $(BENCH_ARGS)

## Only the till: sale-commit latency at 1, 4 and 16 cashiers, in a small database of its own.
## Options: make bench-till BENCH_TILL_ARGS="--sales-per-level 800 --json till.json"
bench-till: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_till $(BENCH_TILL_ARGS)

## Only the credit report, at 100,000 credit customers and 1,600,000 ledger rows (a few minutes).
## Options: make bench-credit BENCH_CREDIT_ARGS="--repeat 11 --json credit.json"
bench-credit: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_credit_report $(BENCH_CREDIT_ARGS)

## Only the other reports, at 1,000,000 customers and 10,000,000 sales.
## Options: make bench-reports BENCH_REPORTS_ARGS="--customers 20000 --sales 200000 --repeat 3"
bench-reports: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_reports $(BENCH_REPORTS_ARGS)

## Customer import throughput (rows a second) for a 100,000-row file: new, updated, unchanged.
## Options: make bench-import BENCH_IMPORT_ARGS="--rows 20000 --json import.json"
bench-import: install
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_import $(BENCH_IMPORT_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var
