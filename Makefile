# Two promises: `make run` serves the survey on a fresh clone; `make test` passes every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
AXE := tests/browser/node_modules/axe-core/axe.min.js
LOCK := requirements.txt
# The lock: every package of the app, both extras, the build backend and the locking tool itself (uv,
# in the lock's `dev` group), pinned with hashes for every platform and Python 3.11+.
COMPILE := $(BIN)/uv pip compile pyproject.toml --extra test --extra postgres --group build --group dev \
	--universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock" -o $(LOCK)

.PHONY: run run-production test test-sqlite test-postgres install translations db browser-deps r-deps nginx-deps \
	bench-deps extract clean lock upgrade

# Installs come from the lock, hash-checked, so a fresh clone next year installs what passed today.
# The venv is made anew whenever the lock changes, so nothing unlocked lingers in it.
$(BIN)/flask: $(LOCK) pyproject.toml Makefile
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(BIN)/flask

translations: install
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v "^$$" || true; fi

db: install
	$(FLASK) db upgrade

run: translations db
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production on this machine: Debian's nginx on 127.0.0.1:$(PORT) (8080 unless PORT is given) in front of
# gunicorn on a Unix socket, as deploy/ describes; a throw-away nginx prefix and its logs in instance/.
run-production: translations db nginx-deps
	PORT=$(if $(filter environment command,$(firstword $(origin PORT))),$(PORT),8080) $(BIN)/python deploy/run-production

# Debian's nginx (the light build has every module the site uses), installed when missing.
nginx-deps:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)

# Real-browser checks need Debian's chromium and its driver, Noto fonts (so the 320 px checks measure
# real Gurmukhi, Bengali and Arabic-script text, not fallback boxes), and axe-core from npm (no browser download).
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		fc-list 2>/dev/null | grep -qi "Noto Sans Gurmukhi" || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-core >/dev/null)
	@test -f $(AXE) || (cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --silent)

# R runs the labelling script the staff export offers, and PSPP (GNU's SPSS) its syntax file, so the
# tests see that no label can run a command in either (tests/staff/test_export_*.py).
r-deps:
	@command -v Rscript >/dev/null && command -v pspp >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		r-base-core pspp >/dev/null)

# bench/export compares the CSV export with the sqlite3 tool reading the same table.
bench-deps:
	@command -v sqlite3 >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null)

# The whole suite on SQLite files, then again on a throw-away PostgreSQL server (Debian's postgresql,
# installed when missing; skipped with a message where it cannot be installed).
test: test-sqlite test-postgres

test-sqlite: translations browser-deps r-deps nginx-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -q

test-postgres: translations browser-deps r-deps nginx-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .ci/with-postgres --fast $(BIN)/pytest -q

# After changing pyproject.toml: pin what it now asks for, keeping every other pin where it is.
lock: install
	$(COMPILE)

# Once a month, and on any security release: move every pin to the newest release, rebuild, run everything.
# A red run is a job to do (fix the code, or cap the package in pyproject.toml with a reason), never a
# reason to loosen a test.
upgrade: install
	$(COMPILE) --upgrade
	@echo "Pins that moved:"; git diff --unified=0 -- $(LOCK) | grep -E '^[-+][a-z0-9]' || echo "  none"
	@$(MAKE) --no-print-directory test || { echo; \
		echo "make upgrade: the suite is red with the new lock; the failures are listed above."; \
		echo "Fix them, or go back with: git checkout $(LOCK) && make install"; exit 1; }
	@echo "make upgrade: the suite is green with the new lock. Commit $(LOCK)."

# After changing any user-facing text: extract, then update every catalogue.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# The README's screenshots (docs/screenshots/*.png), taken afresh with the browser tests' Chromium.
.PHONY: screenshots
screenshots: translations browser-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/python docs/screenshots/refresh

clean:
	rm -rf $(VENV) tests/browser/node_modules
