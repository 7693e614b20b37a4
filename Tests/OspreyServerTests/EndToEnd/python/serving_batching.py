"""Dynamic batching (OSPREY_MAX_BATCH_SIZE / OSPREY_MAX_BATCH_DELAY_MS on the model): concurrent invocations reach
predict_fn together, and each caller still gets its own answer."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

from e2e import code_archive, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
BUCKET = "batching-e2e"

INFERENCE = r'''
def model_fn(model_dir):
    print("batching model loaded", flush=True)
    return None
def predict_fn(rows, model):
    # One answer per row: the row's sum and how many rows this call of predict_fn saw.
    return [[sum(row), len(rows)] for row in rows]
'''


def main():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=code_archive(INFERENCE))
    SM.create_model(ModelName="batched", ExecutionRoleArn="arn:aws:iam::000000000000:role/Osprey", PrimaryContainer={
        "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "OSPREY_MAX_BATCH_SIZE": "16", "OSPREY_MAX_BATCH_DELAY_MS": "20",
                        "SAGEMAKER_MODEL_SERVER_WORKERS": "1"}})
    SM.create_endpoint_config(EndpointConfigName="batched", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "batched", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    SM.create_endpoint(EndpointName="batched", EndpointConfigName="batched")
    SM.get_waiter("endpoint_in_service").wait(EndpointName="batched", WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    runtime = boto3.client("sagemaker-runtime", config=boto3.session.Config(max_pool_connections=32))

    def call(index):
        answer = runtime.invoke_endpoint(EndpointName="batched", Body=json.dumps([[index, 1]]), ContentType="application/json")
        return index, json.loads(answer["Body"].read())

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(call, range(200)))
    assert all(result[0][0] == index + 1 for index, result in answers), answers[:5]
    seen = [result[0][1] for _, result in answers]
    assert max(seen) > 1 and max(seen) <= 16, seen
    ok(f"200 concurrent invocations: each got its own answer; predict_fn saw up to {max(seen)} rows at once "
       f"(mean {sum(seen) / len(seen):.1f})")

    logs = boto3.client("logs")
    deadline = time.time() + 10
    while True:
        events = logs.filter_log_events(logGroupName="/aws/sagemaker/Endpoints/batched", logStreamNamePrefix="AllTraffic/")["events"]
        if any(event["message"] == "batching model loaded" for event in events) or time.time() > deadline:
            break
        time.sleep(0.2)
    assert any(event["message"] == "batching model loaded" for event in events), events
    streams = {event["logStreamName"] for event in events}
    ok(f"the worker's output is in CloudWatch Logs /aws/sagemaker/Endpoints/batched, streams {sorted(streams)}")


run(main)
