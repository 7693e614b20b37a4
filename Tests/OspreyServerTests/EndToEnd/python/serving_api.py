"""Real-time serving's control plane through boto3: models, endpoint configurations, tags and bad input.

Running endpoints are covered by serving_boto3.py; here no endpoint is created.
"""

import json

import boto3

from e2e import REGION, expect_error, ok, run, section

SM = boto3.client("sagemaker")
ACCOUNT = "000000000000"
ROLE = "arn:aws:iam::000000000000:role/Osprey"
IMAGE = "osprey/python"


def arn(kind, name):
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def message(error):
    return error.response["Error"]["Message"]


def create_model(name, **extra):
    request = dict(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={
        "Image": IMAGE, "ModelDataUrl": "s3://models/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}})
    request.update(extra)
    return SM.create_model(**request)


def create_config(name, model="Model-One", **extra):
    request = dict(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    request.update(extra)
    return SM.create_endpoint_config(**request)


def with_extra_member(operation, member, value, call):
    """Runs `call` with `member` added to the JSON body botocore sends (botocore drops members its model lacks)."""
    def inject(request, **_):
        body = json.loads(request.data or b"{}")
        body[member] = value
        request.data = json.dumps(body).encode()
        request.headers["Content-Length"] = str(len(request.data))
    SM.meta.events.register(f"before-sign.sagemaker.{operation}", inject)
    try:
        return call()
    finally:
        SM.meta.events.unregister(f"before-sign.sagemaker.{operation}", inject)


def names(listing, key, field):
    return [entry[field] for entry in listing[key]]


def main():
    with section("models"):
        created = create_model("Model-One", Tags=[{"Key": "team", "Value": "ml"}])
        assert created["ModelArn"] == arn("model", "Model-One"), created
        create_model("model-two")
        SM.create_model(
            ModelName="pipeline", ExecutionRoleArn=ROLE,
            Containers=[{"Image": IMAGE, "ContainerHostname": "pre"}, {"Image": IMAGE, "ModelDataUrl": "s3://models/m.tar.gz"}])
        model = SM.describe_model(ModelName="Model-One")
        assert model["ModelName"] == "Model-One" and model["ModelArn"] == created["ModelArn"], model
        assert model["PrimaryContainer"]["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py", model
        assert model["ExecutionRoleArn"] == ROLE and model["EnableNetworkIsolation"] is False, model
        assert "VpcConfig" not in model and "Containers" not in model and "Tags" not in model, model
        assert model["CreationTime"].year >= 2024, model
        assert [c["ContainerHostname"] for c in SM.describe_model(ModelName="pipeline")["Containers"] if "ContainerHostname" in c] == ["pre"]
        listing = SM.list_models(SortBy="Name", SortOrder="Ascending")
        assert names(listing, "Models", "ModelName") == ["Model-One", "model-two", "pipeline"], listing
        assert names(SM.list_models(NameContains="MODEL"), "Models", "ModelName") == ["model-two", "Model-One"]
        page = SM.list_models(MaxResults=2, SortBy="Name", SortOrder="Descending")
        assert names(page, "Models", "ModelName") == ["pipeline", "model-two"] and page["NextToken"], page
        rest = SM.list_models(MaxResults=2, SortBy="Name", SortOrder="Descending", NextToken=page["NextToken"])
        assert names(rest, "Models", "ModelName") == ["Model-One"] and "NextToken" not in rest, rest
        created_at = model["CreationTime"]
        assert names(SM.list_models(CreationTimeBefore=created_at), "Models", "ModelName") == []
        ok("CreateModel, DescribeModel (no empty structures), ListModels with filters, sorting and paging")

    with section("endpoint configurations"):
        config = create_config("Config-One", Tags=[{"Key": "stage", "Value": "dev"}])
        assert config["EndpointConfigArn"] == arn("endpoint-config", "Config-One"), config
        described = SM.describe_endpoint_config(EndpointConfigName="Config-One")
        variant = described["ProductionVariants"][0]
        assert variant["VariantName"] == "AllTraffic" and variant["ModelName"] == "Model-One", described
        assert variant["InitialVariantWeight"] == 1.0 and variant["InitialInstanceCount"] == 1, described
        assert "DataCaptureConfig" not in described and "AsyncInferenceConfig" not in described, described
        create_config("config-two", model="model-two")
        assert names(SM.list_endpoint_configs(SortBy="Name", SortOrder="Ascending"), "EndpointConfigs", "EndpointConfigName") == [
            "Config-One", "config-two"]
        SM.delete_endpoint_config(EndpointConfigName="config-two")
        error = expect_error("ValidationException", None, SM.describe_endpoint_config, EndpointConfigName="config-two")
        assert message(error) == f'Could not find endpoint configuration "{arn("endpoint-config", "config-two")}".', message(error)
        ok("CreateEndpointConfig, DescribeEndpointConfig (defaults filled), ListEndpointConfigs, DeleteEndpointConfig")

    with section("tags"):
        model_arn, config_arn = arn("model", "Model-One"), arn("endpoint-config", "Config-One")
        assert SM.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
        assert SM.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
        SM.add_tags(ResourceArn=model_arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "serving"}])
        assert SM.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "serving"}]
        SM.delete_tags(ResourceArn=model_arn, TagKeys=["team"])
        assert SM.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
        expect_error("ResourceNotFound", None, SM.list_tags, ResourceArn=arn("model", "no-such-model"))
        expect_error("ResourceLimitExceeded", None, SM.add_tags, ResourceArn=config_arn,
                     Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
        assert SM.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "stage", "Value": "dev"}]
        ok("AddTags, ListTags, DeleteTags on model and endpoint-config ARNs; at most 50 tags")

    with section("no endpoints yet"):
        error = expect_error("ValidationException", None, SM.describe_endpoint, EndpointName="ep")
        assert message(error) == f'Could not find endpoint "{arn("endpoint", "ep")}".', message(error)
        assert SM.list_endpoints()["Endpoints"] == []
        ok("DescribeEndpoint of an unknown endpoint names it; ListEndpoints is empty")

    with section("bad input"):
        error = expect_error("ValidationException", None, create_model, "bad_name")
        assert "modelName" in message(error), message(error)
        error = expect_error("ValidationException", None, create_model, "model-one")
        assert message(error) == f'Cannot create already existing model "{arn("model", "Model-One")}".', message(error)
        error = expect_error("ValidationException", None, create_model, "image-model", PrimaryContainer={"Image": "nginx:latest"})
        assert "nginx:latest" in message(error), message(error)
        error = expect_error("ValidationException", None, create_model, "url-model",
                             PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "https://example.com/model.tar.gz"})
        assert "s3://" in message(error), message(error)
        error = expect_error("ValidationException", None, create_config, "ghost-config", model="ghost")
        assert message(error) == f'Could not find model "{arn("model", "ghost")}".', message(error)
        error = expect_error("ValidationException", None, create_config, "Config-One")
        assert message(error) == f'Cannot create already existing endpoint configuration "{arn("endpoint-config", "Config-One")}".'
        error = expect_error("ValidationException", None, create_config, "weightless", ProductionVariants=[{
            "VariantName": "a", "ModelName": "Model-One", "InitialInstanceCount": 1, "InitialVariantWeight": 0}])
        assert "greater than 0" in message(error), message(error)
        error = expect_error("ValidationException", None, SM.create_endpoint, EndpointName="alarm-ep", EndpointConfigName="Config-One",
                             DeploymentConfig={"AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "HighCPU"}]}})
        assert "HighCPU" in message(error) and "ModelLatencyP99:<milliseconds>" in message(error), message(error)
        error = expect_error("ValidationException", None, SM.create_endpoint, EndpointName="ep", EndpointConfigName="no-config")
        assert message(error) == f'Could not find endpoint configuration "{arn("endpoint-config", "no-config")}".', message(error)
        error = expect_error("ValidationException", None, with_extra_member, "CreateModel", "Colour", "blue",
                             lambda: create_model("extra-model"))
        assert "Unknown parameter 'colour'" in message(error), message(error)
        error = expect_error("ValidationException", None, SM.describe_model, ModelName="no-such-model")
        assert message(error) == f'Could not find model "{arn("model", "no-such-model")}".', message(error)
        models = names(SM.list_models(MaxResults=100), "Models", "ModelName")
        assert sorted(models) == ["Model-One", "model-two", "pipeline"], models
        configs = names(SM.list_endpoint_configs(MaxResults=100), "EndpointConfigs", "EndpointConfigName")
        assert configs == ["Config-One"], configs
        assert SM.list_endpoints()["Endpoints"] == []
        ok("bad input: invalid and duplicate names, unknown image or model, https model data, zero weights, bad alarm, "
           "unknown config, unknown member — each a precise ValidationException, nothing created")

    with section("delete"):
        SM.delete_model(ModelName="model-two")
        expect_error("ValidationException", None, SM.delete_model, ModelName="model-two")
        SM.delete_model(ModelName="Model-One")  # used by Config-One: allowed, as in SageMaker
        SM.delete_endpoint_config(EndpointConfigName="Config-One")
        assert names(SM.list_models(), "Models", "ModelName") == ["pipeline"]
        ok("DeleteModel and DeleteEndpointConfig, also of resources in use; deleting twice is a ValidationException")


if __name__ == "__main__":
    run(main)
