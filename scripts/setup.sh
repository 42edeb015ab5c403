#!/usr/bin/env bash
# Installs everything the project needs into .venv (idempotent; seconds when up to date).
# Sourced by start.sh and test.sh; SETUP_SYNC_ARGS adds flags to `uv sync` (e.g. --no-dev).
set -euo pipefail
export UV_PYTHON_DOWNLOADS=never PYTHONDONTWRITEBYTECODE=1
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False HF_HUB_OFFLINE=1
export OMP_WAIT_POLICY=PASSIVE
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
# shellcheck disable=SC2086
uv sync --frozen --quiet ${SETUP_SYNC_ARGS:-}
