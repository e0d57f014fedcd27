# Two commands on a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
HOST_PORT ?= 127.0.0.1:8000

.PHONY: run test install migrate demo lint format check-migrations bench clean

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

## Run the back office on http://127.0.0.1:8000 with SQLite and demo data.
run: demo
	@echo ""
	@echo "Back office: http://$(HOST_PORT)/"
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

## Sale-commit latency at 1, 4 and 16 cashiers on PostgreSQL, in a throwaway database dropped
## after. Options: make bench BENCH_ARGS="--sales-per-level 800 --json bench.json"
bench: install
	DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice_bench} $(PY) manage.py bench_till $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
