#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs JustPush with its test extras into .venv, brings up the
# real test infrastructure (../shared/testenv), then runs pytest against SQLite and again (database-backed
# tests) against PostgreSQL. Extra arguments go to the first pytest run.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install.sh test

testenv=../shared/testenv
if [ -x "$testenv/up" ] || [ -f "$testenv/up" ]; then
  # testenv's start-up can race (kubelet asking containerd's CRI before it is initialised, then exiting),
  # and a kubelet that exits just after `up` still leaves the node marked Ready for a while, so `status`
  # is asked a few seconds later too. `up` is idempotent and restarts only what is down: a failed
  # attempt is retried.
  env_file=
  for attempt in 1 2 3; do
    if out=$(bash "$testenv/up") && sleep 5 && bash "$testenv/status" >&2; then
      env_file=$(tail -n 1 <<<"$out")
      break
    fi
    echo "test.sh: testenv is not up (attempt $attempt of 3)" >&2
    sleep 5
  done
  [ -n "$env_file" ] || { echo "test.sh: testenv did not come up" >&2; exit 1; }
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
else
  echo "test.sh: $testenv not found; integration tests will be skipped" >&2
fi

export PATH="$PWD/.venv/bin:$PATH"
# The UI tests drive Debian's Chromium (Playwright never downloads a browser); CI runs this as root.
command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
ruff check src tests bench
mypy
pytest -p no:cacheprovider --durations=20 "$@"
if [ -n "${JUSTPUSH_TEST_DATABASE_URL:-}" ]; then
  JUSTPUSH_TEST_DB=postgres pytest -p no:cacheprovider --durations=10 -m "db and not ui and (not cluster or both_databases)"
fi
