#!/usr/bin/env bash
# One command: set up, index corpus/, open the chat in the browser (http://127.0.0.1:7860/).
# `bash start.sh --terminal` opens the terminal chat instead; other flags go to app.py.
set -euo pipefail
cd "$(dirname "$0")"
SETUP_SYNC_ARGS="--no-dev --inexact" source scripts/setup.sh
.venv/bin/assistant ingest corpus
if [ "${1:-}" = "--terminal" ]; then
  exec .venv/bin/assistant chat
fi
exec .venv/bin/python app.py "$@"
