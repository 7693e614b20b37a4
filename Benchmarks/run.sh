#!/usr/bin/env bash
# Osprey's benchmarks: large single-stream S3 PUT/GET against `cp`, small-object ops/s against moto, training-job start,
# serving (router overhead against the same worker called directly, req/s against `mlflow models serve`, endpoint start),
# and batch transform (rows/s against a one-process Python loop running the same handlers).
#
#   bash Benchmarks/run.sh                 # everything (builds the release binary first: several minutes on 2 cores)
#
# Knobs (environment): BENCH_ONLY=large|small|training|serving|transform|sdk, BENCH_SDK_ROUNDS (3), BENCH_TRANSFORM_ROWS (500000), BENCH_JOBS (50), BENCH_BURST (200), BENCH_SIZE_MIB (1024), BENCH_REPS (5), BENCH_DURATION (15),
# BENCH_WARMUP (3), BENCH_THREADS (16), BENCH_ROUNDS (2), BENCH_PERF=1 (also `perf record` the osprey server for the whole run; slows it),
# serving only: BENCH_SERVING_PERF=1 (`perf record` the server in each measured window, into the run's folder), BENCH_SERVING_QUIET_WAIT (60: before each window and each endpoint start, seconds to wait at most for < 10% busy),
# BENCH_ENDPOINTS (20), BENCH_OVERHEAD_CONNECTIONS (1,16), BENCH_PEER_CONNECTIONS (64), BENCH_SERVING_PARTS
# (overhead,peer,inservice); BENCH_DURATION (10 for serving), BENCH_WARMUP (2), BENCH_ROUNDS (3) apply there too;
# OSPREY_BIN=/path/to/osprey (skip the build), BENCH_BUILD_TRIES (4; a failed build is retried after 120 s, since
# others may be mid-edit in Sources/), BENCH_QUIET_WAIT (600: seconds to wait at most for the machine to be idle, i.e.
# < 10% of its CPU busy over 3 s, before measuring; on a shared 2-core box other builds skew every number).
#
# Everything runs on 127.0.0.1 with fresh temp data dirs under Benchmarks/.work/ (same disk as the repo), removed at
# exit. Output: the console, Benchmarks/out/<UTC time>/run.log and JSON files beside it. Nothing here asserts a number.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
BENCH="$REPO/Benchmarks"
OUT="$BENCH/out/$(date -u +%Y%m%dT%H%M%SZ)"   # one folder per run
VENV="$BENCH/.venv"
mkdir -p "$OUT" "$BENCH/.work"
exec > >(tee "$OUT/run.log") 2>&1

export OSPREY_ROOT_ACCESS_KEY_ID=AKIDOSPREYBENCH00001
export OSPREY_ROOT_SECRET_ACCESS_KEY='osprey+bench/Secret000000000000000000000'   # 40 characters
log() { echo "run.sh: $*"; }

# --- the release binary ------------------------------------------------------------------------------------------
if [[ -z "${OSPREY_BIN:-}" ]]; then
    log "building the release binary: swift build -c release --product osprey (several minutes on 2 cores;" \
        "waits for any other build holding .build's lock)"
    tries="${BENCH_BUILD_TRIES:-4}"
    for ((try = 1; ; try++)); do
        start=$SECONDS
        if swift build -c release --product osprey && swift build -c release --product osprey-s3-load; then
            log "release build done in $((SECONDS - start)) s"
            break
        fi
        if ((try >= tries)); then
            log "release build failed $try times; giving up"
            exit 1
        fi
        log "release build failed (try $try of $tries; maybe an edit in progress in Sources/); retrying in 120 s"
        sleep 120
    done
    OSPREY_BIN="$(swift build -c release --show-bin-path)/osprey"
fi
[[ -x "$OSPREY_BIN" ]] || { log "no osprey binary at $OSPREY_BIN"; exit 1; }
LOAD_BIN="$(dirname "$OSPREY_BIN")/osprey-s3-load"   # the compiled small-object client, built beside the server

# --- the benchmark venv (separate from the repo's test venv) ------------------------------------------------------
PACKAGES=("boto3>=1.36" "moto[server]>=5")
WANT="$(printf '%s\n' "${PACKAGES[@]}")"
if ! [[ -x "$VENV/bin/python" && -f "$VENV/.bench-packages" && "$(cat "$VENV/.bench-packages")" == "$WANT" ]]; then
    log "creating $VENV with ${PACKAGES[*]}"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
    printf '%s\n' "$WANT" > "$VENV/.bench-packages"
fi
PY="$VENV/bin/python"

