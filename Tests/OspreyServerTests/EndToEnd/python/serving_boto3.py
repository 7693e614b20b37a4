"""Real-time serving end to end through boto3 (`sagemaker` and `sagemaker-runtime` clients) against the real server.

Models are stdlib-only `inference.py` files in a model.tar.gz beside a `model.json`, served by the `osprey/python` image:
CreateModel / CreateEndpointConfig (two weighted variants) / CreateEndpoint, InvokeEndpoint (JSON, CSV through the default
input_fn, TargetVariant, concurrent calls), a handler's error as ModelError, a worker that dies mid-call (retried on
another worker, then replaced), an inference pipeline of two containers, UpdateEndpointWeightsAndCapacities, UpdateEndpoint
with calls in flight, bad input (unknown endpoint or variant, an oversized body, a broken archive, a model_fn that raises,
an unknown configuration) and deletion.

Every client is made with retries off: what is checked is what one call gets.
"""

import base64
import http.client
import io
import json
import os
import tarfile
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e import _HOSTPORT, DATA_DIR, KEY_ID, REGION, SECRET, client_error, expect_error, note, ok, run, section, unique

ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
IMAGE = "osprey/python"
BUCKET = "serving-e2e"
MAX_BODY = 6_291_456  # botocore's BodyBlob max; the contract's limit
NO_RETRIES = {"max_attempts": 1, "mode": "standard"}

INFERENCE = r'''
"""A linear model: y = weights . x + bias, read from model.json. Standard library only."""
import json
import os


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        model = json.load(handle)
    model["dir"] = model_dir
    return model


def _linear(row, model):
    return sum(w * x for w, x in zip(model["weights"], row)) + model["bias"]


def _crash_once(tag, model):
    """Ends this worker's process the first time `tag` is seen by any worker of the model (a marker file says so)."""
    name = "crashed-once-%s" % tag
    for folder in (model["dir"], "/tmp"):
        marker = os.path.join(folder, name + "-" + os.environ.get("E2E_TAG", ""))
        if os.path.exists(marker):
            return
        try:
            with open(marker, "w") as handle:
                handle.write(str(os.getpid()))
        except OSError:
            continue  # the model folder may be read-only, as on SageMaker: /tmp then
        os._exit(3)
    raise RuntimeError("could not write a crash marker in %s or /tmp" % model["dir"])


def predict_fn(data, model, context):
    attributes = context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes")
    if attributes:  # the toolkit's context: echo the caller's custom attributes
        context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", "echo:" + attributes)
    if isinstance(data, list) and data and not isinstance(data[0], list):  # one flat row: a V2 tensor's data
        return {"y": _linear(data, model)}
    if isinstance(data, list):  # text/csv through the default input_fn: rows of floats
        return [{"y": _linear(row, model), "model": model["name"]} for row in data]
    if "probe" in data:  # what this worker sees at the given paths
        seen = {}
        for path in data["probe"]:
            try:
                seen[path] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path).read()
            except OSError as error:
                seen[path] = "error: %s" % (error.strerror or error)
        return {"seen": seen, "model_dir": model["dir"], "cwd": os.getcwd()}
    if data.get("fail"):
        raise ValueError("asked to fail: feature vector rejected by %s" % model["name"])
    if data.get("crash_once"):
        _crash_once(data["crash_once"], model)
    if data.get("sleep"):
        import time
        time.sleep(data["sleep"])
    stages = data.get("stages", []) + [model["name"]]
    if model.get("role") == "pre":  # the first container of a pipeline: scales the input for the next one
        return {"x": [v * model["scale"] for v in data["x"]], "stages": stages}
    return {"y": _linear(data["x"], model), "model": model["name"], "stages": stages, "pid": os.getpid()}
'''

BROKEN = r'''
def model_fn(model_dir):
    raise RuntimeError("cannot load the weights: checksum mismatch in model.json")


def predict_fn(data, model):
    return data
'''


