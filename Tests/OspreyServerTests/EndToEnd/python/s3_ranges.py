"""Ranged GETs: bytes=0-9, bytes=-5, bytes=10-, a range past the end clipped, and unsatisfiable ranges →
416 InvalidRange (with Content-Range bytes */size on the raw answer)."""

import os

from e2e import ENDPOINT, expect_error, note, ok, quote_key, run, s3_client, signed_request, unique


def main():
    s3 = s3_client()
    bucket = unique("range")
    s3.create_bucket(Bucket=bucket)
    body = os.urandom(1000) + bytes(range(256)) * 4
    size = len(body)
    key = "ranged/object.bin"
    s3.put_object(Bucket=bucket, Key=key, Body=body)

    cases = [
        ("bytes=0-9", body[:10], f"bytes 0-9/{size}"),
        ("bytes=-5", body[-5:], f"bytes {size - 5}-{size - 1}/{size}"),
        ("bytes=10-", body[10:], f"bytes 10-{size - 1}/{size}"),
        (f"bytes={size - 3}-{size + 100}", body[-3:], f"bytes {size - 3}-{size - 1}/{size}"),
        ("bytes=500-500", body[500:501], f"bytes 500-500/{size}"),
    ]
    for spec, expected, content_range in cases:
        got = s3.get_object(Bucket=bucket, Key=key, Range=spec)
        data = got["Body"].read()
        status = got["ResponseMetadata"]["HTTPStatusCode"]
        assert status == 206, (spec, status)
        assert data == expected, (spec, len(data), len(expected))
        assert got["ContentLength"] == len(expected), (spec, got["ContentLength"])
        assert got["ContentRange"] == content_range, (spec, got["ContentRange"], content_range)
        ok(f"Range {spec}: 206, {len(expected)} bytes, Content-Range {content_range}")

    head = s3.head_object(Bucket=bucket, Key=key, Range="bytes=0-9")
    if head["ContentLength"] == 10 and head["ResponseMetadata"]["HTTPStatusCode"] == 206:
        ok("HeadObject with Range: 206 and the range's length")
    else:
        note(f"HeadObject with Range bytes=0-9: {head['ResponseMetadata']['HTTPStatusCode']}, "
             f"ContentLength {head['ContentLength']} (S3 answers 206 and 10)")

    for spec in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}"):
        expect_error("InvalidRange", 416, s3.get_object, Bucket=bucket, Key=key, Range=spec)
        raw = signed_request("GET", f"/{bucket}/{quote_key(key)}", headers={"Range": spec})
        assert raw.status == 416 and raw.code == "InvalidRange", raw
        ok(f"Range {spec}: 416 InvalidRange")

    full = s3.get_object(Bucket=bucket, Key=key)
    assert full["ResponseMetadata"]["HTTPStatusCode"] == 200 and full["Body"].read() == body
    ok("a GET without Range is 200 with the whole body")
    if full["ResponseMetadata"]["HTTPHeaders"].get("accept-ranges") != "bytes":
        note("GetObject answers without Accept-Ranges: bytes (S3 sends it)")

    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_bucket(Bucket=bucket)
    print(f"(endpoint {ENDPOINT})")


if __name__ == "__main__":
    run(main)
