"""Batch transform end to end through boto3 against the real server (and the `osprey transform` CLI).

A stdlib-only `inference.py` (model.json + code/ in a model.tar.gz, image `osprey/python`) answers each CSV line
`id,a,b` with `y,n,sha`: y = w.(a, b) + bias, n the number of lines in the body its input_fn got, and sha the first 12 hex
digits of that body's SHA-1, so the scenario can tell exactly which records reached input_fn together and how.

Sections: SplitType Line + MultiRecord (bodies are the records joined by newlines, outputs line up with inputs,
`{S3OutputPath}/{key relative to the prefix}.out` keys), SingleRecord, JoinSource Input with Input/OutputFilters (CSV and
JSON Lines), ManifestFile input, an inference pipeline, a failing record, StopTransformJob, an empty prefix, bad input (each precise, nothing
created), listing, and the CLI.

`python transform_boto3.py start|verify` instead runs the restart scenario (a job interrupted by kill -9 runs again).
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e import ENDPOINT, REGION, expect_error, ok, run, section

ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
BUCKET = "transform-e2e"
NO_RETRIES = {"max_attempts": 1, "mode": "standard"}
WEIGHTS, BIAS = [2.0, 5.0], 0.25

INFERENCE = r'''
"""y = weights . (a, b) + bias per CSV line `id,a,b` (or JSON list [a, b]); standard library only."""
import hashlib
import json
import os
import time


def model_fn(model_dir):
    with open(os.path.join(model_dir, "model.json")) as handle:
        return json.load(handle)


def input_fn(body, content_type):
    if isinstance(body, bytes):  # application/jsonlines arrives as bytes, as the toolkit passes it
        body = body.decode("utf-8")
    sha = hashlib.sha1(body.encode("utf-8")).hexdigest()[:12]
    lines = body.split("\n")
    if "json" in content_type:
        return {"rows": [json.loads(line) for line in lines], "sha": sha, "json": True}
    return {"rows": [line.split(",") for line in lines], "sha": sha, "json": False}


def predict_fn(data, model):
    out = []
    for row in data["rows"]:
        if not data["json"] and row[0] == "fail":
            raise ValueError("record rejected: %s" % ",".join(row))
        if not data["json"] and row[0] == "sleep":
            time.sleep(float(row[1]))
        numeric = data["json"] or row[0].replace(".", "", 1).replace("-", "", 1).isdigit()
        values = [float(v) for v in (row if numeric else row[1:])]
        if os.environ.get("STAGE") == "pre":
            out.append(",".join([row[0]] + [repr(v * model["scale"]) for v in values]))
            continue
        y = sum(w * v for w, v in zip(model["weights"], values)) + model["bias"]
        out.append((y, len(data["rows"]), data["sha"]))
    return out


def output_fn(prediction, accept):
    if os.environ.get("STAGE") == "pre":
        return "\n".join(prediction), "text/csv"
    if "json" in accept:
        items = [{"y": y, "n": n} for y, n, _ in prediction]
        return json.dumps(items[0] if len(items) == 1 else items), accept
    return "".join("%r,%d,%s\n" % p for p in prediction), "text/csv"
'''

SM = boto3.client("sagemaker", config=Config(retries=NO_RETRIES))
S3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))


def model_archive(model):
    files = {"model.json": json.dumps(model).encode(), "code/inference.py": INFERENCE.encode()}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create_model(name, key, model, **environment):
    S3.put_object(Bucket=BUCKET, Key=key, Body=model_archive(model))
    return container(f"s3://{BUCKET}/{key}", **environment)


def container(url, **environment):
    return {"Image": "osprey/python", "ModelDataUrl": url,
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", **environment}}


def expected_y(a, b):
    return WEIGHTS[0] * a + WEIGHTS[1] * b + BIAS


def csv_rows(count, start=0):
    return [f"id{i},{i % 97},{(i * 7) % 13}" for i in range(start, start + count)]


def put_lines(key, lines):
    S3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode())


def request(name, model, input_uri, output_uri, split="Line", strategy="MultiRecord", content_type="text/csv", **extra):
    transform_input = {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}}, "ContentType": content_type,
                       "SplitType": split}
    return {"TransformJobName": name, "ModelName": model, "BatchStrategy": strategy, "TransformInput": transform_input,
            "TransformOutput": {"S3OutputPath": output_uri, "AssembleWith": "Line", "Accept": "text/csv"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}, **extra}


def wait_job(name, timeout=240):
    started, seen = time.time(), []
    while True:
        described = SM.describe_transform_job(TransformJobName=name)
        status = described["TransformJobStatus"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("Completed", "Failed", "Stopped"):
            return described, seen
        assert time.time() - started < timeout, f"{name} still {status} after {timeout} s"
        time.sleep(0.2)


def output_lines(key):
    return S3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().split("\n")


def keys(prefix):
    return sorted(o["Key"] for o in S3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def check_answers(inputs, answers):
    """Each answer line `y,n,sha` lines up with its input `id,a,b`; consecutive runs of one sha are one input_fn body, which
    must be exactly those records joined by newlines. Returns the body sizes (records per request)."""
    assert answers[-1] == "", answers[-3:]
    answers = answers[:-1]
    assert len(answers) == len(inputs), (len(answers), len(inputs))
    sizes, index = [], 0
    while index < len(answers):
        y, n, sha = answers[index].split(",")
        n = int(n)
        group = inputs[index:index + n]
        body = "\n".join(group)
        assert hashlib.sha1(body.encode()).hexdigest()[:12] == sha, f"records {index + 1}-{index + n} did not reach input_fn as one body"
        for offset, line in enumerate(group):
            got_y, got_n, got_sha = answers[index + offset].split(",")
            _, a, b = line.split(",")
            assert float(got_y) == expected_y(float(a), float(b)) and int(got_n) == n and got_sha == sha, (line, answers[index + offset])
        sizes.append(n)
        index += n
    return sizes


def all_jobs():
    return [j["TransformJobName"] for j in SM.list_transform_jobs(MaxResults=100)["TransformJobSummaries"]]


def not_created(name, before):
    if name != "bad_name!":  # an invalid name cannot even be described
        expect_error("ResourceNotFound", 400, SM.describe_transform_job, TransformJobName=name)
    assert all_jobs() == before, (name, all_jobs(), before)


def setup():
    S3.create_bucket(Bucket=BUCKET)
    SM.create_model(ModelName="tx-model", ExecutionRoleArn=ROLE,
                    PrimaryContainer=create_model("tx-model", "models/main/model.tar.gz", {"weights": WEIGHTS, "bias": BIAS}))


def main():
    setup()
    big = csv_rows(100000)  # ~1.4 MB: two requests at MaxPayloadInMB 1
    small = csv_rows(50, start=100000)
    put_lines("in/csv/part-1.csv", big)
    put_lines("in/csv/sub/part-2.csv", small)

    with section("SplitType Line, MultiRecord: bodies are the records joined by newlines; outputs line up"):
        given = request("tx-multi", "tx-model", f"s3://{BUCKET}/in/csv/", f"s3://{BUCKET}/out/multi", MaxPayloadInMB=1,
                        Environment={"GREETING": "hi"})
        arn = SM.create_transform_job(**given)["TransformJobArn"]
        assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/tx-multi", arn
        first = SM.describe_transform_job(TransformJobName="tx-multi")
        assert first["TransformJobStatus"] == "InProgress", first["TransformJobStatus"]
        described, seen = wait_job("tx-multi")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert seen[0] == "InProgress", seen
        for member in ("TransformInput", "TransformOutput", "TransformResources", "BatchStrategy", "MaxPayloadInMB", "Environment"):
            assert described[member] == given[member], (member, described[member], given[member])
        assert described["ModelName"] == "tx-model" and "DataProcessing" not in described and "FailureReason" not in described, described
        assert described["CreationTime"] <= described["TransformStartTime"] <= described["TransformEndTime"], described
        assert keys("out/multi") == ["out/multi/part-1.csv.out", "out/multi/sub/part-2.csv.out"], keys("out/multi")
        sizes = check_answers(big, output_lines("out/multi/part-1.csv.out"))
        assert len(sizes) >= 2 and all(n > 1 for n in sizes), sizes
        assert all(len("\n".join(big[:n]).encode()) <= 1 << 20 for n in sizes), sizes
        assert check_answers(small, output_lines("out/multi/sub/part-2.csv.out")) == [50]
        ok(f"100,050 CSV records in 2 objects: requests of {sizes} and [50] records, each body the records joined by newlines; "
           "outputs line up; keys out/multi/part-1.csv.out and out/multi/sub/part-2.csv.out; Describe echoes the request")

    with section("SingleRecord"):
        SM.create_transform_job(**request("tx-single", "tx-model", f"s3://{BUCKET}/in/csv/sub/", f"s3://{BUCKET}/out/single/",
                                          strategy="SingleRecord"))
        described, _ = wait_job("tx-single")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert check_answers(small, output_lines("out/single/part-2.csv.out")) == [1] * 50
        ok("SingleRecord: 50 requests of one record each; out/single/part-2.csv.out lines up")

    with section("S3DataType ManifestFile"):
        manifest = [{"prefix": f"s3://{BUCKET}/in/csv/"}, "sub/part-2.csv"]
        S3.put_object(Bucket=BUCKET, Key="manifests/one.json", Body=json.dumps(manifest).encode())
        given = request("tx-manifest", "tx-model", f"s3://{BUCKET}/manifests/one.json", f"s3://{BUCKET}/out/manifest")
        given["TransformInput"]["DataSource"]["S3DataSource"]["S3DataType"] = "ManifestFile"
        SM.create_transform_job(**given)
        described, _ = wait_job("tx-manifest")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert keys("out/manifest") == ["out/manifest/sub/part-2.csv.out"], keys("out/manifest")
        assert check_answers(small, output_lines("out/manifest/sub/part-2.csv.out")) == [50]
        ok("a manifest listing sub/part-2.csv under in/csv/: only that object, output at out/manifest/sub/part-2.csv.out")

    with section("JoinSource Input with an InputFilter and an OutputFilter"):
        put_lines("in/join/rows.csv", small)
        given = request("tx-join", "tx-model", f"s3://{BUCKET}/in/join/", f"s3://{BUCKET}/out/join",
                        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,3]"})
        SM.create_transform_job(**given)
        described, _ = wait_job("tx-join")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        assert described["DataProcessing"] == given["DataProcessing"], described["DataProcessing"]
        lines = output_lines("out/join/rows.csv.out")[:-1]
        want = [f"{row.split(',')[0]},{expected_y(float(row.split(',')[1]), float(row.split(',')[2]))!r}" for row in small]
        assert lines == want, (lines[:3], want[:3])
        ok(f"InputFilter $[1:] dropped the id, JoinSource Input put it back, OutputFilter $[0,3] kept id and y: {lines[0]!r}")

        records = [{"id": f"r{i}", "x": [i, i + 1]} for i in range(20)]
        put_lines("in/jsonl/rows.jsonl", [json.dumps(r) for r in records])
        given = request("tx-join-json", "tx-model", f"s3://{BUCKET}/in/jsonl/", f"s3://{BUCKET}/out/jsonl",
                        content_type="application/jsonlines",
                        DataProcessing={"InputFilter": "$.x", "JoinSource": "Input", "OutputFilter": "$['id','SageMakerOutput']"})
        given["TransformOutput"]["Accept"] = "application/json"
        SM.create_transform_job(**given)
        described, _ = wait_job("tx-join-json")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        got = [json.loads(line) for line in output_lines("out/jsonl/rows.jsonl.out")[:-1]]
        want = [{"id": r["id"], "SageMakerOutput": {"y": expected_y(*r["x"]), "n": 20}} for r in records]
        assert got == want, (got[:2], want[:2])
        ok(f"JSON Lines: InputFilter $.x, the answer under SageMakerOutput, OutputFilter $['id','SageMakerOutput']: {got[0]}")

    with section("an inference pipeline passes each answer to the next container"):
        pre = create_model("tx-pre", "models/pre/model.tar.gz", {"scale": 10}, STAGE="pre")
        main = create_model("tx-main", "models/main/model.tar.gz", {"weights": WEIGHTS, "bias": BIAS})
        SM.create_model(ModelName="tx-pipeline", ExecutionRoleArn=ROLE, Containers=[pre, main])
        SM.create_transform_job(**request("tx-pipe", "tx-pipeline", f"s3://{BUCKET}/in/join/", f"s3://{BUCKET}/out/pipe"))
        described, _ = wait_job("tx-pipe")
        assert described["TransformJobStatus"] == "Completed", described.get("FailureReason")
        lines = output_lines("out/pipe/rows.csv.out")[:-1]
        ys = [float(line.split(",")[0]) for line in lines]
        want = [expected_y(10 * float(r.split(",")[1]), 10 * float(r.split(",")[2])) for r in small]
        assert ys == want, (ys[:3], want[:3])
        ok("two containers: the first scaled each record by 10, the second predicted on its answer")

    with section("a failing record fails the job with the object and the model's error"):
        rows = csv_rows(10)
        rows[6] = "fail,1,2"
        put_lines("in/fail/data.csv", rows)
        SM.create_transform_job(**request("tx-fail", "tx-model", f"s3://{BUCKET}/in/fail/", f"s3://{BUCKET}/out/fail",
                                          strategy="SingleRecord"))
        described, seen = wait_job("tx-fail")
        reason = described.get("FailureReason", "")
        assert described["TransformJobStatus"] == "Failed" and seen[-1] == "Failed", seen
        for part in (f"s3://{BUCKET}/in/fail/data.csv", "record 7", "500", "record rejected: fail,1,2"):
            assert part in reason, (part, reason)
        assert keys("out/fail") == [], keys("out/fail")
        assert "TransformEndTime" in described, described
        ok(f"Failed: {reason!r}; no partial .out written")
        logs = boto3.client("logs")
        streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs", logStreamNamePrefix="tx-fail/")
        names = [stream["logStreamName"] for stream in streams["logStreams"]]
        assert names, streams
        events = logs.filter_log_events(logGroupName="/aws/sagemaker/TransformJobs", logStreamNames=names)["events"]
        assert any("record rejected: fail,1,2" in event["message"] for event in events), events[-5:]
        ok(f"the workers' output (the model's traceback) is in /aws/sagemaker/TransformJobs, streams {names}")

    with section("StopTransformJob"):
        put_lines("in/slow/data.csv", [f"sleep,0.3,{i}" for i in range(60)])
        SM.create_transform_job(**request("tx-stop", "tx-model", f"s3://{BUCKET}/in/slow/", f"s3://{BUCKET}/out/slow",
                                          strategy="SingleRecord", MaxConcurrentTransforms=1))
        deadline = time.time() + 120
        while "TransformStartTime" not in SM.describe_transform_job(TransformJobName="tx-stop"):
            assert time.time() < deadline, "tx-stop never started"
            time.sleep(0.1)
        time.sleep(1)
        SM.stop_transform_job(TransformJobName="tx-stop")
        status = SM.describe_transform_job(TransformJobName="tx-stop")["TransformJobStatus"]
        assert status in ("Stopping", "Stopped"), status
        described, seen = wait_job("tx-stop", timeout=60)
        assert described["TransformJobStatus"] == "Stopped", seen
        assert keys("out/slow") == [], keys("out/slow")
        error = expect_error("ValidationException", 400, SM.stop_transform_job, TransformJobName="tx-stop")
        assert "is in status Stopped" in str(error), str(error)
        ok(f"StopTransformJob: {status} right after, then Stopped; stopping it again is a ValidationException")

    with section("an empty input prefix fails the job"):
        SM.create_transform_job(**request("tx-empty", "tx-model", f"s3://{BUCKET}/in/nothing-here/", f"s3://{BUCKET}/out/empty"))
        described, _ = wait_job("tx-empty")
        assert described["TransformJobStatus"] == "Failed", described
        assert f'No S3 objects found under S3 URL "s3://{BUCKET}/in/nothing-here/"' in described["FailureReason"], described
        ok(f"Failed: {described['FailureReason']!r}")

    with section("bad input: precise errors, nothing created"):
        base = request("tx-bad", "tx-model", f"s3://{BUCKET}/in/csv/", f"s3://{BUCKET}/out/bad")
        before = all_jobs()
        cases = [
            ("an unknown model", {"ModelName": "no-such-model"}, "ValidationException", "Could not find model"),
            ("an https:// input URI", {"TransformInput": {**base["TransformInput"], "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "https://example.com/in/"}}}}, "ValidationException", "must be an s3://bucket/prefix"),
            ("a malformed URI", {"TransformOutput": {"S3OutputPath": "bucket-without-scheme/out"}}, "ValidationException", "s3OutputPath"),
            ("an unknown output bucket", {"TransformOutput": {"S3OutputPath": "s3://no-such-bucket-tx/out"}}, "ValidationException",
             "bucket does not exist"),
            ("a bad InputFilter", {"DataProcessing": {"InputFilter": "$[1:"}}, "ValidationException",
             "DataProcessing.InputFilter '$[1:' is not a JSONPath"),
            ("a filter without $", {"DataProcessing": {"OutputFilter": "features"}}, "ValidationException", "must start with $"),
            ("MaxPayloadInMB 101", {"MaxPayloadInMB": 101}, "ValidationException", "MaxPayloadInMB must be between 0 and 100"),
            ("SplitType RecordIO", {"TransformInput": {**base["TransformInput"], "SplitType": "RecordIO"}}, "ValidationException",
             "SplitType RecordIO is not supported"),
            ("an unknown BatchStrategy", {"BatchStrategy": "Everything"}, "ValidationException", "batchStrategy"),
            ("a bad name", {"TransformJobName": "bad_name!"}, "ValidationException", "transformJobName"),
        ]
        for label, change, code, text in cases:
            error = expect_error(code, 400, SM.create_transform_job, **{**base, **change})
            assert text in str(error), (label, str(error))
            not_created(change.get("TransformJobName", "tx-bad"), before)
        error = expect_error("ResourceInUse", 400, SM.create_transform_job, **{**base, "TransformJobName": "tx-multi"})
        assert "tx-multi" in str(error), str(error)
        assert SM.describe_transform_job(TransformJobName="tx-multi")["TransformJobStatus"] == "Completed"
        expect_error("ResourceNotFound", 400, SM.stop_transform_job, TransformJobName="no-such-job")
        ok(f"{len(cases)} bad requests refused precisely with nothing created; a duplicate name is ResourceInUse")

    with section("ListTransformJobs"):
        everything = SM.list_transform_jobs(MaxResults=100)["TransformJobSummaries"]
        names = [j["TransformJobName"] for j in everything]
        assert names[0] == "tx-empty" and set(names) >= {"tx-multi", "tx-single", "tx-fail", "tx-stop"}, names
        failed = [j["TransformJobName"] for j in SM.list_transform_jobs(StatusEquals="Failed")["TransformJobSummaries"]]
        assert sorted(failed) == ["tx-empty", "tx-fail"], failed
        assert all("FailureReason" in j for j in SM.list_transform_jobs(StatusEquals="Failed")["TransformJobSummaries"])
        joins = SM.list_transform_jobs(NameContains="JOIN", SortBy="Name", SortOrder="Ascending")["TransformJobSummaries"]
        assert [j["TransformJobName"] for j in joins] == ["tx-join", "tx-join-json"], joins
        pages, token = [], None
        while True:
            page = SM.list_transform_jobs(MaxResults=3, SortBy="Name", SortOrder="Ascending", **({"NextToken": token} if token else {}))
            pages.append([j["TransformJobName"] for j in page["TransformJobSummaries"]])
            token = page.get("NextToken")
            if not token:
                break
        assert sum(pages, []) == sorted(names), (pages, sorted(names))
        later = SM.list_transform_jobs(CreationTimeAfter=SM.describe_transform_job(TransformJobName="tx-stop")["CreationTime"])
        assert [j["TransformJobName"] for j in later["TransformJobSummaries"]] == ["tx-empty"], later
        ok(f"{len(names)} jobs; StatusEquals, NameContains (any case), SortBy Name, pages of 3, CreationTimeAfter")

    with section("the CLI: osprey transform create --wait / describe / list"):
        environment = {**os.environ, "OSPREY_ENDPOINT": ENDPOINT}
        osprey = os.environ["OSPREY_BIN"]
        done = subprocess.run([osprey, "transform", "create", "--model", "tx-model", "--input", f"s3://{BUCKET}/in/join/",
                               "--output", f"s3://{BUCKET}/out/cli", "--split-type", "Line", "--strategy", "MultiRecord",
                               "--content-type", "text/csv", "--accept", "text/csv", "--name", "tx-cli", "--wait"],
                              capture_output=True, text=True, env=environment, timeout=300)
        assert done.returncode == 0 and "tx-cli Completed" in done.stdout, done
        assert check_answers(small, output_lines("out/cli/rows.csv.out")) == [50]
        listed = subprocess.run([osprey, "transform", "list", "--name", "cli"], capture_output=True, text=True, env=environment)
        assert listed.stdout.startswith("tx-cli\tCompleted\t"), listed
        described = subprocess.run([osprey, "transform", "describe", "tx-cli"], capture_output=True, text=True, env=environment)
        assert json.loads(described.stdout)["TransformJobStatus"] == "Completed", described
        failing = subprocess.run([osprey, "transform", "create", "--model", "tx-model", "--input", f"s3://{BUCKET}/in/fail/",
                                  "--output", f"s3://{BUCKET}/out/cli-fail", "--split-type", "Line", "--content-type", "text/csv",
                                  "--name", "tx-cli-fail", "--wait"], capture_output=True, text=True, env=environment, timeout=300)
        assert failing.returncode == 1 and "tx-cli-fail Failed" in failing.stderr and "record rejected" in failing.stderr, failing
        missing = subprocess.run([osprey, "transform", "describe", "nope"], capture_output=True, text=True, env=environment)
        assert missing.returncode == 1 and missing.stderr.startswith("osprey: ResourceNotFound:"), missing
        ok("osprey transform create --wait completed (and exits 1 with the reason for a failing one); list and describe show it")


def restart_start():
    setup()
    put_lines("in/restart/data.csv", [f"sleep,0.2,{i}" for i in range(40)])
    SM.create_transform_job(**request("tx-restart", "tx-model", f"s3://{BUCKET}/in/restart/", f"s3://{BUCKET}/out/restart",
                                      strategy="SingleRecord", MaxConcurrentTransforms=1))
    deadline = time.time() + 120
    while "TransformStartTime" not in SM.describe_transform_job(TransformJobName="tx-restart"):
        assert time.time() < deadline, "tx-restart never started"
        time.sleep(0.1)
    time.sleep(1)
    assert SM.describe_transform_job(TransformJobName="tx-restart")["TransformJobStatus"] == "InProgress"
    ok("tx-restart is InProgress with requests in flight; the server is killed now")


def restart_verify():
    described, seen = wait_job("tx-restart")
    assert described["TransformJobStatus"] == "Completed", (seen, described.get("FailureReason"))
    lines = output_lines("out/restart/data.csv.out")
    assert len(lines) == 41 and lines[-1] == "" and all(line.split(",")[1] == "1" for line in lines[:-1]), lines[:3]
    assert keys("out/restart") == ["out/restart/data.csv.out"], keys("out/restart")
    ok(f"after kill -9 and a restart the job ran again from the start and Completed ({seen}); its output is whole")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "all"
    run({"all": main, "start": restart_start, "verify": restart_verify}[mode])
