"""The SageMaker Python SDK 2.x, unchanged, trains against Osprey: `Estimator.fit(logs=True)`, the user's log lines in the
SDK's output, `model_data`, a failing script, and the `SKLearn` framework estimator.

Wired as a user would (see CLIENTS.md): AWS_ENDPOINT_URL (set by the harness), an SDK config file through
SAGEMAKER_USER_CONFIG_OVERRIDE (telemetry off, a default bucket), a `sagemaker.Session` over a boto3 session, a role given
as a full ARN. Nothing may leave loopback: name look-ups and connections to any other host are refused and recorded,
and the scenario fails if there was any (the SDK swallows some errors, e.g. its telemetry's).
"""

import contextlib
import io
import json
import os
import re
import sys
import tarfile
import time

# The guard, installed before boto3 or the SDK is imported.
from loopback_guard import assert_only_loopback  # noqa: E402

from e2e import KEY_ID, REGION, SCRATCH, SECRET, ok, run, section  # noqa: E402  (after the guard)

BUCKET = "sdk2-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
CONFIG = os.path.join(SCRATCH, "sagemaker-config.yaml")
with open(CONFIG, "w") as config:
    config.write(
        "SchemaVersion: '1.0'\n"
        "SageMaker:\n"
        "  PythonSDK:\n"
        "    Modules:\n"
        "      TelemetryOptOut: true\n"
        "      Session:\n"
        f"        DefaultS3Bucket: {BUCKET}\n"
    )
os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = CONFIG

import boto3  # noqa: E402
import sagemaker  # noqa: E402
from sagemaker.estimator import Estimator  # noqa: E402
from sagemaker.exceptions import UnexpectedStatusException  # noqa: E402

TRAIN = r'''
import argparse, json, os, sys
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
parser.add_argument("--mode", default="ok")
parser.add_argument("--pause", type=float, default=0)
parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR"))
args = parser.parse_args()
print("user-line epochs", args.epochs)
print("user-line greeting", os.environ.get("GREETING"))
rows = open(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "part-1.csv")).read().splitlines()
print("user-line rows", len(rows), flush=True)
if args.pause:
    import time
    time.sleep(args.pause)  # still running at the SDK's first DescribeTrainingJob: it tails the log over several polls
    print("user-line after the pause", flush=True)
if args.mode == "fail":
    print("user-line about to fail", flush=True)
    open("/opt/ml/output/failure", "w").write("bad data: column y is missing")
    sys.exit(3)
os.makedirs(args.model_dir, exist_ok=True)
with open(os.path.join(args.model_dir, "model.json"), "w") as out:
    json.dump({"epochs": args.epochs, "rows": len(rows)}, out)
print("user-line trained", flush=True)
'''


