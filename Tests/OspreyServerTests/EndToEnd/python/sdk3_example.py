"""examples/sdk3/example.py, as a user runs it, with the SageMaker Python SDK 3.x: `main()` trains with ModelTrainer,
deploys with ModelBuilder, predicts with Endpoint.invoke and deletes. Checked on the way (the example's `delete` is
wrapped to look first): the model artifact, Describe answers through the SDK's response validation and free of empty
structures, the endpoint's log group with the worker's output, and that everything is gone after the deletes.

The SDK config file is written by `osprey sdk-config` at the SDK's default path (HOME is the scenario's scratch folder),
not through SAGEMAKER_USER_CONFIG_OVERRIDE. Nothing may leave loopback. Argument: the examples/sdk3 folder.
"""

import loopback_guard  # noqa: F401  (first: before boto3 or the SDK is imported)

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import time

from e2e import ENDPOINT, ok, run, section

BUCKET = "sdk3-example-e2e"
written = subprocess.run([os.environ["OSPREY_BIN"], "sdk-config", "--endpoint", ENDPOINT, "--bucket", BUCKET],
                         capture_output=True, text=True, check=False)
assert written.returncode == 0, f"osprey sdk-config failed: {written.stdout}{written.stderr}"
os.environ.pop("SAGEMAKER_USER_CONFIG_OVERRIDE", None)

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from sagemaker.core.config.config import _DEFAULT_USER_CONFIG_FILE_PATH  # noqa: E402
from sagemaker.core.resources import Endpoint, EndpointConfig, Model, TrainingJob  # noqa: E402

EXAMPLE_DIR = sys.argv[1]
spec = importlib.util.spec_from_file_location("example", os.path.join(EXAMPLE_DIR, "example.py"))
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)

SEEN = {}


def empty_structures(value, path=""):
    """Paths of `{}` anywhere in a Describe answer (the SDK 3.x's validation rejects them)."""
    if isinstance(value, dict):
        found = [path] if not value and path else []
        for key, item in value.items():
            if key != "ResponseMetadata":
                found += empty_structures(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in empty_structures(item, f"{path}[{index}]")]
    return []


def recording_train(*args, **kwargs):
    started = time.time()
    trainer = ORIGINAL_TRAIN(*args, **kwargs)
    SEEN["train_seconds"] = time.time() - started
    SEEN["trainer"] = trainer
    return trainer


def recording_deploy(*args, **kwargs):
    started = time.time()
    result = ORIGINAL_DEPLOY(*args, **kwargs)
    SEEN["deploy_seconds"] = time.time() - started
    return result


def checking_delete(endpoint, model):
    """Runs the checks on the live endpoint, then the example's own delete."""
    try:
        check_live(endpoint, model)
    except BaseException as error:  # noqa: BLE001 - reported after main() deleted what it made
        SEEN["live_error"] = error
    ORIGINAL_DELETE(endpoint, model)
    SEEN["deleted"] = (endpoint.endpoint_name, endpoint.endpoint_config_name, model.model_name)


