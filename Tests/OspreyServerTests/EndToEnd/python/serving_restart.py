"""Endpoints across a server kill -9. `start` deploys an endpoint and checks it answers, creates a second one without
waiting for it, starts an UpdateEndpoint of a third and deletes a fourth; after the harness kill -9s and restarts the server, `verify` checks the endpoints are
there on the same configuration, InService, answer as before, that the updated one is InService on one of its two
configurations (never stuck Updating) and answers from it, that the deleted one stays deleted, and that no model worker
from before the kill is left running.

What `start` saw is kept in $OSPREY_E2E_SCRATCH/serving-restart.json for `verify`.
"""

import json
import os
import sys
import time

from botocore.exceptions import ClientError

from e2e import SCRATCH, expect_error, note, ok, run, unique
from serving_boto3 import (ROLE, RT, S3, SM, container, invoke, upload_model, variant, wait_endpoint, wait_gone,
                           worker_pids)

BUCKET = "serving-restart"
STATE = os.path.join(SCRATCH, "serving-restart.json")
X = [3, 4]
EXPECTED = 2 * 3 + 5 * 4 + 0.25


def start():
    tag = unique("restart")
    S3.create_bucket(Bucket=BUCKET)
    url = upload_model(S3, BUCKET, "models/survivor/model.tar.gz", {"name": "survivor-model", "weights": [2, 5], "bias": 0.25})
    SM.create_model(ModelName="survivor-model", ExecutionRoleArn=ROLE, PrimaryContainer=container(url, E2E_TAG=tag))
    SM.create_endpoint_config(EndpointConfigName="survivor-config", ProductionVariants=[variant("AllTraffic", "survivor-model")])
    SM.create_endpoint(EndpointName="survivor", EndpointConfigName="survivor-config")
    described, seen, seconds = wait_endpoint(SM, "survivor")
    assert described["EndpointStatus"] == "InService", f"{seen}: {described.get('FailureReason')}"
    response, answer = invoke(RT, "survivor", {"x": X})
    assert answer["y"] == EXPECTED and answer["model"] == "survivor-model", answer
    ok(f"the endpoint is InService ({seconds:.1f} s) and answers {answer['y']}")

    SM.create_endpoint(EndpointName="doomed", EndpointConfigName="survivor-config")
    wait_endpoint(SM, "doomed")
    SM.delete_endpoint(EndpointName="doomed")
    wait_gone(SM, "doomed")
    ok("a second endpoint was created and deleted")

    moved = upload_model(S3, BUCKET, "models/moved/model.tar.gz", {"name": "moved-model", "weights": [1, 1], "bias": 0.0})
    SM.create_model(ModelName="moved-model", ExecutionRoleArn=ROLE, PrimaryContainer=container(moved))
    SM.create_endpoint_config(EndpointConfigName="moved-config", ProductionVariants=[variant("AllTraffic", "moved-model")])
    SM.create_endpoint(EndpointName="mover", EndpointConfigName="survivor-config")
    moving, seen, _ = wait_endpoint(SM, "mover")
    assert moving["EndpointStatus"] == "InService", f"{seen}: {moving.get('FailureReason')}"
    SM.update_endpoint(EndpointName="mover", EndpointConfigName="moved-config")
    mover_status = SM.describe_endpoint(EndpointName="mover")["EndpointStatus"]

    SM.create_endpoint(EndpointName="latecomer", EndpointConfigName="survivor-config")
    late_status = SM.describe_endpoint(EndpointName="latecomer")["EndpointStatus"]
    pids = worker_pids(tag)
    with open(STATE, "w") as handle:
        json.dump({"tag": tag, "pids": pids, "answer": answer, "creation": described["CreationTime"].timestamp(),
                   "arn": described["EndpointArn"]}, handle)
    ok(f"an endpoint was being updated to moved-config (it was {mover_status}) and another created (it was {late_status}) "
       "just before the kill; "
       f"{len(pids)} worker processes of the model are visible")


