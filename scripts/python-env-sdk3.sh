#!/usr/bin/env bash
# Creates (idempotently) the virtual environment with the SageMaker Python SDK 3.x that Osprey's end-to-end tests drive
# beside the 2.x one (scripts/python-env.sh, left as it is), and prints the path of its python on standard output.
#
#   scripts/python-env-sdk3.sh            # <repo>/.venv-sdk3
#   OSPREY_VENV_SDK3=/some/dir scripts/python-env-sdk3.sh
#
# When the list below is unchanged and the venv's python works, the script does nothing but print the path.
set -euo pipefail

PACKAGES=(
    "boto3>=1.36"
    "sagemaker>=3.27,<3.28"   # the SageMaker Python SDK 3.x, the range tested (ModelTrainer, ModelBuilder)
)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OSPREY_VENV_SDK3:-$REPO/.venv-sdk3}"
STAMP="$VENV/.osprey-packages"
WANT="$(printf '%s\n' "${PACKAGES[@]}")"

log() { echo "python-env-sdk3: $*" >&2; }

if [[ -x "$VENV/bin/python" && -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT" ]] \
    && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    echo "$VENV/bin/python"
    exit 0
fi

BASE_PYTHON="${OSPREY_BASE_PYTHON:-$(command -v python3)}"
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    log "creating $VENV with $BASE_PYTHON ($("$BASE_PYTHON" --version 2>&1))"
    "$BASE_PYTHON" -m venv "$VENV" >&2
fi

log "installing: ${PACKAGES[*]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2
printf '%s\n' "$WANT" > "$STAMP"
log "$("$VENV/bin/python" -c 'from importlib.metadata import version; print("sagemaker", version("sagemaker"))')"
echo "$VENV/bin/python"
