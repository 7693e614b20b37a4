"""Bad input gets a precise S3 error and changes nothing: wrong secret, unknown key, skewed clock, no
credentials, malformed CompleteMultipartUpload XML, wrong part ETag, keys with '../' segments (nothing written
outside the data dir), unknown bucket, reserved and invalid bucket names, an oversize PUT (no hang)."""

import http.client
import os
import socket
import urllib.parse

from botocore.exceptions import ClientError

from e2e import (
    DATA_DIR, ENDPOINT, _HOSTPORT, client_error, expect_error, note, ok, section, quote_key, run, s3_client, send, sign,
    signed_request, skewed, unique,
)

MIB = 1024 * 1024


def absent(s3, bucket, key):
    error = client_error(s3.head_object, Bucket=bucket, Key=key)
    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == 404, f"{key} should not exist, HeadObject answered {status}"


def main():
    s3 = s3_client()
    bucket = unique("bad")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="existing", Body=b"original")

    # Credentials.
    with section("wrong secret"):
        wrong_secret = s3_client(secret="not-the-secret-" + "x" * 25)
        expect_error("SignatureDoesNotMatch", 403, wrong_secret.put_object, Bucket=bucket, Key="k-wrong-secret", Body=b"x")
        expect_error("SignatureDoesNotMatch", 403, wrong_secret.put_object, Bucket=bucket, Key="existing", Body=b"over")
        expect_error("SignatureDoesNotMatch", 403, wrong_secret.list_buckets)
        absent(s3, bucket, "k-wrong-secret")
        assert s3.get_object(Bucket=bucket, Key="existing")["Body"].read() == b"original"
        ok("wrong secret: 403 SignatureDoesNotMatch; nothing written, nothing overwritten")

    with section("unknown access key"):
        unknown = s3_client(key_id="AKIAUNKNOWNKEY000000", secret="whatever-secret-value-000000000000000000")
        expect_error("InvalidAccessKeyId", 403, unknown.put_object, Bucket=bucket, Key="k-unknown-key", Body=b"x")
        expect_error("InvalidAccessKeyId", 403, unknown.list_buckets)
        absent(s3, bucket, "k-unknown-key")
        ok("unknown access key: 403 InvalidAccessKeyId; nothing written")

    with section("skewed clock"):
        for minutes in (20, -20):
            response = signed_request("PUT", f"/{bucket}/k-skewed", body=b"skewed", when=skewed(minutes))
            assert response.status == 403 and response.code == "RequestTimeTooSkewed", (minutes, response)
            response = signed_request("GET", "/", when=skewed(minutes))
            assert response.status == 403 and response.code == "RequestTimeTooSkewed", (minutes, response)
        absent(s3, bucket, "k-skewed")
        response = signed_request("PUT", f"/{bucket}/k-skewed-ok", body=b"fine", when=skewed(3))
        assert response.status == 200, response
        ok("a request signed 20 minutes in the future or past: 403 RequestTimeTooSkewed; 3 minutes is accepted")

    with section("no credentials"):
        anonymous = send("PUT", f"/{bucket}/k-anonymous", {"Content-Length": "4"}, b"anon")
        assert anonymous.status == 403, anonymous
        if anonymous.code != "AccessDenied":
            note(f"an unsigned PUT answered 403 {anonymous.code} (S3 says AccessDenied)")
    with section("no credentials"):
        anonymous = send("GET", f"/{bucket}/existing", {})
        assert anonymous.status == 403, anonymous
        absent(s3, bucket, "k-anonymous")
        ok("no credentials: 403; nothing written or read")

    with section("payload digests"):
        # A body that does not match its signed SHA-256, and a wrong Content-MD5: refused, nothing stored.
        target, headers = sign("PUT", f"/{bucket}/k-sha-mismatch", body=b"signed body")
        response = send("PUT", target, headers, b"other body!")
        assert 400 <= response.status < 500, response
        if response.code != "XAmzContentSHA256Mismatch":
            note(f"a body that differs from x-amz-content-sha256 answered {response.status} {response.code} "
                 "(S3 says XAmzContentSHA256Mismatch)")
        absent(s3, bucket, "k-sha-mismatch")
        bad_md5 = client_error(s3.put_object, Bucket=bucket, Key="k-bad-md5", Body=b"payload",
                               ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg==")
        assert bad_md5.response["Error"]["Code"] == "BadDigest", bad_md5.response
        absent(s3, bucket, "k-bad-md5")
        bad_crc = client_error(s3.put_object, Bucket=bucket, Key="k-bad-crc", Body=b"payload", ChecksumCRC32="AAAAAA==")
        assert 400 <= bad_crc.response["ResponseMetadata"]["HTTPStatusCode"] < 500, bad_crc.response
        if bad_crc.response["Error"]["Code"] != "BadDigest":
            note(f"a wrong x-amz-checksum-crc32 answered {bad_crc.response['Error']['Code']} (S3 says BadDigest)")
        absent(s3, bucket, "k-bad-crc")
        ok("body/sha256 mismatch, wrong Content-MD5 (BadDigest), wrong CRC32: 4xx and nothing stored")

    with section("multipart MalformedXML/InvalidPart"):
        # Multipart: malformed XML and a wrong part ETag leave the upload intact and completable.
        key = "multi/object.bin"
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        part1, part2 = os.urandom(5 * MIB), b"end"
        e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=part1)["ETag"]
        e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=part2)["ETag"]
        query = "uploadId=" + urllib.parse.quote(upload_id, safe="")
        for body in (b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>", b"not xml at all", b""):
            response = signed_request("POST", f"/{bucket}/{key}", query, body=body)
            assert response.status == 400 and response.code in ("MalformedXML", "InvalidRequest"), (body, response)
            if response.code != "MalformedXML":
                note(f"CompleteMultipartUpload with body {body!r} answered {response.code} (S3 says MalformedXML)")
        parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
        assert [p["PartNumber"] for p in parts] == [1, 2], parts
        absent(s3, bucket, key)
        ok("CompleteMultipartUpload with malformed XML: 400 MalformedXML; the upload and its parts remain")

        wrong = '"' + "0" * 32 + '"'
        expect_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": wrong}]})
        expect_error("InvalidPart", 400, s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id,
                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e2}]})
        absent(s3, bucket, key)
        ok("CompleteMultipartUpload with a wrong part ETag or a missing part: 400 InvalidPart, no object")
        disorder = client_error(s3.complete_multipart_upload, Bucket=bucket, Key=key, UploadId=upload_id,
                                MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]})
        assert disorder.response["ResponseMetadata"]["HTTPStatusCode"] == 400, disorder.response
        if disorder.response["Error"]["Code"] != "InvalidPartOrder":
            note(f"parts out of order answered {disorder.response['Error']['Code']} (S3 says InvalidPartOrder)")
        absent(s3, bucket, key)
        done = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        assert done["ETag"].endswith('-2"'), done
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == part1 + part2
        ok("after the refused attempts the same upload completes with the right parts")

        small = s3.create_multipart_upload(Bucket=bucket, Key="multi/small.bin")["UploadId"]
        s1 = s3.upload_part(Bucket=bucket, Key="multi/small.bin", UploadId=small, PartNumber=1, Body=b"a" * 1024)["ETag"]
        s2 = s3.upload_part(Bucket=bucket, Key="multi/small.bin", UploadId=small, PartNumber=2, Body=b"b" * 1024)["ETag"]
        try:
            s3.complete_multipart_upload(Bucket=bucket, Key="multi/small.bin", UploadId=small,
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": s1}, {"PartNumber": 2, "ETag": s2}]})
            note("a multipart upload whose first part is 1 KiB completed (S3 says EntityTooSmall)")
            s3.delete_object(Bucket=bucket, Key="multi/small.bin")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "EntityTooSmall", error.response
            ok("a non-last part under 5 MiB: EntityTooSmall")
            s3.abort_multipart_upload(Bucket=bucket, Key="multi/small.bin", UploadId=small)

    with section("'../' keys"):
        # Keys with '../' segments are ordinary keys; nothing lands outside the data dir.
        token = unique("escape")
        tricky = {
            f"../{token}-1": b"one",
            f"../../../../../../../../tmp/{token}-2": b"two",
            f"a/b/../../../{token}-3": b"three",
            f"./{token}-4/./x": b"four",
            f"{token}-5/..": b"five",
            f"..\\..\\{token}-6": b"six",
        }
        before = tree_outside_data()
        for tricky_key, value in tricky.items():
            s3.put_object(Bucket=bucket, Key=tricky_key, Body=value)
        for tricky_key, value in tricky.items():
            got = s3.get_object(Bucket=bucket, Key=tricky_key)["Body"].read()
            assert got == value, (tricky_key, got)
        listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        assert set(tricky) <= listed, sorted(set(tricky) - listed)
        ok(f"{len(tricky)} keys with '../', './', '..\\\\' round-trip and are listed as given")
        escaped = find_outside(token)
        assert not escaped, f"files written outside the data dir: {escaped}"
        assert tree_outside_data() == before, "the data dir's surroundings changed"
        ok(f"nothing named {token}* exists outside the data dir ({DATA_DIR})")
        for tricky_key in tricky:
            s3.delete_object(Bucket=bucket, Key=tricky_key)
        assert not find_outside(token)

    with section("unknown bucket"):
        # Unknown bucket.
        missing = unique("missing")
        expect_error("NoSuchBucket", 404, s3.get_object, Bucket=missing, Key="k")
        expect_error("NoSuchBucket", 404, s3.put_object, Bucket=missing, Key="k", Body=b"x")
        expect_error("NoSuchBucket", 404, s3.list_objects_v2, Bucket=missing)
        expect_error("NoSuchBucket", 404, s3.delete_bucket, Bucket=missing)
        expect_error("NoSuchBucket", 404, s3.create_multipart_upload, Bucket=missing, Key="k")
        head = client_error(s3.head_bucket, Bucket=missing)
        assert head.response["ResponseMetadata"]["HTTPStatusCode"] == 404, head.response
        assert missing not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
        ok("unknown bucket: NoSuchBucket for Get/Put/List/DeleteBucket/CreateMultipartUpload, HeadBucket 404")

    with section("bucket names"):
        # Reserved and invalid bucket names.
        wrong = []
        for name in ("api", "healthz", "metrics", "v2", "endpoints", "ajax-api", "ui", "static",
                     "ab", "UPPERCASE", "under_score", "a..b", "-leading", "x" * 64):
            response = signed_request("PUT", f"/{name}")
            if response.status != 400 or response.code != "InvalidBucketName":
                wrong.append(f"PUT /{name} -> {response.status} {response.code or response.body[:160]!r}")
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        assert names == [bucket], f"buckets after the refused names: {names}"
        health = send("GET", "/healthz", {})
        assert health.status == 200, health
        assert not wrong, "CreateBucket with a reserved or invalid name must be 400 InvalidBucketName: " + "; ".join(wrong)
        ok("reserved names (api, healthz, metrics, v2, endpoints, …) and invalid names: InvalidBucketName; none created")

    with section("oversize PUT"):
        # An oversize single PUT: declared > 5 GiB, body never sent. Must answer 4xx promptly, not wait for 5 GiB.
        huge = 5 * 1024 * MIB + 1
        target, headers = sign("PUT", f"/{bucket}/k-huge", headers={"Content-Length": str(huge)}, unsigned_payload=True)
        headers["Content-Length"] = str(huge)
        conn = http.client.HTTPConnection(_HOSTPORT, timeout=15)
        try:
            conn.putrequest("PUT", target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if "host" not in {h.lower() for h in headers}:
                conn.putheader("Host", _HOSTPORT)
            conn.endheaders()
            try:
                conn.send(b"\0" * 65536)
            except OSError:
                pass  # the server may already have answered and closed
            try:
                response = conn.getresponse()
                status, body = response.status, response.read(4096)
            except socket.timeout:
                raise AssertionError("a PUT declaring Content-Length > 5 GiB got no answer within 15 s (the server waits for the body)")
            except (http.client.RemoteDisconnected, ConnectionResetError) as error:
                raise AssertionError(f"a PUT declaring Content-Length > 5 GiB: connection closed without an answer ({error!r})")
        finally:
            conn.close()
        code = (body.split(b"<Code>")[1].split(b"</Code>")[0].decode() if b"<Code>" in body else None)
        assert 400 <= status < 500, (status, body[:500])
        if code != "EntityTooLarge":
            note(f"a PUT declaring {huge} bytes answered {status} {code} (S3 says EntityTooLarge)")
        absent(s3, bucket, "k-huge")
        assert send("GET", "/healthz", {}).status == 200
        ok(f"oversize PUT (Content-Length {huge}): {status} {code} at once; nothing stored; server still healthy")

    with section("final listing"):
        # Still consistent at the end: exactly the objects we meant to keep.
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
        assert "existing" in keys and set(keys) <= {"existing", "k-skewed-ok", "multi/object.bin"}, keys
        ok(f"final listing holds only what was acknowledged: {keys}")
        print(f"(endpoint {ENDPOINT})")


def data_root():
    return os.path.realpath(DATA_DIR)


def find_outside(token):
    """Every path containing `token` in the data dir's parent tree (outside the data dir) or directly in
    any of its ancestors, /tmp and /."""
    root = data_root()
    parent = os.path.dirname(root)
    found = []
    for folder, dirs, files in os.walk(parent):
        if os.path.realpath(folder).startswith(root):
            dirs[:] = []
            continue
        found += [os.path.join(folder, n) for n in dirs + files if token in n]
    ancestor = parent
    while True:
        ancestor = os.path.dirname(ancestor)
        try:
            found += [os.path.join(ancestor, n) for n in os.listdir(ancestor) if token in n]
        except OSError:
            pass
        if ancestor in ("/", ""):
            break
    for extra in ("/tmp", "/"):
        found += [os.path.join(extra, n) for n in os.listdir(extra) if token in n]
    return sorted(set(found))


def tree_outside_data():
    """Names directly beside the data dir (the server's logs and the scenario's scratch live there too)."""
    root = data_root()
    return sorted(n for n in os.listdir(os.path.dirname(root)) if os.path.join(os.path.dirname(root), n) != root
                  and n not in ("scratch",) and not n.startswith("server"))


if __name__ == "__main__":
    assert DATA_DIR, "OSPREY_DATA_DIR must be set"
    run(main)
