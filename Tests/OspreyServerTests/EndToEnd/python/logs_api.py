"""CloudWatch Logs through the real boto3 `logs` client and awscli: groups and streams, PutLogEvents, GetLogEvents paged
forward and backward with tokens until an empty page (the empty page's token returns events appended later, as the SageMaker
SDK relies on), startTime, DescribeLogStreams as the SDKs call it, FilterLogEvents by prefix and pattern, and precise errors
for a missing group or stream, an out-of-order or oversize batch, an unknown parameter and bad credentials."""

import json
import os
import subprocess
import sys
import time
from unittest import mock

import boto3
import botocore.auth
from botocore.config import Config

from e2e import ENDPOINT, KEY_ID, REGION, SECRET, expect_error, ok, run, section, skewed, unique

AWS = os.path.join(os.path.dirname(sys.executable), "aws")
GROUP = "/aws/sagemaker/TrainingJobs"


def logs_client(key_id=None, secret=None):
    return boto3.client(
        "logs", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=key_id or KEY_ID,
        aws_secret_access_key=secret or SECRET, config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def aws(*args, check=True):
    result = subprocess.run([AWS, "logs", *args, "--output", "json"], capture_output=True, timeout=120)
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    if check and result.returncode != 0:
        raise AssertionError(f"aws logs {' '.join(args)} exited {result.returncode}\nstdout: {out[-2000:]}\nstderr: {err[-2000:]}")
    return result.returncode, (json.loads(out) if out.strip() else {}), err


def now_ms():
    return int(time.time() * 1000)


def put(logs, stream, messages, start, group=GROUP):
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def read_forward(logs, stream, token=None, limit=None, **extra):
    """Pages forward as the SDKs do until a page is empty; returns (messages, the empty page's forward token)."""
    messages, pages = [], 0
    while True:
        args = dict(logGroupName=GROUP, logStreamName=stream, startFromHead=True, **extra)
        if token:
            args["nextToken"] = token
        if limit:
            args["limit"] = limit
        page = logs.get_log_events(**args)
        assert "nextForwardToken" in page and "nextBackwardToken" in page, page
        pages += 1
        assert pages < 100, "GetLogEvents never returned an empty page"
        if not page["events"]:
            if token:
                assert page["nextForwardToken"] == token, (page["nextForwardToken"], token)
            return messages, page["nextForwardToken"]
        messages += [e["message"] for e in page["events"]]
        token = page["nextForwardToken"]


def main():
    logs = logs_client()
    job = unique("job")
    stream = f"{job}/algo-1-{int(time.time())}"

    with section("awscli: create, put, get, describe, filter"):
        aws("create-log-group", "--log-group-name", GROUP)
        aws("create-log-stream", "--log-group-name", GROUP, "--log-stream-name", stream)
        start = now_ms() - 60_000
        batch = [{"timestamp": start + i, "message": f"cli line {i}"} for i in range(3)]
        _, put_answer, _ = aws("put-log-events", "--log-group-name", GROUP, "--log-stream-name", stream, "--log-events", json.dumps(batch))
        assert "nextSequenceToken" in put_answer, put_answer
        _, got, _ = aws("get-log-events", "--log-group-name", GROUP, "--log-stream-name", stream, "--start-from-head")
        assert [e["message"] for e in got["events"]] == ["cli line 0", "cli line 1", "cli line 2"], got
        assert got["nextForwardToken"] and got["nextBackwardToken"], got
        _, described, _ = aws("describe-log-streams", "--log-group-name", GROUP, "--log-stream-name-prefix", f"{job}/")
        assert [s["logStreamName"] for s in described["logStreams"]] == [stream], described
        assert described["logStreams"][0]["lastEventTimestamp"] == start + 2, described
        _, filtered, _ = aws("filter-log-events", "--log-group-name", GROUP, "--log-stream-name-prefix", f"{job}/",
                             "--filter-pattern", '"line 1"')
        assert [e["message"] for e in filtered["events"]] == ["cli line 1"], filtered
        code, _, err = aws("create-log-group", "--log-group-name", GROUP, check=False)
        assert code != 0 and "ResourceAlreadyExistsException" in err, (code, err)
        code, _, err = aws("get-log-events", "--log-group-name", GROUP, "--log-stream-name", "no-such-stream", check=False)
        assert code != 0 and "ResourceNotFoundException" in err, (code, err)
        ok("aws logs create-log-group/create-log-stream/put-log-events/get-log-events/describe-log-streams/filter-log-events")

    with section("GetLogEvents paging with tokens"):
        paged = f"{job}/algo-2-{int(time.time())}"
        logs.create_log_stream(logGroupName=GROUP, logStreamName=paged)
        start = now_ms() - 120_000
        put(logs, paged, [f"event {i:02d}" for i in range(25)], start)
        messages, empty_token = read_forward(logs, paged, limit=10)
        assert messages == [f"event {i:02d}" for i in range(25)], messages
        # The SDK keeps the empty page's token and asks again later: it must return what was written since.
        put(logs, paged, ["event 25", "event 26", "event 27"], start + 100)
        later, again = read_forward(logs, paged, token=empty_token, limit=10)
        assert later == ["event 25", "event 26", "event 27"], later
        assert again != empty_token
        ok("forward pages of 10 until an empty page; the empty page's token returns the 3 events appended later")

        # Backward from the tail until an empty page.
        page = logs.get_log_events(logGroupName=GROUP, logStreamName=paged, limit=10)
        backward = [[e["message"] for e in page["events"]]]
        token = page["nextBackwardToken"]
        for _ in range(10):
            page = logs.get_log_events(logGroupName=GROUP, logStreamName=paged, limit=10, nextToken=token)
            if not page["events"]:
                break
            backward.append([e["message"] for e in page["events"]])
            token = page["nextBackwardToken"]
        assert backward[0] == [f"event {i:02d}" for i in range(18, 28)], backward[0]
        assert [m for chunk in reversed(backward) for m in chunk] == [f"event {i:02d}" for i in range(28)], backward
        ok("backward pages from the tail until an empty page: all 28 events, each page in order")

        # SDK 2.x: startTime with startFromHead=True on every call.
        since, _ = read_forward(logs, paged, startTime=start + 20)
        assert since == [f"event {i:02d}" for i in range(20, 25)] + ["event 25", "event 26", "event 27"], since
        ok("startTime is honoured (inclusive) while paging")

    with section("the SDK 3.x log loop"):
        job3 = unique("job3")
        streams = [f"{job3}/algo-{n}-{int(time.time())}" for n in (1, 2)]
        for name in streams:
            logs.create_log_stream(logGroupName=GROUP, logStreamName=name)
        described = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{job3}/", orderBy="LogStreamName")
        assert [s["logStreamName"] for s in described["logStreams"]] == streams, described
        tokens = {}
        for name in streams:
            messages, tokens[name] = read_forward(logs, name)
            assert messages == [], messages
        for n, name in enumerate(streams):
            put(logs, name, [f"host {n} step {i}" for i in range(3)], now_ms() - 1000)
        for n, name in enumerate(streams):
            messages, tokens[name] = read_forward(logs, name, token=tokens[name])
            assert messages == [f"host {n} step {i}" for i in range(3)], messages
        ok("DescribeLogStreams(prefix, orderBy=LogStreamName), then GetLogEvents per stream from saved tokens")

    with section("FilterLogEvents"):
        group = unique("/osprey/e2e/endpoints")
        logs.create_log_group(logGroupName=group)
        base = now_ms() - 30_000
        for n, name in enumerate(["AllTraffic/i-1", "AllTraffic/i-2", "Canary/i-1"]):
            logs.create_log_stream(logGroupName=group, logStreamName=name)
            put(logs, name, [f"{name} starting", f"{name} ERROR worker died", f"{name} ready"], base + n * 10, group=group)
        found = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="AllTraffic/", filterPattern="ERROR")
        assert [e["message"] for e in found["events"]] == ["AllTraffic/i-1 ERROR worker died", "AllTraffic/i-2 ERROR worker died"], found
        event = found["events"][0]
        assert event["logStreamName"] == "AllTraffic/i-1" and event["eventId"] and event["ingestionTime"], event
        assert {s["logStreamName"] for s in found["searchedLogStreams"]} == {"AllTraffic/i-1", "AllTraffic/i-2"}, found
        recent = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="AllTraffic/", limit=10)
        assert len(recent["events"]) == 6, recent
        paged = []
        for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=base + 1, PaginationConfig={"PageSize": 2}):
            assert len(page["events"]) <= 2, page
            paged += [e["message"] for e in page["events"]]
        assert len(paged) == 8 and "AllTraffic/i-1 starting" not in paged, paged
        ok("FilterLogEvents by prefix and pattern, limit, startTime, and paged 2 at a time by the paginator")

    with section("errors"):
        expect_error("ResourceNotFoundException", 400, logs.describe_log_streams, logGroupName="/no/such/group")
        expect_error("ResourceNotFoundException", 400, logs.get_log_events, logGroupName="/no/such/group", logStreamName="s")
        error = expect_error("ResourceNotFoundException", 400, logs.put_log_events, logGroupName=GROUP, logStreamName="no-such-stream",
                             logEvents=[{"timestamp": now_ms(), "message": "x"}])
        assert error.response["Error"]["Message"] == "The specified log stream does not exist.", error.response
        expect_error("ResourceNotFoundException", 400, logs.filter_log_events, logGroupName="/no/such/group")
        expect_error("ResourceNotFoundException", 400, logs.create_log_stream, logGroupName="/no/such/group", logStreamName="s")
        ok("a missing group or stream: ResourceNotFoundException (400)")

        t = now_ms()
        error = expect_error("InvalidParameterException", 400, logs.put_log_events, logGroupName=GROUP, logStreamName=stream,
                             logEvents=[{"timestamp": t, "message": "second"}, {"timestamp": t - 5, "message": "first"}])
        assert "chronological" in error.response["Error"]["Message"], error.response
        big = "x" * 600_000
        expect_error("InvalidParameterException", 400, logs.put_log_events, logGroupName=GROUP, logStreamName=stream,
                     logEvents=[{"timestamp": t, "message": big}, {"timestamp": t, "message": big}])
        expect_error("InvalidParameterException", 400, logs.get_log_events, logGroupName=GROUP, logStreamName=stream, nextToken="zz")
        messages, _ = read_forward(logs, stream)
        assert messages == ["cli line 0", "cli line 1", "cli line 2"], messages
        ok("an out-of-order or oversize batch: InvalidParameterException, nothing stored; a bad token: InvalidParameterException")

        # botocore refuses unknown parameters itself: add one to the body before it is signed.
        def add_unknown(request, **_):
            body = json.loads(request.data)
            body["notAParameter"] = 1
            request.data = json.dumps(body).encode()

        sneaky = logs_client()
        sneaky.meta.events.register("before-sign.logs.PutLogEvents", add_unknown)
        error = expect_error("ValidationException", 400, sneaky.put_log_events, logGroupName=GROUP, logStreamName=stream,
                             logEvents=[{"timestamp": now_ms(), "message": "never stored"}])
        assert "notAParameter" in error.response["Error"]["Message"], error.response
        ok("an unknown parameter: ValidationException naming it")

        expect_error("InvalidSignatureException", 400, logs_client(secret="wrong-secret-wrong-secret-wrong-secret00").describe_log_groups)
        expect_error("UnrecognizedClientException", 400,
                     logs_client(key_id="AKIAUNKNOWNKEY000000", secret="whatever-secret-value-000000000000000000").describe_log_groups)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=skewed(-20)):
            error = expect_error("InvalidSignatureException", 400, logs.describe_log_groups)
        assert error.response["Error"]["Message"].startswith("Signature expired:"), error.response
        ok("a wrong secret or a skewed clock: InvalidSignatureException; an unknown key: UnrecognizedClientException")

    with section("DescribeLogGroups paging"):
        prefix = unique("/osprey/e2e/paging")
        for n in range(3):
            logs.create_log_group(logGroupName=f"{prefix}/{n}")
        names = []
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix, PaginationConfig={"PageSize": 2}):
            names += [g["logGroupName"] for g in page["logGroups"]]
        assert names == [f"{prefix}/{n}" for n in range(3)], names
        ok("DescribeLogGroups by prefix, paged 2 at a time")


if __name__ == "__main__":
    run(main)
