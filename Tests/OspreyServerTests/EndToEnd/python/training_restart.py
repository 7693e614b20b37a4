"""A training job across a server kill -9: `start` launches a job that logs and sleeps; after the restart `verify` checks it
is Failed with a reason, its lines written before the kill are in its log exactly once, and its process is gone."""

import io
import json
import os
import sys
import tarfile
import time

import boto3

from e2e import SCRATCH, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
LOGS = boto3.client("logs")
BUCKET = "restart-e2e"
MARKER = os.path.join(SCRATCH, "job-is-running")

TRAIN = r'''
import sys, time
print("before the crash", flush=True)
for i in range(3):
    print(f"line {i}", flush=True)
time.sleep(300)
print("never printed")
'''


def start():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="data/x.csv", Body=b"1\n")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(TRAIN.encode())
        archive.addfile(info, io.BytesIO(TRAIN.encode()))
    S3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=buffer.getvalue())
    SM.create_training_job(
        TrainingJobName="survivor", RoleArn="arn:aws:iam::000000000000:role/Osprey",
        AlgorithmSpecification={"TrainingImage": "osprey/python", "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": '"train.py"', "sagemaker_submit_directory": json.dumps(f"s3://{BUCKET}/code/sourcedir.tar.gz"),
                         "marker": json.dumps(os.path.basename(os.path.dirname(SCRATCH)))},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    deadline = time.time() + 120
    while time.time() < deadline:
        streams = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="survivor/")["logStreams"]
        if streams:
            events = LOGS.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=streams[0]["logStreamName"],
                                         startFromHead=True)["events"]
            if any(e["message"] == "line 2" for e in events):
                assert job_processes(), "the job's process cannot be found by its marker"
                open(MARKER, "w").write("running")
                ok("the job is training and its lines are stored")
                return
        time.sleep(0.2)
    raise AssertionError("the job never logged its lines")


def job_processes():
    mine = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                command = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "train.py" in command and os.path.basename(os.path.dirname(SCRATCH)) in command:
                mine.append(pid)
    return mine


def verify():
    job = SM.describe_training_job(TrainingJobName="survivor")
    assert job["TrainingJobStatus"] == "Failed", job["TrainingJobStatus"]
    assert "restarted" in job["FailureReason"], job["FailureReason"]
    statuses = [t["Status"] for t in job["SecondaryStatusTransitions"]]
    assert statuses == ["Starting", "Downloading", "Training", "Failed"], statuses
    ok(f"after the restart the job is Failed: {job['FailureReason']}")
    assert job_processes() == [], job_processes()
    ok("its process is gone")
    stream = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="survivor/")["logStreams"][0]
    lines = [e["message"] for e in LOGS.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                       logStreamName=stream["logStreamName"], startFromHead=True)["events"]]
    assert lines == ["before the crash", "line 0", "line 1", "line 2"], lines
    ok("the lines it wrote before the kill are in its log exactly once")


if __name__ == "__main__":
    run({"start": start, "verify": verify}[sys.argv[1]])
