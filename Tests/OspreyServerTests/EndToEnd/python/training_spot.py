"""Managed spot training (checkpoints, interruptions, MaxWait), the capacity queue and the channel cache, through boto3.

The server runs with OSPREY_SPOT_RESTART_DELAY=1.5 and OSPREY_TRAINING_SLOTS=ml.c5.xlarge=1 (see EndToEndTrainingTests).
"""

import io
import json
import os
import subprocess
import tarfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

from e2e import ENDPOINT, SECRET, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
LOGS = boto3.client("logs")
BUCKET = "spot-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"

TRAIN = r'''
import json, os, sys, time
mode = sys.argv[sys.argv.index("--mode") + 1].strip('"') if "--mode" in sys.argv else "spot"
if mode == "links":
    data = "/opt/ml/input/data/train/rows.csv"
    print("links", os.stat(data).st_nlink, "rows", len(open(data).read().splitlines()), flush=True)
    sys.exit(0)
if mode == "sleep":
    print("sleeping", flush=True)
    time.sleep(float(os.environ.get("SLEEP", "3")))
    sys.exit(0)
checkpoint = "/opt/ml/checkpoints/state.json"
state = json.load(open(checkpoint)) if os.path.exists(checkpoint) else {"step": 0, "starts": 0}
state["starts"] += 1
print(f"resumed at step {state['step']} (start {state['starts']})", flush=True)
while state["step"] < int(os.environ.get("STEPS", "40")):
    state["step"] += 1
    with open(checkpoint + ".tmp", "w") as out:
        json.dump(state, out)
    os.replace(checkpoint + ".tmp", checkpoint)
    print(f"step {state['step']}", flush=True)
    time.sleep(0.1)
json.dump(state, open("/opt/ml/model/state.json", "w"))
print("done", flush=True)
'''


