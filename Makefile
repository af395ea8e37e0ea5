# One command per chore. `make run` and `make test` set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app portal
PORT ?= 5000
export PORT

.PHONY: run test lint format setup assets translations messages migrate bench bench-compare bench-rides clean prod-local haproxy bench-prod

setup: $(VENV)/.installed static/vendor/.copied translations

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# htmx, Pico, Leaflet and the Lucide icons come from the npm registry, pinned by
# package-lock.json, never hand-copied.
# Leaflet's marker images sit flat beside it (static/js/map.js sets Leaflet's imagePath to
# static/vendor/), so the folder stays one level deep. Of Lucide's 2,500 icons only those the
# portal shows go into one sprite (scripts/icon_sprite.py).
static/vendor/.copied: node_modules/.installed scripts/icon_sprite.py
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	cp node_modules/leaflet/dist/leaflet.js static/vendor/leaflet.js
	cp node_modules/leaflet/dist/leaflet.css static/vendor/leaflet.css
	cp node_modules/leaflet/dist/images/marker-icon.png static/vendor/marker-icon.png
	cp node_modules/leaflet/dist/images/marker-icon-2x.png static/vendor/marker-icon-2x.png
	cp node_modules/leaflet/dist/images/marker-shadow.png static/vendor/marker-shadow.png
	$(PYTHON) scripts/icon_sprite.py
	@touch $@

assets: static/vendor/.copied

translations: $(VENV)/.installed
	@$(PY) scripts/translations.py compile

# After adding UI text: extract it into each domain's catalogue, then fill in the Indonesian.
messages: $(VENV)/.installed
	$(PY) scripts/translations.py update
	-$(PY) scripts/translations.py check

migrate: setup
	@mkdir -p instance
	$(FLASK) db upgrade heads

run: migrate
	$(FLASK) demo seed
	$(PY) scripts/run_dev.py

# Production's shape on this machine: HAProxy (https://127.0.0.1:8443) in front of two gunicorn
# web nodes, two RQ workers and the scheduler, against DATABASE_URL (PostgreSQL) and REDIS_URL.
# Migrates first. Ctrl+C stops everything. WEBS=3 WORKERS=4 for more nodes.
WEBS ?= 2
WORKERS ?= 2
prod-local: setup haproxy
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "set DATABASE_URL (postgresql://…) and REDIS_URL (redis://…)"; exit 2; }
	GANCANG_ENV=development $(FLASK) db upgrade heads
	$(PY) -m portal.ops.topology --webs $(WEBS) --workers $(WORKERS)

haproxy:
	@bash scripts/install-haproxy.sh

# The busy-evening Locust profile (bench/locustfile.py) against `make prod-local`'s topology on
# PostgreSQL (BENCH_PROD_DATABASE_URL, default gancang_bench_prod on 127.0.0.1) and Redis
# (REDIS_URL), in steps of users; figures in bench/results-prod.json and docs/capacity.md.
# Locust has its own venv: its gevent stack stays out of the app's.
bench/.venv-locust/.installed: bench/requirements-locust.txt
	$(PYTHON) -m venv bench/.venv-locust
	bench/.venv-locust/bin/pip install --quiet -r bench/requirements-locust.txt
	@touch $@

bench-prod: setup haproxy bench/.venv-locust/.installed
	$(PY) bench/prod.py $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .

# On every core (pytest-xdist, one worker per core; tests/parallel.py says what each worker has
# of its own and which tests run alone). PYTEST_ARGS=-n0 runs serially, PYTEST_WORKERS=3 sets the count.
PYTEST_WORKERS ?= auto
test: setup lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The food pages against a bare route (bench/results.json), then the Ijen booking race.
# BENCH_PG_URL=postgresql://… (an empty database it may fill) runs the same on PostgreSQL too and
# reports both; results in bench/results.json (SQLite) and bench/results-postgresql.json.
bench: setup
	$(PY) bench/run.py
	$(PY) bench/rides.py
	@if [ -n "$(BENCH_PG_URL)" ]; then \
	  cp bench/results.json bench/results-sqlite.json; \
	  BENCH_DATABASE_URL="$(BENCH_PG_URL)" $(PY) bench/run.py && cp bench/results.json bench/results-postgresql.json; \
	  BENCH_DATABASE_URL="$(BENCH_PG_URL)" $(PY) bench/rides.py; \
	  cp bench/results-sqlite.json bench/results.json; \
	fi

# The Ijen booking race: 200 simultaneous POSTs for the last seat (and for 50 seats); throughput
# and p95. BENCH_DATABASE_URL=postgresql://… runs it on a fresh PostgreSQL database.
# This tree against BEFORE (a commit), both serving at once, rounds alternating (bench/compare.py):
# `make bench-compare BEFORE=87ef0a7`; with BENCH_DATABASE_URL, on PostgreSQL.
bench-compare: setup
	$(PY) bench/compare.py --before $(BEFORE) $(BENCH_ARGS)

bench-rides: setup
	$(PY) bench/rides.py

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache
