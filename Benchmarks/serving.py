"""Real-time serving benchmarks, each against a peer or a floor measured in the same run on the same machine.

    python Benchmarks/serving.py --endpoint http://127.0.0.1:PORT --server-pid PID --work-dir DIR \
        --mlflow-python Benchmarks/.venv-mlflow/bin/python [--duration 10] [--rounds 3] [--endpoints 20]

1. Router overhead. An identity model on SageMaker's container contract (Benchmarks/serving_identity_server.py, a
   one-process asyncio server started by Osprey through OSPREY_SERVING_COMMAND, one worker) is called with `wrk` on
   loopback directly on its port (found from its process environment) and through Osprey
   (`POST /endpoints/{name}/invocations`, `Authorization: Bearer <secret>`): same process, same body. Added latency at
   p50/p99 and req/s, at 1 connection (latency) and at --overhead-connections (throughput). For reference: the same
   identity model on Osprey's Python worker (inference.py with transform_fn returning the body, over its socketpair), and
   Osprey's own `GET /healthz` (the HTTP stack without auth or routing). The CPU time per request of the Osprey server and
   of the worker process comes from /proc/PID/stat over each window.
2. Throughput against `mlflow models serve --env-manager local` on the same LogisticRegression(iris) model (trained once
   in the mlflow venv, saved both as model.joblib for Osprey's default model_fn and as an MLflow model), single-row JSON
   requests, `wrk` at --peer-connections on both. Osprey serves it with the SageMaker SDK's scikit-learn image URI and
   SAGEMAKER_MODEL_SERVER_WORKERS=2; mlflow with its default worker count and, for information, with --workers 2.
3. Time from CreateEndpoint to InService (warm environment, one endpoint at a time) for --endpoints endpoints of the
   scikit-learn model and of the stdlib identity model; the floor is the environment's python spawned directly until it
   has imported the model's libraries and loaded model.joblib.
Keys come from OSPREY_ROOT_ACCESS_KEY_ID / OSPREY_ROOT_SECRET_ACCESS_KEY. Nothing is asserted.
"""

import argparse
import io
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import time
import urllib.request

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "serving_wrk.lua")
SKLEARN_IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
ROLE = "arn:aws:iam::000000000000:role/bench"
ROW = [5.1, 3.5, 1.4, 0.2]
IDENTITY_BODY = json.dumps({"instances": [ROW]})
IDENTITY_INFERENCE = '''
def model_fn(model_dir):
    return None


def transform_fn(model, body, content_type, accept):
    return body, content_type
'''
TRAIN = r'''
import json, os, sys
import joblib, mlflow, mlflow.sklearn, sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
out = sys.argv[1]
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=1000).fit(X, y)
joblib.dump(model, os.path.join(out, "model.joblib"))
mlflow.sklearn.save_model(model, os.path.join(out, "mlflow-model"))
print(json.dumps({"mlflow": mlflow.__version__, "sklearn": sklearn.__version__, "prediction": model.predict([%s]).tolist()}))
''' % json.dumps(ROW)

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--server-pid", type=int, required=True)
parser.add_argument("--work-dir", required=True)
parser.add_argument("--mlflow-python", help="the python of a venv with mlflow and scikit-learn 1.2 (part 2 is skipped without it)")
parser.add_argument("--duration", type=int, default=10, help="seconds of each measured wrk window")
parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each window, not counted")
parser.add_argument("--rounds", type=int, default=3, help="every target is measured once per round, in turn; medians are reported")
parser.add_argument("--overhead-connections", default="1,16")
parser.add_argument("--peer-connections", default="64")
parser.add_argument("--endpoints", type=int, default=20)
parser.add_argument("--only", default="overhead,peer,inservice")
parser.add_argument("--json")
parser.add_argument("--quiet-wait", type=int, default=60, help="seconds to wait at most before each window for the machine to be idle")
parser.add_argument("--quiet-percent", type=float, default=10, help="idle means under this share of the CPUs busy over 2 s")
parser.add_argument("--perf-dir", help="perf-record the Osprey server during each measured window into this folder (slows it)")
args = parser.parse_args()

