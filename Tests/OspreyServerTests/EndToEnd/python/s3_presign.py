"""Presigned GET URLs fetched with plain urllib: a valid one returns the object; an expired one is 403
AccessDenied XML; a tampered one is 403 SignatureDoesNotMatch; a presigned URL for a missing key is NoSuchKey.

SigV4 URLs (`Config(signature_version='s3v4')`) first; then the URL boto3 makes by default, which for us-east-1
is still SigV2 query authentication (AWSAccessKeyId, Signature, Expires): what an unconfigured client sends."""

import re
import time
import urllib.error
import urllib.request

from e2e import error_code, ok, run, s3_client, unique


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def main():
    s3 = s3_client(signature_version="s3v4")
    bucket = unique("presign")
    s3.create_bucket(Bucket=bucket)
    body = b"presigned content \x00\x01\x02" * 100
    s3.put_object(Bucket=bucket, Key="dir/file name.bin", Body=body, ContentType="application/x-presigned")

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/file name.bin"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url, url
    status, headers, data = fetch(url)
    assert status == 200 and data == body, (status, data[:200])
    assert headers.get("content-type") == "application/x-presigned", headers
    ok("a presigned GET URL returns the object to urllib (no credentials)")
    status, _, data = fetch(url)
    assert status == 200 and data == body, status
    ok("the same presigned URL works twice within its validity")

    ranged = urllib.request.Request(url, headers={"Range": "bytes=0-9"})
    with urllib.request.urlopen(ranged, timeout=30) as response:
        assert response.status == 206 and response.read() == body[:10], response.status
    ok("a presigned URL honours Range")

    tampered = re.sub(r"X-Amz-Signature=[0-9a-f]+", "X-Amz-Signature=" + "0" * 64, url)
    assert tampered != url
    status, _, data = fetch(tampered)
    assert status == 403 and error_code(data) == "SignatureDoesNotMatch", (status, data[:500])
    ok("a tampered signature: 403 SignatureDoesNotMatch")

    other_key = url.replace("file%20name.bin", "other.bin")
    status, _, data = fetch(other_key)
    assert status == 403 and error_code(data) == "SignatureDoesNotMatch", (status, data[:500])
    ok("a presigned URL used for another key: 403 SignatureDoesNotMatch")

    missing = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "nope"}, ExpiresIn=300)
    status, _, data = fetch(missing)
    assert status == 404 and error_code(data) == "NoSuchKey", (status, data[:500])
    ok("a presigned URL for a missing key: 404 NoSuchKey")

    expired = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/file name.bin"}, ExpiresIn=1)
    time.sleep(2.5)
    status, headers, data = fetch(expired)
    assert status == 403, (status, data[:500])
    assert error_code(data) == "AccessDenied", data[:500]
    assert data.lstrip().startswith(b"<?xml") or data.lstrip().startswith(b"<Error"), data[:200]
    ok(f"an expired presigned URL: 403 AccessDenied XML ({data[:160]!r})")

    # What boto3 makes without any signature configuration (SigV2 query auth in us-east-1).
    default = s3_client()
    url = default.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/file name.bin"},
                                         ExpiresIn=300)
    kind = "SigV4" if "X-Amz-Signature=" in url else "SigV2"
    status, _, data = fetch(url)
    assert status == 200 and data == body, (
        f"boto3's default presigned URL ({kind}: {url}) answered {status}: {data[:300]!r}")
    ok(f"boto3's default presigned URL ({kind}) returns the object")
    expired = default.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/file name.bin"},
                                             ExpiresIn=1)
    time.sleep(2.5)
    status, _, data = fetch(expired)
    assert status == 403 and error_code(data) == "AccessDenied", (status, data[:500])
    ok(f"an expired default ({kind}) presigned URL: 403 AccessDenied")

    s3.delete_object(Bucket=bucket, Key="dir/file name.bin")
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    run(main)
