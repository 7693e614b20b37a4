"""The SageMaker Python SDK 3.x, unchanged, trains against Osprey: `ModelTrainer.train(wait=True, logs=True)` with the user's
log lines in the SDK's log output, the model artifact's content, a failing script raising `FailedStatusError` with the
failure file's text, IAM answering AccessDenied (the SDK warns and goes on), and nothing outside loopback.

Wired as a user would (CLIENTS.md, "SageMaker Python SDK 3.x"): AWS_ENDPOINT_URL and the key from the harness, the SDK
config file written by `osprey sdk-config` (telemetry off, a default bucket it creates), a role given as a full ARN.
Runs in the 3.x venv (scripts/python-env-sdk3.sh).
"""

import loopback_guard  # noqa: F401  (first: before boto3 or the SDK is imported)

import importlib.metadata
import io
import json
import logging
import os
import re
import subprocess
import tarfile
import time

from e2e import ENDPOINT, SCRATCH, client_error, ok, run, section

BUCKET = "sdk3-train-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
CONFIG = os.path.join(SCRATCH, "sagemaker-config.yaml")
written = subprocess.run(
    [os.environ["OSPREY_BIN"], "sdk-config", "--endpoint", ENDPOINT, "--bucket", BUCKET, "--path", CONFIG],
    capture_output=True, text=True, check=False)
assert written.returncode == 0, f"osprey sdk-config failed: {written.stdout}{written.stderr}"
os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = CONFIG

import boto3  # noqa: E402
from sagemaker.core.helper.session_helper import Session  # noqa: E402
from sagemaker.core.resources import TrainingJob  # noqa: E402
from sagemaker.core.training.configs import Compute, InputData, SourceCode  # noqa: E402
from sagemaker.core.utils.exceptions import FailedStatusError  # noqa: E402
from sagemaker.train import ModelTrainer  # noqa: E402

TRAIN = r'''
import json, os, sys, time
hyperparameters = json.load(open("/opt/ml/input/config/hyperparameters.json"))
print("user-line args", " ".join(sys.argv[1:]))
print("user-line greeting", os.environ.get("GREETING"))
rows = open("/opt/ml/input/data/train/part-1.csv").read().splitlines()
print("user-line rows", len(rows), flush=True)
time.sleep(float(hyperparameters.get("pause", 0)))  # still running at the SDK's first polls: it tails the log over several
print("user-line after the pause", flush=True)
if hyperparameters.get("mode") == "fail":
    print("user-line about to fail", flush=True)
    open("/opt/ml/output/failure", "w").write("bad data: column y is missing")
    sys.exit(3)
import six  # from requirements.txt
with open("/opt/ml/model/model.json", "w") as out:
    json.dump({"job": os.environ["TRAINING_JOB_NAME"], "hyperparameters": hyperparameters, "rows": len(rows),
               "cwd": os.getcwd(), "six": six.__version__, "prefix": sys.prefix}, out)
print("user-line trained", flush=True)
'''


