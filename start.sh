#!/usr/bin/env bash
# One command: set up, index corpus/, open the chat.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh --no-dev
.venv/bin/assistant ingest corpus
exec .venv/bin/assistant chat