SECRET = os.environ["OSPREY_ROOT_SECRET_ACCESS_KEY"]
session = dict(endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id=os.environ["OSPREY_ROOT_ACCESS_KEY_ID"],
               aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}, read_timeout=600))
SM, S3 = (boto3.client(name, **session) for name in ("sagemaker", "s3"))
RUN = f"{int(time.time()) % 1000000}"
BUCKET = f"bench-serving-{RUN}"
RESULTS = {"run": RUN, "load_before": open("/proc/loadavg").read().split()[:3], "rounds": args.rounds, "duration": args.duration}
CLK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"serving.py: {message}", flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# MARK: processes


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, IndexError):
        return 0.0


def pids_with(variable):
    """Processes whose environment holds `variable` (b"NAME=value") and that run python: a model's workers."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().split(b"\0")
        except OSError:
            continue
        if variable in environ and command and b"python" in os.path.basename(command[0]):
            found.append((int(pid), {k.decode(): v.decode(errors="replace") for k, _, v in (e.partition(b"=") for e in environ if e)}))
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(url, body=None, headers=None, timeout=10):
    request = urllib.request.Request(url, data=body.encode() if isinstance(body, str) else body, headers=headers or {},
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


# MARK: wrk


def wrk(url, connections, duration, body, method="POST", auth=None, cpu_pids=(), profile=None):
    """One wrk run (1 thread); returns its JSON summary with req/s, and CPU seconds per request of each pid in cpu_pids.
    With `profile` (a file name) and --perf-dir, the Osprey server is sampled with `perf record -g` during the run."""
    environment = dict(os.environ, WRK_BODY=body or "", WRK_METHOD=method, WRK_AUTH=auth or "")
    perf = None
    if profile and args.perf_dir and args.server_pid in cpu_pids:
        perf = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-p", str(args.server_pid), "-o",
                                 os.path.join(args.perf_dir, profile)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    before = {pid: cpu_seconds(pid) for pid in cpu_pids}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", LUA, url], env=environment,
        capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if perf:
        perf.send_signal(signal.SIGINT)
        perf.wait()
    line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    summary = json.loads(line[len("WRK_JSON "):])
    requests = max(1, summary["requests"])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["cpu_us_per_request"] = {str(pid): (cpu_seconds(pid) - before[pid]) / requests * 1e6 for pid in cpu_pids}
    summary["wrk_cpu_us_per_request"] = ((after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)) / requests * 1e6
    summary["load"] = open("/proc/loadavg").read().split()[0]
    errors = sum(summary["errors"].values())
    if errors:
        log(f"  {errors} errors on {url}: {summary['errors']}")
    return summary


def busy_percent(seconds=2.0):
    """Share of all CPUs busy over the next `seconds`, from /proc/stat (our idle servers included)."""
    def sample():
        with open("/proc/stat") as handle:
            fields = [int(v) for v in handle.readline().split()[1:9]]
        return sum(fields), fields[3] + fields[4]
    total_a, idle_a = sample()
    time.sleep(seconds)
    total_b, idle_b = sample()
    total = total_b - total_a
    return 100 * (total - (idle_b - idle_a)) / total if total else 0.0


def wait_quiet():
    """Until under --quiet-percent of the CPUs are busy (other engineers' builds share the 2 cores), at most
    --quiet-wait seconds; returns the last busy share seen."""
    deadline = time.time() + args.quiet_wait
    while True:
        busy = busy_percent()
        if busy < args.quiet_percent or time.time() >= deadline:
            if busy >= args.quiet_percent:
                log(f"  machine still {busy:.0f}% busy after {args.quiet_wait} s; measuring anyway")
            return busy
        time.sleep(3)


def measure(targets, connections, label):
    """Each target (name, url, body, method, auth, cpu pids) for --rounds rounds at `connections`, targets in turn, the
    order rotated each round; returns {name: [summary per round]}."""
    runs = {name: [] for name, *_ in targets}
    for round_index in range(args.rounds):
        order = targets[round_index % len(targets):] + targets[:round_index % len(targets)]
        for name, url, body, method, auth, pids in order:
            busy = wait_quiet()
            if args.warmup:
                wrk(url, connections, args.warmup, body, method, auth)
            profile = f"perf-{label}-c{connections}-{name.split(' ')[0]}-r{round_index + 1}.data"
            summary = wrk(url, connections, args.duration, body, method, auth, pids, profile)
            summary["busy_before_percent"] = round(busy)
            runs[name].append(summary)
            cpu = ", ".join(f"{role} {summary['cpu_us_per_request'][str(pid)]:.0f}" for role, pid in pids_roles(pids))
            log(f"  {label} c={connections} round {round_index + 1} {name}: {summary['rps']:.0f} req/s, p50 "
                f"{summary['latency_us']['p50']} µs, p99 {summary['latency_us']['p99']} µs; CPU µs/request: {cpu}, "
                f"wrk {summary['wrk_cpu_us_per_request']:.0f}; CPU busy before {busy:.0f}%, load {summary['load']}")
    return runs


ROLES = {}


def pids_roles(pids):
    return [(ROLES.get(pid, str(pid)), pid) for pid in pids]


def digest(runs):
    """Medians over rounds of one target's runs."""
    return {
        "rps": median([r["rps"] for r in runs]),
        "p50_us": median([r["latency_us"]["p50"] for r in runs]),
        "p90_us": median([r["latency_us"]["p90"] for r in runs]),
        "p99_us": median([r["latency_us"]["p99"] for r in runs]),
        "cpu_us_per_request": {key: median([r["cpu_us_per_request"][key] for r in runs]) for key in runs[0]["cpu_us_per_request"]},
        "wrk_cpu_us_per_request": median([r["wrk_cpu_us_per_request"] for r in runs]),
        "errors": sum(sum(r["errors"].values()) for r in runs),
        "rounds_rps": [round(r["rps"]) for r in runs],
        "rounds_p50_us": [r["latency_us"]["p50"] for r in runs],
    }


# MARK: Osprey set-up


def archive(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create_model(name, files, image, environment):
    key = f"models/{name}/model.tar.gz"
    S3.put_object(Bucket=BUCKET, Key=key, Body=archive(files))
    SM.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": image, "ModelDataUrl": f"s3://{BUCKET}/{key}", "Environment": environment})
    SM.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])


