# Tiếp Dân: `make run` starts the bot on its embedded defaults; `make test` runs everything CI runs.
# `make bench` measures issue 18's figures (SQLite and PostgreSQL, ~15 min); `make bench ARGS="--quick --only crowd"`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(patsubst %.po,%.mo,$(wildcard locales/*/LC_MESSAGES/*.po))

.PHONY: install catalogs run test drills lint browser bench messages clean lock

# requirements.lock pins every package (made by `make lock` from pyproject.toml); as constraints, it pins what
# the project installs without ever blocking a dependency added since the last lock.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

locales/%.mo: locales/%.po $(STAMP)
	$(BIN)/pybabel compile --input-file=$< --output-file=$@ --statistics

catalogs: $(CATALOGS)

run: install catalogs
	$(BIN)/tiepdan run

# ruff, the import contracts, and mypy --strict over the packages pyproject.toml's [tool.mypy] names.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The browser test drives Debian's Chromium by explicit path; nothing is downloaded at test time.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	@# The accessibility audit's engine (axe-core, npm registry), into var/axe: a test dependency, not shipped.
	@test -f var/axe/node_modules/axe-core/axe.min.js || \
		npm install --silent --no-audit --no-fund --prefix var/axe axe-core@4

# TEST_WORKERS: pytest-xdist processes; 0 runs the suite in this process. The suite waits on sockets, child
# processes and the platforms' pace more than it computes (7.5 CPU-minutes in 6 minutes on 2 cores), so three
# workers a core, at most 8 (each holds its own PostgreSQL schema and connections).
TEST_WORKERS ?= $(shell n=$$(( 3 * $$(nproc) )); [ $$n -gt 8 ] && n=8; echo $$n)
test: install catalogs lint browser
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=20 --timeout=900

# The bad-day drills at the issue's full sizes (500 citizens through outages, 2,000 submissions on 2+2
# processes, 1,000 through kills, 10,000 fuzzed payloads), one after another on a platform clock
# DRILL_TIME_SCALE times faster than Telegram's; `make test` runs the same drills small. .ci/run runs both.
DRILL_TIME_SCALE ?= 4
drills: install catalogs
	TIEPDAN_SOAK_SCALE=1 TIEPDAN_DRILL_TIME_SCALE=$(DRILL_TIME_SCALE) TIEPDAN_FUZZ_PAYLOADS=10000 \
		$(BIN)/python -m pytest -q -n 0 --timeout=3600 --durations=10 \
		tests/engine/test_outage.py tests/engine/test_scale_out.py tests/engine/test_faults.py tests/engine/test_fuzz.py

bench: install catalogs
	$(BIN)/python -m benchmarks $(ARGS)

# List the message ids the code uses (tests/test_i18n.py checks each is in a catalog of both languages).
messages: install
	$(BIN)/pybabel extract --no-location --omit-header -k t -k N_ -o locales/messages.pot bot handlers

lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache locales/*/LC_MESSAGES/*.mo