def arn(kind, name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def message(error):
    return error.response.get("Error", {}).get("Message", "")


def sagemaker_client():
    return boto3.client("sagemaker", config=Config(retries=NO_RETRIES))


def runtime_client():
    return boto3.client("sagemaker-runtime", config=Config(retries=NO_RETRIES, read_timeout=90, connect_timeout=10))


SM = sagemaker_client()
RT = runtime_client()
S3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


# MARK: helpers shared with serving_restart.py


def model_archive(model, code=None):
    """A model.tar.gz: `model.json` and `code/inference.py` + `code/broken.py`."""
    files = {"model.json": json.dumps(model).encode()}
    for name, text in (code or {"inference.py": INFERENCE, "broken.py": BROKEN}).items():
        files[f"code/{name}"] = text.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload_model(s3, bucket, key, model):
    s3.put_object(Bucket=bucket, Key=key, Body=model_archive(model))
    return f"s3://{bucket}/{key}"


def container(model_data, program="inference.py", **environment):
    return {"Image": IMAGE, "ModelDataUrl": model_data, "Environment": {
        "SAGEMAKER_PROGRAM": program, "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", **environment}}


def variant(name, model, weight=1.0, count=1):
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": count, "InstanceType": "ml.m5.large",
            "InitialVariantWeight": weight}


