"""Health checks: a worker that stops answering while idle (here it SIGSTOPs itself) is found by its ping, killed and
replaced, so the next call is answered by a new worker instead of timing out."""

import json
import time

import boto3

from e2e import code_archive, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
BUCKET = "health-e2e"

INFERENCE = r'''
import os, signal, threading, time
def model_fn(model_dir):
    return None
def predict_fn(data, model):
    if data.get("freeze"):
        threading.Thread(target=lambda: (time.sleep(0.3), os.kill(os.getpid(), signal.SIGSTOP)), daemon=True).start()
    return {"pid": os.getpid()}
'''


def main():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=code_archive(INFERENCE))
    SM.create_model(ModelName="health", ExecutionRoleArn="arn:aws:iam::000000000000:role/Osprey", PrimaryContainer={
        "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
                        "SAGEMAKER_MODEL_SERVER_TIMEOUT": "1", "OSPREY_HEALTH_CHECK_SECONDS": "1"}})
    SM.create_endpoint_config(EndpointConfigName="health", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "health", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    SM.create_endpoint(EndpointName="health", EndpointConfigName="health")
    SM.get_waiter("endpoint_in_service").wait(EndpointName="health", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    runtime = boto3.client("sagemaker-runtime")

    def call(payload):
        answer = runtime.invoke_endpoint(EndpointName="health", Body=json.dumps(payload), ContentType="application/json")
        return json.loads(answer["Body"].read())["pid"]

    frozen = call({"freeze": True})
    time.sleep(5)
    fresh = call({})
    assert fresh != frozen, (frozen, fresh)
    ok(f"a worker that stopped answering (pid {frozen}) was found by its health check and replaced (pid {fresh})")


run(main)
