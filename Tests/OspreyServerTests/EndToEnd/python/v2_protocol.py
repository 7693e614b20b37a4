"""Open Inference Protocol V2 and data capture on a real endpoint, end to end.

One endpoint (two variants, `blue` and `green`, each a stdlib-only `inference.py`) made with boto3, with a
DataCaptureConfig at 100 %. Then, with plain JSON over urllib and with `tritonclient[http]`: health, server and model
metadata, readiness, inference with and without a version, errors (unknown model or version, bad tensors, the binary
extension, a model error, no or wrong credentials). Finally the captured JSON Lines are read back through boto3's S3.

`python v2_protocol.py` runs all of it; `start` / `verify` split a capture across a server restart: `start` invokes and
returns at once (the records are still in memory), the harness stops the server, `verify` finds them written at shutdown.
"""

import base64
import datetime
import io
import json
import re
import sys
import tarfile
import time
import urllib.error
import urllib.request

import boto3
import numpy as np
import tritonclient.http as triton
from botocore.config import Config
from tritonclient.utils import InferenceServerException

from e2e import ENDPOINT, KEY_ID, SCRATCH, SECRET, _HOSTPORT, expect_error, ok, run, section

ROLE = "arn:aws:iam::000000000000:role/Osprey"
BUCKET = "v2-e2e"
CAPTURE_PREFIX = "capture/run"
NAME = "v2-linear"
AUTH = {"Authorization": f"Bearer {SECRET}"}
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})

SM = boto3.client("sagemaker", config=NO_RETRIES)
RT = boto3.client("sagemaker-runtime", config=NO_RETRIES)
S3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))

INFERENCE = r'''
import json
import os


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)


def predict_fn(data, model):
    if isinstance(data, dict):  # InvokeEndpoint's JSON
        return {"y": sum(w * x for w, x in zip(model["weights"], data["x"])), "model": model["name"]}
    if data and all(isinstance(row, list) for row in data):  # rows: a V2 tensor of shape [n, k], or CSV
        return {"y": [sum(w * x for w, x in zip(model["weights"], row)) for row in data], "model": model["name"]}
    if data == ["fail"]:
        raise ValueError("asked to fail: tensor rejected by %s" % model["name"])
    if data and all(isinstance(v, bool) for v in data):
        return [not v for v in data]
    return [v * 2 for v in data]  # anything else: one tensor output-0
'''


def archive(name, weights):
    files = {"model.json": json.dumps({"name": name, "weights": weights}).encode(), "code/inference.py": INFERENCE.encode()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create_endpoint():
    S3.create_bucket(Bucket=BUCKET)
    for model, weights in (("blue-model", [1, 2, 3]), ("green-model", [1, 2, 3])):
        S3.put_object(Bucket=BUCKET, Key=f"models/{model}.tar.gz", Body=archive(model, weights))
        SM.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={
            "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/models/{model}.tar.gz",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
                            "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}})
    capture = {
        "EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": f"s3://{BUCKET}/{CAPTURE_PREFIX}",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]}}
    SM.create_endpoint_config(EndpointConfigName=f"{NAME}-config", DataCaptureConfig=capture, ProductionVariants=[
        {"VariantName": variant, "ModelName": f"{variant}-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large",
         "InitialVariantWeight": 1.0} for variant in ("blue", "green")])
    described = SM.describe_endpoint_config(EndpointConfigName=f"{NAME}-config")
    assert described["DataCaptureConfig"] == capture, described["DataCaptureConfig"]
    SM.create_endpoint(EndpointName=NAME, EndpointConfigName=f"{NAME}-config")
    started = time.time()
    while (status := SM.describe_endpoint(EndpointName=NAME)["EndpointStatus"]) != "InService":
        assert status == "Creating" and time.time() - started < 180, SM.describe_endpoint(EndpointName=NAME)
        time.sleep(0.2)
    summary = SM.describe_endpoint(EndpointName=NAME)["DataCaptureConfig"]
    assert summary == {"EnableCapture": True, "CaptureStatus": "Started", "CurrentSamplingPercentage": 100,
                       "DestinationS3Uri": f"s3://{BUCKET}/{CAPTURE_PREFIX}"}, summary


