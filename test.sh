#!/usr/bin/env bash
# One command: set up and run every test, with the network cut off.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
# The browser acceptance test drives Debian's chromium; install it once (idempotent). Without
# apt (or root) the test skips with its reason instead of failing.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
    >/dev/null 2>&1 || echo "note: could not install chromium; the browser test will skip" >&2
fi
# Lint, format and type checks first: zero findings (configured in pyproject.toml).
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy --no-error-summary
# Dependency audit against the lock (skips with its reason where the data is unreachable).
bash scripts/audit.sh
# Tests run in a private network namespace (loopback only) when the kernel allows it;
# the socket guard in tests/conftest.py refuses outside connections either way. The 15
# slowest tests are listed at the end (a test over 30 s says why in its docstring).
if unshare -n true 2>/dev/null; then
  exec unshare -n sh -c 'ip link set lo up 2>/dev/null || true; exec .venv/bin/python -m pytest --durations=15 "$@"' sh "$@"
fi
echo "note: cannot create a network namespace here; relying on the socket guard" >&2
exec .venv/bin/python -m pytest --durations=15 "$@"