def check_live(endpoint, model):
    sm = boto3.client("sagemaker")
    name, config_name, model_name = endpoint.endpoint_name, endpoint.endpoint_config_name, model.model_name
    job = SEEN["trainer"]._latest_training_job.training_job_name
    answers = {
        "DescribeTrainingJob": sm.describe_training_job(TrainingJobName=job),
        "DescribeModel": sm.describe_model(ModelName=model_name),
        "DescribeEndpointConfig": sm.describe_endpoint_config(EndpointConfigName=config_name),
        "DescribeEndpoint": sm.describe_endpoint(EndpointName=name),
    }
    for action, answer in answers.items():
        assert not empty_structures(answer), f"{action} sends empty structures at {empty_structures(answer)}: {answer}"
    # The SDK's own resource classes validate each answer against its shapes.
    assert TrainingJob.get(job).training_job_status == "Completed"
    container = Model.get(model_name).primary_container
    assert container.image == "osprey/python", container
    assert container.environment["SAGEMAKER_PROGRAM"] == "inference.py", container.environment
    variants = EndpointConfig.get(config_name).production_variants
    assert [(v.variant_name, v.model_name) for v in variants] == [("AllTraffic", model_name)], variants
    assert Endpoint.get(name).endpoint_status == "InService"
    ok(f"Describe{{TrainingJob,Model,EndpointConfig,Endpoint}} pass the SDK's validation, with no empty structure; "
       f"the model runs {container.environment['SAGEMAKER_PROGRAM']} from {container.model_data_url}")

    bucket, key = container.model_data_url[len("s3://"):].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())) as archive:
        names = sorted(n.lstrip("./") for n in archive.getnames() if archive.getmember(n).isfile())
        content = json.loads(archive.extractfile(next(m for m in archive.getmembers() if m.name.endswith("model.json"))).read())
    assert "model.json" in names and "code/inference.py" in names, names
    assert content == {"name": "linear-sdk3", "slope": 3.0, "intercept": 2.0, "rows": 20}, content
    ok(f"the repacked {container.model_data_url} holds {names}; model.json is what train.py fitted: {content}")

    logs = boto3.client("logs")
    group = f"/aws/sagemaker/Endpoints/{name}"
    deadline = time.time() + 20
    while True:
        events = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="AllTraffic/")["events"]
        if any("loaded model linear-sdk3 from /opt/ml/model" in e["message"] for e in events) or time.time() > deadline:
            break
        time.sleep(0.5)
    assert any("loaded model linear-sdk3 from /opt/ml/model" in e["message"] for e in events), events
    ok(f"log group {group} has the worker's output in {sorted({e['logStreamName'] for e in events})}")


def gone(call):
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"] in ("ValidationException", "ValidationError")
    return False


def main():
    assert os.path.isfile(_DEFAULT_USER_CONFIG_FILE_PATH), f"osprey sdk-config did not write {_DEFAULT_USER_CONFIG_FILE_PATH}"
    s3 = boto3.client("s3")
    s3.head_bucket(Bucket=BUCKET)
    ok(f"osprey sdk-config wrote {_DEFAULT_USER_CONFIG_FILE_PATH} (the SDK's default path) and created s3://{BUCKET}")

    with section("examples/sdk3/example.py: train, deploy, predict, delete"):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            example.main()
        output = printed.getvalue()
        print(output[-3000:], flush=True)
        if "live_error" in SEEN:
            raise SEEN["live_error"]
        assert "predict x = [1, 2, 10]: {'y': [5.0, 8.0, 32.0], 'model': 'linear-sdk3'}" in output, output[-3000:]
        ok(f"example.main() trained in {SEEN['train_seconds']:.1f} s, deployed in {SEEN['deploy_seconds']:.1f} s "
           "(the SDK sleeps 30 s before its first DescribeEndpoint) and predicted y = 3 x + 2")

        sm = boto3.client("sagemaker")
        name, config_name, model_name = SEEN["deleted"]
        deadline = time.time() + 60
        while not gone(lambda: sm.describe_endpoint(EndpointName=name)):
            assert time.time() < deadline, f"{name} still exists a minute after Endpoint.delete()"
            time.sleep(0.2)
        assert gone(lambda: sm.describe_endpoint_config(EndpointConfigName=config_name)), config_name
        assert gone(lambda: sm.describe_model(ModelName=model_name)), model_name
        assert gone(lambda: boto3.client("sagemaker-runtime").invoke_endpoint(
            EndpointName=name, Body=b'{"x": [1]}', ContentType="application/json")), "invoke after delete succeeded"
        ok("Endpoint.delete(), EndpointConfig.delete() and Model.delete(): all three gone, InvokeEndpoint refused")

    loopback_guard.assert_only_loopback()
    ok("no name look-up or connection left loopback")


ORIGINAL_TRAIN, ORIGINAL_DEPLOY, ORIGINAL_DELETE = example.train, example.deploy, example.delete
example.train, example.deploy, example.delete = recording_train, recording_deploy, checking_delete

if __name__ == "__main__":
    run(main)