# --- servers ------------------------------------------------------------------------------------------------------
WORK="$(mktemp -d "$BENCH/.work/run.XXXXXX")"
PIDS=()
PERF_PID=""
cleanup() {
    if [[ -n "$PERF_PID" ]] && kill -0 "$PERF_PID" 2>/dev/null; then kill -INT "$PERF_PID" 2>/dev/null || true; wait "$PERF_PID" 2>/dev/null || true; fi
    for pid in "${PIDS[@]}"; do stop "$pid"; done
    rm -rf "$WORK"
}
stop() {  # SIGTERM, then up to 10 s, then SIGKILL
    local pid="$1"
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "pid $pid ignored SIGTERM for 10 s; SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # URL NAME PID: until 200, at most 60 s
    local url="$1" name="$2" pid="$3"
    for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || { log "$name exited during start-up"; return 1; }
        [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
        sleep 0.2
    done
    log "$name did not answer 200 on $url within 60 s"
    return 1
}

OSPREY_PORT="$(free_port)"
mkdir -p "$WORK/osprey-data"
# Start in the data dir so no osprey.yaml of the working folder is picked up.
(cd "$WORK" && exec "$OSPREY_BIN" server --host 127.0.0.1 --port "$OSPREY_PORT" --data-dir "$WORK/osprey-data") \
    > "$OUT/osprey-server.log" 2>&1 &
OSPREY_PID=$!
PIDS+=("$OSPREY_PID")
wait_http "http://127.0.0.1:$OSPREY_PORT/healthz" osprey "$OSPREY_PID"
OSPREY_URL="http://127.0.0.1:$OSPREY_PORT"
log "osprey (pid $OSPREY_PID) at $OSPREY_URL, data in $WORK/osprey-data"

if [[ "${BENCH_PERF:-0}" == 1 ]]; then
    perf record -F 499 -g -p "$OSPREY_PID" -o "$OUT/perf-osprey.data" > "$OUT/perf-record.log" 2>&1 &
    PERF_PID=$!
    log "perf record on osprey (pid $PERF_PID) -> $OUT/perf-osprey.data (numbers in this run are slowed by it)"
fi

# --- the run ------------------------------------------------------------------------------------------------------
busy_percent() {  # share of all CPUs busy over the next 3 s, from /proc/stat
    local a b
    a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
    local total=0 idle
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    idle=$(( (b[4] - a[4]) + (b[5] - a[5]) ))
    echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
wait_quiet() {  # until < 10% of the CPUs are busy (our idle servers included), at most BENCH_QUIET_WAIT seconds
    local deadline=$((SECONDS + ${BENCH_QUIET_WAIT:-600})) busy
    while :; do
        busy="$(busy_percent)"
        if ((busy < 10)); then log "machine idle enough: ${busy}% CPU busy over 3 s"; return; fi
        if ((SECONDS >= deadline)); then log "machine still ${busy}% busy after ${BENCH_QUIET_WAIT:-600} s; measuring anyway"; return; fi
        log "machine ${busy}% busy (other work); waiting for it to be idle"
        sleep 15
    done
}
log "date $(date -u +%FT%TZ); $(nproc) cores; $(free -g | awk '/^Mem:/ {print $2 " GiB memory"}');" \
    "disk $(df -h --output=source,fstype,size "$BENCH/.work" | tail -1 | tr -s ' ')"
log "git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' + uncommitted edits in Sources/')"
log "$("$PY" -c 'import sys, boto3, botocore, moto; print("python", sys.version.split()[0], "boto3", boto3.__version__, "botocore", botocore.__version__, "moto", moto.__version__)')"
log "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${BENCH_ONLY:-large}" == large ]]; then
    wait_quiet
    "$PY" "$BENCH/s3_large.py" --endpoint "$OSPREY_URL" --server-pid "$OSPREY_PID" --work-dir "$WORK" \
        --size-mib "${BENCH_SIZE_MIB:-1024}" --reps "${BENCH_REPS:-5}" --sink --json "$OUT/s3_large.json"
    log "load average after large: $(cut -d' ' -f1-3 /proc/loadavg); CPU busy now: $(busy_percent)%"
fi

if [[ "${BENCH_ONLY:-small}" == small ]]; then
    MOTO_PORT="$(free_port)"
    (cd "$WORK" && exec "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT") > "$OUT/moto-server.log" 2>&1 &
    MOTO_PID=$!
    PIDS+=("$MOTO_PID")
    wait_http "http://127.0.0.1:$MOTO_PORT/" moto "$MOTO_PID"
    log "moto_server (pid $MOTO_PID) at http://127.0.0.1:$MOTO_PORT"
    wait_quiet
    common=(--target "osprey=$OSPREY_URL" --target "moto=http://127.0.0.1:$MOTO_PORT" --pid "osprey=$OSPREY_PID" --pid "moto=$MOTO_PID"
            --threads "${BENCH_THREADS:-16}" --duration "${BENCH_DURATION:-15}" --warmup "${BENCH_WARMUP:-3}"
            --rounds "${BENCH_ROUNDS:-2}")
    # The load from 16 concurrent clients in one compiled process (Benchmarks/S3Load): the same client for both servers,
    # cheap enough (~0.3 ms CPU per op) that the servers, not the client, set the numbers.
    if [[ -x "$LOAD_BIN" ]]; then
        "$LOAD_BIN" "${common[@]}" --json "$OUT/s3_small_ops_compiled.json"
        wait_quiet
    else
        log "no $LOAD_BIN (build it: swift build -c release --product osprey-s3-load); skipping the compiled client"
    fi
    # boto3: 16 threads in one Python process.
    "$PY" "$BENCH/s3_small_ops.py" "${common[@]}" --processes 1 --sink --label "boto3, one process" --json "$OUT/s3_small_ops.json"
    # Information: the same 16 threads spread over 2 client processes (one Python process is GIL-bound).
    wait_quiet
    "$PY" "$BENCH/s3_small_ops.py" "${common[@]}" --processes 2 --sink --label "information: 2 client processes" \
        --json "$OUT/s3_small_ops_2proc.json"
    echo "osprey VmHWM after everything: $(awk '/VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$OSPREY_PID/status")"
    log "load average after small: $(cut -d' ' -f1-3 /proc/loadavg); CPU busy now: $(busy_percent)%"
