#!/usr/bin/env bash
# Dependency audit: pip-audit over the locked versions (uv.lock), run by test.sh.
# The vulnerability data comes from PyPI's per-release JSON (or OSV); where neither answers
# (an offline mirror, a sandbox) the audit is skipped with its reason instead of failing.
# Known findings that do not apply are listed, with why, in the README and ignored
# here by id (AUDIT_IGNORE, space separated); the README ("Operating it") lists them.
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIT_IGNORE="${AUDIT_IGNORE:-}"
probe() {
  .venv/bin/python - <<'PY'
import json, sys, urllib.request
try:
    with urllib.request.urlopen("https://pypi.org/pypi/pip/24.0/json", timeout=10) as r:
        sys.exit(0 if "vulnerabilities" in json.load(r) else 1)
except Exception as exc:  # any failure means: no vulnerability data here
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}
if ! reason=$(probe 2>&1); then
  echo "note: dependency audit skipped: PyPI's vulnerability data is unreachable (${reason:-no data in its answer})" >&2
  exit 0
fi
requirements=$(mktemp)
trap 'rm -f "$requirements"' EXIT
uv export --frozen --format requirements-txt --no-hashes --no-emit-project --quiet >"$requirements"
ignore=()
for id in $AUDIT_IGNORE; do ignore+=(--ignore-vuln "$id"); done
.venv/bin/pip-audit -r "$requirements" --no-deps --disable-pip --progress-spinner off "${ignore[@]}"