def verify():
    with open(STATE) as handle:
        before = json.load(handle)
    described, seen, seconds = wait_endpoint(SM, "survivor")
    assert described["EndpointStatus"] == "InService", f"after the restart: {seen}: {described.get('FailureReason')}"
    assert described["EndpointConfigName"] == "survivor-config", described
    assert described["EndpointArn"] == before["arn"], (described["EndpointArn"], before["arn"])
    creation = described["CreationTime"].timestamp()
    assert abs(creation - before["creation"]) < 0.002, \
        f"CreationTime was {before['creation']} before the kill and is {creation} after the restart"
    assert [v["VariantName"] for v in described["ProductionVariants"]] == ["AllTraffic"], described["ProductionVariants"]
    ok(f"after the restart the endpoint is InService on survivor-config (statuses seen: {seen}, {seconds:.1f} s)")

    # The first call once DescribeEndpoint says InService must be answered; later ones tell how long serving took to return.
    failures, answer, started = [], None, time.time()
    while time.time() - started < 60:
        try:
            response, answer = invoke(RT, "survivor", {"x": X})
            break
        except ClientError as error:
            failures.append(f"{time.time() - started:.1f} s: {error.response.get('Error')} "
                            f"HTTP {error.response['ResponseMetadata']['HTTPStatusCode']}")
            time.sleep(0.5)
    assert answer is not None, f"the endpoint did not answer within 60 s of being InService: {failures[:3]}"
    assert not failures, f"InService but not answering: {len(failures)} failed calls before the first answer " \
                         f"({failures[0]} ... {failures[-1]})"
    assert answer["y"] == before["answer"]["y"] and answer["model"] == "survivor-model", answer
    ok(f"it gives the same answer as before the kill: {answer['y']}")

    late, seen, seconds = wait_endpoint(SM, "latecomer")
    assert late["EndpointStatus"] == "InService", f"the endpoint created just before the kill: {seen}: {late.get('FailureReason')}"
    response, late_answer = invoke(RT, "latecomer", {"x": X})
    assert late_answer["y"] == EXPECTED, late_answer
    ok(f"the endpoint created just before the kill is InService ({seen}) and answers")

    mover, seen, seconds = wait_endpoint(SM, "mover")
    assert mover["EndpointStatus"] == "InService", f"the endpoint updated at the kill: {seen}: {mover.get('FailureReason')}"
    config = mover["EndpointConfigName"]
    assert config in ("survivor-config", "moved-config"), config
    assert "PendingDeploymentSummary" not in mover, mover
    response, moved_answer = invoke(RT, "mover", {"x": X})
    expected = {"survivor-config": ("survivor-model", EXPECTED), "moved-config": ("moved-model", 7.0)}[config]
    assert (moved_answer["model"], moved_answer["y"]) == expected, (config, moved_answer)
    ok(f"the endpoint being updated at the kill is InService on {config} ({seen}) and answers from {moved_answer['model']}")

    expect_error("ValidationException", 400, SM.describe_endpoint, EndpointName="doomed")
    expect_error("ValidationError", 400, RT.invoke_endpoint, EndpointName="doomed", Body=json.dumps({"x": X}),
                 ContentType="application/json")
    assert sorted(e["EndpointName"] for e in SM.list_endpoints()["Endpoints"]) == ["latecomer", "mover", "survivor"]
    ok("the endpoint deleted before the kill stays deleted")

    if before["pids"]:
        deadline = time.time() + 30
        while True:
            left = sorted(set(before["pids"]) & set(worker_pids(before["tag"])))
            if not left:
                break
            assert time.time() < deadline, f"model workers from before the kill are still running 30 s after the restart: {left}"
            time.sleep(0.5)
        ok(f"no worker process from before the kill is left ({len(before['pids'])} were running); "
           f"{len(worker_pids(before['tag']))} serve now")
    else:
        note("the workers' processes are not visible in /proc here: leftovers from before the kill were not checked")

    for name in ("survivor", "latecomer", "mover"):
        SM.delete_endpoint(EndpointName=name)
    for name in ("survivor", "latecomer", "mover"):
        wait_gone(SM, name)
    for name in ("survivor-config", "moved-config"):
        SM.delete_endpoint_config(EndpointConfigName=name)
    for name in ("survivor-model", "moved-model"):
        SM.delete_model(ModelName=name)
    ok("deleted after the restart")


if __name__ == "__main__":
    run({"start": start, "verify": verify}[sys.argv[1]])
