"""The SageMaker Python SDK 2.x, unchanged, runs batch transform on Osprey: `Model(...).transformer(...)` then
`transformer.transform(data=..., content_type="text/csv", split_type="Line", wait=True)` (with its log tailing), outputs
`{output_path}/{file}.out` lining up with the inputs, a `Transformer` with input/output filters and `join_source`,
`Transformer.attach`, and a failing job raising `UnexpectedStatusException` with its reason.

Wired as sdk2_estimator.py is (see CLIENTS.md): AWS_ENDPOINT_URL from the harness, an SDK config file through
SAGEMAKER_USER_CONFIG_OVERRIDE (telemetry off, a default bucket), a role given as a full ARN. Nothing may leave loopback.
"""

import os

# The guard, installed before boto3 or the SDK is imported.
from loopback_guard import assert_only_loopback  # noqa: E402

from e2e import KEY_ID, REGION, SCRATCH, SECRET, ok, run, section  # noqa: E402  (after the guard)

BUCKET = "sdk2-transform-e2e"
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
from sagemaker.exceptions import UnexpectedStatusException  # noqa: E402
from sagemaker.model import Model  # noqa: E402
from sagemaker.transformer import Transformer  # noqa: E402

from transform_boto3 import INFERENCE, csv_rows, expected_y, model_archive  # noqa: E402

WEIGHTS, BIAS = [2.0, 5.0], 0.25


def main():
    print(f"sagemaker {sagemaker.__version__}", flush=True)
    boto_session = boto3.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name=REGION)
    session = sagemaker.Session(boto_session=boto_session, default_bucket=BUCKET)
    assert session.default_bucket() == BUCKET, session.default_bucket()
    s3 = boto_session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="models/model.tar.gz", Body=model_archive({"weights": WEIGHTS, "bias": BIAS}))
    rows = {"a.csv": csv_rows(300), "more/b.csv": csv_rows(40, start=300)}
    for name, lines in rows.items():
        s3.put_object(Bucket=BUCKET, Key=f"batch-in/{name}", Body=("\n".join(lines) + "\n").encode())
    serve_dir = os.path.join(SCRATCH, "serve-src")
    os.makedirs(serve_dir, exist_ok=True)
    with open(os.path.join(serve_dir, "inference.py"), "w") as handle:
        handle.write(INFERENCE)

    with section("Model.transformer(...).transform(content_type='text/csv', split_type='Line', wait=True)"):
        model = Model(image_uri="osprey/python", model_data=f"s3://{BUCKET}/models/model.tar.gz", role=ROLE,
                      entry_point="inference.py", source_dir=serve_dir, sagemaker_session=session)
        transformer = model.transformer(instance_count=1, instance_type="ml.m5.large", output_path=f"s3://{BUCKET}/batch-out",
                                        strategy="MultiRecord", assemble_with="Line", accept="text/csv")
        transformer.transform(data=f"s3://{BUCKET}/batch-in/", content_type="text/csv", split_type="Line", wait=True)
        job = transformer.latest_transform_job.name
        described = session.sagemaker_client.describe_transform_job(TransformJobName=job)
        assert described["TransformJobStatus"] == "Completed", described
        assert described["ModelName"] == model.name and described["BatchStrategy"] == "MultiRecord", described
        for name, lines in rows.items():
            answers = s3.get_object(Bucket=BUCKET, Key=f"batch-out/{name}.out")["Body"].read().decode().splitlines()
            assert len(answers) == len(lines), (name, len(answers), len(lines))
            for line, answer in zip(lines, answers):
                _, a, b = line.split(",")
                y, n, _ = answer.split(",")
                assert float(y) == expected_y(float(a), float(b)) and int(n) == len(lines), (line, answer)
        ok(f"transform job {job} (model {model.name}) Completed: batch-out/a.csv.out and batch-out/more/b.csv.out line up "
           "with their inputs, each object one MultiRecord request")

        attached = Transformer.attach(job, sagemaker_session=session)
        assert attached.model_name == model.name and attached.strategy == "MultiRecord", vars(attached)
        assert attached.output_path == f"s3://{BUCKET}/batch-out" and attached.accept == "text/csv", vars(attached)
        ok("Transformer.attach reads the job back: model, strategy, output path, accept")

    with section("Transformer with input_filter, join_source and output_filter"):
        transformer = Transformer(model_name=model.name, instance_count=1, instance_type="ml.m5.large", strategy="SingleRecord",
                                  assemble_with="Line", accept="text/csv", output_path=f"s3://{BUCKET}/joined",
                                  sagemaker_session=session)
        transformer.transform(data=f"s3://{BUCKET}/batch-in/more/", content_type="text/csv", split_type="Line",
                              input_filter="$[1:]", join_source="Input", output_filter="$[0,3]", wait=True, logs=False)
        answers = s3.get_object(Bucket=BUCKET, Key="joined/b.csv.out")["Body"].read().decode().splitlines()
        want = [f"{r.split(',')[0]},{expected_y(float(r.split(',')[1]), float(r.split(',')[2]))!r}" for r in rows["more/b.csv"]]
        assert answers == want, (answers[:2], want[:2])
        ok(f"filters and join_source through the SDK: {answers[0]!r}")

    with section("a failing job raises UnexpectedStatusException with its reason"):
        s3.put_object(Bucket=BUCKET, Key="bad-in/x.csv", Body=b"id1,1,2\nfail,3,4\n")
        transformer = Transformer(model_name=model.name, instance_count=1, instance_type="ml.m5.large", accept="text/csv",
                                  output_path=f"s3://{BUCKET}/bad-out", sagemaker_session=session)
        try:
            transformer.transform(data=f"s3://{BUCKET}/bad-in/", content_type="text/csv", split_type="Line", wait=True, logs=False)
        except UnexpectedStatusException as error:
            assert "record rejected: fail,3,4" in str(error) and "bad-in/x.csv" in str(error), str(error)
            ok(f"UnexpectedStatusException: {str(error)[:200]}")
        else:
            raise AssertionError("a job with a failing record did not raise")

    assert_only_loopback()
    ok("no name look-up or connection left loopback")


if __name__ == "__main__":
    run(main)
