"""Train, deploy, predict and clean up on Osprey with the SageMaker Python SDK 3.x (`pip install sagemaker`), unchanged.

    osprey sdk-config --bucket my-bucket    # once: the SDK's config file (telemetry off, a default bucket on Osprey)
    export AWS_ENDPOINT_URL=http://127.0.0.1:8080 AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...    # an Osprey key
    python examples/sdk3/example.py

`ModelTrainer` runs train.py in the built-in `osprey/python` environment; `ModelBuilder` serves the trained model with
inference.py. The job's and the endpoint's log lines go to Python's logging (configured below), as on SageMaker.
"""

import json
import logging
import os
import time

import boto3
from sagemaker.core.helper.session_helper import Session
from sagemaker.core.resources import EndpointConfig
from sagemaker.core.training.configs import Compute, InputData, SourceCode
from sagemaker.serve.mode.function_pointers import Mode
from sagemaker.serve.model_builder import ModelBuilder
from sagemaker.train import ModelTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
# Osprey records the role but has no IAM roles yet: any full ARN does (the SDK warns that it cannot check it).
ROLE = "arn:aws:iam::000000000000:role/Osprey"
IMAGE = "osprey/python"
INSTANCE = "ml.m5.large"


def make_session():
    """The SDK's session over a boto3 session that AWS_ENDPOINT_URL points at Osprey; the bucket comes from sdk-config."""
    return Session(boto_session=boto3.Session())


def upload_data(session, prefix="sdk3-example/train"):
    """Puts a small CSV of y = 3 x + 2 in the default bucket; returns its s3:// prefix."""
    rows = "x,y\n" + "".join(f"{x},{3 * x + 2}\n" for x in range(20))
    session.boto_session.client("s3").put_object(Bucket=session.default_bucket(), Key=f"{prefix}/data.csv", Body=rows.encode())
    return f"s3://{session.default_bucket()}/{prefix}"


def train(session, data, source_dir=HERE, entry_script="train.py", base_job_name="sdk3-example"):
    """ModelTrainer.train(wait=True, logs=True): returns the trainer once the job completed (FailedStatusError if not)."""
    trainer = ModelTrainer(
        training_image=IMAGE,
        source_code=SourceCode(source_dir=source_dir, entry_script=entry_script),
        hyperparameters={"digits": 4},
        environment={"MODEL_NAME": "linear-sdk3"},
        compute=Compute(instance_type=INSTANCE, instance_count=1),
        role=ROLE,
        sagemaker_session=session,
        base_job_name=base_job_name,
    )
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=data)], wait=True, logs=True)
    return trainer


def model_artifact(trainer):
    """The s3:// URL of the job's model.tar.gz."""
    return trainer._latest_training_job.model_artifacts.s3_model_artifacts


def deploy(session, model_data, endpoint_name, model_name):
    """ModelBuilder(...).build() then .deploy(): returns (builder, model, endpoint) once the endpoint is InService."""
    builder = ModelBuilder(
        image_uri=IMAGE,
        s3_model_data_url=model_data,
        source_code=SourceCode(source_dir=HERE, entry_script="inference.py"),
        role_arn=ROLE,
        sagemaker_session=session,
        instance_type=INSTANCE,
        mode=Mode.SAGEMAKER_ENDPOINT,
    )
    model = builder.build(model_name=model_name)
    endpoint = builder.deploy(endpoint_name=endpoint_name, initial_instance_count=1)
    return builder, model, endpoint


def predict(endpoint, xs):
    """Endpoint.invoke with a JSON body; returns the decoded answer."""
    answer = endpoint.invoke(body=json.dumps({"x": xs}), content_type="application/json", accept="application/json")
    return json.loads(answer.body.read())


def delete(endpoint, model):
    """Endpoint.delete(), then its configuration and Model.delete()."""
    config = endpoint.endpoint_config_name
    endpoint.delete()
    EndpointConfig.get(endpoint_config_name=config).delete()
    model.delete()


def main():
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    session = make_session()
    stamp = time.strftime("%Y%m%d%H%M%S")

    trainer = train(session, upload_data(session))
    print(f"trained {trainer._latest_training_job.training_job_name}: {model_artifact(trainer)}")

    _, model, endpoint = deploy(session, model_artifact(trainer), f"sdk3-example-{stamp}", f"sdk3-example-{stamp}")
    print(f"endpoint {endpoint.endpoint_name} is {endpoint.endpoint_status}")
    try:
        print("predict x = [1, 2, 10]:", predict(endpoint, [1, 2, 10]))
    finally:
        delete(endpoint, model)
        print(f"deleted endpoint {endpoint.endpoint_name}, its configuration and model {model.model_name}")


if __name__ == "__main__":
    main()
