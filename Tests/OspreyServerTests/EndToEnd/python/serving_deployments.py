"""Blue/green deployments on UpdateEndpoint with load running: a canary of a failing model rolls back by itself, a linear
update of a good one completes, and no client request fails during either."""

import io
import json
import tarfile
import threading
import time

import boto3

from e2e import ok, recorded_events, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
BUCKET = "deployments-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"

INFERENCE = r'''
import json, os
def model_fn(model_dir):
    return json.load(open(os.path.join(model_dir, "model.json")))
def predict_fn(data, model):
    if model["broken"]:
        raise RuntimeError("this model is broken")
    return {"version": model["version"], "y": [x * 2 for x in data["x"]]}
'''


def model_archive(version, broken=False):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in {"model.json": json.dumps({"version": version, "broken": broken}), "code/inference.py": INFERENCE}.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def create(name, version, broken=False):
    S3.put_object(Bucket=BUCKET, Key=f"{name}/model.tar.gz", Body=model_archive(version, broken))
    SM.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/{name}/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}})
    SM.create_endpoint_config(EndpointConfigName=name + "-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": 2, "InstanceType": "ml.m5.large"}])


def wait_settled(name, timeout=120):
    deadline = time.time() + timeout
    seen = []
    while time.time() < deadline:
        endpoint = SM.describe_endpoint(EndpointName=name)
        if not seen or seen[-1] != endpoint["EndpointStatus"]:
            seen.append(endpoint["EndpointStatus"])
        if endpoint["EndpointStatus"] in ("InService", "Failed"):
            return endpoint, seen
        time.sleep(0.05)
    raise AssertionError(f"{name} did not settle: {seen}")


class Load:
    """Threads invoking the endpoint until stopped; counts answers by model version and every failure."""

    def __init__(self, endpoint, threads=3):
        self.endpoint, self.stopping = endpoint, threading.Event()
        self.versions, self.failures, self.lock = {}, [], threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self):
        runtime = boto3.client("sagemaker-runtime")
        while not self.stopping.is_set():
            try:
                answer = runtime.invoke_endpoint(EndpointName=self.endpoint, Body=json.dumps({"x": [1, 2]}),
                                                 ContentType="application/json")
                version = json.loads(answer["Body"].read())["version"]
                with self.lock:
                    self.versions[version] = self.versions.get(version, 0) + 1
            except Exception as error:  # every failure is a finding
                with self.lock:
                    self.failures.append(repr(error))

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.versions, self.failures


def main():
    S3.create_bucket(Bucket=BUCKET)
    create("good-v1", "v1")
    create("good-v2", "v2")
    create("broken", "broken", broken=True)
    SM.create_endpoint(EndpointName="live", EndpointConfigName="good-v1-config")
    endpoint, _ = wait_settled("live")
    assert endpoint["EndpointStatus"] == "InService", endpoint

    load = Load("live")
    time.sleep(1)
    canary = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                                        "WaitIntervalInSeconds": 3},
        "TerminationWaitInSeconds": 0},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ModelErrorRate"}]}}
    SM.update_endpoint(EndpointName="live", EndpointConfigName="broken-config", DeploymentConfig=canary)
    assert SM.describe_endpoint(EndpointName="live")["EndpointStatus"] == "Updating"
    endpoint, statuses = wait_settled("live")
    time.sleep(1)
    versions, failures = load.stop()
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == "good-v1-config", (endpoint, statuses)
    # The recorded state changes, not the polled sample (a rollback can be over between two polls on a loaded machine).
    recorded = [event["detail"]["EndpointStatus"] for event in recorded_events()
                if event["type"] == "SageMaker Endpoint State Change" and event["detail"].get("EndpointName") == "live"]
    assert recorded[-3:] == ["Updating", "RollingBack", "InService"], recorded
    assert failures == [], failures[:5]
    assert set(versions) == {"v1"}, versions
    assert endpoint["LastDeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"] == [{"AlarmName": "ModelErrorRate"}], endpoint
    ok(f"a canary of a failing model rolled back by itself ({' -> '.join(statuses)}); {sum(versions.values())} requests "
       f"during the update, none failed, all answered by v1")

    load = Load("live")
    time.sleep(1)
    linear = {"BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                                        "WaitIntervalInSeconds": 2},
        "TerminationWaitInSeconds": 1},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "ModelErrorRate"}, {"AlarmName": "ModelLatencyP99:5000"}]}}
    SM.update_endpoint(EndpointName="live", EndpointConfigName="good-v2-config", DeploymentConfig=linear)
    endpoint, statuses = wait_settled("live")
    time.sleep(2)
    versions, failures = load.stop()
    assert endpoint["EndpointStatus"] == "InService" and endpoint["EndpointConfigName"] == "good-v2-config", (endpoint, statuses)
    assert "RollingBack" not in statuses, statuses
    assert failures == [], failures[:5]
    assert versions.get("v1", 0) > 0 and versions.get("v2", 0) > 0, versions
    runtime = boto3.client("sagemaker-runtime")
    answer = json.loads(runtime.invoke_endpoint(EndpointName="live", Body=json.dumps({"x": [3]}), ContentType="application/json")["Body"].read())
    assert answer == {"version": "v2", "y": [6]}, answer
    ok(f"a linear update of a good model completed ({' -> '.join(statuses)}); {sum(versions.values())} requests during it "
       f"({versions}), none failed; the endpoint now serves v2")


run(main)