def create_endpoint(name, config, timeout=1800):
    """CreateEndpoint, then DescribeEndpoint every 20 ms until InService; returns the seconds from the call to InService."""
    started = time.monotonic()
    SM.create_endpoint(EndpointName=name, EndpointConfigName=config)
    while True:
        described = SM.describe_endpoint(EndpointName=name)
        status = described["EndpointStatus"]
        if status == "InService":
            return time.monotonic() - started
        if status == "Failed":
            raise RuntimeError(f"endpoint {name} failed: {described.get('FailureReason')}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"endpoint {name} still {status} after {timeout} s")
        time.sleep(0.02)


def delete_endpoint(name):
    SM.delete_endpoint(EndpointName=name)
    for _ in range(600):
        try:
            SM.describe_endpoint(EndpointName=name)
        except SM.exceptions.ClientError:
            return
        time.sleep(0.05)


def train():
    """LogisticRegression on iris in the mlflow venv: model.joblib and an MLflow model under the work dir."""
    out = os.path.join(args.work_dir, "sklearn-model")
    os.makedirs(out, exist_ok=True)
    result = subprocess.run([args.mlflow_python, "-c", TRAIN, out], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"training in the mlflow venv failed:\n{result.stderr[-3000:]}")
    versions = json.loads(result.stdout.strip().splitlines()[-1])
    log(f"trained LogisticRegression(iris) with scikit-learn {versions['sklearn']}, mlflow {versions['mlflow']}; "
        f"prediction for {ROW}: {versions['prediction']}")
    RESULTS["versions"] = versions
    return out


# MARK: the parts


def part_overhead(bearer):
    tag = f"BENCH_SERVING_TAG={RUN}"
    with open(os.path.join(HERE, "serving_identity_server.py"), "rb") as handle:
        server_code = handle.read()
    create_model("bench-identity-http", {"code/serve.py": server_code}, "osprey/python", {
        "OSPREY_SERVING_COMMAND": "python /opt/ml/model/code/serve.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
        "BENCH_SERVING_TAG": RUN + "-http"})
    create_model("bench-identity-py", {"code/inference.py": IDENTITY_INFERENCE.encode()}, "osprey/python", {
        "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "1", "BENCH_SERVING_TAG": RUN + "-py"})
    for name in ("bench-identity-http", "bench-identity-py"):
        seconds = create_endpoint(name, name)
        log(f"endpoint {name} InService after {seconds:.2f} s")
    (http_pid, http_env), = pids_with(f"{tag}-http".encode())
    (py_pid, _), = pids_with(f"{tag}-py".encode())
    port = int(http_env["SAGEMAKER_BIND_TO_PORT"])
    ROLES.update({args.server_pid: "osprey", http_pid: "http-worker", py_pid: "python-worker"})
    direct = f"http://127.0.0.1:{port}/invocations"
    through = f"{args.endpoint}/endpoints/bench-identity-http/invocations"
    python = f"{args.endpoint}/endpoints/bench-identity-py/invocations"
    headers = {"Content-Type": "application/json", "Authorization": bearer}
    for url in (direct, through, python):
        status, answer = http(url, IDENTITY_BODY, headers)
        assert status == 200 and answer == IDENTITY_BODY.encode(), (url, status, answer)
    log(f"identity contract worker pid {http_pid} on port {port}; python worker pid {py_pid}; osprey pid {args.server_pid}")
    targets = [
        ("direct", direct, IDENTITY_BODY, "POST", None, (http_pid,)),
        ("osprey-http", through, IDENTITY_BODY, "POST", bearer, (args.server_pid, http_pid)),
        ("osprey-python", python, IDENTITY_BODY, "POST", bearer, (args.server_pid, py_pid)),
        ("osprey-healthz", f"{args.endpoint}/healthz", "", "GET", None, (args.server_pid,)),
    ]
    results = {}
    for connections in [int(c) for c in args.overhead_connections.split(",")]:
        runs = measure(targets, connections, "overhead")
        results[connections] = {name: digest(r) for name, r in runs.items()}
        results[connections]["raw"] = runs
    RESULTS["overhead"] = results
    for name in ("bench-identity-http", "bench-identity-py"):
        delete_endpoint(name)
    return results


def start_mlflow(model_dir, workers):
    port = free_port()
    command = [os.path.join(os.path.dirname(args.mlflow_python), "mlflow"), "models", "serve", "-m", model_dir, "--env-manager",
               "local", "-h", "127.0.0.1", "-p", str(port)] + (["--workers", str(workers)] if workers else [])
    environment = dict(os.environ, PATH=os.path.dirname(args.mlflow_python) + ":" + os.environ.get("PATH", ""))
    logfile = open(os.path.join(args.work_dir, f"mlflow-serve-{workers or 'default'}.log"), "w")
    process = subprocess.Popen(command, env=environment, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
                               cwd=args.work_dir)
    deadline = time.time() + 120
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited ({process.returncode}); see {logfile.name}")
        try:
            if http(f"http://127.0.0.1:{port}/ping", timeout=2)[0] == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.3)
    stop_group(process)
    raise RuntimeError("mlflow models serve did not answer /ping within 120 s")


def stop_group(process):
    """SIGTERM to the process group this script started (mlflow and its server workers), then SIGKILL after 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def group_pids(pgid):
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    if int(handle.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        found.append(int(pid))
            except (OSError, IndexError, ValueError):
                pass
    return found


def part_peer(bearer, model_dir):
    with open(os.path.join(model_dir, "model.joblib"), "rb") as handle:
        model_bytes = handle.read()
    create_model("bench-sklearn", {"model.joblib": model_bytes}, SKLEARN_IMAGE, {
        "SAGEMAKER_MODEL_SERVER_WORKERS": "2", "BENCH_SERVING_TAG": RUN + "-sklearn"})
    seconds = create_endpoint("bench-sklearn", "bench-sklearn")
    log(f"endpoint bench-sklearn InService after {seconds:.2f} s (the first one also makes the scikit-learn environment)")
    workers = [pid for pid, _ in pids_with(f"BENCH_SERVING_TAG={RUN}-sklearn".encode())]
    ROLES.update({pid: f"sklearn-worker-{index}" for index, pid in enumerate(workers)})
    osprey_url = f"{args.endpoint}/endpoints/bench-sklearn/invocations"
    osprey_body = json.dumps([ROW])
    mlflow_body = json.dumps({"inputs": [ROW]})
    status, answer = http(osprey_url, osprey_body, {"Content-Type": "application/json", "Authorization": bearer})
    log(f"osprey answers {status} {answer!r}")
    results = {}
    servers = [("mlflow (default workers)", None), ("mlflow --workers 2", 2)]
    for connections in [int(c) for c in args.peer_connections.split(",")]:
        results[connections] = {}
        runs = measure([("osprey", osprey_url, osprey_body, "POST", bearer, tuple([args.server_pid] + workers))], connections, "peer")
        results[connections]["osprey"] = digest(runs["osprey"]) | {"raw": runs["osprey"]}
        for label, count in servers:
            process, port = start_mlflow(os.path.join(model_dir, "mlflow-model"), count)
            try:
                url = f"http://127.0.0.1:{port}/invocations"
                status, answer = http(url, mlflow_body, {"Content-Type": "application/json"})
                members = group_pids(process.pid)
                ROLES.update({pid: f"mlflow-{pid}" for pid in members})
                log(f"{label}: pid {process.pid}, {len(members)} processes, port {port}; answers {status} {answer!r}")
                runs = measure([(label, url, mlflow_body, "POST", None, tuple(members))], connections, "peer")
                results[connections][label] = digest(runs[label]) | {"raw": runs[label], "processes": len(members)}
            finally:
                stop_group(process)
    RESULTS["peer"] = results
    return results


def part_inservice(model_dir):
    """CreateEndpoint -> InService for --endpoints endpoints of each model, one at a time; each deleted before the next."""
    results = {}
    kinds = [("identity (osprey/python, stdlib)", "bench-identity-py"), ("scikit-learn (SDK image, 2 workers)", "bench-sklearn")]
    for label, config in kinds:
        times = []
        for index in range(args.endpoints):
            wait_quiet()
            name = f"bench-start-{config.split('-')[-1]}-{index}"
            times.append(create_endpoint(name, config))
            delete_endpoint(name)
        results[label] = {"p50_s": percentile(times, 50), "p95_s": percentile(times, 95), "min_s": min(times), "max_s": max(times),
                          "all_s": [round(t, 3) for t in times]}
        log(f"CreateEndpoint -> InService, {label}, {len(times)} endpoints: p50 {percentile(times, 50):.2f} s, "
            f"p95 {percentile(times, 95):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s")
    # The floor: the scikit-learn environment's python, spawned directly, until it has loaded model.joblib as a worker does.
    floors = {}
    interpreter = SKLEARN_PYTHON or sys.executable
    load = "import joblib; joblib.load(%r)" % os.path.join(model_dir, "model.joblib")
    for label, code, count in (("python -c pass", "pass", 1), ("joblib.load(model.joblib), 1 process", load, 1),
                               ("joblib.load(model.joblib), 2 processes at once (as 2 workers)", load, 2)):
        samples = []
        for _ in range(5):
            wait_quiet()
            started = time.monotonic()
            processes = [subprocess.Popen([interpreter, "-c", code]) for _ in range(count)]
            if any(process.wait() for process in processes):
                raise RuntimeError(f"{interpreter} -c {code!r} failed")
            samples.append(time.monotonic() - started)
        floors[label] = median(samples)
        log(f"floor: the scikit-learn environment's python, {label}: median {median(samples):.2f} s over 5")
    log(f"  ({interpreter})")
    results["floor"] = floors
    RESULTS["inservice"] = results
    return results


SKLEARN_PYTHON = None


def main():
    global SKLEARN_PYTHON
    S3.create_bucket(Bucket=BUCKET)
    bearer = "Bearer " + SECRET
    parts = set(args.only.split(","))
    model_dir = train() if args.mlflow_python and parts & {"peer", "inservice"} else None
    if "overhead" in parts:
        part_overhead(bearer)
    if model_dir and "peer" in parts:
        part_peer(bearer, model_dir)
    if model_dir and "inservice" in parts:
        if "overhead" not in parts:  # the identity model's config is made by part 1
            create_model("bench-identity-py", {"code/inference.py": IDENTITY_INFERENCE.encode()}, "osprey/python", {
                "SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "1"})
        if "peer" not in parts:
            create_model("bench-sklearn", {"model.joblib": open(os.path.join(model_dir, "model.joblib"), "rb").read()}, SKLEARN_IMAGE,
                         {"SAGEMAKER_MODEL_SERVER_WORKERS": "2", "BENCH_SERVING_TAG": RUN + "-sklearn"})
            create_endpoint("bench-sklearn", "bench-sklearn")  # warm: makes the environment when missing
        workers = pids_with(f"BENCH_SERVING_TAG={RUN}-sklearn".encode())
        if workers:  # the environment's bin/python (a venv's: PATH starts with its bin)
            SKLEARN_PYTHON = os.path.join(workers[0][1]["PATH"].split(":")[0], "python")
        delete_endpoint("bench-sklearn")
        part_inservice(model_dir)
    report()


def report():
    print()
    print("=== Serving benchmark summary (medians over rounds) ===")
    for connections, table in RESULTS.get("overhead", {}).items():
        direct, through = table["direct"], table["osprey-http"]
        print(f"router overhead, identity model, wrk -t1 -c{connections}:")
        for name in ("direct", "osprey-http", "osprey-python", "osprey-healthz"):
            row = table[name]
            cpu = ", ".join(f"{ROLES.get(int(pid), pid)} {value:.0f}" for pid, value in row["cpu_us_per_request"].items())
            print(f"  {name:15s} {row['rps']:8.0f} req/s  p50 {row['p50_us']:6.0f} µs  p90 {row['p90_us']:6.0f} µs  "
                  f"p99 {row['p99_us']:7.0f} µs  CPU µs/req: {cpu}; wrk {row['wrk_cpu_us_per_request']:.0f}  "
                  f"(rounds: {row['rounds_rps']} req/s, p50 {row['rounds_p50_us']} µs)")
        added = [t["latency_us"]["p50"] - d["latency_us"]["p50"] for t, d in zip(table["raw"]["osprey-http"], table["raw"]["direct"])]
        print(f"  added by Osprey (osprey-http − direct): p50 {through['p50_us'] - direct['p50_us']:.0f} µs (per round {added}), "
              f"p99 {through['p99_us'] - direct['p99_us']:.0f} µs; req/s ratio {through['rps'] / direct['rps']:.2f}")
    for connections, table in RESULTS.get("peer", {}).items():
        ours = table["osprey"]
        print(f"LogisticRegression(iris), single-row JSON, wrk -t1 -c{connections}:")
        for name, row in table.items():
            cpu = sum(row["cpu_us_per_request"].values())
            print(f"  {name:26s} {row['rps']:8.0f} req/s  p50 {row['p50_us'] / 1000:7.2f} ms  p99 {row['p99_us'] / 1000:7.2f} ms  "
                  f"server CPU {cpu:.0f} µs/req  (rounds: {row['rounds_rps']} req/s)  ratio osprey/this "
                  f"{ours['rps'] / row['rps']:.2f}x")
    for label, row in RESULTS.get("inservice", {}).items():
        if label == "floor":
            print(f"  floor: {json.dumps({k: round(v, 3) for k, v in row.items()})}")
        else:
            print(f"CreateEndpoint -> InService, {label}: p50 {row['p50_s']:.2f} s, p95 {row['p95_s']:.2f} s "
                  f"(min {row['min_s']:.2f}, max {row['max_s']:.2f})")
    RESULTS["load_after"] = open("/proc/loadavg").read().split()[:3]
    print(f"load average before {' '.join(RESULTS['load_before'])}, after {' '.join(RESULTS['load_after'])}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(RESULTS, handle, indent=1, default=str)


if __name__ == "__main__":
    main()
