#!/usr/bin/env bash
# Makes sure the browser tests (tests/browser) have what they need: Debian's Chromium at /usr/bin/chromium
# (never a browser download) and npm (axe-core comes from `npm ci`, see `make node-packages`).
# npm also brings node (Debian's npm package depends on nodejs): the sign-in tests (tests/sso) run the
# OpenID provider oidc-provider under node, from the same `npm ci`.
# Used by `make test` and `.ci/run`. A missing tool is installed with apt-get when this runs as root or
# with password-less sudo; otherwise the script stops at once with one line saying what to install.
set -euo pipefail

# Debian's package names. The browser tests launch /usr/bin/chromium itself (tests/browser/conftest.py),
# so that path is checked, not whatever "chromium" PATH finds.
CHROMIUM=/usr/bin/chromium
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else return 1
    fi
}

needs() {  # one line, then stop: better than a dozen failing browser tests at the end of the run
    echo "make test needs ${missing[*]} for the browser tests: apt-get install -y ${missing[*]} (or run make test-fast)" >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || needs
as_root true 2>/dev/null || needs

echo "Installing ${missing[*]} for the browser tests (apt-get, as root)"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || needs
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || needs
[ -x "$CHROMIUM" ] && command -v npm >/dev/null 2>&1 || needs