class Captured(logging.Handler):
    """What the SDK logs (where 3.x puts the job's log lines), kept to check."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())

    def text(self):
        return "\n".join(self.messages)


CAPTURED = Captured()


def source_dir():
    folder = os.path.join(SCRATCH, "sdk3-source")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "train.py"), "w") as f:
        f.write(TRAIN)
    with open(os.path.join(folder, "requirements.txt"), "w") as f:
        f.write("six==1.17.0\n")
    return folder


def trainer(session, base, **hyperparameters):
    return ModelTrainer(
        training_image="osprey/python",
        source_code=SourceCode(source_dir=source_dir(), entry_script="train.py", requirements="requirements.txt"),
        hyperparameters=hyperparameters, environment={"GREETING": "hi"},
        compute=Compute(instance_type="ml.m5.large", instance_count=1), role=ROLE, sagemaker_session=session,
        base_job_name=base)


def train(model_trainer, data):
    """Runs train(wait=True, logs=True); returns (what the SDK logged meanwhile, the exception it raised or None)."""
    start = len(CAPTURED.messages)
    try:
        model_trainer.train(input_data_config=[InputData(channel_name="train", data_source=data)], wait=True, logs=True)
        error = None
    except Exception as raised:  # noqa: BLE001 - the caller checks which
        error = raised
    return "\n".join(CAPTURED.messages[start:]), error


def main():
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger().addHandler(CAPTURED)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    version = importlib.metadata.version("sagemaker")
    print(f"sagemaker {version}", flush=True)
    assert int(version.split(".")[0]) >= 3, version
    boto_session = boto3.Session()
    session = Session(boto_session=boto_session)
    assert session.default_bucket() == BUCKET, session.default_bucket()
    s3 = boto_session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="data/train/part-1.csv", Body=b"x,y\n1,2\n3,4\n")
    data = f"s3://{BUCKET}/data/train"

    with section("IAM answers AccessDenied; the SDK warns and goes on"):
        iam = boto_session.client("iam")
        for call in (lambda: iam.get_role(RoleName="Osprey"),
                     lambda: iam.simulate_principal_policy(PolicySourceArn=ROLE, ActionNames=["s3:PutObject"])):
            error = client_error(call)
            assert error.response["Error"]["Code"] == "AccessDenied", error.response
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403, error.response
        ok("iam:GetRole and iam:SimulatePrincipalPolicy answer AccessDenied (403)")

    with section("ModelTrainer.train(wait=True, logs=True) completes with the script's lines in the SDK's log"):
        mark = len(CAPTURED.messages)
        good = trainer(session, "sdk3-good", mode="ok", pause=6)
        started = time.time()
        logged, error = train(good, data)
        took = time.time() - started
        assert error is None, f"train raised {error!r}\n{logged[-3000:]}"
        warned = "\n".join(CAPTURED.messages[mark:])
        assert "Could not verify permissions for role" in warned, "no IAM warning in the SDK's log:\n" + warned[:3000]
        expected = ["user-line args --mode ok --pause 6", "user-line greeting hi", "user-line rows 3",
                    "user-line after the pause", "user-line trained"]
        assert re.findall(r"^user-line[^\n]*", logged, re.M) == expected, f"the SDK's log:\n{logged[-6000:]}"
        assert "Final Resource Status: [bold]Completed" in logged, logged[-2000:]
        job = good._latest_training_job
        ok(f"train() completed {job.training_job_name} in {took:.1f} s; the script's lines are in the SDK's log, each once, "
           "in order, across several polls")

        described = TrainingJob.get(job.training_job_name)  # DescribeTrainingJob through the SDK's response validation
        spec = described.algorithm_specification
        assert spec.container_entrypoint == ["/bin/bash"], spec
        assert "sm_train.sh" in " ".join(spec.container_arguments), spec
        channels = sorted(channel.channel_name for channel in described.input_data_config)
        assert channels == ["code", "sm_drivers", "train"], channels
        assert described.training_job_status == "Completed" and described.resource_config.instance_count == 1, described
        ok(f"TrainingJob.get validates; ContainerEntrypoint {spec.container_entrypoint}, channels {channels}")

        logs = boto_session.client("logs")
        streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                            logStreamNamePrefix=job.training_job_name + "/")["logStreams"]
        assert [s["logStreamName"].rsplit("-", 1)[0] for s in streams] == [job.training_job_name + "/algo-1"], streams
        events = logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=streams[0]["logStreamName"],
                                     startFromHead=True, limit=10000)["events"]
        assert events and all(e["message"].strip() for e in events), [e["message"] for e in events if not e["message"].strip()]
        ok(f"{len(events)} log events in {streams[0]['logStreamName']}, none empty (the SDK's script prints blank lines)")

        model = job.model_artifacts.s3_model_artifacts
        assert model == f"s3://{BUCKET}/sdk3-good/{job.training_job_name}/output/model.tar.gz", model
        body = s3.get_object(Bucket=BUCKET, Key=model.split("/", 3)[3])["Body"].read()
        with tarfile.open(fileobj=io.BytesIO(body)) as archive:
            member = next(m for m in archive.getmembers() if m.name.lstrip("./") == "model.json")
            content = json.loads(archive.extractfile(member).read())
        prefix = content.pop("prefix")
        assert content == {"job": job.training_job_name, "hyperparameters": {"mode": "ok", "pause": "6"}, "rows": 3,
                           "cwd": "/opt/ml/input/data/code", "six": "1.17.0"}, content
        ok(f"{model} holds what the script wrote to the literal /opt/ml/model: {content}")
        # The SDK's script pip-installs requirements.txt into the python3 on PATH: Osprey's cached environment for that
        # file, never the shared base environment of osprey/python.
        assert "/requirements/" in prefix, f"the job ran in {prefix}, not an environment made for its requirements.txt"
        ok(f"SourceCode(requirements='requirements.txt') ran in the cached environment {prefix}")

    with section("a failing script raises FailedStatusError with the failure file's text"):
        bad = trainer(session, "sdk3-bad", mode="fail")
        logged, error = train(bad, data)
        assert isinstance(error, FailedStatusError), f"expected FailedStatusError, got {error!r}"
        assert "bad data: column y is missing" in str(error), str(error)
        assert re.findall(r"^user-line about to fail$", logged, re.M) == ["user-line about to fail"], logged[-4000:]
        ok(f"FailedStatusError: {str(error)[:200]}")

    loopback_guard.assert_only_loopback()
    ok("no name look-up or connection left loopback")


if __name__ == "__main__":
    run(main)
