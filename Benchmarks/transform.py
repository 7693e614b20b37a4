"""Batch transform throughput against a plain Python loop running the same handlers in one process, in the same run.

    python Benchmarks/transform.py --endpoint http://127.0.0.1:PORT --rows 500000 --rounds 3

The model is a stdlib `inference.py` (10-feature linear model: input_fn parses CSV rows, predict_fn takes dot products,
output_fn writes one number per line). The input is one CSV object of --rows rows.

1. Osprey: CreateTransformJob (SplitType Line, MultiRecord, MaxPayloadInMB 1, AssembleWith Line) on `osprey/python`;
   rows/s from the CreateTransformJob call until DescribeTransformJob says Completed (worker start included), and over
   TransformStartTime → TransformEndTime (the data only).
2. The peer: one Python process (the same interpreter the workers use) imports the same inference.py and runs
   input_fn → predict_fn → output_fn over the same 1 MB batches of the same file read from local disk, writing the output
   to a local file: the best a plain single-process loop does. Also, for information, the same loop one row at a time.
Keys come from OSPREY_ROOT_ACCESS_KEY_ID / OSPREY_ROOT_SECRET_ACCESS_KEY. Nothing is asserted.
"""

import argparse
import importlib.util
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--rows", type=int, default=500_000)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--python", default=os.path.expanduser("~/.cache/osprey/environments/python/bin/python"),
                    help="the interpreter of the osprey/python workers (the peer runs on it too)")
parser.add_argument("--json")
parser.add_argument("--peer-only", help=argparse.SUPPRESS)  # internal: run the loop on this CSV file and print JSON
args = parser.parse_args()

FEATURES = 10
MAX_PAYLOAD = 1 << 20
INFERENCE = r'''
"""A 10-feature linear model over CSV rows; standard library only."""
import json
import os


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)


def input_fn(body, content_type):
    return [[float(v) for v in line.split(",")] for line in body.split("\n") if line]


def predict_fn(rows, model):
    weights, bias = model["weights"], model["bias"]
    return [sum(w * x for w, x in zip(weights, row)) + bias for row in rows]


def output_fn(prediction, accept):
    return "".join("%.6f\n" % y for y in prediction), "text/csv"
'''
MODEL = {"weights": [0.5 * (i + 1) for i in range(FEATURES)], "bias": 0.25}


def batches(lines):
    """The same packing as Osprey's MultiRecord: as many lines as fit in MAX_PAYLOAD, joined by newlines."""
    batch, size = [], 0
    for line in lines:
        grown = len(line) if not batch else size + 1 + len(line)
        if batch and grown > MAX_PAYLOAD:
            yield "\n".join(batch)
            batch, size = [line], len(line)
        else:
            batch.append(line)
            size = grown
    if batch:
        yield "\n".join(batch)


def peer(path):
    folder = tempfile.mkdtemp()
    with open(os.path.join(folder, "inference.py"), "w") as handle:
        handle.write(INFERENCE)
    with open(os.path.join(folder, "model.json"), "w") as handle:
        json.dump(MODEL, handle)
    spec = importlib.util.spec_from_file_location("inference", os.path.join(folder, "inference.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.model_fn(folder)
    results = {}
    for label, per_row in (("batched", False), ("per_row", True)):
        started = time.perf_counter()
        with open(path) as source, open(os.path.join(folder, "out.csv"), "w") as sink:
            lines = source.read().splitlines()
            for body in (lines if per_row else batches(lines)):
                answer, _ = module.output_fn(module.predict_fn(module.input_fn(body, "text/csv"), model), "text/csv")
                sink.write(answer)
        results[label] = len(lines) / (time.perf_counter() - started)
    print(json.dumps(results))


if args.peer_only:
    peer(args.peer_only)
    sys.exit(0)

import boto3  # noqa: E402  (not needed by the peer, whose interpreter may not have it)
from botocore.config import Config  # noqa: E402

session = dict(endpoint_url=args.endpoint, region_name="us-east-1", aws_access_key_id=os.environ["OSPREY_ROOT_ACCESS_KEY_ID"],
               aws_secret_access_key=os.environ["OSPREY_ROOT_SECRET_ACCESS_KEY"], config=Config(retries={"max_attempts": 1}))
SM, S3 = (boto3.client(name, **session) for name in ("sagemaker", "s3"))
BUCKET = f"bench-transform-{int(time.time())}"


def archive():
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("model.json", json.dumps(MODEL).encode()), ("code/inference.py", INFERENCE.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_job(name):
    started = time.time()
    SM.create_transform_job(
        TransformJobName=name, ModelName="bench-model", BatchStrategy="MultiRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/in/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/out/{name}", "AssembleWith": "Line", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    while True:
        described = SM.describe_transform_job(TransformJobName=name)
        if described["TransformJobStatus"] != "InProgress":
            break
        time.sleep(0.05)
    wall = time.time() - started
    assert described["TransformJobStatus"] == "Completed", described
    data = (described["TransformEndTime"] - described["TransformStartTime"]).total_seconds()
    body = S3.get_object(Bucket=BUCKET, Key=f"out/{name}/data.csv.out")["Body"].read()
    assert body.count(b"\n") == args.rows, body.count(b"\n")
    return args.rows / wall, args.rows / data


def main():
    random.seed(7)
    lines = [",".join("%.4f" % random.uniform(-10, 10) for _ in range(FEATURES)) for _ in range(args.rows)]
    text = "\n".join(lines) + "\n"
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="in/data.csv", Body=text.encode())
    S3.put_object(Bucket=BUCKET, Key="model/model.tar.gz", Body=archive())
    SM.create_model(ModelName="bench-model", ExecutionRoleArn="arn:aws:iam::000000000000:role/bench", PrimaryContainer={
        "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/model/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}})
    print(f"transform: {args.rows} rows x {FEATURES} features, {len(text) / 1e6:.1f} MB, {args.rounds} rounds; "
          f"peer interpreter {args.python}", flush=True)
    run_job("bench-warmup")  # makes the osprey/python environment if it is missing
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(text)
    results = {"osprey_wall": [], "osprey_data": [], "peer_batched": [], "peer_per_row": []}
    for round_ in range(args.rounds):
        wall, data = run_job(f"bench-{round_}")
        answer = subprocess.run([args.python, __file__, "--endpoint", args.endpoint, "--peer-only", handle.name],
                                capture_output=True, text=True, check=True)
        loop = json.loads(answer.stdout)
        for key, value in (("osprey_wall", wall), ("osprey_data", data), ("peer_batched", loop["batched"]),
                           ("peer_per_row", loop["per_row"])):
            results[key].append(value)
        print(f"  round {round_ + 1}: osprey {wall:,.0f} rows/s (call to Completed), {data:,.0f} rows/s (start to end); "
              f"one-process loop {loop['batched']:,.0f} rows/s in 1 MB batches, {loop['per_row']:,.0f} rows/s row by row",
              flush=True)
    os.unlink(handle.name)
    median = {key: statistics.median(values) for key, values in results.items()}
    print(f"transform: median osprey {median['osprey_wall']:,.0f} rows/s call→Completed "
          f"({median['osprey_data']:,.0f} rows/s start→end); one-process loop {median['peer_batched']:,.0f} rows/s; "
          f"ratio {median['osprey_wall'] / median['peer_batched']:.2f}x (target >= 0.8x), "
          f"start→end {median['osprey_data'] / median['peer_batched']:.2f}x; "
          f"row-by-row loop {median['peer_per_row']:,.0f} rows/s (info)", flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"rows": args.rows, "features": FEATURES, "rounds": results, "median": median}, out, indent=1)


main()
