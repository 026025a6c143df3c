#!/usr/bin/env bash
# Creates .venv and installs JustPush into it (editable). `install.sh test` adds the test extras.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  { echo "install.sh: Python 3.11 or newer is required" >&2; exit 1; }
command -v git >/dev/null || { echo "install.sh: git is required (apt-get install git)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=aws
[ "${1:-}" != test ] || extras=test,aws
.venv/bin/pip install --quiet --disable-pip-version-check -e ".[$extras]"
