#!/usr/bin/env bash
# Creates (idempotently) the virtual environment with the real Python clients that Osprey's
# end-to-end tests drive, and prints the path of its python on standard output.
#
#   scripts/python-env.sh            # <repo>/.venv
#   OSPREY_VENV=/some/dir scripts/python-env.sh
#
# To add a client, add one line to PACKAGES below. When the list is unchanged and the venv's
# python works, the script does nothing but print the path (a few milliseconds).
set -euo pipefail

PACKAGES=(
    "boto3>=1.36"   # botocore >= 1.36: default CRC32 checksums, aws-chunked uploads
    "awscli>=1.37"
    "sagemaker>=2.200,<3"   # the SageMaker Python SDK 2.x (2.257 today); keeps boto3/botocore current
    "tritonclient[http]>=2.40"   # a KServe/Triton V2 HTTP client for the Open Inference Protocol tests
)

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OSPREY_VENV:-$REPO/.venv}"
STAMP="$VENV/.osprey-packages"
WANT="$(printf '%s\n' "${PACKAGES[@]}")"

log() { echo "python-env: $*" >&2; }

if [[ -x "$VENV/bin/python" && -f "$STAMP" ]] && [[ "$(cat "$STAMP")" == "$WANT" ]] \
    && "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    echo "$VENV/bin/python"
    exit 0
fi

BASE_PYTHON="${OSPREY_BASE_PYTHON:-$(command -v python3 || true)}"
if [[ -z "$BASE_PYTHON" ]]; then
    log "python3 not found; installing it with apt-get"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
    BASE_PYTHON="$(command -v python3)"
fi

if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    log "creating $VENV with $BASE_PYTHON ($("$BASE_PYTHON" --version 2>&1))"
    if ! "$BASE_PYTHON" -m venv "$VENV" >&2; then
        log "python3 -m venv failed; installing python3-venv with apt-get"
        rm -rf "$VENV"
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
        "$BASE_PYTHON" -m venv "$VENV" >&2
    fi
fi

log "installing: ${PACKAGES[*]}"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" >&2
printf '%s\n' "$WANT" > "$STAMP"
log "$("$VENV/bin/python" -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)')"
log "$("$VENV/bin/python" -c 'from importlib.metadata import version; print("sagemaker", version("sagemaker"))')"
echo "$VENV/bin/python"