class Tee(io.TextIOBase):
    """Standard output as the user sees it, and a copy to check."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text):
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()

    def isatty(self):
        return False


def fit(estimator, inputs):
    """Runs `estimator.fit(inputs, logs=True)`; returns (what it printed, the exception it raised or None)."""
    tee = Tee(sys.stdout)
    error = None
    with contextlib.redirect_stdout(tee):
        try:
            estimator.fit(inputs, logs=True)
        except Exception as raised:  # noqa: BLE001 - the caller checks which
            error = raised
    return tee.copy.getvalue(), error


def source_dir():
    folder = os.path.join(SCRATCH, "sdk2-source")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "train.py"), "w") as f:
        f.write(TRAIN)
    with open(os.path.join(folder, "README.txt"), "w") as f:
        f.write("not code\n")
    return folder


def main():
    print(f"sagemaker {sagemaker.__version__}", flush=True)
    boto_session = boto3.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name=REGION)
    session = sagemaker.Session(boto_session=boto_session, default_bucket=BUCKET)
    assert session.default_bucket() == BUCKET, session.default_bucket()
    s3 = boto_session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="data/train/part-1.csv", Body=b"x,y\n1,2\n3,4\n")
    inputs = {"train": f"s3://{BUCKET}/data/train"}
    code = source_dir()

    def estimator(mode, **hyperparameters):
        return Estimator(
            image_uri="osprey/python", entry_point="train.py", source_dir=code, role=ROLE, instance_count=1,
            instance_type="ml.m5.large", hyperparameters={"epochs": 3, "mode": mode, **hyperparameters},
            environment={"GREETING": "hi"}, sagemaker_session=session)

    with section("Estimator.fit completes"):
        good = estimator("ok", pause=8)
        started = time.time()
        printed, error = fit(good, inputs)
        assert error is None, f"fit raised {error!r}"
        # The SDK may print a status line without its newline, so a log line can follow it on the same line.
        expected = ["user-line epochs 3", "user-line greeting hi", "user-line rows 3", "user-line after the pause", "user-line trained"]
        assert re.findall(r"user-line[^\n]*", printed) == expected, f"the SDK's output:\n{printed}"
        for status in ("Starting", "Downloading", "Training", "Uploading", "Completed"):
            assert f" {status} - " in printed, f"{status} is not in the SDK's output:\n{printed}"
        ok(f"Estimator.fit(logs=True) completed {good.latest_training_job.name} in {time.time() - started:.0f} s; "
           "the script's lines are in its output, each once, in order")

        job = good.latest_training_job.describe()
        hyperparameters = job["HyperParameters"]
        assert json.loads(hyperparameters["sagemaker_program"]) == "train.py", hyperparameters
        assert json.loads(hyperparameters["mode"]) == "ok" and hyperparameters["epochs"] == "3", hyperparameters
        assert job["Environment"] == {"GREETING": "hi"}, job.get("Environment")
        assert "DebugHookConfig" in job, sorted(job)
        # What Estimator.attach reads from DescribeTrainingJob (it indexes OutputDataConfig.KmsKeyId, empty when unset).
        params = Estimator._prepare_init_params_from_job_description(job)
        assert params["image_uri"] == "osprey/python" and params["output_kms_key"] == "", params
        assert params["output_path"] == f"s3://{BUCKET}/" and params["instance_count"] == 1, params

        model = good.model_data
        name = good.latest_training_job.name
        assert model == f"s3://{BUCKET}/{name}/output/model.tar.gz", model
        body = s3.get_object(Bucket=BUCKET, Key=model.split("/", 3)[3])["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            member = next(m for m in archive.getmembers() if m.name.lstrip("./") == "model.json")
            assert json.loads(archive.extractfile(member).read()) == {"epochs": 3, "rows": 3}
        ok(f"estimator.model_data is {model}, a model.tar.gz holding what the script wrote to /opt/ml/model")

    with section("a failing script raises"):
        bad = estimator("fail")
        printed, error = fit(bad, inputs)
        assert isinstance(error, UnexpectedStatusException), f"expected UnexpectedStatusException, got {error!r}"
        assert "bad data: column y is missing" in str(error), str(error)
        assert printed.count("user-line about to fail") == 1, printed
        ok(f"a failing script raises {type(error).__name__}: {str(error)[:120]}")

    with section("SKLearn framework estimator"):
        from sagemaker.sklearn import SKLearn

        sklearn = SKLearn(
            entry_point="train.py", source_dir=code, framework_version="1.2-1", py_version="py3", role=ROLE,
            instance_count=1, instance_type="ml.m5.large", hyperparameters={"epochs": 3, "mode": "ok"},
            environment={"GREETING": "hi"}, sagemaker_session=session)
        image = sklearn.training_image_uri()
        assert "sagemaker-scikit-learn:1.2-1-cpu-py3" in image, image
        printed, error = fit(sklearn, inputs)
        assert error is None, f"fit raised {error!r}"
        assert "user-line trained" in printed, printed
        assert "Preparing the sklearn-1.2 environment" in printed, printed
        with tarfile.open(fileobj=io.BytesIO(s3.get_object(
                Bucket=BUCKET, Key=sklearn.model_data.split("/", 3)[3])["Body"].read())) as archive:
            assert any(m.name.endswith("model.json") for m in archive.getmembers()), archive.getnames()
        ok(f"SKLearn.fit completed with {image}, in an environment with scikit-learn 1.2")

    assert_only_loopback()
    ok("no name look-up or connection left loopback")


if __name__ == "__main__":
    run(main)
