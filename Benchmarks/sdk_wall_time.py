"""What a SageMaker Python SDK user waits for on Osprey, 3.x and 2.x, against the floor of the SDK's own fixed sleeps.

    python Benchmarks/sdk_wall_time.py --endpoint http://127.0.0.1:PORT --python-sdk3 .venv-sdk3/bin/python \
        --python-sdk2 .venv/bin/python --work-dir /tmp/x [--rounds 2] [--json out.json]

For each SDK line, in its own venv (this script runs itself there with --measure), --rounds times:
- train: 3.x `ModelTrainer.train(wait=True, logs=True)`, 2.x `Estimator.fit(logs=True)`, on a trivial job (the script
  writes model.json and exits);
- deploy: 3.x `ModelBuilder.build()` + `.deploy()`, 2.x `Model(entry_point=...).deploy()`, then one prediction.
The floor is what the SDK itself sleeps in `time.sleep` during the call (wrapped before the SDK is imported): its 5 s
polls, and the 30 s before the first DescribeEndpoint. Wall − slept is what Osprey and the client's own work cost; the
time and number of the SDK's HTTP calls (botocore's send, wrapped too) split that, and the server's own view (job
CreationTime → TrainingEndTime, endpoint CreationTime → InService) is beside it.
Keys come from OSPREY_ROOT_ACCESS_KEY_ID / OSPREY_ROOT_SECRET_ACCESS_KEY. Nothing is asserted.
"""

import argparse
import json
import os
import subprocess
import sys
import time

TRAIN = """import json, os
os.makedirs("/opt/ml/model", exist_ok=True)
json.dump({"slope": 2.0}, open("/opt/ml/model/model.json", "w"))
print("trained", flush=True)
"""
INFERENCE = """import json, os
def model_fn(model_dir):
    return json.load(open(os.path.join(model_dir, "model.json")))
def predict_fn(data, model):
    return {"y": [model["slope"] * x for x in data["x"]]}
"""
ROLE = "arn:aws:iam::000000000000:role/bench"


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--python-sdk3")
    parser.add_argument("--python-sdk2")
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    parser.add_argument("--measure", choices=["2", "3"], help="internal: measure in this venv, print JSON")
    return parser.parse_args()


# MARK: measuring, inside one SDK's venv

SLEPT = [0.0]
HTTP = {"seconds": 0.0, "calls": 0}


def install_meters():
    """Sums what the SDK sleeps, and the time and count of its HTTP calls (every botocore request goes through send)."""
    real_sleep = time.sleep

    def sleep(seconds):
        SLEPT[0] += max(0.0, seconds)
        real_sleep(seconds)

    time.sleep = sleep
    from botocore.httpsession import URLLib3Session

    real_send = URLLib3Session.send

    def send(self, request):
        started = time.perf_counter()
        try:
            return real_send(self, request)
        finally:
            HTTP["seconds"] += time.perf_counter() - started
            HTTP["calls"] += 1

    URLLib3Session.send = send


def timed(call, into, prefix):
    """Runs `call()`, storing its wall time, the SDK's sleeps and its HTTP calls under `prefix_*` in `into`."""
    slept, http, calls, started = SLEPT[0], HTTP["seconds"], HTTP["calls"], time.perf_counter()
    result = call()
    into[prefix + "_wall"] = into.get(prefix + "_wall", 0) + time.perf_counter() - started
    into[prefix + "_slept"] = into.get(prefix + "_slept", 0) + SLEPT[0] - slept
    into[prefix + "_http"] = into.get(prefix + "_http", 0) + HTTP["seconds"] - http
    into[prefix + "_calls"] = into.get(prefix + "_calls", 0) + HTTP["calls"] - calls
    return result


def prepare(args, major):
    folder = os.path.join(args.work_dir, f"sdk{major}-src")
    os.makedirs(folder, exist_ok=True)
    for name, text in (("train.py", TRAIN), ("inference.py", INFERENCE)):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(text)
    bucket = f"bench-sdk{major}-{int(time.time())}"
    config = os.path.join(args.work_dir, f"sdk{major}-config.yaml")
    with open(config, "w") as handle:
        handle.write("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n"
                     f"      Session:\n        DefaultS3Bucket: {bucket}\n")
    os.environ["SAGEMAKER_USER_CONFIG_OVERRIDE"] = config
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "true"   # the default: the IAM probes are part of what a user waits for
    import boto3

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/train/part-1.csv", Body=b"x,y\n1,2\n")
    return folder, bucket


def measure_sdk3(args):
    folder, bucket = prepare(args, 3)
    import boto3
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.resources import EndpointConfig
    from sagemaker.core.training.configs import Compute, InputData, SourceCode
    from sagemaker.serve.mode.function_pointers import Mode
    from sagemaker.serve.model_builder import ModelBuilder
    from sagemaker.train import ModelTrainer

    session = Session(boto_session=boto3.Session())
    rounds = []
    for index in range(args.rounds):
        trainer = ModelTrainer(
            training_image="osprey/python", source_code=SourceCode(source_dir=folder, entry_script="train.py"),
            compute=Compute(instance_type="ml.m5.large", instance_count=1), role=ROLE, sagemaker_session=session,
            base_job_name="bench-sdk3")
        data = [InputData(channel_name="train", data_source=f"s3://{bucket}/data/train")]
        times = {}
        timed(lambda: trainer.train(input_data_config=data, wait=True, logs=True), times, "train")
        job = trainer._latest_training_job
        builder = ModelBuilder(
            image_uri="osprey/python", s3_model_data_url=job.model_artifacts.s3_model_artifacts,
            source_code=SourceCode(source_dir=folder, entry_script="inference.py"), role_arn=ROLE, sagemaker_session=session,
            instance_type="ml.m5.large", mode=Mode.SAGEMAKER_ENDPOINT)
        name = f"bench-sdk3-{index}-{int(time.time())}"
        model = timed(lambda: builder.build(model_name=name), times, "deploy")
        endpoint = timed(lambda: builder.deploy(endpoint_name=name, initial_instance_count=1), times, "deploy")
        answer = endpoint.invoke(body='{"x": [1, 2]}', content_type="application/json", accept="application/json")
        assert json.loads(answer.body.read()) == {"y": [2.0, 4.0]}
        rounds.append(record(job.training_job_name, name, times))
        endpoint.delete()
        EndpointConfig.get(endpoint_config_name=name).delete()
        model.delete()
    return rounds


