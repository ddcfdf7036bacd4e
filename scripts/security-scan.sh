#!/bin/sh
# Installs the outside scanners of `make security` (Wapiti and sqlmap, from PyPI) into their own
# virtualenv, .venv-scanner, when they are missing or the requirements changed; then prints their versions.
# The scan itself is the pytest in tests/security/test_outside_scanner.py, which `make security` runs next.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
SCANNER_VENV=${SCANNER_VENV:-.venv-scanner}
REQUIREMENTS=scripts/security-scan-requirements.txt
STAMP="$SCANNER_VENV/.installed"

if [ ! -f "$STAMP" ] || [ "$REQUIREMENTS" -nt "$STAMP" ]; then
    echo "==> Installing the outside scanners into $SCANNER_VENV ($REQUIREMENTS)"
    # wapiti3 supports Python 3.10 to 3.12.
    "$PYTHON" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else "Wapiti needs Python 3.10-3.12; try: make security PYTHON=python3.12")'
    test -x "$SCANNER_VENV/bin/python" || "$PYTHON" -m venv "$SCANNER_VENV" \
        || { echo "python -m venv failed (Debian: apt-get install python3-venv)"; exit 1; }
    "$SCANNER_VENV/bin/python" -m pip install --quiet --upgrade pip
    "$SCANNER_VENV/bin/python" -m pip install --quiet -r "$REQUIREMENTS"
    touch "$STAMP"
fi
echo "==> Scanners: $("$SCANNER_VENV/bin/wapiti" --version 2>/dev/null | tail -n 1), sqlmap $("$SCANNER_VENV/bin/sqlmap" --version 2>/dev/null | tail -n 1)"
