"""Endpoint autoscaling through the Application Auto Scaling API, as SageMaker users configure it: a registered variant
is brought inside its bounds, scales out to MaxCapacity under load and back in to MinCapacity after the cooldown once the
load stops, every change listed by DescribeScalingActivities; bad input is refused precisely and creates nothing.

Run with OSPREY_AUTOSCALING_INTERVAL=1 and OSPREY_AUTOSCALING_WINDOW=4 (seconds)."""

import json
import threading
import time

import boto3

from e2e import client_error, code_archive, ok, run

SM = boto3.client("sagemaker")
S3 = boto3.client("s3")
AAS = boto3.client("application-autoscaling")
BUCKET = "autoscaling-e2e"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
ENDPOINT = "scaled"
RESOURCE = f"endpoint/{ENDPOINT}/variant/AllTraffic"
SAGEMAKER = {"ServiceNamespace": "sagemaker", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}

INFERENCE = r'''
def model_fn(model_dir):
    return None
def predict_fn(data, model):
    return {"y": [x * 2 for x in data["x"]]}
'''


def create_endpoint():
    S3.create_bucket(Bucket=BUCKET)
    S3.put_object(Bucket=BUCKET, Key="model.tar.gz", Body=code_archive(INFERENCE))
    SM.create_model(ModelName="doubler", ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": "osprey/python", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}})
    SM.create_endpoint_config(EndpointConfigName="doubler-config", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "doubler", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    SM.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="doubler-config")
    wait_for(lambda: status_and_count()[0] == "InService", "the endpoint to be InService")


def status_and_count():
    endpoint = SM.describe_endpoint(EndpointName=ENDPOINT)
    variant = endpoint["ProductionVariants"][0]
    return endpoint["EndpointStatus"], variant.get("CurrentInstanceCount"), variant.get("DesiredInstanceCount")


def wait_for(condition, what, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; endpoint: {status_and_count()}, activities: {activities()}")


def activities():
    return AAS.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=RESOURCE)["ScalingActivities"]


def settled_at(count):
    def check():
        status, current, desired = status_and_count()
        latest = activities()
        return (status == "InService" and current == count and desired == count and latest
                and latest[0]["StatusCode"] == "Successful")
    return check


def expect_refused(code, fragment, fn, **kwargs):
    error = client_error(fn, **kwargs)
    assert error.response["Error"]["Code"] == code, error.response
    assert fragment in error.response["Error"]["Message"], error.response
    return error.response["Error"]["Message"]


def bad_input():
    register = AAS.register_scalable_target
    expect_refused("ValidationException", "Could not find endpoint", register, ServiceNamespace="sagemaker",
                   ScalableDimension="sagemaker:variant:DesiredInstanceCount", ResourceId="endpoint/nope/variant/AllTraffic",
                   MinCapacity=1, MaxCapacity=2)
    expect_refused("ValidationException", "has no production variant Missing", register, **SAGEMAKER,
                   ResourceId=f"endpoint/{ENDPOINT}/variant/Missing", MinCapacity=1, MaxCapacity=2)
    expect_refused("ValidationException", "SageMaker endpoint variants only", register, ServiceNamespace="ecs",
                   ScalableDimension="ecs:service:DesiredCount", ResourceId="service/default/web", MinCapacity=1, MaxCapacity=2)
    expect_refused("ValidationException", "SageMaker endpoint variants only", register, ServiceNamespace="sagemaker",
                   ScalableDimension="sagemaker:inference-component:DesiredCopyCount", ResourceId=RESOURCE, MinCapacity=1,
                   MaxCapacity=2)
    expect_refused("ValidationException", "endpoint/{EndpointName}/variant/{VariantName}", register, **SAGEMAKER,
                   ResourceId=f"endpoint/{ENDPOINT}", MinCapacity=1, MaxCapacity=2)
    expect_refused("ValidationException", "Minimum capacity cannot be greater than maximum capacity", register, **SAGEMAKER,
                   ResourceId=RESOURCE, MinCapacity=3, MaxCapacity=2)
    expect_refused("ValidationException", "MinCapacity and MaxCapacity are required", register, **SAGEMAKER, ResourceId=RESOURCE)
    tracking = {"TargetValue": 5.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
    expect_refused("ObjectNotFoundException", "No scalable target registered", AAS.put_scaling_policy, PolicyName="early",
                   **SAGEMAKER, ResourceId=RESOURCE, PolicyType="TargetTrackingScaling",
                   TargetTrackingScalingPolicyConfiguration=tracking)
    expect_refused("ObjectNotFoundException", "No scalable target registered", AAS.deregister_scalable_target, **SAGEMAKER,
                   ResourceId=RESOURCE)
    assert AAS.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert activities() == []
    ok("unknown endpoint or variant, another namespace or dimension, a malformed resource id, Min > Max, "
       "a policy or deregistration without a target: precise errors, nothing registered")


def bad_policies():
    put = AAS.put_scaling_policy
    step = {"AdjustmentType": "ChangeInCapacity", "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]}
    expect_refused("ValidationException", "StepScaling policies are not supported", put, PolicyName="steps", **SAGEMAKER,
                   ResourceId=RESOURCE, PolicyType="StepScaling", StepScalingPolicyConfiguration=step)
    expect_refused("ValidationException", "StepScaling policies are not supported", put, PolicyName="steps", **SAGEMAKER,
                   ResourceId=RESOURCE, StepScalingPolicyConfiguration=step)
    cpu = {"TargetValue": 50.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
    expect_refused("ValidationException", "SageMakerVariantInvocationsPerInstance only", put, PolicyName="cpu", **SAGEMAKER,
                   ResourceId=RESOURCE, PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=cpu)
    zero = {"TargetValue": 0.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
    expect_refused("ValidationException", "TargetValue", put, PolicyName="zero", **SAGEMAKER, ResourceId=RESOURCE,
                   PolicyType="TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration=zero)
    assert AAS.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    expect_refused("ObjectNotFoundException", "No scaling policy found", AAS.delete_scaling_policy, PolicyName="steps",
                   **SAGEMAKER, ResourceId=RESOURCE)
    ok("StepScaling (also by default), another metric and a TargetValue of 0 are refused; no policy was stored")


class Load:
    """Threads invoking the endpoint until stopped."""

    def __init__(self, threads=4):
        self.stopping, self.count, self.failures, self.lock = threading.Event(), 0, [], threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self):
        runtime = boto3.client("sagemaker-runtime")
        while not self.stopping.is_set():
            try:
                runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=json.dumps({"x": [1]}), ContentType="application/json")
                with self.lock:
                    self.count += 1
            except Exception as error:  # every failure is a finding
                with self.lock:
                    self.failures.append(repr(error))
            time.sleep(0.01)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.count, self.failures


def main():
    create_endpoint()
    bad_input()

    # A count below MinCapacity is brought up to it at once.
    arn = AAS.register_scalable_target(**SAGEMAKER, ResourceId=RESOURCE, MinCapacity=2, MaxCapacity=3)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/"), arn
    wait_for(settled_at(2), "the variant to be brought up to MinCapacity 2")
    first = activities()[0]
    assert first["Cause"] == "minimum capacity was set to 2" and first["Description"] == "Setting desired instance count to 2.", first
    ok(f"registering MinCapacity 2 took the variant from 1 to 2 instances: {first['StatusMessage']}")

    assert AAS.register_scalable_target(**SAGEMAKER, ResourceId=RESOURCE, MinCapacity=1)["ScalableTargetARN"] == arn
    [target] = AAS.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[RESOURCE])["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"], target["ScalableTargetARN"]) == (1, 3, arn), target
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount", target
    bad_policies()

    # The load starts before the policy, so the policy never sees an idle variant it could scale in.
    load = Load()
    time.sleep(1)
    tracking = {"TargetValue": 5.0, "ScaleOutCooldown": 2, "ScaleInCooldown": 6,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}
    policy = AAS.put_scaling_policy(PolicyName="invocations", **SAGEMAKER, ResourceId=RESOURCE, PolicyType="TargetTrackingScaling",
                                    TargetTrackingScalingPolicyConfiguration=tracking)
    prefix = "arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:"
    suffix = f":resource/sagemaker/{RESOURCE}:policyName/invocations"
    assert policy["PolicyARN"].startswith(prefix) and policy["PolicyARN"].endswith(suffix), policy
    [described] = AAS.describe_scaling_policies(ServiceNamespace="sagemaker", ResourceId=RESOURCE)["ScalingPolicies"]
    assert described["PolicyARN"] == policy["PolicyARN"] and described["PolicyType"] == "TargetTrackingScaling", described
    assert described["TargetTrackingScalingPolicyConfiguration"] == tracking, described

    wait_for(settled_at(3), "the variant to scale out to 3 under load")
    out = activities()[0]
    assert "triggered policy invocations" in out["Cause"] and out["Description"] == "Setting desired instance count to 3.", out
    assert out["StatusMessage"].startswith("Successfully set desired instance count to 3"), out
    ok(f"under load the variant scaled out to 3 instances ({out['Cause']})")

    time.sleep(3)
    assert status_and_count() == ("InService", 3, 3), status_and_count()
    count, failures = load.stop()
    assert failures == [], failures[:5]
    stopped = time.time()
    wait_for(settled_at(1), "the variant to scale back in to 1")
    scaled_in = activities()[0]
    out_end = out["EndTime"].timestamp()
    assert scaled_in["StartTime"].timestamp() >= out_end + 6, (out, scaled_in)
    assert scaled_in["Description"] == "Setting desired instance count to 1." and "triggered policy" in scaled_in["Cause"], scaled_in
    ok(f"{count} requests, none failed; {time.time() - stopped:.1f} s after the load stopped the variant was back at 1 instance")

    listed = activities()
    assert [a["Description"] for a in listed] == [f"Setting desired instance count to {n}." for n in (1, 3, 2)], listed
    assert all(a["StatusCode"] == "Successful" and a["ResourceId"] == RESOURCE for a in listed), listed
    page = AAS.describe_scaling_activities(ServiceNamespace="sagemaker", MaxResults=2)
    assert len(page["ScalingActivities"]) == 2 and "NextToken" in page, page
    rest = AAS.describe_scaling_activities(ServiceNamespace="sagemaker", MaxResults=2, NextToken=page["NextToken"])
    assert [a["ActivityId"] for a in page["ScalingActivities"] + rest["ScalingActivities"]] == [a["ActivityId"] for a in listed]

    AAS.delete_scaling_policy(PolicyName="invocations", **SAGEMAKER, ResourceId=RESOURCE)
    assert AAS.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    AAS.deregister_scalable_target(**SAGEMAKER, ResourceId=RESOURCE)
    assert AAS.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    ok("DescribeScalingActivities lists 1 -> 2 -> 3 -> 1 (paged too); the policy and the target were removed")


run(main)
