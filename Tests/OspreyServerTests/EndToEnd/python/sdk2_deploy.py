"""The SageMaker Python SDK 2.x, unchanged, deploys to Osprey: `Estimator.fit` then `estimator.deploy(entry_point=...,
source_dir=...)` and `predictor.predict`, a `sagemaker.model.Model(...).deploy(...)` from the same artifact, an `SKLearnModel`
served by the default handlers (model.joblib, JSON in and out), then `predictor.delete_model()` / `delete_endpoint()`.

Wired as sdk2_estimator.py is (see CLIENTS.md): AWS_ENDPOINT_URL from the harness, an SDK config file through
SAGEMAKER_USER_CONFIG_OVERRIDE (telemetry off, a default bucket), a role given as a full ARN. Nothing may leave loopback.
`deploy()` sleeps 30 s before its first DescribeEndpoint (the SDK does), so each deploy takes at least that.
"""

import io
import os
import tarfile
import time

# The guard, installed before boto3 or the SDK is imported.
from loopback_guard import assert_only_loopback  # noqa: E402

from e2e import KEY_ID, REGION, SCRATCH, SECRET, ok, run, section  # noqa: E402  (after the guard)

BUCKET = "sdk2-deploy-e2e"
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
from botocore.exceptions import ClientError  # noqa: E402
from sagemaker.deserializers import JSONDeserializer  # noqa: E402
from sagemaker.estimator import Estimator  # noqa: E402
from sagemaker.model import Model  # noqa: E402
from sagemaker.predictor import Predictor  # noqa: E402
from sagemaker.serializers import JSONSerializer  # noqa: E402

from serving_boto3 import INFERENCE, wait_gone  # noqa: E402

TRAIN = r"""
import argparse, json, os
parser = argparse.ArgumentParser()
parser.add_argument("--weights")
parser.add_argument("--bias", type=float)
args, _ = parser.parse_known_args()
folder = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
os.makedirs(folder, exist_ok=True)
with open(os.path.join(folder, "model.json"), "w") as out:
    json.dump({"name": "sdk2-model", "weights": [float(w) for w in args.weights.split(",")], "bias": args.bias}, out)
print("wrote model.json", flush=True)
"""

TRAIN_SKLEARN = r"""
import os
import joblib
from sklearn.linear_model import LinearRegression
# y = 2 a + 5 b + 1, exactly
model = LinearRegression().fit([[0, 0], [1, 0], [0, 1], [1, 1], [2, 3]], [1, 3, 6, 8, 20])
joblib.dump(model, os.path.join(os.environ.get("SM_MODEL_DIR", "/opt/ml/model"), "model.joblib"))
print("wrote model.joblib", flush=True)
"""

SERVE_SKLEARN = "# No handlers: the worker's defaults load model.joblib and answer JSON with model.predict.\n"

X = [3, 4]
EXPECTED = 2 * 3 + 5 * 4 + 0.25


def folder(name, files):
    path = os.path.join(SCRATCH, name)
    os.makedirs(path, exist_ok=True)
    for file, text in files.items():
        with open(os.path.join(path, file), "w") as handle:
            handle.write(text)
    return path


def archive_names(s3, url):
    bucket, key = url[len("s3://"):].split("/", 1)
    with tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())) as archive:
        return sorted(name.lstrip("./") for name in archive.getnames() if not archive.getmember(name).isdir())


def check_gone(session, predictor, model_names):
    """After delete_model() and delete_endpoint(): the endpoint, its configuration and models are gone."""
    sm = session.sagemaker_client
    wait_gone(sm, predictor.endpoint_name)
    for name in model_names:
        try:
            sm.describe_model(ModelName=name)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ValidationException", error.response
        else:
            raise AssertionError(f"model {name} still exists after predictor.delete_model()")
    try:
        predictor.predict({"x": X})
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationError", error.response
        assert predictor.endpoint_name in error.response["Error"]["Message"], error.response
    else:
        raise AssertionError("predict() on a deleted endpoint succeeded")


def deployed(session, predictor, started):
    sm = session.sagemaker_client
    endpoint = sm.describe_endpoint(EndpointName=predictor.endpoint_name)
    assert endpoint["EndpointStatus"] == "InService", endpoint
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    variants = config["ProductionVariants"]
    assert [v["VariantName"] for v in variants] == ["AllTraffic"], variants
    model = sm.describe_model(ModelName=variants[0]["ModelName"])
    print(f"  deploy() returned after {time.time() - started:.1f} s; endpoint {predictor.endpoint_name}, "
          f"model {model['ModelName']}", flush=True)
    return model


