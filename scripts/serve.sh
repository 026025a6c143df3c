#!/usr/bin/env bash
# Runs JustPush with embedded defaults: SQLite in ./data, in-process worker, local Docker if present.
# Reads ./app-config.yaml when it exists (see app-config.example.yaml). Arguments go to `justpush serve`.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install.sh
exec .venv/bin/justpush serve "$@"