def http(method, path, body=None, headers=None):
    """(status, decoded JSON or raw text, headers) of one plain request."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    request = urllib.request.Request(ENDPOINT + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    try:
        return status, json.loads(raw), got
    except ValueError:
        return status, raw.decode(errors="replace"), got


def tensor(name, shape, datatype, data):
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


def outputs_by_name(answer):
    return {output["name"]: output for output in answer["outputs"]}


class Calls:
    """Successful invocations of the endpoint: each one must be captured exactly once."""
    count = 0


def check_health_and_metadata():
    for path, key in (("/v2/health/live", "live"), ("/v2/health/ready", "ready")):
        status, answer, _ = http("GET", path)
        assert status == 200 and answer == {key: True}, (path, status, answer)
    status, answer, _ = http("GET", "/v2", headers=AUTH)
    assert status == 200 and answer["name"] == "osprey" and "version" in answer, answer
    status, answer, headers = http("GET", f"/v2/models/{NAME}", headers=AUTH)
    assert status == 200 and headers["Content-Type"] == "application/json", (status, answer)
    assert answer["name"] == NAME and answer["platform"] == "osprey" and sorted(answer["versions"]) == ["blue", "green"], answer
    assert answer["inputs"] == [] and answer["outputs"] == [], answer
    basic = {"Authorization": "Basic " + base64.b64encode(f"{KEY_ID}:{SECRET}".encode()).decode()}
    status, answer, _ = http("GET", f"/v2/models/{NAME}/versions/green", headers=basic)
    assert status == 200 and answer["versions"] == ["green"], (status, answer)
    status, answer, _ = http("GET", f"/v2/models/{NAME}/ready", headers=AUTH)
    assert status == 200 and answer == {"name": NAME, "ready": True}, (status, answer)
    status, _, _ = http("GET", f"/v2/models/{NAME}/versions/blue/ready", headers=AUTH)
    assert status == 200, status
    ok("health open; server metadata; model metadata (versions = variants, bearer and basic); ready per model and version")


def check_infer_json():
    request = {"id": "req-1", "inputs": [tensor("x", [2, 3], "FP64", [1, 2, 3, 4, 5, 6])]}
    status, answer, _ = http("POST", f"/v2/models/{NAME}/infer", request, AUTH)
    assert status == 200, (status, answer)
    Calls.count += 1
    assert answer["model_name"] == NAME and answer["model_version"] in ("blue", "green") and answer["id"] == "req-1", answer
    outputs = outputs_by_name(answer)
    assert outputs["y"] == {"name": "y", "shape": [2], "datatype": "INT64", "data": [14, 32]}, outputs
    assert outputs["model"] == {"name": "model", "shape": [1], "datatype": "BYTES", "data": [f"{answer['model_version']}-model"]}
    for variant in ("blue", "green"):
        request = {"inputs": [tensor("x", [3], "FP32", [0.5, 1, 1.5])]}
        status, answer, _ = http("POST", f"/v2/models/{NAME}/versions/{variant}/infer", request, AUTH)
        assert status == 200 and answer["model_version"] == variant and "id" not in answer, (status, answer)
        Calls.count += 1
        assert answer["outputs"] == [{"name": "output-0", "shape": [3], "datatype": "FP64", "data": [1.0, 2.0, 3.0]}], answer
    status, answer, _ = http("POST", f"/v2/models/{NAME}/infer", {"inputs": [tensor("b", [2], "BOOL", [True, False])]}, AUTH)
    assert status == 200 and answer["outputs"] == [{"name": "output-0", "shape": [2], "datatype": "BOOL", "data": [False, True]}]
    Calls.count += 1
    request = {"inputs": [tensor("x", [1, 3], "INT64", [1, 1, 1])], "outputs": [{"name": "y"}]}
    status, answer, _ = http("POST", f"/v2/models/{NAME}/infer", request, AUTH)
    assert status == 200 and [o["name"] for o in answer["outputs"]] == ["y"] and answer["outputs"][0]["data"] == [6], answer
    Calls.count += 1
    ok("infer over plain JSON: reshaped input, one tensor per key (INT64, BYTES), output-0 (FP64, BOOL), versions, outputs filter")


def check_errors():
    x = {"inputs": [tensor("x", [1], "FP64", [1.0])]}
    cases = [
        ("POST", "/v2/models/no-such-model/infer", x, 404, "no-such-model"),
        ("POST", f"/v2/models/{NAME}/versions/purple/infer", x, 404, "purple"),
        ("GET", "/v2/models/no-such-model", None, 404, "no-such-model"),
        ("GET", f"/v2/models/{NAME}/versions/purple", None, 404, "purple"),
        ("GET", f"/v2/models/{NAME}/versions/purple/ready", None, 404, "purple"),
        ("POST", f"/v2/models/{NAME}/infer", {"inputs": []}, 400, "inputs"),
        ("POST", f"/v2/models/{NAME}/infer", b"{not json", 400, "JSON"),
        ("POST", f"/v2/models/{NAME}/infer", {"inputs": [tensor("x", [2, 2], "FP64", [1, 2, 3])]}, 400, "shape"),
        ("POST", f"/v2/models/{NAME}/infer", {"inputs": [tensor("x", [1], "BYTES", ["fail"])]}, 500,
         "asked to fail: tensor rejected by"),
        ("POST", f"/v2/models/{NAME}/infer", {"inputs": [tensor("x", [1], "FP64", [1])], "outputs": [{"name": "z"}]}, 400, "'z'"),
        ("GET", f"/v2/models/{NAME}/infer", None, 405, "POST"),
    ]
    for method, path, body, want, words in cases:
        status, answer, _ = http(method, path, body, AUTH)
        assert status == want and isinstance(answer, dict) and words in answer.get("error", ""), (method, path, status, answer)
    Calls.count += 1  # the unknown output 'z' is found missing after the model answered (and was captured)
    status, answer, _ = http("POST", f"/v2/models/{NAME}/infer", x, {**AUTH, "Inference-Header-Content-Length": "50"})
    assert status == 400 and "binary" in answer["error"], (status, answer)
    ok("errors as {\"error\"}: unknown model or version 404, bad tensors 400, the binary extension 400, model error 500 with its message")

    for path, method in ((f"/v2/models/{NAME}", "GET"), (f"/v2/models/{NAME}/ready", "GET"), (f"/v2/models/{NAME}/infer", "POST"),
                         ("/v2/models/no-such-model", "GET"), ("/v2/models", "GET"), ("/v2", "GET")):
        status, answer, _ = http(method, path, x if method == "POST" else None)
        assert status == 401 and "error" in answer, (path, status, answer)
        status, answer, _ = http(method, path, x if method == "POST" else None, {"Authorization": "Bearer not-a-secret"})
        assert status in (401, 403) and "error" in answer, (path, status, answer)
    ok("everything but /v2/health needs credentials: 401 without, 401/403 with a wrong secret")


def check_tritonclient():
    def auth():
        return dict(AUTH)  # tritonclient adds its own headers to the dict it is given

    client = triton.InferenceServerClient(url=_HOSTPORT)
    assert client.is_server_live() and client.is_server_ready()
    assert client.get_server_metadata(headers=auth())["name"] == "osprey"
    assert client.is_model_ready(NAME, headers=auth()) and client.is_model_ready(NAME, "green", headers=auth())
    assert not client.is_model_ready(NAME, headers={"Authorization": "Bearer wrong"})
    metadata = client.get_model_metadata(NAME, headers=auth())
    assert metadata["name"] == NAME and sorted(metadata["versions"]) == ["blue", "green"], metadata

    features = triton.InferInput("x", [2, 3], "FP32")
    features.set_data_from_numpy(np.array([[1, 0, 0], [0, 1, 1]], dtype=np.float32), binary_data=False)
    result = client.infer(NAME, [features], model_version="blue", request_id="t-1", headers=auth(),
                          outputs=[triton.InferRequestedOutput("y", binary_data=False)])
    Calls.count += 1
    response = result.get_response()
    assert response["model_version"] == "blue" and response["id"] == "t-1", response
    assert result.as_numpy("y").tolist() == [1.0, 5.0] and result.as_numpy("y").shape == (2,), result.as_numpy("y")

    values = triton.InferInput("v", [4], "INT64")
    values.set_data_from_numpy(np.array([1, 2, 3, 4], dtype=np.int64), binary_data=False)
    result = client.infer(NAME, [values], headers=auth())
    Calls.count += 1
    assert result.as_numpy("output-0").tolist() == [2, 4, 6, 8] and result.as_numpy("output-0").dtype == np.int64

    binary = triton.InferInput("v", [4], "INT64")
    binary.set_data_from_numpy(np.array([1, 2, 3, 4], dtype=np.int64))  # binary_data=True: the extension
    for call, status in ((lambda: client.infer(NAME, [binary], headers=auth()), "400"),
                         (lambda: client.infer("no-such-model", [values], headers=auth()), "404"),
                         (lambda: client.infer(NAME, [values], model_version="purple", headers=auth()), "404"),
                         (lambda: client.infer(NAME, [values]), "401")):
        try:
            call()
        except InferenceServerException as error:
            assert str(error.status()) == status and error.message(), (status, error.status(), error.message())
        else:
            raise AssertionError(f"expected HTTP {status}")
    client.close()
    ok("tritonclient[http]: live/ready, server and model metadata, infer with and without a version, errors raised")


def invoke_runtime():
    """InvokeEndpoint with JSON and CSV (captured as JSON and CSV)."""
    answer = RT.invoke_endpoint(EndpointName=NAME, TargetVariant="green", Body=json.dumps({"x": [1, 1, 1]}),
                                ContentType="application/json", Accept="application/json")
    assert json.loads(answer["Body"].read()) == {"y": 6, "model": "green-model"}
    RT.invoke_endpoint(EndpointName=NAME, TargetVariant="blue", Body="1,2,3\n", ContentType="text/csv", Accept="application/json")
    Calls.count += 2


def captured_lines(expected, timeout=40):
    """Every captured line under the prefix, once there are `expected` of them (the router writes every few seconds)."""
    started = time.time()
    while True:
        keys = [o["Key"] for page in S3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=CAPTURE_PREFIX + "/")
                for o in page.get("Contents", [])]
        lines = []
        for key in keys:
            body = S3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
            assert body.endswith("\n"), (key, body[-200:])
            lines += [(key, json.loads(line)) for line in body.splitlines()]
        if len(lines) >= expected or time.time() - started > timeout:
            assert len(lines) == expected, f"{len(lines)} captured lines, {expected} expected: {keys}"
            return lines
        time.sleep(0.5)


def check_capture(started_at):
    lines = captured_lines(Calls.count)
    layout = re.compile(rf"^{CAPTURE_PREFIX}/{NAME}/(blue|green)/(\d{{4}})/(\d{{2}})/(\d{{2}})/(\d{{2}})/[0-9a-f-]{{36}}\.jsonl$")
    now = datetime.datetime.now(datetime.timezone.utc)
    for key, record in lines:
        match = layout.match(key)
        assert match, key
        hour = datetime.datetime(*map(int, match.groups()[1:]), tzinfo=datetime.timezone.utc)
        assert started_at.replace(minute=0, second=0, microsecond=0) <= hour <= now, (key, started_at, now)
        assert record["eventVersion"] == "0" and set(record) == {"captureData", "eventMetadata", "eventVersion"}, record
        inference_time = datetime.datetime.fromisoformat(record["eventMetadata"]["inferenceTime"].replace("Z", "+00:00"))
        assert started_at.replace(microsecond=0) <= inference_time <= now, record
        assert re.fullmatch(r"[0-9a-f-]{36}", record["eventMetadata"]["eventId"]), record
        data = record["captureData"]
        assert data["endpointInput"]["mode"] == "INPUT" and data["endpointOutput"]["mode"] == "OUTPUT", data
    ids = [record["eventMetadata"]["eventId"] for _, record in lines]
    assert len(set(ids)) == len(ids), ids

    by_input = {record["captureData"]["endpointInput"]["data"]: (key, record) for key, record in lines}
    key, record = by_input['{"x": [1, 1, 1]}']
    assert f"/{NAME}/green/" in key, key
    assert record["captureData"]["endpointInput"] == {
        "observedContentType": "application/json", "mode": "INPUT", "data": '{"x": [1, 1, 1]}', "encoding": "JSON"}, record
    output = record["captureData"]["endpointOutput"]
    assert output["encoding"] == "JSON" and json.loads(output["data"]) == {"y": 6, "model": "green-model"}, output
    key, record = by_input["1,2,3\n"]
    assert f"/{NAME}/blue/" in key and record["captureData"]["endpointInput"]["encoding"] == "CSV", (key, record)
    # A V2 request reaches the model as its first tensor's data, shaped, in application/json.
    key, record = by_input["[[1,2,3],[4,5,6]]"]
    assert record["captureData"]["endpointInput"]["observedContentType"] == "application/json", record
    assert json.loads(record["captureData"]["endpointOutput"]["data"])["y"] == [14, 32], record
    assert not any("fail" in data for data in by_input), "a failed invocation was captured"
    ok(f"data capture: {len(lines)} JSON Lines records, {{prefix}}/{{endpoint}}/{{variant}}/yyyy/mm/dd/hh/{{uuid}}.jsonl, "
       "JSON and CSV encodings, failures not captured")


def check_bad_capture_configs():
    base = {"EnableCapture": True, "InitialSamplingPercentage": 10, "DestinationS3Uri": f"s3://{BUCKET}/c",
            "CaptureOptions": [{"CaptureMode": "Input"}]}
    variants = [{"VariantName": "v", "ModelName": "blue-model", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}]
    for change in ({"InitialSamplingPercentage": 101}, {"DestinationS3Uri": "https://example.com/x"},
                   {"CaptureOptions": [{"CaptureMode": "Both"}]}):
        expect_error("ValidationException", 400, SM.create_endpoint_config, EndpointConfigName="bad-capture",
                     ProductionVariants=variants, DataCaptureConfig={**base, **change})
    expect_error("ValidationException", 400, SM.describe_endpoint_config, EndpointConfigName="bad-capture")
    ok("CreateEndpointConfig refuses a sampling percentage over 100, a non-s3 destination, an unknown CaptureMode")


def main():
    started_at = datetime.datetime.now(datetime.timezone.utc)
    create_endpoint()
    with section("health and metadata"):
        check_health_and_metadata()
    with section("infer over JSON"):
        check_infer_json()
    with section("errors and credentials"):
        check_errors()
    with section("tritonclient"):
        check_tritonclient()
    with section("data capture"):
        invoke_runtime()
        check_capture(started_at)
    with section("bad capture configurations"):
        check_bad_capture_configs()


def start():
    """Creates the endpoint and invokes it; the records stay in memory until the server writes them."""
    create_endpoint()
    with open(f"{SCRATCH}/capture-started", "w") as handle:
        handle.write(datetime.datetime.now(datetime.timezone.utc).isoformat())
    invoke_runtime()
    assert Calls.count == 2


def verify():
    """After the server stopped and started again: what was captured before the stop was written."""
    with open(f"{SCRATCH}/capture-started") as handle:
        started_at = datetime.datetime.fromisoformat(handle.read())
    lines = captured_lines(2, timeout=0)
    assert sorted(record["captureData"]["endpointInput"]["encoding"] for _, record in lines) == ["CSV", "JSON"], lines
    ok("records still in memory when the server stopped were written at shutdown")
    assert started_at <= datetime.datetime.now(datetime.timezone.utc)


if __name__ == "__main__":
    phase = sys.argv[1] if len(sys.argv) > 1 else "all"
    run({"all": main, "start": start, "verify": verify}[phase])