def main():
    print(f"sagemaker {sagemaker.__version__}", flush=True)
    boto_session = boto3.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name=REGION)
    session = sagemaker.Session(boto_session=boto_session, default_bucket=BUCKET)
    assert session.default_bucket() == BUCKET, session.default_bucket()
    s3 = boto_session.client("s3")
    s3.put_object(Bucket=BUCKET, Key="data/train/part-1.csv", Body=b"x,y\n1,2\n3,4\n")
    inputs = {"train": f"s3://{BUCKET}/data/train"}
    train_dir = folder("train-src", {"train.py": TRAIN})
    serve_dir = folder("serve-src", {"inference.py": INFERENCE})
    model_data = None

    with section("Estimator.fit then estimator.deploy"):
        estimator = Estimator(
            image_uri="osprey/python", entry_point="train.py", source_dir=train_dir, role=ROLE, instance_count=1,
            instance_type="ml.m5.large", hyperparameters={"weights": "2,5", "bias": 0.25}, sagemaker_session=session)
        estimator.fit(inputs, logs=False)
        model_data = estimator.model_data
        ok(f"trained {estimator.latest_training_job.name}: {model_data}")

        started = time.time()
        predictor = estimator.deploy(
            initial_instance_count=1, instance_type="ml.m5.large", entry_point="inference.py", source_dir=serve_dir,
            serializer=JSONSerializer(), deserializer=JSONDeserializer())
        model = deployed(session, predictor, started)
        container = model["PrimaryContainer"]
        assert container["Image"] == "osprey/python", container
        assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py", container
        assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code", container
        names = archive_names(s3, container["ModelDataUrl"])
        assert "model.json" in names and "code/inference.py" in names, names
        ok(f"estimator.deploy(entry_point='inference.py', source_dir=...) made model {model['ModelName']} from the repacked "
           f"{container['ModelDataUrl']} ({names})")

        answer = predictor.predict({"x": X})
        assert answer["y"] == EXPECTED and answer["model"] == "sdk2-model", answer
        ok(f"predictor.predict({{'x': {X}}}) = {answer['y']}")
        try:
            predictor.predict({"fail": True})
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ModelError", error.response
            assert "asked to fail" in str(error), str(error)
            ok(f"a handler's exception reaches predict() as ModelError: {str(error)[:160]}")
        else:
            raise AssertionError("predict({'fail': True}) succeeded")

        model_names = predictor._get_model_names()
        predictor.delete_model()
        predictor.delete_endpoint()
        check_gone(session, predictor, model_names)
        ok("predictor.delete_model() and predictor.delete_endpoint(): model, configuration and endpoint gone; "
           "predict() is a ValidationError")

    with section("sagemaker.model.Model(...).deploy"):
        assert model_data, "no model artifact from the training section"
        model = Model(image_uri="osprey/python", model_data=model_data, role=ROLE, entry_point="inference.py",
                      source_dir=serve_dir, predictor_cls=Predictor, sagemaker_session=session)
        started = time.time()
        predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large", serializer=JSONSerializer(),
                                 deserializer=JSONDeserializer())
        described = deployed(session, predictor, started)
        assert described["ModelName"] == model.name, (described["ModelName"], model.name)
        answer = predictor.predict({"x": X})
        assert answer["y"] == EXPECTED, answer
        ok(f"Model(image_uri='osprey/python', model_data=..., entry_point=...).deploy(): predict gives {answer['y']}")
        model_names = predictor._get_model_names()
        predictor.delete_model()
        predictor.delete_endpoint()
        check_gone(session, predictor, model_names)
        ok("deleted")

    with section("SKLearn: fit, then SKLearnModel.deploy with the default handlers"):
        from sagemaker.sklearn import SKLearn, SKLearnModel

        sklearn_dir = folder("sklearn-src", {"train_sklearn.py": TRAIN_SKLEARN})
        sklearn_serve = folder("sklearn-serve", {"serve_sklearn.py": SERVE_SKLEARN})
        estimator = SKLearn(
            entry_point="train_sklearn.py", source_dir=sklearn_dir, framework_version="1.2-1", py_version="py3", role=ROLE,
            instance_count=1, instance_type="ml.m5.large", sagemaker_session=session)
        estimator.fit(inputs, logs=False)
        ok(f"SKLearn.fit wrote {estimator.model_data}")
        model = SKLearnModel(
            model_data=estimator.model_data, role=ROLE, entry_point="serve_sklearn.py", source_dir=sklearn_serve,
            framework_version="1.2-1", py_version="py3", sagemaker_session=session)
        started = time.time()
        predictor = model.deploy(initial_instance_count=1, instance_type="ml.m5.large", serializer=JSONSerializer(),
                                 deserializer=JSONDeserializer())
        described = deployed(session, predictor, started)
        container = described["PrimaryContainer"]
        assert "sagemaker-scikit-learn:1.2-1-cpu-py3" in container["Image"], container
        assert container["Environment"]["SAGEMAKER_PROGRAM"] == "serve_sklearn.py", container
        answer = predictor.predict([[3, 4], [1, 1]])
        assert isinstance(answer, list) and len(answer) == 2, answer
        assert abs(answer[0] - 27.0) < 1e-6 and abs(answer[1] - 8.0) < 1e-6, answer
        ok(f"SKLearnModel ({container['Image']}, code from {container['Environment']['SAGEMAKER_SUBMIT_DIRECTORY']}): "
           f"the default handlers load model.joblib and predict {answer}")
        model_names = predictor._get_model_names()
        predictor.delete_model()
        predictor.delete_endpoint()
        check_gone(session, predictor, model_names)
        ok("deleted")

    assert_only_loopback()
    ok("no name look-up or connection left loopback")


if __name__ == "__main__":
    run(main)
