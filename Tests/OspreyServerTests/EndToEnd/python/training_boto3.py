"""Training jobs through boto3's sagemaker and logs clients, and awscli: the contract, outcomes and bad input."""

import io
import json
import os
import subprocess
import tarfile
import time

import urllib.request

import boto3
from botocore.exceptions import ClientError

from e2e import ENDPOINT, SECRET, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
LOGS = boto3.client("logs")
BUCKET = "training-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"

TRAIN = r'''
import argparse, json, os, sys
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
parser.add_argument("--mode", default="ok")
args = parser.parse_args()
print("epochs", args.epochs)
print("greeting", os.environ.get("GREETING"))
print("hosts", os.environ["SM_HOSTS"], "channels", os.environ["SM_CHANNELS"])
rows = open("/opt/ml/input/data/train/part-1.csv").read().splitlines()
print("rows", len(rows))
config = json.load(open("/opt/ml/input/config/resourceconfig.json"))
print("current_host", config["current_host"])
if args.mode == "fail":
    open("/opt/ml/output/failure", "w").write("bad data: column y is missing")
    sys.exit(3)
if args.mode == "secret":
    print("the token is", os.environ["API_TOKEN"], "and that is all")
    open("/opt/ml/output/failure", "w").write("refused token " + os.environ["API_TOKEN"])
    sys.exit(2)
if args.mode == "requirements":
    import six
    print("six", six.__version__)
if args.mode == "hosts" and os.environ["SM_CURRENT_HOST"] == "algo-2" and os.environ.get("FAIL_HOST_2"):
    sys.exit(7)
for epoch in range(1, 3):
    print(f"epoch={epoch} loss={1.0 / epoch:.3f} accuracy={0.5 + epoch / 10:.2f}")
if args.mode == "sleep":
    import time
    print("sleeping", flush=True)
    time.sleep(60)
os.makedirs(os.environ["SM_MODEL_DIR"], exist_ok=True)
open(os.path.join(os.environ["SM_MODEL_DIR"], "model.json"), "w").write(json.dumps({"epochs": args.epochs, "rows": len(rows)}))
print("")
print("trained", flush=True)
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


def create(name, mode="ok", image="osprey/python", source="code/sourcedir.tar.gz", max_runtime=600, instances=1, **extra):
    request = dict(
        TrainingJobName=name, RoleArn=ROLE,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File", "MetricDefinitions": [
            {"Name": "train:loss", "Regex": "loss=([0-9.]+)"}, {"Name": "train:accuracy", "Regex": "accuracy=([0-9.]+)"}]},
        HyperParameters={"epochs": "3", "mode": json.dumps(mode), "sagemaker_program": '"train.py"',
                         "sagemaker_submit_directory": json.dumps(f"s3://{BUCKET}/{source}")},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/data/", "S3DataDistributionType": "FullyReplicated"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": instances, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": max_runtime}, Environment={"GREETING": "hello"})
    request.update(extra)
    return SM.create_training_job(**request)


def wait(name, timeout=240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = SM.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.25)
    raise AssertionError(f"{name} did not finish in {timeout} s")


def log_lines(name, host=1, hosts=1):
    streams = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=name + "/",
                                        orderBy="LogStreamName")["logStreams"]
    assert len(streams) == hosts, streams
    stream = streams[host - 1]["logStreamName"]
    assert stream.startswith(f"{name}/algo-{host}-"), streams
    events = LOGS.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=stream, startFromHead=True)["events"]
    return [event["message"] for event in events]


def expect_error(code, call):
    try:
        call()
    except ClientError as error:
        assert error.response["Error"]["Code"] == code, error.response
        return error.response["Error"]["Message"]
    raise AssertionError(f"expected {code}")


def main():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="data/part-1.csv", Body=b"x,y\n1,2\n3,4\n")
    S3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=source_tarball({"train.py": TRAIN}))

    create("good-job", Tags=[{"Key": "team", "Value": "ml"}])
    job = wait("good-job")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    transitions = job["SecondaryStatusTransitions"]
    assert [t["Status"] for t in transitions] == ["Starting", "Downloading", "Training", "Uploading", "Completed"], transitions
    assert all(t["StatusMessage"] and t["StartTime"] for t in transitions), transitions
    assert job["ResourceConfig"]["InstanceCount"] == 1 and job["HyperParameters"]["epochs"] == "3", job
    assert job["TrainingTimeInSeconds"] >= 0 and job["BillableTimeInSeconds"] <= job["TrainingTimeInSeconds"], job
    assert "VpcConfig" not in job, job
    ok(f"a script-mode job completed: {[t['Status'] for t in transitions]}")
    lines = log_lines("good-job")
    assert "epochs 3" in lines and "greeting hello" in lines and "rows 3" in lines and "trained" in lines, lines
    assert "current_host algo-1" in lines and "" not in lines, lines
    assert any(line.startswith("hosts [\"algo-1\"] channels [\"train\"]") for line in lines), lines
    ok(f"its {len(lines)} log lines are in CloudWatch Logs, without empty ones")
    artifact = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifact == f"s3://{BUCKET}/output/good-job/output/model.tar.gz", artifact
    body = S3.get_object(Bucket=BUCKET, Key="output/good-job/output/model.tar.gz")["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("model.json"))
        assert json.loads(archive.extractfile(member).read()) == {"epochs": 3, "rows": 3}
    ok("model.tar.gz holds what the job wrote to /opt/ml/model")
    arn = job["TrainingJobArn"]
    assert SM.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    SM.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "dev"}, {"Key": "team", "Value": "research"}])
    SM.delete_tags(ResourceArn=arn, TagKeys=["stage"])
    assert SM.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "research"}]
    expect_error("ResourceNotFound", lambda: SM.list_tags(ResourceArn=arn.replace("good-job", "gone-job")))
    ok("Tags at creation, AddTags, DeleteTags, ListTags by ARN")
    metrics = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
    assert metrics == {"train:loss": 0.5, "train:accuracy": 0.7}, job["FinalMetricDataList"]
    ok(f"MetricDefinitions give FinalMetricDataList {metrics}")

    S3.put_object(Bucket=BUCKET, Key="code/requirements.tar.gz",
                  Body=source_tarball({"train.py": TRAIN, "requirements.txt": "six==1.17.0\n"}))
    create("requirements-job", mode="requirements", source="code/requirements.tar.gz")
    job = wait("requirements-job", timeout=300)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    lines = log_lines("requirements-job")
    assert "six 1.17.0" in lines, lines
    assert any("Successfully installed six" in line or "Using the cached environment" in line for line in lines), lines
    ok("requirements.txt is installed into a cached environment, pip's output in the job's log")

    request = urllib.request.Request(f"{ENDPOINT}/api/v1/secrets/api-token", data=b"s3cr3t-value-42", method="PUT",
                                     headers={"Authorization": f"Bearer {SECRET}"})
    assert urllib.request.urlopen(request).status in (200, 201)
    create("secret-job", mode="secret", Environment={"API_TOKEN": "osprey-secret:api-token"})
    job = wait("secret-job")
    assert job["Environment"] == {"API_TOKEN": "osprey-secret:api-token"}, job["Environment"]
    assert "s3cr3t-value-42" not in job["FailureReason"] and "refused token ****" in job["FailureReason"], job["FailureReason"]
    lines = log_lines("secret-job")
    assert "the token is **** and that is all" in lines and not any("s3cr3t" in line for line in lines), lines
    message = expect_error("ValidationException", lambda: create(
        "secretless-job", Environment={"API_TOKEN": "osprey-secret:no-such-secret"}))
    assert "no-such-secret" in message, message
    ok("osprey-secret:NAME reaches the process; the value is **** in its log and FailureReason; an unknown secret is refused")

    create("two-hosts", mode="hosts", instances=2)
    job = wait("two-hosts")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    for host in (1, 2):
        lines = log_lines("two-hosts", host=host, hosts=2)
        assert f"current_host algo-{host}" in lines and any('hosts ["algo-1","algo-2"]' in line for line in lines), lines
    create("two-hosts-failing", mode="hosts", instances=2, Environment={"GREETING": "hello", "FAIL_HOST_2": "1"})
    job = wait("two-hosts-failing")
    assert job["TrainingJobStatus"] == "Failed", job
    ok(f"a 2-instance job runs algo-1 and algo-2, one log stream each; when algo-2 fails the job fails: {job['FailureReason'][:60]}")

    S3.put_object(Bucket=BUCKET, Key="listed/part-1.csv", Body=b"a,b\n1,1\n")
    S3.put_object(Bucket=BUCKET, Key="listed/ignored.csv", Body=b"not listed\n")
    S3.put_object(Bucket=BUCKET, Key="manifests/train.json",
                  Body=json.dumps([{"prefix": f"s3://{BUCKET}/listed/"}, "part-1.csv"]).encode())
    create("manifest-job", InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
        "S3DataType": "ManifestFile", "S3Uri": f"s3://{BUCKET}/manifests/train.json"}}}])
    job = wait("manifest-job")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert "rows 2" in log_lines("manifest-job"), log_lines("manifest-job")
    ok("a ManifestFile channel gets exactly the keys its manifest lists")

    create("failing-job", mode="fail")
    job = wait("failing-job")
    assert job["TrainingJobStatus"] == "Failed", job
    assert "bad data: column y is missing" in job["FailureReason"], job["FailureReason"]
    ok(f"a failing job: {job['FailureReason']}")

    create("stopped-job", mode="sleep")
    deadline = time.time() + 60
    while "sleeping" not in (log_lines("stopped-job") if SM.describe_training_job(TrainingJobName="stopped-job")["SecondaryStatus"] == "Training" else []):
        assert time.time() < deadline, "the sleeping job never started"
        time.sleep(0.25)
    SM.stop_training_job(TrainingJobName="stopped-job")
    assert SM.describe_training_job(TrainingJobName="stopped-job")["TrainingJobStatus"] in ("Stopping", "Stopped")
    job = wait("stopped-job")
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "Stopped", job
    expect_error("ValidationException", lambda: SM.stop_training_job(TrainingJobName="stopped-job"))
    ok("StopTrainingJob stops a running job; stopping it again is a ValidationException")

    create("slow-job", mode="sleep", max_runtime=2)
    job = wait("slow-job")
    assert job["TrainingJobStatus"] == "Stopped" and job["SecondaryStatus"] == "MaxRuntimeExceeded", job
    ok("MaxRuntimeInSeconds stops a job: Stopped/MaxRuntimeExceeded")

    S3.put_object(Bucket=BUCKET, Key="code/evil.tar.gz", Body=source_tarball({"../escape.py": "print(1)", "train.py": TRAIN}))
    create("evil-job", source="code/evil.tar.gz")
    job = wait("evil-job")
    assert job["TrainingJobStatus"] == "Failed" and "../escape.py" in job["FailureReason"], job
    ok(f"a tarball with ../ fails the job naming the entry: {job['FailureReason']}")

    message = expect_error("ValidationException", lambda: create("bad_name"))
    assert "trainingJobName" in message, message
    expect_error("ResourceInUse", lambda: create("good-job"))
    message = expect_error("ValidationException", lambda: create("image-job", image="123.dkr.ecr.us-east-1.amazonaws.com/x:1"))
    assert "osprey/python" in message, message
    message = expect_error("ValidationException", lambda: create("uri-job", OutputDataConfig={"S3OutputPath": "http://nope"}))
    assert "s3OutputPath" in message, message
    message = expect_error("ValidationException", lambda: create(
        "env-job", Environment={f"K{i}": "v" for i in range(101)}))
    expect_error("ValidationException", lambda: SM.create_training_job(
        TrainingJobName="missing-job", RoleArn=ROLE, OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/o"}))
    expect_error("ResourceNotFound", lambda: SM.describe_training_job(TrainingJobName="no-such-job"))
    names = [j["TrainingJobName"] for j in SM.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]]
    for name in ("bad_name", "image-job", "uri-job", "env-job", "missing-job"):
        assert name not in names, names
    ok("bad input: invalid and duplicate names, unknown image, bad S3 URI, 101 env vars, missing fields — nothing created")

    page = SM.list_training_jobs(StatusEquals="Completed")["TrainingJobSummaries"]
    assert sorted(j["TrainingJobName"] for j in page) == ["good-job", "manifest-job", "requirements-job", "two-hosts"], page
    page = SM.list_training_jobs(NameContains="JOB", SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert [j["TrainingJobName"] for j in page["TrainingJobSummaries"]] == ["evil-job", "failing-job"], page
    assert "NextToken" in page
    rest = SM.list_training_jobs(NameContains="JOB", SortBy="Name", SortOrder="Ascending", MaxResults=2, NextToken=page["NextToken"])
    assert [j["TrainingJobName"] for j in rest["TrainingJobSummaries"]] == ["good-job", "manifest-job"], rest
    ok("ListTrainingJobs filters, sorts and pages")

    listed = json.loads(subprocess.run(["aws", "sagemaker", "list-training-jobs", "--status-equals", "Failed"],
                                       check=True, capture_output=True, text=True).stdout)
    assert sorted(j["TrainingJobName"] for j in listed["TrainingJobSummaries"]) == ["evil-job", "failing-job", "secret-job", "two-hosts-failing"], listed
    stream = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix="good-job/")["logStreams"][0]
    events = json.loads(subprocess.run(["aws", "logs", "get-log-events", "--log-group-name", "/aws/sagemaker/TrainingJobs",
                                        "--log-stream-name", stream["logStreamName"], "--start-from-head"],
                                       check=True, capture_output=True, text=True).stdout)
    assert any(e["message"] == "trained" for e in events["events"]), events
    ok("awscli: aws sagemaker list-training-jobs, aws logs get-log-events")


if __name__ == "__main__":
    run(main)