fi
if [[ "${BENCH_ONLY:-training}" == training ]]; then
    wait_quiet
    "$PY" "$BENCH/training_start.py" --endpoint "$OSPREY_URL" --jobs "${BENCH_JOBS:-50}" --burst "${BENCH_BURST:-200}"
    log "load average after training: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
if [[ "${BENCH_ONLY:-serving}" == serving ]]; then
    # wrk (Debian's package) drives every HTTP target; mlflow gets its own venv (scikit-learn 1.2, as the SDK image of
    # Osprey's model, so both load the same pickled model).
    command -v wrk > /dev/null || { log "installing wrk"; apt-get install -y wrk > "$OUT/apt-wrk.log" 2>&1 ||
        { apt-get update > /dev/null 2>&1 && apt-get install -y wrk > "$OUT/apt-wrk.log" 2>&1; }; }
    MLFLOW_VENV="$BENCH/.venv-mlflow"
    MLFLOW_WANT="$(printf '%s\n' "mlflow" "scikit-learn==1.2.*" "numpy<2")"
    if ! [[ -x "$MLFLOW_VENV/bin/mlflow" && -f "$MLFLOW_VENV/.bench-packages" && "$(cat "$MLFLOW_VENV/.bench-packages")" == "$MLFLOW_WANT" ]]; then
        log "creating $MLFLOW_VENV with $(echo $MLFLOW_WANT)"
        rm -rf "$MLFLOW_VENV"
        python3 -m venv "$MLFLOW_VENV"
        mapfile -t wanted <<< "$MLFLOW_WANT"
        "$MLFLOW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${wanted[@]}"
        printf '%s\n' "$MLFLOW_WANT" > "$MLFLOW_VENV/.bench-packages"
    fi
    log "$(wrk --version 2>&1 | head -1); $("$MLFLOW_VENV/bin/python" -c 'import mlflow, sklearn; print("mlflow", mlflow.__version__, "scikit-learn", sklearn.__version__)')"
    wait_quiet
    "$PY" "$BENCH/serving.py" --endpoint "$OSPREY_URL" --server-pid "$OSPREY_PID" --work-dir "$WORK" \
        --mlflow-python "$MLFLOW_VENV/bin/python" --duration "${BENCH_DURATION:-10}" --warmup "${BENCH_WARMUP:-2}" \
        --rounds "${BENCH_ROUNDS:-3}" --endpoints "${BENCH_ENDPOINTS:-20}" --overhead-connections "${BENCH_OVERHEAD_CONNECTIONS:-1,16}" \
        --peer-connections "${BENCH_PEER_CONNECTIONS:-64}" --only "${BENCH_SERVING_PARTS:-overhead,peer,inservice}" \
        --quiet-wait "${BENCH_SERVING_QUIET_WAIT:-60}" --json "$OUT/serving.json" ${BENCH_SERVING_PERF:+--perf-dir "$OUT"}
    log "load average after serving: $(cut -d' ' -f1-3 /proc/loadavg); CPU busy now: $(busy_percent)%"
fi
if [[ "${BENCH_ONLY:-transform}" == transform ]]; then
    wait_quiet
    "$PY" "$BENCH/transform.py" --endpoint "$OSPREY_URL" --rows "${BENCH_TRANSFORM_ROWS:-500000}" --rounds "${BENCH_ROUNDS:-3}" \
        --json "$OUT/transform.json"
    log "load average after transform: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
if [[ "${BENCH_ONLY:-sdk}" == sdk ]]; then
    # The SageMaker Python SDK 3.x and 2.x, each in the venv the tests use (made on first use).
    SDK2_PY="$(bash "$REPO/scripts/python-env.sh" | tail -1)"
    SDK3_PY="$(bash "$REPO/scripts/python-env-sdk3.sh" | tail -1)"
    wait_quiet
    "$PY" "$BENCH/sdk_wall_time.py" --endpoint "$OSPREY_URL" --python-sdk3 "$SDK3_PY" --python-sdk2 "$SDK2_PY" \
        --work-dir "$WORK/sdk" --rounds "${BENCH_SDK_ROUNDS:-3}" --json "$OUT/sdk_wall_time.json"
    log "load average after sdk: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
log "done; log in $OUT/run.log"