def measure_sdk2(args):
    folder, bucket = prepare(args, 2)
    import boto3
    import sagemaker
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.estimator import Estimator
    from sagemaker.model import Model
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import JSONSerializer

    session = sagemaker.Session(boto_session=boto3.Session())
    rounds = []
    for index in range(args.rounds):
        estimator = Estimator(
            image_uri="osprey/python", entry_point="train.py", source_dir=folder, role=ROLE, instance_count=1,
            instance_type="ml.m5.large", sagemaker_session=session, base_job_name="bench-sdk2")
        times = {}
        timed(lambda: estimator.fit({"train": f"s3://{bucket}/data/train"}, logs=True), times, "train")
        name = f"bench-sdk2-{index}-{int(time.time())}"
        model = Model(image_uri="osprey/python", model_data=estimator.model_data, role=ROLE, entry_point="inference.py",
                      source_dir=folder, predictor_cls=Predictor, sagemaker_session=session, name=name)
        predictor = timed(lambda: model.deploy(
            initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=name, serializer=JSONSerializer(),
            deserializer=JSONDeserializer()), times, "deploy")
        assert predictor.predict({"x": [1, 2]}) == {"y": [2.0, 4.0]}
        rounds.append(record(estimator.latest_training_job.name, name, times))
        predictor.delete_model()
        predictor.delete_endpoint()
    return rounds


def record(job, endpoint, times):
    """One round, with the server's own view: the job's run and the endpoint's Creating → InService."""
    import boto3

    sm = boto3.client("sagemaker")
    described = sm.describe_training_job(TrainingJobName=job)
    server_job = (described["TrainingEndTime"] - described["CreationTime"]).total_seconds()
    ep = sm.describe_endpoint(EndpointName=endpoint)
    server_endpoint = (ep["LastModifiedTime"] - ep["CreationTime"]).total_seconds()
    return {**times, "job_server_seconds": server_job, "endpoint_server_seconds": server_endpoint}


# MARK: driving both venvs


def run_in(python, major, args):
    environment = dict(os.environ)
    for key in [k for k in environment if k.startswith("AWS_")]:
        del environment[key]
    environment.update(
        AWS_ENDPOINT_URL=args.endpoint, AWS_ACCESS_KEY_ID=os.environ["OSPREY_ROOT_ACCESS_KEY_ID"],
        AWS_SECRET_ACCESS_KEY=os.environ["OSPREY_ROOT_SECRET_ACCESS_KEY"], AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
    version = subprocess.run([python, "-c", "from importlib.metadata import version; print(version('sagemaker'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    command = [python, os.path.abspath(__file__), "--measure", major, "--endpoint", args.endpoint, "--work-dir",
               args.work_dir, "--rounds", str(args.rounds)]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-6000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"sdk_wall_time: the {version} measurement failed (exit {done.returncode})")
    return version, json.loads(done.stdout.strip().splitlines()[-1])


def summary(version, rounds):
    def best(key):
        return min(r[key] for r in rounds)

    def median(key):
        values = sorted(r[key] for r in rounds)
        return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2

    lines = []
    for what, server in (("train", "job_server_seconds"), ("deploy", "endpoint_server_seconds")):
        wall, slept, http, calls = (median(f"{what}_{part}") for part in ("wall", "slept", "http", "calls"))
        lines.append(f"| sagemaker {version} | {what} | {wall:.2f} s (best {best(what + '_wall'):.2f}) | {slept:.2f} s | "
                     f"{wall - slept:.2f} s | {http:.2f} s in {calls:.0f} calls | {median(server):.2f} s | {wall / slept:.3f} |")
    return lines


def main():
    args = parse()
    os.makedirs(args.work_dir, exist_ok=True)
    if args.measure:
        install_meters()
        import logging

        logging.disable(logging.CRITICAL)   # the job's log lines would go through logging; measured, not printed
        rounds = measure_sdk3(args) if args.measure == "3" else measure_sdk2(args)
        print("\n" + json.dumps(rounds))
        return
    results = {}
    for major, python in (("3", args.python_sdk3), ("2", args.python_sdk2)):
        if python:
            version, rounds = run_in(python, major, args)
            results[version] = rounds
            print(f"sdk_wall_time: sagemaker {version}: {json.dumps(rounds)}", flush=True)
    print(f"\nSageMaker Python SDK wall time on Osprey, {args.rounds} rounds each (medians):\n")
    print("| SDK | call | user waits | SDK's own sleeps (floor) | above the floor | of which HTTP to Osprey | server-side time "
          "| wall / floor |")
    print("|---|---|---|---|---|---|---|---|")
    for version, rounds in results.items():
        print("\n".join(summary(version, rounds)))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
