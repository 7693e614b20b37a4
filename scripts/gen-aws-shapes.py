#!/usr/bin/env python3
"""Extracts the input shapes of some operations of an AWS service from botocore's service model.

    .venv/bin/python scripts/gen-aws-shapes.py sagemaker Sources/OspreyServer/SageMaker/sagemaker-shapes.json \
        CreateTrainingJob DescribeTrainingJob ListTrainingJobs StopTrainingJob AddTags ListTags DeleteTags \
        CreateModel DescribeModel ListModels DeleteModel \
        CreateEndpointConfig DescribeEndpointConfig ListEndpointConfigs DeleteEndpointConfig \
        CreateEndpoint DescribeEndpoint ListEndpoints UpdateEndpoint UpdateEndpointWeightsAndCapacities DeleteEndpoint \
        CreateTransformJob DescribeTransformJob ListTransformJobs StopTransformJob

The output ({"operations": {Op: InputShape}, "shapes": {...}}) is what `ShapeModel` reads to validate requests as the
service does. Documentation is dropped; everything else of each reachable shape is kept. Re-run it when botocore changes.
"""
import glob
import gzip
import json
import os
import sys

import botocore

service, output, operations = sys.argv[1], sys.argv[2], sys.argv[3:]
folder = os.path.join(os.path.dirname(botocore.__file__), "data", service)
path = sorted(glob.glob(os.path.join(folder, "*", "service-2.json*")))[-1]
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rt") as handle:
    model = json.load(handle)

shapes, inputs = {}, {}

def visit(name):
    if name in shapes:
        return
    shape = {k: v for k, v in model["shapes"][name].items() if k != "documentation"}
    if "members" in shape:
        shape["members"] = {m: {"shape": t["shape"]} for m, t in shape["members"].items()}
    shapes[name] = shape
    for member in shape.get("members", {}).values():
        visit(member["shape"])
    for field in ("member", "key", "value"):
        if field in shape:
            visit(shape[field]["shape"])

for operation in operations:
    input_shape = model["operations"][operation].get("input", {}).get("shape")
    if input_shape:
        inputs[operation] = input_shape
        visit(input_shape)

with open(output, "w") as handle:
    json.dump({"service": service, "botocore": botocore.__version__, "operations": inputs, "shapes": shapes}, handle,
              indent=1, sort_keys=True)
    handle.write("\n")
print(f"{output}: {len(inputs)} operations, {len(shapes)} shapes from botocore {botocore.__version__}")
