#!/usr/bin/env bash
# Sets up and runs every test: PostgreSQL (Debian package, on a loopback port), the Python clients' virtualenv,
# then `swift test` (unit, adapter, store tests on SQLite and PostgreSQL, and end-to-end tests with boto3/awscli).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v swift >/dev/null; then
  echo "test.sh: Swift 6 is required (https://swift.org/install)" >&2
  exit 1
fi
if ! command -v psql >/dev/null || ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || ! python3 -m venv --help >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq postgresql python3-venv >/dev/null
fi

# Assigned before export so that a failure stops the script (export would hide the exit status).
postgres_url="${OSPREY_TEST_POSTGRES_URL:-}"
[ -n "$postgres_url" ] || postgres_url=$(bash scripts/postgres-up.sh | tail -1)
python=${OSPREY_TEST_PYTHON:-}
[ -n "$python" ] || python=$(bash scripts/python-env.sh | tail -1)
python_sdk3=${OSPREY_TEST_PYTHON_SDK3:-}
[ -n "$python_sdk3" ] || python_sdk3=$(bash scripts/python-env-sdk3.sh | tail -1)   # the SageMaker SDK 3.x, beside 2.x
export OSPREY_TEST_POSTGRES_URL="$postgres_url" OSPREY_TEST_PYTHON="$python" OSPREY_TEST_PYTHON_SDK3="$python_sdk3"
echo "test.sh: PostgreSQL at ${OSPREY_TEST_POSTGRES_URL##*@}; Python clients in $OSPREY_TEST_PYTHON and $OSPREY_TEST_PYTHON_SDK3"

swift build --build-tests
swift test --skip-build "$@"
