# The two commands a newcomer needs: `make run` and `make test`. Both create .venv and are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run serve test lint format bench bench-http bench-smoke messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) geo build
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production-style: migrations, then gunicorn with several workers on 127.0.0.1 (see gunicorn.conf.py).
serve: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) geo build
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# In-process search benchmark; N=100000 for the real figures (see bench/RESULTS.md).
N ?= 100000
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/search_bench.py --rows $(N)

# HTTP benchmark: gunicorn against Datasette at N rows, on SQLite and PostgreSQL (see bench/RESULTS.md).
bench-http: $(VENV)/.installed-bench
	$(BIN)/python bench/http_bench.py --rows $(N)

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

bench-smoke: $(VENV)/.installed-dev
	$(BIN)/python bench/search_bench.py --rows 1000 --repeat 3

# Extract every translatable string into translations/messages.pot (for translators).
messages: $(VENV)/.installed
	mkdir -p translations
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
