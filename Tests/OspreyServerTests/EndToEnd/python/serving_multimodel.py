"""Multi-model endpoints: models loaded on first call by TargetModel, LRU-unloaded under the memory budget, and a new
version of a model swapped in without failing a call."""

import io
import json
import tarfile
import threading
import time

import boto3
from botocore.exceptions import ClientError

from e2e import ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
RUNTIME = boto3.client("sagemaker-runtime")
BUCKET = "mme-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"

INFERENCE = r'''
import json, os
def model_fn(model_dir):
    return json.load(open(os.path.join(model_dir, "model.json")))
def predict_fn(data, model):
    return {"model": model["name"], "version": model["version"], "pid": os.getpid(), "y": data["x"] * model["factor"]}
'''


def archive(name, version, factor):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in {"model.json": json.dumps({"name": name, "version": version, "factor": factor}),
                           "code/inference.py": INFERENCE}.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def endpoint(name, budget_mb):
    SM.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": "osprey/python", "Mode": "MultiModel", "ModelDataUrl": f"s3://{BUCKET}/models/",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "OSPREY_MULTI_MODEL_MEMORY_MB": str(budget_mb),
                        "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}})
    SM.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    SM.create_endpoint(EndpointName=name, EndpointConfigName=name)
    SM.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def call(name, target, x=2):
    answer = RUNTIME.invoke_endpoint(EndpointName=name, TargetModel=target, Body=json.dumps({"x": x}), ContentType="application/json")
    return json.loads(answer["Body"].read())


def expect_error(code, call_):
    try:
        call_()
    except ClientError as error:
        assert error.response["Error"]["Code"] == code, error.response
        return error.response["Error"]["Message"]
    raise AssertionError(f"expected {code}")


def main():
    S3.create_bucket(Bucket=BUCKET)
    for index, name in enumerate(["a", "b", "c"], start=1):
        S3.put_object(Bucket=BUCKET, Key=f"models/{name}.tar.gz", Body=archive(name, 1, index))

    endpoint("roomy", budget_mb=4096)
    answers = {target: call("roomy", f"{target}.tar.gz") for target in ("a", "b", "c")}
    assert {t: (a["model"], a["y"]) for t, a in answers.items()} == {"a": ("a", 2), "b": ("b", 4), "c": ("c", 6)}, answers
    assert call("roomy", "a.tar.gz")["pid"] == answers["a"]["pid"]
    message = expect_error("ValidationError", lambda: call("roomy", "nope.tar.gz"))
    assert "nope.tar.gz" in message, message
    message = expect_error("ValidationError", lambda: RUNTIME.invoke_endpoint(EndpointName="roomy", Body=b"{}", ContentType="application/json"))
    assert "TargetModel" in message, message
    ok("3 models under one prefix, each loaded on its first call and kept; an unknown TargetModel or none is a ValidationError")

    endpoint("tight", budget_mb=1)
    first = call("tight", "a.tar.gz")
    call("tight", "b.tar.gz")
    call("tight", "c.tar.gz")
    again = call("tight", "a.tar.gz")
    assert again["model"] == "a" and again["pid"] != first["pid"], (first, again)
    ok("under a 1 MB budget the least recently used models are unloaded and loaded again when called")

    failures, versions, stopping = [], set(), threading.Event()

    def load():
        client = boto3.client("sagemaker-runtime")
        while not stopping.is_set():
            try:
                answer = client.invoke_endpoint(EndpointName="roomy", TargetModel="a.tar.gz", Body=json.dumps({"x": 1}),
                                                ContentType="application/json")
                versions.add(json.loads(answer["Body"].read())["version"])
            except Exception as error:
                failures.append(repr(error))

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    S3.put_object(Bucket=BUCKET, Key="models/a.tar.gz", Body=archive("a", 2, 10))
    deadline = time.time() + 30
    while 2 not in versions and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    stopping.set()
    for thread in threads:
        thread.join()
    assert failures == [], failures[:3]
    assert versions == {1, 2}, versions
    assert call("roomy", "a.tar.gz", x=3)["y"] == 30
    ok("a new version of a model is swapped in while calls run, none failing")


run(main)
