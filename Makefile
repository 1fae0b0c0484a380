# Two promises: `make run` serves the survey on a fresh clone; `make test` passes every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: run test test-sqlite test-postgres install translations db browser-deps extract clean

$(BIN)/flask: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

install: $(BIN)/flask

translations: install
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile --statistics -d translations 2>&1 | grep -v "^$$" || true; fi

db: install
	$(FLASK) db upgrade

run: translations db
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Real-browser checks need Debian's chromium and its driver, Noto fonts (so the 320 px checks measure
# real Gurmukhi, Bengali and Arabic-script text, not fallback boxes), and axe-core from npm (no browser download).
browser-deps:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		fc-list 2>/dev/null | grep -qi "Noto Sans Gurmukhi" || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-core >/dev/null)
	@test -f $(AXE) || (cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --silent)

# The whole suite on SQLite files, then again on a throw-away PostgreSQL server (Debian's postgresql,
# installed when missing; skipped with a message where it cannot be installed).
test: test-sqlite test-postgres

test-sqlite: translations browser-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(BIN)/pytest -q

test-postgres: translations browser-deps
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 .ci/with-postgres --fast $(BIN)/pytest -q

# After changing any user-facing text: extract, then update every catalogue.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) tests/browser/node_modules