def wait_endpoint(sm, name, timeout=180, settled=("InService", "Failed")):
    """Polls DescribeEndpoint every 0.1 s until the status is one of `settled`; returns (answer, statuses seen, seconds)."""
    started = time.time()
    seen = []
    while True:
        described = sm.describe_endpoint(EndpointName=name)
        status = described["EndpointStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in settled:
            return described, seen, time.time() - started
        assert time.time() - started < timeout, f"{name} is still {status} after {timeout} s (statuses: {seen}): {described!r:.800}"
        time.sleep(0.1)


def wait_gone(sm, name, timeout=60):
    """Polls until DescribeEndpoint says the endpoint does not exist; returns the statuses seen before."""
    started, seen = time.time(), []
    while True:
        try:
            status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationException", error.response
            return seen
        if not seen or seen[-1] != status:
            seen.append(status)
        assert time.time() - started < timeout, f"{name} still exists after DeleteEndpoint ({seen})"
        time.sleep(0.1)


def invoke(rt, name, payload, **extra):
    """InvokeEndpoint with a JSON body; returns (response, decoded answer)."""
    response = rt.invoke_endpoint(EndpointName=name, Body=json.dumps(payload), ContentType="application/json",
                                  Accept="application/json", **extra)
    return response, json.loads(response["Body"].read())


def worker_pids(tag):
    """Processes whose environment has E2E_TAG=<tag> (the model's own variable, so they are its workers)."""
    wanted = f"E2E_TAG={tag}".encode()
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if wanted in handle.read().split(b"\0"):
                    pids.append(int(pid))
        except OSError:
            continue
    return sorted(pids)


def model_error_fields(error):
    """OriginalStatusCode / OriginalMessage / LogStreamArn of a ModelError, wherever botocore put them."""
    response = error.response
    fields = {k: response[k] for k in ("OriginalStatusCode", "OriginalMessage", "LogStreamArn") if k in response}
    for key in ("OriginalStatusCode", "OriginalMessage", "LogStreamArn"):
        if key not in fields and key in response.get("Error", {}):
            fields[key] = response["Error"][key]
    return fields


class Invoker(threading.Thread):
    """Calls an endpoint in a loop from its own client until stopped; keeps every answer and every failure."""

    def __init__(self, name, payload):
        super().__init__(daemon=True)
        self.name, self.payload = name, payload
        self.client = runtime_client()
        self.answers, self.failures = [], []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            at = time.time()
            try:
                response, answer = invoke(self.client, self.name, self.payload)
                self.answers.append((at, response["InvokedProductionVariant"], answer))
            except Exception as error:  # noqa: BLE001 - every failure is what the test counts
                detail = error.response if isinstance(error, ClientError) else repr(error)
                self.failures.append((at, type(error).__name__, f"{detail!r:.400}"))

    def stop(self):
        self.stopping.set()
        self.join(120)
        assert not self.is_alive(), "the invoking thread did not stop"


def v2_infer(path, body, authorization=None):
    """POST an Open Inference Protocol V2 request; returns (status, decoded JSON or raw bytes)."""
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    connection = http.client.HTTPConnection(_HOSTPORT, timeout=60)
    try:
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, data


def flat(values):
    return [v for item in values for v in flat(item)] if isinstance(values, list) else [values]


# MARK: the scenario

X = [3, 4]
ANSWER = {"model-a": 1 * 3 + 2 * 4 + 0.5, "model-b": 10 * 3 + 20 * 4 + 0.0, "model-c": 100 * 3 + 200 * 4 - 1.0}
MODEL_OF = {"A": "model-a", "B": "model-b", "C": "model-c"}


def main():
    tag_a = unique("tag-a")
    S3.create_bucket(Bucket=BUCKET)
    url_a = upload_model(S3, BUCKET, "models/a/model.tar.gz", {"name": "model-a", "weights": [1, 2], "bias": 0.5})
    url_b = upload_model(S3, BUCKET, "models/b/model.tar.gz", {"name": "model-b", "weights": [10, 20], "bias": 0.0})
    url_c = upload_model(S3, BUCKET, "models/c/model.tar.gz", {"name": "model-c", "weights": [100, 200], "bias": -1.0})
    url_pre = upload_model(S3, BUCKET, "models/pre/model.tar.gz", {"name": "pre", "role": "pre", "scale": 2, "weights": [], "bias": 0})
    S3.put_object(Bucket=BUCKET, Key="models/bad/model.tar.gz", Body=b"this is not a gzip archive, just text\n" * 20)
    url_bad = f"s3://{BUCKET}/models/bad/model.tar.gz"

    with section("create and deploy"):
        # Two workers for A whatever the machine's cores, so a request whose worker dies has another worker to go to.
        SM.create_model(ModelName="model-a", ExecutionRoleArn=ROLE,
                        PrimaryContainer=container(url_a, SAGEMAKER_MODEL_SERVER_WORKERS="2", E2E_TAG=tag_a))
        SM.create_model(ModelName="model-b", ExecutionRoleArn=ROLE, PrimaryContainer=container(url_b))
        SM.create_endpoint_config(EndpointConfigName="cfg-ab", ProductionVariants=[variant("A", "model-a"), variant("B", "model-b")])
        started = time.time()
        created = SM.create_endpoint(EndpointName="ep-ab", EndpointConfigName="cfg-ab")
        assert created["EndpointArn"] == arn("endpoint", "ep-ab"), created
        first = SM.describe_endpoint(EndpointName="ep-ab")
        assert first["EndpointStatus"] == "Creating", f"right after CreateEndpoint: {first['EndpointStatus']}"
        described, seen, _ = wait_endpoint(SM, "ep-ab")
        elapsed = time.time() - started
        assert described["EndpointStatus"] == "InService", f"{seen}: {described.get('FailureReason')}"
        assert seen == ["Creating", "InService"], seen
        ok(f"CreateEndpoint with two variants: Creating, then InService {elapsed:.1f} s after the call")
        variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
        assert sorted(variants) == ["A", "B"], described["ProductionVariants"]
        for name, summary in variants.items():
            assert summary.get("CurrentWeight") == 1.0 and summary.get("DesiredWeight") == 1.0, summary
            assert summary.get("CurrentInstanceCount") == 1 and summary.get("DesiredInstanceCount") == 1, summary
        assert described["EndpointConfigName"] == "cfg-ab" and "FailureReason" not in described, described
        assert described["LastModifiedTime"] >= described["CreationTime"], described
        listed = [e["EndpointName"] for e in SM.list_endpoints()["Endpoints"]]
        assert listed == ["ep-ab"], listed
        ok("DescribeEndpoint shows both ProductionVariants with CurrentWeight 1 and CurrentInstanceCount 1; ListEndpoints has it")

    with section("invoke"):
        seen_variants = {}
        for _ in range(40):
            response, answer = invoke(RT, "ep-ab", {"x": X})
            chosen = response["InvokedProductionVariant"]
            assert chosen in ("A", "B"), response
            assert answer["model"] == MODEL_OF[chosen] and answer["y"] == ANSWER[answer["model"]], (chosen, answer)
            assert response["ContentType"] == "application/json", response["ContentType"]
            seen_variants[chosen] = seen_variants.get(chosen, 0) + 1
        assert sorted(seen_variants) == ["A", "B"], seen_variants
        ok(f"40 JSON calls: right answers, ContentType application/json, variants by weight {seen_variants}")

        for _ in range(10):
            response, answer = invoke(RT, "ep-ab", {"x": X}, TargetVariant="B")
            assert response["InvokedProductionVariant"] == "B" and answer["model"] == "model-b", (response, answer)
        ok("TargetVariant=B: every answer from B")

        response = RT.invoke_endpoint(EndpointName="ep-ab", TargetVariant="A", Body=b"3,4\n1,1\n", ContentType="text/csv",
                                      Accept="application/json")
        rows = json.loads(response["Body"].read())
        assert rows == [{"y": 11.5, "model": "model-a"}, {"y": 3.5, "model": "model-a"}], rows
        ok("text/csv through the default input_fn reaches predict_fn as rows of floats")

        response = RT.invoke_endpoint(EndpointName="ep-ab", Body=json.dumps({"x": X}), ContentType="application/json",
                                      Accept="application/json", CustomAttributes="trace-id=e2e-42")
        assert json.loads(response["Body"].read())["y"] in ANSWER.values()
        assert response.get("CustomAttributes") == "echo:trace-id=e2e-42", response.get("CustomAttributes")
        ok("CustomAttributes reach predict_fn through the toolkit's context, and its answer comes back")

        results, errors = [], []

        def burst():
            client = runtime_client()
            for _ in range(6):
                try:
                    response, answer = invoke(client, "ep-ab", {"x": X})
                    results.append((response["InvokedProductionVariant"], answer["model"], answer["y"]))
                except Exception as error:  # noqa: BLE001
                    errors.append(repr(error)[:300])

        threads = [threading.Thread(target=burst) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        assert len(results) == 48 and all(MODEL_OF[v] == m and y == ANSWER[m] for v, m, y in results), results
        ok("48 calls from 8 threads at once: all answered, all right")

    with section("Open Inference Protocol V2"):
        tensor = {"inputs": [{"name": "input-0", "shape": [2], "datatype": "FP64", "data": X}]}
        bearer = f"Bearer {SECRET}"
        answers = {}
        for _ in range(20):
            status, answer = v2_infer("/v2/models/ep-ab/infer", tensor, bearer)
            assert status == 200, (status, answer)
            outputs = {output["name"]: output for output in answer["outputs"]}
            assert list(outputs) == ["y"], answer
            y = flat(outputs["y"]["data"])
            assert y in ([ANSWER["model-a"]], [ANSWER["model-b"]]), answer
            assert answer.get("model_name") == "ep-ab", answer
            if "model_version" in answer:
                assert ANSWER[MODEL_OF[answer["model_version"]]] == y[0], answer
            answers[y[0]] = answers.get(y[0], 0) + 1
        assert len(answers) == 2, f"20 V2 calls were all answered by one variant: {answers}"
        ok(f"POST /v2/models/ep-ab/infer (bearer): the tensor's data reached input_fn; the object result is output 'y'; "
           f"both variants answered {answers}")
        basic = "Basic " + base64.b64encode(f"{KEY_ID}:{SECRET}".encode()).decode()
        for _ in range(5):
            status, answer = v2_infer("/v2/models/ep-ab/versions/B/infer", tensor, basic)
            assert status == 200 and flat(answer["outputs"][0]["data"]) == [ANSWER["model-b"]], (status, answer)
            assert answer.get("model_version", "B") == "B", answer
        ok("POST /v2/models/ep-ab/versions/B/infer (basic auth): every answer from variant B")
        status, answer = v2_infer("/v2/models/ep-ab/infer", tensor)
        assert status in (401, 403), (status, answer)
        status, answer = v2_infer("/v2/models/ep-ab/infer", tensor, "Bearer not-the-secret")
        assert status in (401, 403), (status, answer)
        ok(f"without credentials or with a wrong secret: HTTP {status}")
        status, answer = v2_infer("/v2/models/no-such-endpoint/infer", tensor, bearer)
        assert status in (400, 404) and "no-such-endpoint" in json.dumps(answer), (status, answer)
        ok(f"an unknown model: HTTP {status} {answer}")

    with section("a handler that raises is a ModelError"):
        error = expect_error("ModelError", 424, RT.invoke_endpoint, EndpointName="ep-ab", TargetVariant="A",
                             Body=json.dumps({"fail": True}), ContentType="application/json", Accept="application/json")
        fields = model_error_fields(error)
        assert fields.get("OriginalStatusCode") == 500, (fields, error.response)
        assert "asked to fail: feature vector rejected by model-a" in fields.get("OriginalMessage", ""), (fields, error.response)
        assert "asked to fail" in message(error), message(error)
        ok(f"{{'fail': true}} → ModelError (424), OriginalStatusCode 500, OriginalMessage {fields['OriginalMessage']!r}")
        response, answer = invoke(RT, "ep-ab", {"x": X}, TargetVariant="A")
        assert answer["y"] == ANSWER["model-a"], answer
        ok("the worker answers the next call")

    with section("a worker that dies mid-call"):
        before = worker_pids(tag_a)
        response, answer = invoke(RT, "ep-ab", {"x": X, "crash_once": "first"}, TargetVariant="A")
        assert response["InvokedProductionVariant"] == "A" and answer["y"] == ANSWER["model-a"], answer
        ok("{'crash_once': ...}: the worker ended with os._exit(3), the call was retried on the other worker and answered")
        for _ in range(20):
            response, answer = invoke(RT, "ep-ab", {"x": X}, TargetVariant="A")
            assert answer["y"] == ANSWER["model-a"], answer
        ok("20 more calls to A answered")
        if before:
            deadline = time.time() + 60
            while True:
                now = worker_pids(tag_a)
                if len(now) == len(before) and not set(before) <= set(now):
                    break
                assert time.time() < deadline, f"A's workers were {before} before the crash and are {now} 60 s after"
                time.sleep(0.2)
            ok(f"the crashed worker's process was replaced: A's worker processes {before} → {now}")
        else:
            note("the workers' processes are not visible in /proc here")
        # A process is not yet a worker in the pool (it loads the model first): two slow calls at once, answered by two
        # processes, show the pool has two workers again.
        deadline, answered_by = time.time() + 60, set()
        while len(answered_by) < 2:
            assert time.time() < deadline, f"60 s after the crash, two calls at once to A are still answered by one worker"
            answers = []

            def slow_call():
                try:
                    answers.append(invoke(runtime_client(), "ep-ab", {"x": X, "sleep": 0.4}, TargetVariant="A")[1])
                except Exception as error:  # noqa: BLE001 - reported by the assert below
                    answers.append({"error": repr(error)[:300]})

            pair = [threading.Thread(target=slow_call) for _ in range(2)]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join(60)
            assert len(answers) == 2 and all(a["y"] == ANSWER["model-a"] for a in answers), answers
            answered_by = {a["pid"] for a in answers}
        ok(f"two slow calls at once are answered by two worker processes {sorted(answered_by)}: the pool is whole again")
        response, answer = invoke(RT, "ep-ab", {"x": X, "crash_once": "second"}, TargetVariant="A")
        assert answer["y"] == ANSWER["model-a"], answer
        ok("a second worker death is also retried and answered (the pool is back to two workers)")

    with section("paths in user code"):
        paths = ["/opt/ml/model", "/opt/ml/model/model.json", "/opt/ml/model/code"] + ([DATA_DIR] if DATA_DIR else [])
        response, answer = invoke(RT, "ep-ab", {"probe": paths}, TargetVariant="A")
        seen = answer["seen"]
        assert answer["model_dir"] == "/opt/ml/model", answer
        assert json.loads(seen["/opt/ml/model/model.json"])["name"] == "model-a", seen
        assert "inference.py" in seen["/opt/ml/model/code"] and "model.json" in seen["/opt/ml/model"], seen
        ok(f"the worker's model_fn got /opt/ml/model and finds its own model.json and code there (cwd {answer['cwd']})")
        if DATA_DIR:
            hidden = seen[DATA_DIR]
            assert hidden == [] or (isinstance(hidden, str) and hidden.startswith("error")), \
                f"a model worker sees the server's data folder {DATA_DIR}: {hidden}"
            ok(f"it cannot see the server's data folder (other endpoints' models, objects): {hidden!r}")
        response, answer = invoke(RT, "ep-ab", {"probe": ["/opt/ml/model/model.json"]}, TargetVariant="B")
        assert json.loads(answer["seen"]["/opt/ml/model/model.json"])["name"] == "model-b", answer
        ok("variant B's worker sees B's model at the same path: each worker has its own /opt/ml")

    with section("inference pipeline"):
        SM.create_model(ModelName="pipeline-model", ExecutionRoleArn=ROLE,
                        Containers=[container(url_pre), container(url_a)])
        SM.create_endpoint_config(EndpointConfigName="cfg-pipe", ProductionVariants=[variant("AllTraffic", "pipeline-model")])
        SM.create_endpoint(EndpointName="ep-pipe", EndpointConfigName="cfg-pipe")
        described, seen, seconds = wait_endpoint(SM, "ep-pipe")
        assert described["EndpointStatus"] == "InService", f"{seen}: {described.get('FailureReason')}"
        response, answer = invoke(RT, "ep-pipe", {"x": X})
        assert answer["stages"] == ["pre", "model-a"], answer
        assert answer["y"] == 1 * 6 + 2 * 8 + 0.5, answer
        assert response["InvokedProductionVariant"] == "AllTraffic", response
        ok(f"a model of 2 containers (InService in {seconds:.1f} s): the first scaled the input, the second predicted: {answer}")

    with section("UpdateEndpointWeightsAndCapacities"):
        before = SM.describe_endpoint(EndpointName="ep-ab")
        SM.update_endpoint_weights_and_capacities(
            EndpointName="ep-ab", DesiredWeightsAndCapacities=[{"VariantName": "A", "DesiredWeight": 0.0}])
        described, seen, seconds = wait_endpoint(SM, "ep-ab")
        assert described["EndpointStatus"] == "InService", f"{seen}: {described.get('FailureReason')}"
        variants = {v["VariantName"]: v for v in described["ProductionVariants"]}
        assert variants["A"].get("CurrentWeight") == 0.0 and variants["A"].get("DesiredWeight") == 0.0, variants["A"]
        assert variants["B"].get("CurrentWeight") == 1.0 and variants["B"].get("CurrentInstanceCount") == 1, variants["B"]
        assert described["LastModifiedTime"] > before["LastModifiedTime"], (before["LastModifiedTime"], described["LastModifiedTime"])
        for _ in range(30):
            response, answer = invoke(RT, "ep-ab", {"x": X})
            assert response["InvokedProductionVariant"] == "B" and answer["model"] == "model-b", (response, answer)
        ok(f"A's weight set to 0 (statuses {seen}, {seconds:.1f} s): DescribeEndpoint shows it, 30 calls all answered by B")
        response, answer = invoke(RT, "ep-ab", {"x": X}, TargetVariant="A")
        assert answer["model"] == "model-a", answer
        ok("TargetVariant=A still reaches the weight-0 variant")

    with section("UpdateEndpoint with calls in flight"):
        SM.create_model(ModelName="model-c", ExecutionRoleArn=ROLE, PrimaryContainer=container(url_c))
        SM.create_endpoint_config(EndpointConfigName="cfg-c", ProductionVariants=[variant("C", "model-c")])
        before = SM.describe_endpoint(EndpointName="ep-ab")
        invoker = Invoker("ep-ab", {"x": X})
        invoker.start()
        time.sleep(0.5)
        try:
            updated = SM.update_endpoint(EndpointName="ep-ab", EndpointConfigName="cfg-c")
            right_after = SM.describe_endpoint(EndpointName="ep-ab")
            assert updated["EndpointArn"] == arn("endpoint", "ep-ab"), updated
            assert right_after["EndpointStatus"] == "Updating", f"right after UpdateEndpoint: {right_after['EndpointStatus']}"
            assert right_after["LastModifiedTime"] > before["LastModifiedTime"], right_after
            update_started = time.time()
            described, seen, seconds = wait_endpoint(SM, "ep-ab")
            in_service_at = time.time()
            time.sleep(1)
        finally:
            invoker.stop()
        assert described["EndpointStatus"] == "InService", f"{seen}: {described.get('FailureReason')}"
        assert described["EndpointConfigName"] == "cfg-c", described["EndpointConfigName"]
        assert [v["VariantName"] for v in described["ProductionVariants"]] == ["C"], described["ProductionVariants"]
        assert described["LastModifiedTime"] > right_after["LastModifiedTime"], described
        during = [a for a in invoker.answers if update_started <= a[0] < in_service_at]
        assert not invoker.failures, f"{len(invoker.failures)} of {len(invoker.answers) + len(invoker.failures)} calls failed " \
                                     f"during the update: {invoker.failures[:5]}"
        assert during, "no call was made while the endpoint was Updating"
        assert all(MODEL_OF[v] == a["model"] and a["y"] == ANSWER[a["model"]] for _, v, a in invoker.answers), invoker.answers[:5]
        ok(f"UpdateEndpoint returned with the endpoint Updating; InService on cfg-c after {seconds:.1f} s; "
           f"{len(invoker.answers)} calls meanwhile ({len(during)} while Updating), none failed")
        for _ in range(10):
            response, answer = invoke(RT, "ep-ab", {"x": X})
            assert response["InvokedProductionVariant"] == "C" and answer["model"] == "model-c", (response, answer)
            assert answer["y"] == ANSWER["model-c"], answer
        ok("after the update every answer comes from the new model")

    with section("bad input"):
        error = expect_error("ValidationError", 400, RT.invoke_endpoint, EndpointName="no-such-endpoint",
                             Body=b"{}", ContentType="application/json")
        assert "no-such-endpoint" in message(error), message(error)
        ok(f"unknown endpoint: ValidationError: {message(error)}")

        error = expect_error("ValidationError", 400, RT.invoke_endpoint, EndpointName="ep-ab", TargetVariant="Zeta",
                             Body=json.dumps({"x": X}), ContentType="application/json")
        assert "Zeta" in message(error), message(error)
        ok(f"unknown TargetVariant: ValidationError: {message(error)}")

        prefix = json.dumps({"x": X, "pad": ""})[:-2]
        exact = (prefix + "a" * (MAX_BODY - len(prefix) - 2) + '"}').encode()
        assert len(exact) == MAX_BODY
        response = RT.invoke_endpoint(EndpointName="ep-ab", Body=exact, ContentType="application/json", Accept="application/json")
        assert json.loads(response["Body"].read())["y"] == ANSWER["model-c"]
        ok(f"a body of exactly {MAX_BODY} bytes is answered")
        try:
            error = client_error(RT.invoke_endpoint, EndpointName="ep-ab", Body=exact + b" ", ContentType="application/json")
        except AssertionError:
            raise
        except Exception as raised:  # a reset or a broken pipe instead of an answer
            raise AssertionError(f"a body of {MAX_BODY + 1} bytes got {type(raised).__name__} instead of a 413: {raised}")
        status = error.response["ResponseMetadata"]["HTTPStatusCode"]
        assert error.response["Error"]["Code"] == "ValidationError" and status == 413, error.response
        ok(f"a body of {MAX_BODY + 1} bytes: ValidationError with HTTP 413: {message(error)}")

        SM.create_model(ModelName="model-bad-archive", ExecutionRoleArn=ROLE, PrimaryContainer=container(url_bad))
        SM.create_endpoint_config(EndpointConfigName="cfg-bad-archive", ProductionVariants=[variant("AllTraffic", "model-bad-archive")])
        invoker = Invoker("ep-ab", {"x": X})
        invoker.start()
        try:
            SM.create_endpoint(EndpointName="ep-bad-archive", EndpointConfigName="cfg-bad-archive")
            described, seen, seconds = wait_endpoint(SM, "ep-bad-archive")
            time.sleep(0.5)
        finally:
            invoker.stop()
        assert described["EndpointStatus"] == "Failed", f"a model.tar.gz that is not gzip: {seen}"
        reason = described.get("FailureReason", "")
        assert "archive" in reason.lower() and url_bad in reason, reason
        ok(f"a model.tar.gz that is not gzip: Failed after {seconds:.1f} s: {reason}")
        assert invoker.answers and not invoker.failures, f"ep-ab while ep-bad-archive failed: {invoker.failures[:5]}"
        ok(f"ep-ab answered all {len(invoker.answers)} calls made meanwhile")
        error = expect_error("ValidationError", 400, RT.invoke_endpoint, EndpointName="ep-bad-archive",
                             Body=json.dumps({"x": X}), ContentType="application/json")
        assert "ep-bad-archive" in message(error), message(error)
        ok(f"invoking the Failed endpoint: ValidationError: {message(error)}")

        SM.create_model(ModelName="model-broken", ExecutionRoleArn=ROLE, PrimaryContainer=container(url_a, program="broken.py"))
        SM.create_endpoint_config(EndpointConfigName="cfg-broken", ProductionVariants=[variant("AllTraffic", "model-broken")])
        SM.create_endpoint(EndpointName="ep-broken", EndpointConfigName="cfg-broken")
        described, seen, seconds = wait_endpoint(SM, "ep-broken")
        assert described["EndpointStatus"] == "Failed", f"a model_fn that raises: {seen}"
        reason = described.get("FailureReason", "")
        assert "checksum mismatch in model.json" in reason, reason
        ok(f"a model_fn that raises: Failed after {seconds:.1f} s: {reason[:300]}")

        error = expect_error("ValidationException", 400, SM.create_endpoint, EndpointName="ep-ghost", EndpointConfigName="cfg-ghost")
        assert "cfg-ghost" in message(error), message(error)
        expect_error("ValidationException", 400, SM.describe_endpoint, EndpointName="ep-ghost")
        listed = sorted(e["EndpointName"] for e in SM.list_endpoints()["Endpoints"])
        assert listed == ["ep-ab", "ep-bad-archive", "ep-broken", "ep-pipe"], listed
        ok(f"CreateEndpoint with an unknown config: ValidationException ({message(error)}); nothing created")

        response, answer = invoke(RT, "ep-ab", {"x": X})
        assert answer["model"] == "model-c", answer
        ok("ep-ab still serves after the failed endpoints")

    with section("worker timeout"):
        SM.create_model(ModelName="model-slow", ExecutionRoleArn=ROLE,
                        PrimaryContainer=container(url_a, SAGEMAKER_MODEL_SERVER_TIMEOUT="1"))
        SM.create_endpoint_config(EndpointConfigName="cfg-slow", ProductionVariants=[variant("AllTraffic", "model-slow")])
        SM.create_endpoint(EndpointName="ep-slow", EndpointConfigName="cfg-slow")
        described, seen, _ = wait_endpoint(SM, "ep-slow")
        assert described["EndpointStatus"] == "InService", seen
        started = time.time()
        error = expect_error("ModelError", 424, RT.invoke_endpoint, EndpointName="ep-slow", Body=json.dumps({"x": X, "sleep": 5}),
                             ContentType="application/json")
        assert "timed out" in message(error) and time.time() - started < 4.5, (message(error), time.time() - started)
        response, answer = invoke(RT, "ep-slow", {"x": X})
        assert answer["model"] == "model-a", answer
        SM.delete_endpoint(EndpointName="ep-slow")
        wait_gone(SM, "ep-slow")
        SM.delete_endpoint_config(EndpointConfigName="cfg-slow")
        SM.delete_model(ModelName="model-slow")
        ok(f"SAGEMAKER_MODEL_SERVER_TIMEOUT=1: a 5 s call is a ModelError after ~1 s ({message(error)[:90]}); the next call is answered")

    with section("delete"):
        for name in ("ep-ab", "ep-pipe", "ep-bad-archive", "ep-broken"):
            SM.delete_endpoint(EndpointName=name)
        for name in ("ep-ab", "ep-pipe", "ep-bad-archive", "ep-broken"):
            wait_gone(SM, name)
        assert SM.list_endpoints()["Endpoints"] == []
        error = expect_error("ValidationError", 400, RT.invoke_endpoint, EndpointName="ep-ab", Body=json.dumps({"x": X}),
                             ContentType="application/json")
        assert "ep-ab" in message(error), message(error)
        ok(f"DeleteEndpoint: the endpoints are gone; invoking one is a ValidationError: {message(error)}")
        if worker_pids(tag_a):
            deadline = time.time() + 30
            while worker_pids(tag_a) and time.time() < deadline:
                time.sleep(0.2)
            assert not worker_pids(tag_a), f"model-a's workers are still running 30 s after DeleteEndpoint: {worker_pids(tag_a)}"
            ok("the deleted endpoints' workers are gone")
        for name in ("cfg-ab", "cfg-c", "cfg-pipe", "cfg-bad-archive", "cfg-broken"):
            SM.delete_endpoint_config(EndpointConfigName=name)
        for name in ("model-a", "model-b", "model-c", "pipeline-model", "model-bad-archive", "model-broken"):
            SM.delete_model(ModelName=name)
        assert SM.list_models()["Models"] == [] and SM.list_endpoint_configs()["EndpointConfigs"] == []
        expect_error("ValidationException", 400, SM.describe_model, ModelName="model-a")
        ok("DeleteModel and DeleteEndpointConfig: nothing left")


if __name__ == "__main__":
    run(main)