def source_tarball(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create(name, mode="spot", spot=True, instance_type="ml.m5.large", instances=1, max_runtime=600, max_wait=900, env=None, **extra):
    request = dict(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": "osprey/python", "TrainingInputMode": "File"},
        HyperParameters={"mode": json.dumps(mode), "sagemaker_program": '"train.py"',
                         "sagemaker_submit_directory": json.dumps(f"s3://{BUCKET}/code/sourcedir.tar.gz")},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": instance_type, "InstanceCount": instances, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime}, Environment=env or {})
    if spot:
        request["EnableManagedSpotTraining"] = True
        if max_wait is not None:
            request["StoppingCondition"]["MaxWaitTimeInSeconds"] = max_wait
        request["CheckpointConfig"] = {"S3Uri": f"s3://{BUCKET}/checkpoints/{name}"}
    request.update(extra)
    return SM.create_training_job(**request)


def describe(name):
    return SM.describe_training_job(TrainingJobName=name)


def wait(name, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = describe(name)
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{name} did not finish in {timeout} s")


def log_lines(name):
    streams = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=name + "/")["logStreams"]
    if not streams:
        return []
    events = LOGS.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=streams[0]["logStreamName"],
                                 startFromHead=True)["events"]
    return [event["message"] for event in events]


def wait_for_line(name, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = log_lines(name)
        if any(predicate(line) for line in lines):
            return lines
        time.sleep(0.2)
    raise AssertionError(f"{name} never logged the expected line: {log_lines(name)[-5:]}")


def interrupt_with_cli(name):
    environment = dict(os.environ, OSPREY_ENDPOINT=ENDPOINT)
    result = subprocess.run([os.environ["OSPREY_BIN"], "jobs", "interrupt", name], capture_output=True, text=True, env=environment)
    assert result.returncode == 0, result.stderr
    assert f"interrupted {name}" in result.stdout, result.stdout


def interrupt_with_api(name):
    request = urllib.request.Request(f"{ENDPOINT}/api/v1/training-jobs/{name}/interrupt", data=b"", method="POST",
                                     headers={"Authorization": f"Bearer {SECRET}"})
    try:
        return urllib.request.urlopen(request).status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def expect_error(code, call):
    try:
        call()
    except ClientError as error:
        assert error.response["Error"]["Code"] == code, error.response
        return error.response["Error"]["Message"]
    raise AssertionError(f"expected {code}")


def statuses(job):
    return [t["Status"] for t in job["SecondaryStatusTransitions"]]


def main():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="data/rows.csv", Body=b"x,y\n1,2\n3,4\n")
    S3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=source_tarball({"train.py": TRAIN}))

    # A spot job interrupted twice resumes from its checkpoint each time.
    create("spot-job")
    wait_for_line("spot-job", lambda line: line == "step 5")
    interrupt_with_cli("spot-job")
    wait_for_line("spot-job", lambda line: line.endswith("(start 2)"))
    wait_for_line("spot-job", lambda line: line.startswith("step ") and int(line.split()[1]) >= 15)
    status, body = interrupt_with_api("spot-job")
    assert status == 202, (status, body)
    job = wait("spot-job")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert statuses(job) == ["Starting", "Downloading", "Training", "Interrupted", "Restarting", "Training", "Interrupted",
                             "Restarting", "Training", "Uploading", "Completed"], statuses(job)
    lines = log_lines("spot-job")
    resumed = [line for line in lines if line.startswith("resumed at step")]
    assert len(resumed) == 3 and resumed[0] == "resumed at step 0 (start 1)", resumed
    assert all(int(line.split()[3]) >= 5 for line in resumed[1:]), resumed
    assert job["BillableTimeInSeconds"] < job["TrainingTimeInSeconds"], (job["BillableTimeInSeconds"], job["TrainingTimeInSeconds"])
    body = S3.get_object(Bucket=BUCKET, Key="output/spot-job/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        state = json.loads(archive.extractfile(next(m for m in archive.getmembers() if m.name.endswith("state.json"))).read())
    assert state == {"step": 40, "starts": 3}, state
    synced = json.loads(S3.get_object(Bucket=BUCKET, Key="checkpoints/spot-job/state.json")["Body"].read())
    assert synced["step"] == 40, synced
    ok(f"a spot job interrupted twice resumed from its checkpoint ({resumed}); billable {job['BillableTimeInSeconds']} s "
       f"< training {job['TrainingTimeInSeconds']} s; the checkpoint is in S3")

    # MaxWaitTimeInSeconds counts the time spent waiting for capacity.
    create("spot-wait", max_runtime=5, max_wait=5, env={"STEPS": "1000"})
    wait_for_line("spot-wait", lambda line: line == "step 3")
    interrupt_with_cli("spot-wait")
    job = wait("spot-wait")
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "MaxWaitTimeExceeded", (job["TrainingJobStatus"], statuses(job))
    assert job["BillableTimeInSeconds"] <= job["TrainingTimeInSeconds"]
    ok(f"MaxWaitTimeInSeconds stops an interrupted spot job: {statuses(job)}")

    # Bad spot input.
    message = expect_error("ValidationException", lambda: create("no-wait", max_wait=None))
    assert "MaxWaitTimeInSeconds" in message, message
    message = expect_error("ValidationException", lambda: create("short-wait", max_runtime=60, max_wait=30))
    assert "greater than or equal to MaxRuntimeInSeconds" in message, message
    message = expect_error("ValidationException", lambda: create(
        "wait-not-spot", spot=False, StoppingCondition={"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 60}))
    assert "only supported when EnableManagedSpotTraining" in message, message
    message = expect_error("ValidationException", lambda: create(
        "bad-local-path", CheckpointConfig={"S3Uri": f"s3://{BUCKET}/c", "LocalPath": "/etc/checkpoints"}))
    assert "LocalPath" in message, message
    create("on-demand", mode="sleep", spot=False, env={"SLEEP": "1"})
    wait_for_line("on-demand", lambda line: line == "sleeping")
    status, body = interrupt_with_api("on-demand")
    assert status == 400 and "not a managed spot" in body, (status, body)
    status, body = interrupt_with_api("no-such-job")
    assert status == 404, (status, body)
    names = [j["TrainingJobName"] for j in SM.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]]
    assert not {"no-wait", "short-wait", "wait-not-spot", "bad-local-path"} & set(names), names
    ok("bad spot input (no MaxWait, MaxWait < MaxRuntime, MaxWait without spot, LocalPath outside /opt/ml, interrupting a "
       "job that is not spot or does not exist): precise errors, nothing created")

    # The capacity queue: one ml.c5.xlarge slot; the second job waits in Starting and says why.
    create("first-in-line", mode="sleep", spot=False, instance_type="ml.c5.xlarge", env={"SLEEP": "3"})
    wait_for_line("first-in-line", lambda line: line == "sleeping")
    create("second-in-line", mode="sleep", spot=False, instance_type="ml.c5.xlarge", env={"SLEEP": "0"})
    create("third-in-line", mode="sleep", spot=False, instance_type="ml.c5.xlarge", env={"SLEEP": "0"})
    time.sleep(0.5)
    waiting = describe("second-in-line")
    assert waiting["SecondaryStatus"] == "Starting", statuses(waiting)
    message = waiting["SecondaryStatusTransitions"][0]["StatusMessage"]
    assert message.startswith("Waiting for capacity: 1 of 1 ml.c5.xlarge"), message
    SM.stop_training_job(TrainingJobName="third-in-line")
    stopped = wait("third-in-line", timeout=10)
    assert stopped["TrainingJobStatus"] == "Stopped" and "TrainingStartTime" not in stopped, stopped
    assert wait("first-in-line")["TrainingJobStatus"] == "Completed"
    job = wait("second-in-line")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert job["TrainingStartTime"] >= describe("first-in-line")["TrainingEndTime"], job
    message = expect_error("ResourceLimitExceeded", lambda: create("too-big", spot=False, instance_type="ml.c5.xlarge", instances=2))
    assert "ml.c5.xlarge" in message and "1 Instances" in message, message
    ok(f"jobs beyond capacity wait in Starting ({message[:60]}...), a waiting job stops at once, more instances than "
       "the machine has is ResourceLimitExceeded")

    # The channel cache: the second job's channel file is the same inode as the first's, not a second copy.
    create("links-1", mode="links", spot=False)
    first = wait("links-1")
    create("links-2", mode="links", spot=False)
    second = wait("links-2")
    assert first["TrainingJobStatus"] == second["TrainingJobStatus"] == "Completed", (first.get("FailureReason"), second.get("FailureReason"))
    links = [next(line for line in log_lines(name) if line.startswith("links ")) for name in ("links-1", "links-2")]
    counts = [int(line.split()[1]) for line in links]
    assert counts[0] >= 2 and counts[1] == counts[0] + 1 and all(line.endswith("rows 3") for line in links), links
    ok(f"an unchanged channel object is linked from the cache, not copied again ({links})")


run(main)
