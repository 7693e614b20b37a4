"""Training-job start latency and throughput against the floor Python itself imposes, measured in the same run.

    python Benchmarks/training_start.py --endpoint http://127.0.0.1:PORT --jobs 50 --burst 100

1. Latency: for each of --jobs sequential jobs (after one warm-up job that makes the environment), the time from the
   CreateTrainingJob response to the first line of user code (the script prints time.time() first thing).
2. The floor: the same interpreter (the environment's venv python) spawned directly, spawn → its first printed line.
3. Throughput: --burst trivial jobs submitted at once from 16 threads; jobs/minute until all are terminal; lost/stuck jobs;
   the scheduler's overhead per job from each job's transitions: from getting capacity (Downloading starts) to Completed,
   minus the time its process ran (TrainingStartTime → TrainingEndTime); and how long jobs queued for capacity.
Keys come from OSPREY_ROOT_ACCESS_KEY_ID / OSPREY_ROOT_SECRET_ACCESS_KEY. Nothing is asserted.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--jobs", type=int, default=50)
parser.add_argument("--burst", type=int, default=200)
parser.add_argument("--python", default=os.path.expanduser("~/.cache/osprey/environments/python/bin/python"))
args = parser.parse_args()

session = dict(endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id=os.environ["OSPREY_ROOT_ACCESS_KEY_ID"],
               aws_secret_access_key=os.environ["OSPREY_ROOT_SECRET_ACCESS_KEY"],
               config=Config(max_pool_connections=32, retries={"max_attempts": 1}))
SM, S3, LOGS = (boto3.client(name, **session) for name in ("sagemaker", "s3", "logs"))
BUCKET = f"bench-training-{int(time.time())}"
SCRIPT = "import time\nprint(f'start {time.time():.6f}', flush=True)\n"


def create(name):
    SM.create_training_job(
        TrainingJobName=name, RoleArn="arn:aws:iam::000000000000:role/bench",
        AlgorithmSpecification={"TrainingImage": "osprey/python", "TrainingInputMode": "File"},
        HyperParameters={"sagemaker_program": "train.py", "sagemaker_submit_directory": f"s3://{BUCKET}/code/sourcedir.tar.gz"},
        OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/output"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1})
    return time.time()


def first_line_time(name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        streams = LOGS.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=name + "/")["logStreams"]
        if streams:
            events = LOGS.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs", logStreamName=streams[0]["logStreamName"],
                                         startFromHead=True)["events"]
            for event in events:
                if event["message"].startswith("start "):
                    return float(event["message"].split()[1])
        time.sleep(0.02)
    raise RuntimeError(f"{name} printed nothing in {timeout} s")


def wait(name, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = SM.describe_training_job(TrainingJobName=name)["TrainingJobStatus"]
        if status in ("Completed", "Failed", "Stopped"):
            return status
        time.sleep(0.1)
    return "Stuck"


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    S3.create_bucket(Bucket=BUCKET)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(SCRIPT)
        archive.addfile(info, io.BytesIO(SCRIPT.encode()))
    S3.put_object(Bucket=BUCKET, Key="code/sourcedir.tar.gz", Body=buffer.getvalue())

    create("warm-up")
    print(f"warm-up job (makes the environment if missing): {wait('warm-up')}")
    latencies = []
    for index in range(args.jobs):
        name = f"start-{index}"
        answered = create(name)
        latencies.append((first_line_time(name) - answered) * 1000)
        wait(name)
    print(f"job start, CreateTrainingJob response -> first line of user code, {args.jobs} jobs: "
          f"p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, min {min(latencies):.1f} ms")

    floor = []
    for _ in range(20):
        spawned = time.time()
        printed = float(subprocess.run([args.python, "-c", "import time; print(time.time())"], capture_output=True, text=True,
                                       check=True).stdout)
        floor.append((printed - spawned) * 1000)
    print(f"floor, the same venv python spawned directly -> its first line, 20 runs: p50 {percentile(floor, 50):.1f} ms, "
          f"p95 {percentile(floor, 95):.1f} ms")
    print(f"ratio job start / python start (p50): {percentile(latencies, 50) / percentile(floor, 50):.2f}x")

    names = [f"burst-{index}" for index in range(args.burst)]
    started = time.time()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, names))
    submitted = time.time() - started
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(wait, names))
    elapsed = time.time() - started
    counts = {status: statuses.count(status) for status in set(statuses)}
    overheads, queued = [], []
    for name in names:
        job = SM.describe_training_job(TrainingJobName=name)
        starts = {t["Status"]: t["StartTime"].timestamp() for t in job["SecondaryStatusTransitions"]}
        if "Downloading" in starts and "TrainingEndTime" in job:
            ran = job["TrainingEndTime"].timestamp() - job["TrainingStartTime"].timestamp()
            overheads.append((job["LastModifiedTime"].timestamp() - starts["Downloading"] - ran) * 1000)
            queued.append(starts["Downloading"] - job["CreationTime"].timestamp())
    print(f"scheduler overhead per job (capacity granted -> Completed, minus the process's own run time), {len(overheads)} jobs: "
          f"p50 {percentile(overheads, 50):.1f} ms, p95 {percentile(overheads, 95):.1f} ms; time queued for capacity: "
          f"p50 {percentile(queued, 50):.1f} s, max {max(queued):.1f} s")
    print(f"burst: {args.burst} jobs submitted in {submitted:.1f} s, all terminal after {elapsed:.1f} s = "
          f"{args.burst / elapsed * 60:.0f} jobs/minute; outcomes {json.dumps(counts)}; scheduler+API time per job "
          f"{elapsed / args.burst * 1000:.0f} ms on 2 cores (each job is a Python process)")


if __name__ == "__main__":
    main()
